/*
 * bands.c - Boundary AP's bands on the CPU path: the boundary band of every
 * mask (raster/band.h) as sorted [start, end) pixel intervals, kept in
 * memory for the band intersections (backend_cpu.c), with its area.
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
    maskeval_bandset *out;
    const int32_t *img_of;
    const uint32_t *img_h, *img_w;
    double ratio;
    size_t n;
    const maskeval_alloc *a;
} band_job;

typedef struct band_scratch {
    uint32_t *iv;
    size_t iv_cap;
    maskeval_u32vec counts;
    maskeval_band_work work;
} band_scratch;

/* One mask's band, appended to its task's buffer. */
static maskeval_status band_one(band_job *j, band_scratch *s, size_t i, maskeval_u32vec *buf)
{
    const maskeval_maskset *ms = j->src;
    const uint32_t runs = ms->runs[i];
    maskeval_status st;
    uint32_t h, w;
    size_t nruns = 0;
    uint64_t area = 0;

    if (ms->len[i] == 0 || j->img_of[i] < 0) {
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
    /* counts (background first) to [start, end) intervals of the runs set */
    if (s->counts.n > UINT32_MAX || maskeval_u32vec_reserve(j->a, buf, buf->n + s->counts.n) !=
                                        MASKEVAL_OK) {
        return MASKEVAL_ERR_NOMEM;
    }
    j->out->off[i] = buf->n;
    {
        uint64_t pos = 0;
        uint32_t nv = 0;
        for (size_t k = 0; k + 1 < s->counts.n; k += 2) {
            pos += s->counts.v[k];
            if (s->counts.v[k + 1] > 0) {
                buf->v[buf->n++] = (uint32_t)pos;
                pos += s->counts.v[k + 1];
                buf->v[buf->n++] = (uint32_t)pos;
                area += s->counts.v[k + 1];
                nv++;
            }
        }
        j->out->len[i] = nv;
    }
    j->out->area[i] = (uint32_t)area; /* uint32, as pycocotools' area */
    return MASKEVAL_OK;
}

static maskeval_status band_task(void *arg, size_t t, int worker, char *err, size_t errcap)
{
    band_job *j = arg;
    band_scratch s;
    maskeval_status st = MASKEVAL_OK;
    const size_t i1 = (t + 1) * MASKEVAL_BAND_TASK < j->n ? (t + 1) * MASKEVAL_BAND_TASK : j->n;
    (void)worker;
    memset(&s, 0, sizeof(s));
    for (size_t i = t * MASKEVAL_BAND_TASK; i < i1 && st == MASKEVAL_OK; i++) {
        st = band_one(j, &s, i, &j->out->buf[t]);
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

void maskeval_bandset_free(const maskeval_alloc *a, maskeval_bandset *b)
{
    for (size_t t = 0; b->buf != NULL && t < b->ntasks; t++) {
        maskeval_u32vec_free(a, &b->buf[t]);
    }
    maskeval_free(a, b->buf);
    maskeval_free(a, b->off);
    maskeval_free(a, b->len);
    maskeval_free(a, b->area);
    memset(b, 0, sizeof(*b));
}

maskeval_status maskeval_mask_bands(maskeval_ctx *ctx, const maskeval_maskset *src, size_t n,
                                    const int32_t *img_of, const uint32_t *img_h,
                                    const uint32_t *img_w, double ratio, maskeval_bandset *out)
{
    const maskeval_alloc *a = &ctx->alloc;
    band_job j;
    maskeval_status st;

    memset(out, 0, sizeof(*out));
    out->n = n;
    out->ntasks = n == 0 ? 1 : (n + MASKEVAL_BAND_TASK - 1) / MASKEVAL_BAND_TASK;
    out->buf = maskeval_calloc(a, out->ntasks, sizeof(maskeval_u32vec));
    out->off = maskeval_calloc(a, n + 1, sizeof(uint64_t));
    out->len = maskeval_calloc(a, n + 1, sizeof(uint32_t));
    out->area = maskeval_calloc(a, n + 1, sizeof(uint32_t));
    if (out->buf == NULL || out->off == NULL || out->len == NULL || out->area == NULL) {
        maskeval_bandset_free(a, out);
        return maskeval_nomem(ctx, "boundary bands");
    }
    memset(&j, 0, sizeof(j));
    j.src = src;
    j.out = out;
    j.img_of = img_of;
    j.img_h = img_h;
    j.img_w = img_w;
    j.ratio = ratio;
    j.n = n;
    j.a = a;
    st = maskeval_parallel_for(ctx, out->ntasks, band_task, &j);
    if (st != MASKEVAL_OK) {
        maskeval_bandset_free(a, out);
    }
    return st;
}
