/*
 * test_rle.c - the RLE codec (pycocotools' compressed strings), area, toBbox,
 * union and intersection.
 */
#include <stdlib.h>
#include <string.h>

#include "core/ctx.h"
#include "maskeval.h"
#include "rle/rle.h"
#include "test_main.h"

static size_t encode(const uint32_t *c, size_t n, char *out, size_t cap)
{
    size_t len = 0;
    ck_assert_int_eq(maskeval_rle_to_string(c, n, out, cap, &len), MASKEVAL_OK);
    return len;
}

START_TEST(test_known_strings)
{
    /* Vectors from the spec, produced by pycocotools 2.0.11. */
    static const uint32_t a[] = {5, 3, 2, 10, 1000000};
    static const uint32_t b[] = {0, 5, 5, 5, 5, 2, 3, 5, 2, 3, 5, 2, 3, 55};
    static const uint32_t zero[] = {20};
    char s[128];
    encode(a, 5, s, sizeof(s));
    ck_assert_str_eq(s, "5327na`n0");
    encode(b, 14, s, sizeof(s));
    ck_assert_str_eq(s, "05500MN3ON3ONe1");
    encode(zero, 1, s, sizeof(s));
    ck_assert_str_eq(s, "d0");
}
END_TEST

START_TEST(test_round_trip_random)
{
    maskeval_ctx *ctx = NULL;
    unsigned seed = 12345;
    ck_assert_int_eq(maskeval_ctx_create(NULL, &ctx), MASKEVAL_OK);
    for (int it = 0; it < 2000; it++) {
        uint32_t c[64], d[64 * 7];
        char s[64 * 7 + 1];
        size_t n = 1 + (size_t)(rand_r(&seed) % 64), len, m = 0;
        for (size_t i = 0; i < n; i++) {
            int kind = rand_r(&seed) % 4;
            c[i] = kind == 0   ? 0
                   : kind == 1 ? (uint32_t)(rand_r(&seed) % 40)
                   : kind == 2 ? (uint32_t)rand_r(&seed)
                               : UINT32_MAX - (uint32_t)(rand_r(&seed) % 3);
        }
        len = encode(c, n, s, sizeof(s));
        ck_assert_uint_le(len, maskeval_rle_str_bound(n));
        ck_assert_int_eq(maskeval_rle_from_string(ctx, s, len, d, sizeof(d) / sizeof(d[0]), &m),
                         MASKEVAL_OK);
        ck_assert_uint_eq(m, n);
        ck_assert_int_eq(memcmp(c, d, n * sizeof(uint32_t)), 0);
    }
    maskeval_ctx_destroy(ctx);
}
END_TEST

START_TEST(test_decode_errors)
{
    uint32_t c[32];
    size_t n, where, index;
    /* a character outside '0'..'o' */
    ck_assert_int_eq(maskeval_rle_str_decode("5x", 2, c, &n, &where, &index),
                     MASKEVAL_RLE_STR_BAD_CHAR);
    ck_assert_uint_eq(where, 1);
    ck_assert_int_eq(maskeval_rle_str_decode("5/", 2, c, &n, &where, &index),
                     MASKEVAL_RLE_STR_BAD_CHAR);
    /* the last character announces more groups ('P' = 0x20 + 0) */
    ck_assert_int_eq(maskeval_rle_str_decode("5P", 2, c, &n, &where, &index),
                     MASKEVAL_RLE_STR_TRUNCATED);
    /* 'O' = group 31 with the sign bit: -1 as the first count */
    ck_assert_int_eq(maskeval_rle_str_decode("O", 1, c, &n, &where, &index),
                     MASKEVAL_RLE_STR_NEGATIVE);
    /* 'M' = -3: the 4th count is 1 + (-3) < 0 */
    ck_assert_int_eq(maskeval_rle_str_decode("111M", 4, c, &n, &where, &index),
                     MASKEVAL_RLE_STR_NEGATIVE);
    ck_assert_uint_eq(index, 3);
    /* 8 groups */
    ck_assert_int_eq(maskeval_rle_str_decode("PPPPPPP0", 8, c, &n, &where, &index),
                     MASKEVAL_RLE_STR_TOO_LONG);
    /* 2^32 does not fit: 0 with continuation x6, then group 4 (bit 30+2 = 32) */
    ck_assert_int_eq(maskeval_rle_str_decode("PPPPPP4", 7, c, &n, &where, &index),
                     MASKEVAL_RLE_STR_OVERFLOW);
    ck_assert_int_eq(maskeval_rle_str_decode("", 0, c, &n, &where, &index), MASKEVAL_RLE_STR_OK);
    ck_assert_uint_eq(n, 0);
}
END_TEST

