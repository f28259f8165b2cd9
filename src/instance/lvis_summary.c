/*
 * lvis_summary.c - lvis-api's summarize() and print_results() (spec lvis.md
 * 5): the 13 results, each np.mean of the entries > -1 of a slice of
 * precision [T][R][K][A] or recall [T][K][A] (M = 1), gathered in C order
 * (t, then r, then k; the frequency groups take their K indices in
 * ascending order), -1 when there is none; the same per category.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "instance/instance.h"

typedef struct lvis_def {
    int ap;       /* 1: precision, 0: recall */
    double iou;   /* < 0: every threshold, else exact == on iou_thrs */
    size_t area;  /* all, small, medium, large */
    int freq;     /* -1: every category, else 0 r, 1 c, 2 f */
} lvis_def;

static const lvis_def defs[MASKEVAL_LVIS_N_STATS] = {
    {1, -1, 0, -1}, {1, .5, 0, -1}, {1, .75, 0, -1}, {1, -1, 1, -1}, {1, -1, 2, -1},
    {1, -1, 3, -1}, {1, -1, 0, 0},  {1, -1, 0, 1},   {1, -1, 0, 2},  {0, -1, 0, -1},
    {0, -1, 1, -1}, {0, -1, 2, -1}, {0, -1, 3, -1}};

static double lvis_value(const maskeval_coco_result *res, const lvis_def *d, size_t k0,
                         size_t k1, double *buf)
{
    const maskeval_eparams *ep = &res->ep;
    const size_t R = d->ap ? ep->R : 1, A = MASKEVAL_N_AREAS;
    size_t n = 0;
    for (size_t t = 0; t < ep->T; t++) {
        if (d->iou >= 0 && ep->iou_thrs[t] != d->iou) {
            continue;
        }
        for (size_t r = 0; r < R; r++) {
            for (size_t k = k0; k < k1; k++) {
                double v;
                if (d->freq >= 0 && ep->k_freq[k] != d->freq) {
                    continue;
                }
                v = d->ap ? res->precision[((t * ep->R + r) * ep->K + k) * A + d->area]
                          : res->recall[(t * ep->K + k) * A + d->area];
                if (v > -1) {
                    buf[n++] = v;
                }
            }
        }
    }
    return maskeval_result_mean(res, buf, n);
}

maskeval_status maskeval_lvis_summarize(maskeval_ctx *ctx, maskeval_coco_result *res)
{
    const maskeval_eparams *ep = &res->ep;
    double *buf = maskeval_calloc(&ctx->alloc, ep->T * ep->R * ep->K + ep->T * ep->R + 1,
                                  sizeof(double));
    if (buf == NULL) {
        return maskeval_nomem(ctx, "summarizing");
    }
    for (size_t i = 0; i < MASKEVAL_LVIS_N_STATS; i++) {
        res->lvis_stats[i] = lvis_value(res, &defs[i], 0, ep->K, buf);
        for (size_t k = 0; k < ep->K; k++) {
            res->cat_lvis[k * MASKEVAL_LVIS_N_STATS + i] = lvis_value(res, &defs[i], k, k + 1, buf);
        }
    }
    /* AP-pooled-{all,r,c,f}: precision[:, :, pool, area all] over entries > -1 */
    for (size_t p = 0; p < 4 && res->pooled_precision != NULL; p++) {
        size_t n = 0;
        for (size_t t = 0; t < ep->T; t++) {
            for (size_t r = 0; r < ep->R; r++) {
                const double v =
                    res->pooled_precision[((t * ep->R + r) * 4 + p) * MASKEVAL_N_AREAS];
                if (v > -1) {
                    buf[n++] = v;
                }
            }
        }
        res->pooled_ap[p] = maskeval_result_mean(res, buf, n);
    }
    maskeval_free(&ctx->alloc, buf);
    return MASKEVAL_OK;
}

int maskeval_lvis_result_ap_mode(const maskeval_coco_result *res, int64_t *dets_per_cat)
{
    if (dets_per_cat != NULL) {
        *dets_per_cat = res != NULL && res->ep.lvis ? res->ep.lvis_dets_per_cat : 0;
    }
    return res != NULL && res->ep.lvis ? res->ep.lvis_ap : MASKEVAL_LVIS_AP_STANDARD;
}

