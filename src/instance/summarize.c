/*
 * summarize.c - pycocotools' summarize(): the 12 statistics, each the numpy
 * mean of a slice of precision or recall over entries > -1 (or -1 when
 * there are none), and the summary lines in its exact format.
 *
 * Slices follow numpy's indexing: the IoU axis by exact equality with 0.5 /
 * 0.75 (a custom list without them gives -1; 0.9 never equals the default
 * 0.8999999999999999), the area axis by label, the maxDets axis by value (stat
 * 0 asks for the literal 100); elements are taken in C order.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "instance/instance.h"

typedef struct stat_def {
    int ap;          /* 1: precision, 0: recall */
    double iou;      /* < 0: all thresholds */
    size_t area;     /* index into area_rng */
    int max_det_ix;  /* index into maxDets, or -1 for the literal 100, -2 for 20 */
} stat_def;

static const stat_def defs[MASKEVAL_N_STATS] = {
    {1, -1, 0, -1}, {1, .5, 0, 2}, {1, .75, 0, 2}, {1, -1, 1, 2}, {1, -1, 2, 2}, {1, -1, 3, 2},
    {0, -1, 0, 0},  {0, -1, 0, 1}, {0, -1, 0, 2},  {0, -1, 1, 2}, {0, -1, 2, 2}, {0, -1, 3, 2}};

/* _summarizeKps: areas all, medium, large (the keypoint area ranges), the
 * literal maxDets 20 */
#define KP_N_STATS 10
static const stat_def kp_defs[KP_N_STATS] = {
    {1, -1, 0, -2}, {1, .5, 0, -2}, {1, .75, 0, -2}, {1, -1, 1, -2}, {1, -1, 2, -2},
    {0, -1, 0, -2}, {0, .5, 0, -2}, {0, .75, 0, -2}, {0, -1, 1, -2}, {0, -1, 2, -2}};

static const char *const area_lbl[MASKEVAL_N_AREAS] = {"all", "small", "medium", "large"};
static const char *const kp_area_lbl[MASKEVAL_N_AREAS] = {"all", "medium", "large", ""};

static int64_t stat_max_det(const maskeval_eparams *ep, const stat_def *d)
{
    /* fewer maxDets than the statistic reads (a selected partial): -1,
     * which no maxDets value equals (pycocotools' summarize would raise) */
    return d->max_det_ix == -2                ? 20
           : d->max_det_ix < 0                ? 100
           : (size_t)d->max_det_ix >= ep->M ? -1
                                              : ep->max_dets[d->max_det_ix];
}

/* The statistics summarize() computes: 12, or 10 for keypoints. */
static size_t n_stats(const maskeval_eparams *ep, const stat_def **table)
{
    const int kp = ep->iou_type == MASKEVAL_IOU_KEYPOINTS;
    *table = kp ? kp_defs : defs;
    return kp ? KP_N_STATS : MASKEVAL_N_STATS;
}

size_t maskeval_coco_result_n_stats(const maskeval_coco_result *res)
{
    const stat_def *table;
    return res == NULL ? 0 : res->ep.lvis ? 0 : n_stats(&res->ep, &table);
}

/* numpy < 2.3 reduced in 8192-element chunks (spec: lvis.md 5.4) */
static size_t mean_block(const maskeval_coco_result *res)
{
    return res->numpy_compat == MASKEVAL_NUMPY_LEGACY ? 8192 : 0;
}

/* Mean of the selected entries > -1 of categories [k0, k1), gathered in C
 * order; -1 if none. */
static double stat_value(const maskeval_coco_result *res, const stat_def *d, size_t k0,
                         size_t k1, double *buf)
{
    const maskeval_eparams *ep = &res->ep;
    const int64_t md = stat_max_det(ep, d);
    const size_t R = d->ap ? ep->R : 1;
    size_t n = 0;
    for (size_t t = 0; t < ep->T; t++) {
        if (d->iou >= 0 && ep->iou_thrs[t] != d->iou) {
            continue;
        }
        for (size_t r = 0; r < R; r++) {
            for (size_t k = k0; k < k1; k++) {
                for (size_t m = 0; m < ep->M; m++) {
                    double v;
                    if (ep->max_dets[m] != md) {
                        continue;
                    }
                    if (d->ap) {
                        v = res->precision[(((t * ep->R + r) * ep->K + k) * MASKEVAL_N_AREAS +
                                            d->area) *
                                               ep->M +
                                           m];
                    } else {
                        v = res->recall[((t * ep->K + k) * MASKEVAL_N_AREAS + d->area) * ep->M +
                                        m];
                    }
                    if (v > -1) {
                        buf[n++] = v;
                    }
                }
            }
        }
    }
    return maskeval_result_mean(res, buf, n);
}

double maskeval_result_mean(const maskeval_coco_result *res, const double *buf, size_t n)
{
    return n == 0 ? -1.0 : maskeval_np_sum(buf, n, mean_block(res)) / (double)n;
}

