/*
 * plan.c - planning of a COCO evaluation: groups ground truth and
 * detections into (image, category) cells the way pycocotools' _prepare and
 * evaluateImg do, and lays out the IoU and match-status blocks.
 *
 * Orders that decide results (every pycocotools sort is stable):
 *  - ground truth of a cell: images in ascending id, then file order; with
 *    repeated annotation ids, every lookup yields the last annotation with
 *    that id, which then sits where the looked-up one was;
 *  - detections of a cell: file order, then a stable sort by descending
 *    score, truncated to maxDets[-1];
 *  - with use_cats = 0 a cell is a whole image, its members concatenated
 *    category by category in ascending category id.
 *
 * LVIS (ep.lvis; spec lvis.md 1.3, 2) changes what enters a cell: ground
 * truth and detections need 0 < area; detections are first capped per image
 * (all categories, the top lvis_max_dets by stable descending score) and then
 * kept only in categories the image has ground truth of or lists in
 * neg_category_ids; nothing is truncated per cell afterwards.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/sort.h"
#include "core/threadpool.h"
#include "instance/instance.h"
#include "io/lvis_fields.h"

typedef struct item {
    uint32_t img;  /* eval image index */
    uint32_t kc;   /* index into ep.cats */
    uint32_t seq;  /* generation order */
    uint32_t obj;  /* annotation or detection index */
} item;

/* Sorts items by (img, kc, seq), for items generated in increasing seq: two stable counting passes (kc, then img) instead of a
 * comparison sort of ~500k items. */
static int sort_items(const maskeval_alloc *a, item *items, size_t n, size_t n_img, size_t n_kc)
{
    const size_t nb = (n_img > n_kc ? n_img : n_kc) + 1;
    item *tmp = maskeval_calloc(a, n > 0 ? n : 1, sizeof(item));
    size_t *cnt = maskeval_calloc(a, nb, sizeof(size_t));
    if (tmp == NULL || cnt == NULL) {
        maskeval_free(a, tmp);
        maskeval_free(a, cnt);
        return 0;
    }
    for (size_t j = 0; j < n; j++) {
        cnt[items[j].kc + 1]++;
    }
    for (size_t b = 1; b <= n_kc; b++) {
        cnt[b] += cnt[b - 1];
    }
    for (size_t j = 0; j < n; j++) {
        tmp[cnt[items[j].kc]++] = items[j];
    }
    memset(cnt, 0, nb * sizeof(size_t));
    for (size_t j = 0; j < n; j++) {
        cnt[tmp[j].img + 1]++;
    }
    for (size_t b = 1; b <= n_img; b++) {
        cnt[b] += cnt[b - 1];
    }
    for (size_t j = 0; j < n; j++) {
        items[cnt[tmp[j].img]++] = tmp[j];
    }
    maskeval_free(a, tmp);
    maskeval_free(a, cnt);
    return 1;
}

/* Category id -> its positions in ep.cats (several only when a caller's
 * pooled category list repeats an id). */
typedef struct cat_lookup {
    int64_t *ids;     /* sorted */
    uint32_t *pos;    /* position in ep.cats of each entry */
    size_t n, max_mult;
    /* when the ids span at most DENSE_SPAN values (COCO: 1..90): for
     * id - ids[0], the first entry + 1 (0: absent), so that a lookup per
     * detection is one load instead of a binary search */
    uint32_t *dense;
    uint64_t span;
} cat_lookup;

#define DENSE_SPAN 65536

static int pos_cmp(const void *pa, const void *pb)
{
    const int64_t *a = pa, *b = pb; /* [id, pos] */
    if (a[0] != b[0]) {
        return a[0] < b[0] ? -1 : 1;
    }
    return a[1] < b[1] ? -1 : a[1] > b[1];
}

