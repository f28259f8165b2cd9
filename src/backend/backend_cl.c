/*
 * backend_cl.c - mask IoU on an OpenCL device.
 *
 * 1. For every image, the host lists every (detection, ground truth) pair
 *    whose mask boxes overlap - across categories, the full matrix later
 *    analyses need - with the same box test pycocotools' rleIou applies.
 * 2. Pairs are cut into batches that fit the device budget; each batch
 *    carries the foreground intervals of the masks it references (decoded
 *    from RLE on the host), written into pinned (mapped) staging buffers and
 *    copied to the device. Two slots alternate, so the host packs batch k+1
 *    while the device counts batch k.
 * 3. pair_intersect.cl returns the intersection count of each pair.
 * 4. The host fills each cell's IoU matrix from the pairs of its category,
 *    dividing in double exactly like the CPU path (iou.h).
 * Box IoU (bbox mode) stays on the CPU path: it is a handful of flops per pair.
 */
#include <string.h>

#include "backend/cl_backend.h"
#include "core/threadpool.h"
#include "eval/eval.h"
#include "iou/iou.h"
#include "rle/rle.h"

typedef struct pair_rec {
    uint32_t dt;  /* detection index */
    uint32_t gt;  /* annotation index */
} pair_rec;

typedef struct img_lists {
    size_t dt_off, n_dt;   /* into plan-wide image det / gt lists */
    size_t gt_off, n_gt;
    size_t pair_off, n_pairs;
    size_t map_off;        /* into the (n_dt x n_gt) pair-index maps */
} img_lists;

typedef struct pair_job {
    maskeval_plan *plan;
    img_lists *img;
    uint32_t *img_dt, *img_gt;  /* unique members of each image, in cell order */
    int32_t *dt_local, *gt_local; /* id -> local index within its image */
    pair_rec *pairs;
    int64_t *map;                 /* local (d, g) -> pair index or -1 */
    uint32_t *inter;              /* per pair, from the device */
    int count_only;
} pair_job;

/* Unique detections and ground truths of image i, and its pair count. */
static maskeval_status list_image(void *arg, size_t i, int worker, char *err, size_t errcap)
{
    pair_job *job = arg;
    const maskeval_plan *plan = job->plan;
    const maskeval_gt *gt = plan->gt;
    const maskeval_dets *dets = plan->dets;
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
    for (size_t a = 0; a < nd; a++) {
        uint32_t d = job->img_dt[L->dt_off + a];
        for (size_t b = 0; b < ng; b++) {
            uint32_t g = job->img_gt[L->gt_off + b];
            int64_t *slot = job->count_only ? NULL : &job->map[L->map_off + a * ng + b];
            if (maskeval_box_iou(dets->masks.box + 4 * (size_t)d, gt->masks.box + 4 * (size_t)g,
                                 gt->ann_crowd[g]) > 0) {
                if (!job->count_only) {
                    job->pairs[L->pair_off + np].dt = d;
                    job->pairs[L->pair_off + np].gt = g;
                    *slot = (int64_t)(L->pair_off + np);
                }
                np++;
            } else if (slot != NULL) {
                *slot = -1;
            }
        }
    }
    L->n_pairs = np;
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
                int64_t p = job->map[L->map_off + a * L->n_gt + (size_t)job->gt_local[g]];
                out[(size_t)r * cell->n_gt + q] =
                    p < 0 ? 0.0
                          : maskeval_iou_from_counts(job->inter[p], dets->masks.area[d],
                                                     gt->masks.area[g], gt->ann_crowd[g]);
            }
        }
    }
    return MASKEVAL_OK;
}

/* ---- batches ---------------------------------------------------------- */

/* One upload buffer per slot holds a batch's intervals (uint2), then the
 * mask offsets (uint), then the pairs (uint4, 16-byte aligned). */
typedef struct slot {
    cl_mem d_in, d_inter;   /* device */
    cl_mem s_in;            /* pinned staging, mapped */
    uint32_t *h_in;         /* its mapped pointer */
    size_t cap_in;          /* uints */
    size_t cap_pairs;
    int busy;
} slot;

