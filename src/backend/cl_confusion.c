/*
 * cl_confusion.c - confusion counts on an OpenCL device (confusion.cl).
 *
 * Label maps are concatenated into batches of < 2^31 pixels (so 32-bit
 * device counts cannot overflow), staged in pinned (mapped) memory and
 * copied to the device; two slots alternate so the host packs one batch
 * while the device counts the other. After each batch the device histogram
 * (or hash table) is read back and added into the 64-bit host totals.
 *
 * Kernel choice: a local-memory histogram per work-group when (K+1)^2 bins
 * fit in local memory, a global dense histogram up to K = 4096, a hash table
 * of (cell, count) above (K up to 65535).
 */
#include <stdio.h>
#include <string.h>

#include "backend/cl_backend.h"
#include "backend/cl_sources.h"
#include "semantic/confusion.h"

enum { V_LOCAL = 0, V_GLOBAL = 1, V_HASH = 2 };
#define CHUNK 16                       /* labels per vector load (confusion.cl) */
#define MAX_BATCH_PX ((size_t)1 << 26) /* 64 Mpx per batch: plenty to fill a GPU */

static maskeval_status build_conf(maskeval_ctx *ctx, maskeval_cl *cl, int wide)
{
    static const char *names[3] = {"confusion_local", "confusion_global", "confusion_hash"};
    char defines[96];
    cl_int err = CL_SUCCESS;
    maskeval_status st = MASKEVAL_OK;
    if (cl->prog_conf[wide] != NULL) {
        return MASKEVAL_OK;
    }
    snprintf(defines, sizeof(defines), "-DLABEL_T=%s -DLUT_LOCAL=%d", wide ? "ushort" : "uchar",
             wide ? 0 : 1);
    st = maskeval_clprog_build(ctx, cl, maskeval_clsrc_confusion, maskeval_clsrc_confusion_len,
                               "confusion.cl", defines, &cl->prog_conf[wide]);
    if (st != MASKEVAL_OK) {
        return st;
    }
    for (int v = 0; v < 3; v++) {
        cl->k_conf[wide][v] = clCreateKernel(cl->prog_conf[wide], names[v], &err);
        MASKEVAL_CL_CHECK(err, "creating a confusion kernel");
    }
fail:
    return st;
}

typedef struct cslot {
    cl_mem d_gt, d_pred, d_hist, d_keys; /* d_hist: counts (hash: counts + 1) */
    cl_mem s_gt, s_pred;                 /* pinned staging */
    uint8_t *h_gt, *h_pred;
    uint32_t *h_hist, *h_keys;           /* read-back */
    size_t n;                            /* pixels of the batch in flight */
    int busy;
} cslot;

/* Device buffers of the confusion kernels, kept in the maskeval_cl between
 * calls (pinning staging memory is costly) while the shape stays the same. */
typedef struct conf_run {
    maskeval_ctx *ctx;    /* of the current call */
    maskeval_cl *cl;
    maskeval_cm *cm;      /* of the current call */
    uint32_t k;
    int wide, variant, bytes;
    size_t cap_px;        /* pixels per batch */
    size_t bins;          /* histogram cells, or hash slots */
    cl_mem d_lut_g, d_lut_p;
    cslot slots[MASKEVAL_CL_SLOTS];
} conf_run;

static size_t next_pow2(size_t v)
{
    size_t p = 1;
    while (p < v) {
        p <<= 1;
    }
    return p;
}

/* Adds a finished batch's device counts into the host totals. */
static maskeval_status drain(conf_run *r, cslot *s)
{
    const maskeval_alloc *a = &r->ctx->alloc;
    maskeval_status st = MASKEVAL_OK;
    if (r->variant == V_HASH) {
        for (size_t i = 0; i < r->bins && st == MASKEVAL_OK; i++) {
            if (s->h_keys[i] != MASKEVAL_LABEL_SKIP) {
                st = maskeval_cm_add(a, r->cm, s->h_keys[i], s->h_hist[i]);
            }
        }
        if (st == MASKEVAL_OK && s->h_hist[r->bins] != 0) {
            st = maskeval_cm_add(a, r->cm, MASKEVAL_LABEL_SKIP, s->h_hist[r->bins]);
        }
    } else {
        for (size_t i = 0; i < r->bins; i++) {
            r->cm->dense[i] += s->h_hist[i];
        }
    }
    s->busy = 0;
    return st == MASKEVAL_OK ? st : maskeval_nomem(r->ctx, "adding confusion counts");
}

