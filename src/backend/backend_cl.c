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
 * Boundary AP runs the same batches with another step: mask_bands.cl turns
 * each decoded mask into its boundary band's intervals, in a slot sized
 * from the mask's runs and box columns, and pair_intersect counts the
 * bands' intersections (instead of the masks', which the caller has); the
 * band areas come back per mask.
 */
#include <string.h>

#include "backend/cl_backend.h"
#include "backend/cl_sources.h"
#include "core/threadpool.h"
#include "raster/band.h"
#include "rle/rle.h"

/* ---- batches ---------------------------------------------------------- */

/* Per slot: one upload buffer (strings, then string and interval offsets,
 * then pairs; for bands, then per-mask image sizes and band slot offsets),
 * the decoded intervals and the counts, both device-only. */
typedef struct slot {
    cl_mem d_in, d_iv, d_inter; /* device */
    cl_mem d_band, d_barea;     /* bands: intervals, areas (their counts go to d_inter) */
    cl_mem s_in;                /* pinned staging, mapped */
    uint32_t *h_in;             /* its mapped pointer */
    uint32_t *h_barea, *h_uids; /* bands: areas read back, and whose */
    size_t h_n;
    int busy;
} slot;

typedef struct caps {
    size_t in_words, iv, pairs; /* capacities: upload words, intervals, pairs */
    size_t band, masks;         /* bands: band intervals, masks */
} caps;

typedef struct batcher {
    maskeval_ctx *ctx;
    maskeval_cl *cl;
    const maskeval_pair_set *ps;
    uint32_t *inter;     /* per pair, read back from the device (with bands: the bands') */
    double ratio;        /* bands: > 0 for Boundary AP */
    uint32_t *dt_area, *gt_area;  /* bands: per mask, the caller's */
    uint32_t *uid_img;   /* bands: the image of each mask uid (from its pairs) */
    slot slots[MASKEVAL_CL_SLOTS];
    int nslots;
    caps cap;
    int32_t *batch_slot; /* mask uid -> index in the current batch, stamped */
    uint32_t *stamp;
    uint32_t gen;
    uint32_t *masks;     /* uids of the current batch, in order */
    size_t n_masks, n_iv, n_band, n_bytes, p0, p1;
    size_t batches;
    double device_s;     /* time waiting for the device after packing */
} batcher;

/* Upload words for a batch of these sizes. */
static size_t in_words(const batcher *b, size_t n_bytes, size_t n_masks, size_t n_pairs)
{
    size_t w = (n_bytes + 3) / 4 + 2 * (n_masks + 1);
    w = (w + 3) & ~(size_t)3; /* pairs are uint4 */
    w += 4 * n_pairs;
    return b->ratio > 0 ? w + 4 * n_masks + n_masks + 1 : w;
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

/* Room for a mask's band (in intervals): each column of its box holds at
 * most its runs there plus as many eroded intervals, and its runs over all
 * columns are at most the mask's runs plus one per column boundary they
 * cross; then mask_bands.cl's eight uints per box column. */
static size_t band_room(const maskeval_maskset *ms, size_t i)
{
    const double w = ms->box[4 * i + 2];
    const size_t cw = w > 0 && w < 4294967296.0 ? (size_t)w : 0;
    if (ms->runs[i] == 0) {
        return 0;
    }
    return 2 * ((size_t)ms->runs[i] + cw + 1) + 4 * cw + 3;
}

static void uid_size(const batcher *b, uint32_t uid, size_t *runs, size_t *bytes, size_t *band)
{
    const maskeval_maskset *ms;
    size_t i;
    uid_mask(b, uid, &ms, &i);
    *runs = ms->runs[i];
    *bytes = ms->len[i];
    *band = b->ratio > 0 ? band_room(ms, i) : 0;
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
    if (b->ratio > 0) {
        s->d_band = clCreateBuffer(cl->context, CL_MEM_READ_WRITE, (b->cap.band + 1) * 8, NULL,
                                   &err);
        MASKEVAL_CL_CHECK(err, "allocating boundary bands");
        s->d_barea = clCreateBuffer(cl->context, CL_MEM_WRITE_ONLY, (b->cap.masks + 1) * 4, NULL,
                                    &err);
        MASKEVAL_CL_CHECK(err, "allocating band areas");
        s->h_barea = maskeval_malloc(&ctx->alloc, (b->cap.masks + 1) * sizeof(uint32_t));
        s->h_uids = maskeval_malloc(&ctx->alloc, (b->cap.masks + 1) * sizeof(uint32_t));
        if (s->h_barea == NULL || s->h_uids == NULL) {
            return maskeval_nomem(ctx, "batching boundary bands");
        }
    }
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
    cl_mem mems[6] = {s->d_in, s->d_iv, s->d_inter, s->s_in, s->d_band, s->d_barea};
    for (int k = 0; k < 6; k++) {
        if (mems[k] != NULL) {
            clReleaseMemObject(mems[k]);
        }
    }
    maskeval_free(&b->ctx->alloc, s->h_barea);
    maskeval_free(&b->ctx->alloc, s->h_uids);
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
            uint32_t *o = pj->pairs + 4 * (p - b->p0);
            uint64_t lo, hi;
            maskeval_pair_window(ps, p, &lo, &hi);
            o[0] = (uint32_t)b->batch_slot[ps->n_gt_masks + pr->dt];
            o[1] = (uint32_t)b->batch_slot[pr->gt];
            o[2] = (uint32_t)lo;
            o[3] = (uint32_t)hi;
        }
    }
    return MASKEVAL_OK;
}

