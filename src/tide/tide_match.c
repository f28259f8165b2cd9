/*
 * tide_match.c - one TIDEExample per image at threshold pos:
 *
 *  - greedy matching in score order on the same-class IoUs: the first
 *    maximal GT of the row (numpy's argmax) among those not yet taken
 *    matches when its IoU >= pos; a taken GT's column reads 0;
 *  - ignore regions, in file order: a still unmatched detection of the
 *    region's class whose crowd IoU is > pos (strict) becomes ignored;
 *  - with errors, every detection that is not a TP gets the first type
 *    whose test holds (tidecv's order): no non-crowd GT -> Bkg; best
 *    same-class IoU in [bg, pos] -> Loc; best other-class IoU >= pos ->
 *    Cls; best IoU with a matched same-class GT >= pos -> Dupe; best IoU
 *    overall <= bg -> Bkg; else Both.
 */
#include <string.h>

#include "core/threadpool.h"
#include "maskeval.h"
#include "tide/tide.h"

typedef struct match_job {
    const tide_data *d;
    double pos, bg;
    int with_errors;
    tide_match *m;
} match_job;

/* Which IoUs a row scan reads. */
enum { ROW_SAME, ROW_OTHER, ROW_USED_SAME, ROW_ALL };

/* numpy argmax over the masked row: the first maximal index. */
static size_t row_argmax(const tide_data *d, const tide_image *im, const uint8_t *gt_used,
                         size_t p, int which, double *best)
{
    const double *row = d->iou + im->iou_off + p * im->n_gt;
    const int32_t c = d->dt_cls[im->dt_off + p];
    size_t arg = 0;
    double b = 0.0;
    for (size_t g = 0; g < im->n_gt; g++) {
        const int same = d->gt_cls[im->gt_off + g] == c;
        double v;
        switch (which) {
        case ROW_SAME:
            v = same ? row[g] : 0.0;
            break;
        case ROW_OTHER:
            v = same ? 0.0 : row[g];
            break;
        case ROW_USED_SAME:
            v = same && gt_used[im->gt_off + g] ? row[g] : 0.0;
            break;
        default:
            v = row[g];
            break;
        }
        if (g == 0 || v > b) {
            b = v;
            arg = g;
        }
    }
    *best = b;
    return arg;
}

static uint8_t classify(const tide_data *d, const tide_image *im, const uint8_t *gt_used,
                        size_t p, double pos, double bg, int32_t *target)
{
    double v;
    size_t g;
    *target = -1;
    if (im->n_gt == 0) {
        return MASKEVAL_TIDE_BKG;
    }
    g = row_argmax(d, im, gt_used, p, ROW_SAME, &v);
    if (bg <= v && v <= pos) {
        *target = (int32_t)(im->gt_off + g);
        return MASKEVAL_TIDE_LOC;
    }
    g = row_argmax(d, im, gt_used, p, ROW_OTHER, &v);
    if (v >= pos) {
        *target = (int32_t)(im->gt_off + g);
        return MASKEVAL_TIDE_CLS;
    }
    (void)row_argmax(d, im, gt_used, p, ROW_USED_SAME, &v);
    if (v >= pos) {
        return MASKEVAL_TIDE_DUPE;
    }
    (void)row_argmax(d, im, gt_used, p, ROW_ALL, &v);
    if (v <= bg) {
        return MASKEVAL_TIDE_BKG;
    }
    return MASKEVAL_TIDE_BOTH;
}

static maskeval_status match_image(void *arg, size_t k, int worker, char *err, size_t errcap)
{
    match_job *job = arg;
    const tide_data *d = job->d;
    const tide_image *im = &d->img[k];
    uint8_t *state = job->m->dt_state + im->dt_off;
    uint8_t *used = job->m->gt_used + im->gt_off;
    (void)worker;
    (void)err;
    (void)errcap;
    memset(state, TIDE_FP, im->n_dt);
    memset(used, 0, im->n_gt);
    for (size_t p = 0; p < im->n_dt; p++) {
        const double *row = d->iou + im->iou_off + p * im->n_gt;
        const int32_t c = d->dt_cls[im->dt_off + p];
        size_t best_g = 0;
        double b = 0.0;
        for (size_t g = 0; g < im->n_gt; g++) {
            double v = (!used[g] && d->gt_cls[im->gt_off + g] == c) ? row[g] : 0.0;
            if (g == 0 || v > b) {
                b = v;
                best_g = g;
            }
        }
        if (im->n_gt > 0 && b >= job->pos) {
            state[p] = TIDE_TP;
            used[best_g] = 1;
        }
    }
    for (size_t r = 0; r < im->n_rg; r++) {
        const int32_t rc = d->rg_cls[im->rg_off + r];
        for (size_t p = 0; p < im->n_dt; p++) {
            if (state[p] == TIDE_FP && d->rg_iou[im->rg_iou_off + p * im->n_rg + r] > job->pos &&
                d->dt_cls[im->dt_off + p] == rc) {
                state[p] = TIDE_IGNORED;
            }
        }
    }
    if (job->with_errors) {
        for (size_t p = 0; p < im->n_dt; p++) {
            size_t s = im->dt_off + p;
            job->m->err[s] = TIDE_NO_ERROR;
            job->m->err_gt[s] = -1;
            if (state[p] != TIDE_TP) {
                job->m->err[s] = classify(d, im, job->m->gt_used, p, job->pos, job->bg,
                                          &job->m->err_gt[s]);
            }
        }
    }
    return MASKEVAL_OK;
}

maskeval_status tide_match_run(maskeval_ctx *ctx, const tide_data *d, double pos, double bg,
                               int with_errors, tide_match *m)
{
    const maskeval_alloc *a = &ctx->alloc;
    match_job job;
    if (m->dt_state == NULL) {
        m->dt_state = maskeval_malloc(a, d->n_dt + 1);
        m->gt_used = maskeval_malloc(a, d->n_gt + 1);
        m->err = maskeval_malloc(a, d->n_dt + 1);
        m->err_gt = maskeval_malloc(a, (d->n_dt + 1) * sizeof(int32_t));
        if (m->dt_state == NULL || m->gt_used == NULL || m->err == NULL || m->err_gt == NULL) {
            return maskeval_nomem(ctx, "TIDE matching");
        }
    }
    job.d = d;
    job.pos = pos;
    job.bg = bg;
    job.with_errors = with_errors;
    job.m = m;
    return maskeval_parallel_for(ctx, d->n_img, match_image, &job);
}

void tide_match_free(const maskeval_alloc *a, tide_match *m)
{
    maskeval_free(a, m->dt_state);
    maskeval_free(a, m->gt_used);
    maskeval_free(a, m->err);
    maskeval_free(a, m->err_gt);
    memset(m, 0, sizeof(*m));
}