/* The decoder written the plainest way: one byte at a time, every check
 * in order. The library's decoder takes a faster path away from the end of
 * the string; both must agree on counts, errors and error positions. */
static maskeval_rle_strerr ref_decode(const char *s, size_t len, uint32_t *counts, size_t *n,
                                      size_t *where, size_t *index)
{
    size_t p = 0, m = 0;
    while (p < len) {
        size_t start = p;
        int64_t x = 0;
        int k = 0, more = 1;
        while (more) {
            int c;
            if (p >= len) {
                *where = start;
                *index = m;
                return MASKEVAL_RLE_STR_TRUNCATED;
            }
            if ((unsigned char)s[p] < 48 || (unsigned char)s[p] > 111) {
                *where = p;
                *index = m;
                return MASKEVAL_RLE_STR_BAD_CHAR;
            }
            if (k == 7) {
                *where = start;
                *index = m;
                return MASKEVAL_RLE_STR_TOO_LONG;
            }
            c = s[p++] - 48;
            x += (int64_t)(c & 0x1f) << (5 * k);
            more = c & 0x20;
            k++;
            if (!more && (c & 0x10)) {
                x -= (int64_t)1 << (5 * k);
            }
        }
        if (m > 2) {
            x += counts[m - 2];
        }
        if (x < 0 || x > (int64_t)UINT32_MAX) {
            *where = start;
            *index = m;
            return x < 0 ? MASKEVAL_RLE_STR_NEGATIVE : MASKEVAL_RLE_STR_OVERFLOW;
        }
        counts[m++] = (uint32_t)x;
    }
    *n = m;
    return MASKEVAL_RLE_STR_OK;
}

START_TEST(test_decode_matches_reference)
{
    unsigned seed = 5;
    uint32_t got[64], want[64];
    for (int it = 0; it < 300000; it++) {
        char s[48];
        size_t len = (size_t)(rand_r(&seed) % 40), n1 = 0, n2 = 0, w1 = 0, w2 = 0, i1 = 0, i2 = 0;
        int mode = rand_r(&seed) % 4;
        maskeval_rle_strerr e1, e2;
        for (size_t i = 0; i < len; i++) {
            /* mostly valid characters; long continuation chains; a few bad bytes */
            int r = rand_r(&seed) % 100;
            s[i] = mode == 0 && r < 80 ? (char)(80 + rand_r(&seed) % 32)
                   : r < 2           ? (char)(rand_r(&seed) % 256)
                   : r < 4           ? (char)(112 + rand_r(&seed) % 16)
                                     : (char)(48 + rand_r(&seed) % 64);
        }
        e1 = maskeval_rle_str_decode(s, len, got, &n1, &w1, &i1);
        e2 = ref_decode(s, len, want, &n2, &w2, &i2);
        ck_assert_int_eq(e1, e2);
        if (e1 == MASKEVAL_RLE_STR_OK) {
            ck_assert_uint_eq(n1, n2);
            ck_assert_int_eq(memcmp(got, want, n1 * sizeof(uint32_t)), 0);
        } else {
            ck_assert_uint_eq(w1, w2);
            ck_assert_uint_eq(i1, i2);
        }
    }
}
END_TEST

START_TEST(test_encode_dense)
{
    /* 3x2 column-major [0,1,1 | 1,0,0] */
    static const uint8_t m[6] = {0, 1, 1, 1, 0, 0};
    uint32_t c[8];
    size_t n;
    ck_assert_int_eq(maskeval_rle_encode(m, 3, 2, c, 8, &n), MASKEVAL_OK);
    ck_assert_uint_eq(n, 3);
    ck_assert_uint_eq(c[0], 1);
    ck_assert_uint_eq(c[1], 3);
    ck_assert_uint_eq(c[2], 2);
    ck_assert_int_eq(maskeval_rle_encode(m, 3, 2, c, 2, &n), MASKEVAL_ERR_BUFFER_TOO_SMALL);
    ck_assert_uint_eq(n, 3);
}
END_TEST

