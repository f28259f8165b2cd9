/*
 * backend_cpu.c - the exact CPU path: IoU matrices of every cell, in
 * parallel over images.
 *
 * Box mode is pycocotools' bbIou on the result and GT boxes. Mask mode keeps
 * rleIou's semantics: a pair whose mask boxes (toBbox) have box IoU <= 0 gets
 * 0 without pixel work; otherwise the intersection is counted on the run
 * lengths and divided on the host (iou.h). Masks always have their image's
 * size (checked at load), so rleIou's -1 for a size mismatch cannot occur.
 */
#include "backend/backend.h"

#include <string.h>

#include "core/threadpool.h"
#include "instance/instance.h"
#include "iou/iou.h"
#include "rle/rle.h"
#include "semantic/confusion.h"

typedef struct cpu_job {
    maskeval_plan *plan;
    struct cpu_scratch {
        maskeval_u32vec gt;     /* decoded GT masks of a cell, concatenated */
        maskeval_u32vec dt;     /* one decoded detection mask */
        size_t *gt_start;       /* [n_gt + 1] */
        size_t gt_cap;
    } *ws;
} cpu_job;

static void box_cell(const maskeval_plan *plan, const maskeval_cell *c, double *out)
{
    const maskeval_gt *gt = plan->gt;
    const maskeval_dets *dets = plan->dets;
    for (uint32_t d = 0; d < c->n_dt; d++) {
        const double *db = dets->bbox + 4 * (size_t)plan->dt_items[c->dt_off + d];
        for (uint32_t g = 0; g < c->n_gt; g++) {
            uint32_t a = plan->gt_items[c->gt_off + g];
            out[(size_t)d * c->n_gt + g] = maskeval_box_iou(db, gt->ann_bbox + 4 * (size_t)a,
                                                            gt->ann_crowd[a]);
        }
    }
}

static maskeval_status mask_cell(const maskeval_plan *plan, const maskeval_cell *c,
                                 struct cpu_scratch *s, double *out)
{
    const maskeval_gt *gt = plan->gt;
    const maskeval_dets *dets = plan->dets;
    const maskeval_alloc *al = &gt->alloc;
    maskeval_status st;

    if (c->n_dt == 0 || c->n_gt == 0) {
        return MASKEVAL_OK;
    }
    if (c->n_gt + 1 > s->gt_cap) {
        maskeval_free(al, s->gt_start);
        s->gt_start = maskeval_calloc(al, c->n_gt + 1, sizeof(size_t));
        s->gt_cap = s->gt_start != NULL ? c->n_gt + 1 : 0;
        if (s->gt_start == NULL) {
            return MASKEVAL_ERR_NOMEM;
        }
    }
    /* Decode the cell's GT masks once. */
    s->gt.n = 0;
    for (uint32_t g = 0; g < c->n_gt; g++) {
        uint32_t a = plan->gt_items[c->gt_off + g];
        s->gt_start[g] = s->gt.n;
        st = maskeval_u32vec_reserve(al, &s->gt, s->gt.n + gt->masks.len[a] + 1);
        if (st != MASKEVAL_OK) {
            return st;
        }
        s->gt.n += maskeval_maskset_decode_raw(&gt->masks, a, s->gt.v + s->gt.n);
    }
    s->gt_start[c->n_gt] = s->gt.n;

    for (uint32_t d = 0; d < c->n_dt; d++) {
        uint32_t di = plan->dt_items[c->dt_off + d];
        const double *db = dets->masks.box + 4 * (size_t)di;
        int decoded = 0;
        for (uint32_t g = 0; g < c->n_gt; g++) {
            uint32_t a = plan->gt_items[c->gt_off + g];
            int crowd = gt->ann_crowd[a];
            uint64_t inter;
            double *o = &out[(size_t)d * c->n_gt + g];
            if (!(maskeval_box_iou(db, gt->masks.box + 4 * (size_t)a, crowd) > 0)) {
                *o = 0.0;
                continue;
            }
            if (!decoded) {
                st = maskeval_maskset_decode(al, &dets->masks, di, &s->dt);
                if (st != MASKEVAL_OK) {
                    return st;
                }
                decoded = 1;
            }
            inter = maskeval_rle_intersection(s->dt.v, s->dt.n, s->gt.v + s->gt_start[g],
                                              s->gt_start[g + 1] - s->gt_start[g]);
            *o = maskeval_iou_from_counts(inter, dets->masks.area[di], gt->masks.area[a], crowd);
        }
    }
    return MASKEVAL_OK;
}

static maskeval_status iou_image(void *arg, size_t i, int worker, char *err, size_t errcap)
{
    cpu_job *job = arg;
    maskeval_plan *plan = job->plan;
    (void)err;
    (void)errcap;
    for (size_t ci = plan->img_cells[i]; ci < plan->img_cells[i + 1]; ci++) {
        const maskeval_cell *c = &plan->cells[ci];
        double *out = plan->ious + c->iou_off;
        if (plan->ep.iou_type == MASKEVAL_IOU_BBOX) {
            box_cell(plan, c, out);
        } else {
            maskeval_status st = mask_cell(plan, c, &job->ws[worker], out);
            if (st != MASKEVAL_OK) {
                return st;
            }
        }
    }
    return MASKEVAL_OK;
}

maskeval_status maskeval_cpu_plan_ious(maskeval_ctx *ctx, maskeval_plan *plan)
{
    const maskeval_alloc *a = &plan->gt->alloc;
    int workers = maskeval_parallel_workers(ctx, plan->ep.I);
    cpu_job job;
    maskeval_status st;

    job.plan = plan;
    job.ws = maskeval_calloc(a, workers, sizeof(*job.ws));
    if (job.ws == NULL) {
        return maskeval_nomem(ctx, "computing IoUs");
    }
    st = maskeval_parallel_for(ctx, plan->ep.I, iou_image, &job);
    if (st == MASKEVAL_ERR_NOMEM) {
        st = maskeval_nomem(ctx, "computing IoUs");
    }
    for (int w = 0; w < workers; w++) {
        maskeval_u32vec_free(a, &job.ws[w].gt);
        maskeval_u32vec_free(a, &job.ws[w].dt);
        maskeval_free(a, job.ws[w].gt_start);
    }
    maskeval_free(a, job.ws);
    return st;
}

static maskeval_status cpu_plan_ious(maskeval_ctx *ctx, maskeval_backend_state *be,
                                     maskeval_plan *plan)
{
    (void)be;
    return maskeval_cpu_plan_ious(ctx, plan);
}

static maskeval_status cpu_confusion(maskeval_ctx *ctx, maskeval_backend_state *be,
                                     maskeval_cm *cm, const maskeval_labels *items,
                                     size_t n_items)
{
    (void)be;
    for (size_t i = 0; i < n_items; i++) {
        maskeval_status st = maskeval_cm_count_cpu(&ctx->alloc, cm, &items[i]);
        if (st != MASKEVAL_OK) {
            return maskeval_nomem(ctx, "counting confusion");
        }
    }
    return MASKEVAL_OK;
}

const maskeval_backend_ops maskeval_backend_cpu_ops = {"cpu", cpu_plan_ious, cpu_confusion, NULL};
