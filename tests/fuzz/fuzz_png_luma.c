/*
 * fuzz_png_luma.c - Cityscapes prediction masks (src/io/png_luma.c): the
 * libdeflate rows path against the libspng path, differentially.
 *
 * Input: a PNG file's bytes; every chunk's CRC is rewritten first, so that
 * mutations inside IDAT reach the inflater and the unfiltering. The seed
 * corpus is small gray / RGB / RGBA masks with every filter type and the
 * other colour types and depths (which only libspng reads).
 *
 * Checks: both return OK, PARSE, LIMIT or NOMEM, with a message on failure;
 * when the fast path decodes a mask, libspng decodes the same runs and count
 * or refuses a DEFLATE stream that libdeflate accepts (the one known
 * difference, as in fuzz_png_ids); the runs are increasing, non-empty, one
 * row each, and add up to the count; decoding twice gives the same.
 */
#include <stdint.h>
#include <string.h>
#include <zlib.h>

#include "core/ctx.h"
#include "fuzz_common.h"
#include "fuzz_png.h"
#include "io/png_luma.h"

static int status_ok(maskeval_status st)
{
    return st == MASKEVAL_OK || st == MASKEVAL_ERR_PARSE || st == MASKEVAL_ERR_LIMIT ||
           st == MASKEVAL_ERR_NOMEM;
}

static int same_mask(const maskeval_luma_mask *x, const maskeval_luma_mask *y)
{
    return x->w == y->w && x->h == y->h && x->count == y->count && x->n_runs == y->n_runs &&
           (x->n_runs == 0 || memcmp(x->runs, y->runs, 2 * x->n_runs * sizeof(uint64_t)) == 0);
}

static void check_runs(const maskeval_luma_mask *m)
{
    uint64_t total = 0, prev_end = 0;
    for (size_t k = 0; k < m->n_runs; k++) {
        const uint64_t b = m->runs[2 * k], e = m->runs[2 * k + 1];
        FUZZ_CHECK(b < e && (k == 0 || b > prev_end || (b == prev_end && b % m->w == 0)),
                   "run %zu [%llu, %llu) after %llu", k, (unsigned long long)b,
                   (unsigned long long)e, (unsigned long long)prev_end);
        FUZZ_CHECK(b / m->w == (e - 1) / m->w && e <= (uint64_t)m->w * m->h,
                   "run %zu crosses a row", k);
        total += e - b;
        prev_end = e;
    }
    FUZZ_CHECK(total == m->count, "runs add up to %llu, count %llu", (unsigned long long)total,
               (unsigned long long)m->count);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *f = fuzz_png_fixed_copy(data, size);
    maskeval_luma_mask a, b, c;
    char err[512], err2[512];
    maskeval_status sa, sb, sc;
    if (f == NULL) {
        return 0;
    }
    err[0] = err2[0] = '\0';
    sa = maskeval_png_decode_luma_mask(&alloc, "fuzz.png", 1u << 22, f, size, &a, err,
                                       sizeof err);
    sb = maskeval_png_decode_luma_mask_spng(&alloc, "fuzz.png", 1u << 22, f, size, &b, err2,
                                            sizeof err2);
    FUZZ_CHECK(status_ok(sa) && status_ok(sb), "statuses %d %d", (int)sa, (int)sb);
    FUZZ_CHECK(sa == MASKEVAL_OK || (err[0] != '\0' && a.runs == NULL),
               "failure without a message");
    FUZZ_CHECK(sb == MASKEVAL_OK || (err2[0] != '\0' && b.runs == NULL),
               "libspng failure without a message");
    if (sa == MASKEVAL_OK) {
        check_runs(&a);
    }
    if (sa == MASKEVAL_OK && sb != MASKEVAL_ERR_NOMEM) {
        FUZZ_CHECK(sb == MASKEVAL_OK || strstr(err2, "IDAT stream error") != NULL,
                   "fast path decoded, libspng: %s", err2);
        if (sb == MASKEVAL_OK) {
            FUZZ_CHECK(same_mask(&a, &b), "masks differ (%ux%u, %llu vs %llu pixels)", a.w, a.h,
                       (unsigned long long)a.count, (unsigned long long)b.count);
        }
    }
    if (sb == MASKEVAL_OK && sa != MASKEVAL_ERR_NOMEM) {
        FUZZ_CHECK(sa == MASKEVAL_OK, "libspng decoded, fast path: %s", err);
    }
    sc = maskeval_png_decode_luma_mask(&alloc, "fuzz.png", 1u << 22, f, size, &c, err,
                                       sizeof err);
    FUZZ_CHECK(sc == sa, "second decode %d vs %d", (int)sc, (int)sa);
    if (sa == MASKEVAL_OK && sc == MASKEVAL_OK) {
        FUZZ_CHECK(same_mask(&a, &c), "second decode differs");
    }
    maskeval_luma_mask_free(&alloc, &a);
    maskeval_luma_mask_free(&alloc, &b);
    maskeval_luma_mask_free(&alloc, &c);
    free(f);
    return 0;
}