static maskeval_status slot_wait(conf_run *r, int si)
{
    maskeval_ctx *ctx = r->ctx;
    maskeval_cl *cl = r->cl;
    maskeval_status st = MASKEVAL_OK;
    if (!r->slots[si].busy) {
        return MASKEVAL_OK;
    }
    MASKEVAL_CL_CHECK(clFinish(cl->queue[si]), "waiting for a confusion batch");
    st = drain(r, &r->slots[si]);
fail:
    return st;
}

static maskeval_status run_batch(conf_run *r, int si)
{
    maskeval_ctx *ctx = r->ctx;
    maskeval_cl *cl = r->cl;
    cslot *s = &r->slots[si];
    cl_command_queue q = cl->queue[si];
    cl_kernel kern = cl->k_conf[r->wide][r->variant];
    maskeval_status st = MASKEVAL_OK;
    const cl_uint zero = 0, empty = MASKEVAL_LABEL_SKIP, k = r->cm->k;
    const cl_ulong n = s->n;
    const size_t chunks = (s->n + CHUNK - 1) / CHUNK;
    const size_t llut_bytes = r->wide ? 4 : 512 * 4;
    size_t lsz = 256, gsz, groups;
    cl_uint arg = 0;

    if (lsz > cl->max_wg) {
        lsz = cl->max_wg;
    }
    /* enough groups to fill the device; a local-histogram group flushes its
     * bins once, so fewer, longer-lived groups there */
    groups = (size_t)cl->info.compute_units * (r->variant == V_LOCAL ? 8 : 16);
    gsz = (chunks + lsz - 1) / lsz;
    gsz = (gsz < groups ? gsz : groups) * lsz;
    if (gsz == 0) {
        gsz = lsz;
    }
    MASKEVAL_CL_CHECK(clEnqueueFillBuffer(q, s->d_hist, &zero, sizeof(zero), 0,
                                          (r->bins + (r->variant == V_HASH)) * 4, 0, NULL, NULL),
                      "clearing the histogram");
    if (r->variant == V_HASH) {
        MASKEVAL_CL_CHECK(clEnqueueFillBuffer(q, s->d_keys, &empty, sizeof(empty), 0, r->bins * 4,
                                              0, NULL, NULL),
                          "clearing the hash table");
    }
    MASKEVAL_CL_CHECK(clEnqueueWriteBuffer(q, s->d_gt, CL_FALSE, 0, s->n * r->bytes, s->h_gt, 0,
                                           NULL, NULL),
                      "uploading ground-truth labels");
    MASKEVAL_CL_CHECK(clEnqueueWriteBuffer(q, s->d_pred, CL_FALSE, 0, s->n * r->bytes, s->h_pred, 0,
                                           NULL, NULL),
                      "uploading predicted labels");
    MASKEVAL_CL_CHECK(clSetKernelArg(kern, arg++, sizeof(cl_mem), &s->d_gt), "setting arguments");
    MASKEVAL_CL_CHECK(clSetKernelArg(kern, arg++, sizeof(cl_mem), &s->d_pred), "setting arguments");
    MASKEVAL_CL_CHECK(clSetKernelArg(kern, arg++, sizeof(cl_ulong), &n), "setting arguments");
    MASKEVAL_CL_CHECK(clSetKernelArg(kern, arg++, sizeof(cl_mem), &r->d_lut_g), "setting arguments");
    MASKEVAL_CL_CHECK(clSetKernelArg(kern, arg++, sizeof(cl_mem), &r->d_lut_p), "setting arguments");
    MASKEVAL_CL_CHECK(clSetKernelArg(kern, arg++, sizeof(cl_uint), &k), "setting arguments");
    if (r->variant == V_HASH) {
        cl_uint mask = (cl_uint)(r->bins - 1);
        MASKEVAL_CL_CHECK(clSetKernelArg(kern, arg++, sizeof(cl_mem), &s->d_keys),
                          "setting arguments");
        MASKEVAL_CL_CHECK(clSetKernelArg(kern, arg++, sizeof(cl_mem), &s->d_hist),
                          "setting arguments");
        MASKEVAL_CL_CHECK(clSetKernelArg(kern, arg++, sizeof(cl_uint), &mask), "setting arguments");
    } else {
        MASKEVAL_CL_CHECK(clSetKernelArg(kern, arg++, sizeof(cl_mem), &s->d_hist),
                          "setting arguments");
    }
    MASKEVAL_CL_CHECK(clSetKernelArg(kern, arg++, llut_bytes, NULL), "setting arguments");
    if (r->variant == V_LOCAL) {
        MASKEVAL_CL_CHECK(clSetKernelArg(kern, arg++, r->bins * 4, NULL), "setting arguments");
    }
    MASKEVAL_CL_CHECK(clEnqueueNDRangeKernel(q, kern, 1, NULL, &gsz, &lsz, 0, NULL, NULL),
                      "running the confusion kernel");
    MASKEVAL_CL_CHECK(clEnqueueReadBuffer(q, s->d_hist, CL_FALSE, 0,
                                          (r->bins + (r->variant == V_HASH)) * 4, s->h_hist, 0,
                                          NULL, NULL),
                      "reading confusion counts");
    if (r->variant == V_HASH) {
        MASKEVAL_CL_CHECK(clEnqueueReadBuffer(q, s->d_keys, CL_FALSE, 0, r->bins * 4, s->h_keys,
                                              0, NULL, NULL),
                          "reading confusion counts");
    }
    MASKEVAL_CL_CHECK(clFlush(q), "submitting a confusion batch");
    s->busy = 1;
fail:
    return st;
}

