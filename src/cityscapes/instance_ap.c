/*
 * instance_ap.c - cityscapesScripts' evaluateMatches for one class and one
 * overlap threshold, and the numpy reductions its averages go through.
 * Every floating-point step is the reference's: IoU as float(inter) /
 * (gt + pred - inter), precision and recall from float64 counts, step
 * widths 0.5*r[i-1] - 0.5*r[i+1] (np.convolve with [-0.5, 0, 0.5]), the AP
 * as np.dot (OpenBLAS ddot). The class means and nanmeans are numpy's
 * pairwise sums (core/npcompat.c).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cityscapes/cs_instance.h"

/* kernel/x86_64/ddot.c with ddot_microk_skylakex-2.c (compiled with FMA
 * contraction): 16-element blocks through four 8-lane accumulators over
 * 32-element steps, folded to four 4-lane ones for the rest, summed
 * ((a0+a1)+a2)+a3, halves added, horizontal add; then the tail with one fma
 * each. Checked bit for bit against numpy 2.4 on SkylakeX. */
static double ddot_skylakex(size_t n, const double *x, const double *y)
{
    const size_t n1 = n & ~(size_t)15;
    double dot = 0.0;
    if (n1 > 0) {
        double a5[4][8], a[4][4], s4[4];
        const size_t n32 = n1 & ~(size_t)31;
        size_t i = 0;
        memset(a5, 0, sizeof(a5));
        for (; i < n32; i += 32) {
            for (int k = 0; k < 4; k++) {
                for (int l = 0; l < 8; l++) {
                    a5[k][l] = fma(x[i + 8 * k + l], y[i + 8 * k + l], a5[k][l]);
                }
            }
        }
        for (int k = 0; k < 4; k++) {
            for (int l = 0; l < 4; l++) {
                a[k][l] = a5[k][l] + a5[k][l + 4];
            }
        }
        for (; i < n1; i += 16) {
            for (int k = 0; k < 4; k++) {
                for (int l = 0; l < 4; l++) {
                    a[k][l] = fma(x[i + 4 * k + l], y[i + 4 * k + l], a[k][l]);
                }
            }
        }
        for (int l = 0; l < 4; l++) {
            s4[l] = ((a[0][l] + a[1][l]) + a[2][l]) + a[3][l];
        }
        dot = (s4[0] + s4[2]) + (s4[1] + s4[3]);
    }
    for (size_t i = n1; i < n; i++) {
        dot = fma(y[i], x[i], dot);
    }
    return dot;
}

/* The same driver with ddot_microk_haswell-2.c: four 4-lane fma
 * accumulators over 16-element steps; each folded to 2 lanes (low + high
 * half), then (a0+a1)+(a2+a3), horizontal add; the tail as a separate
 * multiply and add (that file is not contracted). Checked bit for bit
 * against numpy 2.4's OpenBLAS on its Haswell core (an AVX2 AMD EPYC). */
static double ddot_haswell(size_t n, const double *x, const double *y)
{
    const size_t n1 = n & ~(size_t)15;
    double dot = 0.0;
    if (n1 > 0) {
        double a[4][4], h[4][2];
        memset(a, 0, sizeof(a));
        for (size_t i = 0; i < n1; i += 16) {
            for (int k = 0; k < 4; k++) {
                for (int l = 0; l < 4; l++) {
                    a[k][l] = fma(x[i + 4 * k + l], y[i + 4 * k + l], a[k][l]);
                }
            }
        }
        for (int k = 0; k < 4; k++) {
            h[k][0] = a[k][0] + a[k][2];
            h[k][1] = a[k][1] + a[k][3];
        }
        dot = ((h[0][0] + h[1][0]) + (h[2][0] + h[3][0])) +
              ((h[0][1] + h[1][1]) + (h[2][1] + h[3][1]));
    }
    for (size_t i = n1; i < n; i++) {
        dot += y[i] * x[i]; /* -ffp-contract=off: no fma */
    }
    return dot;
}

