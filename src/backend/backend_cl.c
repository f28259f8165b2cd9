/*
 * backend_cl.c - mask IoU on an OpenCL device.
 *
 * 1. For every image, the host lists every (detection, ground truth) pair
 *    whose mask boxes overlap - across categories, the full matrix later
 *    analyses need - with the same box test pycocotools' rleIou applies.
 * 2. Pairs are cut into batches that fit the device budget. A batch carries
 *    the compressed RLE strings of the masks it references, copied by all
 *    threads into pinned (mapped) staging memory and uploaded from there;
 *    two slots alternate, so the host packs batch k+1 while the device
 *    works on batch k.
 * 3. decode_masks expands the strings into foreground intervals on the
 *    device, pair_intersect counts each pair's intersection.
 * 4. The host fills each cell's IoU matrix from the pairs of its category,
 *    dividing in double exactly like the CPU path (iou.h).
 * Box IoU never comes here: backend.c keeps it on the CPU (a handful of flops per pair).
 */
#include <string.h>

#include "backend/cl_backend.h"
#include "core/threadpool.h"
#include "instance/instance.h"
#include "iou/iou.h"
#include "rle/rle.h"

typedef struct pair_rec {
    uint32_t dt; /* detection index */
    uint32_t gt; /* annotation index */
} pair_rec;

typedef struct img_lists {
    size_t dt_off, n_dt; /* into the plan-wide image det / gt lists */
    size_t gt_off, n_gt;
    size_t map_off;      /* region of n_dt * n_gt entries in map and staging pairs */
    size_t pair_off, n_pairs;
} img_lists;

typedef struct pair_job {
    maskeval_plan *plan;
    img_lists *img;
    uint32_t *img_dt, *img_gt;    /* unique members of each image, in cell order */
    int32_t *dt_local, *gt_local; /* id -> local index within its image */
    pair_rec *draft;              /* per image, up to n_dt * n_gt pairs */
    int32_t *map;                 /* local (d, g) -> pair index in the image, or -1 */
    pair_rec *pairs;              /* compacted, image order */
    uint32_t *inter;              /* per pair, from the device */
} pair_job;

/* Unique detections and ground truths of image i and its pairs (one pass:
 * the image's region holds every possible pair). */
static maskeval_status list_image(void *arg, size_t i, int worker, char *err, size_t errcap)
{
    pair_job *job = arg;
    const maskeval_plan *plan = job->plan;
    const maskeval_gt *gt = plan->gt;
    const maskeval_dets *dets = plan->dets;
    img_lists *L = &job->img[i];
    pair_rec *draft = job->draft + L->map_off;
    int32_t *map = job->map + L->map_off;
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
        const double *db = dets->masks.box + 4 * (size_t)d;
        for (size_t b = 0; b < ng; b++) {
            uint32_t g = job->img_gt[L->gt_off + b];
            if (maskeval_box_iou(db, gt->masks.box + 4 * (size_t)g, gt->ann_crowd[g]) > 0) {
                draft[np].dt = d;
                draft[np].gt = g;
                map[a * ng + b] = (int32_t)np++;
            } else {
                map[a * ng + b] = -1;
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
    memcpy(job->pairs + L->pair_off, job->draft + L->map_off, L->n_pairs * sizeof(pair_rec));
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
                int32_t p = job->map[L->map_off + a * L->n_gt + (size_t)job->gt_local[g]];
                out[(size_t)r * cell->n_gt + q] =
                    p < 0 ? 0.0
                          : maskeval_iou_from_counts(job->inter[L->pair_off + (size_t)p],
                                                     dets->masks.area[d], gt->masks.area[g],
                                                     gt->ann_crowd[g]);
            }
        }
    }
    return MASKEVAL_OK;
}

/* ---- batches ---------------------------------------------------------- */

/* Per slot: one upload buffer (strings, then string and interval offsets,
 * then pairs), the decoded intervals and the counts, both device-only. */
