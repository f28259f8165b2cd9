/*
 * coco_eval.c - the COCO evaluation driver: resolve parameters, plan the
 * cells, IoU, matching, then accumulate and summarize.
 */
#include <stdio.h>
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
        (type == MASKEVAL_IOU_BBOX && !(gt->flags & MASKEVAL_LOAD_BBOX)) ||
        (type == MASKEVAL_IOU_KEYPOINTS && !(gt->flags & MASKEVAL_LOAD_KEYPOINTS))) {
        const int kp = type == MASKEVAL_IOU_KEYPOINTS;
        return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                             "maskeval_coco_evaluate: the ground truth was not loaded for %s "
                             "evaluation (MASKEVAL_LOAD_%s)",
                             kp ? "keypoints" : type == MASKEVAL_IOU_SEGM ? "segm" : "bbox",
                             kp ? "KEYPOINTS" : type == MASKEVAL_IOU_SEGM ? "SEGM" : "BBOX");
    }
    return MASKEVAL_OK;
}

maskeval_status maskeval_coco_evaluate_images(maskeval_ctx *ctx, const maskeval_gt *gt,
                                              const maskeval_dets *dets,
                                              const maskeval_coco_params *params,
                                              uint32_t shard_index, uint32_t shard_count,
                                              maskeval_coco_partial **out)
{
    maskeval_plan plan;
    maskeval_coco_partial *p = NULL;
    maskeval_status st;
    double t0, tp, t1, t2;

    if (ctx == NULL || out == NULL) {
        return MASKEVAL_ERR_INVALID_ARG;
    }
    *out = NULL;
    if (shard_count == 0 || shard_index >= shard_count) {
        return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                             "shard %u of %u: the index must be below the shard count",
                             shard_index, shard_count);
    }
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
    st = maskeval_plan_build(ctx, gt, dets, shard_index, shard_count, &plan);
    tp = maskeval_now();
    if (st == MASKEVAL_OK) {
        st = maskeval_plan_ious(ctx, &plan);
    }
    t1 = maskeval_now();
    if (st == MASKEVAL_OK) {
        st = maskeval_plan_match(ctx, &plan);
    }
    t2 = maskeval_now();
    if (st == MASKEVAL_OK) {
        st = maskeval_records_from_plan(ctx, &plan, shard_index, shard_count, &p);
    }
    if (st == MASKEVAL_OK) {
        snprintf(p->name, sizeof(p->name), "shard %u/%u", shard_index, shard_count);
        p->timing[0] = tp - t0;
        p->timing[1] = t1 - tp;
        p->timing[2] = t2 - t1;
    }
    maskeval_plan_free(&ctx->alloc, &plan);
    *out = p;
    return st;
}

static maskeval_status copy_names(const maskeval_alloc *a, const maskeval_coco_partial *p,
                                  maskeval_coco_result *res)
{
    res->cat_names = maskeval_calloc(a, p->ep.K + 1, sizeof(char *));
    if (res->cat_names == NULL) {
        return MASKEVAL_ERR_NOMEM;
    }
    for (size_t k = 0; k < p->ep.K; k++) {
        if (p->cat_names[k] != NULL) {
            const size_t n = strlen(p->cat_names[k]) + 1;
            res->cat_names[k] = maskeval_malloc(a, n);
            if (res->cat_names[k] == NULL) {
                return MASKEVAL_ERR_NOMEM;
            }
            memcpy(res->cat_names[k], p->cat_names[k], n);
        }
    }
    return MASKEVAL_OK;
}