double cs_openblas_ddot(int kernel, size_t n, const double *x, const double *y)
{
    return kernel == MASKEVAL_DDOT_HASWELL ? ddot_haswell(n, x, y) : ddot_skylakex(n, x, y);
}

typedef struct scored {
    double score;
    int is_true;
} scored;

static int by_score(const void *a, const void *b)
{
    const double x = ((const scored *)a)->score, y = ((const scored *)b)->score;
    return (x > y) - (x < y);
}

static maskeval_status push(maskeval_ctx *ctx, scored **v, size_t *n, size_t *cap, double score,
                            int is_true)
{
    void *p = *v;
    if (maskeval_grow(&ctx->alloc, &p, cap, *n + 1, sizeof(**v)) != MASKEVAL_OK) {
        return maskeval_nomem(ctx, "computing Cityscapes AP");
    }
    *v = p;
    (*v)[*n].score = score;
    (*v)[*n].is_true = is_true;
    (*n)++;
    return MASKEVAL_OK;
}

maskeval_status cs_class_ap(maskeval_ctx *ctx, const cs_class_data *d, double t,
                            uint64_t min_region_size, int ddot_kernel, double *ap)
{
    scored *ys = NULL;
    size_t n_ys = 0, cap_ys = 0;
    size_t *by_gt = NULL, *gt0 = NULL;
    double *prec = NULL, *rec = NULL, *width = NULL;
    uint64_t hard_fn = 0;
    int have_gt = 0;
    maskeval_status st = MASKEVAL_OK;

    for (size_t g = 0; g < d->n_gts; g++) {
        have_gt |= d->gts[g].inst_id >= 1000 && d->gts[g].pixels >= min_region_size;
    }
    if (!have_gt) {
        *ap = NAN;
        return MASKEVAL_OK;
    }
    if (d->n_preds == 0) {
        *ap = 0.0;
        return MASKEVAL_OK;
    }
    /* links grouped by ground truth (counting sort; the order within a
     * ground truth does not change what is emitted) */
    gt0 = maskeval_calloc(&ctx->alloc, d->n_gts + 1, sizeof(*gt0));
    by_gt = maskeval_malloc(&ctx->alloc, (d->n_links + 1) * sizeof(*by_gt));
    if (gt0 == NULL || by_gt == NULL) {
        st = maskeval_nomem(ctx, "computing Cityscapes AP");
        goto done;
    }
    for (size_t p = 0; p < d->n_preds; p++) {
        for (size_t k = 0; k < d->preds[p].n_links; k++) {
            gt0[d->links[d->preds[p].link0 + k].gt + 1]++;
        }
    }
    for (size_t g = 0; g < d->n_gts; g++) {
        gt0[g + 1] += gt0[g];
    }
    {
        size_t *fill = maskeval_calloc(&ctx->alloc, d->n_gts + 1, sizeof(*fill));
        if (fill == NULL) {
            st = maskeval_nomem(ctx, "computing Cityscapes AP");
            goto done;
        }
        for (size_t l = 0; l < d->n_links; l++) {
            const size_t g = d->links[l].gt;
            by_gt[gt0[g] + fill[g]++] = l;
        }
        maskeval_free(&ctx->alloc, fill);
    }
    /* ground truth side: matched GTs (true, best score), extra matches (false),
     * unmatched GTs are hard false negatives */
    for (size_t g = 0; g < d->n_gts && st == MASKEVAL_OK; g++) {
        const cs_gt *gt = &d->gts[g];
        int matched = 0;
        double best = -INFINITY;
        if (!(gt->inst_id >= 1000 && gt->pixels >= min_region_size)) {
            continue;
        }
        for (size_t k = gt0[g]; k < gt0[g + 1] && st == MASKEVAL_OK; k++) {
            const cs_link *l = &d->links[by_gt[k]];
            const cs_pred *pr = &d->preds[l->pred];
            const uint64_t inter = l->inter;
            const double iou = (double)inter / (double)(gt->pixels + pr->pixels - inter);
            if (!(iou > t)) {
                continue;
            }
            if (matched) {
                /* Python max()/min(): the first argument on ties */
                const double hi = pr->conf > best ? pr->conf : best;
                const double lo = pr->conf < best ? pr->conf : best;
                best = hi;
                st = push(ctx, &ys, &n_ys, &cap_ys, lo, 0);
            } else {
                matched = 1;
                best = pr->conf;
            }
        }
        if (matched) {
            if (st == MASKEVAL_OK) {
                st = push(ctx, &ys, &n_ys, &cap_ys, best, 1);
            }
        } else {
            hard_fn++;
        }
    }
    /* prediction side: no ground truth of the class above t -> a false
     * positive unless the void / group / small-GT share of it exceeds t */
    for (size_t p = 0; p < d->n_preds && st == MASKEVAL_OK; p++) {
        const cs_pred *pr = &d->preds[p];
        int found = 0;
        uint64_t ignore = pr->void_inter;
        for (size_t q = 0; q < pr->n_links; q++) {
            const cs_link *l = &d->links[pr->link0 + q];
            const cs_gt *gt = &d->gts[l->gt];
            const double iou = (double)l->inter / (double)(gt->pixels + pr->pixels - l->inter);
            if (iou > t) {
                found = 1;
                break;
            }
        }
        if (found) {
            continue;
        }
        for (size_t q = 0; q < pr->n_links; q++) {
            const cs_link *l = &d->links[pr->link0 + q];
            const cs_gt *gt = &d->gts[l->gt];
            if (gt->inst_id < 1000) {
                ignore += l->inter;
            }
            if (gt->pixels < min_region_size) {
                ignore += l->inter;
            }
        }
        if ((double)ignore / (double)pr->pixels <= t) {
            st = push(ctx, &ys, &n_ys, &cap_ys, pr->conf, 0);
        }
    }
    if (st != MASKEVAL_OK) {
        goto done;
    }
    if (n_ys == 0) {
        /* the reference fails here (IndexError on an empty score list):
         * every ground truth missed, every prediction ignored */
        *ap = 0.0;
        goto done;
    }
    qsort(ys, n_ys, sizeof(*ys), by_score);
    {
        size_t n_true = 0, n_pts = 0, before = 0;
        for (size_t i = 0; i < n_ys; i++) {
            n_true += (size_t)ys[i].is_true;
        }
        prec = maskeval_malloc(&ctx->alloc, (n_ys + 1) * sizeof(double));
        rec = maskeval_malloc(&ctx->alloc, (n_ys + 3) * sizeof(double));
        width = maskeval_malloc(&ctx->alloc, (n_ys + 1) * sizeof(double));
        if (prec == NULL || rec == NULL || width == NULL) {
            st = maskeval_nomem(ctx, "computing Cityscapes AP");
            goto done;
        }
        for (size_t i = 0; i < n_ys; i++) {
            if (i == 0 || ys[i].score != ys[i - 1].score) {
                const double tp = (double)n_true - (double)before;
                const double fp = (double)(n_ys - i) - tp;
                const double fn = (double)before + (double)hard_fn;
                prec[n_pts] = tp / (tp + fp);
                rec[n_pts + 1] = tp / (tp + fn);
                n_pts++;
            }
            before += (size_t)ys[i].is_true;
        }
        prec[n_pts] = 1.0;
        rec[n_pts + 1] = 0.0; /* the artificial end point */
        n_pts++;
        rec[0] = rec[1];
        rec[n_pts + 1] = 0.0;
        for (size_t i = 0; i < n_pts; i++) {
            width[i] = 0.5 * rec[i] - 0.5 * rec[i + 2];
        }
        *ap = cs_openblas_ddot(ddot_kernel, n_pts, prec, width);
    }
done:
    maskeval_free(&ctx->alloc, ys);
    maskeval_free(&ctx->alloc, gt0);
    maskeval_free(&ctx->alloc, by_gt);
    maskeval_free(&ctx->alloc, prec);
    maskeval_free(&ctx->alloc, rec);
    maskeval_free(&ctx->alloc, width);
    return st;
}
