/*
 * fuzz_png_labels.c - PNG label-map decoding (src/io/png_labels.c: clean 8-
 * and 16-bit gray through png_ids.c's libdeflate rows, the rest on libspng).
 *
 * Input, two kinds:
 *  - starting with 0x89 (the PNG signature's first byte): the PNG file's
 *    bytes as they are;
 *  - anything else: a description from which the harness writes a valid PNG
 *    (size, colour type and bit depth, Adam7 or not, a filter type per row,
 *    zlib level, IDAT split, a palette, ancillary chunks, pixel values), so
 *    that the decoder gets past libspng's checks (libspng is a system library
 *    without coverage instrumentation, so libFuzzer alone rarely makes valid
 *    files); the decoded labels must then equal the pixels written, mapped the
 *    way Pillow maps them. One bit asks for one corrupted byte instead (no
 *    value check then).
 * The decoder gets an allocator that refuses single allocations above
 * 16 MiB, so a small file with a huge header runs into the out-of-memory
 * path quickly instead of decompressing for seconds.
 *
 * Checks: the status is OK, PARSE, UNSUPPORTED, LIMIT or NOMEM, with a
 * NUL-terminated message on failure and an empty image; on success the image
 * has w*h > 0 labels of 1 or 2 bytes, every byte of which is read (ASan
 * catches a short buffer), sub-byte grayscale values are Pillow's scaled
 * values (1-bit 0/1, 2-bit multiples of 85, 4-bit multiples of 17) and
 * sub-byte palette indices fit their depth; decoding twice gives the same;
 * the libspng path alone gives the same labels, or the same refusal, or
 * refuses a DEFLATE stream that libdeflate accepts (the one known
 * difference, as in fuzz_png_ids).
 */
#include <stdint.h>
#include <string.h>
#include <zlib.h>

#include "core/ctx.h"
#include "fuzz_common.h"
#include "fuzz_png.h"
#include "io/png_labels.h"

/* ---- writing PNGs ------------------------------------------------------------ */

typedef struct bytes {
    uint8_t *v;
    size_t n, cap;
} bytes;

static void put(bytes *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->v = realloc(b->v, b->cap);
        if (b->v == NULL) {
            abort();
        }
    }
    memcpy(b->v + b->n, p, n);
    b->n += n;
}

static void put_u32be(bytes *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    put(b, x, 4);
}

static void put_chunk(bytes *b, const char *type, const uint8_t *data, size_t n)
{
    uLong crc = crc32(0, (const Bytef *)type, 4);
    if (n > 0) {
        crc = crc32(crc, data, (uInt)n);
    }
    put_u32be(b, (uint32_t)n);
    put(b, type, 4);
    if (n > 0) {
        put(b, data, n);
    }
    put_u32be(b, (uint32_t)crc);
}