maskeval_status maskeval_summarize(maskeval_ctx *ctx, maskeval_coco_result *res)
{
    const maskeval_eparams *ep = &res->ep;
    size_t cap = ep->T * ep->R * ep->K * ep->M + ep->T * ep->R + 1;
    double *buf = maskeval_calloc(&ctx->alloc, cap, sizeof(double));
    if (buf == NULL) {
        return maskeval_nomem(ctx, "summarizing");
    }
    const stat_def *table;
    const size_t ns = n_stats(ep, &table);
    for (size_t i = 0; i < MASKEVAL_N_STATS; i++) {
        /* LVIS has no maxDets axis to slice: its 13 results replace these;
         * keypoints have 10 (the last two are NaN) */
        const int none = ep->lvis || i >= ns;
        const double fill = ep->lvis ? -1.0 : NAN;
        res->stats[i] = none ? fill : stat_value(res, &table[i], 0, ep->K, buf);
        for (size_t k = 0; k < ep->K; k++) {
            res->cat_stats[k * MASKEVAL_N_STATS + i] =
                none ? fill : stat_value(res, &table[i], k, k + 1, buf);
        }
    }
    /* Per-category AP: precision[:, :, k, all, last maxDets] over entries > -1. */
    for (size_t k = 0; k < ep->K; k++) {
        size_t n = 0;
        for (size_t t = 0; t < ep->T; t++) {
            for (size_t r = 0; r < ep->R; r++) {
                double v = res->precision[(((t * ep->R + r) * ep->K + k) * MASKEVAL_N_AREAS) *
                                              ep->M +
                                          ep->M - 1];
                if (v > -1) {
                    buf[n++] = v;
                }
            }
        }
        res->cat_ap[k] = n == 0 ? NAN : maskeval_np_sum(buf, n, mean_block(res)) / (double)n;
    }
    maskeval_free(&ctx->alloc, buf);
    return ep->lvis ? maskeval_lvis_summarize(ctx, res) : MASKEVAL_OK;
}

maskeval_status maskeval_coco_result_set_numpy_compat(maskeval_ctx *ctx,
                                                      maskeval_coco_result *res,
                                                      maskeval_numpy_compat mode)
{
    if (ctx == NULL || res == NULL) {
        return MASKEVAL_ERR_INVALID_ARG;
    }
    if (mode != MASKEVAL_NUMPY_2_3 && mode != MASKEVAL_NUMPY_LEGACY) {
        return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG, "unknown numpy compatibility mode %d",
                             (int)mode);
    }
    res->numpy_compat = mode;
    return maskeval_summarize(ctx, res);
}

maskeval_numpy_compat maskeval_coco_result_numpy_compat(const maskeval_coco_result *res)
{
    return res != NULL ? res->numpy_compat : MASKEVAL_NUMPY_2_3;
}

maskeval_status maskeval_coco_result_summary(const maskeval_coco_result *res, char *buf,
                                             size_t cap, size_t *len)
{
    const maskeval_eparams *ep;
    size_t total = 0;
    if (res == NULL || len == NULL || (buf == NULL && cap != 0)) {
        return MASKEVAL_ERR_INVALID_ARG;
    }
    ep = &res->ep;
    if (ep->lvis) {
        total = maskeval_lvis_summary_lines(res, buf, buf != NULL ? cap : 0);
    }
    const stat_def *table;
    const size_t ns = n_stats(ep, &table);
    const char *const *lbl = table == kp_defs ? kp_area_lbl : area_lbl;
    for (size_t i = 0; i < ns && !ep->lvis; i++) {
        const stat_def *d = &table[i];
        char iou[32], line[256];
        int w;
        if (d->iou < 0) {
            snprintf(iou, sizeof(iou), "%0.2f:%0.2f", ep->iou_thrs[0], ep->iou_thrs[ep->T - 1]);
        } else {
            snprintf(iou, sizeof(iou), "%0.2f", d->iou);
        }
        w = snprintf(line, sizeof(line), " %-18s %s @[ IoU=%-9s | area=%6s | maxDets=%3lld ] = %0.3f\n",
                     d->ap ? "Average Precision" : "Average Recall", d->ap ? "(AP)" : "(AR)", iou,
                     lbl[d->area], (long long)stat_max_det(ep, d), res->stats[i]);
        if (w < 0) {
            return MASKEVAL_ERR_INVALID_ARG;
        }
        if (buf != NULL && total < cap) {
            size_t room = cap - total;
            memcpy(buf + total, line, (size_t)w < room ? (size_t)w : room);
        }
        total += (size_t)w;
    }
    if (buf != NULL && cap > 0) {
        buf[total < cap ? total : cap - 1] = '\0';
    }
    *len = total;
    return total < cap ? MASKEVAL_OK : MASKEVAL_ERR_BUFFER_TOO_SMALL;
}