static maskeval_status cat_lookup_build(const maskeval_alloc *al, const maskeval_eparams *ep,
                                        cat_lookup *cl)
{
    int64_t *tmp = maskeval_calloc(al, ep->n_cats, 2 * sizeof(int64_t));
    size_t run = 0;
    memset(cl, 0, sizeof(*cl));
    cl->ids = maskeval_calloc(al, ep->n_cats, sizeof(int64_t));
    cl->pos = maskeval_calloc(al, ep->n_cats, sizeof(uint32_t));
    if (tmp == NULL || cl->ids == NULL || cl->pos == NULL) {
        maskeval_free(al, tmp);
        return MASKEVAL_ERR_NOMEM;
    }
    for (size_t k = 0; k < ep->n_cats; k++) {
        tmp[2 * k] = ep->cats[k];
        tmp[2 * k + 1] = (int64_t)k;
    }
    qsort(tmp, ep->n_cats, 2 * sizeof(int64_t), pos_cmp);
    cl->max_mult = ep->n_cats > 0 ? 1 : 0;
    for (size_t k = 0; k < ep->n_cats; k++) {
        cl->ids[k] = tmp[2 * k];
        cl->pos[k] = (uint32_t)tmp[2 * k + 1];
        run = (k > 0 && cl->ids[k] == cl->ids[k - 1]) ? run + 1 : 1;
        if (run > cl->max_mult) {
            cl->max_mult = run;
        }
    }
    cl->n = ep->n_cats;
    maskeval_free(al, tmp);
    if (cl->n > 0 && (uint64_t)(cl->ids[cl->n - 1] - cl->ids[0]) < DENSE_SPAN) {
        cl->span = (uint64_t)(cl->ids[cl->n - 1] - cl->ids[0]) + 1;
        cl->dense = maskeval_calloc(al, (size_t)cl->span, sizeof(uint32_t));
        if (cl->dense == NULL) {
            return MASKEVAL_ERR_NOMEM;
        }
        for (size_t k = cl->n; k > 0; k--) {
            cl->dense[cl->ids[k - 1] - cl->ids[0]] = (uint32_t)k; /* ends at the first */
        }
    }
    return MASKEVAL_OK;
}

static void cat_lookup_free(const maskeval_alloc *al, cat_lookup *cl)
{
    maskeval_free(al, cl->ids);
    maskeval_free(al, cl->pos);
    maskeval_free(al, cl->dense);
    memset(cl, 0, sizeof(*cl));
}

/* First entry of id in the lookup and the number of its positions. */
static size_t cat_find(const cat_lookup *cl, int64_t id, size_t *count)
{
    size_t lo = 0, hi = cl->n, end;
    if (cl->dense != NULL) {
        /* unsigned: ids below ids[0] wrap far beyond the span */
        const uint64_t off = (uint64_t)id - (uint64_t)cl->ids[0];
        if (off >= cl->span || cl->dense[off] == 0) {
            *count = 0;
            return 0;
        }
        lo = hi = cl->dense[off] - 1;
    }
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cl->ids[mid] < id) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    end = lo;
    while (end < cl->n && cl->ids[end] == id) {
        end++;
    }
    *count = end - lo;
    return lo;
}

void maskeval_plan_free(const maskeval_alloc *a, maskeval_plan *plan)
{
    maskeval_eparams_free(a, &plan->ep);
    maskeval_free(a, plan->cells);
    maskeval_free(a, plan->img_cells);
    maskeval_free(a, plan->gt_items);
    maskeval_free(a, plan->dt_items);
    maskeval_free(a, plan->ious);
    maskeval_free(a, plan->status);
    maskeval_free(a, plan->npig);
    maskeval_free(a, plan->match_gt);
    maskeval_free(a, plan->match_iou);
    memset(plan, 0, sizeof(*plan));
}

/* Objects grouped by image, in their order (a stable counting sort):
 * by_img[start[g] .. start[g + 1]) are the objects j with img[j] == g;
 * objects with img[j] < 0 are left out. start holds n_img + 1 entries. */
