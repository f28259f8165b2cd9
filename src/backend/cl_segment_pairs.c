/*
 * cl_segment_pairs.c - the segment_pairs primitive on an OpenCL device:
 * panoptic quality's joint (gt segment, pred segment) pixel counts of a
 * batch of images (cl/segment_pairs.cl).
 *
 * Images go in groups that fit the device budget. A group's id maps are
 * copied by all threads into pinned (mapped) staging memory and uploaded
 * from there with the images' descriptors and id tables; the kernel counts
 * into one zeroed matrix per image and each image's matrix is read back
 * into the caller's array. Buffers only grow and are kept between calls
 * (freed at close).
 */
#include <string.h>

#include "backend/cl_backend.h"
#include "backend/cl_sources.h"
#include "core/threadpool.h"

#define SPAN 256u

typedef struct seg_cache {
    cl_mem d_gt, d_pred, d_img, d_tabs, d_counts;
    cl_mem s_maps;          /* pinned staging: gt ids, then pred ids */
    uint32_t *h_maps;       /* its mapped pointer */
    size_t pix_cap, img_cap, tab_cap, cnt_cap;
} seg_cache;

static void cache_release(maskeval_cl *cl, seg_cache *c)
{
    if (c->h_maps != NULL) {
        clEnqueueUnmapMemObject(cl->queue[0], c->s_maps, c->h_maps, 0, NULL, NULL);
        clFinish(cl->queue[0]);
    }
    cl_mem m[6] = {c->d_gt, c->d_pred, c->d_img, c->d_tabs, c->d_counts, c->s_maps};
    for (int k = 0; k < 6; k++) {
        if (m[k] != NULL) {
            clReleaseMemObject(m[k]);
        }
    }
    memset(c, 0, sizeof(*c));
}

void maskeval_cl_segment_pairs_release(maskeval_ctx *ctx, maskeval_cl *cl)
{
    if (cl->seg_cache != NULL) {
        cache_release(cl, cl->seg_cache);
        maskeval_free(&ctx->alloc, cl->seg_cache);
        cl->seg_cache = NULL;
    }
}

/* (Re)allocates whatever buffer is smaller than the group needs. */
static maskeval_status cache_fit(maskeval_ctx *ctx, maskeval_cl *cl, seg_cache *c, size_t pix,
                                 size_t imgs, size_t tabs, size_t cnt)
{
    maskeval_status st = MASKEVAL_OK;
    cl_int err = CL_SUCCESS;
    if (pix > c->pix_cap) {
        if (c->h_maps != NULL) {
            clEnqueueUnmapMemObject(cl->queue[0], c->s_maps, c->h_maps, 0, NULL, NULL);
            clFinish(cl->queue[0]);
            c->h_maps = NULL;
        }
        cl_mem old[3] = {c->d_gt, c->d_pred, c->s_maps};
        for (int k = 0; k < 3; k++) {
            if (old[k] != NULL) {
                clReleaseMemObject(old[k]);
            }
        }
        c->d_gt = c->d_pred = c->s_maps = NULL;
        c->pix_cap = 0;
        c->d_gt = clCreateBuffer(cl->context, CL_MEM_READ_ONLY, pix * 4, NULL, &err);
        MASKEVAL_CL_CHECK(err, "allocating segment maps");
        c->d_pred = clCreateBuffer(cl->context, CL_MEM_READ_ONLY, pix * 4, NULL, &err);
        MASKEVAL_CL_CHECK(err, "allocating segment maps");
        c->s_maps = clCreateBuffer(cl->context, CL_MEM_ALLOC_HOST_PTR, pix * 8, NULL, &err);
        MASKEVAL_CL_CHECK(err, "allocating pinned staging memory");
        c->h_maps = clEnqueueMapBuffer(cl->queue[0], c->s_maps, CL_TRUE, CL_MAP_WRITE, 0, pix * 8,
                                       0, NULL, NULL, &err);
        MASKEVAL_CL_CHECK(err, "mapping pinned staging memory");
        c->pix_cap = pix;
    }
    if (imgs > c->img_cap) {
        if (c->d_img != NULL) {
            clReleaseMemObject(c->d_img);
        }
        c->img_cap = 0;
        c->d_img = clCreateBuffer(cl->context, CL_MEM_READ_ONLY, imgs * 32, NULL, &err);
        MASKEVAL_CL_CHECK(err, "allocating image descriptors");
        c->img_cap = imgs;
    }
    if (tabs > c->tab_cap) {
        if (c->d_tabs != NULL) {
            clReleaseMemObject(c->d_tabs);
        }
        c->tab_cap = 0;
        c->d_tabs = clCreateBuffer(cl->context, CL_MEM_READ_ONLY, tabs * 4, NULL, &err);
        MASKEVAL_CL_CHECK(err, "allocating segment id tables");
        c->tab_cap = tabs;
    }
    if (cnt > c->cnt_cap) {
        if (c->d_counts != NULL) {
            clReleaseMemObject(c->d_counts);
        }
        c->cnt_cap = 0;
        c->d_counts = clCreateBuffer(cl->context, CL_MEM_READ_WRITE, cnt * 4, NULL, &err);
        MASKEVAL_CL_CHECK(err, "allocating segment pair counts");
        c->cnt_cap = cnt;
    }
fail:
    return st;
}