typedef struct slot {
    cl_mem d_in, d_iv, d_inter; /* device */
    cl_mem s_in;                /* pinned staging, mapped */
    uint32_t *h_in;             /* its mapped pointer */
    int busy;
} slot;

typedef struct caps {
    size_t in_words, iv, pairs; /* capacities: upload words, intervals, pairs */
} caps;

typedef struct batcher {
    maskeval_ctx *ctx;
    maskeval_cl *cl;
    pair_job *job;
    slot slots[MASKEVAL_CL_SLOTS];
    int nslots;
    caps cap;
    int32_t *batch_slot; /* mask uid -> index in the current batch, stamped */
    uint32_t *stamp;
    uint32_t gen;
    uint32_t *masks;     /* uids of the current batch, in order */
    size_t n_masks, n_iv, n_bytes, p0, p1;
    size_t batches;
    double device_s;     /* time waiting for the device after packing */
} batcher;

/* Upload words for a batch of these sizes. */
static size_t in_words(size_t n_bytes, size_t n_masks, size_t n_pairs)
{
    size_t w = (n_bytes + 3) / 4 + 2 * (n_masks + 1);
    w = (w + 3) & ~(size_t)3; /* pairs are uint4 */
    return w + 4 * n_pairs;
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

static void uid_size(const batcher *b, uint32_t uid, size_t *runs, size_t *bytes)
{
    const maskeval_maskset *ms;
    size_t i;
    uid_mask(b, uid, &ms, &i);
    *runs = ms->runs[i];
    *bytes = ms->len[i];
}

static maskeval_status slot_alloc(batcher *b, slot *s, int index)
{
    maskeval_ctx *ctx = b->ctx;
    maskeval_cl *cl = b->cl;
    maskeval_status st = MASKEVAL_OK;
    cl_int err = CL_SUCCESS;
    const size_t in_bytes = b->cap.in_words * 4;
    s->d_in = clCreateBuffer(cl->context, CL_MEM_READ_ONLY, in_bytes, NULL, &err);
    MASKEVAL_CL_CHECK(err, "allocating the mask batch buffer");
    s->d_iv = clCreateBuffer(cl->context, CL_MEM_READ_WRITE, (b->cap.iv + 1) * 8, NULL, &err);
    MASKEVAL_CL_CHECK(err, "allocating mask intervals");
    s->d_inter = clCreateBuffer(cl->context, CL_MEM_WRITE_ONLY, (b->cap.pairs + 1) * 4, NULL, &err);
    MASKEVAL_CL_CHECK(err, "allocating intersection counts");
    s->s_in = clCreateBuffer(cl->context, CL_MEM_ALLOC_HOST_PTR, in_bytes, NULL, &err);
    MASKEVAL_CL_CHECK(err, "allocating pinned staging memory");
    s->h_in = clEnqueueMapBuffer(cl->queue[index], s->s_in, CL_TRUE, CL_MAP_WRITE, 0, in_bytes, 0,
                                 NULL, NULL, &err);
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
    cl_mem mems[4] = {s->d_in, s->d_iv, s->d_inter, s->s_in};
    for (int k = 0; k < 4; k++) {
        if (mems[k] != NULL) {
            clReleaseMemObject(mems[k]);
        }
    }
    memset(s, 0, sizeof(*s));
}

#define PACK_CHUNK 2048

typedef struct pack_job {
    const batcher *b;
    uint8_t *str;
    const uint32_t *str_off;
    uint32_t *pairs;
} pack_job;

/* Tasks below the mask-chunk count copy strings into staging; the rest fill
 * pair records. */
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
            memcpy(pj->str + pj->str_off[m], maskeval_maskset_str(ms, idx), ms->len[idx]);
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

/* Packs the current batch into slot `si` and enqueues upload, decode,
 * intersections and read-back. */
static maskeval_status launch(batcher *b, int si)
{
    maskeval_ctx *ctx = b->ctx;
    maskeval_cl *cl = b->cl;
    slot *s = &b->slots[si];
    cl_command_queue q = cl->queue[si];
    maskeval_status st = MASKEVAL_OK;
    const size_t n_pairs = b->p1 - b->p0, n_masks = b->n_masks;
    const size_t stroff_at = (b->n_bytes + 3) / 4, ivoff_at = stroff_at + n_masks + 1;
    const size_t pairs_at = (ivoff_at + n_masks + 1 + 3) & ~(size_t)3;
    const size_t used = in_words(b->n_bytes, n_masks, n_pairs);
    uint32_t *str_off = s->h_in + stroff_at, *iv_off = s->h_in + ivoff_at;
    size_t lsz = 256, gsz;
    cl_uint a_stroff = (cl_uint)stroff_at, a_ivoff = (cl_uint)ivoff_at, a_pairs = (cl_uint)pairs_at;
    cl_uint a_masks = (cl_uint)n_masks, a_npairs = (cl_uint)n_pairs;

    if (s->busy) {
        /* the slot's staging memory is free again once its batch is done */
        MASKEVAL_CL_CHECK(clFinish(q), "waiting for the previous batch");
        s->busy = 0;
    }
    /* offsets (known sizes), then all threads copy strings and fill pairs */
    {
        size_t bytes = 0, iv = 0;
        for (size_t m = 0; m < n_masks; m++) {
            size_t r, l;
            uid_size(b, b->masks[m], &r, &l);
            str_off[m] = (uint32_t)bytes;
            iv_off[m] = (uint32_t)iv;
            bytes += l;
            iv += r;
        }
        str_off[n_masks] = (uint32_t)bytes;
        iv_off[n_masks] = (uint32_t)iv;
    }
    {
        pack_job pj = {b, (uint8_t *)s->h_in, str_off, s->h_in + pairs_at};
        size_t tasks = (n_masks + PACK_CHUNK - 1) / PACK_CHUNK + (n_pairs + PACK_CHUNK - 1) / PACK_CHUNK;
        maskeval_progress_stage(ctx, "IoU: packing masks");
        st = maskeval_parallel_for(ctx, tasks, pack_task, &pj);
        if (st != MASKEVAL_OK) {
            return st;
        }
    }
    MASKEVAL_CL_CHECK(clEnqueueWriteBuffer(q, s->d_in, CL_FALSE, 0, used * 4, s->h_in, 0, NULL,
                                           NULL),
                      "uploading a mask batch");
    if (lsz > cl->max_wg) {
        lsz = cl->max_wg;
    }
    MASKEVAL_CL_CHECK(clSetKernelArg(cl->k_decode, 0, sizeof(cl_mem), &s->d_in), "setting arguments");
    MASKEVAL_CL_CHECK(clSetKernelArg(cl->k_decode, 1, sizeof(cl_uint), &a_stroff),
                      "setting arguments");
    MASKEVAL_CL_CHECK(clSetKernelArg(cl->k_decode, 2, sizeof(cl_uint), &a_ivoff),
                      "setting arguments");
    MASKEVAL_CL_CHECK(clSetKernelArg(cl->k_decode, 3, sizeof(cl_uint), &a_masks),
                      "setting arguments");
    MASKEVAL_CL_CHECK(clSetKernelArg(cl->k_decode, 4, sizeof(cl_mem), &s->d_iv), "setting arguments");
    gsz = (n_masks + lsz - 1) / lsz * lsz;
    MASKEVAL_CL_CHECK(clEnqueueNDRangeKernel(q, cl->k_decode, 1, NULL, &gsz, &lsz, 0, NULL, NULL),
                      "running decode_masks");
    MASKEVAL_CL_CHECK(clSetKernelArg(cl->k_pair, 0, sizeof(cl_mem), &s->d_iv), "setting arguments");
    MASKEVAL_CL_CHECK(clSetKernelArg(cl->k_pair, 1, sizeof(cl_mem), &s->d_in), "setting arguments");
    MASKEVAL_CL_CHECK(clSetKernelArg(cl->k_pair, 2, sizeof(cl_uint), &a_ivoff), "setting arguments");
    MASKEVAL_CL_CHECK(clSetKernelArg(cl->k_pair, 3, sizeof(cl_uint), &a_pairs), "setting arguments");
    MASKEVAL_CL_CHECK(clSetKernelArg(cl->k_pair, 4, sizeof(cl_uint), &a_npairs),
                      "setting arguments");
    MASKEVAL_CL_CHECK(clSetKernelArg(cl->k_pair, 5, sizeof(cl_mem), &s->d_inter),
                      "setting arguments");
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
    b->n_bytes = 0;
    b->p0 = b->p1 = p;
}

static void batch_add_mask(batcher *b, uint32_t uid)
{
    if (b->stamp[uid] != b->gen) {
        size_t r, l;
        uid_size(b, uid, &r, &l);
        b->stamp[uid] = b->gen;
        b->batch_slot[uid] = (int32_t)b->n_masks;
        b->masks[b->n_masks++] = uid;
        b->n_iv += r;
        b->n_bytes += l;
    }
}

/* Whether the batch still fits after adding these. */
static int fits(const batcher *b, size_t bytes, size_t masks, size_t iv, size_t pairs)
{
    return in_words(b->n_bytes + bytes, b->n_masks + masks, b->p1 - b->p0 + pairs) <=
               b->cap.in_words &&
           b->n_iv + iv <= b->cap.iv && b->p1 - b->p0 + pairs <= b->cap.pairs;
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
    const uint64_t max_alloc = cl->info.max_alloc;
    maskeval_status st = MASKEVAL_OK;
    size_t tot_iv = 0, tot_masks = 0, tot_bytes = 0;
    uint64_t need;
    int cur = 0;

    /* Everything in one batch when it fits; else two slots of half the
     * budget each, split between upload (1/2), intervals (3/8), counts (1/8). */
    b->gen = 1;
    for (size_t p = 0; p < n_pairs; p++) {
        uint32_t u[2] = {n_ann + b->job->pairs[p].dt, b->job->pairs[p].gt};
        for (int k = 0; k < 2; k++) {
            if (b->stamp[u[k]] != b->gen) {
                size_t r, l;
                uid_size(b, u[k], &r, &l);
                b->stamp[u[k]] = b->gen;
                tot_iv += r;
                tot_bytes += l;
                tot_masks++;
            }
        }
    }
    b->cap.in_words = in_words(tot_bytes, tot_masks, n_pairs);
    b->cap.iv = tot_iv;
    b->cap.pairs = n_pairs;
    need = (uint64_t)b->cap.in_words * 4 + (uint64_t)tot_iv * 8 + (uint64_t)n_pairs * 4;
    if (need <= cl->budget && (uint64_t)b->cap.in_words * 4 <= max_alloc &&
        (uint64_t)tot_iv * 8 <= max_alloc && b->cap.in_words <= UINT32_MAX) {
        b->nslots = 1;
    } else {
        uint64_t slot_bytes = cl->budget / MASKEVAL_CL_SLOTS;
        uint64_t in_b = slot_bytes / 2, iv_b = slot_bytes / 8 * 3, pr_b = slot_bytes / 8;
        in_b = in_b < max_alloc ? in_b : max_alloc;
        iv_b = iv_b < max_alloc ? iv_b : max_alloc;
        b->nslots = MASKEVAL_CL_SLOTS;
        b->cap.in_words = (size_t)(in_b / 4 < UINT32_MAX ? in_b / 4 : UINT32_MAX);
        b->cap.iv = (size_t)(iv_b / 8);
        b->cap.pairs = (size_t)(pr_b / 4);
        if (b->cap.in_words < 64 || b->cap.iv < 1 || b->cap.pairs < 1) {
            return too_small(b, b->job->pairs[0].dt);
        }
    }
    for (int s = 0; s < b->nslots; s++) {
        st = slot_alloc(b, &b->slots[s], s);
        if (st != MASKEVAL_OK) {
            return st;
        }
    }
    batch_reset(b, 0);
    for (size_t p = 0; p < n_pairs; p++) {
        uint32_t ud = n_ann + b->job->pairs[p].dt, ug = b->job->pairs[p].gt;
        size_t add_iv = 0, add_b = 0, add_m = 0;
        for (int k = 0; k < 2; k++) {
            uint32_t u = k == 0 ? ud : ug;
            if (b->stamp[u] != b->gen) {
                size_t r, l;
                uid_size(b, u, &r, &l);
                add_iv += r;
                add_b += l;
                add_m++;
            }
        }
        if (!fits(b, add_b, add_m, add_iv, 1)) {
            if (b->p1 == b->p0) {
                return too_small(b, ud - n_ann);
            }
            st = launch(b, cur);
            if (st != MASKEVAL_OK) {
                return st;
            }
            cur = (cur + 1) % b->nslots;
            batch_reset(b, p);
            {
                size_t r1, l1, r2, l2;
                uid_size(b, ud, &r1, &l1);
                uid_size(b, ug, &r2, &l2);
                if (!fits(b, l1 + l2, 2, r1 + r2, 1)) {
                    return too_small(b, ud - n_ann);
                }
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
    /* upper bounds per image: the cells' members (repeats included) */
    for (size_t i = 0; i < I; i++) {
        size_t nd = 0, ng = 0;
        for (size_t c = plan->img_cells[i]; c < plan->img_cells[i + 1]; c++) {
            nd += plan->cells[c].n_dt;
            ng += plan->cells[c].n_gt;
        }
        job.img[i].dt_off = sum_dt;
        job.img[i].gt_off = sum_gt;
        job.img[i].map_off = map_len;
        sum_dt += nd;
        sum_gt += ng;
        map_len += nd * ng;
    }
    job.img_dt = maskeval_malloc(a, (sum_dt + 1) * sizeof(uint32_t));
    job.img_gt = maskeval_malloc(a, (sum_gt + 1) * sizeof(uint32_t));
    job.draft = maskeval_malloc(a, (map_len + 1) * sizeof(pair_rec));
    job.map = maskeval_malloc(a, (map_len + 1) * sizeof(int32_t));
    if (job.img_dt == NULL || job.img_gt == NULL || job.draft == NULL || job.map == NULL) {
        st = maskeval_nomem(ctx, "listing mask pairs");
        goto done;
    }
    maskeval_progress_stage(ctx, "IoU: listing pairs");
    st = maskeval_parallel_for(ctx, I, list_image, &job);
    if (st != MASKEVAL_OK) {
        goto done;
    }
    for (size_t i = 0; i < I; i++) {
        job.img[i].pair_off = n_pairs;
        n_pairs += job.img[i].n_pairs;
    }
    if (n_pairs > UINT32_MAX) {
        st = maskeval_fail(ctx, MASKEVAL_ERR_LIMIT, "more than 2^32 mask pairs");
        goto done;
    }
    job.pairs = maskeval_malloc(a, (n_pairs + 1) * sizeof(pair_rec));
    job.inter = maskeval_calloc(a, n_pairs + 1, sizeof(uint32_t));
    if (job.pairs == NULL || job.inter == NULL) {
        st = maskeval_nomem(ctx, "listing mask pairs");
        goto done;
    }
    st = maskeval_parallel_for(ctx, I, compact_image, &job);
    maskeval_free(a, job.draft);
    job.draft = NULL;
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
    maskeval_free(a, job.draft);
    maskeval_free(a, job.map);
    maskeval_free(a, job.pairs);
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
