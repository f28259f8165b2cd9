/*
 * png_labels.c - PNG decoding with libspng, then Pillow's view of the
 * samples: sub-byte depths unpacked (MSB first) and scaled for gray, kept as
 * indices for palettes; 16-bit samples in host order. Transparency and gamma
 * are never applied (label values are not colours).
 */
#include "io/png_labels.h"

#include <errno.h>
#include <spng.h>
#include <zlib.h>
#include <stdio.h>
#include <string.h>


void maskeval_label_img_free(const maskeval_alloc *a, maskeval_label_img *img)
{
    maskeval_free(a, img->data);
    memset(img, 0, sizeof(*img));
}

static const char *color_name(int ct)
{
    switch (ct) {
    case SPNG_COLOR_TYPE_TRUECOLOR:
        return "RGB";
    case SPNG_COLOR_TYPE_TRUECOLOR_ALPHA:
        return "RGBA";
    case SPNG_COLOR_TYPE_GRAYSCALE_ALPHA:
        return "gray+alpha";
    default:
        return "unknown";
    }
}

uint64_t maskeval_png_pixels(const char *path)
{
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    unsigned char h[24];
    FILE *f = fopen(path, "rb");
    size_t got;
    if (f == NULL) {
        return 0;
    }
    got = fread(h, 1, sizeof(h), f);
    fclose(f);
    if (got != sizeof(h) || memcmp(h, sig, 8) != 0 || memcmp(h + 12, "IHDR", 4) != 0) {
        return 0;
    }
    return (uint64_t)((uint32_t)h[16] << 24 | (uint32_t)h[17] << 16 | (uint32_t)h[18] << 8 |
                      h[19]) *
           ((uint32_t)h[20] << 24 | (uint32_t)h[21] << 16 | (uint32_t)h[22] << 8 | h[23]);
}

maskeval_status maskeval_png_slurp(const maskeval_alloc *a, const char *path, char **buf,
                                   size_t *len, char *err, size_t errcap)
{
    FILE *f = fopen(path, "rb");
    size_t cap = 0, n = 0;
    char *data = NULL;
    if (f == NULL) {
        snprintf(err, errcap, "%s: cannot open: %s", path, strerror(errno));
        return MASKEVAL_ERR_IO;
    }
    for (;;) {
        size_t got;
        if (n == cap) {
            void *p = data;
            if (maskeval_grow(a, &p, &cap, n + 65536, 1) != MASKEVAL_OK) {
                maskeval_free(a, data);
                fclose(f);
                snprintf(err, errcap, "%s: out of memory reading the file", path);
                return MASKEVAL_ERR_NOMEM;
            }
            data = p;
        }
        got = fread(data + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            break;
        }
    }
    if (ferror(f)) {
        snprintf(err, errcap, "%s: read error: %s", path, strerror(errno));
        maskeval_free(a, data);
        fclose(f);
        return MASKEVAL_ERR_IO;
    }
    fclose(f);
    *buf = data;
    *len = n;
    return MASKEVAL_OK;
}

maskeval_status maskeval_png_read_labels(const maskeval_alloc *a, const char *path,
                                         uint64_t max_pixels,
                                         maskeval_label_img *out, char *err, size_t errcap)
{
    char *file = NULL;
    size_t file_len = 0;
    maskeval_status st;
    memset(out, 0, sizeof(*out));
    st = maskeval_png_slurp(a, path, &file, &file_len, err, errcap);
    if (st == MASKEVAL_OK) {
        st = maskeval_png_decode_labels(a, path, max_pixels, file, file_len, out, err, errcap);
    }
    maskeval_free(a, file);
    return st;
}


/*
 * Every chunk's CRC, before decoding. A CRC error anywhere refuses the file:
 * Pillow refuses a bad CRC in the chunks it reads before the image data (an
 * ancillary one too); it does not check IDAT's, but a label map with a
 * corrupt data chunk is not one to count, so maskeval refuses those as well
 * (README "Semantic segmentation"). Truncation is left to libspng.
 */
