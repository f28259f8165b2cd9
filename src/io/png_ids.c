/*
 * png_ids.c - COCO panoptic segment PNGs to ids, fast. These files are
 * 8-bit RGB, non-interlaced, a few kB of DEFLATE that expand 100-fold, and
 * zlib's inflate plus libspng's per-scanline unfiltering took ~2/3 of a
 * panoptic evaluation. Here the IDAT stream is inflated in one call by
 * libdeflate and the rows are unfiltered in place, each turned into ids as
 * soon as it is done, or handed out one by one (maskeval_png_rows, for PQ's
 * row-by-row pair counts, which need no id map; 8-bit gray too, for
 * Cityscapes' prediction masks, png_luma.c). Anything else - other
 * colour types or depths, interlacing, a CRC, length or stream problem -
 * goes to the libspng path (png_labels.c), which reads every valid file and
 * words every error, so both paths give the same ids and the same messages.
 */
#include <libdeflate.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/png_labels.h"

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The layout of a clean file: IHDR first, then chunks up to IEND with
 * every CRC right and the IDAT chunks contiguous. 0: not one (fallback). */
typedef struct png_layout {
    uint32_t w, h, bpp; /* bpp 1: gray, 2: 16-bit gray, 3: RGB, 4: RGBA */
    const uint8_t *idat; /* the single IDAT's data, or NULL when there are several */
    size_t idat_len;     /* total IDAT bytes */
    size_t first_idat, n_idat;
} png_layout;

static int layout_of(const uint8_t *f, size_t n, png_layout *L)
{
    size_t p = 8;
    int seen_idat = 0, ended_idat = 0;
    memset(L, 0, sizeof(*L));
    if (n < 8 + 25 || memcmp(f, "\x89PNG\r\n\x1a\n", 8) != 0 || be32(f + 8) != 13 ||
        memcmp(f + 12, "IHDR", 4) != 0) {
        return 0;
    }
    L->w = be32(f + 16);
    L->h = be32(f + 20);
    /* 8-bit gray (0), RGB (2) or RGBA (6), or 16-bit gray; deflate, adaptive
     * filtering, no interlace */
    if (!(f[24] == 8 && (f[25] == 0 || f[25] == 2 || f[25] == 6)) &&
        !(f[24] == 16 && f[25] == 0)) {
        return 0;
    }
    if (f[26] != 0 || f[27] != 0 || f[28] != 0 || L->w == 0 || L->h == 0 ||
        L->w > (1u << 20) || L->h > (1u << 20)) {
        return 0;
    }
    L->bpp = f[25] == 0 ? f[24] / 8u : f[25] == 2 ? 3 : 4;
    while (p + 12 <= n) {
        const uint32_t len = be32(f + p);
        const uint8_t *type = f + p + 4;
        if (len > n - p - 12 ||
            libdeflate_crc32(0, type, (size_t)len + 4) != be32(f + p + 8 + len)) {
            return 0;
        }
        if (memcmp(type, "IDAT", 4) == 0) {
            if (ended_idat) {
                return 0;
            }
            if (!seen_idat) {
                L->first_idat = p;
            }
            seen_idat = 1;
            L->n_idat++;
            L->idat_len += len;
        } else {
            ended_idat = seen_idat;
            if (memcmp(type, "IEND", 4) == 0) {
                if (seen_idat && L->n_idat == 1) {
                    L->idat = f + L->first_idat + 8;
                }
                return seen_idat;
            }
            /* anything but the first IHDR, IDAT and IEND (a palette, an
             * ancillary chunk whose place or contents libspng would check, a
             * second IHDR): libspng decides. Pillow writes none of them. */
            if (p != 8) {
                return 0;
            }
        }
        p += 12 + (size_t)len;
    }
    return 0;
}

/* R + 256 G + 65536 B of 4 bytes R, G, B, x loaded as a native word */
static inline uint32_t le_rgb(uint32_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u);
#else
    return v & 0xffffffu;
#endif
}

static inline uint8_t paeth(uint8_t a, uint8_t b, uint8_t c)
{
    const int p = (int)a + b - c;
    const int pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
    return pa <= pb && pa <= pc ? a : (pb <= pc ? b : c);
}