typedef struct batcher {
    maskeval_ctx *ctx;
    maskeval_cl *cl;
    pair_job *job;
    slot slots[MASKEVAL_CL_SLOTS];
    int nslots;
    int32_t *batch_slot;   /* mask uid -> index in the current batch, stamped */
    uint32_t *stamp;
    uint32_t gen;
    uint32_t *masks;       /* uids of the current batch, in order */
    size_t n_masks, n_iv, p0, p1;
    size_t batches;
    double device_s;       /* time waiting for the device after packing */
} batcher;

/* Uints a batch of these sizes needs in the upload buffer. */
static size_t batch_uints(size_t n_iv, size_t n_masks, size_t n_pairs)
{
    size_t off = 2 * n_iv + n_masks + 1;
    off = (off + 3) & ~(size_t)3;
    return off + 4 * n_pairs;
}

/* Mask uid: annotations first, then detections. */
static void uid_mask(const batcher *b, uint32_t uid, const maskeval_maskset **ms, size_t *idx)
{
    const maskeval_plan *plan = b->job->plan;
    if (uid < plan->gt->n_ann) {
        *ms = &plan->gt->masks;
        *idx = uid;
    } else {
        *ms = &plan->dets->masks;
        *idx = uid - plan->gt->n_ann;
    }
}

static uint32_t uid_runs(const batcher *b, uint32_t uid)
{
    const maskeval_maskset *ms;
    size_t i;
    uid_mask(b, uid, &ms, &i);
    return ms->runs[i];
}

static maskeval_status slot_alloc(batcher *b, slot *s, size_t cap_in, size_t cap_pairs,
                                  int index)
{
    maskeval_ctx *ctx = b->ctx;
    maskeval_cl *cl = b->cl;
    maskeval_status st = MASKEVAL_OK;
    cl_int err = CL_SUCCESS;
    s->cap_in = cap_in;
    s->cap_pairs = cap_pairs;
    s->d_in = clCreateBuffer(cl->context, CL_MEM_READ_ONLY, cap_in * 4, NULL, &err);
    MASKEVAL_CL_CHECK(err, "allocating the mask batch buffer");
    s->d_inter = clCreateBuffer(cl->context, CL_MEM_WRITE_ONLY, cap_pairs * 4, NULL, &err);
    MASKEVAL_CL_CHECK(err, "allocating intersection counts");
    s->s_in = clCreateBuffer(cl->context, CL_MEM_ALLOC_HOST_PTR, cap_in * 4, NULL, &err);
    MASKEVAL_CL_CHECK(err, "allocating pinned staging memory");
    s->h_in = clEnqueueMapBuffer(cl->queue[index], s->s_in, CL_TRUE, CL_MAP_WRITE, 0, cap_in * 4,
                                 0, NULL, NULL, &err);
    MASKEVAL_CL_CHECK(err, "mapping pinned staging memory");
fail:
    return st;
}

static void slot_free(batcher *b, slot *s, int index)
{
    cl_command_queue q = b->cl->queue[index];
    /* Release paths never fail the caller. */
    if (s->h_in != NULL) {
        clEnqueueUnmapMemObject(q, s->s_in, s->h_in, 0, NULL, NULL);
    }
    clFinish(q);
    if (s->d_in != NULL) {
        clReleaseMemObject(s->d_in);
    }
    if (s->d_inter != NULL) {
        clReleaseMemObject(s->d_inter);
    }
    if (s->s_in != NULL) {
        clReleaseMemObject(s->s_in);
    }
    memset(s, 0, sizeof(*s));
}

#define PACK_CHUNK 2048

typedef struct pack_job {
    const batcher *b;
    uint32_t *iv, *off, *pairs;
} pack_job;

/* Tasks below the mask-chunk count decode masks into intervals; the rest
 * fill pair records. */