static int crcs_ok(const uint8_t *f, size_t n, const char *path, char *err, size_t errcap)
{
    size_t p = 8;
    while (p + 12 <= n) {
        const uint32_t len = (uint32_t)f[p] << 24 | (uint32_t)f[p + 1] << 16 |
                             (uint32_t)f[p + 2] << 8 | f[p + 3];
        uint32_t want;
        uLong got;
        if (len > n - p - 12) {
            return 1;
        }
        want = (uint32_t)f[p + 8 + len] << 24 | (uint32_t)f[p + 9 + len] << 16 |
               (uint32_t)f[p + 10 + len] << 8 | f[p + 11 + len];
        got = crc32(0L, f + p + 4, (uInt)len + 4);
        if ((uint32_t)got != want) {
            snprintf(err, errcap, "%s: corrupt PNG: CRC error in chunk %c%c%c%c at byte %zu",
                     path, f[p + 4], f[p + 5], f[p + 6], f[p + 7], p);
            return 0;
        }
        if (memcmp(f + p + 4, "IEND", 4) == 0) {
            return 1;
        }
        p += 12 + (size_t)len;
    }
    return 1;
}

/* Opens a PNG in memory: signature, every CRC, the header. */
static maskeval_status png_open(const char *path, const void *data, size_t file_len,
                                spng_ctx **out, struct spng_ihdr *ih, char *err, size_t errcap)
{
    spng_ctx *sc;
    int rc;
    *out = NULL;
    if (file_len < 8 || memcmp(data, "\x89PNG\r\n\x1a\n", 8) != 0) {
        snprintf(err, errcap, "%s: not a PNG file", path);
        return MASKEVAL_ERR_PARSE;
    }
    sc = spng_ctx_new(0);
    if (sc == NULL) {
        snprintf(err, errcap, "%s: out of memory", path);
        return MASKEVAL_ERR_NOMEM;
    }
    if (!crcs_ok((const uint8_t *)data, file_len, path, err, errcap)) {
        spng_ctx_free(sc);
        return MASKEVAL_ERR_PARSE;
    }
    /* every chunk's CRC was checked above */
    spng_set_crc_action(sc, SPNG_CRC_USE, SPNG_CRC_USE);
    rc = spng_set_png_buffer(sc, data, file_len);
    if (rc == 0) {
        /* far beyond any label map; keeps hostile headers from asking for huge buffers */
        rc = spng_set_image_limits(sc, 1u << 20, 1u << 20);
    }
    if (rc == 0) {
        rc = spng_get_ihdr(sc, ih);
    }
    if (rc != 0) {
        snprintf(err, errcap, "%s: invalid PNG: %s", path, spng_strerror(rc));
        spng_ctx_free(sc);
        return MASKEVAL_ERR_PARSE;
    }
    *out = sc;
    return MASKEVAL_OK;
}

maskeval_status maskeval_png_check_pixels(const char *path, uint32_t width, uint32_t height,
                                          uint64_t max_pixels, char *err, size_t errcap)
{
    const uint64_t npix = (uint64_t)width * height;
    if (max_pixels == 0) {
        max_pixels = MASKEVAL_PNG_DEFAULT_MAX_PIXELS;
    }
    if (max_pixels > MASKEVAL_PNG_MAX_PIXELS) {
        max_pixels = MASKEVAL_PNG_MAX_PIXELS;
    }
    if (npix == 0 || npix > max_pixels) {
        snprintf(err, errcap,
                 "%s: %ux%u pixels is beyond the limit of %llu pixels per image (raise it with "
                 "--max-image-pixels, up to 2^30)",
                 path, width, height, (unsigned long long)max_pixels);
        return MASKEVAL_ERR_LIMIT;
    }
    return MASKEVAL_OK;
}

/* The samples as SPNG_FMT_PNG gives them, into a new buffer (*raw, *len). */
static maskeval_status decode_raw(const maskeval_alloc *a, const char *path, spng_ctx *sc,
                                  const struct spng_ihdr *ih, uint8_t **raw, size_t *len,
                                  char *err, size_t errcap)
{
    size_t decoded = 0;
    int rc = spng_decoded_image_size(sc, SPNG_FMT_PNG, &decoded);
    *raw = NULL;
    if (rc == 0) {
        /* libspng ORs sub-byte samples of interlaced images into place: those
         * need a zeroed buffer */
        *raw = (ih->interlace_method != 0 && ih->bit_depth < 8) ? maskeval_calloc(a, decoded, 1)
                                                               : maskeval_malloc(a, decoded);
        if (*raw == NULL) {
            snprintf(err, errcap, "%s: out of memory decoding", path);
            return MASKEVAL_ERR_NOMEM;
        }
        rc = spng_decode_image(sc, *raw, decoded, SPNG_FMT_PNG, 0);
    }
    if (rc != 0) {
        snprintf(err, errcap, "%s: cannot decode PNG: %s", path, spng_strerror(rc));
        maskeval_free(a, *raw);
        *raw = NULL;
        return MASKEVAL_ERR_PARSE;
    }
    *len = decoded;
    return MASKEVAL_OK;
}

