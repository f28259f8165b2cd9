/*
 * rle_batch.c - RLE operations on many masks at once, on compressed strings:
 * what pycocotools.mask offers (encode, decode, area, toBbox, merge, iou,
 * frPoly, frUncompressedRLE) for the Python package, and dense-mask encoding
 * for its streaming evaluator (row-major input, on the context's threads).
 *
 * A maskeval_rles is a growable list of compressed strings kept back to back
 * in one buffer with offsets, so a caller reads every result with one call.
 */
#include <stdio.h>
#include <string.h>

#include "core/threadpool.h"
#include "iou/iou.h"
#include "raster/poly.h"
#include "rle/rle.h"

struct maskeval_rles {
    maskeval_alloc alloc;
    char *str;
    size_t len, cap;  /* bytes used / allocated */
    uint64_t *off;    /* [n + 1] */
    size_t n, off_cap;
};

maskeval_status maskeval_rles_create(maskeval_ctx *ctx, maskeval_rles **out)
{
    maskeval_rles *r;
    if (ctx == NULL || out == NULL) {
        return MASKEVAL_ERR_INVALID_ARG;
    }
    r = maskeval_calloc(&ctx->alloc, 1, sizeof(*r));
    if (r == NULL) {
        *out = NULL;
        return maskeval_nomem(ctx, "creating an RLE list");
    }
    r->alloc = ctx->alloc;
    r->off = maskeval_calloc(&ctx->alloc, 16, sizeof(uint64_t));
    if (r->off == NULL) {
        maskeval_free(&ctx->alloc, r);
        *out = NULL;
        return maskeval_nomem(ctx, "creating an RLE list");
    }
    r->off_cap = 16;
    *out = r;
    return MASKEVAL_OK;
}

void maskeval_rles_destroy(maskeval_rles *r)
{
    maskeval_alloc a;
    if (r == NULL) {
        return;
    }
    a = r->alloc;
    maskeval_free(&a, r->str);
    maskeval_free(&a, r->off);
    maskeval_free(&a, r);
}

void maskeval_rles_clear(maskeval_rles *r)
{
    if (r != NULL) {
        r->n = 0;
        r->len = 0;
    }
}

size_t maskeval_rles_count(const maskeval_rles *r)
{
    return r != NULL ? r->n : 0;
}

const char *maskeval_rles_strings(const maskeval_rles *r, const uint64_t **off)
{
    if (off != NULL) {
        *off = r != NULL ? r->off : NULL;
    }
    return r != NULL ? (r->str != NULL ? r->str : "") : NULL;
}

/* Room for `more` strings of `bytes` bytes in all. */
static maskeval_status reserve(maskeval_ctx *ctx, maskeval_rles *r, size_t more, size_t bytes)
{
    void *p = r->off;
    if (maskeval_grow(&r->alloc, &p, &r->off_cap, r->n + more + 1, sizeof(uint64_t)) !=
        MASKEVAL_OK) {
        return maskeval_nomem(ctx, "growing an RLE list");
    }
    r->off = p;
    p = r->str;
    if (maskeval_grow(&r->alloc, &p, &r->cap, r->len + bytes + 1, 1) != MASKEVAL_OK) {
        return maskeval_nomem(ctx, "growing an RLE list");
    }
    r->str = p;
    return MASKEVAL_OK;
}

/* Appends the string of counts[0..n). */
static maskeval_status append_counts(maskeval_ctx *ctx, maskeval_rles *r, const uint32_t *counts,
                                     size_t n)
{
    maskeval_status st = reserve(ctx, r, 1, maskeval_rle_str_bound(n));
    if (st != MASKEVAL_OK) {
        return st;
    }
    r->len += maskeval_rle_str_encode(counts, n, r->str + r->len);
    r->str[r->len] = '\0';
    r->off[++r->n] = r->len;
    return MASKEVAL_OK;
}

/* ---- encoding dense masks ---------------------------------------------- */

/*
 * Run lengths of n bytes read in order (a column-major mask). A run ends
 * where the foreground test changes: any nonzero byte is foreground, or with
 * raw values (pycocotools' rleEncode) a run ends wherever the byte value
 * changes (1 then 2). Eight bytes at a time while they all continue the run:
 * a word of zeros, a word without a zero byte, or (raw) eight copies of the
 * current value.
 */
