/*
 * tide_ious.c - tidecv's IoU matrices per image: every detection against
 * every non-crowd ground truth of the image, whatever the classes
 * (mask.iou(dets, gts, [False] * G)), and against each ignore region with
 * the crowd formula (mask.iou(dets, [region], [True])). Boxes use bbIou;
 * masks keep rleIou's semantics: pairs whose toBbox boxes do not overlap
 * are 0, the others get their intersection from the backend's intersect
 * primitive (CPU or OpenCL, the same integers) and divide in double here.
 */
#include <string.h>

#include "backend/backend.h"
#include "core/threadpool.h"
#include "iou/iou.h"
#include "tide/tide.h"

static maskeval_status box_image(void *arg, size_t k, int worker, char *err, size_t errcap)
{
    tide_data *d = arg;
    const tide_image *im = &d->img[k];
    const maskeval_gt *gt = d->gt;
    const maskeval_dets *dets = d->dets;
    (void)worker;
    (void)err;
    (void)errcap;
    for (size_t p = 0; p < im->n_dt; p++) {
        const double *db = dets->bbox + 4 * (size_t)d->dt[im->dt_off + p];
        for (size_t g = 0; g < im->n_gt; g++) {
            const double *gb = gt->ann_bbox + 4 * (size_t)d->gt_ann[im->gt_off + g];
            d->iou[im->iou_off + p * im->n_gt + g] = maskeval_box_iou(db, gb, 0);
        }
        for (size_t r = 0; r < im->n_rg; r++) {
            const double *gb = gt->ann_bbox + 4 * (size_t)d->rg[im->rg_off + r];
            d->rg_iou[im->rg_iou_off + p * im->n_rg + r] = maskeval_box_iou(db, gb, 1);
        }
    }
    return MASKEVAL_OK;
}

/* A mask pair and where its IoU goes: iou[dest] or, with crowd, rg_iou[dest]. */
typedef struct pair_dest {
    size_t dest;
    int crowd;
} pair_dest;

static int boxes_overlap(const double *a, const double *b)
{
    return maskeval_box_iou(a, b, 0) > 0;
}

static maskeval_status mask_ious(maskeval_ctx *ctx, tide_data *d)
{
    const maskeval_alloc *a = &ctx->alloc;
    const maskeval_gt *gt = d->gt;
    const maskeval_dets *dets = d->dets;
    maskeval_backend_state *be = NULL;
    maskeval_mask_pair *pairs = NULL;
    pair_dest *dest = NULL;
    uint64_t *inter = NULL;
    size_t n_pairs = 0, cap = d->n_iou + d->n_rg_iou;
    maskeval_status st = maskeval_backend_get(ctx, &be);

    if (st != MASKEVAL_OK) {
        return st;
    }
    pairs = maskeval_malloc(a, (cap + 1) * sizeof(*pairs));
    dest = maskeval_malloc(a, (cap + 1) * sizeof(*dest));
    if (pairs == NULL || dest == NULL) {
        st = maskeval_nomem(ctx, "TIDE mask pairs");
        goto done;
    }
    for (size_t k = 0; k < d->n_img; k++) {
        const tide_image *im = &d->img[k];
        for (size_t p = 0; p < im->n_dt; p++) {
            uint32_t di = d->dt[im->dt_off + p];
            const double *db = dets->masks.box + 4 * (size_t)di;
            for (size_t g = 0; g < im->n_gt + im->n_rg; g++) {
                int crowd = g >= im->n_gt;
                uint32_t ai = crowd ? d->rg[im->rg_off + g - im->n_gt] : d->gt_ann[im->gt_off + g];
                if (!boxes_overlap(db, gt->masks.box + 4 * (size_t)ai)) {
                    continue;
                }
                pairs[n_pairs].dt = di;
                pairs[n_pairs].gt = ai;
                pairs[n_pairs].img = im->img;
                dest[n_pairs].crowd = crowd;
                dest[n_pairs].dest = crowd ? im->rg_iou_off + p * im->n_rg + (g - im->n_gt)
                                           : im->iou_off + p * im->n_gt + g;
                n_pairs++;
            }
        }
    }
    if (n_pairs > UINT32_MAX) {
        st = maskeval_fail(ctx, MASKEVAL_ERR_LIMIT, "more than 2^32 mask pairs");
        goto done;
    }
    inter = maskeval_calloc(a, n_pairs + 1, sizeof(uint64_t));
    if (inter == NULL) {
        st = maskeval_nomem(ctx, "TIDE mask pairs");
        goto done;
    }
    if (n_pairs > 0) {
        maskeval_pair_set ps;
        ps.dt_masks = &dets->masks;
        ps.gt_masks = &gt->masks;
        ps.n_dt_masks = dets->n;
        ps.n_gt_masks = gt->n_ann;
        ps.pairs = pairs;
        ps.n_pairs = n_pairs;
        ps.img_h = gt->img_h;
        ps.img_w = gt->img_w;
        ps.img_id = gt->img_id;
        maskeval_progress_stage(ctx, "TIDE: intersecting masks");
        st = be->ops->intersect(ctx, be, &ps, inter);
        if (st != MASKEVAL_OK) {
            goto done;
        }
    }
    for (size_t i = 0; i < n_pairs; i++) {
        double v = maskeval_iou_from_counts(inter[i], dets->masks.area[pairs[i].dt],
                                            gt->masks.area[pairs[i].gt], dest[i].crowd);
        if (dest[i].crowd) {
            d->rg_iou[dest[i].dest] = v;
        } else {
            d->iou[dest[i].dest] = v;
        }
    }
    maskeval_log(ctx, MASKEVAL_LOG_INFO, "TIDE: %s: %zu mask pairs of %zu", be->ops->name,
                 n_pairs, cap);
done:
    maskeval_free(a, pairs);
    maskeval_free(a, dest);
    maskeval_free(a, inter);
    return st;
}

maskeval_status tide_ious(maskeval_ctx *ctx, tide_data *d)
{
    d->iou = maskeval_calloc(&ctx->alloc, d->n_iou + 1, sizeof(double));
    d->rg_iou = maskeval_calloc(&ctx->alloc, d->n_rg_iou + 1, sizeof(double));
    if (d->iou == NULL || d->rg_iou == NULL) {
        return maskeval_nomem(ctx, "TIDE IoU matrices");
    }
    if (d->iou_type == MASKEVAL_IOU_BBOX) {
        maskeval_progress_stage(ctx, "TIDE: box IoUs");
        return maskeval_parallel_for(ctx, d->n_img, box_image, d);
    }
    return mask_ious(ctx, d);
}