maskeval_status maskeval_coco_accumulate(maskeval_ctx *ctx, const maskeval_coco_partial *p,
                                         maskeval_coco_result **out)
{
    const maskeval_alloc *a;
    maskeval_coco_result *res = NULL;
    maskeval_status st = MASKEVAL_OK;
    size_t n_prec, n_rec;
    double t0;

    if (ctx == NULL || out == NULL) {
        return MASKEVAL_ERR_INVALID_ARG;
    }
    *out = NULL;
    if (p == NULL) {
        return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG, "maskeval_coco_accumulate: no partial");
    }
    if (p->n_held != p->ep.I) {
        return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                             "%s: holds %zu of the evaluation's %zu images: merge the partials "
                             "of every shard before accumulating",
                             p->name, p->n_held, p->ep.I);
    }
    t0 = maskeval_now();
    a = &ctx->alloc;
    res = maskeval_calloc(a, 1, sizeof(*res));
    if (res == NULL) {
        return maskeval_nomem(ctx, "allocating results");
    }
    res->alloc = *a;
    res->gt_digest = p->gt_digest;
    res->params_digest = p->params_digest;
    n_rec = p->ep.T * p->ep.K * MASKEVAL_N_AREAS * p->ep.M;
    n_prec = n_rec * p->ep.R;
    res->precision = maskeval_calloc(a, n_prec, sizeof(double));
    res->scores = maskeval_calloc(a, n_prec, sizeof(double));
    res->recall = maskeval_calloc(a, n_rec, sizeof(double));
    res->cat_ap = maskeval_calloc(a, p->ep.K, sizeof(double));
    res->cat_stats = maskeval_calloc(a, p->ep.K * MASKEVAL_N_STATS + 1, sizeof(double));
    res->cat_lvis = p->ep.lvis ? maskeval_calloc(a, p->ep.K * MASKEVAL_LVIS_N_STATS + 1,
                                                 sizeof(double))
                               : NULL;
    if (res->precision == NULL || res->scores == NULL || res->recall == NULL ||
        res->cat_ap == NULL || res->cat_stats == NULL || (p->ep.lvis && res->cat_lvis == NULL) ||
        maskeval_eparams_copy(a, &p->ep, &res->ep) != MASKEVAL_OK ||
        copy_names(a, p, res) != MASKEVAL_OK) {
        st = maskeval_nomem(ctx, "allocating results");
        goto done;
    }
    st = maskeval_accumulate(ctx, p, res->precision, res->recall, res->scores);
    if (st == MASKEVAL_OK && p->ep.lvis && p->ep.lvis_ap == MASKEVAL_LVIS_AP_POOLED) {
        res->pooled_precision =
            maskeval_calloc(a, p->ep.T * p->ep.R * 4 * MASKEVAL_N_AREAS + 1, sizeof(double));
        st = res->pooled_precision == NULL
                 ? maskeval_nomem(ctx, "allocating results")
                 : maskeval_accumulate_pooled(ctx, p, res->pooled_precision);
    }
    if (st != MASKEVAL_OK) {
        goto done;
    }
    res->n_images = p->ep.I;
    res->n_gt = (size_t)p->n_gt;
    res->n_dt = (size_t)p->n_dt;
    st = maskeval_summarize(ctx, res);
    for (size_t t = 0; t < 3; t++) {
        res->timing[t] = p->timing[t];
    }
    res->timing[3] = maskeval_now() - t0;
done:
    if (st != MASKEVAL_OK) {
        maskeval_coco_result_destroy(res);
        res = NULL;
    }
    *out = res;
    return st;
}

maskeval_status maskeval_coco_evaluate(maskeval_ctx *ctx, const maskeval_gt *gt,
                                       const maskeval_dets *dets,
                                       const maskeval_coco_params *params,
                                       maskeval_coco_result **out)
{
    maskeval_coco_partial *p = NULL;
    maskeval_status st;
    if (ctx == NULL || out == NULL) {
        return MASKEVAL_ERR_INVALID_ARG;
    }
    *out = NULL;
    st = maskeval_coco_evaluate_images(ctx, gt, dets, params, 0, 1, &p);
    if (st == MASKEVAL_OK) {
        st = maskeval_coco_accumulate(ctx, p, out);
    }
    maskeval_coco_partial_destroy(p);
    return st;
}
