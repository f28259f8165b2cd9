/*
 * accumulate.c - pycocotools' accumulate(): per category, area range and
 * maxDets, the precision / recall curves sampled at the recall thresholds.
 *
 * Kept exactly:
 *  - detections of all images are concatenated in ascending image id (the
 *    first maxDet of each), then stably sorted by descending score, so ties
 *    go to the lower image id, then to the earlier detection;
 *  - ignored detections stay in the arrays (they repeat the previous
 *    precision / recall, and the score sampled at recall 0 can be theirs);
 *  - precision = tp / ((fp + tp) + 2^-52), recall = tp / npig, in double;
 *  - precision is made non-increasing from the right, then sampled at the
 *    first index whose recall >= each threshold (searchsorted left); once
 *    the curve ends the remaining thresholds get 0, not -1;
 *  - a category / area without non-ignored GT, or without any cell, stays -1.
 *
 * One stable sort per category serves every area range and maxDets: the
 * detections with rank < maxDet in their image keep their relative order.
 */
#include <float.h>
#include <string.h>

#include "core/sort.h"
#include "core/threadpool.h"
#include "eval/eval.h"

typedef struct acc_job {
    const maskeval_plan *plan;
    const size_t *k_start;   /* [K+1] into k_cells */
    const uint32_t *k_cells; /* cells by category, image order */
    double *precision, *recall, *scores;
    /* per-worker scratch */
    struct acc_scratch {
        uint32_t *idx, *tmp, *cell, *rank;
        double *score, *rc, *pr;
        size_t cap;
    } *ws;
} acc_job;

static void scratch_free(const maskeval_alloc *a, struct acc_scratch *s)
{
    maskeval_free(a, s->idx);
    maskeval_free(a, s->tmp);
    maskeval_free(a, s->cell);
    maskeval_free(a, s->rank);
    maskeval_free(a, s->score);
    maskeval_free(a, s->rc);
    maskeval_free(a, s->pr);
    memset(s, 0, sizeof(*s));
}

static int scratch_reserve(const maskeval_alloc *a, struct acc_scratch *s, size_t n)
{
    if (n <= s->cap) {
        return 1;
    }
    scratch_free(a, s);
    s->idx = maskeval_calloc(a, n, sizeof(uint32_t));
    s->tmp = maskeval_calloc(a, n, sizeof(uint32_t));
    s->cell = maskeval_calloc(a, n, sizeof(uint32_t));
    s->rank = maskeval_calloc(a, n, sizeof(uint32_t));
    s->score = maskeval_calloc(a, n, sizeof(double));
    s->rc = maskeval_calloc(a, n, sizeof(double));
    s->pr = maskeval_calloc(a, n, sizeof(double));
    if (s->idx == NULL || s->tmp == NULL || s->cell == NULL || s->rank == NULL ||
        s->score == NULL || s->rc == NULL || s->pr == NULL) {
        scratch_free(a, s);
        return 0;
    }
    s->cap = n;
    return 1;
}

static size_t at5(const maskeval_eparams *ep, size_t t, size_t r, size_t k, size_t a, size_t m)
{
    return (((t * ep->R + r) * ep->K + k) * MASKEVAL_N_AREAS + a) * ep->M + m;
}

static size_t at4(const maskeval_eparams *ep, size_t t, size_t k, size_t a, size_t m)
{
    return ((t * ep->K + k) * MASKEVAL_N_AREAS + a) * ep->M + m;
}