static void group_by_image(const int32_t *img, size_t n, size_t n_img, size_t *start,
                           uint32_t *by_img)
{
    for (size_t j = 0; j < n; j++) {
        if (img[j] >= 0) {
            start[img[j] + 1]++;
        }
    }
    for (size_t g = 0; g < n_img; g++) {
        start[g + 1] += start[g];
    }
    for (size_t j = 0; j < n; j++) {
        if (img[j] >= 0) {
            by_img[start[img[j]]++] = (uint32_t)j;
        }
    }
    for (size_t g = n_img; g > 0; g--) {
        start[g] = start[g - 1];
    }
    start[0] = 0;
}

/* Ground-truth items in pycocotools' _prepare order (see the file banner). */
static maskeval_status gt_items(maskeval_ctx *ctx, const maskeval_plan *plan,
                                const cat_lookup *cl, const int32_t *img_eval,
                                const int32_t *img_gt, item **out, size_t *n_out)
{
    const maskeval_alloc *a = &ctx->alloc;
    const maskeval_gt *gt = plan->gt;
    const maskeval_eparams *ep = &plan->ep;
    size_t *start = maskeval_calloc(a, gt->n_img + 1, sizeof(size_t));
    uint32_t *by_img = maskeval_calloc(a, gt->n_ann, sizeof(uint32_t));
    item *items = maskeval_calloc(a, gt->n_ann * (cl->max_mult > 0 ? cl->max_mult : 1),
                                  sizeof(item));
    size_t n = 0, seq = 0;
    maskeval_status st = MASKEVAL_OK;

    if (start == NULL || by_img == NULL || items == NULL) {
        st = maskeval_nomem(ctx, "grouping ground truth");
        goto done;
    }
    /* Annotations per image, in file order (pycocotools' imgToAnns). */
    group_by_image(gt->ann_img, gt->n_ann, gt->n_img, start, by_img);

    for (size_t i = 0; i < ep->I; i++) {
        int32_t g = img_gt[i];
        if (g < 0) {
            continue;
        }
        for (size_t p = start[g]; p < start[g + 1]; p++) {
            uint32_t j = by_img[p], t;
            int32_t ti;
            size_t first, count;
            if (ep->use_cats) {
                cat_find(cl, gt->ann_cat_id[j], &count);
                if (count == 0) {
                    continue;
                }
            }
            if (ep->lvis && !(gt->ann_area[j] > 0)) {
                continue; /* get_ann_ids: 0 < area < inf (the file's areas are finite) */
            }
            t = (uint32_t)gt->ann_alias[j];
            if (gt->ann_img[t] < 0 || (ti = img_eval[gt->ann_img[t]]) < 0) {
                continue;
            }
            first = cat_find(cl, gt->ann_cat_id[t], &count);
            for (size_t r = 0; r < count; r++) {
                items[n].img = (uint32_t)ti;
                items[n].kc = cl->pos[first + r];
                items[n].seq = (uint32_t)seq;
                items[n].obj = t;
                n++;
            }
            seq++;
        }
    }
    if (!sort_items(a, items, n, ep->I, ep->n_cats)) {
        st = maskeval_nomem(ctx, "grouping ground truth");
        goto done;
    }
    *out = items;
    *n_out = n;
    items = NULL;
done:
    maskeval_free(a, start);
    maskeval_free(a, by_img);
    maskeval_free(a, items);
    return st;
}

static int cat_rank_cmp(const void *pa, const void *pb)
{
    const maskeval_cat_rank *a = pa, *b = pb;
    if (a->cat != b->cat) {
        return a->cat < b->cat ? -1 : 1;
    }
    if (a->score != b->score) {
        return a->score > b->score ? -1 : 1;
    }
    return a->pos < b->pos ? -1 : a->pos > b->pos;
}