START_TEST(test_area_bbox)
{
    double b[4];
    /* [[0,1],[1,1]] in a 2x2 image -> [0,0,2,2] (ppwwyyxx test_cases) */
    static const uint8_t m1[4] = {0, 1, 1, 1};
    /* 10x10 with rows 2..3, cols 3..5 set -> [3,2,3,2] */
    uint8_t m2[100] = {0};
    uint32_t c[64];
    size_t n;
    ck_assert_int_eq(maskeval_rle_encode(m1, 2, 2, c, 64, &n), MASKEVAL_OK);
    maskeval_rle_bbox(c, n, 2, 2, b);
    ck_assert(b[0] == 0 && b[1] == 0 && b[2] == 2 && b[3] == 2);
    ck_assert_uint_eq(maskeval_rle_area(c, n), 3);
    for (int col = 3; col <= 5; col++) {
        for (int row = 2; row <= 3; row++) {
            m2[col * 10 + row] = 1;
        }
    }
    ck_assert_int_eq(maskeval_rle_encode(m2, 10, 10, c, 64, &n), MASKEVAL_OK);
    maskeval_rle_bbox(c, n, 10, 10, b);
    ck_assert(b[0] == 3 && b[1] == 2 && b[2] == 3 && b[3] == 2);
    /* all-zero canonical -> zeros */
    {
        uint32_t z[1] = {100};
        maskeval_rle_bbox(z, 1, 10, 10, b);
        ck_assert(b[0] == 0 && b[1] == 0 && b[2] == 0 && b[3] == 0);
    }
    /* pycocotools' uint32 wrap for runs without pixels: [20, 0] on 4x5 */
    {
        uint32_t q[2] = {20, 0};
        maskeval_rle_bbox(q, 2, 4, 5, b);
        ck_assert(b[0] == 5 && b[1] == 4);
        ck_assert(b[2] == 4294967296.0 - 5 + 1 && b[3] == 4294967296.0 - 4 + 1);
    }
}
END_TEST

/* Decodes counts into a dense column-major mask. */
static void decode(const uint32_t *c, size_t n, uint8_t *m, size_t npix)
{
    size_t p = 0;
    int v = 0;
    memset(m, 0, npix);
    for (size_t i = 0; i < n; i++, v = !v) {
        for (uint32_t k = 0; k < c[i] && p < npix; k++) {
            m[p++] = (uint8_t)v;
        }
    }
}

START_TEST(test_union_intersection_random)
{
    unsigned seed = 777;
    for (int it = 0; it < 500; it++) {
        uint8_t a[120], b[120], u[120], da[120];
        uint32_t ca[121], cb[121], cu[243], cu2[121];
        size_t na, nb, nu, nu2, npix = 120, inter = 0;
        for (size_t i = 0; i < npix; i++) {
            /* runs of random length, so there is structure */
            a[i] = (uint8_t)((i == 0 ? 0 : a[i - 1]) ^ (rand_r(&seed) % 5 == 0));
            b[i] = (uint8_t)((i == 0 ? 1 : b[i - 1]) ^ (rand_r(&seed) % 7 == 0));
            u[i] = a[i] | b[i];
            inter += a[i] & b[i];
        }
        maskeval_rle_encode(a, 12, 10, ca, 121, &na);
        maskeval_rle_encode(b, 12, 10, cb, 121, &nb);
        maskeval_rle_encode(u, 12, 10, cu2, 121, &nu2);
        nu = maskeval_rle_union(ca, na, cb, nb, cu);
        /* canonical input: union equals encoding the OR of the masks */
        ck_assert_uint_eq(nu, nu2);
        ck_assert_int_eq(memcmp(cu, cu2, nu * sizeof(uint32_t)), 0);
        ck_assert_uint_eq(maskeval_rle_intersection(ca, na, cb, nb), inter);
        decode(cu, nu, da, npix);
        ck_assert_int_eq(memcmp(da, u, npix), 0);
    }
}
END_TEST