maskeval_status maskeval_lvis_result_pooled(const maskeval_coco_result *res, double pooled[4])
{
    if (res == NULL || pooled == NULL || res->pooled_precision == NULL) {
        return MASKEVAL_ERR_INVALID_ARG;
    }
    memcpy(pooled, res->pooled_ap, sizeof(res->pooled_ap));
    return MASKEVAL_OK;
}

int maskeval_coco_result_is_lvis(const maskeval_coco_result *res)
{
    return res != NULL && res->ep.lvis;
}

maskeval_status maskeval_lvis_result_stats(const maskeval_coco_result *res, double stats[13])
{
    if (res == NULL || stats == NULL || !res->ep.lvis) {
        return MASKEVAL_ERR_INVALID_ARG;
    }
    memcpy(stats, res->lvis_stats, sizeof(res->lvis_stats));
    return MASKEVAL_OK;
}

maskeval_status maskeval_lvis_result_category_stats(const maskeval_coco_result *res, size_t k,
                                                    double stats[13])
{
    if (res == NULL || stats == NULL || !res->ep.lvis || k >= res->ep.K) {
        return MASKEVAL_ERR_INVALID_ARG;
    }
    memcpy(stats, res->cat_lvis + k * MASKEVAL_LVIS_N_STATS,
           MASKEVAL_LVIS_N_STATS * sizeof(double));
    return MASKEVAL_OK;
}

char maskeval_lvis_result_frequency(const maskeval_coco_result *res, size_t k)
{
    return res != NULL && res->ep.lvis && k < res->ep.K ? "rcf"[res->ep.k_freq[k]] : 0;
}

int64_t maskeval_lvis_result_max_dets(const maskeval_coco_result *res)
{
    return res != NULL && res->ep.lvis ? res->ep.lvis_max_dets : 0;
}

const char *const maskeval_lvis_stat_keys[MASKEVAL_LVIS_N_STATS] = {
    "AP", "AP50", "AP75", "APs", "APm", "APl", "APr", "APc", "APf", "AR", "ARs", "ARm", "ARl"};

/* print_results(): " {:<18} {} @[ IoU={:<9} | area={:>6s} | maxDets={:>3d}
 * catIds={:>3s}] = {:0.3f}" per result, in get_results() order. */
size_t maskeval_lvis_summary_lines(const maskeval_coco_result *res, char *buf, size_t cap)
{
    static const char *const area_lbl[4] = {"all", "s", "m", "l"};
    static const char *const freq_lbl[3] = {"r", "c", "f"};
    const maskeval_eparams *ep = &res->ep;
    size_t total = 0;
    for (size_t i = 0; i < MASKEVAL_LVIS_N_STATS; i++) {
        const lvis_def *d = &defs[i];
        char iou[48], line[256];
        int w;
        if (d->iou < 0) {
            snprintf(iou, sizeof(iou), "%0.2f:%0.2f", ep->iou_thrs[0], ep->iou_thrs[ep->T - 1]);
        } else {
            snprintf(iou, sizeof(iou), "%0.2f", d->iou);
        }
        w = snprintf(line, sizeof(line),
                     " %-18s %s @[ IoU=%-9s | area=%6s | maxDets=%3lld catIds=%3s] = %0.3f\n",
                     d->ap ? "Average Precision" : "Average Recall", d->ap ? "(AP)" : "(AR)", iou,
                     area_lbl[d->area], (long long)ep->lvis_max_dets,
                     d->freq >= 0 ? freq_lbl[d->freq] : "all", res->lvis_stats[i]);
        if (w > 0 && buf != NULL && total < cap) {
            const size_t room = cap - total;
            memcpy(buf + total, line, (size_t)w < room ? (size_t)w : room);
        }
        total += w > 0 ? (size_t)w : 0;
    }
    for (size_t p = 0; p < 4 && res->pooled_precision != NULL; p++) {
        static const char *const pool[4] = {"all", "r", "c", "f"};
        char line[128];
        const int w = snprintf(line, sizeof(line), " AP-pooled-%-3s = %0.3f\n", pool[p],
                               res->pooled_ap[p]);
        if (w > 0 && buf != NULL && total < cap) {
            const size_t room = cap - total;
            memcpy(buf + total, line, (size_t)w < room ? (size_t)w : room);
        }
        total += w > 0 ? (size_t)w : 0;
    }
    return total;
}