void maskeval_rank_top_per_cat(maskeval_cat_rank *v, size_t n, int64_t cap, uint8_t *keep)
{
    int64_t run = 0;
    qsort(v, n, sizeof(*v), cat_rank_cmp);
    for (size_t i = 0; i < n; i++) {
        run = i > 0 && v[i].cat == v[i - 1].cat ? run + 1 : 0;
        keep[v[i].pos] = run < cap;
    }
}

/* Fixed AP / AP-pool's preprocessing (Dave et al. 2021): of each
 * category's detections (every image), the first dets_per_cat by stable
 * descending score. */
static maskeval_status lvis_top_per_cat(maskeval_ctx *ctx, const maskeval_plan *plan,
                                        uint8_t *keep)
{
    const maskeval_dets *d = plan->dets;
    maskeval_cat_rank *v;
    if (d->keep_fixed != NULL) { /* ranked over the whole file (passes.c) */
        memcpy(keep, d->keep_fixed, d->n);
        return MASKEVAL_OK;
    }
    v = maskeval_calloc(&ctx->alloc, d->n + 1, sizeof(maskeval_cat_rank));
    if (v == NULL) {
        return maskeval_nomem(ctx, "keeping the top detections per category");
    }
    for (size_t j = 0; j < d->n; j++) {
        v[j].cat = d->cat_id[j];
        v[j].score = d->score[j];
        v[j].pos = j;
    }
    maskeval_rank_top_per_cat(v, d->n, plan->ep.lvis_dets_per_cat, keep);
    maskeval_free(&ctx->alloc, v);
    return MASKEVAL_OK;
}

/* LVISResults' per-image cap: of each image's detections (every category),
 * the first max_dets by stable descending score; keep[j] = 1 for those. */
static maskeval_status lvis_cap(maskeval_ctx *ctx, const maskeval_plan *plan, uint8_t *keep)
{
    const maskeval_alloc *a = &ctx->alloc;
    const maskeval_dets *d = plan->dets;
    const int64_t cap = plan->ep.lvis_max_dets;
    const size_t n_img = plan->gt->n_img;
    size_t *start = NULL;
    uint32_t *by_img = NULL, *tmp = NULL;
    maskeval_status st = MASKEVAL_OK;

    if (plan->ep.lvis_ap != MASKEVAL_LVIS_AP_STANDARD) {
        return lvis_top_per_cat(ctx, plan, keep); /* and no per-image cap */
    }
    if (cap < 0) {
        memset(keep, 1, d->n);
        return MASKEVAL_OK;
    }
    start = maskeval_calloc(a, n_img + 2, sizeof(size_t));
    by_img = maskeval_calloc(a, d->n + 1, sizeof(uint32_t));
    tmp = maskeval_calloc(a, d->n + 1, sizeof(uint32_t));
    if (start == NULL || by_img == NULL || tmp == NULL) {
        st = maskeval_nomem(ctx, "capping detections per image");
        goto done;
    }
    group_by_image(d->img, d->n, n_img, start, by_img);
    for (size_t g = 0; g < n_img; g++) {
        uint32_t *v = by_img + start[g];
        const size_t n = start[g + 1] - start[g];
        if ((int64_t)n > cap) {
            maskeval_sort_desc_stable(v, n, d->score, tmp); /* Python's stable sorted() */
        }
        for (size_t p = 0; p < n && (int64_t)p < cap; p++) {
            keep[v[p]] = 1;
        }
    }
done:
    maskeval_free(a, start);
    maskeval_free(a, by_img);
    maskeval_free(a, tmp);
    return st;
}

/* LVIS: whether the sorted GT items hold (eval image i, category position
 * kc): gi_img[i] .. gi_img[i + 1] is image i's range, sorted by kc. */
static int lvis_has_gt(const item *gi, const size_t *gi_img, uint32_t i, uint32_t kc)
{
    size_t lo = gi_img[i], hi = gi_img[i + 1];
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (gi[mid].kc < kc) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo < gi_img[i + 1] && gi[lo].kc == kc;
}