static uint8_t paeth(int a, int b, int c)
{
    int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
    return (uint8_t)(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
}

/* Filters one scanline (n bytes, bpp bytes per complete pixel) in place into out. */
static void filter_row(int type, const uint8_t *cur, const uint8_t *prev, size_t n, size_t bpp,
                       uint8_t *out)
{
    for (size_t i = 0; i < n; i++) {
        int a = i >= bpp ? cur[i - bpp] : 0, b = prev != NULL ? prev[i] : 0;
        int c = i >= bpp && prev != NULL ? prev[i - bpp] : 0;
        int pred = type == 1 ? a : type == 2 ? b : type == 3 ? (a + b) / 2 : type == 4 ? paeth(a, b, c) : 0;
        out[i] = (uint8_t)(cur[i] - pred);
    }
}

static const int adam7[7][4] = {{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4},
                                {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}};

/* Allowed (colour type, depth) pairs, the last three refused by the decoder. */
static const uint8_t formats[][2] = {{0, 1}, {0, 2}, {0, 4}, {0, 8}, {0, 16}, {3, 1}, {3, 2},
                                     {3, 4}, {3, 8}, {2, 8}, {4, 8}, {6, 16}};

/* Builds a PNG from the description in `in`; *expect receives the labels the
 * decoder must produce (NULL for a refused colour type). Returns 0 when the
 * PNG was deliberately corrupted. */
static int synth_png(fuzz_in *in, bytes *png, uint16_t **expect, uint32_t *pw, uint32_t *ph)
{
    uint8_t sel = fuzz_u8(in), fmt_b = fuzz_u8(in), opt = fuzz_u8(in), lvl = fuzz_u8(in);
    uint32_t w, h;
    unsigned color, depth, channels, bits;
    int interlace = opt & 1, corrupt = (opt & 0x80) != 0;
    uint32_t rng = 0x9e3779b9u ^ sel ^ ((uint32_t)fmt_b << 8) ^ ((uint32_t)opt << 16);
    uint16_t *px;
    bytes raw = {0}, z = {0};
    size_t zcap;

    if (sel & 0x40) { /* wide and short */
        w = 1 + fuzz_u16(in) % 2048;
        h = 1 + fuzz_u8(in) % 4;
    } else {
        w = 1 + fuzz_u8(in) % 64;
        h = 1 + fuzz_u8(in) % 64;
    }
    color = formats[fmt_b % (sizeof(formats) / sizeof(formats[0]))][0];
    depth = formats[fmt_b % (sizeof(formats) / sizeof(formats[0]))][1];
    channels = color == 2 ? 3 : color == 4 ? 2 : color == 6 ? 4 : 1;
    bits = depth * channels;

    /* samples: from the input, then from a PRNG seeded by it */
    px = fuzz_xmalloc(sizeof(uint16_t) * w * h * channels);
    for (size_t i = 0; i < (size_t)w * h * channels; i++) {
        unsigned v;
        if (in->n > 0) {
            v = depth == 16 ? fuzz_u16(in) : fuzz_u8(in);
        } else {
            rng = rng * 1103515245u + 12345u;
            v = rng >> 13;
        }
        px[i] = (uint16_t)(v & ((1u << depth) - 1));
    }

    /* scanlines, pass by pass */
    for (int pass = 0; pass < (interlace ? 7 : 1); pass++) {
        int x0 = interlace ? adam7[pass][0] : 0, y0 = interlace ? adam7[pass][1] : 0;
        int dx = interlace ? adam7[pass][2] : 1, dy = interlace ? adam7[pass][3] : 1;
        size_t cols = w > (uint32_t)x0 ? (w - x0 + dx - 1) / dx : 0;
        size_t rows = h > (uint32_t)y0 ? (h - y0 + dy - 1) / dy : 0;
        size_t stride = (cols * bits + 7) / 8, bpp = bits >= 8 ? bits / 8 : 1;
        uint8_t *cur, *prev, *out;
        if (cols == 0 || rows == 0) {
            continue;
        }
        cur = calloc(stride, 1);
        prev = calloc(stride, 1);
        out = calloc(stride + 1, 1);
        if (cur == NULL || prev == NULL || out == NULL) {
            abort();
        }
        for (size_t r = 0; r < rows; r++) {
            size_t y = y0 + r * dy;
            int ft = (int)((opt >> 1) % 6);
            if (ft == 5) { /* a different filter on every row */
                rng = rng * 1103515245u + 12345u;
                ft = (int)((rng >> 16) % 5);
            }
            memset(cur, 0, stride);
            for (size_t c = 0; c < cols; c++) {
                size_t x = x0 + c * dx;
                for (unsigned ch = 0; ch < channels; ch++) {
                    unsigned v = px[(y * w + x) * channels + ch];
                    size_t bit = (c * channels + ch) * depth;
                    if (depth == 16) {
                        cur[bit / 8] = (uint8_t)(v >> 8);
                        cur[bit / 8 + 1] = (uint8_t)v;
                    } else if (depth == 8) {
                        cur[bit / 8] = (uint8_t)v;
                    } else {
                        cur[bit / 8] |= (uint8_t)(v << (8 - depth - bit % 8));
                    }
                }
            }
            out[0] = (uint8_t)ft;
            filter_row(ft, cur, r > 0 ? prev : NULL, stride, bpp, out + 1);
            put(&raw, out, stride + 1);
            memcpy(prev, cur, stride);
        }
        free(cur);
        free(prev);
        free(out);
    }

    zcap = compressBound((uLong)raw.n);
    z.v = fuzz_xmalloc(zcap);
    {
        uLongf zlen = (uLongf)zcap;
        if (compress2(z.v, &zlen, raw.v, (uLong)raw.n, lvl % 10) != Z_OK) {
            abort();
        }
        z.n = zlen;
    }

    put(png, "\x89PNG\r\n\x1a\n", 8);
    {
        uint8_t ih[13];
        ih[0] = (uint8_t)(w >> 24);
        ih[1] = (uint8_t)(w >> 16);
        ih[2] = (uint8_t)(w >> 8);
        ih[3] = (uint8_t)w;
        ih[4] = (uint8_t)(h >> 24);
        ih[5] = (uint8_t)(h >> 16);
        ih[6] = (uint8_t)(h >> 8);
        ih[7] = (uint8_t)h;
        ih[8] = (uint8_t)depth;
        ih[9] = (uint8_t)color;
        ih[10] = ih[11] = 0;
        ih[12] = (uint8_t)interlace;
        put_chunk(png, "IHDR", ih, sizeof(ih));
    }
    if (opt & 0x20) {
        uint8_t g[4] = {0, 0, 0xb1, 0x8f};
        put_chunk(png, "gAMA", g, 4);
    }
    if (color == 3) {
        /* a palette of 1..2^depth entries (indices beyond it are still labels) */
        unsigned n = 1 + (unsigned)(sel % (1u << depth));
        uint8_t pal[256 * 3];
        for (unsigned i = 0; i < 3 * n; i++) {
            pal[i] = (uint8_t)(i * 37 + sel);
        }
        put_chunk(png, "PLTE", pal, 3 * n);
        if (opt & 0x10) {
            uint8_t t[2] = {0, 255};
            put_chunk(png, "tRNS", t, n < 2 ? 1 : 2);
        }
    } else if (color == 0 && (opt & 0x10)) {
        uint8_t t[2] = {0, 1};
        put_chunk(png, "tRNS", t, 2);
    }
    if (opt & 0x08) {
        static const char txt[] = "Comment\0label map";
        put_chunk(png, "tEXt", (const uint8_t *)txt, sizeof(txt) - 1);
    }
    {
        /* one or two IDAT chunks */
        size_t cut = (opt & 0x40) && z.n > 1 ? 1 + lvl % (z.n - 1) : z.n;
        put_chunk(png, "IDAT", z.v, cut);
        if (cut < z.n) {
            put_chunk(png, "IDAT", z.v + cut, z.n - cut);
        }
    }
    put_chunk(png, "IEND", NULL, 0);
    free(raw.v);
    free(z.v);

    *pw = w;
    *ph = h;
    *expect = NULL;
    if (channels == 1) {
        uint16_t *e = fuzz_xmalloc(sizeof(uint16_t) * w * h);
        for (size_t i = 0; i < (size_t)w * h; i++) {
            unsigned v = px[i];
            if (color == 0 && depth == 2) {
                v *= 85;
            } else if (color == 0 && depth == 4) {
                v *= 17;
            }
            e[i] = (uint16_t)v;
        }
        *expect = e;
    }
    free(px);
    if (corrupt && png->n > 8) {
        size_t at = 8 + (size_t)(sel * 131u + lvl) % (png->n - 8);
        png->v[at] ^= (uint8_t)(1u << (lvl % 8));
        return 0;
    }
    return 1;
}

/* IHDR fields, when the file is long enough to have them (for the value checks). */
static int ihdr(const uint8_t *d, size_t n, unsigned *depth, unsigned *color)
{
    if (n < 29 || memcmp(d + 12, "IHDR", 4) != 0) {
        return 0;
    }
    *depth = d[24];
    *color = d[25];
    return 1;
}

static void check_decode(const uint8_t *data, size_t size, const uint16_t *expect, uint32_t ew,
                         uint32_t eh, int must_decode);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 20) {
        return -1;
    }
    if (size > 0 && data[0] != 0x89) {
        fuzz_in in = {data, size};
        bytes png = {0};
        uint16_t *expect = NULL;
        uint32_t w = 0, h = 0;
        int intact = synth_png(&in, &png, &expect, &w, &h);
        check_decode(png.v, png.n, intact ? expect : NULL, w, h, intact && expect != NULL);
        free(expect);
        free(png.v);
        return 0;
    }
    check_decode(data, size, NULL, 0, 0, 0);
    return 0;
}

