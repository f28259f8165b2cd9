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
 *
 * It reads only the per-image records (scores, statuses, non-ignored GT
 * counts per cell) and the resolved parameters, so a merge of partials
 * accumulates exactly as one process does.
 */
#include <stdint.h>
#include <float.h>
#include <string.h>

#include "core/sort.h"
#include "core/threadpool.h"
#include "instance/instance.h"

typedef struct acc_job {
    const maskeval_coco_partial *rec;
    const size_t *k_start;   /* [K+1] into k_cells */
    const uint32_t *k_cells; /* cells by category, image order */
    size_t k_out;            /* the K of the output arrays: ep.K, or the 4 pools */
    double *precision, *recall, *scores;
    /* per-worker scratch */
    struct acc_scratch {
        uint32_t *idx, *tmp, *cell, *rank, *srank;
        double *score, *sscore, *rc, *pr;
        uint8_t *st;  /* [A*T][n] */
        uint32_t *sel; /* [M][n]: per maxDets, the sorted entries it keeps */
        size_t *nsel;  /* [M] */
        size_t cap, at, am; /* at, am: T and M the arrays were sized for */
    } *ws;
} acc_job;

static void scratch_free(const maskeval_alloc *a, struct acc_scratch *s)
{
    maskeval_free(a, s->idx);
    maskeval_free(a, s->tmp);
    maskeval_free(a, s->cell);
    maskeval_free(a, s->rank);
    maskeval_free(a, s->srank);
    maskeval_free(a, s->score);
    maskeval_free(a, s->sscore);
    maskeval_free(a, s->st);
    maskeval_free(a, s->sel);
    maskeval_free(a, s->nsel);
    maskeval_free(a, s->rc);
    maskeval_free(a, s->pr);
    memset(s, 0, sizeof(*s));
}

static int scratch_reserve(const maskeval_alloc *a, struct acc_scratch *s, size_t n, size_t T,
                           size_t M)
{
    if (n <= s->cap) {
        return 1;
    }
    scratch_free(a, s);
    s->at = T;
    s->am = M;
    s->idx = maskeval_calloc(a, n, sizeof(uint32_t));
    s->tmp = maskeval_calloc(a, n, sizeof(uint32_t));
    s->cell = maskeval_calloc(a, n, sizeof(uint32_t));
    s->rank = maskeval_calloc(a, n, sizeof(uint32_t));
    s->srank = maskeval_calloc(a, n, sizeof(uint32_t));
    s->score = maskeval_calloc(a, n, sizeof(double));
    s->sscore = maskeval_calloc(a, n, sizeof(double));
    s->rc = maskeval_calloc(a, n, sizeof(double));
    s->pr = maskeval_calloc(a, n, sizeof(double));
    s->st = maskeval_calloc(a, n, MASKEVAL_N_AREAS * s->at);
    s->sel = maskeval_calloc(a, n, s->am * sizeof(uint32_t));
    s->nsel = maskeval_calloc(a, s->am, sizeof(size_t));
    if (s->idx == NULL || s->tmp == NULL || s->cell == NULL || s->rank == NULL ||
        s->srank == NULL || s->score == NULL || s->sscore == NULL ||
        s->rc == NULL || s->pr == NULL || s->st == NULL || s->sel == NULL ||
        s->nsel == NULL) {
        scratch_free(a, s);
        return 0;
    }
    s->cap = n;
    return 1;
}

static size_t at5(const maskeval_eparams *ep, size_t K, size_t t, size_t r, size_t k, size_t a,
                  size_t m)
{
    return (((t * ep->R + r) * K + k) * MASKEVAL_N_AREAS + a) * ep->M + m;
}

static size_t at4(const maskeval_eparams *ep, size_t K, size_t t, size_t k, size_t a, size_t m)
{
    return ((t * K + k) * MASKEVAL_N_AREAS + a) * ep->M + m;
}