/* Block helpers for the unfiltering; n is a multiple of 8 and a constant
 * once inlined, so each is a few wide loads. */
#if defined(__GNUC__)
#define ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define ALWAYS_INLINE inline
#endif
/* 1 when the n bytes at p are all 0 */
static ALWAYS_INLINE int zero_bytes(const uint8_t *p, size_t n)
{
    uint64_t acc = 0;
    for (size_t j = 0; j < n; j += 8) {
        uint64_t v;
        memcpy(&v, p + j, 8);
        acc |= v;
    }
    return acc == 0;
}

/* 1 when the n bytes at p and at q are equal */
static ALWAYS_INLINE int same_bytes(const uint8_t *p, const uint8_t *q, size_t n)
{
    uint64_t acc = 0;
    for (size_t j = 0; j < n; j += 8) {
        uint64_t u, v;
        memcpy(&u, p + j, 8);
        memcpy(&v, q + j, 8);
        acc |= u ^ v;
    }
    return acc == 0;
}

/* n bytes (a multiple of 8 pixels) of the bpp-byte pixel l, repeated; on
 * little-endian machines from words built in registers (a pattern built
 * byte by byte in memory and read back as words would stall the loads) */
static ALWAYS_INLINE void fill_pixel(uint8_t *dst, const uint8_t *l, unsigned bpp, size_t n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t w[3];
    const size_t period = bpp == 3 ? 24 : 8;
    if (bpp == 1) {
        w[0] = w[1] = w[2] = l[0] * 0x0101010101010101ull;
    } else if (bpp == 2) {
        w[0] = w[1] = w[2] = ((uint64_t)l[0] | (uint64_t)l[1] << 8) * 0x0001000100010001ull;
    } else if (bpp == 4) {
        uint32_t v;
        memcpy(&v, l, 4);
        w[0] = w[1] = w[2] = v | (uint64_t)v << 32;
    } else {
        const uint64_t v = (uint64_t)l[0] | (uint64_t)l[1] << 8 | (uint64_t)l[2] << 16;
        w[0] = v | v << 24 | v << 48;
        w[1] = v >> 16 | v << 8 | v << 32 | v << 56;
        w[2] = v >> 8 | v << 16 | v << 40;
    }
    for (size_t j = 0; j < n; j += period) {
        for (size_t q = 0; q < period / 8; q++) {
            memcpy(dst + j + 8 * q, &w[q], 8);
        }
    }
#else
    uint8_t pat[32];
    for (unsigned m = 0; m < 8; m++) {
        memcpy(pat + m * bpp, l, bpp);
    }
    for (size_t j = 0; j < n; j += 8 * (size_t)bpp) {
        memcpy(dst + j, pat, 8 * (size_t)bpp);
    }
#endif
}

/* Unfilters row (n bytes, filter type ft <= 4) against prev (NULL: the
 * first row, all zeros), bpp 1 to 4 as a constant once inlined. Sub, Avg
 * and Paeth carry the left pixel in locals: through memory each byte would
 * wait for the store of the byte bpp before it. Sub and Paeth take spans of
 * zero residual 32 and then 8 pixels at a time (Paeth: where the row goes
 * on as the one above, or under a flat stretch of it): the flat regions of
 * a segment map, most of a row. */