typedef struct copy_job {
    const maskeval_seg_maps *items;
    const size_t *pix_off;
    uint32_t *gt, *pred;
} copy_job;

static maskeval_status copy_task(void *arg, size_t k, int worker, char *err, size_t errcap)
{
    const copy_job *j = arg;
    const maskeval_seg_maps *m = &j->items[k];
    (void)worker;
    (void)err;
    (void)errcap;
    memcpy(j->gt + j->pix_off[k], m->gt, m->npix * 4);
    memcpy(j->pred + j->pix_off[k], m->pred, m->npix * 4);
    return MASKEVAL_OK;
}

static size_t matrix_size(const maskeval_seg_maps *m)
{
    return (size_t)(m->n_gt_ids + 1) * (m->n_pred_ids + 1);
}

/* One group that fits: items[0, n). */
static maskeval_status run_group(maskeval_ctx *ctx, maskeval_cl *cl, seg_cache *c,
                                 const maskeval_seg_maps *items, size_t n)
{
    const maskeval_alloc *a = &ctx->alloc;
    cl_command_queue q = cl->queue[0];
    size_t pix = 0, tabs = 0, cnt = 0, work = 0, lsz = 256, gsz;
    uint32_t *desc = maskeval_malloc(a, (8 * n + 1) * sizeof(uint32_t));
    size_t *pix_off = maskeval_malloc(a, (n + 1) * sizeof(size_t));
    uint32_t *tab = NULL;
    maskeval_status st = MASKEVAL_OK;
    cl_uint a_imgs = (cl_uint)n, a_items;
    const cl_uint zero = 0;

    if (desc == NULL || pix_off == NULL) {
        st = maskeval_nomem(ctx, "batching segment maps");
        goto fail;
    }
    for (size_t k = 0; k < n; k++) {
        const maskeval_seg_maps *m = &items[k];
        uint32_t *d = desc + 8 * k;
        pix_off[k] = pix;
        d[0] = (uint32_t)pix;
        d[1] = (uint32_t)m->npix;
        d[2] = (uint32_t)tabs;
        d[3] = m->n_gt_ids;
        d[4] = (uint32_t)(tabs + m->n_gt_ids);
        d[5] = m->n_pred_ids;
        d[6] = (uint32_t)cnt;
        d[7] = (uint32_t)work;
        pix += m->npix;
        tabs += (size_t)m->n_gt_ids + m->n_pred_ids;
        cnt += matrix_size(m);
        work += (m->npix + SPAN - 1) / SPAN;
    }
    tab = maskeval_malloc(a, (tabs + 1) * sizeof(uint32_t));
    if (tab == NULL) {
        st = maskeval_nomem(ctx, "batching segment maps");
        goto fail;
    }
    for (size_t k = 0, t = 0; k < n; k++) {
        memcpy(tab + t, items[k].gt_ids, items[k].n_gt_ids * sizeof(uint32_t));
        t += items[k].n_gt_ids;
        memcpy(tab + t, items[k].pred_ids, items[k].n_pred_ids * sizeof(uint32_t));
        t += items[k].n_pred_ids;
    }
    st = cache_fit(ctx, cl, c, pix + 1, n + 1, tabs + 1, cnt + 1);
    if (st != MASKEVAL_OK) {
        goto fail;
    }
    {
        copy_job j = {items, pix_off, c->h_maps, c->h_maps + pix};
        st = maskeval_parallel_for(ctx, n, copy_task, &j);
        if (st != MASKEVAL_OK) {
            goto fail;
        }
    }
    MASKEVAL_CL_CHECK(clEnqueueWriteBuffer(q, c->d_gt, CL_FALSE, 0, pix * 4, c->h_maps, 0, NULL,
                                           NULL),
                      "uploading segment maps");
    MASKEVAL_CL_CHECK(clEnqueueWriteBuffer(q, c->d_pred, CL_FALSE, 0, pix * 4, c->h_maps + pix, 0,
                                           NULL, NULL),
                      "uploading segment maps");
    MASKEVAL_CL_CHECK(clEnqueueWriteBuffer(q, c->d_img, CL_FALSE, 0, n * 32, desc, 0, NULL, NULL),
                      "uploading image descriptors");
    if (tabs > 0) {
        MASKEVAL_CL_CHECK(clEnqueueWriteBuffer(q, c->d_tabs, CL_FALSE, 0, tabs * 4, tab, 0, NULL,
                                               NULL),
                          "uploading segment id tables");
    }
    MASKEVAL_CL_CHECK(clEnqueueFillBuffer(q, c->d_counts, &zero, sizeof(zero), 0, cnt * 4, 0,
                                          NULL, NULL),
                      "zeroing segment pair counts");
    a_items = (cl_uint)work;
    {
        const size_t sz[7] = {sizeof(cl_mem), sizeof(cl_mem), sizeof(cl_mem), sizeof(cl_uint),
                              sizeof(cl_mem), sizeof(cl_uint), sizeof(cl_mem)};
        const void *const v[7] = {&c->d_gt,   &c->d_pred, &c->d_img,   &a_imgs,
                                  &c->d_tabs, &a_items,   &c->d_counts};
        st = maskeval_cl_set_args(ctx, cl, cl->k_seg, 7, sz, v, "setting segment_pairs arguments");
        if (st != MASKEVAL_OK) {
            goto fail;
        }
        if (lsz > cl->max_wg) {
            lsz = cl->max_wg;
        }
        gsz = (work + lsz - 1) / lsz * lsz;
        if (gsz > 0) {
            MASKEVAL_CL_CHECK(clEnqueueNDRangeKernel(q, cl->k_seg, 1, NULL, &gsz, &lsz, 0, NULL,
                                                     NULL),
                              "running segment_pairs");
        }
    }
    for (size_t k = 0; k < n; k++) {
        MASKEVAL_CL_CHECK(clEnqueueReadBuffer(q, c->d_counts, CL_FALSE, desc[8 * k + 6] * 4,
                                              matrix_size(&items[k]) * 4, items[k].counts, 0,
                                              NULL, NULL),
                          "reading segment pair counts");
    }
    MASKEVAL_CL_CHECK(clFinish(q), "finishing segment pair counts");
fail:
    maskeval_free(a, desc);
    maskeval_free(a, pix_off);
    maskeval_free(a, tab);
    return st;
}

