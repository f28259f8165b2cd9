/*
 * ious.c - the IoU stage of a COCO plan: every cell's [n_dt][n_gt] matrix.
 *
 * Box mode is pycocotools' bbIou per cell, on the CPU (a handful of flops
 * per pair: no device is ever opened for it).
 *
 * Mask mode keeps rleIou's semantics in three steps shared by every
 * backend:
 *  1. list, per image, the (detection, ground truth) pairs whose mask boxes
 *     (toBbox) have box IoU > 0 - within each cell (the CPU path), or across
 *     all categories of the image (a device, whose batches gain from it and
 *     whose counts later analyses can use);
 *  2. the backend's intersect primitive counts each pair's intersection;
 *  3. each cell's matrix is filled from its pairs, dividing in double on the
 *     host (iou.h); a pair without overlapping boxes gets 0.
 * Masks always have their image's size (checked at load), so rleIou's -1
 * for a size mismatch cannot occur.
 */
#include <string.h>

#include "backend/backend.h"
#include "backend/cost_model.h"
#include "core/threadpool.h"
#include "instance/instance.h"
#include "iou/iou.h"

/* ---- boxes -------------------------------------------------------------- */

static maskeval_status box_image(void *arg, size_t i, int worker, char *err, size_t errcap)
{
    maskeval_plan *plan = arg;
    const maskeval_gt *gt = plan->gt;
    const maskeval_dets *dets = plan->dets;
    (void)worker;
    (void)err;
    (void)errcap;
    for (size_t ci = plan->img_cells[i]; ci < plan->img_cells[i + 1]; ci++) {
        const maskeval_cell *c = &plan->cells[ci];
        double *out = plan->ious + c->iou_off;
        for (uint32_t d = 0; d < c->n_dt; d++) {
            const double *db = dets->bbox + 4 * (size_t)plan->dt_items[c->dt_off + d];
            for (uint32_t g = 0; g < c->n_gt; g++) {
                uint32_t a = plan->gt_items[c->gt_off + g];
                out[(size_t)d * c->n_gt + g] =
                    maskeval_box_iou(db, gt->ann_bbox + 4 * (size_t)a, gt->ann_crowd[a]);
            }
        }
    }
    return MASKEVAL_OK;
}

/* ---- mask pairs ----------------------------------------------------------- */

typedef struct img_lists {
    size_t dt_off, n_dt; /* into the plan-wide image det / gt lists */
    size_t gt_off, n_gt;
    size_t map_off;      /* region of n_dt * n_gt entries in map and draft */
    size_t pair_off, n_pairs;
} img_lists;

typedef struct pair_job {
    maskeval_plan *plan;
    int all_categories;
    img_lists *img;
    uint32_t *img_dt, *img_gt;    /* unique members of each image, in cell order */
    int32_t *dt_local, *gt_local; /* id -> local index within its image */
    maskeval_mask_pair *draft;    /* per image, up to n_dt * n_gt pairs */
    int32_t *map;                 /* local (d, g) -> pair index in the image, or < 0 */
    maskeval_mask_pair *pairs;    /* compacted, image order */
    uint64_t *inter;              /* per pair, from the backend */
    uint64_t *inter_band;         /* Boundary AP: per pair, the bands' intersection */
    uint32_t *band_dt, *band_gt;  /* Boundary AP: per mask, its band's area */
} pair_job;

enum { UNTESTED = -1, NO_OVERLAP = -2 };

/* Boundary AP: a pair without band intersection (band_intersections) */
#define NO_BAND UINT64_MAX

static int boxes_overlap(const maskeval_plan *plan, uint32_t d, uint32_t g)
{
    return maskeval_box_iou(plan->dets->masks.box + 4 * (size_t)d,
                            plan->gt->masks.box + 4 * (size_t)g, plan->gt->ann_crowd[g]) > 0;
}

/* Local (d, g) slot: records the pair the first time it is seen. */
static void test_pair(pair_job *job, const img_lists *L, size_t a, size_t b, size_t *np)
{
    int32_t *slot = &job->map[L->map_off + a * L->n_gt + b];
    const uint32_t d = job->img_dt[L->dt_off + a], g = job->img_gt[L->gt_off + b];
    if (*slot != UNTESTED) {
        return;
    }
    if (boxes_overlap(job->plan, d, g)) {
        maskeval_mask_pair *pr = &job->draft[L->map_off + *np];
        pr->dt = d;
        pr->gt = g;
        pr->img = (uint32_t)job->plan->dets->img[d];
        *slot = (int32_t)(*np)++;
    } else {
        *slot = NO_OVERLAP;
    }
}

