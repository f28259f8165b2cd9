/*
 * bands.c - Boundary AP's second mask set: the boundary band of every mask
 * (raster/band.h), as compressed RLE like the masks themselves, so the
 * backends' intersect primitive counts band intersections unchanged.
 *
 * Each mask is decoded only inside its bounding box: outside it the image is
 * background, and background and the image border erode alike, so the band
 * of the crop is the band of the mask. d comes from the mask's image size.
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
    uint32_t *iv, *counts, *run;
    uint8_t *crop, *band;
    size_t iv_cap, counts_cap, run_cap, crop_cap;
} band_scratch;

static int reserve(const maskeval_alloc *a, void **p, size_t *cap, size_t need, size_t elem)
{
    return maskeval_grow(a, p, cap, need, elem) == MASKEVAL_OK;
}

/* One mask's band into out slot i. */
static maskeval_status band_one(band_job *j, band_scratch *s, size_t i, maskeval_bytevec *side)
{
    const maskeval_maskset *ms = j->src;
    const uint32_t runs = ms->runs[i];
    maskeval_rle_stats stats;
    uint32_t h, w, d, r0 = UINT32_MAX, r1 = 0, c0, c1, ch, cw;
    size_t nruns, nc = 0;
    uint64_t prev_end = 0;
    void *p;

    if (ms->len[i] == 0 || j->img_of[i] < 0 || (j->need != NULL && !j->need[i])) {
        return MASKEVAL_OK; /* no mask: no band (len 0) */
    }
    h = j->img_h[j->img_of[i]];
    w = j->img_w[j->img_of[i]];
    memset(&stats, 0, sizeof(stats));
    if (runs == 0) {
        uint32_t zero[1] = {0};
        size_t n0 = 0;
        if ((uint64_t)h * w > 0) {
            zero[0] = (uint32_t)((uint64_t)h * w);
            n0 = 1;
        }
        maskeval_rle_stats_of(zero, n0, h, w, &stats);
        return maskeval_maskset_store(j->a, j->out, i, &stats, zero, n0, NULL, 0, NULL, 0, NULL,
                                      side);
    }
    p = s->iv;
    if (!reserve(j->a, &p, &s->iv_cap, 2 * (size_t)runs, sizeof(uint32_t))) {
        return MASKEVAL_ERR_NOMEM;
    }
    s->iv = p;
    nruns = maskeval_rle_str_intervals(maskeval_maskset_str(ms, i), ms->len[i], s->iv);
    c0 = s->iv[0] / h;
    c1 = (s->iv[2 * nruns - 1] - 1) / h;
    for (size_t k = 0; k < nruns; k++) {
        const uint32_t a = s->iv[2 * k], b = s->iv[2 * k + 1] - 1;
        if (a / h != b / h) {
            r0 = 0;
            r1 = h - 1;
            break;
        }
        if (a % h < r0) {
            r0 = a % h;
        }
        if (b % h > r1) {
            r1 = b % h;
        }
    }
    ch = r1 - r0 + 1;
    cw = c1 - c0 + 1;
    d = maskeval_band_width(h, w, j->ratio);
    {
        size_t cap = s->crop_cap;
        p = s->crop;
        if (!reserve(j->a, &p, &cap, (size_t)ch * cw, 1)) {
            return MASKEVAL_ERR_NOMEM;
        }
        s->crop = p;
        p = s->band;
        if (!reserve(j->a, &p, &s->crop_cap, (size_t)ch * cw, 1)) {
            return MASKEVAL_ERR_NOMEM;
        }
        s->band = p;
        if (cap < s->crop_cap) {
            /* keep both buffers at the same capacity */
            p = s->crop;
            if (!reserve(j->a, &p, &cap, s->crop_cap, 1)) {
                return MASKEVAL_ERR_NOMEM;
            }
            s->crop = p;
        }
    }
    p = s->run;
    if (!reserve(j->a, &p, &s->run_cap, ch, sizeof(uint32_t))) {
        return MASKEVAL_ERR_NOMEM;
    }
    s->run = p;
    /* the crop, column-major */
    memset(s->crop, 0, (size_t)ch * cw);
    for (size_t k = 0; k < nruns; k++) {
        uint64_t pos = s->iv[2 * k];
        const uint64_t end = s->iv[2 * k + 1];
        while (pos < end) {
            const uint64_t col = pos / h, row = pos % h;
            const uint64_t stop = (col + 1) * h < end ? (col + 1) * h : end;
            memset(s->crop + (size_t)(col - c0) * ch + (size_t)(row - r0), 1, (size_t)(stop - pos));
            pos = stop;
        }
    }
    maskeval_band_mask_colmajor(s->crop, ch, cw, d, s->run, s->band);
    /* band runs back to counts over the whole image */
    p = s->counts;
    if (!reserve(j->a, &p, &s->counts_cap, 2 * ((size_t)cw * (ch / 2 + 1)) + 2,
                 sizeof(uint32_t))) {
        return MASKEVAL_ERR_NOMEM;
    }
    s->counts = p;
    for (uint32_t cc = 0; cc < cw; cc++) {
        const uint8_t *col = s->band + (size_t)cc * ch;
        uint32_t r = 0;
        while (r < ch) {
            uint32_t e;
            uint64_t start;
            if (!col[r]) {
                r++;
                continue;
            }
            for (e = r; e < ch && col[e]; e++) {
            }
            start = (uint64_t)(c0 + cc) * h + r0 + r;
            if (nc > 0 && start == prev_end) {
                s->counts[nc - 1] += e - r; /* continues the last run across columns */
            } else {
                s->counts[nc++] = (uint32_t)(start - prev_end);
                s->counts[nc++] = e - r;
            }
            prev_end = (uint64_t)(c0 + cc) * h + r0 + e;
            r = e;
        }
    }
    if ((uint64_t)h * w > prev_end) {
        s->counts[nc++] = (uint32_t)((uint64_t)h * w - prev_end);
    }
    maskeval_rle_stats_of(s->counts, nc, h, w, &stats);
    return maskeval_maskset_store(j->a, j->out, i, &stats, s->counts, nc, NULL, 0, NULL, 0, NULL,
                                  side);
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
    maskeval_free(j->a, s.counts);
    maskeval_free(j->a, s.run);
    maskeval_free(j->a, s.crop);
    maskeval_free(j->a, s.band);
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