static size_t scan_runs(const uint8_t *m, size_t n, int raw, uint32_t *counts)
{
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    size_t k = 0, i = 0;
    uint32_t c = 0;
    unsigned p = 0;
    while (i < n) {
        if (i + 8 <= n) {
            uint64_t v;
            int same;
            memcpy(&v, m + i, 8);
            if (raw) {
                same = v == ones * p;
            } else if (p == 0) {
                same = v == 0;
            } else {
                same = ((v - ones) & ~v & highs) == 0; /* no zero byte */
            }
            if (same) {
                c += 8;
                i += 8;
                continue;
            }
        }
        {
            const unsigned b = m[i];
            const unsigned v = raw ? b : b != 0;
            if (v != p) {
                counts[k++] = c;
                c = 0;
                p = v;
            }
            c++;
            i++;
        }
    }
    counts[k++] = c;
    return k;
}

/* Transposes the 8 x 8 byte matrix held in r[0..7] (row i = r[i], column j
 * = byte j, little-endian) in place: three rounds of block swaps. */
static void transpose8(uint64_t r[8])
{
    for (int i = 0; i < 4; i++) {
        const uint64_t t = ((r[i] >> 32) ^ r[i + 4]) & 0x00000000FFFFFFFFu;
        r[i] ^= t << 32;
        r[i + 4] ^= t;
    }
    for (int i = 0; i < 8; i += (i & 1) ? 3 : 1) { /* 0, 1, 4, 5 */
        const uint64_t t = ((r[i] >> 16) ^ r[i + 2]) & 0x0000FFFF0000FFFFu;
        r[i] ^= t << 16;
        r[i + 2] ^= t;
    }
    for (int i = 0; i < 8; i += 2) {
        const uint64_t t = ((r[i] >> 8) ^ r[i + 1]) & 0x00FF00FF00FF00FFu;
        r[i] ^= t << 8;
        r[i + 1] ^= t;
    }
}

/* dst (column-major h x w) = src (row-major h x w): 8 x 8 blocks through
 * registers, all-zero blocks (most of a typical mask) skipped over a zeroed
 * dst; the ragged right and bottom edges byte by byte. */
static void transpose(const uint8_t *src, uint32_t h, uint32_t w, uint8_t *dst)
{
    const uint32_t h8 = h & ~7u, w8 = w & ~7u;
    memset(dst, 0, (size_t)h * w);
    for (uint32_t y = 0; y < h8; y += 8) {
        for (uint32_t x = 0; x < w8; x += 8) {
            uint64_t r[8], any = 0;
            for (int i = 0; i < 8; i++) {
                memcpy(&r[i], src + (size_t)(y + i) * w + x, 8);
                any |= r[i];
            }
            if (any == 0) {
                continue;
            }
            transpose8(r);
            for (int j = 0; j < 8; j++) {
                memcpy(dst + (size_t)(x + j) * h + y, &r[j], 8);
            }
        }
        for (uint32_t yy = y; yy < y + 8; yy++) {
            for (uint32_t x = w8; x < w; x++) {
                dst[(size_t)x * h + yy] = src[(size_t)yy * w + x];
            }
        }
    }
    for (uint32_t yy = h8; yy < h; yy++) {
        for (uint32_t x = 0; x < w; x++) {
            dst[(size_t)x * h + yy] = src[(size_t)yy * w + x];
        }
    }
}

/* Counts of one mask (row-major input is transposed into scratch first). */
static size_t encode_one(const uint8_t *m, uint32_t h, uint32_t w, unsigned layout,
                         uint8_t *scratch, uint32_t *counts)
{
    const size_t n = (size_t)h * w;
    if (layout & MASKEVAL_MASK_ROW_MAJOR) {
        transpose(m, h, w, scratch);
        m = scratch;
    }
    return scan_runs(m, n, (layout & MASKEVAL_MASK_RAW_VALUES) != 0, counts);
}