static maskeval_status pack_task(void *arg, size_t i, int worker, char *err, size_t errcap)
{
    const pack_job *pj = arg;
    const batcher *b = pj->b;
    const maskeval_plan *plan = b->job->plan;
    const size_t mask_tasks = (b->n_masks + PACK_CHUNK - 1) / PACK_CHUNK;
    (void)worker;
    (void)err;
    (void)errcap;
    if (i < mask_tasks) {
        size_t m1 = (i + 1) * PACK_CHUNK < b->n_masks ? (i + 1) * PACK_CHUNK : b->n_masks;
        for (size_t m = i * PACK_CHUNK; m < m1; m++) {
            const maskeval_maskset *ms;
            size_t idx;
            uid_mask(b, b->masks[m], &ms, &idx);
            maskeval_rle_str_intervals(maskeval_maskset_str(ms, idx), ms->len[idx],
                                       pj->iv + 2 * (size_t)pj->off[m]);
        }
        return MASKEVAL_OK;
    }
    {
        size_t q0 = b->p0 + (i - mask_tasks) * PACK_CHUNK;
        size_t q1 = q0 + PACK_CHUNK < b->p1 ? q0 + PACK_CHUNK : b->p1;
        for (size_t p = q0; p < q1; p++) {
            const pair_rec *pr = &b->job->pairs[p];
            const double *db = plan->dets->masks.box + 4 * (size_t)pr->dt;
            const double *gb = plan->gt->masks.box + 4 * (size_t)pr->gt;
            const int32_t img = plan->dets->img[pr->dt];
            const uint64_t h = plan->gt->img_h[img], total = h * plan->gt->img_w[img];
            /* the columns where both boxes are (boxes hold uint32 values) */
            double c0 = db[0] > gb[0] ? db[0] : gb[0];
            double c1 = (db[0] + db[2]) < (gb[0] + gb[2]) ? db[0] + db[2] : gb[0] + gb[2];
            uint64_t lo = (uint64_t)c0 * h, hi = c1 > c0 ? (uint64_t)c1 * h : lo;
            uint32_t *o = pj->pairs + 4 * (p - b->p0);
            o[0] = (uint32_t)b->batch_slot[plan->gt->n_ann + pr->dt];
            o[1] = (uint32_t)b->batch_slot[pr->gt];
            o[2] = (uint32_t)(lo < total ? lo : total);
            o[3] = (uint32_t)(hi < total ? hi : total);
        }
    }
    return MASKEVAL_OK;
}

/* Packs the current batch into slot `si` and enqueues copy, kernel, read-back. */
static maskeval_status launch(batcher *b, int si)
{
    maskeval_ctx *ctx = b->ctx;
    maskeval_cl *cl = b->cl;
    slot *s = &b->slots[si];
    cl_command_queue q = cl->queue[si];
    maskeval_status st = MASKEVAL_OK;
    const size_t n_pairs = b->p1 - b->p0;
    const size_t masks_at = 2 * b->n_iv, pairs_at = (masks_at + b->n_masks + 1 + 3) & ~(size_t)3;
    const size_t used = batch_uints(b->n_iv, b->n_masks, n_pairs);
    uint32_t *ivp = s->h_in, *offp = s->h_in + masks_at, *pp = s->h_in + pairs_at;
    size_t iv = 0, gsz, lsz = 256;
    cl_uint args[3] = {(cl_uint)masks_at, (cl_uint)pairs_at, (cl_uint)n_pairs};

    if (s->busy) {
        /* the slot's staging memory is free again once its batch is done */
        MASKEVAL_CL_CHECK(clFinish(q), "waiting for the previous batch");
        s->busy = 0;
    }
    /* offsets first (each mask's run count is known), then the threads
     * decode masks straight into the pinned staging buffer and fill pairs */
    for (size_t m = 0; m < b->n_masks; m++) {
        offp[m] = (uint32_t)iv;
        iv += uid_runs(b, b->masks[m]);
    }
    offp[b->n_masks] = (uint32_t)iv;
    {
        pack_job pj = {b, ivp, offp, pp};
        size_t tasks = (b->n_masks + PACK_CHUNK - 1) / PACK_CHUNK +
                       (n_pairs + PACK_CHUNK - 1) / PACK_CHUNK;
        maskeval_progress_stage(ctx, "IoU: packing masks");
        st = maskeval_parallel_for(ctx, tasks, pack_task, &pj);
        if (st != MASKEVAL_OK) {
            return st;
        }
    }
    MASKEVAL_CL_CHECK(clEnqueueWriteBuffer(q, s->d_in, CL_FALSE, 0, used * 4, s->h_in, 0, NULL,
                                           NULL),
                      "uploading a mask batch");
    MASKEVAL_CL_CHECK(clSetKernelArg(cl->k_pair, 0, sizeof(cl_mem), &s->d_in), "setting arguments");
    for (cl_uint k = 0; k < 3; k++) {
        MASKEVAL_CL_CHECK(clSetKernelArg(cl->k_pair, 1 + k, sizeof(cl_uint), &args[k]),
                          "setting arguments");
    }
    MASKEVAL_CL_CHECK(clSetKernelArg(cl->k_pair, 4, sizeof(cl_mem), &s->d_inter),
                      "setting arguments");
    if (lsz > cl->max_wg) {
        lsz = cl->max_wg;
    }
    gsz = (n_pairs + lsz - 1) / lsz * lsz;
    MASKEVAL_CL_CHECK(clEnqueueNDRangeKernel(q, cl->k_pair, 1, NULL, &gsz, &lsz, 0, NULL, NULL),
                      "running pair_intersect");
    MASKEVAL_CL_CHECK(clEnqueueReadBuffer(q, s->d_inter, CL_FALSE, 0, n_pairs * 4,
                                          b->job->inter + b->p0, 0, NULL, NULL),
                      "reading intersection counts");
    MASKEVAL_CL_CHECK(clFlush(q), "submitting a batch");
    s->busy = 1;
    b->batches++;
fail:
    return st;
}