/*
 * One (category, area, threshold, maxDets) curve. Only entries that add a
 * true positive change the curve in a way that matters:
 *  - recall moves only at true positives, so the first index whose recall
 *    reaches a threshold r > 0 is a true-positive entry (r = 0: index 0);
 *  - between true positives precision only falls (fp grows, ignored entries
 *    repeat it), so the right-to-left maximum at any index is the maximum
 *    over the true-positive entries at or after it.
 * Computing precision and recall at true positives gives every sampled value
 * with the same double operations numpy performs, without a division per
 * detection.
 */
static void curve(const maskeval_eparams *ep, const uint8_t *st, const uint32_t *sel, size_t nsel,
                  const double *score_sorted, uint64_t npig, struct acc_scratch *s, double *prec,
                  double *rec, double *scores, size_t stride)
{
    const double eps = DBL_EPSILON; /* np.spacing(1) = 2^-52 */
    double *const pr = s->pr, *const rc = s->rc;
    uint32_t *const tpi = s->tmp;
    double tp = 0;
    uint64_t fp = 0; /* cumsum of integers, exact as numpy's float cast */
    size_t ntp = 0;
    const int any = nsel > 0;
    const size_t first = any ? (sel != NULL ? sel[0] : 0) : SIZE_MAX; /* entry 0 of the list */
    for (size_t j = 0; j < nsel; j++) {
        const size_t i = sel != NULL ? sel[j] : j;
        const uint8_t v = st[i];
        if (v == MASKEVAL_DT_TP) {
            tp += 1;
            pr[ntp] = tp / (((double)fp + tp) + eps);
            rc[ntp] = tp / (double)npig;
            tpi[ntp] = (uint32_t)i;
            ntp++;
        } else {
            fp += v == MASKEVAL_DT_FP;
        }
    }
    *rec = any ? tp / (double)npig : 0;
    for (size_t j = ntp; j-- > 1;) {
        if (s->pr[j] > s->pr[j - 1]) {
            s->pr[j - 1] = s->pr[j];
        }
    }
    {
        /* np.searchsorted(rc, recThrs, 'left') per threshold; pycocotools'
         * loop stops at the first index past the end (its bare except), so
         * every later threshold stays 0 even if it is smaller. */
        size_t j = 0;
        int past_end = 0;
        for (size_t r = 0; r < ep->R; r++) {
            double *o = prec + r * stride, *so = scores + r * stride;
            const double thr = ep->rec_thrs[r];
            if (r > 0 && thr < ep->rec_thrs[r - 1]) {
                j = 0; /* unsorted thresholds: search again from the start */
            }
            if (!any || past_end) {
                *o = 0;
                *so = 0;
                continue;
            }
            if (!(thr > 0)) {
                /* recall >= 0 holds at entry 0, where the right-to-left
                 * maximum covers every true positive (precision is 0 before
                 * the first one) */
                *o = ntp > 0 ? s->pr[0] : 0;
                *so = score_sorted[first];
                continue;
            }
            while (j < ntp && s->rc[j] < thr) {
                j++;
            }
            if (j < ntp) {
                *o = s->pr[j];
                *so = score_sorted[s->tmp[j]];
            } else {
                *o = 0;
                *so = 0;
                past_end = 1;
            }
        }
    }
}

