/*
 * tide_layout.c - what tidecv's run loop walks: the ground truth's images in
 * the order of its "images" array (an id listed twice keeps its first
 * place), each with its detections sorted by descending score (Python's
 * stable sort: ties keep file order) and cut to max_dets across classes, its
 * non-crowd ground truth and its crowd ground truth (ignore regions), both
 * in file order. Classes are category ids mapped to dense indices.
 */
#include <stdlib.h>
#include <string.h>

#include "core/sort.h"
#include "tide/tide.h"

static int i64_cmp(const void *pa, const void *pb)
{
    int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;
    return a < b ? -1 : a > b;
}

typedef struct first_index {
    uint32_t first, img;
} first_index;

static int first_cmp(const void *pa, const void *pb)
{
    const first_index *a = pa, *b = pb;
    return a->first < b->first ? -1 : a->first > b->first;
}

static int32_t dense_class(const tide_data *d, int64_t id)
{
    return (int32_t)maskeval_find_i64(d->cls_id, d->n_cls, id); /* every id is in the table */
}

static maskeval_status make_classes(maskeval_ctx *ctx, tide_data *d)
{
    const maskeval_gt *gt = d->gt;
    const maskeval_dets *dets = d->dets;
    size_t n = gt->n_ann + dets->n, m = 0;
    int64_t *ids = maskeval_malloc(&ctx->alloc, (n + 1) * sizeof(int64_t));
    if (ids == NULL) {
        return maskeval_nomem(ctx, "TIDE classes");
    }
    memcpy(ids, gt->ann_cat_id, gt->n_ann * sizeof(int64_t));
    if (dets->n > 0) {
        memcpy(ids + gt->n_ann, dets->cat_id, dets->n * sizeof(int64_t));
    }
    qsort(ids, n, sizeof(int64_t), i64_cmp);
    for (size_t i = 0; i < n; i++) {
        if (m == 0 || ids[m - 1] != ids[i]) {
            ids[m++] = ids[i];
        }
    }
    d->cls_id = ids;
    d->n_cls = m;
    return MASKEVAL_OK;
}

/* Per gt image index: its detections (file order) and annotations. */
typedef struct buckets {
    size_t *dt_start, *ann_start;
    uint32_t *dt, *ann;
} buckets;

static maskeval_status make_buckets(maskeval_ctx *ctx, const tide_data *d, buckets *b)
{
    const maskeval_alloc *a = &ctx->alloc;
    const maskeval_gt *gt = d->gt;
    const maskeval_dets *dets = d->dets;
    const size_t I = gt->n_img;
    b->dt_start = maskeval_calloc(a, I + 2, sizeof(size_t));
    b->ann_start = maskeval_calloc(a, I + 2, sizeof(size_t));
    b->dt = maskeval_malloc(a, (dets->n + 1) * sizeof(uint32_t));
    b->ann = maskeval_malloc(a, (gt->n_ann + 1) * sizeof(uint32_t));
    if (b->dt_start == NULL || b->ann_start == NULL || b->dt == NULL || b->ann == NULL) {
        return maskeval_nomem(ctx, "TIDE image lists");
    }
    for (size_t i = 0; i < dets->n; i++) {
        b->dt_start[(size_t)dets->img[i] + 2]++;
    }
    for (size_t i = 0; i < gt->n_ann; i++) {
        b->ann_start[(size_t)gt->ann_img[i] + 2]++;
    }
    for (size_t i = 2; i < I + 2; i++) {
        b->dt_start[i] += b->dt_start[i - 1];
        b->ann_start[i] += b->ann_start[i - 1];
    }
    for (size_t i = 0; i < dets->n; i++) {
        b->dt[b->dt_start[(size_t)dets->img[i] + 1]++] = (uint32_t)i;
    }
    for (size_t i = 0; i < gt->n_ann; i++) {
        b->ann[b->ann_start[(size_t)gt->ann_img[i] + 1]++] = (uint32_t)i;
    }
    return MASKEVAL_OK;
}

static void buckets_free(const maskeval_alloc *a, buckets *b)
{
    maskeval_free(a, b->dt_start);
    maskeval_free(a, b->ann_start);
    maskeval_free(a, b->dt);
    maskeval_free(a, b->ann);
}

static maskeval_status check_orphans(maskeval_ctx *ctx, const maskeval_gt *gt)
{
    for (size_t i = 0; i < gt->n_ann; i++) {
        if (gt->ann_img[i] < 0) {
            return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                                 "annotations[%zu] (id %lld): its image_id is not in \"images\" "
                                 "(TIDE walks the images in file order; tidecv raises KeyError "
                                 "here)",
                                 i, (long long)gt->ann_id[i]);
        }
    }
    return MASKEVAL_OK;
}