static void batch_reset(batcher *b, size_t p)
{
    b->gen++;
    b->n_masks = 0;
    b->n_iv = 0;
    b->p0 = b->p1 = p;
}

static void batch_add_mask(batcher *b, uint32_t uid)
{
    if (b->stamp[uid] != b->gen) {
        b->stamp[uid] = b->gen;
        b->batch_slot[uid] = (int32_t)b->n_masks;
        b->masks[b->n_masks++] = uid;
        b->n_iv += uid_runs(b, uid);
    }
}

static maskeval_status too_small(batcher *b, uint32_t dt)
{
    const maskeval_plan *plan = b->job->plan;
    return maskeval_fail(b->ctx, MASKEVAL_ERR_LIMIT,
                         "opencl (%s): the device memory cap (%llu bytes) is too small for one "
                         "mask pair of image id %lld",
                         b->cl->info.name, (unsigned long long)b->cl->budget,
                         (long long)plan->gt->img_id[plan->dets->img[dt]]);
}

static maskeval_status run_batches(batcher *b, size_t n_pairs)
{
    maskeval_ctx *ctx = b->ctx;
    maskeval_cl *cl = b->cl;
    const maskeval_plan *plan = b->job->plan;
    const uint32_t n_ann = (uint32_t)plan->gt->n_ann;
    maskeval_status st = MASKEVAL_OK;
    size_t tot_iv = 0, tot_masks = 0, cap_in, cap_pairs, max_in;
    uint64_t slot_bytes;
    int cur = 0;

    /* Everything in one batch when it fits; else two slots of half the
     * budget each, 4/5 for the upload and 1/5 for the counts. */
    b->gen = 1;
    for (size_t p = 0; p < n_pairs; p++) {
        uint32_t u[2] = {n_ann + b->job->pairs[p].dt, b->job->pairs[p].gt};
        for (int k = 0; k < 2; k++) {
            if (b->stamp[u[k]] != b->gen) {
                b->stamp[u[k]] = b->gen;
                tot_iv += uid_runs(b, u[k]);
                tot_masks++;
            }
        }
    }
    max_in = (size_t)(cl->info.max_alloc / 4 < UINT32_MAX ? cl->info.max_alloc / 4 : UINT32_MAX);
    cap_in = batch_uints(tot_iv, tot_masks, n_pairs);
    if ((uint64_t)cap_in * 4 + (uint64_t)n_pairs * 4 <= cl->budget && cap_in <= max_in) {
        b->nslots = 1;
        cap_pairs = n_pairs;
    } else {
        b->nslots = MASKEVAL_CL_SLOTS;
        slot_bytes = cl->budget / MASKEVAL_CL_SLOTS;
        cap_in = (size_t)(slot_bytes / 5 * 4 / 4);
        cap_pairs = (size_t)(slot_bytes / 5 / 4);
        if (cap_in > max_in) {
            cap_in = max_in;
        }
        if (cap_in < 64 || cap_pairs < 1) {
            return too_small(b, b->job->pairs[0].dt);
        }
    }
    for (int s = 0; s < b->nslots; s++) {
        st = slot_alloc(b, &b->slots[s], cap_in, cap_pairs, s);
        if (st != MASKEVAL_OK) {
            return st;
        }
    }
    batch_reset(b, 0);
    for (size_t p = 0; p < n_pairs; p++) {
        uint32_t ud = n_ann + b->job->pairs[p].dt, ug = b->job->pairs[p].gt;
        size_t add_iv = 0, add_m = 0;
        if (b->stamp[ud] != b->gen) {
            add_iv += uid_runs(b, ud);
            add_m++;
        }
        if (b->stamp[ug] != b->gen) {
            add_iv += uid_runs(b, ug);
            add_m++;
        }
        if (batch_uints(b->n_iv + add_iv, b->n_masks + add_m, b->p1 - b->p0 + 1) > cap_in ||
            b->p1 - b->p0 + 1 > cap_pairs) {
            if (b->p1 == b->p0) {
                return too_small(b, ud - n_ann);
            }
            st = launch(b, cur);
            if (st != MASKEVAL_OK) {
                return st;
            }
            cur = (cur + 1) % b->nslots;
            batch_reset(b, p);
            if (batch_uints(uid_runs(b, ud) + uid_runs(b, ug), 2, 1) > cap_in) {
                return too_small(b, ud - n_ann);
            }
        }
        batch_add_mask(b, ud);
        batch_add_mask(b, ug);
        b->p1 = p + 1;
    }
    if (b->p1 > b->p0) {
        st = launch(b, cur);
    }
    {
        double tw = maskeval_now();
        for (int s = 0; s < b->nslots && st == MASKEVAL_OK; s++) {
            MASKEVAL_CL_CHECK(clFinish(cl->queue[s]), "finishing the batches");
        }
        b->device_s += maskeval_now() - tw;
    }
fail:
    return st;
}

