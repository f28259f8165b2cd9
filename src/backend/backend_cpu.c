/*
 * backend_cpu.c - the exact CPU primitives: mask-pair intersections counted
 * on the run lengths (in parallel over chunks of pairs), and confusion
 * counts of label maps.
 */
#include "backend/backend.h"

#include <string.h>

#include "core/threadpool.h"
#include "rle/rle.h"
#include "semantic/confusion.h"

/* Pairs are cut into chunks; a worker decodes each detection once per run
 * of its pairs and each ground truth once per chunk. */
#define CHUNK 2048

typedef struct cpu_job {
    const maskeval_pair_set *ps;
    const maskeval_alloc *alloc;
    uint64_t *inter;
    struct cpu_scratch {
        maskeval_u32vec gt;     /* decoded GT masks of the chunk, concatenated */
        maskeval_u32vec dt;     /* one decoded detection mask */
        size_t *gt_start, *gt_len; /* per GT index: where its runs are */
        uint32_t *stamp;        /* per GT index: chunk + 1 that decoded it */
    } *ws;
} cpu_job;

static maskeval_status intersect_chunk(void *arg, size_t ch, int worker, char *err,
                                       size_t errcap)
{
    cpu_job *job = arg;
    const maskeval_pair_set *ps = job->ps;
    struct cpu_scratch *s = &job->ws[worker];
    const maskeval_alloc *al = job->alloc;
    const size_t p0 = ch * CHUNK, p1 = p0 + CHUNK < ps->n_pairs ? p0 + CHUNK : ps->n_pairs;
    uint32_t cur_dt = UINT32_MAX;
    maskeval_status st;
    (void)err;
    (void)errcap;
    s->gt.n = 0;
    for (size_t p = p0; p < p1; p++) {
        const maskeval_mask_pair *pr = &ps->pairs[p];
        if (s->stamp[pr->gt] != ch + 1) {
            const size_t need = s->gt.n + ps->gt_masks->len[pr->gt] + 1;
            st = maskeval_u32vec_reserve(al, &s->gt, need);
            if (st != MASKEVAL_OK) {
                return st;
            }
            s->gt_start[pr->gt] = s->gt.n;
            s->gt_len[pr->gt] = maskeval_maskset_decode_raw(ps->gt_masks, pr->gt, s->gt.v + s->gt.n);
            s->gt.n += s->gt_len[pr->gt];
            s->stamp[pr->gt] = (uint32_t)(ch + 1);
        }
        if (pr->dt != cur_dt) {
            st = maskeval_maskset_decode(al, ps->dt_masks, pr->dt, &s->dt);
            if (st != MASKEVAL_OK) {
                return st;
            }
            cur_dt = pr->dt;
        }
        job->inter[p] = maskeval_rle_intersection(s->dt.v, s->dt.n, s->gt.v + s->gt_start[pr->gt],
                                                  s->gt_len[pr->gt]);
    }
    return MASKEVAL_OK;
}

static maskeval_status cpu_intersect(maskeval_ctx *ctx, maskeval_backend_state *be,
                                     const maskeval_pair_set *ps, uint64_t *inter)
{
    const maskeval_alloc *a = &ctx->alloc;
    const size_t n_chunks = (ps->n_pairs + CHUNK - 1) / CHUNK, n_gt = ps->n_gt_masks;
    const int workers = maskeval_parallel_workers(ctx, n_chunks);
    cpu_job job;
    maskeval_status st = MASKEVAL_OK;

    (void)be;
    job.ps = ps;
    job.alloc = a;
    job.inter = inter;
    job.ws = maskeval_calloc(a, (size_t)workers, sizeof(*job.ws));
    for (int w = 0; job.ws != NULL && w < workers && st == MASKEVAL_OK; w++) {
        job.ws[w].gt_start = maskeval_malloc(a, (n_gt + 1) * sizeof(size_t));
        job.ws[w].gt_len = maskeval_malloc(a, (n_gt + 1) * sizeof(size_t));
        job.ws[w].stamp = maskeval_calloc(a, n_gt + 1, sizeof(uint32_t));
        if (job.ws[w].gt_start == NULL || job.ws[w].gt_len == NULL || job.ws[w].stamp == NULL) {
            st = MASKEVAL_ERR_NOMEM;
        }
    }
    if (job.ws == NULL || st != MASKEVAL_OK) {
        st = maskeval_nomem(ctx, "computing IoUs");
        goto done;
    }
    st = maskeval_parallel_for(ctx, n_chunks, intersect_chunk, &job);
    if (st == MASKEVAL_ERR_NOMEM) {
        st = maskeval_nomem(ctx, "computing IoUs");
    }
done:
    for (int w = 0; job.ws != NULL && w < workers; w++) {
        maskeval_u32vec_free(a, &job.ws[w].gt);
        maskeval_u32vec_free(a, &job.ws[w].dt);
        maskeval_free(a, job.ws[w].gt_start);
        maskeval_free(a, job.ws[w].gt_len);
        maskeval_free(a, job.ws[w].stamp);
    }
    maskeval_free(a, job.ws);
    return st;
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

const maskeval_backend_ops maskeval_backend_cpu_ops = {"cpu", cpu_intersect, cpu_confusion, NULL};
