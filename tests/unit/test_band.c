/*
 * test_band.c - the run-length boundary band (maskeval_band_runs) against
 * the dense raster passes (maskeval_band_mask_colmajor): the same RLE counts
 * for random masks, sizes and widths, and no leak or crash when the
 * allocator fails.
 */
#include <stdlib.h>
#include <string.h>

#include "core/ctx.h"
#include "raster/band.h"
#include "rle/rle.h"
#include "test_main.h"

#define MAX_SIDE 320

static const maskeval_alloc libc_alloc = {malloc, realloc, free};

typedef struct band_case {
    uint8_t m[MAX_SIDE * MAX_SIDE], band[MAX_SIDE * MAX_SIDE];
    uint32_t run[MAX_SIDE];
    uint32_t iv[2 * MAX_SIDE * MAX_SIDE];
    uint32_t want[2 * MAX_SIDE * MAX_SIDE + 2];
} band_case;

static void fill_rect(uint8_t *m, uint32_t h, uint32_t r0, uint32_t r1, uint32_t c0, uint32_t c1)
{
    for (uint32_t c = c0; c <= c1; c++) {
        memset(m + (size_t)c * h + r0, 1, r1 - r0 + 1);
    }
}

static uint32_t pick(unsigned *seed, uint32_t n)
{
    return (uint32_t)rand_r(seed) % n;
}

/* A random column-major mask: empty, full, rectangles, noise, a pixel, full
 * with holes, full-height column spans, a disc or stripes. */
static void random_mask(unsigned *seed, uint8_t *m, uint32_t h, uint32_t w)
{
    const size_t n = (size_t)h * w;
    memset(m, 0, n);
    switch (pick(seed, 9)) {
    case 0: /* empty */
        break;
    case 1: /* full: touches every border, every run crosses columns */
        memset(m, 1, n);
        break;
    case 2: /* a few rectangles, some at the borders */
        for (uint32_t k = 1 + pick(seed, 4); k > 0; k--) {
            uint32_t r0 = pick(seed, h), r1 = pick(seed, h), c0 = pick(seed, w), c1 = pick(seed, w);
            if (r0 > r1) {
                uint32_t x = r0;
                r0 = r1;
                r1 = x;
            }
            if (c0 > c1) {
                uint32_t x = c0;
                c0 = c1;
                c1 = x;
            }
            if (pick(seed, 3) == 0) {
                r0 = 0;
            }
            if (pick(seed, 3) == 0) {
                r1 = h - 1;
            }
            fill_rect(m, h, r0, r1, c0, c1);
        }
        break;
    case 3: { /* noise of a random density */
        const uint32_t p = 1 + pick(seed, 99);
        for (size_t i = 0; i < n; i++) {
            m[i] = pick(seed, 100) < p;
        }
        break;
    }
    case 4: /* a single pixel */
        m[pick(seed, (uint32_t)n)] = 1;
        break;
    case 5: /* full with holes: touches every border */
        memset(m, 1, n);
        for (uint32_t k = pick(seed, 6); k > 0; k--) {
            m[pick(seed, (uint32_t)n)] = 0;
        }
        break;
    case 6: /* full-height column spans: runs continue from column to column */
        for (uint32_t k = 1 + pick(seed, 3); k > 0; k--) {
            const uint32_t c0 = pick(seed, w), c1 = c0 + pick(seed, w - c0);
            fill_rect(m, h, 0, h - 1, c0, c1);
        }
        if (pick(seed, 2)) { /* and a hole, so that some column stops short of a border */
            const uint32_t c = pick(seed, w);
            memset(m + (size_t)c * h + pick(seed, h), 0, 1);
        }
        break;
    case 7: { /* a disc, possibly cut by the image border */
        const double cr = pick(seed, h), cc = pick(seed, w), rad = 1 + pick(seed, h + w);
        for (uint32_t c = 0; c < w; c++) {
            for (uint32_t r = 0; r < h; r++) {
                m[(size_t)c * h + r] = (r - cr) * (r - cr) + (c - cc) * (c - cc) <= rad * rad;
            }
        }
        break;
    }
    default: { /* horizontal stripes over a column range: many runs per column */
        const uint32_t c0 = pick(seed, w), c1 = c0 + pick(seed, w - c0);
        const uint32_t period = 2 + pick(seed, 12), on = 1 + pick(seed, period - 1);
        for (uint32_t c = c0; c <= c1; c++) {
            for (uint32_t r = 0; r < h; r++) {
                m[(size_t)c * h + r] = (r + c / 7) % period < on;
            }
        }
        break;
    }
    }
}