/* Unique detections and ground truths of image i, then its pairs. */
static maskeval_status list_image(void *arg, size_t i, int worker, char *err, size_t errcap)
{
    pair_job *job = arg;
    const maskeval_plan *plan = job->plan;
    img_lists *L = &job->img[i];
    size_t nd = 0, ng = 0, np = 0;
    (void)worker;
    (void)err;
    (void)errcap;
    for (size_t c = plan->img_cells[i]; c < plan->img_cells[i + 1]; c++) {
        const maskeval_cell *cell = &plan->cells[c];
        for (uint32_t r = 0; r < cell->n_dt; r++) {
            uint32_t d = plan->dt_items[cell->dt_off + r];
            if (job->dt_local[d] < 0) {
                job->dt_local[d] = (int32_t)nd;
                job->img_dt[L->dt_off + nd++] = d;
            }
        }
        for (uint32_t r = 0; r < cell->n_gt; r++) {
            uint32_t g = plan->gt_items[cell->gt_off + r];
            if (job->gt_local[g] < 0) {
                job->gt_local[g] = (int32_t)ng;
                job->img_gt[L->gt_off + ng++] = g;
            }
        }
    }
    L->n_dt = nd;
    L->n_gt = ng;
    if (job->all_categories) {
        for (size_t s = 0; s < nd * ng; s++) {
            job->map[L->map_off + s] = UNTESTED;
        }
        for (size_t a = 0; a < nd; a++) {
            for (size_t b = 0; b < ng; b++) {
                test_pair(job, L, a, b, &np);
            }
        }
    } else {
        /* Within cells no map: each (detection, GT) slot of a cell's IoU
         * matrix holds its pair's index in the image (or -1: the boxes do
         * not overlap) until fill_image replaces it by the IoU. A pair that
         * repeats (a category listed twice with useCats = 0) is counted
         * twice, with the same result. */
        for (size_t c = plan->img_cells[i]; c < plan->img_cells[i + 1]; c++) {
            const maskeval_cell *cell = &plan->cells[c];
            double *slot = plan->ious + cell->iou_off;
            for (uint32_t r = 0; r < cell->n_dt; r++) {
                const uint32_t d = plan->dt_items[cell->dt_off + r];
                for (uint32_t q = 0; q < cell->n_gt; q++) {
                    const uint32_t g = plan->gt_items[cell->gt_off + q];
                    if (boxes_overlap(plan, d, g)) {
                        maskeval_mask_pair *pr = &job->draft[L->map_off + np];
                        pr->dt = d;
                        pr->gt = g;
                        pr->img = (uint32_t)plan->dets->img[d];
                        slot[(size_t)r * cell->n_gt + q] = (double)np++;
                    } else {
                        slot[(size_t)r * cell->n_gt + q] = -1.0;
                    }
                }
            }
        }
    }
    L->n_pairs = np;
    return MASKEVAL_OK;
}

static maskeval_status compact_image(void *arg, size_t i, int worker, char *err, size_t errcap)
{
    pair_job *job = arg;
    const img_lists *L = &job->img[i];
    (void)worker;
    (void)err;
    (void)errcap;
    memcpy(job->pairs + L->pair_off, job->draft + L->map_off,
           L->n_pairs * sizeof(maskeval_mask_pair));
    return MASKEVAL_OK;
}

/* Cell IoUs of image i from the pair intersections. */
static maskeval_status fill_image(void *arg, size_t i, int worker, char *err, size_t errcap)
{
    pair_job *job = arg;
    maskeval_plan *plan = job->plan;
    const maskeval_gt *gt = plan->gt;
    const maskeval_dets *dets = plan->dets;
    const img_lists *L = &job->img[i];
    (void)worker;
    (void)err;
    (void)errcap;
    for (size_t c = plan->img_cells[i]; c < plan->img_cells[i + 1]; c++) {
        const maskeval_cell *cell = &plan->cells[c];
        double *out = plan->ious + cell->iou_off;
        for (uint32_t r = 0; r < cell->n_dt; r++) {
            uint32_t d = plan->dt_items[cell->dt_off + r];
            size_t a = (size_t)job->dt_local[d];
            for (uint32_t q = 0; q < cell->n_gt; q++) {
                uint32_t g = plan->gt_items[cell->gt_off + q];
                const int64_t p =
                    job->all_categories
                        ? job->map[L->map_off + a * L->n_gt + (size_t)job->gt_local[g]]
                        : (int64_t)out[(size_t)r * cell->n_gt + q]; /* list_image's index */
                double iou =
                    p < 0 ? 0.0
                          : maskeval_iou_from_counts(job->inter[L->pair_off + (size_t)p],
                                                     dets->masks.area[d], gt->masks.area[g],
                                                     gt->ann_crowd[g]);
                if (p >= 0 && job->inter_band != NULL &&
                    job->inter_band[L->pair_off + (size_t)p] != NO_BAND) {
                    /* boundary-iou-api: min(mask IoU, band IoU) for non-crowd columns */
                    const double b = maskeval_iou_from_counts(
                        job->inter_band[L->pair_off + (size_t)p], job->band_dt[d],
                        job->band_gt[g], 0);
                    iou = b < iou ? b : iou;
                }
                out[(size_t)r * cell->n_gt + q] = iou;
            }
        }
    }
    return MASKEVAL_OK;
}

