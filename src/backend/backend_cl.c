/*
 * backend_cl.c - the intersect primitive on an OpenCL device: mask-pair
 * intersection counts.
 *
 * 1. The caller (instance/ious.c) lists the (detection, ground truth)
 *    pairs whose mask boxes overlap, across the categories of each image.
 * 2. Pairs are cut into batches that fit the device budget. A batch carries
 *    the compressed RLE strings of the masks it references, copied by all
 *    threads into pinned (mapped) staging memory and uploaded from there;
 *    two slots alternate, so the host packs batch k+1 while the device
 *    works on batch k.
 * 3. decode_masks expands the strings into foreground intervals on the
 *    device, pair_intersect counts each pair's intersection.
 * 4. The counts go back to the caller, who divides on the host in double
 *    exactly like the CPU path (iou.h).
 */
#include <string.h>

#include "backend/cl_backend.h"
#include "core/threadpool.h"
#include "rle/rle.h"

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
    const maskeval_pair_set *ps;
    uint32_t *inter;     /* per pair, read back from the device */
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
    if (uid < b->ps->n_gt_masks) {
        *ms = b->ps->gt_masks;
        *idx = uid;
    } else {
        *ms = b->ps->dt_masks;
        *idx = uid - b->ps->n_gt_masks;
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
    const maskeval_pair_set *ps = b->ps;
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
            const maskeval_mask_pair *pr = &ps->pairs[p];
            const double *db = ps->dt_masks->box + 4 * (size_t)pr->dt;
            const double *gb = ps->gt_masks->box + 4 * (size_t)pr->gt;
            const uint64_t h = ps->img_h[pr->img], total = h * ps->img_w[pr->img];
            /* the columns where both boxes are (boxes hold uint32 values) */
            double c0 = db[0] > gb[0] ? db[0] : gb[0];
            double c1 = (db[0] + db[2]) < (gb[0] + gb[2]) ? db[0] + db[2] : gb[0] + gb[2];
            uint64_t lo = (uint64_t)c0 * h, hi = c1 > c0 ? (uint64_t)c1 * h : lo;
            uint32_t *o = pj->pairs + 4 * (p - b->p0);
            o[0] = (uint32_t)b->batch_slot[ps->n_gt_masks + pr->dt];
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
        /* batch by batch, one growing fraction of the pairs */
        maskeval_progress_window(ctx, "IoU: intersecting masks",
                                 (double)b->p0 / (double)b->ps->n_pairs,
                                 (double)b->p1 / (double)b->ps->n_pairs);
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
                                          b->inter + b->p0, 0, NULL, NULL),
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

static maskeval_status too_small(batcher *b, size_t p)
{
    return maskeval_fail(b->ctx, MASKEVAL_ERR_LIMIT,
                         "opencl (%s): the device memory cap (%llu bytes) is too small for one "
                         "mask pair of image id %lld",
                         b->cl->info.name, (unsigned long long)b->cl->budget,
                         (long long)b->ps->img_id[b->ps->pairs[p].img]);
}

static maskeval_status run_batches(batcher *b, size_t n_pairs)
{
    maskeval_ctx *ctx = b->ctx;
    maskeval_cl *cl = b->cl;
    const uint32_t n_ann = (uint32_t)b->ps->n_gt_masks;
    const uint64_t max_alloc = cl->info.max_alloc;
    maskeval_status st = MASKEVAL_OK;
    size_t tot_iv = 0, tot_masks = 0, tot_bytes = 0;
    uint64_t need;
    int cur = 0;

    /* Everything in one batch when it fits; else two slots of half the
     * budget each, split between upload (1/2), intervals (3/8), counts (1/8). */
    b->gen = 1;
    for (size_t p = 0; p < n_pairs; p++) {
        uint32_t u[2] = {n_ann + b->ps->pairs[p].dt, b->ps->pairs[p].gt};
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
            return too_small(b, 0);
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
        uint32_t ud = n_ann + b->ps->pairs[p].dt, ug = b->ps->pairs[p].gt;
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
                return too_small(b, p);
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
                    return too_small(b, p);
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

maskeval_status maskeval_cl_intersect(maskeval_ctx *ctx, maskeval_cl *cl,
                                      const maskeval_pair_set *ps, uint64_t *inter)
{
    const maskeval_alloc *a = &ctx->alloc;
    const size_t n_uids = ps->n_gt_masks + ps->n_dt_masks;
    batcher b;
    maskeval_status st;

    if (cl->broken) {
        return maskeval_fail(ctx, MASKEVAL_ERR_CL_RUNTIME,
                             "opencl (%s): the device failed earlier in this context",
                             cl->info.name);
    }
    memset(&b, 0, sizeof(b));
    b.ctx = ctx;
    b.cl = cl;
    b.ps = ps;
    b.inter = maskeval_calloc(a, ps->n_pairs + 1, sizeof(uint32_t));
    b.stamp = maskeval_calloc(a, n_uids + 1, sizeof(uint32_t));
    b.batch_slot = maskeval_calloc(a, n_uids + 1, sizeof(int32_t));
    b.masks = maskeval_calloc(a, n_uids + 1, sizeof(uint32_t));
    if (b.inter == NULL || b.stamp == NULL || b.batch_slot == NULL || b.masks == NULL) {
        st = maskeval_nomem(ctx, "batching mask pairs");
        goto done;
    }
    st = ps->n_pairs > 0 ? run_batches(&b, ps->n_pairs) : MASKEVAL_OK;
    /* the device counts in 32 bits: masks on one image of fewer than 2^32
     * pixels (the loader's limit for this path) */
    for (size_t p = 0; st == MASKEVAL_OK && p < ps->n_pairs; p++) {
        inter[p] = b.inter[p];
    }
    maskeval_log(ctx, MASKEVAL_LOG_INFO,
                 "opencl: %zu mask pairs in %zu batch(es), device alone %.1f ms", ps->n_pairs,
                 b.batches, b.device_s * 1e3);
done:
    for (int s = 0; s < b.nslots; s++) {
        slot_free(&b, &b.slots[s], s);
    }
    maskeval_free(a, b.inter);
    maskeval_free(a, b.stamp);
    maskeval_free(a, b.batch_slot);
    maskeval_free(a, b.masks);
    return st;
}

static maskeval_status cl_intersect(maskeval_ctx *ctx, maskeval_backend_state *be,
                                    const maskeval_pair_set *ps, uint64_t *inter)
{
    return maskeval_cl_intersect(ctx, be->impl, ps, inter);
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

const maskeval_backend_ops maskeval_backend_cl_ops = {"opencl", cl_intersect, cl_confusion,
                                                      cl_close};