/* Clean 8- and 16-bit gray files (every label map mmsegmentation and
 * Cityscapes write) take png_ids.c's rows: inflated whole by libdeflate,
 * unfiltered in place; anything else, and every file that path refuses,
 * libspng, which words the errors. */
maskeval_status maskeval_png_decode_labels(const maskeval_alloc *a, const char *path,
                                           uint64_t max_pixels, const void *data,
                                           size_t file_len, maskeval_label_img *out, char *err,
                                           size_t errcap)
{
    maskeval_png_rows r;
    maskeval_status st;
    const int ok = maskeval_png_rows_open_kinds(
        a, data, file_len, max_pixels, MASKEVAL_PNG_ROWS_GRAY | MASKEVAL_PNG_ROWS_GRAY16, &r);
    memset(out, 0, sizeof(*out));
    if (ok == 0) {
        return maskeval_png_decode_labels_spng(a, path, max_pixels, data, file_len, out, err,
                                               errcap);
    }
    if (ok < 0) {
        snprintf(err, errcap, "%s: out of memory decoding", path);
        return MASKEVAL_ERR_NOMEM;
    }
    st = maskeval_png_rows_labels(path, &r, out, err, errcap);
    maskeval_png_rows_free(a, &r);
    return st;
}

maskeval_status maskeval_png_decode_labels_spng(const maskeval_alloc *a, const char *path,
                                                uint64_t max_pixels, const void *data,
                                                size_t file_len, maskeval_label_img *out,
                                                char *err, size_t errcap)
{
    size_t decoded = 0;
    spng_ctx *sc = NULL;
    struct spng_ihdr ih;
    uint8_t *raw = NULL;
    maskeval_status st;
    uint64_t npix;

    memset(out, 0, sizeof(*out));
    st = png_open(path, data, file_len, &sc, &ih, err, errcap);
    if (st != MASKEVAL_OK) {
        goto done;
    }
    if (ih.color_type != SPNG_COLOR_TYPE_GRAYSCALE && ih.color_type != SPNG_COLOR_TYPE_INDEXED) {
        snprintf(err, errcap,
                 "%s: unsupported PNG colour type %s (%d-bit); label maps must be grayscale or "
                 "palette images",
                 path, color_name(ih.color_type), ih.bit_depth);
        st = MASKEVAL_ERR_UNSUPPORTED;
        goto done;
    }
    st = maskeval_png_check_pixels(path, ih.width, ih.height, max_pixels, err, errcap);
    if (st != MASKEVAL_OK) {
        goto done;
    }
    npix = (uint64_t)ih.width * ih.height;
    st = decode_raw(a, path, sc, &ih, &raw, &decoded, err, errcap);
    if (st != MASKEVAL_OK) {
        goto done;
    }
    if (ih.bit_depth == 16) {
        out->bytes = 2; /* SPNG_FMT_PNG gives host-order samples */
        out->data = raw;
        raw = NULL;
    } else if (ih.bit_depth == 8) {
        out->bytes = 1;
        out->data = raw;
        raw = NULL;
    } else {
        /* 1/2/4-bit: rows of packed samples, most significant bits first */
        const unsigned d = ih.bit_depth, per = 8 / d, mask = (1u << d) - 1;
        const size_t stride = ((size_t)ih.width * d + 7) / 8;
        const unsigned scale = ih.color_type == SPNG_COLOR_TYPE_GRAYSCALE && d > 1 ? 255 / mask : 1;
        uint8_t *lab = maskeval_malloc(a, (size_t)npix);
        if (lab == NULL) {
            snprintf(err, errcap, "%s: out of memory decoding", path);
            st = MASKEVAL_ERR_NOMEM;
            goto done;
        }
        for (uint32_t y = 0; y < ih.height; y++) {
            const uint8_t *row = raw + (size_t)y * stride;
            for (uint32_t x = 0; x < ih.width; x++) {
                unsigned shift = 8 - d * (x % per + 1);
                lab[(size_t)y * ih.width + x] = (uint8_t)(((row[x / per] >> shift) & mask) * scale);
            }
        }
        out->bytes = 1;
        out->data = lab;
    }
    /* the size only once the labels are in place: a failed decode leaves an empty image */
    out->w = ih.width;
    out->h = ih.height;
done:
    spng_ctx_free(sc);
    maskeval_free(a, raw);
    return st;
}