/* Decodes and checks; with expect, the labels must be exactly those. */
static void check_decode(const uint8_t *data, size_t size, const uint16_t *expect, uint32_t ew,
                         uint32_t eh, int must_decode)
{
    maskeval_label_img img, img2;
    char err[256];
    maskeval_status st;
    uint64_t npix, nbytes;
    uint64_t sum = 0;
    unsigned depth = 0, color = 0;

    memset(err, 'x', sizeof(err));
    memset(&img, 0x5a, sizeof(img));
    st = maskeval_png_decode_labels(&alloc, "fuzz.png", MASKEVAL_PNG_MAX_PIXELS, data, size, &img, err, sizeof(err));
    {
        /* the libdeflate rows path (clean 8- and 16-bit gray) against libspng */
        maskeval_label_img ref;
        char err2[256];
        const maskeval_status sr = maskeval_png_decode_labels_spng(
            &alloc, "fuzz.png", MASKEVAL_PNG_MAX_PIXELS, data, size, &ref, err2, sizeof(err2));
        if (st == MASKEVAL_OK && sr == MASKEVAL_OK) {
            FUZZ_CHECK(img.w == ref.w && img.h == ref.h && img.bytes == ref.bytes &&
                           memcmp(img.data, ref.data,
                                  (size_t)img.w * img.h * (size_t)img.bytes) == 0,
                       "the fast path and libspng give different labels");
        } else if (st == MASKEVAL_OK) {
            FUZZ_CHECK(sr == MASKEVAL_ERR_NOMEM || strstr(err2, "IDAT stream error") != NULL,
                       "fast path decoded, libspng: %s", err2);
        } else if (sr == MASKEVAL_OK) {
            FUZZ_CHECK(st == MASKEVAL_ERR_NOMEM, "libspng decoded, the fast path: %.*s",
                       (int)sizeof(err), err);
        } else if (st != MASKEVAL_ERR_NOMEM && sr != MASKEVAL_ERR_NOMEM) {
            FUZZ_CHECK(st == sr && strncmp(err, err2, sizeof(err)) == 0,
                       "refusals differ: %.*s / %s", (int)sizeof(err), err, err2);
        }
        maskeval_label_img_free(&alloc, &ref);
    }
    if (must_decode) {
        FUZZ_CHECK(st == MASKEVAL_OK, "a valid %ux%u PNG was refused (status %d): %.*s", ew, eh,
                   (int)st, (int)sizeof(err), err);
    }
    if (st != MASKEVAL_OK) {
        FUZZ_CHECK(st == MASKEVAL_ERR_PARSE || st == MASKEVAL_ERR_UNSUPPORTED ||
                       st == MASKEVAL_ERR_LIMIT || st == MASKEVAL_ERR_NOMEM,
                   "status %d", (int)st);
        FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL && strncmp(err, "fuzz.png", 8) == 0,
                   "error message not terminated or not naming the file");
        /* (w and h may be set when the label buffer could not be allocated) */
        FUZZ_CHECK(img.data == NULL, "failed decode left a label buffer");
        return;
    }
    npix = (uint64_t)img.w * img.h;
    FUZZ_CHECK(npix > 0 && npix <= MASKEVAL_PNG_MAX_PIXELS, "%ux%u image", img.w, img.h);
    FUZZ_CHECK(img.bytes == 1 || img.bytes == 2, "%d bytes per label", img.bytes);
    FUZZ_CHECK(img.data != NULL, "no pixels");
    nbytes = npix * (uint64_t)img.bytes;
    /* touch every byte: ASan reports a buffer shorter than w*h*bytes */
    {
        const uint8_t *p = img.data;
        for (uint64_t i = 0; i < nbytes; i++) {
            sum += p[i];
        }
        /* keep the loop */
        __asm__ volatile("" : : "r"(sum));
    }
    if (ihdr(data, size, &depth, &color)) {
        FUZZ_CHECK((depth == 16) == (img.bytes == 2), "%u-bit PNG gave %d-byte labels", depth,
                   img.bytes);
        if (depth < 8) {
            const uint8_t *p = img.data;
            for (uint64_t i = 0; i < npix; i++) {
                unsigned v = p[i];
                if (color == 0) { /* gray */
                    FUZZ_CHECK(depth == 1   ? v <= 1
                               : depth == 2 ? v % 85 == 0
                                            : v % 17 == 0,
                               "%u-bit gray pixel %llu = %u", depth, (unsigned long long)i, v);
                } else {
                    FUZZ_CHECK(v < (1u << depth), "%u-bit palette pixel %llu = %u", depth,
                               (unsigned long long)i, v);
                }
            }
        }
    }
    /* deterministic: a second decode gives the same labels */
    if (nbytes <= (1u << 20)) {
        st = maskeval_png_decode_labels(&alloc, "fuzz.png", MASKEVAL_PNG_MAX_PIXELS, data, size, &img2, err, sizeof(err));
        FUZZ_CHECK(st == MASKEVAL_OK && img2.w == img.w && img2.h == img.h &&
                       img2.bytes == img.bytes && memcmp(img.data, img2.data, (size_t)nbytes) == 0,
                   "second decode differs (status %d)", (int)st);
        maskeval_label_img_free(&alloc, &img2);
    }
    if (expect != NULL) {
        FUZZ_CHECK(img.w == ew && img.h == eh, "decoded %ux%u, wrote %ux%u", img.w, img.h, ew, eh);
        for (size_t i = 0; i < (size_t)npix; i++) {
            unsigned v = img.bytes == 2 ? ((const uint16_t *)img.data)[i]
                                        : ((const uint8_t *)img.data)[i];
            FUZZ_CHECK(v == expect[i], "pixel (%zu, %zu): label %u, written %u", i % ew, i / ew, v,
                       expect[i]);
        }
    }
    maskeval_label_img_free(&alloc, &img);
    FUZZ_CHECK(img.data == NULL, "label_img_free");
}