maskeval_status tide_layout(maskeval_ctx *ctx, const maskeval_gt *gt, const maskeval_dets *dets,
                            maskeval_iou_type type, uint32_t max_dets, tide_data *d)
{
    const maskeval_alloc *a = &ctx->alloc;
    const size_t I = gt->n_img;
    first_index *order = NULL;
    uint32_t *tmp = NULL;
    buckets b;
    size_t n_dt = 0, n_gt = 0, n_rg = 0, n_iou = 0, n_rg_iou = 0;
    maskeval_status st;

    memset(&b, 0, sizeof(b));
    d->gt = gt;
    d->dets = dets;
    d->iou_type = type;
    st = check_orphans(ctx, gt);
    if (st == MASKEVAL_OK) {
        st = make_classes(ctx, d);
    }
    if (st == MASKEVAL_OK) {
        st = make_buckets(ctx, d, &b);
    }
    if (st != MASKEVAL_OK) {
        goto done;
    }
    order = maskeval_malloc(a, (I + 1) * sizeof(first_index));
    tmp = maskeval_malloc(a, (dets->n + 1) * sizeof(uint32_t));
    d->img = maskeval_calloc(a, I + 1, sizeof(tide_image));
    if (order == NULL || tmp == NULL || d->img == NULL) {
        st = maskeval_nomem(ctx, "TIDE image lists");
        goto done;
    }
    for (size_t i = 0; i < I; i++) {
        order[i].first = gt->img_first[i];
        order[i].img = (uint32_t)i;
    }
    qsort(order, I, sizeof(first_index), first_cmp);
    /* sort and cap each image's detections in place in b.dt; count slots */
    for (size_t k = 0; k < I; k++) {
        tide_image *im = &d->img[k];
        const uint32_t g = order[k].img;
        size_t nd = b.dt_start[g + 1] - b.dt_start[g];
        im->img = g;
        im->n_dt_all = (uint32_t)nd;
        maskeval_sort_desc_stable(b.dt + b.dt_start[g], nd, dets->score, tmp);
        im->n_dt = nd < max_dets ? nd : max_dets;
        im->dt_off = n_dt;
        im->gt_off = n_gt;
        im->rg_off = n_rg;
        for (size_t j = b.ann_start[g]; j < b.ann_start[g + 1]; j++) {
            if (gt->ann_crowd[b.ann[j]]) {
                im->n_rg++;
            } else {
                im->n_gt++;
            }
        }
        im->iou_off = n_iou;
        im->rg_iou_off = n_rg_iou;
        n_dt += im->n_dt;
        n_gt += im->n_gt;
        n_rg += im->n_rg;
        n_iou += im->n_dt * im->n_gt;
        n_rg_iou += im->n_dt * im->n_rg;
    }
    d->n_img = I;
    d->n_dt = n_dt;
    d->n_gt = n_gt;
    d->n_rg = n_rg;
    d->n_iou = n_iou;
    d->n_rg_iou = n_rg_iou;
    d->dt = maskeval_malloc(a, (n_dt + 1) * sizeof(uint32_t));
    d->dt_cls = maskeval_malloc(a, (n_dt + 1) * sizeof(int32_t));
    d->dt_score = maskeval_malloc(a, (n_dt + 1) * sizeof(double));
    d->gt_ann = maskeval_malloc(a, (n_gt + 1) * sizeof(uint32_t));
    d->gt_cls = maskeval_malloc(a, (n_gt + 1) * sizeof(int32_t));
    d->rg = maskeval_malloc(a, (n_rg + 1) * sizeof(uint32_t));
    d->rg_cls = maskeval_malloc(a, (n_rg + 1) * sizeof(int32_t));
    if (d->dt == NULL || d->dt_cls == NULL || d->dt_score == NULL || d->gt_ann == NULL ||
        d->gt_cls == NULL || d->rg == NULL || d->rg_cls == NULL) {
        st = maskeval_nomem(ctx, "TIDE image lists");
        goto done;
    }
    for (size_t k = 0; k < I; k++) {
        const tide_image *im = &d->img[k];
        size_t gs = im->gt_off, rs = im->rg_off;
        for (size_t j = 0; j < im->n_dt; j++) {
            uint32_t di = b.dt[b.dt_start[im->img] + j];
            d->dt[im->dt_off + j] = di;
            d->dt_cls[im->dt_off + j] = dense_class(d, dets->cat_id[di]);
            d->dt_score[im->dt_off + j] = dets->score[di];
        }
        for (size_t j = b.ann_start[im->img]; j < b.ann_start[im->img + 1]; j++) {
            uint32_t ai = b.ann[j];
            if (gt->ann_crowd[ai]) {
                d->rg[rs] = ai;
                d->rg_cls[rs++] = dense_class(d, gt->ann_cat_id[ai]);
            } else {
                d->gt_ann[gs] = ai;
                d->gt_cls[gs++] = dense_class(d, gt->ann_cat_id[ai]);
            }
        }
    }
done:
    buckets_free(a, &b);
    maskeval_free(a, order);
    maskeval_free(a, tmp);
    return st;
}

void tide_data_free(const maskeval_alloc *a, tide_data *d)
{
    maskeval_free(a, d->img);
    maskeval_free(a, d->dt);
    maskeval_free(a, d->dt_cls);
    maskeval_free(a, d->dt_score);
    maskeval_free(a, d->gt_ann);
    maskeval_free(a, d->gt_cls);
    maskeval_free(a, d->rg);
    maskeval_free(a, d->rg_cls);
    maskeval_free(a, d->iou);
    maskeval_free(a, d->rg_iou);
    maskeval_free(a, d->cls_id);
    memset(d, 0, sizeof(*d));
}
