/*
 * fuzz_eval.h - runs maskeval_coco_evaluate and reads every accessor of its
 * result, checking what holds for any input:
 *  - the 12 statistics, the precision and recall entries and the per-category
 *    APs are -1 (no data) or within [0, 1], never NaN;
 *  - array sizes agree with the dimensions; a too small buffer is refused;
 *  - the summary is 12 lines and fits the length it reports;
 *  - the parameters as evaluated are what was asked (maxDets sorted).
 */
#ifndef MASKEVAL_FUZZ_EVAL_H
#define MASKEVAL_FUZZ_EVAL_H

#include <math.h>

#include "fuzz_common.h"

static inline int fuzz_unit_or_minus_one(double v)
{
    return v == -1.0 || (v >= 0.0 && v <= 1.0);
}

static inline void fuzz_check_result(const maskeval_coco_result *res,
                                     const maskeval_coco_params *p)
{
    double stats[12], sec[8]; /* timing has 4 entries (more than needed: the API grew once) */
    size_t dims[5], n = 0, ni, ng, nd, len = 0;
    char *sum;

    maskeval_coco_result_stats(res, stats);
    for (int i = 0; i < 12; i++) {
        FUZZ_CHECK(fuzz_unit_or_minus_one(stats[i]), "stats[%d] = %.17g", i, stats[i]);
    }
    maskeval_coco_result_dims(res, dims);
    FUZZ_CHECK(dims[1] == 101 && dims[3] == 4, "dims R %zu A %zu", dims[1], dims[3]);
    if (p != NULL && p->iou_thrs != NULL) {
        FUZZ_CHECK(dims[0] == p->n_iou_thrs, "T = %zu, %zu thresholds given", dims[0],
                   p->n_iou_thrs);
        for (size_t t = 0; t < dims[0]; t++) {
            FUZZ_CHECK(maskeval_coco_result_iou_thrs(res)[t] == p->iou_thrs[t],
                       "threshold %zu changed", t);
        }
    } else {
        FUZZ_CHECK(dims[0] == 10, "T = %zu", dims[0]);
    }
    if (p != NULL && p->max_dets != NULL) {
        const int64_t *md = maskeval_coco_result_max_dets(res);
        FUZZ_CHECK(dims[4] == p->n_max_dets, "M = %zu", dims[4]);
        for (size_t m = 1; m < dims[4]; m++) {
            FUZZ_CHECK(md[m - 1] <= md[m], "maxDets not sorted");
        }
    } else {
        FUZZ_CHECK(dims[4] == 3, "M = %zu", dims[4]);
    }
    if (p != NULL && !p->use_cats) {
        FUZZ_CHECK(dims[2] == 1 && maskeval_coco_result_cat_ids(res)[0] == -1,
                   "use_cats=0: K = %zu", dims[2]);
    }
    (void)maskeval_coco_result_rec_thrs(res);
    (void)maskeval_coco_result_area_rng(res);
    for (size_t k = 0; k < dims[2]; k++) {
        double ap = -7;
        (void)maskeval_coco_result_cat_ids(res)[k];
        if (maskeval_coco_result_category_ap(res, k, &ap)) {
            FUZZ_CHECK(fuzz_unit_or_minus_one(ap), "category %zu AP %.17g", k, ap);
        } else {
            FUZZ_CHECK(ap == -7, "category_ap wrote its output while returning 0");
        }
    }
    {
        double dummy;
        FUZZ_CHECK(maskeval_coco_result_category_ap(res, dims[2], &dummy) == 0,
                   "category_ap accepts k = K");
    }
    for (int which = 0; which < 3; which++) {
        size_t want = dims[0] * dims[2] * dims[3] * dims[4] * (which == 1 ? 1 : dims[1]);
        double *arr;
        maskeval_status st = maskeval_coco_result_array(res, (maskeval_coco_array)which, NULL, 0, &n);
        FUZZ_CHECK(n == want && (st == MASKEVAL_ERR_BUFFER_TOO_SMALL || (want == 0 && st == MASKEVAL_OK)) ,
                   "array %d: n %zu (want %zu), status %d", which, n, want, (int)st);
        arr = fuzz_xmalloc((n + 1) * sizeof(double));
        st = maskeval_coco_result_array(res, (maskeval_coco_array)which, arr, n, &n);
        FUZZ_CHECK(st == MASKEVAL_OK, "array %d: status %d", which, (int)st);
        if (which != 2) {
            for (size_t i = 0; i < n; i++) {
                FUZZ_CHECK(fuzz_unit_or_minus_one(arr[i]), "%s[%zu] = %.17g",
                           which == 0 ? "precision" : "recall", i, arr[i]);
            }
        } else {
            for (size_t i = 0; i < n; i++) {
                FUZZ_CHECK(!isnan(arr[i]), "scores[%zu] is NaN", i);
            }
        }
        free(arr);
    }
    FUZZ_CHECK(maskeval_coco_result_array(res, (maskeval_coco_array)3, NULL, 0, &n) ==
                   MASKEVAL_ERR_INVALID_ARG,
               "array 3 accepted");
    maskeval_coco_result_counts(res, &ni, &ng, &nd);
    maskeval_coco_result_timing(res, sec);
    (void)maskeval_coco_result_summary(res, NULL, 0, &len);
    sum = fuzz_xmalloc(len + 1);
    FUZZ_CHECK(maskeval_coco_result_summary(res, sum, len + 1, &n) == MASKEVAL_OK && n == len &&
                   strlen(sum) == len,
               "summary: %zu bytes, then %zu", len, n);
    {
        int lines = 0;
        for (size_t i = 0; i < len; i++) {
            lines += sum[i] == '\n';
        }
        FUZZ_CHECK(lines == 12 && len > 0 && sum[len - 1] == '\n', "summary has %d lines", lines);
    }
    free(sum);
}

/* Evaluates and checks; a refusal is fine for invalid parameters only. */
static inline maskeval_status fuzz_evaluate(maskeval_ctx *ctx, const maskeval_gt *gt,
                                            const maskeval_dets *dets,
                                            const maskeval_coco_params *p)
{
    maskeval_coco_result *res = NULL;
    maskeval_status st = maskeval_coco_evaluate(ctx, gt, dets, p, &res);
    FUZZ_CHECK(st == MASKEVAL_OK || st == MASKEVAL_ERR_INVALID_ARG || st == MASKEVAL_ERR_LIMIT,
               "maskeval_coco_evaluate: status %d: %s", (int)st, maskeval_errmsg(ctx));
    FUZZ_CHECK((st == MASKEVAL_OK) == (res != NULL), "status %d with result %p", (int)st,
               (void *)res);
    if (res != NULL) {
        fuzz_check_result(res, p);
    }
    maskeval_coco_result_destroy(res);
    return st;
}

#endif
