/*
 * match.c - pycocotools' evaluateImg: per cell, area range and IoU
 * threshold, greedy matching of detections (descending score) to ground
 * truth, and the ignore flags that accumulate() reads.
 *
 * Kept exactly (each one changes numbers):
 *  - a GT is ignored when it is a crowd (ignore := iscrowd) or its JSON area
 *    lies outside [lo, hi] (inclusive bounds);
 *  - GTs are scanned non-ignored first (stable), and once a non-ignored GT
 *    is matched the scan stops at the first ignored one;
 *  - a candidate needs IoU >= the running best, which starts at
 *    min(t, 1 - 1e-10): an equal IoU later in the scan wins;
 *  - crowd GTs can be matched any number of times, others once per threshold;
 *  - a detection matched to a GT with id 0 counts as unmatched (id 0 is the
 *    "no match" sentinel), while that GT still counts as taken;
 *  - unmatched detections outside the area range are ignored.
 * Keypoints: ignore is (num_keypoints == 0) or iscrowd, crowds still match
 * several times; with useCats = 0 nothing matches, because computeOks looks
 * its cell up under category -1 and returns [] (a pycocotools quirk).
 * LVIS (spec lvis.md 3.2) differs only in what the flags hold: no GT is a
 * crowd, a GT's "ignore" field counts, and an unmatched detection is also
 * ignored when its category is not exhaustively annotated on the image.
 */
#include <string.h>

#include "core/threadpool.h"
#include "instance/instance.h"

typedef struct match_job {
    maskeval_plan *plan;
    uint32_t **gorder;   /* per worker scratch */
    uint8_t **gflags;    /* per worker: ignore[G], taken[G] */
    size_t *gcap;
    double **rowmax;     /* per worker: [D] */
    size_t *dcap;
} match_job;

static maskeval_status grow_worker(match_job *job, const maskeval_alloc *a, int w, size_t g,
                                   size_t d)
{
    if (g > job->gcap[w]) {
        maskeval_free(a, job->gorder[w]);
        maskeval_free(a, job->gflags[w]);
        job->gorder[w] = maskeval_calloc(a, g, sizeof(uint32_t));
        job->gflags[w] = maskeval_calloc(a, g, 2);
        job->gcap[w] = job->gorder[w] != NULL && job->gflags[w] != NULL ? g : 0;
        if (job->gcap[w] == 0) {
            return MASKEVAL_ERR_NOMEM;
        }
    }
    if (d > job->dcap[w]) {
        maskeval_free(a, job->rowmax[w]);
        job->rowmax[w] = maskeval_calloc(a, d, sizeof(double));
        job->dcap[w] = job->rowmax[w] != NULL ? d : 0;
        if (job->dcap[w] == 0) {
            return MASKEVAL_ERR_NOMEM;
        }
    }
    return MASKEVAL_OK;
}

static void match_cell(const maskeval_plan *plan, const maskeval_cell *c, size_t ci,
                       uint32_t *gorder, uint8_t *ig, uint8_t *taken, double *rowmax)
{
    const maskeval_eparams *ep = &plan->ep;
    const maskeval_gt *gt = plan->gt;
    const uint32_t *gi = plan->gt_items + c->gt_off;
    const uint32_t *di = plan->dt_items + c->dt_off;
    const double *ious = plan->ious + c->iou_off;
    const size_t G = c->n_gt, D = c->n_dt, T = ep->T;
    /* computeOks' [] with useCats = 0: no detection is compared with any GT */
    const int no_ious = ep->iou_type == MASKEVAL_IOU_KEYPOINTS && !ep->use_cats;

    /* A detection whose best IoU is below a threshold's starting bar matches
     * nothing there, whatever the scan order: skip its scan. A NaN IoU
     * (inf - inf in a box union) passes every `<` test, so rows holding one
     * are always scanned. */
    for (size_t d = 0; d < D; d++) {
        const double *row = ious + d * G;
        double mx = -1;
        for (size_t g = 0; g < G; g++) {
            const double v = row[g];
            if (v != v) {
                mx = 2;
                break;
            }
            mx = v > mx ? v : mx;
        }
        rowmax[d] = mx;
    }
    for (size_t a = 0; a < MASKEVAL_N_AREAS; a++) {
        const double lo = ep->area_rng[a][0], hi = ep->area_rng[a][1];
        uint8_t *status = plan->status + c->st_off + a * T; /* [d][a][t] */
        size_t n_keep = 0, p = 0;

        /* _ignore per GT and the stable order: non-ignored first. */
        for (size_t g = 0; g < G; g++) {
            double area = gt->ann_area[gi[g]];
            ig[g] = gt->ann_crowd[gi[g]] || area < lo || area > hi ||
                    ((ep->lvis || ep->dilation_ratio > 0 || ep->iou_type == MASKEVAL_IOU_KEYPOINTS) &&
                     gt->ann_ignore != NULL &&
                     gt->ann_ignore[gi[g]]);
            n_keep += !ig[g];
        }
        for (size_t g = 0; g < G; g++) {
            if (!ig[g]) {
                gorder[p++] = (uint32_t)g;
            }
        }
        for (size_t g = 0; g < G; g++) {
            if (ig[g]) {
                gorder[p++] = (uint32_t)g;
            }
        }
        plan->npig[ci * MASKEVAL_N_AREAS + a] = (uint32_t)n_keep;

        for (size_t t = 0; t < T; t++) {
            double start = maskeval_match_floor(ep->iou_thrs[t]);
            memset(taken, 0, G);
            for (size_t d = 0; d < D; d++) {
                double best = start, darea = maskeval_plan_dt_area(plan, di[d]);
                long m = -1; /* position in gorder */
                int matched_id = 0, dt_ig = 0;
                if (G > 0 && !no_ious && !(rowmax[d] < best)) {
                    const double *row = ious + d * G;
                    for (size_t q = 0; q < G; q++) {
                        uint32_t g = gorder[q];
                        if (taken[q] && !gt->ann_crowd[gi[g]]) {
                            continue;
                        }
                        if (m > -1 && !ig[gorder[m]] && ig[g]) {
                            break;
                        }
                        if (row[g] < best) {
                            continue;
                        }
                        best = row[g];
                        m = (long)q;
                    }
                }
                if (m > -1) {
                    uint32_t g = gorder[m];
                    dt_ig = ig[g];
                    matched_id = gt->ann_id[gi[g]] != 0;
                    taken[m] = 1; /* the detection's id (>= 1) is stored there */
                }
                if (!matched_id && (darea < lo || darea > hi || c->not_exhaustive)) {
                    dt_ig = 1;
                }
                status[d * MASKEVAL_N_AREAS * T + t] = dt_ig ? MASKEVAL_DT_IGNORED
                                          : matched_id ? MASKEVAL_DT_TP : MASKEVAL_DT_FP;
                if (plan->match_gt != NULL) {
                    const size_t e = c->st_off + a * T + d * MASKEVAL_N_AREAS * T + t;
                    plan->match_gt[e] = m > -1 ? gt->ann_id[gi[gorder[m]]] : 0;
                    plan->match_iou[e] = m > -1 ? ious[d * G + gorder[m]] : 0;
                }
            }
        }
    }
}