static maskeval_status accumulate_category(void *arg, size_t k, int worker, char *err,
                                           size_t errcap)
{
    acc_job *job = arg;
    const maskeval_coco_partial *rec = job->rec;
    const maskeval_eparams *ep = &rec->ep;
    struct acc_scratch *s = &job->ws[worker];
    const uint32_t *cells = job->k_cells + job->k_start[k];
    const size_t nc = job->k_start[k + 1] - job->k_start[k];
    size_t n = 0;

    (void)err;
    (void)errcap;
    if (nc == 0) {
        return MASKEVAL_OK; /* no evaluateImg result: stays -1 */
    }
    for (size_t j = 0; j < nc; j++) {
        n += rec->cells[cells[j]].n_dt;
    }
    if (!scratch_reserve(&rec->alloc, s, n + 1, ep->T, ep->M)) {
        return MASKEVAL_ERR_NOMEM;
    }
    /* Concatenate (image order, score order within the image), then one
     * stable sort by descending score serves every area and maxDets. */
    n = 0;
    for (size_t j = 0; j < nc; j++) {
        const maskeval_rec_cell *c = &rec->cells[cells[j]];
        for (uint32_t r = 0; r < c->n_dt; r++) {
            s->score[n] = rec->scores[c->dt_off + r];
            s->cell[n] = cells[j];
            s->rank[n] = r;
            s->idx[n] = (uint32_t)n;
            n++;
        }
    }
    maskeval_sort_desc_stable(s->idx, n, s->score, s->tmp);
    /* sorted copies of rank and score, and every entry's statuses moved
     * into one row per (area, threshold): st[(a*T + t)*n + i] */
    {
        const size_t at = MASKEVAL_N_AREAS * ep->T;
        uint8_t *const stt = s->st; /* locals: stores to uint8_t alias everything */
        const uint32_t *const idx = s->idx, *const cell = s->cell, *const rank = s->rank;
        uint32_t *const srank = s->srank;
        const double *const score = s->score;
        double *const sscore = s->sscore;
        for (size_t i = 0; i < n; i++) {
            const uint32_t e = idx[i];
            const maskeval_rec_cell *c = &rec->cells[cell[e]];
            const uint8_t *row = rec->status + (c->dt_off + rank[e]) * at;
            srank[i] = rank[e];
            sscore[i] = score[e];
            for (size_t q = 0; q < at; q++) {
                stt[q * n + i] = row[q];
            }
        }
        /* per maxDets, the sorted entries it keeps (rank < maxDet) */
        for (size_t m = 0; m < ep->M; m++) {
            uint32_t *sel = s->sel + m * n;
            size_t c = 0;
            for (size_t i = 0; i < n; i++) {
                if ((int64_t)s->srank[i] < ep->max_dets[m]) {
                    sel[c++] = (uint32_t)i;
                }
            }
            s->nsel[m] = c;
        }
    }

    for (size_t a = 0; a < MASKEVAL_N_AREAS; a++) {
        uint64_t npig = 0;
        for (size_t j = 0; j < nc; j++) {
            npig += rec->cells[cells[j]].npig[a];
        }
        if (npig == 0) {
            continue;
        }
        for (size_t t = 0; t < ep->T; t++) {
            const uint8_t *st = s->st + (a * ep->T + t) * n;
            for (size_t m = 0; m < ep->M; m++) {
                curve(ep, st, s->nsel[m] == n ? NULL : s->sel + m * n, s->nsel[m], s->sscore, npig,
                      s, job->precision + at5(ep, job->k_out, t, 0, k, a, m),
                      job->recall + at4(ep, job->k_out, t, k, a, m),
                      job->scores + at5(ep, job->k_out, t, 0, k, a, m),
                      job->k_out * MASKEVAL_N_AREAS * ep->M);
            }
        }
    }
    return MASKEVAL_OK;
}

