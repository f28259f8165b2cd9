/*
 * bands.c - Boundary AP's second mask set: the boundary band of every mask
 * (raster/band.h), as compressed RLE like the masks themselves, so the
 * backends' intersect primitive counts band intersections unchanged.
 *
 * Each mask goes from its runs to its band's runs without a raster
 * (maskeval_band_runs), so a mask costs its runs and box columns, not its
 * box's pixels. d comes from the mask's image size.
 */
#include <stdio.h>
#include <string.h>

#include "core/threadpool.h"
#include "instance/instance.h"
#include "raster/band.h"
#include "rle/rle.h"

typedef struct band_job {
    const maskeval_maskset *src;
    maskeval_maskset *out;
    const int32_t *img_of;
    const uint8_t *need;
    const uint32_t *img_h, *img_w;
    double ratio;
    size_t n, ntasks;
    size_t *first;
    maskeval_bytevec *sides;
    const maskeval_alloc *a;
} band_job;

typedef struct band_scratch {
    uint32_t *iv;
    size_t iv_cap;
    maskeval_u32vec counts;
    maskeval_band_work work;
} band_scratch;

/* One mask's band into out slot i. */
static maskeval_status band_one(band_job *j, band_scratch *s, size_t i, maskeval_bytevec *side)
{
    const maskeval_maskset *ms = j->src;
    const uint32_t runs = ms->runs[i];
    maskeval_rle_stats stats;
    maskeval_status st;
    uint32_t h, w;
    size_t nruns = 0;

    if (ms->len[i] == 0 || j->img_of[i] < 0 || (j->need != NULL && !j->need[i])) {
        return MASKEVAL_OK; /* no mask: no band (len 0) */
    }
    h = j->img_h[j->img_of[i]];
    w = j->img_w[j->img_of[i]];
    if (runs > 0) {
        void *p = s->iv;
        if (maskeval_grow(j->a, &p, &s->iv_cap, 2 * (size_t)runs, sizeof(uint32_t)) !=
            MASKEVAL_OK) {
            return MASKEVAL_ERR_NOMEM;
        }
        s->iv = p;
        nruns = maskeval_rle_str_intervals(maskeval_maskset_str(ms, i), ms->len[i], s->iv);
    }
    st = maskeval_band_runs(j->a, s->iv, nruns, h, w, maskeval_band_width(h, w, j->ratio),
                            &s->work, &s->counts);
    if (st != MASKEVAL_OK) {
        return st;
    }
    memset(&stats, 0, sizeof(stats));
    maskeval_rle_stats_of(s->counts.v, s->counts.n, h, w, &stats);
    return maskeval_maskset_store(j->a, j->out, i, &stats, s->counts.v, s->counts.n, NULL, 0,
                                  NULL, 0, NULL, side);
}

static maskeval_status band_task(void *arg, size_t t, int worker, char *err, size_t errcap)
{
    band_job *j = arg;
    band_scratch s;
    maskeval_status st = MASKEVAL_OK;
    (void)worker;
    memset(&s, 0, sizeof(s));
    for (size_t i = j->first[t]; i < j->first[t + 1] && st == MASKEVAL_OK; i++) {
        st = band_one(j, &s, i, &j->sides[t]);
    }
    maskeval_free(j->a, s.iv);
    maskeval_u32vec_free(j->a, &s.counts);
    maskeval_band_work_free(j->a, &s.work);
    if (st != MASKEVAL_OK) {
        snprintf(err, errcap, "%s computing boundary bands",
                 st == MASKEVAL_ERR_NOMEM ? "out of memory" : "size limit");
    }
    return st;
}

maskeval_status maskeval_maskset_bands(maskeval_ctx *ctx, const maskeval_maskset *src, size_t n,
                                       const int32_t *img_of, const uint8_t *need,
                                       const uint32_t *img_h, const uint32_t *img_w,
                                       double ratio, maskeval_maskset *out)
{
    const maskeval_alloc *a = &ctx->alloc;
    band_job j;
    maskeval_status st;
    size_t ntasks = n == 0 ? 1 : (n + 255) / 256;

    memset(&j, 0, sizeof(j));
    st = maskeval_maskset_init(a, out, n + 1);
    if (st != MASKEVAL_OK) {
        return maskeval_nomem(ctx, "boundary bands");
    }
    j.first = maskeval_malloc(a, (ntasks + 1) * sizeof(size_t));
    j.sides = maskeval_calloc(a, ntasks, sizeof(maskeval_bytevec));
    if (j.first == NULL || j.sides == NULL) {
        maskeval_free(a, j.first);
        maskeval_free(a, j.sides);
        maskeval_maskset_free(a, out);
        return maskeval_nomem(ctx, "boundary bands");
    }
    for (size_t t = 0; t <= ntasks; t++) {
        j.first[t] = t * 256 < n ? t * 256 : n;
    }
    j.src = src;
    j.out = out;
    j.img_of = img_of;
    j.need = need;
    j.img_h = img_h;
    j.img_w = img_w;
    j.ratio = ratio;
    j.n = n;
    j.ntasks = ntasks;
    j.a = a;
    st = maskeval_parallel_for(ctx, ntasks, band_task, &j);
    if (st == MASKEVAL_OK) {
        st = maskeval_maskset_finish(a, out, NULL, j.first, j.sides, ntasks);
        if (st != MASKEVAL_OK) {
            maskeval_nomem(ctx, "boundary bands");
        }
    } else {
        for (size_t t = 0; t < ntasks; t++) {
            maskeval_free(a, j.sides[t].v);
        }
    }
    maskeval_free(a, j.first);
    maskeval_free(a, j.sides);
    if (st != MASKEVAL_OK) {
        maskeval_maskset_free(a, out);
    }
    return st;
}