typedef struct enc_job {
    const uint8_t *masks;
    uint32_t h, w;
    unsigned layout;
    uint32_t **counts; /* per worker, h*w + 1 counts */
    uint8_t **scratch; /* per worker, h*w bytes (row-major input) */
    char **strs;       /* per mask, its string (owned until appended) */
    size_t *lens;
    uint32_t *area;    /* optional outputs */
    double *bbox;
    const maskeval_alloc *alloc;
} enc_job;

static maskeval_status encode_task(void *arg, size_t i, int worker, char *err, size_t errcap)
{
    enc_job *j = arg;
    const size_t npix = (size_t)j->h * j->w;
    size_t k = encode_one(j->masks + i * npix, j->h, j->w, j->layout, j->scratch[worker],
                          j->counts[worker]);
    char *s = maskeval_malloc(j->alloc, maskeval_rle_str_bound(k) + 1);
    if (s == NULL) {
        snprintf(err, errcap, "out of memory encoding mask %zu", i);
        return MASKEVAL_ERR_NOMEM;
    }
    j->lens[i] = maskeval_rle_str_encode(j->counts[worker], k, s);
    j->strs[i] = s;
    if (j->area != NULL) {
        j->area[i] = maskeval_rle_area(j->counts[worker], k);
    }
    if (j->bbox != NULL) {
        maskeval_rle_bbox(j->counts[worker], k, j->h, j->w, j->bbox + 4 * i);
    }
    return MASKEVAL_OK;
}

maskeval_status maskeval_rles_encode(maskeval_ctx *ctx, maskeval_rles *r, const uint8_t *masks,
                                     size_t n, uint32_t h, uint32_t w, unsigned layout,
                                     uint32_t *area, double *bbox)
{
    const maskeval_alloc *a;
    enc_job j;
    int workers;
    size_t total = 0;
    maskeval_status st = MASKEVAL_OK;

    if (ctx == NULL || r == NULL || (masks == NULL && n > 0 && (uint64_t)h * w > 0)) {
        return ctx != NULL ? maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                                           "maskeval_rles_encode: invalid arguments")
                           : MASKEVAL_ERR_INVALID_ARG;
    }
    if ((uint64_t)h * w >= UINT32_MAX) {
        return maskeval_fail(ctx, MASKEVAL_ERR_LIMIT, "masks of %ux%u pixels: above 2^32-1", h,
                             w);
    }
    if (n == 0) {
        return MASKEVAL_OK;
    }
    a = &ctx->alloc;
    memset(&j, 0, sizeof(j));
    workers = maskeval_parallel_workers(ctx, n);
    j.masks = masks;
    j.h = h;
    j.w = w;
    j.layout = layout;
    j.alloc = a;
    j.area = area;
    j.bbox = bbox;
    j.counts = maskeval_calloc(a, (size_t)workers, sizeof(uint32_t *));
    j.scratch = maskeval_calloc(a, (size_t)workers, sizeof(uint8_t *));
    j.strs = maskeval_calloc(a, n, sizeof(char *));
    j.lens = maskeval_calloc(a, n, sizeof(size_t));
    if (j.counts == NULL || j.scratch == NULL || j.strs == NULL || j.lens == NULL) {
        st = maskeval_nomem(ctx, "encoding masks");
        goto done;
    }
    for (int t = 0; t < workers; t++) {
        if ((j.counts[t] = maskeval_calloc(a, (size_t)h * w + 1, sizeof(uint32_t))) == NULL ||
            ((layout & MASKEVAL_MASK_ROW_MAJOR) &&
             (j.scratch[t] = maskeval_malloc(a, (size_t)h * w + 1)) == NULL)) {
            st = maskeval_nomem(ctx, "encoding masks");
            goto done;
        }
    }
    st = maskeval_parallel_for(ctx, n, encode_task, &j);
    if (st != MASKEVAL_OK) {
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        total += j.lens[i];
    }
    st = reserve(ctx, r, n, total);
    for (size_t i = 0; st == MASKEVAL_OK && i < n; i++) {
        memcpy(r->str + r->len, j.strs[i], j.lens[i]);
        r->len += j.lens[i];
        r->off[++r->n] = r->len;
    }
    if (st == MASKEVAL_OK) {
        r->str[r->len] = '\0';
    }