static maskeval_status dt_items(maskeval_ctx *ctx, const maskeval_plan *plan,
                                const cat_lookup *cl, const int32_t *img_eval, const item *gi,
                                size_t ng, item **out, size_t *n_out)
{
    const maskeval_alloc *a = &ctx->alloc;
    const maskeval_dets *d = plan->dets;
    const maskeval_eparams *ep = &plan->ep;
    item *items = maskeval_calloc(a, d->n * (cl->max_mult > 0 ? cl->max_mult : 1), sizeof(item));
    uint8_t *keep = NULL;
    size_t *gi_img = NULL;
    size_t n = 0;
    maskeval_status st = MASKEVAL_OK;

    if (items == NULL) {
        return maskeval_nomem(ctx, "grouping detections");
    }
    if (ep->lvis) {
        keep = maskeval_calloc(a, d->n + 1, 1);
        gi_img = maskeval_calloc(a, ep->I + 1, sizeof(size_t));
        if (keep == NULL || gi_img == NULL) {
            st = maskeval_nomem(ctx, "grouping detections");
            goto done;
        }
        for (size_t p = 0; p < ng; p++) {
            gi_img[gi[p].img + 1]++;
        }
        for (size_t i = 0; i < ep->I; i++) {
            gi_img[i + 1] += gi_img[i];
        }
        st = lvis_cap(ctx, plan, keep);
        if (st != MASKEVAL_OK) {
            goto done;
        }
    }
    for (size_t j = 0; j < d->n; j++) {
        int32_t i = img_eval[d->img[j]];
        size_t first, count;
        if (i < 0 || (keep != NULL && (!keep[j] || !(maskeval_plan_dt_area(plan, j) > 0)))) {
            continue;
        }
        first = cat_find(cl, d->cat_id[j], &count);
        for (size_t r = 0; r < count; r++) {
            /* the federated filter: a category the image has ground truth
             * of, or one verified absent from it */
            if (keep != NULL && !lvis_has_gt(gi, gi_img, (uint32_t)i, cl->pos[first + r]) &&
                !maskeval_lvis_is_neg(plan->gt, d->img[j], d->cat_id[j])) {
                continue;
            }
            items[n].img = (uint32_t)i;
            items[n].kc = cl->pos[first + r];
            items[n].seq = (uint32_t)j;
            items[n].obj = (uint32_t)j;
            n++;
        }
    }
    if (!sort_items(a, items, n, ep->I, ep->n_cats)) {
        st = maskeval_nomem(ctx, "grouping detections");
        goto done;
    }
    *out = items;
    *n_out = n;
    items = NULL;
done:
    maskeval_free(a, items);
    maskeval_free(a, keep);
    maskeval_free(a, gi_img);
    return st;
}

typedef struct cell_sort_job {
    maskeval_plan *plan;
    uint32_t **tmp; /* per worker, as long as the largest cell */
} cell_sort_job;

/* The detections of each cell of image i, stably by descending score. */
static maskeval_status sort_image_cells(void *arg, size_t i, int worker, char *err,
                                        size_t errcap)
{
    cell_sort_job *job = arg;
    maskeval_plan *plan = job->plan;
    (void)err;
    (void)errcap;
    for (size_t ci = plan->img_cells[i]; ci < plan->img_cells[i + 1]; ci++) {
        const maskeval_cell *c = &plan->cells[ci];
        maskeval_sort_desc_stable(plan->dt_items + c->dt_off, c->n_dt, plan->dets->score,
                                  job->tmp[worker]);
    }
    return MASKEVAL_OK;
}

/* Sorts every cell's detections (in parallel over images), then truncates
 * them to maxDets[-1] and lays out the IoU and status blocks. */
