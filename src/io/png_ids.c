/*
 * png_ids.c - COCO panoptic segment PNGs to ids, fast. These files are
 * 8-bit RGB, non-interlaced, a few kB of DEFLATE that expand 100-fold, and
 * zlib's inflate plus libspng's per-scanline unfiltering took ~2/3 of a
 * panoptic evaluation. Here the IDAT stream is inflated in one call by
 * libdeflate and the rows are unfiltered in place, each turned into ids as
 * soon as it is done. Anything else - other colour types or depths,
 * interlacing, a CRC, length or stream problem - goes to the libspng path
 * (png_labels.c), which reads every valid file and words every error, so
 * both paths give the same ids and the same messages.
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
    uint32_t w, h, bpp;
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
    /* 8-bit, RGB (2) or RGBA (6), deflate, adaptive filtering, no interlace */
    if (f[24] != 8 || (f[25] != 2 && f[25] != 6) || f[26] != 0 || f[27] != 0 || f[28] != 0 ||
        L->w == 0 || L->h == 0 || L->w > (1u << 20) || L->h > (1u << 20)) {
        return 0;
    }
    L->bpp = f[25] == 2 ? 3 : 4;
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

/* Unfilters row (n bytes, filter type ft) against prev (NULL: the first
 * row, all zeros). 0 for an unknown filter type. */
static int unfilter(uint8_t *row, const uint8_t *prev, size_t n, unsigned bpp, unsigned ft)
{
    switch (ft) {
    case 0:
        return 1;
    case 1:
        for (size_t i = bpp; i < n; i++) {
            row[i] = (uint8_t)(row[i] + row[i - bpp]);
        }
        return 1;
    case 2:
        if (prev != NULL) {
            for (size_t i = 0; i < n; i++) {
                row[i] = (uint8_t)(row[i] + prev[i]);
            }
        }
        return 1;
    case 3:
        for (size_t i = 0; i < n; i++) {
            const unsigned left = i >= bpp ? row[i - bpp] : 0, up = prev != NULL ? prev[i] : 0;
            row[i] = (uint8_t)(row[i] + ((left + up) >> 1));
        }
        return 1;
    case 4:
        if (prev == NULL) { /* Paeth of (left, 0, 0) is left: Sub */
            for (size_t i = bpp; i < n; i++) {
                row[i] = (uint8_t)(row[i] + row[i - bpp]);
            }
            return 1;
        }
        for (size_t i = 0; i < bpp && i < n; i++) {
            row[i] = (uint8_t)(row[i] + prev[i]); /* Paeth of (0, up, 0) is up */
        }
        for (size_t i = bpp; i < n; i += bpp) {
            /* a pixel whose up and up-left neighbours are equal predicts
             * "left" in every channel (|b - c| = 0 is the smallest distance):
             * the flat regions of a segment map, most of a Paeth row */
            const uint8_t *b = prev + i, *c = prev + i - bpp;
            if (b[0] == c[0] && b[1] == c[1] && b[2] == c[2] && (bpp == 3 || b[3] == c[3])) {
                for (unsigned k = 0; k < bpp; k++) {
                    row[i + k] = (uint8_t)(row[i + k] + row[i + k - bpp]);
                }
            } else {
                for (unsigned k = 0; k < bpp; k++) {
                    row[i + k] = (uint8_t)(row[i + k] +
                                           paeth(row[i + k - bpp], prev[i + k], prev[i + k - bpp]));
                }
            }
        }
        return 1;
    default:
        return 0;
    }
}

/* 1 on success; 0 when the stream is not what the header promises. */
static int fast_decode(const png_layout *L, const uint8_t *f, uint8_t *raw, size_t raw_len,
                       uint8_t *joined, uint32_t *ids)
{
    const size_t rowbytes = (size_t)L->w * L->bpp, stride = rowbytes + 1;
    const uint8_t *in = L->idat;
    struct libdeflate_decompressor *dc;
    enum libdeflate_result r;
    size_t got = 0;
    if (in == NULL) {
        /* several IDAT chunks: their data back to back */
        size_t p = L->first_idat, k = 0;
        for (size_t c = 0; c < L->n_idat; c++) {
            const uint32_t len = be32(f + p);
            memcpy(joined + k, f + p + 8, len);
            k += len;
            p += 12 + (size_t)len;
        }
        in = joined;
    }
    dc = libdeflate_alloc_decompressor();
    if (dc == NULL) {
        return 0;
    }
    r = libdeflate_zlib_decompress(dc, in, L->idat_len, raw, raw_len, &got);
    libdeflate_free_decompressor(dc);
    if (r != LIBDEFLATE_SUCCESS || got != raw_len) {
        return 0;
    }
    for (uint32_t y = 0; y < L->h; y++) {
        uint8_t *row = raw + (size_t)y * stride + 1;
        const uint8_t *prev = y > 0 ? row - stride : NULL;
        uint32_t *out = ids + (size_t)y * L->w;
        if (!unfilter(row, prev, rowbytes, L->bpp, row[-1])) {
            return 0;
        }
        /* 4-byte little-endian loads masked to RGB (raw has a spare byte at
         * its end for the last pixel) */
        if (L->bpp == 3) {
            for (uint32_t x = 0; x < L->w; x++) {
                uint32_t v;
                memcpy(&v, row + 3 * (size_t)x, 4);
                out[x] = le_rgb(v);
            }
        } else {
            for (uint32_t x = 0; x < L->w; x++) {
                uint32_t v;
                memcpy(&v, row + 4 * (size_t)x, 4);
                out[x] = le_rgb(v);
            }
        }
    }
    return 1;
}

maskeval_status maskeval_png_decode_ids(const maskeval_alloc *a, const char *path,
                                        uint64_t max_pixels, const void *data, size_t file_len,
                                        maskeval_id_img *out, char *err, size_t errcap)
{
    png_layout L;
    uint8_t *raw = NULL, *joined = NULL;
    uint32_t *ids = NULL;
    size_t raw_len;
    maskeval_status st;

    memset(out, 0, sizeof(*out));
    if (!layout_of(data, file_len, &L)) {
        return maskeval_png_decode_ids_spng(a, path, max_pixels, data, file_len, out, err,
                                            errcap);
    }
    st = maskeval_png_check_pixels(path, L.w, L.h, max_pixels, err, errcap);
    if (st != MASKEVAL_OK) {
        return st;
    }
    raw_len = (size_t)L.h * ((size_t)L.w * L.bpp + 1);
    raw = maskeval_malloc(a, raw_len + 1);
    ids = maskeval_malloc(a, (size_t)L.w * L.h * sizeof(uint32_t));
    joined = L.idat == NULL ? maskeval_malloc(a, L.idat_len + 1) : NULL;
    if (raw == NULL || ids == NULL || (L.idat == NULL && joined == NULL)) {
        snprintf(err, errcap, "%s: out of memory decoding", path);
        st = MASKEVAL_ERR_NOMEM;
    } else if (fast_decode(&L, data, raw, raw_len, joined, ids)) {
        out->w = L.w;
        out->h = L.h;
        out->ids = ids;
        ids = NULL;
    } else {
        /* a stream libdeflate refuses or that is short or long: libspng words it */
        st = maskeval_png_decode_ids_spng(a, path, max_pixels, data, file_len, out, err, errcap);
    }
    maskeval_free(a, raw);
    maskeval_free(a, joined);
    maskeval_free(a, ids);
    return st;
}
