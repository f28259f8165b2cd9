/*
 * png_luma.c - PNG to Pillow-"L"-nonzero masks (cityscapesScripts' reading
 * of predicted instance masks), kept as runs of foreground: a full-size
 * Cityscapes mask is 2 M pixels of which a few thousand are set, and the
 * matcher then visits only those. Clean 8-bit gray / RGB / RGBA files (what
 * Pillow, OpenCV and detectron2 write) take png_ids.c's rows: the stream
 * inflated whole by libdeflate, the rows unfiltered in place and scanned 8
 * bytes at a time. libspng decodes everything else and words every error;
 * the luma weights and the 16-bit truncation are Pillow's (Convert.c L24,
 * the PNG plugin's ";16B" raw modes).
 */
#include "io/png_luma.h"

#include <errno.h>
#include <spng.h>
#include <stdio.h>
#include <string.h>

#include "io/png_labels.h"

void maskeval_luma_mask_free(const maskeval_alloc *a, maskeval_luma_mask *m)
{
    maskeval_free(a, m->runs);
    memset(m, 0, sizeof(*m));
}

/* Pillow's ITU-R 601-2 luma in 16.16 fixed point, rounded. */
static int luma_nonzero(unsigned r, unsigned g, unsigned b)
{
    return ((r * 19595u + g * 38470u + b * 7471u + 0x8000u) >> 16) != 0;
}

static inline uint64_t load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

/* 1 when one of the 8 bytes of v is 0 */
static inline int has_zero_byte(uint64_t v)
{
    return ((v - 0x0101010101010101ull) & ~v & 0x8080808080808080ull) != 0;
}

/* Appends the runs of nonzero bytes of v[0, w) to m (the row's first pixel
 * at offset base), 64 or 8 bytes at a time through runs of one kind. */
static maskeval_status add_runs(const maskeval_alloc *a, maskeval_luma_mask *m,
                                const uint8_t *v, uint32_t w, uint64_t base)
{
    uint32_t x = 0;
    while (x < w) {
        uint32_t s;
        /* background 64 bytes at a time (most of a mask), then 8 */
        while (w - x >= 64) {
            uint64_t acc = 0;
            for (unsigned q = 0; q < 8; q++) {
                acc |= load64(v + x + 8 * q);
            }
            if (acc != 0) {
                break;
            }
            x += 64;
        }
        while (w - x >= 8 && load64(v + x) == 0) {
            x += 8;
        }
        while (x < w && v[x] == 0) {
            x++;
        }
        if (x == w) {
            break;
        }
        s = x;
        while (w - x >= 8 && !has_zero_byte(load64(v + x))) {
            x += 8;
        }
        while (x < w && v[x] != 0) {
            x++;
        }
        if (2 * m->n_runs + 2 > m->cap_runs) {
            void *q = m->runs;
            if (maskeval_grow(a, &q, &m->cap_runs, 2 * m->n_runs + 2, sizeof(uint64_t)) !=
                MASKEVAL_OK) {
                return MASKEVAL_ERR_NOMEM;
            }
            m->runs = q;
        }
        m->runs[2 * m->n_runs] = base + s;
        m->runs[2 * m->n_runs + 1] = base + x;
        m->n_runs++;
        m->count += x - s;
    }
    return MASKEVAL_OK;
}

/* The fast path: the mask of an opened file, row by row. */
static maskeval_status rows_mask(const maskeval_alloc *a, const char *path, maskeval_png_rows *r,
                                 maskeval_luma_mask *out, char *err, size_t errcap)
{
    uint8_t *fg = r->bpp != 1 ? maskeval_malloc(a, r->w) : NULL;
    maskeval_status st = r->bpp != 1 && fg == NULL ? MASKEVAL_ERR_NOMEM : MASKEVAL_OK;
    out->w = r->w;
    out->h = r->h;
    for (uint32_t y = 0; st == MASKEVAL_OK && y < r->h; y++) {
        const uint8_t *row = maskeval_png_rows_next(r);
        if (r->bpp != 1) {
            for (uint32_t x = 0; x < r->w; x++) {
                const uint8_t *px = row + (size_t)x * r->bpp;
                fg[x] = (uint8_t)luma_nonzero(px[0], px[1], px[2]);
            }
            row = fg;
        }
        st = add_runs(a, out, row, r->w, (uint64_t)y * r->w);
    }
    maskeval_free(a, fg);
    if (st != MASKEVAL_OK) {
        maskeval_luma_mask_free(a, out);
        snprintf(err, errcap, "%s: out of memory decoding", path);
    }
    return st;
}

