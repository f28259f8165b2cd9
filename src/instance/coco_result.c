/*
 * coco_result.c - the COCO result object: its lifetime and the accessors of
 * the 12 stats, the precision / recall / scores arrays and the parameters
 * they were computed with.
 */
#include <math.h>
#include <string.h>

#include "instance/instance.h"

void maskeval_coco_result_destroy(maskeval_coco_result *res)
{
    maskeval_alloc a;
    if (res == NULL) {
        return;
    }
    a = res->alloc;
    maskeval_free(&a, res->precision);
    maskeval_free(&a, res->recall);
    maskeval_free(&a, res->scores);
    maskeval_free(&a, res->cat_ap);
    maskeval_free(&a, res->cat_stats);
    maskeval_free(&a, res->cat_lvis);
    maskeval_free(&a, res->pooled_precision);
    for (size_t k = 0; res->cat_names != NULL && k < res->ep.K; k++) {
        maskeval_free(&a, res->cat_names[k]);
    }
    maskeval_free(&a, res->cat_names);
    maskeval_eparams_free(&a, &res->ep);
    maskeval_free(&a, res);
}

void maskeval_coco_result_stats(const maskeval_coco_result *res, double stats[12])
{
    for (size_t i = 0; i < MASKEVAL_N_STATS; i++) {
        stats[i] = res != NULL ? res->stats[i] : -1.0;
    }
}

void maskeval_coco_result_dims(const maskeval_coco_result *res, size_t dims[5])
{
    dims[0] = res->ep.T;
    dims[1] = res->ep.R;
    dims[2] = res->ep.K;
    dims[3] = MASKEVAL_N_AREAS;
    dims[4] = res->ep.M;
}

maskeval_status maskeval_coco_result_array(const maskeval_coco_result *res,
                                           maskeval_coco_array which, double *out, size_t cap,
                                           size_t *n)
{
    const double *src;
    size_t count;
    if (res == NULL || n == NULL) {
        return MASKEVAL_ERR_INVALID_ARG;
    }
    count = res->ep.T * res->ep.K * MASKEVAL_N_AREAS * res->ep.M;
    switch (which) {
    case MASKEVAL_ARRAY_PRECISION:
        src = res->precision;
        count *= res->ep.R;
        break;
    case MASKEVAL_ARRAY_SCORES:
        src = res->scores;
        count *= res->ep.R;
        break;
    case MASKEVAL_ARRAY_RECALL:
        src = res->recall;
        break;
    default:
        return MASKEVAL_ERR_INVALID_ARG;
    }
    *n = count;
    if (out == NULL || cap < count) {
        return MASKEVAL_ERR_BUFFER_TOO_SMALL;
    }
    memcpy(out, src, count * sizeof(double));
    return MASKEVAL_OK;
}

const int64_t *maskeval_coco_result_cat_ids(const maskeval_coco_result *res)
{
    return res->ep.k_ids;
}

const double *maskeval_coco_result_iou_thrs(const maskeval_coco_result *res)
{
    return res->ep.iou_thrs;
}

const double *maskeval_coco_result_rec_thrs(const maskeval_coco_result *res)
{
    return res->ep.rec_thrs;
}

const int64_t *maskeval_coco_result_max_dets(const maskeval_coco_result *res)
{
    return res->ep.max_dets;
}

const double *maskeval_coco_result_area_rng(const maskeval_coco_result *res)
{
    return &res->ep.area_rng[0][0];
}

int maskeval_coco_result_category_ap(const maskeval_coco_result *res, size_t k, double *ap)
{
    if (res == NULL || k >= res->ep.K || isnan(res->cat_ap[k])) {
        return 0;
    }
    *ap = res->cat_ap[k];
    return 1;
}

void maskeval_coco_result_category_stats(const maskeval_coco_result *res, size_t k,
                                         double stats[12])
{
    for (size_t i = 0; i < MASKEVAL_N_STATS; i++) {
        stats[i] = res != NULL && k < res->ep.K ? res->cat_stats[k * MASKEVAL_N_STATS + i] : -1.0;
    }
}

void maskeval_coco_result_digests(const maskeval_coco_result *res, uint64_t *gt_digest,
                                  uint64_t *params_digest)
{
    *gt_digest = res->gt_digest;
    *params_digest = res->params_digest;
}

void maskeval_coco_result_counts(const maskeval_coco_result *res, size_t *n_images, size_t *n_gt,
                                 size_t *n_dt)
{
    *n_images = res->n_images;
    *n_gt = res->n_gt;
    *n_dt = res->n_dt;
}

void maskeval_coco_result_timing(const maskeval_coco_result *res, double seconds[4])
{
    for (size_t i = 0; i < 4; i++) {
        seconds[i] = res->timing[i];
    }
}

maskeval_iou_type maskeval_coco_result_iou_type(const maskeval_coco_result *res)
{
    return res->ep.iou_type;
}

double maskeval_coco_result_dilation_ratio(const maskeval_coco_result *res)
{
    return res->ep.dilation_ratio;
}

const char *maskeval_coco_result_iou_name(const maskeval_coco_result *res)
{
    if (res->ep.iou_type == MASKEVAL_IOU_BBOX) {
        return "bbox";
    }
    if (res->ep.iou_type == MASKEVAL_IOU_KEYPOINTS) {
        return "keypoints";
    }
    return res->ep.dilation_ratio > 0 ? "boundary" : "segm";
}

int maskeval_coco_result_use_cats(const maskeval_coco_result *res)
{
    return res->ep.use_cats;
}

const char *maskeval_coco_result_category_name(const maskeval_coco_result *res, size_t k)
{
    return res != NULL && res->cat_names != NULL && k < res->ep.K ? res->cat_names[k] : NULL;
}