/* Pixels per batch for this device budget (0: not even a small batch fits). */
static size_t batch_pixels(const maskeval_cl *cl, int variant, int bytes, uint64_t k1sq,
                           size_t total_px)
{
    uint64_t slot_bytes = cl->budget / MASKEVAL_CL_SLOTS, px;

    /* pixels per batch: labels take 2*bytes per pixel; the hash table up
     * to 2 slots (8 bytes each) per run, i.e. per pixel at worst */
    if (variant == V_HASH) {
        px = slot_bytes / (2 * (uint64_t)bytes + 16);
    } else {
        uint64_t hist = k1sq * 4;
        px = slot_bytes > hist ? (slot_bytes - hist) / (2 * (uint64_t)bytes) : 0;
    }
    if (px > cl->info.max_alloc / (uint64_t)bytes) {
        px = cl->info.max_alloc / (uint64_t)bytes;
    }
    if (px > ((uint64_t)1 << 31) - 1) {
        px = ((uint64_t)1 << 31) - 1;
    }
    if (px > MAX_BATCH_PX) {
        px = MAX_BATCH_PX;
    }
    if (px > total_px) {
        px = total_px;
    }
    return (px < 1024 && px < total_px) ? 0 : (size_t)(px > 0 ? px : 1);
}

static maskeval_status alloc_run(conf_run *r, size_t cap_px)
{
    maskeval_ctx *ctx = r->ctx;
    maskeval_cl *cl = r->cl;
    const maskeval_alloc *a = &ctx->alloc;
    maskeval_status st = MASKEVAL_OK;
    cl_int err = CL_SUCCESS;
    const size_t lut_n = r->wide ? 65536 : 256;
    const uint64_t k1sq = (uint64_t)(r->k + 1) * (r->k + 1);
    const int nslots = MASKEVAL_CL_SLOTS;

    r->cap_px = cap_px;
    if (r->variant == V_HASH) {
        uint64_t distinct = r->cap_px < k1sq ? r->cap_px : k1sq;
        r->bins = next_pow2((size_t)(2 * distinct + 2));
    } else {
        r->bins = (size_t)k1sq;
    }
    r->d_lut_g = clCreateBuffer(cl->context, CL_MEM_READ_ONLY, lut_n * 4, NULL, &err);
    MASKEVAL_CL_CHECK(err, "allocating label tables");
    r->d_lut_p = clCreateBuffer(cl->context, CL_MEM_READ_ONLY, lut_n * 4, NULL, &err);
    MASKEVAL_CL_CHECK(err, "allocating label tables");
    for (int si = 0; si < nslots; si++) {
        cslot *s = &r->slots[si];
        const size_t lab = r->cap_px * (size_t)r->bytes;
        s->d_gt = clCreateBuffer(cl->context, CL_MEM_READ_ONLY, lab, NULL, &err);
        MASKEVAL_CL_CHECK(err, "allocating label buffers");
        s->d_pred = clCreateBuffer(cl->context, CL_MEM_READ_ONLY, lab, NULL, &err);
        MASKEVAL_CL_CHECK(err, "allocating label buffers");
        s->d_hist = clCreateBuffer(cl->context, CL_MEM_READ_WRITE, (r->bins + 1) * 4, NULL, &err);
        MASKEVAL_CL_CHECK(err, "allocating the histogram");
        s->h_hist = maskeval_calloc(a, r->bins + 1, sizeof(uint32_t));
        if (r->variant == V_HASH) {
            s->d_keys = clCreateBuffer(cl->context, CL_MEM_READ_WRITE, r->bins * 4, NULL, &err);
            MASKEVAL_CL_CHECK(err, "allocating the hash table");
            s->h_keys = maskeval_calloc(a, r->bins, sizeof(uint32_t));
        }
        if (s->h_hist == NULL || (r->variant == V_HASH && s->h_keys == NULL)) {
            return maskeval_nomem(ctx, "allocating confusion read-back buffers");
        }
        s->s_gt = clCreateBuffer(cl->context, CL_MEM_ALLOC_HOST_PTR, lab, NULL, &err);
        MASKEVAL_CL_CHECK(err, "allocating pinned staging memory");
        s->s_pred = clCreateBuffer(cl->context, CL_MEM_ALLOC_HOST_PTR, lab, NULL, &err);
        MASKEVAL_CL_CHECK(err, "allocating pinned staging memory");
        s->h_gt = clEnqueueMapBuffer(cl->queue[si], s->s_gt, CL_TRUE, CL_MAP_WRITE, 0, lab, 0, NULL,
                                     NULL, &err);
        MASKEVAL_CL_CHECK(err, "mapping pinned staging memory");
        s->h_pred = clEnqueueMapBuffer(cl->queue[si], s->s_pred, CL_TRUE, CL_MAP_WRITE, 0, lab, 0,
                                       NULL, NULL, &err);
        MASKEVAL_CL_CHECK(err, "mapping pinned staging memory");
    }
fail:
    return st;
}