static maskeval_status finish_cells(maskeval_ctx *ctx, maskeval_plan *plan, size_t max_cell)
{
    const maskeval_alloc *a = &ctx->alloc;
    const maskeval_eparams *ep = &plan->ep;
    const int64_t max_det = ep->max_dets[ep->M - 1];
    const int workers = maskeval_parallel_workers(ctx, ep->I);
    uint64_t iou_off = 0, st_off = 0;
    cell_sort_job job;
    maskeval_status st = MASKEVAL_OK;

    job.plan = plan;
    job.tmp = maskeval_calloc(a, (size_t)workers, sizeof(uint32_t *));
    for (int w = 0; job.tmp != NULL && w < workers && st == MASKEVAL_OK; w++) {
        job.tmp[w] = maskeval_calloc(a, max_cell > 0 ? max_cell : 1, sizeof(uint32_t));
        st = job.tmp[w] != NULL ? MASKEVAL_OK : MASKEVAL_ERR_NOMEM;
    }
    if (job.tmp == NULL || st != MASKEVAL_OK) {
        st = maskeval_nomem(ctx, "building evaluation cells");
        goto done;
    }
    st = maskeval_parallel_for(ctx, ep->I, sort_image_cells, &job);
    if (st != MASKEVAL_OK) {
        goto done;
    }
    for (size_t ci = 0; ci < plan->n_cells; ci++) {
        maskeval_cell *c = &plan->cells[ci];
        c->n_dt = (uint32_t)((int64_t)c->n_dt < max_det ? c->n_dt : (uint32_t)max_det);
        c->iou_off = iou_off;
        iou_off += (uint64_t)c->n_dt * c->n_gt;
        c->st_off = st_off;
        st_off += (uint64_t)c->n_dt * MASKEVAL_N_AREAS * ep->T;
    }
    plan->n_ious = iou_off;
    plan->n_status = st_off;
done:
    for (int w = 0; job.tmp != NULL && w < workers; w++) {
        maskeval_free(a, job.tmp[w]);
    }
    maskeval_free(a, job.tmp);
    return st;
}

/* Cells from the sorted items: one per (image, category), or per image when
 * categories are pooled. */
static maskeval_status make_cells(maskeval_ctx *ctx, maskeval_plan *plan, const item *gi,
                                  size_t ng, const item *di, size_t nd)
{
    const maskeval_alloc *a = &ctx->alloc;
    const maskeval_eparams *ep = &plan->ep;
    size_t p = 0, q = 0, nc = 0, cap = 0, max_cell = 0;

    plan->gt_items = maskeval_calloc(a, ng, sizeof(uint32_t));
    plan->dt_items = maskeval_calloc(a, nd, sizeof(uint32_t));
    plan->img_cells = maskeval_calloc(a, ep->I + 1, sizeof(size_t));
    if (plan->gt_items == NULL || plan->dt_items == NULL || plan->img_cells == NULL) {
        return maskeval_nomem(ctx, "building evaluation cells");
    }
    for (size_t j = 0; j < ng; j++) {
        plan->gt_items[j] = gi[j].obj;
    }
    for (size_t j = 0; j < nd; j++) {
        plan->dt_items[j] = di[j].obj;
    }
    while (p < ng || q < nd) {
        /* The smallest key present among the two heads starts the next cell. */
        uint32_t img, kc;
        size_t p0 = p, q0 = q;
        maskeval_cell *c;
        if (q >= nd || (p < ng && (gi[p].img < di[q].img ||
                                   (gi[p].img == di[q].img && ep->use_cats &&
                                    gi[p].kc < di[q].kc)))) {
            img = gi[p].img;
            kc = gi[p].kc;
        } else {
            img = di[q].img;
            kc = di[q].kc;
        }
        while (p < ng && gi[p].img == img && (!ep->use_cats || gi[p].kc == kc)) {
            p++;
        }
        while (q < nd && di[q].img == img && (!ep->use_cats || di[q].kc == kc)) {
            q++;
        }
        if (nc == cap) {
            void *pc = plan->cells;
            if (maskeval_grow(a, &pc, &cap, nc + 1, sizeof(maskeval_cell)) != MASKEVAL_OK) {
                return maskeval_nomem(ctx, "building evaluation cells");
            }
            plan->cells = pc;
        }
        c = &plan->cells[nc++];
        c->img = img;
        c->k = ep->use_cats ? kc : 0;
        c->gt_off = (uint32_t)p0;
        c->n_gt = (uint32_t)(p - p0);
        c->dt_off = (uint32_t)q0;
        c->n_dt = (uint32_t)(q - q0); /* all of them until finish_cells */
        c->not_exhaustive =
            ep->lvis && (uint8_t)maskeval_lvis_is_not_exhaustive(
                            plan->gt, maskeval_gt_find_image(plan->gt, ep->img_ids[img]),
                            ep->cats[kc]);
        max_cell = q - q0 > max_cell ? q - q0 : max_cell;
        plan->img_cells[img + 1] = nc;
    }
    /* Images without cells: carry the running count forward. */
    for (size_t i = 1; i <= ep->I; i++) {
        if (plan->img_cells[i] < plan->img_cells[i - 1]) {
            plan->img_cells[i] = plan->img_cells[i - 1];
        }
    }
    plan->n_cells = nc;
    return finish_cells(ctx, plan, max_cell);
}

