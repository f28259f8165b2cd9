/*
 * coco_eval.c - the COCO evaluation driver: resolve parameters, plan the
 * cells, IoU, matching, then accumulate and summarize.
 */
#include <string.h>

#include "instance/instance.h"

static maskeval_status check_inputs(maskeval_ctx *ctx, const maskeval_gt *gt,
                                    const maskeval_dets *dets, const maskeval_coco_params *p)
{
    maskeval_iou_type type = p != NULL ? p->iou_type : MASKEVAL_IOU_SEGM;
    if (gt == NULL || dets == NULL) {
        return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                             "maskeval_coco_evaluate: ground truth and detections are required");
    }
    if (dets->gt != gt) {
        return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                             "maskeval_coco_evaluate: the detections were loaded against another "
                             "ground truth");
    }
    if ((type == MASKEVAL_IOU_SEGM && !(gt->flags & MASKEVAL_LOAD_SEGM)) ||
        (type == MASKEVAL_IOU_BBOX && !(gt->flags & MASKEVAL_LOAD_BBOX))) {
        return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                             "maskeval_coco_evaluate: the ground truth was not loaded for %s "
                             "evaluation (MASKEVAL_LOAD_%s)",
                             type == MASKEVAL_IOU_SEGM ? "segm" : "bbox",
                             type == MASKEVAL_IOU_SEGM ? "SEGM" : "BBOX");
    }
    return MASKEVAL_OK;
}

maskeval_status maskeval_coco_evaluate(maskeval_ctx *ctx, const maskeval_gt *gt,
                                       const maskeval_dets *dets,
                                       const maskeval_coco_params *params,
                                       maskeval_coco_result **out)
{
    const maskeval_alloc *a;
    maskeval_plan plan;
    maskeval_coco_result *res = NULL;
    maskeval_status st;
    size_t n_prec, n_rec;
    double t0, tp, t1, t2;

    if (ctx == NULL || out == NULL) {
        return MASKEVAL_ERR_INVALID_ARG;
    }
    *out = NULL;
    a = &ctx->alloc;
    memset(&plan, 0, sizeof(plan));
    st = check_inputs(ctx, gt, dets, params);
    if (st != MASKEVAL_OK) {
        return st;
    }
    st = maskeval_eparams_resolve(ctx, params, gt, &plan.ep);
    if (st != MASKEVAL_OK) {
        return st;
    }
    t0 = maskeval_now();
    st = maskeval_plan_build(ctx, gt, dets, &plan);
    tp = maskeval_now();
    if (st == MASKEVAL_OK) {
        st = maskeval_plan_ious(ctx, &plan);
    }
    t1 = maskeval_now();
    if (st == MASKEVAL_OK) {
        st = maskeval_plan_match(ctx, &plan);
    }
    t2 = maskeval_now();
    if (st != MASKEVAL_OK) {
        goto done;
    }
    res = maskeval_calloc(a, 1, sizeof(*res));
    if (res == NULL) {
        st = maskeval_nomem(ctx, "allocating results");
        goto done;
    }
    res->alloc = *a;
    n_rec = plan.ep.T * plan.ep.K * MASKEVAL_N_AREAS * plan.ep.M;
    n_prec = n_rec * plan.ep.R;
    res->precision = maskeval_calloc(a, n_prec, sizeof(double));
    res->scores = maskeval_calloc(a, n_prec, sizeof(double));
    res->recall = maskeval_calloc(a, n_rec, sizeof(double));
    res->cat_ap = maskeval_calloc(a, plan.ep.K, sizeof(double));
    if (res->precision == NULL || res->scores == NULL || res->recall == NULL ||
        res->cat_ap == NULL) {
        st = maskeval_nomem(ctx, "allocating results");
        goto done;
    }
    st = maskeval_accumulate(ctx, &plan, res->precision, res->recall, res->scores);
    if (st != MASKEVAL_OK) {
        goto done;
    }
    res->n_images = plan.ep.I;
    res->n_gt = plan.n_gt_items;
    res->n_dt = plan.n_dt_loaded;
    res->ep = plan.ep; /* ownership moves to the result */
    memset(&plan.ep, 0, sizeof(plan.ep));
    st = maskeval_summarize(ctx, res);
    res->timing[0] = tp - t0;
    res->timing[1] = t1 - tp;
    res->timing[2] = t2 - t1;
    res->timing[3] = maskeval_now() - t2;
done:
    maskeval_plan_free(a, &plan);
    if (st != MASKEVAL_OK) {
        maskeval_coco_result_destroy(res);
        res = NULL;
    }
    *out = res;
    return st;
}