maskeval_status maskeval_png_decode_luma_mask(const maskeval_alloc *a, const char *path,
                                              uint64_t max_pixels, const void *data, size_t len,
                                              maskeval_luma_mask *out, char *err,
                                              size_t errcap)
{
    maskeval_png_rows r;
    maskeval_status st;
    int o;
    memset(out, 0, sizeof(*out));
    o = maskeval_png_rows_open_kinds(a, data, len, max_pixels,
                                     MASKEVAL_PNG_ROWS_COLOR | MASKEVAL_PNG_ROWS_GRAY, &r);
    if (o == 0) {
        return maskeval_png_decode_luma_mask_spng(a, path, max_pixels, data, len, out, err,
                                                  errcap);
    }
    if (o < 0) {
        snprintf(err, errcap, "%s: out of memory decoding", path);
        return MASKEVAL_ERR_NOMEM;
    }
    st = rows_mask(a, path, &r, out, err, errcap);
    maskeval_png_rows_free(a, &r);
    return st;
}

maskeval_status maskeval_png_read_luma_mask(const maskeval_alloc *a, const char *path,
                                            uint64_t max_pixels, maskeval_luma_mask *out,
                                            char *err, size_t errcap)
{
    char *file = NULL;
    size_t file_len = 0;
    maskeval_status st;
    memset(out, 0, sizeof(*out));
    st = maskeval_png_slurp(a, path, &file, &file_len, err, errcap);
    if (st == MASKEVAL_OK) {
        st = maskeval_png_decode_luma_mask(a, path, max_pixels, file, file_len, out, err,
                                           errcap);
    }
    maskeval_free(a, file);
    return st;
}