static maskeval_status match_image(void *arg, size_t i, int worker, char *err, size_t errcap)
{
    match_job *job = arg;
    maskeval_plan *plan = job->plan;
    (void)err;
    (void)errcap;
    for (size_t ci = plan->img_cells[i]; ci < plan->img_cells[i + 1]; ci++) {
        const maskeval_cell *c = &plan->cells[ci];
        if (grow_worker(job, &plan->gt->alloc, worker, c->n_gt + 1, c->n_dt + 1) != MASKEVAL_OK) {
            return MASKEVAL_ERR_NOMEM;
        }
        match_cell(plan, c, ci, job->gorder[worker], job->gflags[worker],
                   job->gflags[worker] + job->gcap[worker], job->rowmax[worker]);
    }
    return MASKEVAL_OK;
}

maskeval_status maskeval_plan_match(maskeval_ctx *ctx, maskeval_plan *plan)
{
    const maskeval_alloc *a = &ctx->alloc;
    int workers = maskeval_parallel_workers(ctx, plan->ep.I);
    match_job job;
    maskeval_status st;

    memset(&job, 0, sizeof(job));
    job.plan = plan;
    plan->status = maskeval_calloc(a, plan->n_status, 1);
    plan->npig = maskeval_calloc(a, plan->n_cells * MASKEVAL_N_AREAS, sizeof(uint32_t));
    if (plan->ep.keep_matches && plan->status != NULL) {
        plan->match_gt = maskeval_calloc(a, plan->n_status, sizeof(int64_t));
        plan->match_iou = maskeval_calloc(a, plan->n_status, sizeof(double));
        if (plan->match_gt == NULL || plan->match_iou == NULL) {
            st = maskeval_nomem(ctx, "matching");
            goto done;
        }
    }
    job.gorder = maskeval_calloc(a, workers, sizeof(uint32_t *));
    job.gflags = maskeval_calloc(a, workers, sizeof(uint8_t *));
    job.gcap = maskeval_calloc(a, workers, sizeof(size_t));
    job.rowmax = maskeval_calloc(a, workers, sizeof(double *));
    job.dcap = maskeval_calloc(a, workers, sizeof(size_t));
    if (plan->status == NULL || plan->npig == NULL || job.gorder == NULL || job.gflags == NULL ||
        job.gcap == NULL || job.rowmax == NULL || job.dcap == NULL) {
        st = maskeval_nomem(ctx, "matching");
        goto done;
    }
    maskeval_progress_stage(ctx, "matching");
    st = maskeval_parallel_for(ctx, plan->ep.I, match_image, &job);
    if (st == MASKEVAL_ERR_NOMEM) {
        st = maskeval_nomem(ctx, "matching");
    }
done:
    for (int w = 0; w < workers && job.gorder != NULL && job.gflags != NULL; w++) {
        maskeval_free(a, job.gorder[w]);
        maskeval_free(a, job.gflags[w]);
    }
    for (int w = 0; w < workers && job.rowmax != NULL; w++) {
        maskeval_free(a, job.rowmax[w]);
    }
    maskeval_free(a, job.gorder);
    maskeval_free(a, job.gflags);
    maskeval_free(a, job.gcap);
    maskeval_free(a, job.rowmax);
    maskeval_free(a, job.dcap);
    return st;
}