done:
    for (int t = 0; j.counts != NULL && t < workers; t++) {
        maskeval_free(a, j.counts[t]);
    }
    for (int t = 0; j.scratch != NULL && t < workers; t++) {
        maskeval_free(a, j.scratch[t]);
    }
    maskeval_free(a, j.scratch);
    for (size_t i = 0; j.strs != NULL && i < n; i++) {
        maskeval_free(a, j.strs[i]);
    }
    maskeval_free(a, j.counts);
    maskeval_free(a, j.strs);
    maskeval_free(a, j.lens);
    return st;
}

/* ---- polygons and uncompressed RLE -------------------------------------- */

maskeval_status maskeval_rles_polygons(maskeval_ctx *ctx, maskeval_rles *r, const double *xy,
                                       const uint64_t *poly_off, size_t n, uint32_t h,
                                       uint32_t w)
{
    maskeval_u32vec scratch = {0}, out = {0};
    maskeval_status st = MASKEVAL_OK;
    if (ctx == NULL || r == NULL || (n > 0 && (xy == NULL || poly_off == NULL))) {
        return ctx != NULL ? maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                                           "maskeval_rles_polygons: invalid arguments")
                           : MASKEVAL_ERR_INVALID_ARG;
    }
    for (size_t i = 0; i < n && st == MASKEVAL_OK; i++) {
        /* rleFrPoly(k = len / 2): an odd last coordinate is not read */
        const size_t k = (size_t)(poly_off[i + 1] - poly_off[i]) / 2;
        if (poly_off[i + 1] < poly_off[i] || k == 0) {
            st = maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                               "polygon %zu: needs at least one point (pycocotools reads past "
                               "the end of an empty one)",
                               i);
            break;
        }
        st = maskeval_poly_rasterize(&ctx->alloc, xy + poly_off[i], k, h, w, &scratch, &out);
        if (st == MASKEVAL_ERR_LIMIT) {
            st = maskeval_fail(ctx, st,
                               "polygon %zu: coordinate non-finite or beyond +-%.0f pixels, or "
                               "image beyond 2^32-1 pixels",
                               i, MASKEVAL_POLY_COORD_LIMIT);
        } else if (st != MASKEVAL_OK) {
            st = maskeval_nomem(ctx, "rasterizing a polygon");
        } else {
            st = append_counts(ctx, r, out.v, out.n);
        }
    }
    maskeval_u32vec_free(&ctx->alloc, &scratch);
    maskeval_u32vec_free(&ctx->alloc, &out);
    return st;
}

/*
 * pycocotools' annToRLE of polygon annotations: group i is the polygons
 * [group_off[i], group_off[i + 1]) of poly_off, rasterized at h[i] x w[i]
 * and merged (frPyObjects, then merge) into one string.
 */