maskeval_status maskeval_png_decode_luma_mask_spng(const maskeval_alloc *a, const char *path,
                                                   uint64_t max_pixels, const void *file,
                                                   size_t file_len, maskeval_luma_mask *out,
                                                   char *err, size_t errcap)
{
    uint8_t *raw = NULL, *fg = NULL;
    size_t decoded = 0;
    spng_ctx *sc = NULL;
    struct spng_ihdr ih;
    struct spng_plte plte;
    uint32_t n_plte = 0;
    uint8_t plte_fg[256];
    maskeval_status st = MASKEVAL_OK;
    uint64_t npix;
    int rc;

    memset(out, 0, sizeof(*out));
    if (file_len < 8 || memcmp(file, "\x89PNG\r\n\x1a\n", 8) != 0) {
        snprintf(err, errcap, "%s: not a PNG file (maskeval reads prediction masks as PNG only)",
                 path);
        st = MASKEVAL_ERR_PARSE;
        goto done;
    }
    sc = spng_ctx_new(0);
    if (sc == NULL) {
        snprintf(err, errcap, "%s: out of memory", path);
        st = MASKEVAL_ERR_NOMEM;
        goto done;
    }
    rc = spng_set_png_buffer(sc, (void *)(uintptr_t)file, file_len);
    if (rc == 0) {
        rc = spng_set_image_limits(sc, 1u << 20, 1u << 20);
    }
    if (rc == 0) {
        rc = spng_get_ihdr(sc, &ih);
    }
    if (rc != 0) {
        snprintf(err, errcap, "%s: invalid PNG: %s", path, spng_strerror(rc));
        st = MASKEVAL_ERR_PARSE;
        goto done;
    }
    npix = (uint64_t)ih.width * ih.height;
    st = maskeval_png_check_pixels(path, ih.width, ih.height, max_pixels, err, errcap);
    if (st != MASKEVAL_OK) {
        goto done;
    }
    memset(plte_fg, 0, sizeof(plte_fg));
    if (ih.color_type == SPNG_COLOR_TYPE_INDEXED) {
        rc = spng_get_plte(sc, &plte);
        if (rc != 0) {
            snprintf(err, errcap, "%s: palette PNG without a usable PLTE: %s", path,
                     spng_strerror(rc));
            st = MASKEVAL_ERR_PARSE;
            goto done;
        }
        n_plte = plte.n_entries > 256 ? 256 : plte.n_entries;
        for (uint32_t i = 0; i < n_plte; i++) {
            plte_fg[i] = (uint8_t)luma_nonzero(plte.entries[i].red, plte.entries[i].green,
                                               plte.entries[i].blue);
        }
    }
    rc = spng_decoded_image_size(sc, SPNG_FMT_PNG, &decoded);
    if (rc == 0) {
        raw = (ih.interlace_method != 0 && ih.bit_depth < 8) ? maskeval_calloc(a, decoded, 1)
                                                             : maskeval_malloc(a, decoded);
        fg = maskeval_malloc(a, (size_t)npix);
        if (raw == NULL || fg == NULL) {
            snprintf(err, errcap, "%s: out of memory decoding", path);
            st = MASKEVAL_ERR_NOMEM;
            goto done;
        }
        rc = spng_decode_image(sc, raw, decoded, SPNG_FMT_PNG, 0);
    }
    if (rc != 0) {
        snprintf(err, errcap, "%s: cannot decode PNG: %s", path, spng_strerror(rc));
        st = MASKEVAL_ERR_PARSE;
        goto done;
    }
    if (ih.bit_depth == 8 && ih.color_type != SPNG_COLOR_TYPE_GRAYSCALE_ALPHA) {
        /* the common cases, one tight loop each */
        const size_t n = (size_t)npix;
        if (ih.color_type == SPNG_COLOR_TYPE_GRAYSCALE) {
            for (size_t i = 0; i < n; i++) {
                fg[i] = raw[i] != 0;
            }
        } else if (ih.color_type == SPNG_COLOR_TYPE_INDEXED) {
            uint8_t lut[256];
            for (unsigned i = 0; i < 256; i++) {
                lut[i] = i < n_plte ? plte_fg[i] : 0;
            }
            for (size_t i = 0; i < n; i++) {
                fg[i] = lut[raw[i]];
            }
        } else {
            const size_t ch = ih.color_type == SPNG_COLOR_TYPE_TRUECOLOR ? 3 : 4;
            for (size_t i = 0; i < n; i++) {
                const uint8_t *px = raw + i * ch;
                fg[i] = (uint8_t)luma_nonzero(px[0], px[1], px[2]);
            }
        }
    } else if (ih.bit_depth == 16 && ih.color_type == SPNG_COLOR_TYPE_GRAYSCALE) {
        const uint16_t *v = (const uint16_t *)(const void *)raw;
        for (size_t i = 0; i < (size_t)npix; i++) {
            fg[i] = v[i] != 0;
        }
    } else if (ih.bit_depth == 1 && ih.color_type == SPNG_COLOR_TYPE_GRAYSCALE) {
        const size_t stride = ((size_t)ih.width + 7) / 8;
        for (uint32_t y = 0; y < ih.height; y++) {
            const uint8_t *row = raw + (size_t)y * stride;
            uint8_t *o = fg + (size_t)y * ih.width;
            for (uint32_t x = 0; x < ih.width; x++) {
                o[x] = (uint8_t)((row[x >> 3] >> (7 - (x & 7))) & 1);
            }
        }
    } else {
        {
            const unsigned d = ih.bit_depth;
            const unsigned ch = ih.color_type == SPNG_COLOR_TYPE_TRUECOLOR         ? 3
                                : ih.color_type == SPNG_COLOR_TYPE_TRUECOLOR_ALPHA ? 4
                                : ih.color_type == SPNG_COLOR_TYPE_GRAYSCALE_ALPHA ? 2
                                                                                   : 1;
            const size_t stride = ((size_t)ih.width * ch * d + 7) / 8;
            for (uint32_t y = 0; y < ih.height; y++) {
                const uint8_t *row = raw + (size_t)y * stride;
                uint8_t *o = fg + (size_t)y * ih.width;
                for (uint32_t x = 0; x < ih.width; x++) {
                    unsigned s[4] = {0, 0, 0, 0};
                    int on;
                    for (unsigned c = 0; c < ch; c++) {
                        const size_t k = (size_t)x * ch + c;
                        if (d == 16) {
                            /* host-order samples; Pillow keeps the high byte of colour
                             * samples and the whole value of 16-bit gray */
                            s[c] = ((const uint16_t *)(const void *)row)[k];
                        } else if (d == 8) {
                            s[c] = row[k];
                        } else {
                            const unsigned per = 8 / d, shift = 8 - d * ((unsigned)(k % per) + 1);
                            s[c] = (row[k / per] >> shift) & ((1u << d) - 1);
                        }
                    }
                    switch (ih.color_type) {
                    case SPNG_COLOR_TYPE_GRAYSCALE:
                        on = s[0] != 0;
                        break;
                    case SPNG_COLOR_TYPE_GRAYSCALE_ALPHA:
                        on = (d == 16 ? s[0] >> 8 : s[0]) != 0;
                        break;
                    case SPNG_COLOR_TYPE_INDEXED:
                        on = s[0] < n_plte && plte_fg[s[0]];
                        break;
                    default:
                        if (d == 16) {
                            on = luma_nonzero(s[0] >> 8, s[1] >> 8, s[2] >> 8);
                        } else {
                            on = luma_nonzero(s[0], s[1], s[2]);
                        }
                        break;
                    }
                    o[x] = (uint8_t)on;
                }
            }
        }
    }
    out->w = ih.width;
    out->h = ih.height;
    for (uint32_t y = 0; st == MASKEVAL_OK && y < ih.height; y++) {
        st = add_runs(a, out, fg + (size_t)y * ih.width, ih.width, (uint64_t)y * ih.width);
    }
    if (st != MASKEVAL_OK) {
        maskeval_luma_mask_free(a, out);
        snprintf(err, errcap, "%s: out of memory decoding", path);
    }
done:
    spng_ctx_free(sc);
    maskeval_free(a, raw);
    maskeval_free(a, fg);
    return st;
}