/* Bands: a finished slot's band areas to the caller's arrays. */
static maskeval_status slot_scatter(batcher *b, slot *s)
{
    const size_t n_gt = b->ps->n_gt_masks;
    for (size_t m = 0; m < s->h_n; m++) {
        const uint32_t uid = s->h_uids[m];
        if (s->h_barea[m] == UINT32_MAX) {
            return maskeval_fail(b->ctx, MASKEVAL_ERR_CL_RUNTIME,
                                 "opencl (%s): a boundary band outgrew its slot",
                                 b->cl->info.name);
        }
        if (uid < n_gt) {
            b->gt_area[uid] = s->h_barea[m];
        } else {
            b->dt_area[uid - n_gt] = s->h_barea[m];
        }
    }
    s->h_n = 0;
    return MASKEVAL_OK;
}

/* pair_intersect over the batch's pairs on the intervals iv (offsets at
 * off_at in the upload), counts read back into host. */
static maskeval_status enqueue_pairs(batcher *b, slot *s, cl_command_queue q, cl_mem *iv,
                                     cl_uint off_at, cl_uint pairs_at, cl_mem *out,
                                     uint32_t *host, const char *step)
{
    maskeval_ctx *ctx = b->ctx;
    maskeval_cl *cl = b->cl;
    const size_t n_pairs = b->p1 - b->p0;
    const cl_uint a_npairs = (cl_uint)n_pairs;
    const size_t sz[6] = {sizeof(cl_mem),  sizeof(cl_mem),  sizeof(cl_uint),
                          sizeof(cl_uint), sizeof(cl_uint), sizeof(cl_mem)};
    const void *const v[6] = {iv, &s->d_in, &off_at, &pairs_at, &a_npairs, out};
    size_t lsz = 256 < cl->max_wg ? 256 : cl->max_wg, gsz = (n_pairs + lsz - 1) / lsz * lsz;
    maskeval_status st = maskeval_cl_set_args(ctx, cl, cl->k_pair, 6, sz, v, "setting pair_intersect arguments");
    if (st != MASKEVAL_OK) {
        return st;
    }
    MASKEVAL_CL_CHECK(clEnqueueNDRangeKernel(q, cl->k_pair, 1, NULL, &gsz, &lsz, 0, NULL, NULL),
                      step);
    MASKEVAL_CL_CHECK(clEnqueueReadBuffer(q, *out, CL_FALSE, 0, n_pairs * 4, host, 0, NULL, NULL),
                      "reading intersection counts");
fail:
    return st;
}