static ALWAYS_INLINE void unfilter_bpp(uint8_t *row, const uint8_t *prev, size_t n,
                                       const unsigned bpp, unsigned ft)
{
    uint8_t l[4] = {0, 0, 0, 0}; /* the left pixel */
    const size_t big = 32 * (size_t)bpp, small = 8 * (size_t)bpp;
    if (ft == 0) {
        return;
    }
    if (ft == 2) {
        for (size_t i = 0; prev != NULL && i < n; i++) {
            row[i] = (uint8_t)(row[i] + prev[i]);
        }
        return;
    }
    if (ft == 4 && prev == NULL) {
        ft = 1; /* Paeth of (left, 0, 0) is left: Sub */
    }
    if (ft == 1) {
        for (size_t i = 0; i < n; i += bpp) {
            /* nothing added: the left pixel */
            if (n - i >= big && zero_bytes(row + i, big)) {
                fill_pixel(row + i, l, bpp, big);
                i += big - bpp;
                continue;
            }
            if (n - i >= small && zero_bytes(row + i, small)) {
                fill_pixel(row + i, l, bpp, small);
                i += small - bpp;
                continue;
            }
            for (unsigned k = 0; k < bpp; k++) {
                l[k] = (uint8_t)(row[i + k] + l[k]);
                row[i + k] = l[k];
            }
        }
    } else if (ft == 3) {
        for (size_t i = 0; i < n; i += bpp) {
            for (unsigned k = 0; k < bpp; k++) {
                const unsigned up = prev != NULL ? prev[i + k] : 0;
                l[k] = (uint8_t)(row[i + k] + ((l[k] + up) >> 1));
                row[i + k] = l[k];
            }
        }
    } else {
        for (unsigned k = 0; k < bpp; k++) { /* Paeth of (0, up, 0) is up */
            l[k] = (uint8_t)(row[k] + prev[k]);
            row[k] = l[k];
        }
        for (size_t i = bpp; i < n; i += bpp) {
            const uint8_t *b = prev + i, *c = prev + i - bpp;
            size_t len = 0; /* a span of nothing added */
            if (n - i >= big && zero_bytes(row + i, big)) {
                len = big;
            } else if (n - i >= small && zero_bytes(row + i, small)) {
                len = small;
            }
            if (len != 0 && memcmp(l, c, bpp) == 0) {
                /* left equal to up-left predicts up in every channel, and
                 * then again at the next pixel: the row above, copied (a
                 * row that goes on as the one above it) */
                if (len == big) { /* constant sizes: wide moves, not rep movs */
                    memcpy(row + i, b, big);
                } else {
                    memcpy(row + i, b, small);
                }
                memcpy(l, row + i + len - bpp, bpp);
                i += len - bpp;
                continue;
            }
            if (len == big && !same_bytes(b, c, big)) {
                len = small;
            }
            if (len != 0 && same_bytes(b, c, len)) {
                /* up equal to up-left predicts left: under a flat stretch
                 * of the row above, the left pixel */
                if (len == big) {
                    fill_pixel(row + i, l, bpp, big);
                } else {
                    fill_pixel(row + i, l, bpp, small);
                }
                i += len - bpp;
                continue;
            }
            /* up and up-left equal predict "left" in every channel (|b - c|
             * = 0 is the smallest distance) */
            if (memcmp(b, c, bpp) == 0) {
                for (unsigned k = 0; k < bpp; k++) {
                    l[k] = (uint8_t)(row[i + k] + l[k]);
                    row[i + k] = l[k];
                }
            } else {
                for (unsigned k = 0; k < bpp; k++) {
                    l[k] = (uint8_t)(row[i + k] + paeth(l[k], b[k], c[k]));
                    row[i + k] = l[k];
                }
            }
        }
    }
}

static void unfilter(uint8_t *row, const uint8_t *prev, size_t n, unsigned bpp, unsigned ft)
{
    if (bpp == 3) {
        unfilter_bpp(row, prev, n, 3, ft);
    } else if (bpp == 1) {
        unfilter_bpp(row, prev, n, 1, ft);
    } else if (bpp == 2) {
        unfilter_bpp(row, prev, n, 2, ft);
    } else {
        unfilter_bpp(row, prev, n, 4, ft);
    }
}

/* Inflates the IDAT stream of a clean layout into r->raw (kept from an
 * earlier file when it is large enough, as is r's decompressor) and checks
 * every row's filter type. 1 on success; 0 when the stream is not what the
 * header promises (libspng words it); -1 out of memory. */