maskeval_status maskeval_rles_polygon_groups(maskeval_ctx *ctx, maskeval_rles *r,
                                             const double *xy, const uint64_t *poly_off,
                                             const uint64_t *group_off, size_t n_groups,
                                             const uint32_t *h, const uint32_t *w)
{
    const maskeval_alloc *a;
    maskeval_u32vec scratch = {0}, poly = {0}, acc = {0}, tmp = {0};
    maskeval_status st = MASKEVAL_OK;
    if (ctx == NULL || r == NULL ||
        (n_groups > 0 && (xy == NULL || poly_off == NULL || group_off == NULL || h == NULL ||
                          w == NULL))) {
        return ctx != NULL ? maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                                           "maskeval_rles_polygon_groups: invalid arguments")
                           : MASKEVAL_ERR_INVALID_ARG;
    }
    a = &ctx->alloc;
    for (size_t i = 0; i < n_groups && st == MASKEVAL_OK; i++) {
        if (group_off[i + 1] <= group_off[i]) {
            st = maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                               "annotation %zu: an empty polygon list (pycocotools raises "
                               "IndexError)",
                               i);
            break;
        }
        for (uint64_t p = group_off[i]; p < group_off[i + 1] && st == MASKEVAL_OK; p++) {
            const size_t k = (size_t)(poly_off[p + 1] - poly_off[p]) / 2;
            maskeval_u32vec *dst = p == group_off[i] ? &acc : &poly;
            if (poly_off[p + 1] < poly_off[p] || k == 0) {
                st = maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                                   "annotation %zu: polygon %llu needs at least one point", i,
                                   (unsigned long long)(p - group_off[i]));
                break;
            }
            st = maskeval_poly_rasterize(a, xy + poly_off[p], k, h[i], w[i], &scratch, dst);
            if (st == MASKEVAL_ERR_LIMIT) {
                st = maskeval_fail(ctx, st,
                                   "annotation %zu: polygon %llu: coordinate non-finite or "
                                   "beyond +-%.0f pixels, or image beyond 2^32-1 pixels",
                                   i, (unsigned long long)(p - group_off[i]),
                                   MASKEVAL_POLY_COORD_LIMIT);
                break;
            }
            if (st == MASKEVAL_OK && p > group_off[i]) {
                st = maskeval_rle_merge_into(a, &acc, poly.v, poly.n, 0, &tmp);
            }
            if (st == MASKEVAL_ERR_NOMEM) {
                st = maskeval_nomem(ctx, "rasterizing polygons");
            }
        }
        if (st == MASKEVAL_OK) {
            st = append_counts(ctx, r, acc.v, acc.n);
        }
    }
    maskeval_u32vec_free(a, &scratch);
    maskeval_u32vec_free(a, &poly);
    maskeval_u32vec_free(a, &acc);
    maskeval_u32vec_free(a, &tmp);
    return st;
}

maskeval_status maskeval_rles_counts(maskeval_ctx *ctx, maskeval_rles *r, const uint32_t *counts,
                                     const uint64_t *off, size_t n)
{
    maskeval_status st = MASKEVAL_OK;
    if (ctx == NULL || r == NULL || (n > 0 && off == NULL)) {
        return ctx != NULL ? maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                                           "maskeval_rles_counts: invalid arguments")
                           : MASKEVAL_ERR_INVALID_ARG;
    }
    for (size_t i = 0; i < n && st == MASKEVAL_OK; i++) {
        st = append_counts(ctx, r, counts + off[i], (size_t)(off[i + 1] - off[i]));
    }
    return st;
}

/* ---- reading strings ----------------------------------------------------- */

/* Decodes string i into *v (grown as needed). */
static maskeval_status decode_str(maskeval_ctx *ctx, const char *str, const uint64_t *off,
                                  size_t i, maskeval_u32vec *v, const char *what)
{
    const size_t len = (size_t)(off[i + 1] - off[i]);
    size_t m = 0, where = 0, index = 0;
    maskeval_rle_strerr e;
    if (maskeval_u32vec_reserve(&ctx->alloc, v, len + 1) != MASKEVAL_OK) {
        return maskeval_nomem(ctx, "decoding an RLE string");
    }
    e = maskeval_rle_str_decode(str + off[i], len, v->v, &m, &where, &index);
    if (e != MASKEVAL_RLE_STR_OK) {
        return maskeval_fail(ctx, MASKEVAL_ERR_PARSE, "%s %zu: counts: %s at byte %zu (count %zu)",
                             what, i, maskeval_rle_strerr_text(e), where, index);
    }
    v->n = m;
    return MASKEVAL_OK;
}

static maskeval_status check_total(maskeval_ctx *ctx, const maskeval_u32vec *v, uint32_t h,
                                   uint32_t w, const char *what, size_t i)
{
    const uint64_t t = maskeval_rle_total(v->v, v->n);
    if (t != (uint64_t)h * w) {
        return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                             "%s %zu: counts sum to %llu pixels but size is %ux%u", what, i,
                             (unsigned long long)t, h, w);
    }
    return MASKEVAL_OK;
}