/* Bands: mask_bands, then pair_intersect on the bands, and their read-back. */
static maskeval_status launch_bands(batcher *b, slot *s, cl_command_queue q, cl_uint a_ivoff,
                                    cl_uint a_pairs, cl_uint a_bandoff, cl_uint a_minfo)
{
    maskeval_ctx *ctx = b->ctx;
    maskeval_cl *cl = b->cl;
    maskeval_status st;
    const size_t n_masks = b->n_masks;
    size_t lsz = 64 < cl->max_wg ? 64 : cl->max_wg, gsz;
    cl_uint a_masks = (cl_uint)n_masks;
    {
        const size_t sz[8] = {sizeof(cl_mem),  sizeof(cl_mem),  sizeof(cl_uint), sizeof(cl_uint),
                              sizeof(cl_uint), sizeof(cl_uint), sizeof(cl_mem),  sizeof(cl_mem)};
        const void *const v[8] = {&s->d_iv,  &s->d_in,   &a_ivoff,  &a_bandoff,
                                  &a_minfo,  &a_masks,   &s->d_band, &s->d_barea};
        st = maskeval_cl_set_args(ctx, cl, cl->k_band, 8, sz, v, "setting mask_bands arguments");
        if (st != MASKEVAL_OK) {
            return st;
        }
    }
    /* one mask per work-item, and masks differ widely in cost: small groups */
    gsz = (n_masks + lsz - 1) / lsz * lsz;
    MASKEVAL_CL_CHECK(clEnqueueNDRangeKernel(q, cl->k_band, 1, NULL, &gsz, &lsz, 0, NULL, NULL),
                      "running mask_bands");
    st = enqueue_pairs(b, s, q, &s->d_band, a_bandoff, a_pairs, &s->d_inter, b->inter + b->p0,
                       "running pair_intersect on bands");
    if (st != MASKEVAL_OK) {
        return st;
    }
    MASKEVAL_CL_CHECK(clEnqueueReadBuffer(q, s->d_barea, CL_FALSE, 0, n_masks * 4, s->h_barea, 0,
                                          NULL, NULL),
                      "reading band areas");
    memcpy(s->h_uids, b->masks, n_masks * sizeof(uint32_t));
    s->h_n = n_masks;
fail:
    return st;
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
    const size_t minfo_at = pairs_at + 4 * n_pairs, bandoff_at = minfo_at + 4 * n_masks;
    const size_t used = in_words(b, b->n_bytes, n_masks, n_pairs);
    uint32_t *str_off = s->h_in + stroff_at, *iv_off = s->h_in + ivoff_at;
    size_t lsz = 256, gsz;
    cl_uint a_stroff = (cl_uint)stroff_at, a_ivoff = (cl_uint)ivoff_at, a_pairs = (cl_uint)pairs_at;
    cl_uint a_masks = (cl_uint)n_masks;

    if (s->busy) {
        /* the slot's staging memory is free again once its batch is done */
        MASKEVAL_CL_CHECK(clFinish(q), "waiting for the previous batch");
        s->busy = 0;
        st = slot_scatter(b, s);
        if (st != MASKEVAL_OK) {
            return st;
        }
    }
    /* offsets (known sizes), then all threads copy strings and fill pairs */
    {
        size_t bytes = 0, iv = 0, band = 0;
        uint32_t *minfo = s->h_in + minfo_at, *band_off = s->h_in + bandoff_at;
        for (size_t m = 0; m < n_masks; m++) {
            size_t r, l, bn;
            uid_size(b, b->masks[m], &r, &l, &bn);
            str_off[m] = (uint32_t)bytes;
            iv_off[m] = (uint32_t)iv;
            bytes += l;
            iv += r;
            if (b->ratio > 0) {
                const uint32_t img = b->uid_img[b->masks[m]];
                const uint32_t h = b->ps->img_h[img], w = b->ps->img_w[img];
                minfo[4 * m] = h;
                minfo[4 * m + 1] = w;
                minfo[4 * m + 2] = maskeval_band_width(h, w, b->ratio);
                minfo[4 * m + 3] = 0;
                band_off[m] = (uint32_t)band;
                band += bn;
            }
        }
        str_off[n_masks] = (uint32_t)bytes;
        iv_off[n_masks] = (uint32_t)iv;
        if (b->ratio > 0) {
            band_off[n_masks] = (uint32_t)band;
        }
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
    {
        const size_t sz[5] = {sizeof(cl_mem), sizeof(cl_uint), sizeof(cl_uint), sizeof(cl_uint),
                              sizeof(cl_mem)};
        const void *const v[5] = {&s->d_in, &a_stroff, &a_ivoff, &a_masks, &s->d_iv};
        st = maskeval_cl_set_args(ctx, cl, cl->k_decode, 5, sz, v, "setting decode_masks arguments");
        if (st != MASKEVAL_OK) {
            return st;
        }
    }
    gsz = (n_masks + lsz - 1) / lsz * lsz;
    MASKEVAL_CL_CHECK(clEnqueueNDRangeKernel(q, cl->k_decode, 1, NULL, &gsz, &lsz, 0, NULL, NULL),
                      "running decode_masks");
    /* with bands, the caller has the masks' intersections already: only the
     * bands' are counted */
    st = b->ratio > 0 ? launch_bands(b, s, q, a_ivoff, a_pairs, (cl_uint)bandoff_at,
                                     (cl_uint)minfo_at)
                      : enqueue_pairs(b, s, q, &s->d_iv, a_ivoff, a_pairs, &s->d_inter,
                                      b->inter + b->p0, "running pair_intersect");
    if (st != MASKEVAL_OK) {
        return st;
    }
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
    b->n_band = 0;
    b->n_bytes = 0;
    b->p0 = b->p1 = p;
}

static void batch_add_mask(batcher *b, uint32_t uid)
{
    if (b->stamp[uid] != b->gen) {
        size_t r, l, bn;
        uid_size(b, uid, &r, &l, &bn);
        b->stamp[uid] = b->gen;
        b->batch_slot[uid] = (int32_t)b->n_masks;
        b->masks[b->n_masks++] = uid;
        b->n_iv += r;
        b->n_band += bn;
        b->n_bytes += l;
    }
}

/* The sizes a batch grows by (a mask not yet in it adds its own). */
typedef struct grow {
    size_t bytes, masks, iv, band;
} grow;

static void grow_add(const batcher *b, uint32_t uid, grow *g)
{
    size_t r, l, bn;
    uid_size(b, uid, &r, &l, &bn);
    g->bytes += l;
    g->masks++;
    g->iv += r;
    g->band += bn;
}

/* Whether the batch still fits after adding these. */
static int fits(const batcher *b, const grow *g, size_t pairs)
{
    return in_words(b, b->n_bytes + g->bytes, b->n_masks + g->masks, b->p1 - b->p0 + pairs) <=
               b->cap.in_words &&
           b->n_iv + g->iv <= b->cap.iv && b->p1 - b->p0 + pairs <= b->cap.pairs &&
           (b->ratio <= 0 ||
            (b->n_band + g->band <= b->cap.band && b->n_masks + g->masks <= b->cap.masks));
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
    const int bands = b->ratio > 0;
    maskeval_status st = MASKEVAL_OK;
    grow tot = {0, 0, 0, 0};
    uint64_t need;
    int cur = 0;

    /* Everything in one batch when it fits; else two slots of half the
     * budget each, split between upload (1/2), intervals (3/8), counts (1/8)
     * (with bands: upload 6/16, intervals 3/16, bands 6/16, counts 1/16). */
    b->gen = 1;
    for (size_t p = 0; p < n_pairs; p++) {
        uint32_t u[2] = {n_ann + b->ps->pairs[p].dt, b->ps->pairs[p].gt};
        for (int k = 0; k < 2; k++) {
            if (bands) {
                b->uid_img[u[k]] = b->ps->pairs[p].img;
            }
            if (b->stamp[u[k]] != b->gen) {
                b->stamp[u[k]] = b->gen;
                grow_add(b, u[k], &tot);
            }
        }
    }
    b->cap.in_words = in_words(b, tot.bytes, tot.masks, n_pairs);
    b->cap.iv = tot.iv;
    b->cap.band = tot.band;
    b->cap.masks = tot.masks;
    b->cap.pairs = n_pairs;
    need = (uint64_t)b->cap.in_words * 4 + (uint64_t)tot.iv * 8 + (uint64_t)n_pairs * 4 +
           (bands ? (uint64_t)tot.band * 8 + (uint64_t)tot.masks * 4 : 0);
    if (need <= cl->budget && (uint64_t)b->cap.in_words * 4 <= max_alloc &&
        (uint64_t)tot.iv * 8 <= max_alloc && (uint64_t)tot.band * 8 <= max_alloc &&
        b->cap.in_words <= UINT32_MAX && tot.band <= UINT32_MAX) {
        b->nslots = 1;
    } else {
        uint64_t slot_bytes = cl->budget / MASKEVAL_CL_SLOTS, sixteenth = slot_bytes / 16;
        uint64_t in_b = bands ? 6 * sixteenth : slot_bytes / 2;
        uint64_t iv_b = 3 * (bands ? sixteenth : slot_bytes / 8);
        uint64_t pr_b = bands ? sixteenth : slot_bytes / 8, bd_b = 6 * sixteenth;
        in_b = in_b < max_alloc ? in_b : max_alloc;
        iv_b = iv_b < max_alloc ? iv_b : max_alloc;
        bd_b = bd_b < max_alloc ? bd_b : max_alloc;
        b->nslots = MASKEVAL_CL_SLOTS;
        b->cap.in_words = (size_t)(in_b / 4 < UINT32_MAX ? in_b / 4 : UINT32_MAX);
        b->cap.iv = (size_t)(iv_b / 8);
        b->cap.pairs = (size_t)(pr_b / 4);
        /* a mask takes at least 6 upload words with bands */
        b->cap.masks = bands ? b->cap.in_words / 6 + 1 : 0;
        b->cap.band = bands ? (size_t)(bd_b / 8 < UINT32_MAX ? bd_b / 8 : UINT32_MAX) : 0;
        if (b->cap.in_words < 64 || b->cap.iv < 1 || b->cap.pairs < 1 ||
            (bands && b->cap.band < 1)) {
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
        grow add = {0, 0, 0, 0};
        for (int k = 0; k < 2; k++) {
            uint32_t u = k == 0 ? ud : ug;
            if (b->stamp[u] != b->gen) {
                grow_add(b, u, &add);
            }
        }
        if (!fits(b, &add, 1)) {
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
                grow both = {0, 0, 0, 0};
                grow_add(b, ud, &both);
                grow_add(b, ug, &both);
                if (!fits(b, &both, 1)) {
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
            st = slot_scatter(b, &b->slots[s]);
        }
        b->device_s += maskeval_now() - tw;
    }
fail:
    return st;
}

/* Builds mask_bands.cl on first use (only Boundary AP needs it). */
static maskeval_status band_program(maskeval_ctx *ctx, maskeval_cl *cl)
{
    maskeval_status st = MASKEVAL_OK;
    cl_int err = CL_SUCCESS;
    if (cl->k_band != NULL) {
        return MASKEVAL_OK;
    }
    if (cl->prog_band == NULL) {
        st = maskeval_clprog_build(ctx, cl, maskeval_clsrc_mask_bands,
                                   maskeval_clsrc_mask_bands_len, "mask_bands.cl", "",
                                   &cl->prog_band);
        if (st != MASKEVAL_OK) {
            return st;
        }
    }
    cl->k_band = clCreateKernel(cl->prog_band, "mask_bands", &err);
    MASKEVAL_CL_CHECK(err, "creating kernel mask_bands");
fail:
    return st;
}

/* Both entry points: ratio > 0 adds the bands. */
static maskeval_status cl_pairs(maskeval_ctx *ctx, maskeval_cl *cl, const maskeval_pair_set *ps,
                                double ratio, uint64_t *inter, uint32_t *dt_area,
                                uint32_t *gt_area)
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
    b.ratio = ratio;
    b.dt_area = dt_area;
    b.gt_area = gt_area;
    b.inter = maskeval_calloc(a, ps->n_pairs + 1, sizeof(uint32_t));
    b.stamp = maskeval_calloc(a, n_uids + 1, sizeof(uint32_t));
    b.batch_slot = maskeval_calloc(a, n_uids + 1, sizeof(int32_t));
    b.masks = maskeval_calloc(a, n_uids + 1, sizeof(uint32_t));
    if (ratio > 0) {
        b.uid_img = maskeval_calloc(a, n_uids + 1, sizeof(uint32_t));
    }
    if (b.inter == NULL || b.stamp == NULL || b.batch_slot == NULL || b.masks == NULL ||
        (ratio > 0 && b.uid_img == NULL)) {
        st = maskeval_nomem(ctx, "batching mask pairs");
        goto done;
    }
    st = ratio > 0 ? band_program(ctx, cl) : MASKEVAL_OK;
    if (st == MASKEVAL_OK && ps->n_pairs > 0) {
        st = run_batches(&b, ps->n_pairs);
    }
    /* the device counts in 32 bits: masks on one image of fewer than 2^32
     * pixels (the loader's limit for this path) */
    for (size_t p = 0; st == MASKEVAL_OK && p < ps->n_pairs; p++) {
        inter[p] = b.inter[p];
    }
    maskeval_log(ctx, MASKEVAL_LOG_INFO,
                 "opencl: %zu mask pairs%s in %zu batch(es), device alone %.1f ms", ps->n_pairs,
                 ratio > 0 ? " (with bands)" : "", b.batches, b.device_s * 1e3);
done:
    for (int s = 0; s < b.nslots; s++) {
        slot_free(&b, &b.slots[s], s);
    }
    maskeval_free(a, b.inter);
    maskeval_free(a, b.uid_img);
    maskeval_free(a, b.stamp);
    maskeval_free(a, b.batch_slot);
    maskeval_free(a, b.masks);
    return st;
}

maskeval_status maskeval_cl_intersect(maskeval_ctx *ctx, maskeval_cl *cl,
                                      const maskeval_pair_set *ps, uint64_t *inter)
{
    return cl_pairs(ctx, cl, ps, 0, inter, NULL, NULL);
}

maskeval_status maskeval_cl_band_intersect(maskeval_ctx *ctx, maskeval_cl *cl,
                                           const maskeval_pair_set *ps, double ratio,
                                           uint64_t *inter, uint32_t *dt_area, uint32_t *gt_area)
{
    return cl_pairs(ctx, cl, ps, ratio, inter, dt_area, gt_area);
}

static maskeval_status cl_intersect(maskeval_ctx *ctx, maskeval_backend_state *be,
                                    const maskeval_pair_set *ps, uint64_t *inter)
{
    return maskeval_cl_intersect(ctx, be->impl, ps, inter);
}

static maskeval_status cl_band_intersect(maskeval_ctx *ctx, maskeval_backend_state *be,
                                         const maskeval_pair_set *ps, double ratio,
                                         uint64_t *inter, uint32_t *dt_area, uint32_t *gt_area)
{
    maskeval_progress_stage(ctx, "IoU: boundary bands and their intersections");
    return maskeval_cl_band_intersect(ctx, be->impl, ps, ratio, inter, dt_area, gt_area);
}

static maskeval_status cl_segment_pairs(maskeval_ctx *ctx, maskeval_backend_state *be,
                                        const maskeval_seg_maps *items, size_t n_items)
{
    return maskeval_cl_segment_pairs(ctx, be->impl, items, n_items);
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

const maskeval_backend_ops maskeval_backend_cl_ops = {"opencl", cl_intersect, cl_band_intersect,
                                                      cl_segment_pairs, cl_confusion, cl_close};