static void free_run(conf_run *r, const maskeval_alloc *a)
{
    for (int si = 0; si < MASKEVAL_CL_SLOTS; si++) {
        cslot *s = &r->slots[si];
        cl_command_queue q = r->cl->queue[si];
        if (s->h_gt != NULL) {
            clEnqueueUnmapMemObject(q, s->s_gt, s->h_gt, 0, NULL, NULL);
        }
        if (s->h_pred != NULL) {
            clEnqueueUnmapMemObject(q, s->s_pred, s->h_pred, 0, NULL, NULL);
        }
        clFinish(q);
        cl_mem mems[6] = {s->d_gt, s->d_pred, s->d_hist, s->d_keys, s->s_gt, s->s_pred};
        for (int m = 0; m < 6; m++) {
            if (mems[m] != NULL) {
                clReleaseMemObject(mems[m]);
            }
        }
        maskeval_free(a, s->h_hist);
        maskeval_free(a, s->h_keys);
    }
    if (r->d_lut_g != NULL) {
        clReleaseMemObject(r->d_lut_g);
    }
    if (r->d_lut_p != NULL) {
        clReleaseMemObject(r->d_lut_p);
    }
}

void maskeval_cl_confusion_release(maskeval_ctx *ctx, maskeval_cl *cl)
{
    conf_run *r = cl->conf_cache;
    if (r != NULL) {
        free_run(r, &ctx->alloc);
        maskeval_free(&ctx->alloc, r);
        cl->conf_cache = NULL;
    }
}