static void pair_job_free(const maskeval_alloc *a, pair_job *job)
{
    maskeval_free(a, job->img);
    maskeval_free(a, job->dt_local);
    maskeval_free(a, job->gt_local);
    maskeval_free(a, job->img_dt);
    maskeval_free(a, job->img_gt);
    maskeval_free(a, job->draft);
    maskeval_free(a, job->map);
    maskeval_free(a, job->pairs);
    maskeval_free(a, job->inter);
    maskeval_free(a, job->inter_band);
    maskeval_free(a, job->band_dt);
    maskeval_free(a, job->band_gt);
}

/* Step 1: job->pairs, job->inter (zeroed) and the per-image lists. */
static maskeval_status list_pairs(maskeval_ctx *ctx, pair_job *job, size_t *n_pairs_out)
{
    const maskeval_alloc *a = &ctx->alloc;
    const maskeval_plan *plan = job->plan;
    const size_t I = plan->ep.I;
    size_t sum_dt = 0, sum_gt = 0, n_pairs = 0, map_len = 0;
    maskeval_status st;

    job->img = maskeval_calloc(a, I + 1, sizeof(img_lists));
    job->dt_local = maskeval_malloc(a, (plan->dets->n + 1) * sizeof(int32_t));
    job->gt_local = maskeval_malloc(a, (plan->gt->n_ann + 1) * sizeof(int32_t));
    if (job->img == NULL || job->dt_local == NULL || job->gt_local == NULL) {
        return maskeval_nomem(ctx, "listing mask pairs");
    }
    memset(job->dt_local, 0xff, (plan->dets->n + 1) * sizeof(int32_t));
    memset(job->gt_local, 0xff, (plan->gt->n_ann + 1) * sizeof(int32_t));
    /* upper bounds per image: the cells' members (repeats included), and
     * the pairs: every (detection, GT) of the image across categories, or
     * within cells only the cells' matrices (far fewer with many categories:
     * LVIS images hold 300 detections and ~60 GT of dozens of categories) */
    for (size_t i = 0; i < I; i++) {
        size_t nd = 0, ng = 0, within = 0;
        for (size_t c = plan->img_cells[i]; c < plan->img_cells[i + 1]; c++) {
            nd += plan->cells[c].n_dt;
            ng += plan->cells[c].n_gt;
            within += (size_t)plan->cells[c].n_dt * plan->cells[c].n_gt;
        }
        job->img[i].dt_off = sum_dt;
        job->img[i].gt_off = sum_gt;
        job->img[i].map_off = map_len;
        sum_dt += nd;
        sum_gt += ng;
        map_len += job->all_categories ? nd * ng : within;
    }
    job->img_dt = maskeval_malloc(a, (sum_dt + 1) * sizeof(uint32_t));
    job->img_gt = maskeval_malloc(a, (sum_gt + 1) * sizeof(uint32_t));
    job->draft = maskeval_malloc(a, (map_len + 1) * sizeof(maskeval_mask_pair));
    job->map = job->all_categories ? maskeval_malloc(a, (map_len + 1) * sizeof(int32_t)) : NULL;
    if (job->img_dt == NULL || job->img_gt == NULL || job->draft == NULL ||
        (job->all_categories && job->map == NULL)) {
        return maskeval_nomem(ctx, "listing mask pairs");
    }
    maskeval_progress_stage(ctx, "IoU: listing pairs");
    st = maskeval_parallel_for(ctx, I, list_image, job);
    if (st != MASKEVAL_OK) {
        return st;
    }
    for (size_t i = 0; i < I; i++) {
        job->img[i].pair_off = n_pairs;
        n_pairs += job->img[i].n_pairs;
    }
    if (n_pairs > UINT32_MAX) {
        return maskeval_fail(ctx, MASKEVAL_ERR_LIMIT, "more than 2^32 mask pairs");
    }
    job->pairs = maskeval_malloc(a, (n_pairs + 1) * sizeof(maskeval_mask_pair));
    job->inter = maskeval_calloc(a, n_pairs + 1, sizeof(uint64_t));
    if (job->pairs == NULL || job->inter == NULL) {
        return maskeval_nomem(ctx, "listing mask pairs");
    }
    st = maskeval_parallel_for(ctx, I, compact_image, job);
    maskeval_free(a, job->draft);
    job->draft = NULL;
    *n_pairs_out = n_pairs;
    return st;
}