START_TEST(test_mask_iou)
{
    /* 4x4: dt = left two columns (8 px), gt = first column (4 px) */
    static const uint32_t dt[] = {0, 8, 8};
    static const uint32_t gt[] = {0, 4, 12};
    static const uint32_t far[] = {12, 4};
    ck_assert(maskeval_rle_iou(dt, 3, gt, 3, 4, 4, 0) == 4.0 / 8.0);
    /* crowd: intersection / detection area */
    ck_assert(maskeval_rle_iou(gt, 3, dt, 3, 4, 4, 1) == 4.0 / 4.0);
    ck_assert(maskeval_rle_iou(dt, 3, far, 2, 4, 4, 0) == 0.0);
}
END_TEST

/* toBbox exactly as pycocotools 2.0.11 writes it (two divisions per run). */
static void ref_bbox(const uint32_t *cnt, size_t n, uint32_t h, uint32_t w, double bb[4])
{
    uint32_t xs = w, ys = h, xe = 0, ye = 0, cc = 0;
    size_t m = (n / 2) * 2;
    if (m == 0) {
        bb[0] = bb[1] = bb[2] = bb[3] = 0;
        return;
    }
    for (size_t j = 0; j < m; j++) {
        uint32_t start = cc;
        cc += cnt[j];
        if (j % 2 == 0 || cnt[j] == 0) {
            continue;
        }
        uint32_t y0 = start % h, x0 = (start - y0) / h, y1 = (cc - 1) % h, x1 = (cc - 1 - y1) / h;
        xs = x0 < xs ? x0 : xs;
        xe = x1 > xe ? x1 : xe;
        if (x0 < x1) {
            ys = 0;
            ye = h - 1;
        } else {
            ys = y0 < ys ? y0 : ys;
            ye = y1 > ye ? y1 : ye;
        }
    }
    bb[0] = xs;
    bb[2] = (uint32_t)(xe - xs + 1);
    bb[1] = ys;
    bb[3] = (uint32_t)(ye - ys + 1);
}

START_TEST(test_stats_match_reference)
{
    unsigned seed = 99;
    for (int it = 0; it < 20000; it++) {
        uint32_t h = 1 + (uint32_t)(rand_r(&seed) % 40), w = 1 + (uint32_t)(rand_r(&seed) % 40);
        uint32_t c[200], total = h * w, left = total, area = 0;
        size_t n = 0;
        double want[4];
        maskeval_rle_stats st, st2;
        char str[200 * 7 + 1];
        size_t len, where, index;
        /* random runs, zero-length ones included, summing to h*w */
        while (left > 0 && n < 199) {
            uint32_t r = rand_r(&seed) % 5 == 0 ? 0 : 1 + (uint32_t)(rand_r(&seed) % (2 * h + 1));
            if (r > left) {
                r = left;
            }
            c[n] = r;
            if (n % 2 == 1) {
                area += r;
            }
            left -= r;
            n++;
        }
        if (left > 0) {
            c[n++] = left;
            if (n % 2 == 0) {
                area += left;
            }
        }
        if (rand_r(&seed) % 10 == 0) {
            c[n++] = 0; /* a trailing empty run */
        }
        ref_bbox(c, n, h, w, want);
        maskeval_rle_stats_of(c, n, h, w, &st);
        ck_assert_msg(memcmp(st.box, want, sizeof(want)) == 0, "box of %zu counts", n);
        ck_assert_uint_eq(st.total, total);
        ck_assert_uint_eq(st.area, area);
        ck_assert_int_eq(maskeval_rle_to_string(c, n, str, sizeof(str), &len), MASKEVAL_OK);
        ck_assert_int_eq(maskeval_rle_str_scan(str, len, h, w, &st2, &where, &index),
                         MASKEVAL_RLE_STR_OK);
        ck_assert_int_eq(memcmp(&st, &st2, sizeof(st)), 0);
    }
}
END_TEST

static Suite *rle_suite(void)
{
    Suite *s = suite_create("rle");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_known_strings);
    tcase_add_test(tc, test_round_trip_random);
    tcase_add_test(tc, test_decode_errors);
    tcase_add_test(tc, test_decode_matches_reference);
    tcase_add_test(tc, test_encode_dense);
    tcase_add_test(tc, test_area_bbox);
    tcase_add_test(tc, test_union_intersection_random);
    tcase_add_test(tc, test_mask_iou);
    tcase_add_test(tc, test_stats_match_reference);
    suite_add_tcase(s, tc);
    return s;
}

MASKEVAL_TEST_MAIN(rle_suite)