maskeval_status maskeval_rles_info(maskeval_ctx *ctx, const char *str, const uint64_t *off,
                                   size_t n, const uint32_t *h, const uint32_t *w, uint32_t *area,
                                   double *bbox)
{
    maskeval_u32vec v = {0};
    maskeval_status st = MASKEVAL_OK;
    if (ctx == NULL || (n > 0 && (str == NULL || off == NULL || h == NULL || w == NULL))) {
        return ctx != NULL ? maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                                           "maskeval_rles_info: invalid arguments")
                           : MASKEVAL_ERR_INVALID_ARG;
    }
    for (size_t i = 0; i < n && st == MASKEVAL_OK; i++) {
        st = decode_str(ctx, str, off, i, &v, "rle");
        if (st == MASKEVAL_OK) {
            st = check_total(ctx, &v, h[i], w[i], "rle", i);
        }
        if (st == MASKEVAL_OK && area != NULL) {
            area[i] = maskeval_rle_area(v.v, v.n);
        }
        if (st == MASKEVAL_OK && bbox != NULL) {
            maskeval_rle_bbox(v.v, v.n, h[i], w[i], bbox + 4 * i);
        }
    }
    maskeval_u32vec_free(&ctx->alloc, &v);
    return st;
}

maskeval_status maskeval_rles_decode(maskeval_ctx *ctx, const char *str, const uint64_t *off,
                                     size_t n, uint32_t h, uint32_t w, uint8_t *out)
{
    const size_t npix = (size_t)h * w;
    maskeval_u32vec v = {0};
    maskeval_status st = MASKEVAL_OK;
    if (ctx == NULL || (n > 0 && (str == NULL || off == NULL || (out == NULL && npix > 0)))) {
        return ctx != NULL ? maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                                           "maskeval_rles_decode: invalid arguments")
                           : MASKEVAL_ERR_INVALID_ARG;
    }
    for (size_t i = 0; i < n && st == MASKEVAL_OK; i++) {
        st = decode_str(ctx, str, off, i, &v, "rle");
        if (st == MASKEVAL_OK) {
            st = check_total(ctx, &v, h, w, "rle", i);
        }
        if (st == MASKEVAL_OK) {
            uint8_t *m = out + i * npix, val = 0;
            for (size_t j = 0; j < v.n; j++, val = !val) {
                memset(m, val, v.v[j]);
                m += v.v[j];
            }
        }
    }
    maskeval_u32vec_free(&ctx->alloc, &v);
    return st;
}

/*
 * pycocotools' rleMerge of n masks: unions (or intersections) left to right
 * with its run bookkeeping; masks of another size than the first make the
 * result an empty 0 x 0 mask (*out_h = *out_w = 0), as there.
 */
maskeval_status maskeval_rles_merge(maskeval_ctx *ctx, maskeval_rles *r, const char *str,
                                    const uint64_t *off, size_t n, const uint32_t *h,
                                    const uint32_t *w, int intersect, uint32_t *out_h,
                                    uint32_t *out_w)
{
    const maskeval_alloc *a;
    maskeval_u32vec acc = {0}, b = {0}, tmp = {0};
    maskeval_status st = MASKEVAL_OK;
    uint32_t mh, mw;
    if (ctx == NULL || r == NULL || out_h == NULL || out_w == NULL ||
        (n > 0 && (str == NULL || off == NULL || h == NULL || w == NULL))) {
        return ctx != NULL ? maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                                           "maskeval_rles_merge: invalid arguments")
                           : MASKEVAL_ERR_INVALID_ARG;
    }
    a = &ctx->alloc;
    if (n == 0) {
        *out_h = *out_w = 0;
        return append_counts(ctx, r, NULL, 0);
    }
    mh = h[0];
    mw = w[0];
    st = decode_str(ctx, str, off, 0, &acc, "rle");
    for (size_t i = 1; i < n && st == MASKEVAL_OK; i++) {
        if (h[i] != mh || w[i] != mw) {
            mh = mw = 0;
            acc.n = 0;
            break;
        }
        st = decode_str(ctx, str, off, i, &b, "rle");
        if (st == MASKEVAL_OK &&
            maskeval_rle_merge_into(a, &acc, b.v, b.n, intersect, &tmp) != MASKEVAL_OK) {
            st = maskeval_nomem(ctx, "merging masks");
        }
    }
    if (st == MASKEVAL_OK) {
        *out_h = mh;
        *out_w = mw;
        st = append_counts(ctx, r, acc.v, acc.n);
    }
    maskeval_u32vec_free(a, &acc);
    maskeval_u32vec_free(a, &b);
    maskeval_u32vec_free(a, &tmp);
    return st;
}