static int rows_init(const maskeval_alloc *a, const png_layout *L, const uint8_t *f,
                     maskeval_png_rows *r)
{
    const uint8_t *in = L->idat;
    uint8_t *joined = NULL;
    enum libdeflate_result res;
    size_t got = 0, raw_len;
    int ok;

    r->w = L->w;
    r->h = L->h;
    r->bpp = L->bpp;
    r->y = 0;
    r->stride = (size_t)L->w * L->bpp + 1;
    raw_len = (size_t)L->h * r->stride;
    /* a spare byte: the last pixel's 4-byte load */
    if (r->raw_cap < raw_len + 1) {
        maskeval_free(a, r->raw);
        r->raw = maskeval_malloc(a, raw_len + 1);
        r->raw_cap = r->raw != NULL ? raw_len + 1 : 0;
    }
    if (in == NULL) {
        /* several IDAT chunks: their data back to back */
        size_t p = L->first_idat, k = 0;
        joined = maskeval_malloc(a, L->idat_len + 1);
        for (size_t c = 0; joined != NULL && c < L->n_idat; c++) {
            const uint32_t len = be32(f + p);
            memcpy(joined + k, f + p + 8, len);
            k += len;
            p += 12 + (size_t)len;
        }
        in = joined;
    }
    if (r->dc == NULL) {
        r->dc = libdeflate_alloc_decompressor();
    }
    if (r->raw == NULL || in == NULL || r->dc == NULL) {
        maskeval_free(a, joined);
        r->w = r->h = 0;
        return -1;
    }
    res = libdeflate_zlib_decompress(r->dc, in, L->idat_len, r->raw, raw_len, &got);
    maskeval_free(a, joined);
    ok = res == LIBDEFLATE_SUCCESS && got == raw_len;
    for (uint32_t y = 0; ok && y < L->h; y++) {
        ok = r->raw[(size_t)y * r->stride] <= 4;
    }
    if (!ok) {
        r->w = r->h = 0;
    }
    return ok;
}

int maskeval_png_rows_reopen(const maskeval_alloc *a, const void *data, size_t len,
                             uint64_t max_pixels, unsigned kinds, maskeval_png_rows *r)
{
    png_layout L;
    char err[8];
    r->w = r->h = r->y = 0;
    if (!layout_of(data, len, &L) ||
        !(kinds & (L.bpp == 1   ? MASKEVAL_PNG_ROWS_GRAY
                   : L.bpp == 2 ? MASKEVAL_PNG_ROWS_GRAY16
                                : MASKEVAL_PNG_ROWS_COLOR)) ||
        maskeval_png_check_pixels("", L.w, L.h, max_pixels, err, sizeof(err)) != MASKEVAL_OK) {
        return 0;
    }
    return rows_init(a, &L, data, r);
}

int maskeval_png_rows_open_kinds(const maskeval_alloc *a, const void *data, size_t len,
                                 uint64_t max_pixels, unsigned kinds, maskeval_png_rows *r)
{
    int ok;
    memset(r, 0, sizeof(*r));
    ok = maskeval_png_rows_reopen(a, data, len, max_pixels, kinds, r);
    if (ok <= 0) {
        maskeval_png_rows_free(a, r);
    }
    return ok;
}

int maskeval_png_rows_open(const maskeval_alloc *a, const void *data, size_t len,
                           uint64_t max_pixels, maskeval_png_rows *r)
{
    return maskeval_png_rows_open_kinds(a, data, len, max_pixels, MASKEVAL_PNG_ROWS_COLOR, r);
}

const uint8_t *maskeval_png_rows_next(maskeval_png_rows *r)
{
    uint8_t *row = r->raw + (size_t)r->y * r->stride + 1;
    const uint8_t *prev = r->y > 0 ? row - r->stride : NULL;
    unfilter(row, prev, r->stride - 1, r->bpp, row[-1]); /* types checked by rows_init */
    r->y++;
    return row;
}

void maskeval_png_rows_free(const maskeval_alloc *a, maskeval_png_rows *r)
{
    maskeval_free(a, r->raw);
    if (r->dc != NULL) {
        libdeflate_free_decompressor(r->dc);
    }
    memset(r, 0, sizeof(*r));
}

/* The ids of a row of w pixels of bpp bytes: for RGB on little-endian
 * machines four pixels from three 4-byte loads, else one 4-byte load per
 * pixel masked to RGB (raw has a spare byte at its end for the last). */
static void row_ids(const uint8_t *row, uint32_t w, unsigned bpp, uint32_t *out)
{
    uint32_t x = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    for (; bpp == 3 && x + 4 <= w; x += 4) {
        uint32_t v[3];
        memcpy(v, row + 3 * (size_t)x, sizeof(v));
        out[x] = v[0] & 0xffffffu;
        out[x + 1] = (v[0] >> 24) | ((v[1] & 0xffffu) << 8);
        out[x + 2] = (v[1] >> 16) | ((v[2] & 0xffu) << 16);
        out[x + 3] = v[2] >> 8;
    }
#endif
    for (; x < w; x++) {
        uint32_t v;
        memcpy(&v, row + bpp * (size_t)x, 4);
        out[x] = le_rgb(v);
    }
}