maskeval_status maskeval_cl_confusion(maskeval_ctx *ctx, maskeval_cl *cl, maskeval_cm *cm,
                                      const maskeval_labels *items, size_t n_items)
{
    conf_run *r = cl->conf_cache;
    maskeval_status st = MASKEVAL_OK;
    size_t total = 0, item = 0, off = 0, cap_px;
    int si = 0, variant;
    const int bytes = n_items > 0 ? items[0].bytes : 1, wide = bytes == 2;
    const uint64_t k1sq = (uint64_t)(cm->k + 1) * (cm->k + 1);

    if (n_items == 0) {
        return MASKEVAL_OK;
    }
    if (cl->broken) {
        return maskeval_fail(ctx, MASKEVAL_ERR_CL_RUNTIME,
                             "opencl (%s): the device failed earlier in this context",
                             cl->info.name);
    }
    if (cm->sparse) {
        variant = V_HASH;
    } else if (k1sq * 4 + 512 * 4 + 1024 <= cl->local_mem && k1sq <= 65536) {
        variant = V_LOCAL;
    } else {
        variant = V_GLOBAL;
    }
    for (size_t i = 0; i < n_items; i++) {
        total += items[i].n;
    }
    st = build_conf(ctx, cl, wide);
    if (st != MASKEVAL_OK) {
        return st;
    }
    cap_px = batch_pixels(cl, variant, bytes, k1sq, total);
    if (cap_px == 0) {
        return maskeval_fail(ctx, MASKEVAL_ERR_LIMIT,
                             "opencl (%s): the device memory cap (%llu bytes) leaves no room for "
                             "a label batch with %u classes",
                             cl->info.name, (unsigned long long)cl->budget, cm->k);
    }
    if (r != NULL && (r->k != cm->k || r->wide != wide || r->variant != variant ||
                      r->cap_px < cap_px)) {
        maskeval_cl_confusion_release(ctx, cl);
        r = NULL;
    }
    if (r == NULL) {
        r = maskeval_calloc(&ctx->alloc, 1, sizeof(*r));
        if (r == NULL) {
            return maskeval_nomem(ctx, "allocating confusion buffers");
        }
        r->ctx = ctx;
        r->cl = cl;
        r->cm = cm;
        r->k = cm->k;
        r->bytes = bytes;
        r->wide = wide;
        r->variant = variant;
        cl->conf_cache = r;
        st = alloc_run(r, cap_px);
        if (st != MASKEVAL_OK) {
            maskeval_cl_confusion_release(ctx, cl);
            return st;
        }
    }
    r->ctx = ctx;
    r->cm = cm;
    {
        const size_t lut_n = wide ? 65536 : 256;
        MASKEVAL_CL_CHECK(clEnqueueWriteBuffer(cl->queue[0], r->d_lut_g, CL_TRUE, 0, lut_n * 4,
                                               items[0].lut_g, 0, NULL, NULL),
                          "uploading label tables");
        MASKEVAL_CL_CHECK(clEnqueueWriteBuffer(cl->queue[0], r->d_lut_p, CL_TRUE, 0, lut_n * 4,
                                               items[0].lut_p, 0, NULL, NULL),
                          "uploading label tables");
    }
    /* Fill a slot with the next pixels (items may be split across batches). */
    while (item < n_items) {
        cslot *s = &r->slots[si];
        st = slot_wait(r, si);
        if (st != MASKEVAL_OK) {
            goto fail;
        }
        s->n = 0;
        while (item < n_items && s->n < r->cap_px) {
            const maskeval_labels *l = &items[item];
            size_t take = l->n - off;
            if (take > r->cap_px - s->n) {
                take = r->cap_px - s->n;
            }
            memcpy(s->h_gt + s->n * bytes, (const uint8_t *)l->gt + off * bytes, take * bytes);
            memcpy(s->h_pred + s->n * bytes, (const uint8_t *)l->pred + off * bytes,
                   take * bytes);
            s->n += take;
            off += take;
            if (off == l->n) {
                item++;
                off = 0;
            }
        }
        if (s->n > 0) {
            st = run_batch(r, si);
            if (st != MASKEVAL_OK) {
                goto fail;
            }
        }
        si = (si + 1) % MASKEVAL_CL_SLOTS;
    }
    for (int k = 0; k < MASKEVAL_CL_SLOTS && st == MASKEVAL_OK; k++) {
        st = slot_wait(r, k);
    }
fail:
    if (st != MASKEVAL_OK) {
        /* counts of a failed call are incomplete: drop the buffers too */
        maskeval_cl_confusion_release(ctx, cl);
    }
    return st;
}