static maskeval_status accumulate_category(void *arg, size_t k, int worker, char *err,
                                           size_t errcap)
{
    acc_job *job = arg;
    const maskeval_plan *plan = job->plan;
    const maskeval_eparams *ep = &plan->ep;
    struct acc_scratch *s = &job->ws[worker];
    const uint32_t *cells = job->k_cells + job->k_start[k];
    const size_t nc = job->k_start[k + 1] - job->k_start[k];
    const double eps = DBL_EPSILON; /* np.spacing(1) = 2^-52 */
    size_t n = 0;

    (void)err;
    (void)errcap;
    if (nc == 0) {
        return MASKEVAL_OK; /* no evaluateImg result: stays -1 */
    }
    for (size_t j = 0; j < nc; j++) {
        n += plan->cells[cells[j]].n_dt;
    }
    if (!scratch_reserve(&plan->gt->alloc, s, n + 1)) {
        return MASKEVAL_ERR_NOMEM;
    }
    /* Concatenate (image order, score order within the image), then one
     * stable sort by descending score. */
    n = 0;
    for (size_t j = 0; j < nc; j++) {
        const maskeval_cell *c = &plan->cells[cells[j]];
        for (uint32_t r = 0; r < c->n_dt; r++) {
            s->score[n] = plan->dets->score[plan->dt_items[c->dt_off + r]];
            s->cell[n] = cells[j];
            s->rank[n] = r;
            s->idx[n] = (uint32_t)n;
            n++;
        }
    }
    maskeval_sort_desc_stable(s->idx, n, s->score, s->tmp);

    for (size_t a = 0; a < MASKEVAL_N_AREAS; a++) {
        uint64_t npig = 0;
        for (size_t j = 0; j < nc; j++) {
            npig += plan->npig[(size_t)cells[j] * MASKEVAL_N_AREAS + a];
        }
        if (npig == 0) {
            continue;
        }
        for (size_t m = 0; m < ep->M; m++) {
            const int64_t max_det = ep->max_dets[m];
            for (size_t t = 0; t < ep->T; t++) {
                double tp = 0, fp = 0;
                size_t nd = 0;
                for (size_t i = 0; i < n; i++) {
                    uint32_t e = s->idx[i];
                    const maskeval_cell *c = &plan->cells[s->cell[e]];
                    uint8_t stt;
                    if ((int64_t)s->rank[e] >= max_det) {
                        continue;
                    }
                    stt = plan->status[c->st_off + (a * ep->T + t) * c->n_dt + s->rank[e]];
                    if (stt == MASKEVAL_DT_TP) {
                        tp += 1;
                    } else if (stt == MASKEVAL_DT_FP) {
                        fp += 1;
                    }
                    s->rc[nd] = tp / (double)npig;
                    s->pr[nd] = tp / ((fp + tp) + eps);
                    s->tmp[nd] = e; /* for the sampled score */
                    nd++;
                }
                job->recall[at4(ep, t, k, a, m)] = nd > 0 ? s->rc[nd - 1] : 0;
                for (size_t i = nd; i-- > 1;) {
                    if (s->pr[i] > s->pr[i - 1]) {
                        s->pr[i - 1] = s->pr[i];
                    }
                }
                {
                    size_t i = 0;
                    for (size_t r = 0; r < ep->R; r++) {
                        size_t o = at5(ep, t, r, k, a, m);
                        while (i < nd && s->rc[i] < ep->rec_thrs[r]) {
                            i++;
                        }
                        if (i < nd) {
                            job->precision[o] = s->pr[i];
                            job->scores[o] = s->score[s->tmp[i]];
                        } else {
                            job->precision[o] = 0;
                            job->scores[o] = 0;
                        }
                    }
                }
            }
        }
    }
    return MASKEVAL_OK;
}

maskeval_status maskeval_accumulate(maskeval_ctx *ctx, const maskeval_plan *plan,
                                    double *precision, double *recall, double *scores)
{
    const maskeval_alloc *a = &ctx->alloc;
    const maskeval_eparams *ep = &plan->ep;
    size_t n_rec = ep->T * ep->K * MASKEVAL_N_AREAS * ep->M, n_prec = n_rec * ep->R;
    int workers = maskeval_parallel_workers(ctx, ep->K);
    size_t *k_start = maskeval_calloc(a, ep->K + 1, sizeof(size_t));
    uint32_t *k_cells = maskeval_calloc(a, plan->n_cells, sizeof(uint32_t));
    acc_job job;
    maskeval_status st = MASKEVAL_OK;

    memset(&job, 0, sizeof(job));
    job.ws = maskeval_calloc(a, workers, sizeof(*job.ws));
    if (k_start == NULL || k_cells == NULL || job.ws == NULL) {
        st = maskeval_nomem(ctx, "accumulating");
        goto done;
    }
    for (size_t i = 0; i < n_prec; i++) {
        precision[i] = -1;
        scores[i] = -1;
    }
    for (size_t i = 0; i < n_rec; i++) {
        recall[i] = -1;
    }
    /* Cells grouped by category, keeping image order (counting sort). */
    for (size_t c = 0; c < plan->n_cells; c++) {
        k_start[plan->cells[c].k + 1]++;
    }
    for (size_t k = 0; k < ep->K; k++) {
        k_start[k + 1] += k_start[k];
    }
    for (size_t c = 0; c < plan->n_cells; c++) {
        k_cells[k_start[plan->cells[c].k]++] = (uint32_t)c;
    }
    for (size_t k = ep->K; k > 0; k--) {
        k_start[k] = k_start[k - 1];
    }
    k_start[0] = 0;

    job.plan = plan;
    job.k_start = k_start;
    job.k_cells = k_cells;
    job.precision = precision;
    job.recall = recall;
    job.scores = scores;
    st = maskeval_parallel_for(ctx, ep->K, accumulate_category, &job);
    if (st == MASKEVAL_ERR_NOMEM) {
        st = maskeval_nomem(ctx, "accumulating");
    }
done:
    for (int w = 0; w < workers && job.ws != NULL; w++) {
        scratch_free(&plan->gt->alloc, &job.ws[w]);
    }
    maskeval_free(a, job.ws);
    maskeval_free(a, k_start);
    maskeval_free(a, k_cells);
    return st;
}