/* Boundary AP: band intersections for the pairs whose band can change a
 * match. A pair's IoU is min(mask IoU, band IoU) (non-crowd ground truth);
 * matching only ever takes an IoU of at least min(t, 1 - 1e-10) for some
 * threshold t, so a pair whose mask IoU is below every threshold is never
 * matched whatever its band, and keeps its mask IoU in the matrix (its
 * inter_band slot is NO_BAND); crowd columns use the mask IoU anyway. Only
 * the masks of the remaining pairs are banded. */
static maskeval_status band_intersections(maskeval_ctx *ctx, maskeval_backend_state *be,
                                          const maskeval_plan *plan, pair_job *job,
                                          const maskeval_pair_set *ps)
{
    const maskeval_alloc *a = &ctx->alloc;
    const maskeval_gt *gt = plan->gt;
    const maskeval_dets *dets = plan->dets;
    maskeval_mask_pair *sel = NULL;
    uint64_t *sel_inter = NULL;
    size_t *sel_at = NULL;
    size_t n_sel = 0;
    double t_min = maskeval_match_floor(1.0);
    maskeval_pair_set sps = *ps;
    maskeval_status st = MASKEVAL_OK;

    for (size_t t = 0; t < plan->ep.T; t++) {
        const double c = maskeval_match_floor(plan->ep.iou_thrs[t]);
        t_min = c < t_min ? c : t_min;
    }
    job->inter_band = maskeval_malloc(a, (ps->n_pairs + 1) * sizeof(uint64_t));
    job->band_dt = maskeval_calloc(a, ps->n_dt_masks + 1, sizeof(uint32_t));
    job->band_gt = maskeval_calloc(a, ps->n_gt_masks + 1, sizeof(uint32_t));
    sel = maskeval_malloc(a, (ps->n_pairs + 1) * sizeof(maskeval_mask_pair));
    sel_at = maskeval_malloc(a, (ps->n_pairs + 1) * sizeof(size_t));
    if (job->inter_band == NULL || job->band_dt == NULL || job->band_gt == NULL || sel == NULL ||
        sel_at == NULL) {
        st = maskeval_nomem(ctx, "boundary bands");
        goto done;
    }
    for (size_t k = 0; k < ps->n_pairs; k++) {
        const maskeval_mask_pair *pr = &ps->pairs[k];
        const double iou = maskeval_iou_from_counts(job->inter[k], dets->masks.area[pr->dt],
                                                    gt->masks.area[pr->gt], 0);
        job->inter_band[k] = NO_BAND;
        if (!gt->ann_crowd[pr->gt] && !(iou < t_min)) {
            sel_at[n_sel] = k;
            sel[n_sel++] = *pr;
        }
    }
    sel_inter = maskeval_calloc(a, n_sel + 1, sizeof(uint64_t));
    if (sel_inter == NULL) {
        st = maskeval_nomem(ctx, "boundary bands");
        goto done;
    }
    sps.pairs = sel;
    sps.n_pairs = n_sel;
    maskeval_log(ctx, MASKEVAL_LOG_INFO,
                 "boundary bands for %zu of %zu mask pairs (the others' mask IoU is below "
                 "every threshold, or the ground truth is a crowd)",
                 n_sel, ps->n_pairs);
    if (n_sel > 0) {
        st = be->ops->band_intersect(ctx, be, &sps, plan->ep.dilation_ratio, sel_inter,
                                     job->band_dt, job->band_gt);
    }
    for (size_t q = 0; st == MASKEVAL_OK && q < n_sel; q++) {
        job->inter_band[sel_at[q]] = sel_inter[q];
    }
done:
    maskeval_free(a, sel);
    maskeval_free(a, sel_at);
    maskeval_free(a, sel_inter);
    return st;
}