maskeval_status maskeval_cl_segment_pairs(maskeval_ctx *ctx, maskeval_cl *cl,
                                          const maskeval_seg_maps *items, size_t n_items)
{
    maskeval_status st = MASKEVAL_OK;
    cl_int err = CL_SUCCESS;
    seg_cache *c;
    /* per pixel: both maps on the device and in staging (16 bytes) */
    uint64_t cap_pix = cl->budget / 16, cap_cnt = cl->budget / 8;
    size_t k0 = 0;

    if (cl->broken) {
        return maskeval_fail(ctx, MASKEVAL_ERR_CL_RUNTIME,
                             "opencl (%s): the device failed earlier in this context",
                             cl->info.name);
    }
    if (cap_pix > cl->info.max_alloc / 8) {
        cap_pix = cl->info.max_alloc / 8;
    }
    if (cap_pix > UINT32_MAX / 2) {
        cap_pix = UINT32_MAX / 2;
    }
    if (cap_cnt > cl->info.max_alloc / 4) {
        cap_cnt = cl->info.max_alloc / 4;
    }
    if (cap_cnt > UINT32_MAX / 2) {
        cap_cnt = UINT32_MAX / 2;
    }
    if (cl->k_seg == NULL) {
        if (cl->prog_seg == NULL) {
            st = maskeval_clprog_build(ctx, cl, maskeval_clsrc_segment_pairs,
                                       maskeval_clsrc_segment_pairs_len, "segment_pairs.cl", "",
                                       &cl->prog_seg);
            if (st != MASKEVAL_OK) {
                return st;
            }
        }
        cl->k_seg = clCreateKernel(cl->prog_seg, "segment_pairs", &err);
        MASKEVAL_CL_CHECK(err, "creating kernel segment_pairs");
    }
    if (cl->seg_cache == NULL) {
        cl->seg_cache = maskeval_calloc(&ctx->alloc, 1, sizeof(seg_cache));
        if (cl->seg_cache == NULL) {
            return maskeval_nomem(ctx, "batching segment maps");
        }
    }
    c = cl->seg_cache;
    while (st == MASKEVAL_OK && k0 < n_items) {
        uint64_t pix = 0, cnt = 0;
        size_t k1 = k0;
        while (k1 < n_items && pix + items[k1].npix <= cap_pix &&
               cnt + matrix_size(&items[k1]) <= cap_cnt) {
            pix += items[k1].npix;
            cnt += matrix_size(&items[k1]);
            k1++;
        }
        if (k1 == k0) {
            return maskeval_fail(ctx, MASKEVAL_ERR_LIMIT,
                                 "opencl (%s): one image's segment maps (%zu pixels, %u x %u "
                                 "segments) exceed the device memory cap (%llu bytes)",
                                 cl->info.name, items[k0].npix, items[k0].n_gt_ids,
                                 items[k0].n_pred_ids, (unsigned long long)cl->budget);
        }
        st = run_group(ctx, cl, c, items + k0, k1 - k0);
        k0 = k1;
    }
fail:
    return st;
}