maskeval_status maskeval_plan_build(maskeval_ctx *ctx, const maskeval_gt *gt,
                                    const maskeval_dets *dets, uint32_t shard_index,
                                    uint32_t shard_count, maskeval_plan *plan)
{
    const maskeval_alloc *a = &ctx->alloc;
    const maskeval_eparams *ep = &plan->ep;
    int32_t *img_eval = maskeval_calloc(a, gt->n_img, sizeof(int32_t));
    int32_t *img_gt = maskeval_calloc(a, ep->I, sizeof(int32_t));
    item *gi = NULL, *di = NULL;
    size_t ng = 0, nd = 0;
    cat_lookup cl;
    maskeval_status st;

    plan->gt = gt;
    plan->dets = dets;
    memset(&cl, 0, sizeof(cl));
    if (img_eval == NULL || img_gt == NULL || cat_lookup_build(a, ep, &cl) != MASKEVAL_OK) {
        st = maskeval_nomem(ctx, "building evaluation cells");
        goto done;
    }
    for (size_t g = 0; g < gt->n_img; g++) {
        img_eval[g] = -1;
    }
    for (size_t i = 0; i < ep->I; i++) {
        /* a shard plans only its images: the others get no cells */
        img_gt[i] = shard_count > 1 && i % shard_count != shard_index
                        ? -1
                        : maskeval_gt_find_image(gt, ep->img_ids[i]);
        if (img_gt[i] >= 0) {
            img_eval[img_gt[i]] = (int32_t)i;
        }
    }
    st = gt_items(ctx, plan, &cl, img_eval, img_gt, &gi, &ng);
    if (st == MASKEVAL_OK) {
        st = dt_items(ctx, plan, &cl, img_eval, gi, ng, &di, &nd);
    }
    if (st == MASKEVAL_OK) {
        st = make_cells(ctx, plan, gi, ng, di, nd);
    }
    plan->n_gt_items = ng;
    plan->n_dt_loaded = nd;
done:
    cat_lookup_free(a, &cl);
    maskeval_free(a, img_eval);
    maskeval_free(a, img_gt);
    maskeval_free(a, gi);
    maskeval_free(a, di);
    return st;
}

double maskeval_plan_dt_area(const maskeval_plan *plan, size_t j)
{
    const maskeval_dets *d = plan->dets;
    if (plan->ep.lvis && plan->ep.lvis_ap != MASKEVAL_LVIS_AP_STANDARD &&
        plan->ep.iou_type == MASKEVAL_IOU_SEGM && d->masks.area != NULL) {
        return (double)d->masks.area[j];
    }
    return d->area[j];
}