maskeval_status maskeval_accumulate(maskeval_ctx *ctx, const maskeval_coco_partial *rec,
                                    double *precision, double *recall, double *scores)
{
    const maskeval_alloc *a = &ctx->alloc;
    const maskeval_eparams *ep = &rec->ep;
    size_t n_rec = ep->T * ep->K * MASKEVAL_N_AREAS * ep->M, n_prec = n_rec * ep->R;
    int workers = maskeval_parallel_workers(ctx, ep->K);
    size_t *k_start = maskeval_calloc(a, ep->K + 1, sizeof(size_t));
    uint32_t *k_cells = maskeval_calloc(a, rec->n_cells, sizeof(uint32_t));
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
    for (size_t c = 0; c < rec->n_cells; c++) {
        k_start[rec->cells[c].k + 1]++;
    }
    for (size_t k = 0; k < ep->K; k++) {
        k_start[k + 1] += k_start[k];
    }
    for (size_t c = 0; c < rec->n_cells; c++) {
        k_cells[k_start[rec->cells[c].k]++] = (uint32_t)c;
    }
    for (size_t k = ep->K; k > 0; k--) {
        k_start[k] = k_start[k - 1];
    }
    k_start[0] = 0;

    job.rec = rec;
    job.k_start = k_start;
    job.k_cells = k_cells;
    job.k_out = ep->K;
    job.precision = precision;
    job.recall = recall;
    job.scores = scores;
    maskeval_progress_stage(ctx, "accumulating");
    st = maskeval_parallel_for(ctx, ep->K, accumulate_category, &job);
    if (st == MASKEVAL_ERR_NOMEM) {
        st = maskeval_nomem(ctx, "accumulating");
    }
done:
    for (int w = 0; w < workers && job.ws != NULL; w++) {
        scratch_free(&rec->alloc, &job.ws[w]);
    }
    maskeval_free(a, job.ws);
    maskeval_free(a, k_start);
    maskeval_free(a, k_cells);
    return st;
}

/*
 * AP-pool: pool 0 holds every category, pools 1..3 those of frequency r, c,
 * f. Each pool's cells are taken in record order, (image, category), which
 * is the image-major concatenation of Dave et al.'s LVISPooledEval; then the
 * one stable sort and the same curves as above.
 */
maskeval_status maskeval_accumulate_pooled(maskeval_ctx *ctx, const maskeval_coco_partial *rec,
                                           double *precision)
{
    const maskeval_alloc *a = &ctx->alloc;
    const maskeval_eparams *ep = &rec->ep;
    const size_t P = 4, n_rec = ep->T * P * MASKEVAL_N_AREAS * ep->M, n_prec = n_rec * ep->R;
    int workers = maskeval_parallel_workers(ctx, P);
    size_t *k_start = maskeval_calloc(a, P + 1, sizeof(size_t));
    uint32_t *k_cells = maskeval_calloc(a, 2 * rec->n_cells + 1, sizeof(uint32_t));
    double *recall = maskeval_calloc(a, n_rec + 1, sizeof(double));
    double *scores = maskeval_calloc(a, n_prec + 1, sizeof(double));
    acc_job job;
    size_t at = 0;
    maskeval_status st = MASKEVAL_OK;

    memset(&job, 0, sizeof(job));
    job.ws = maskeval_calloc(a, workers, sizeof(*job.ws));
    if (k_start == NULL || k_cells == NULL || recall == NULL || scores == NULL ||
        job.ws == NULL || ep->k_freq == NULL) {
        st = maskeval_nomem(ctx, "accumulating pools");
        goto done;
    }
    for (size_t i = 0; i < n_prec; i++) {
        precision[i] = -1;
    }
    for (size_t p = 0; p < P; p++) {
        k_start[p] = at;
        for (size_t c = 0; c < rec->n_cells; c++) {
            if (p == 0 || ep->k_freq[rec->cells[c].k] == p - 1) {
                k_cells[at++] = (uint32_t)c;
            }
        }
    }
    k_start[P] = at;
    job.rec = rec;
    job.k_start = k_start;
    job.k_cells = k_cells;
    job.k_out = P;
    job.precision = precision;
    job.recall = recall;
    job.scores = scores;
    st = maskeval_parallel_for(ctx, P, accumulate_category, &job);
    if (st == MASKEVAL_ERR_NOMEM) {
        st = maskeval_nomem(ctx, "accumulating pools");
    }
done:
    for (int w = 0; w < workers && job.ws != NULL; w++) {
        scratch_free(&rec->alloc, &job.ws[w]);
    }
    maskeval_free(a, job.ws);
    maskeval_free(a, k_start);
    maskeval_free(a, k_cells);
    maskeval_free(a, recall);
    maskeval_free(a, scores);
    return st;
}
