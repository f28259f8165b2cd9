/*
 * backend_cpu.c - the exact CPU primitives: mask-pair intersections counted
 * on the run lengths (in parallel over chunks of pairs), and confusion
 * counts of label maps.
 */
#include "backend/backend.h"

#include <string.h>

#include "core/threadpool.h"
#include "instance/instance.h"
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

typedef struct band_pairs_job {
    const maskeval_pair_set *ps;
    const maskeval_bandset *dt, *gt;
    uint64_t *inter;
} band_pairs_job;

/* First interval of v (n of them) that ends after x. */
static size_t first_end_after(const uint32_t *v, size_t n, uint64_t x)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (v[2 * mid + 1] <= x) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/* Pixels common to two interval lists within [lo, hi): the columns where
 * both masks' boxes are (bands lie inside their masks). */
static uint64_t band_overlap(const uint32_t *a, size_t na, const uint32_t *b, size_t nb,
                             uint64_t lo, uint64_t hi)
{
    size_t i = first_end_after(a, na, lo), j = first_end_after(b, nb, lo);
    uint64_t n = 0;
    while (i < na && j < nb && a[2 * i] < hi && b[2 * j] < hi) {
        const uint32_t s = a[2 * i] > b[2 * j] ? a[2 * i] : b[2 * j];
        const uint32_t e = a[2 * i + 1] < b[2 * j + 1] ? a[2 * i + 1] : b[2 * j + 1];
        if (e > s) {
            n += e - s;
        }
        if (a[2 * i + 1] <= b[2 * j + 1]) {
            i++;
        } else {
            j++;
        }
    }
    return n;
}

static maskeval_status band_pairs_chunk(void *arg, size_t ch, int worker, char *err,
                                        size_t errcap)
{
    const band_pairs_job *j = arg;
    const maskeval_pair_set *ps = j->ps;
    const size_t p0 = ch * CHUNK, p1 = p0 + CHUNK < ps->n_pairs ? p0 + CHUNK : ps->n_pairs;
    (void)worker;
    (void)err;
    (void)errcap;
    for (size_t p = p0; p < p1; p++) {
        const maskeval_mask_pair *pr = &ps->pairs[p];
        uint64_t lo, hi;
        maskeval_pair_window(ps, p, &lo, &hi);
        j->inter[p] = j->dt->len[pr->dt] == 0 || j->gt->len[pr->gt] == 0 || hi <= lo
                          ? 0
                          : band_overlap(maskeval_bandset_runs(j->dt, pr->dt),
                                         j->dt->len[pr->dt], maskeval_bandset_runs(j->gt, pr->gt),
                                         j->gt->len[pr->gt], lo, hi);
    }
    return MASKEVAL_OK;
}

/* The bands of the masks in some pair, as pixel intervals kept in memory
 * (instance/bands.c), then their intersections pair by pair, each within the
 * columns both masks' boxes cover. */
static maskeval_status cpu_band_intersect(maskeval_ctx *ctx, maskeval_backend_state *be,
                                          const maskeval_pair_set *ps, double ratio,
                                          uint64_t *inter, uint32_t *dt_area, uint32_t *gt_area)
{
    const maskeval_alloc *a = &ctx->alloc;
    int32_t *dt_img = maskeval_malloc(a, (ps->n_dt_masks + 1) * sizeof(int32_t));
    int32_t *gt_img = maskeval_malloc(a, (ps->n_gt_masks + 1) * sizeof(int32_t));
    maskeval_bandset band_dt, band_gt;
    maskeval_status st;

    (void)be;
    memset(&band_dt, 0, sizeof(band_dt));
    memset(&band_gt, 0, sizeof(band_gt));
    if (dt_img == NULL || gt_img == NULL) {
        st = maskeval_nomem(ctx, "boundary bands");
        goto done;
    }
    /* a mask's image is its pairs' */
    memset(dt_img, 0xff, (ps->n_dt_masks + 1) * sizeof(int32_t));
    memset(gt_img, 0xff, (ps->n_gt_masks + 1) * sizeof(int32_t));
    for (size_t k = 0; k < ps->n_pairs; k++) {
        dt_img[ps->pairs[k].dt] = (int32_t)ps->pairs[k].img;
        gt_img[ps->pairs[k].gt] = (int32_t)ps->pairs[k].img;
    }
    maskeval_progress_stage(ctx, "IoU: boundary bands");
    st = maskeval_mask_bands(ctx, ps->dt_masks, ps->n_dt_masks, dt_img, ps->img_h, ps->img_w,
                             ratio, &band_dt);
    if (st == MASKEVAL_OK) {
        st = maskeval_mask_bands(ctx, ps->gt_masks, ps->n_gt_masks, gt_img, ps->img_h,
                                 ps->img_w, ratio, &band_gt);
    }
    if (st == MASKEVAL_OK) {
        band_pairs_job j = {ps, &band_dt, &band_gt, inter};
        maskeval_progress_stage(ctx, "IoU: intersecting bands");
        st = maskeval_parallel_for(ctx, (ps->n_pairs + CHUNK - 1) / CHUNK, band_pairs_chunk, &j);
    }
    for (size_t i = 0; st == MASKEVAL_OK && i < ps->n_dt_masks; i++) {
        if (dt_img[i] >= 0) {
            dt_area[i] = band_dt.area[i];
        }
    }
    for (size_t i = 0; st == MASKEVAL_OK && i < ps->n_gt_masks; i++) {
        if (gt_img[i] >= 0) {
            gt_area[i] = band_gt.area[i];
        }
    }
done:
    maskeval_bandset_free(a, &band_dt);
    maskeval_bandset_free(a, &band_gt);
    maskeval_free(a, dt_img);
    maskeval_free(a, gt_img);
    return st;
}

/* A pixel id's index in a sorted table; n when absent. */
static uint32_t id_index(const uint32_t *tab, uint32_t n, uint32_t id)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        const uint32_t mid = lo + (hi - lo) / 2;
        if (tab[mid] < id) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo < n && tab[lo] == id ? lo : n;
}

static maskeval_status seg_task(void *arg, size_t k, int worker, char *err, size_t errcap)
{
    const maskeval_seg_maps *m = (const maskeval_seg_maps *)arg + k;
    const uint32_t np1 = m->n_pred_ids + 1;
    size_t i = 0;
    (void)worker;
    (void)err;
    (void)errcap;
    memset(m->counts, 0, (size_t)(m->n_gt_ids + 1) * np1 * sizeof(uint32_t));
    while (i < m->npix) {
        const uint32_t g = m->gt[i], p = m->pred[i];
        const size_t s = i;
        for (i++; i < m->npix && m->gt[i] == g && m->pred[i] == p; i++) {
        }
        m->counts[(size_t)id_index(m->gt_ids, m->n_gt_ids, g) * np1 +
                  id_index(m->pred_ids, m->n_pred_ids, p)] += (uint32_t)(i - s);
    }
    return MASKEVAL_OK;
}

/* The same runs and lookups as segment_pairs.cl, one image per task. */
static maskeval_status cpu_segment_pairs(maskeval_ctx *ctx, maskeval_backend_state *be,
                                         const maskeval_seg_maps *items, size_t n_items)
{
    (void)be;
    return maskeval_parallel_for(ctx, n_items, seg_task, (void *)items);
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

const maskeval_backend_ops maskeval_backend_cpu_ops = {"cpu", cpu_intersect, cpu_band_intersect,
                                                       cpu_segment_pairs, cpu_confusion, NULL};