/* --backend auto's workload (cost_model.h): the runs of both masks of
 * every pair the cells need. */
static double pair_units(const maskeval_plan *plan, const pair_job *job, size_t n_pairs)
{
    double u = 0;
    for (size_t k = 0; k < n_pairs; k++) {
        u += (double)plan->dets->masks.runs[job->pairs[k].dt] +
             (double)plan->gt->masks.runs[job->pairs[k].gt];
    }
    return u;
}

static maskeval_status mask_ious(maskeval_ctx *ctx, maskeval_plan *plan)
{
    maskeval_backend_state *be = NULL;
    pair_job job;
    maskeval_pair_set ps;
    size_t n_pairs = 0;
    double t0 = maskeval_now(), t1, t2;
    maskeval_status st = MASKEVAL_OK;

    memset(&job, 0, sizeof(job));
    job.plan = plan;
    if (maskeval_backend_undecided(ctx)) {
        /* auto: the pairs the cells need decide; a device lists them again */
        st = list_pairs(ctx, &job, &n_pairs);
        if (st == MASKEVAL_OK) {
            st = maskeval_backend_get_for(
                ctx, plan->ep.dilation_ratio > 0 ? MASKEVAL_WORK_BANDS : MASKEVAL_WORK_PAIRS,
                pair_units(plan, &job, n_pairs), &be);
        }
        if (st == MASKEVAL_OK && be->ops != &maskeval_backend_cpu_ops) {
            pair_job_free(&ctx->alloc, &job);
            memset(&job, 0, sizeof(job));
            job.plan = plan;
            job.all_categories = 1;
            st = list_pairs(ctx, &job, &n_pairs);
        }
    } else {
        st = maskeval_backend_get(ctx, &be);
        /* a device batches better across categories; the CPU counts only
         * what the cells need */
        job.all_categories = st == MASKEVAL_OK && be->ops != &maskeval_backend_cpu_ops;
        if (st == MASKEVAL_OK) {
            st = list_pairs(ctx, &job, &n_pairs);
        }
    }
    t1 = maskeval_now();
    if (st == MASKEVAL_OK && n_pairs > 0) {
        ps.dt_masks = &plan->dets->masks;
        ps.gt_masks = &plan->gt->masks;
        ps.n_dt_masks = plan->dets->n;
        ps.n_gt_masks = plan->gt->n_ann;
        ps.pairs = job.pairs;
        ps.n_pairs = n_pairs;
        ps.img_h = plan->gt->img_h;
        ps.img_w = plan->gt->img_w;
        ps.img_id = plan->gt->img_id;
        maskeval_progress_stage(ctx, "IoU: intersecting masks");
        st = be->ops->intersect(ctx, be, &ps, job.inter);
        if (st == MASKEVAL_OK && plan->ep.dilation_ratio > 0) {
            st = band_intersections(ctx, be, plan, &job, &ps);
        }
    }
    t2 = maskeval_now();
    if (st == MASKEVAL_OK) {
        maskeval_progress_stage(ctx, "IoU: filling matrices");
        st = maskeval_parallel_for(ctx, plan->ep.I, fill_image, &job);
    }
    maskeval_log(ctx, MASKEVAL_LOG_INFO,
                 "%s: %zu mask pairs (%s): listing %.1f ms, intersections %.1f ms, IoU fill "
                 "%.1f ms",
                 be != NULL ? be->ops->name : "-", n_pairs, job.all_categories ? "all categories" : "within cells",
                 (t1 - t0) * 1e3, (t2 - t1) * 1e3, (maskeval_now() - t2) * 1e3);
    pair_job_free(&ctx->alloc, &job);
    return st;
}

maskeval_status maskeval_plan_ious(maskeval_ctx *ctx, maskeval_plan *plan)
{
    if (plan->ep.iou_type == MASKEVAL_IOU_KEYPOINTS) {
        return maskeval_plan_oks(ctx, plan);
    }
    plan->ious = maskeval_calloc(&ctx->alloc, plan->n_ious, sizeof(double));
    if (plan->ious == NULL) {
        return maskeval_nomem(ctx, "allocating IoU matrices");
    }
    if (plan->ep.iou_type == MASKEVAL_IOU_BBOX) {
        maskeval_progress_stage(ctx, "IoU: boxes");
        return maskeval_parallel_for(ctx, plan->ep.I, box_image, plan);
    }
    return mask_ious(ctx, plan);
}