/* The mask's runs as [start, end) pixel pairs, sometimes cut into touching
 * pieces as a string with zero-length counts would give them. */
static size_t mask_intervals(unsigned *seed, const uint8_t *m, size_t n, int cut, uint32_t *iv)
{
    size_t k = 0, i = 0;
    while (i < n) {
        size_t e;
        if (!m[i]) {
            i++;
            continue;
        }
        for (e = i; e < n && m[e]; e++) {
        }
        while (cut && e - i > 1 && pick(seed, 3) == 0) {
            const size_t mid = i + 1 + pick(seed, (uint32_t)(e - i - 1));
            iv[2 * k] = (uint32_t)i;
            iv[2 * k + 1] = (uint32_t)mid;
            k++;
            i = mid;
        }
        iv[2 * k] = (uint32_t)i;
        iv[2 * k + 1] = (uint32_t)e;
        k++;
        i = e;
    }
    return k;
}

/* A column-major raster's RLE counts (background first, as pycocotools). */
static size_t dense_counts(const uint8_t *b, size_t n, uint32_t *c)
{
    size_t k = 0, i = 0;
    uint8_t v = 0;
    while (i < n) {
        size_t e = i;
        while (e < n && b[e] == v) {
            e++;
        }
        c[k++] = (uint32_t)(e - i);
        i = e;
        v = !v;
    }
    return k;
}

/* Band by runs == band by raster for one mask, count for count. */
static void check_case(band_case *bc, const uint32_t *iv, size_t nruns, uint32_t h, uint32_t w,
                       uint32_t d, maskeval_band_work *wk, maskeval_u32vec *counts)
{
    const size_t n = (size_t)h * w;
    size_t nwant;
    maskeval_band_mask_colmajor(bc->m, h, w, d, bc->run, bc->band);
    nwant = dense_counts(bc->band, n, bc->want);
    ck_assert_int_eq(maskeval_band_runs(&libc_alloc, iv, nruns, h, w, d, wk, counts), MASKEVAL_OK);
    ck_assert_msg(counts->n == nwant &&
                      memcmp(counts->v, bc->want, nwant * sizeof(uint32_t)) == 0,
                  "band of a %ux%u mask (%zu runs), d = %u: %zu counts, %zu expected", h, w,
                  nruns, d, counts->n, nwant);
}

static void random_cases(unsigned seed, int iters, uint32_t max_h, uint32_t max_w, uint32_t max_d)
{
    band_case *bc = malloc(sizeof(*bc));
    maskeval_band_work wk;
    maskeval_u32vec counts = {0};
    ck_assert_ptr_nonnull(bc);
    memset(&wk, 0, sizeof(wk));
    for (int it = 0; it < iters; it++) {
        const uint32_t h = 1 + pick(&seed, max_h), w = 1 + pick(&seed, max_w);
        /* half the widths small, where the erosion is rarely empty */
        const uint32_t d = 1 + pick(&seed, pick(&seed, 2) ? max_d : 6);
        size_t nruns;
        random_mask(&seed, bc->m, h, w);
        nruns = mask_intervals(&seed, bc->m, (size_t)h * w, pick(&seed, 4) == 0, bc->iv);
        check_case(bc, bc->iv, nruns, h, w, d, &wk, &counts);
    }
    maskeval_band_work_free(&libc_alloc, &wk);
    maskeval_u32vec_free(&libc_alloc, &counts);
    free(bc);
}

START_TEST(test_runs_match_dense)
{
    random_cases(20260 + (unsigned)_i, 20000, 64, 80, 40);
}
END_TEST

/* Masks wide enough for many blocks of 2d+1 columns. */
START_TEST(test_runs_match_dense_large)
{
    random_cases(777 + (unsigned)_i, 600, MAX_SIDE, MAX_SIDE, 60);
}
END_TEST