maskeval_status maskeval_png_decode_ids_spng(const maskeval_alloc *a, const char *path,
                                             uint64_t max_pixels, const void *data,
                                             size_t file_len, maskeval_id_img *out, char *err,
                                             size_t errcap)
{
    size_t decoded = 0;
    spng_ctx *sc = NULL;
    struct spng_ihdr ih;
    uint8_t *raw = NULL;
    uint32_t *ids = NULL;
    maskeval_status st;
    size_t npix, ch;

    memset(out, 0, sizeof(*out));
    st = png_open(path, data, file_len, &sc, &ih, err, errcap);
    if (st != MASKEVAL_OK) {
        goto done;
    }
    if ((ih.color_type != SPNG_COLOR_TYPE_TRUECOLOR &&
         ih.color_type != SPNG_COLOR_TYPE_TRUECOLOR_ALPHA) ||
        ih.bit_depth != 8) {
        snprintf(err, errcap,
                 "%s: unsupported PNG colour type %s (%d-bit); panoptic segment maps must be "
                 "8-bit RGB or RGBA (id = R + 256 G + 65536 B)",
                 path,
                 ih.color_type == SPNG_COLOR_TYPE_GRAYSCALE  ? "gray"
                 : ih.color_type == SPNG_COLOR_TYPE_INDEXED ? "palette"
                                                             : color_name(ih.color_type),
                 ih.bit_depth);
        st = MASKEVAL_ERR_UNSUPPORTED;
        goto done;
    }
    st = maskeval_png_check_pixels(path, ih.width, ih.height, max_pixels, err, errcap);
    if (st != MASKEVAL_OK) {
        goto done;
    }
    npix = (size_t)ih.width * ih.height;
    ch = ih.color_type == SPNG_COLOR_TYPE_TRUECOLOR ? 3 : 4;
    st = decode_raw(a, path, sc, &ih, &raw, &decoded, err, errcap);
    if (st != MASKEVAL_OK) {
        goto done;
    }
    ids = maskeval_malloc(a, npix * sizeof(uint32_t));
    if (ids == NULL) {
        snprintf(err, errcap, "%s: out of memory decoding", path);
        st = MASKEVAL_ERR_NOMEM;
        goto done;
    }
    for (size_t i = 0; i < npix; i++) {
        const uint8_t *px = raw + i * ch;
        ids[i] = (uint32_t)px[0] | (uint32_t)px[1] << 8 | (uint32_t)px[2] << 16;
    }
    out->w = ih.width;
    out->h = ih.height;
    out->ids = ids;
    ids = NULL;
done:
    spng_ctx_free(sc);
    maskeval_free(a, raw);
    maskeval_free(a, ids);
    return st;
}

maskeval_status maskeval_png_read_ids(const maskeval_alloc *a, const char *path,
                                      uint64_t max_pixels, maskeval_id_img *out, char *err,
                                      size_t errcap)
{
    char *file = NULL;
    size_t file_len = 0;
    maskeval_status st;
    memset(out, 0, sizeof(*out));
    st = maskeval_png_slurp(a, path, &file, &file_len, err, errcap);
    if (st == MASKEVAL_OK) {
        st = maskeval_png_decode_ids(a, path, max_pixels, file, file_len, out, err, errcap);
    }
    maskeval_free(a, file);
    return st;
}

void maskeval_id_img_free(const maskeval_alloc *a, maskeval_id_img *img)
{
    maskeval_free(a, img->ids);
    memset(img, 0, sizeof(*img));
}