maskeval_status maskeval_cl_plan_ious(maskeval_ctx *ctx, maskeval_cl *cl, maskeval_plan *plan)
{
    const maskeval_alloc *a = &ctx->alloc;
    const size_t I = plan->ep.I, n_uids = plan->gt->n_ann + plan->dets->n;
    pair_job job;
    batcher b;
    size_t sum_dt = 0, sum_gt = 0, n_pairs = 0, map_len = 0;
    double t_start = maskeval_now(), t_list = t_start, t_dev = t_start;
    maskeval_status st;

    if (plan->ep.iou_type == MASKEVAL_IOU_BBOX) {
        return maskeval_cpu_plan_ious(ctx, plan);
    }
    if (cl->broken) {
        return maskeval_fail(ctx, MASKEVAL_ERR_CL_RUNTIME,
                             "opencl (%s): the device failed earlier in this context",
                             cl->info.name);
    }
    memset(&job, 0, sizeof(job));
    memset(&b, 0, sizeof(b));
    job.plan = plan;
    job.img = maskeval_calloc(a, I + 1, sizeof(img_lists));
    job.dt_local = maskeval_malloc(a, (plan->dets->n + 1) * sizeof(int32_t));
    job.gt_local = maskeval_malloc(a, (plan->gt->n_ann + 1) * sizeof(int32_t));
    if (job.img == NULL || job.dt_local == NULL || job.gt_local == NULL) {
        st = maskeval_nomem(ctx, "listing mask pairs");
        goto done;
    }
    memset(job.dt_local, 0xff, (plan->dets->n + 1) * sizeof(int32_t));
    memset(job.gt_local, 0xff, (plan->gt->n_ann + 1) * sizeof(int32_t));
    for (size_t i = 0; i < I; i++) {
        job.img[i].dt_off = sum_dt;
        job.img[i].gt_off = sum_gt;
        for (size_t c = plan->img_cells[i]; c < plan->img_cells[i + 1]; c++) {
            sum_dt += plan->cells[c].n_dt;
            sum_gt += plan->cells[c].n_gt;
        }
    }
    job.img_dt = maskeval_calloc(a, sum_dt + 1, sizeof(uint32_t));
    job.img_gt = maskeval_calloc(a, sum_gt + 1, sizeof(uint32_t));
    if (job.img_dt == NULL || job.img_gt == NULL) {
        st = maskeval_nomem(ctx, "listing mask pairs");
        goto done;
    }
    /* Pass 1 counts pairs, pass 2 lists them. */
    job.count_only = 1;
    st = maskeval_parallel_for(ctx, I, list_image, &job);
    if (st != MASKEVAL_OK) {
        goto done;
    }
    for (size_t i = 0; i < I; i++) {
        job.img[i].pair_off = n_pairs;
        job.img[i].map_off = map_len;
        n_pairs += job.img[i].n_pairs;
        map_len += job.img[i].n_dt * job.img[i].n_gt;
    }
    if (n_pairs > UINT32_MAX) {
        st = maskeval_fail(ctx, MASKEVAL_ERR_LIMIT, "more than 2^32 mask pairs");
        goto done;
    }
    job.pairs = maskeval_calloc(a, n_pairs + 1, sizeof(pair_rec));
    job.map = maskeval_calloc(a, map_len + 1, sizeof(int64_t));
    job.inter = maskeval_calloc(a, n_pairs + 1, sizeof(uint32_t));
    if (job.pairs == NULL || job.map == NULL || job.inter == NULL) {
        st = maskeval_nomem(ctx, "listing mask pairs");
        goto done;
    }
    memset(job.dt_local, 0xff, (plan->dets->n + 1) * sizeof(int32_t));
    memset(job.gt_local, 0xff, (plan->gt->n_ann + 1) * sizeof(int32_t));
    job.count_only = 0;
    st = maskeval_parallel_for(ctx, I, list_image, &job);
    if (st != MASKEVAL_OK) {
        goto done;
    }

    b.ctx = ctx;
    b.cl = cl;
    b.job = &job;
    b.stamp = maskeval_calloc(a, n_uids + 1, sizeof(uint32_t));
    b.batch_slot = maskeval_calloc(a, n_uids + 1, sizeof(int32_t));
    b.masks = maskeval_calloc(a, n_uids + 1, sizeof(uint32_t));
    if (b.stamp == NULL || b.batch_slot == NULL || b.masks == NULL) {
        st = maskeval_nomem(ctx, "batching mask pairs");
        goto done;
    }
    t_list = maskeval_now();
    if (n_pairs > 0) {
        st = run_batches(&b, n_pairs);
        if (st != MASKEVAL_OK) {
            goto done;
        }
    }
    t_dev = maskeval_now();
    st = maskeval_parallel_for(ctx, I, fill_image, &job);
    maskeval_log(ctx, MASKEVAL_LOG_INFO,
                 "opencl: %zu mask pairs (all categories) in %zu batch(es): listing %.1f ms, "
                 "packing + device %.1f ms (device alone %.1f ms), IoU fill %.1f ms",
                 n_pairs, b.batches, (t_list - t_start) * 1e3, (t_dev - t_list) * 1e3,
                 b.device_s * 1e3, (maskeval_now() - t_dev) * 1e3);
done:
    for (int s = 0; s < b.nslots; s++) {
        slot_free(&b, &b.slots[s], s);
    }
    maskeval_free(a, b.stamp);
    maskeval_free(a, b.batch_slot);
    maskeval_free(a, b.masks);
    maskeval_free(a, job.img);
    maskeval_free(a, job.dt_local);
    maskeval_free(a, job.gt_local);
    maskeval_free(a, job.img_dt);
    maskeval_free(a, job.img_gt);
    maskeval_free(a, job.pairs);
    maskeval_free(a, job.map);
    maskeval_free(a, job.inter);
    return st;
}

static maskeval_status cl_plan_ious(maskeval_ctx *ctx, maskeval_backend_state *be,
                                    maskeval_plan *plan)
{
    return maskeval_cl_plan_ious(ctx, be->impl, plan);
}

static void cl_close(maskeval_ctx *ctx, maskeval_backend_state *be)
{
    maskeval_cl_close(ctx, be->impl);
    be->impl = NULL;
}

static maskeval_status cl_confusion(maskeval_ctx *ctx, maskeval_backend_state *be,
                                    struct maskeval_cm *cm, const struct maskeval_labels *items,
                                    size_t n_items)
{
    return maskeval_cl_confusion(ctx, be->impl, cm, items, n_items);
}

const maskeval_backend_ops maskeval_backend_cl_ops = {"opencl", cl_plan_ious, cl_confusion,
                                                      cl_close};