/* ---- IoU matrices --------------------------------------------------------- */

/*
 * pycocotools' rleIou: the box pre-filter first (each mask's box at its own
 * size), so masks of different sizes give -1 only where their boxes overlap.
 */
maskeval_status maskeval_rles_iou(maskeval_ctx *ctx, const char *dt, const uint64_t *dt_off,
                                  size_t nd, const uint32_t *dt_h, const uint32_t *dt_w,
                                  const char *gt, const uint64_t *gt_off, size_t ng,
                                  const uint32_t *gt_h, const uint32_t *gt_w,
                                  const uint8_t *iscrowd, double *out)
{
    const maskeval_alloc *a;
    maskeval_u32vec *gc = NULL, d = {0};
    double *gbox = NULL;
    maskeval_status st = MASKEVAL_OK;
    if (ctx == NULL || (nd > 0 && (dt == NULL || dt_off == NULL || dt_h == NULL || dt_w == NULL)) ||
        (ng > 0 && (gt == NULL || gt_off == NULL || gt_h == NULL || gt_w == NULL)) ||
        (nd * ng > 0 && out == NULL)) {
        return ctx != NULL ? maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                                           "maskeval_rles_iou: invalid arguments")
                           : MASKEVAL_ERR_INVALID_ARG;
    }
    if (nd == 0 || ng == 0) {
        return MASKEVAL_OK;
    }
    a = &ctx->alloc;
    gc = maskeval_calloc(a, ng, sizeof(*gc));
    gbox = maskeval_calloc(a, ng, 4 * sizeof(double));
    if (gc == NULL || gbox == NULL) {
        st = maskeval_nomem(ctx, "computing IoUs");
        goto done;
    }
    for (size_t g = 0; g < ng && st == MASKEVAL_OK; g++) {
        st = decode_str(ctx, gt, gt_off, g, &gc[g], "gt");
        if (st == MASKEVAL_OK) {
            st = check_total(ctx, &gc[g], gt_h[g], gt_w[g], "gt", g);
        }
        if (st == MASKEVAL_OK) {
            maskeval_rle_bbox(gc[g].v, gc[g].n, gt_h[g], gt_w[g], gbox + 4 * g);
        }
    }
    for (size_t i = 0; i < nd && st == MASKEVAL_OK; i++) {
        double dbox[4];
        uint32_t darea;
        st = decode_str(ctx, dt, dt_off, i, &d, "dt");
        if (st == MASKEVAL_OK) {
            st = check_total(ctx, &d, dt_h[i], dt_w[i], "dt", i);
        }
        if (st != MASKEVAL_OK) {
            break;
        }
        maskeval_rle_bbox(d.v, d.n, dt_h[i], dt_w[i], dbox);
        darea = maskeval_rle_area(d.v, d.n);
        for (size_t g = 0; g < ng; g++) {
            const int crowd = iscrowd != NULL && iscrowd[g] != 0;
            double v = 0.0;
            if (maskeval_box_iou(dbox, gbox + 4 * g, crowd) > 0) {
                v = dt_h[i] != gt_h[g] || dt_w[i] != gt_w[g]
                        ? -1.0
                        : maskeval_iou_from_counts(
                              maskeval_rle_intersection(d.v, d.n, gc[g].v, gc[g].n), darea,
                              maskeval_rle_area(gc[g].v, gc[g].n), crowd);
            }
            out[g * nd + i] = v;
        }
    }
done:
    for (size_t g = 0; gc != NULL && g < ng; g++) {
        maskeval_u32vec_free(a, &gc[g]);
    }
    maskeval_free(a, gc);
    maskeval_free(a, gbox);
    maskeval_u32vec_free(a, &d);
    return st;
}

void maskeval_box_iou_matrix(const double *dt, size_t nd, const double *gt, size_t ng,
                             const uint8_t *iscrowd, double *out)
{
    for (size_t g = 0; g < ng; g++) {
        const int crowd = iscrowd != NULL && iscrowd[g] != 0;
        for (size_t i = 0; i < nd; i++) {
            out[g * nd + i] = maskeval_box_iou(dt + 4 * i, gt + 4 * g, crowd);
        }
    }
}