/* Every small case exhaustively: all 2^(h*w) masks up to 4x4, d 1..2. */
START_TEST(test_runs_match_dense_exhaustive)
{
    band_case *bc = malloc(sizeof(*bc));
    maskeval_band_work wk;
    maskeval_u32vec counts = {0};
    unsigned seed = 5;
    ck_assert_ptr_nonnull(bc);
    memset(&wk, 0, sizeof(wk));
    for (uint32_t h = 1; h <= 4; h++) {
        for (uint32_t w = 1; w <= 4; w++) {
            for (uint32_t bits = 0; bits < (1u << (h * w)); bits++) {
                for (uint32_t d = 1; d <= 2; d++) {
                    size_t nruns;
                    for (uint32_t i = 0; i < h * w; i++) {
                        bc->m[i] = (bits >> i) & 1;
                    }
                    nruns = mask_intervals(&seed, bc->m, (size_t)h * w, 0, bc->iv);
                    check_case(bc, bc->iv, nruns, h, w, d, &wk, &counts);
                }
            }
        }
    }
    maskeval_band_work_free(&libc_alloc, &wk);
    maskeval_u32vec_free(&libc_alloc, &counts);
    free(bc);
}
END_TEST

/* Through a compressed string with empty counts inside, as bands.c reads masks. */
START_TEST(test_runs_from_strings)
{
    band_case *bc = malloc(sizeof(*bc));
    maskeval_band_work wk;
    maskeval_u32vec counts = {0};
    unsigned seed = 99;
    uint32_t c[2 * 64 * 80 + 8];
    char s[sizeof(c) / sizeof(c[0]) * 7];
    ck_assert_ptr_nonnull(bc);
    memset(&wk, 0, sizeof(wk));
    for (int it = 0; it < 3000; it++) {
        const uint32_t h = 1 + pick(&seed, 64), w = 1 + pick(&seed, 80), d = 1 + pick(&seed, 8);
        size_t n = 0, i = 0, len, nruns;
        uint8_t v = 0;
        random_mask(&seed, bc->m, h, w);
        /* counts with an empty run of the other value now and then */
        while (i < (size_t)h * w) {
            size_t e = i;
            while (e < (size_t)h * w && bc->m[e] == v) {
                e++;
            }
            if (e > i + 1 && pick(&seed, 4) == 0) {
                const size_t mid = i + 1 + pick(&seed, (uint32_t)(e - i - 1));
                c[n++] = (uint32_t)(mid - i);
                c[n++] = 0;
                i = mid;
            }
            c[n++] = (uint32_t)(e - i);
            i = e;
            v = !v;
        }
        len = maskeval_rle_str_encode(c, n, s);
        nruns = maskeval_rle_str_intervals(s, len, bc->iv);
        check_case(bc, bc->iv, nruns, h, w, d, &wk, &counts);
    }
    maskeval_band_work_free(&libc_alloc, &wk);
    maskeval_u32vec_free(&libc_alloc, &counts);
    free(bc);
}
END_TEST

/* An allocator that fails from its n-th call on. */
static long fail_after;
static void *failing_malloc(size_t n)
{
    return fail_after-- > 0 ? malloc(n) : NULL;
}
static void *failing_realloc(void *p, size_t n)
{
    return fail_after-- > 0 ? realloc(p, n) : NULL;
}

START_TEST(test_runs_nomem)
{
    static const maskeval_alloc failing = {failing_malloc, failing_realloc, free};
    static const uint32_t iv[] = {0, 40, 41, 90, 95, 400};
    int reached_ok = 0;
    for (long k = 0; k < 40 && !reached_ok; k++) {
        maskeval_band_work wk;
        maskeval_u32vec counts = {0};
        maskeval_status st;
        memset(&wk, 0, sizeof(wk));
        fail_after = k;
        st = maskeval_band_runs(&failing, iv, 3, 20, 20, 2, &wk, &counts);
        ck_assert(st == MASKEVAL_OK || st == MASKEVAL_ERR_NOMEM);
        reached_ok = st == MASKEVAL_OK;
        maskeval_band_work_free(&failing, &wk);
        maskeval_u32vec_free(&failing, &counts);
    }
    ck_assert(reached_ok);
}
END_TEST

static Suite *band_suite(void)
{
    Suite *s = suite_create("band");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, test_runs_match_dense, 0, 4);
    tcase_add_loop_test(tc, test_runs_match_dense_large, 0, 2);
    tcase_add_test(tc, test_runs_match_dense_exhaustive);
    tcase_add_test(tc, test_runs_from_strings);
    tcase_add_test(tc, test_runs_nomem);
    suite_add_tcase(s, tc);
    return s;
}

MASKEVAL_TEST_MAIN(band_suite)