maskeval_status maskeval_png_decode_ids(const maskeval_alloc *a, const char *path,
                                        uint64_t max_pixels, const void *data, size_t file_len,
                                        maskeval_id_img *out, char *err, size_t errcap)
{
    png_layout L;
    maskeval_png_rows r;
    int ok;
    maskeval_status st;

    memset(out, 0, sizeof(*out));
    if (!layout_of(data, file_len, &L) || L.bpp < 3) { /* libspng refuses gray and says so */
        return maskeval_png_decode_ids_spng(a, path, max_pixels, data, file_len, out, err,
                                            errcap);
    }
    st = maskeval_png_check_pixels(path, L.w, L.h, max_pixels, err, errcap);
    if (st != MASKEVAL_OK) {
        return st;
    }
    memset(&r, 0, sizeof(r));
    ok = rows_init(a, &L, data, &r);
    if (ok <= 0) {
        maskeval_png_rows_free(a, &r);
    }
    if (ok == 0) {
        /* a stream libdeflate refuses, short or long, or a bad filter type:
         * libspng words it */
        return maskeval_png_decode_ids_spng(a, path, max_pixels, data, file_len, out, err,
                                            errcap);
    }
    if (ok < 0) {
        snprintf(err, errcap, "%s: out of memory decoding", path);
        return MASKEVAL_ERR_NOMEM;
    }
    st = maskeval_png_rows_ids(a, path, &r, out, err, errcap);
    maskeval_png_rows_free(a, &r);
    return st;
}

maskeval_status maskeval_png_rows_ids(const maskeval_alloc *a, const char *path,
                                      maskeval_png_rows *r, maskeval_id_img *out, char *err,
                                      size_t errcap)
{
    memset(out, 0, sizeof(*out));
    out->ids = r->y == 0 ? maskeval_malloc(a, (size_t)r->w * r->h * sizeof(uint32_t)) : NULL;
    if (out->ids == NULL) {
        snprintf(err, errcap, r->y == 0 ? "%s: out of memory decoding"
                                        : "%s: rows already read", path);
        return r->y == 0 ? MASKEVAL_ERR_NOMEM : MASKEVAL_ERR_INVALID_ARG;
    }
    for (uint32_t y = 0; y < r->h; y++) {
        row_ids(maskeval_png_rows_next(r), r->w, r->bpp, out->ids + (size_t)y * r->w);
    }
    out->w = r->w;
    out->h = r->h;
    return MASKEVAL_OK;
}

maskeval_status maskeval_png_rows_labels(const char *path, maskeval_png_rows *r,
                                         maskeval_label_img *out, char *err, size_t errcap)
{
    const size_t w = r->w, rb = w * r->bpp;
    memset(out, 0, sizeof(*out));
    if (r->y != 0 || r->bpp > 2) {
        snprintf(err, errcap, "%s: rows already read, or not gray", path);
        return MASKEVAL_ERR_INVALID_ARG;
    }
    for (uint32_t y = 0; y < r->h; y++) {
        (void)maskeval_png_rows_next(r);
    }
    /* the rows packed to the front in place (each moves down by y + 1
     * bytes, after the row below it was unfiltered); 16-bit samples in host
     * order, as libspng's SPNG_FMT_PNG gives them */
    for (uint32_t y = 0; y < r->h; y++) {
        const uint8_t *src = r->raw + (size_t)y * r->stride + 1;
        uint8_t *dst = r->raw + (size_t)y * rb;
        if (r->bpp == 1) {
            memmove(dst, src, rb);
        } else {
            for (size_t x = 0; x < w; x++) {
                const uint16_t v = (uint16_t)(src[2 * x] << 8 | src[2 * x + 1]);
                memcpy(dst + 2 * x, &v, 2);
            }
        }
    }
    out->w = r->w;
    out->h = r->h;
    out->bytes = (int)r->bpp;
    out->data = r->raw;
    r->raw = NULL;
    r->raw_cap = 0;
    return MASKEVAL_OK;
}
