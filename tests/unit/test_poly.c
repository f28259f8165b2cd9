/*
 * test_poly.c - polygon rasterization: the fast crossing search against the
 * point-by-point walk, known shapes, and pycocotools' own output for 600
 * random polygons (tests/data/poly_vectors.json).
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctx.h"
#include "raster/poly.h"
#include "rle/rle.h"
#include "test_main.h"

static const maskeval_alloc alloc = {malloc, realloc, free};

static uint32_t area_of(const double *xy, size_t k, uint32_t h, uint32_t w)
{
    maskeval_u32vec s = {0}, out = {0};
    uint32_t a;
    ck_assert_int_eq(maskeval_poly_rasterize(&alloc, xy, k, h, w, &s, &out), MASKEVAL_OK);
    ck_assert_uint_eq(maskeval_rle_total(out.v, out.n), (uint64_t)h * w);
    a = maskeval_rle_area(out.v, out.n);
    maskeval_u32vec_free(&alloc, &s);
    maskeval_u32vec_free(&alloc, &out);
    return a;
}

START_TEST(test_squares)
{
    /* pycocotools: [0,0, 0,10, 10,10, 10,0] covers 10x10 pixels; 9x9 for 9. */
    static const double sq10[] = {0, 0, 0, 10, 10, 10, 10, 0};
    static const double sq9[] = {0, 0, 0, 9, 9, 9, 9, 0};
    ck_assert_uint_eq(area_of(sq10, 4, 20, 20), 100);
    ck_assert_uint_eq(area_of(sq9, 4, 20, 20), 81);
    /* clipped by the image */
    ck_assert_uint_eq(area_of(sq10, 4, 5, 5), 25);
}
END_TEST

static double coord(unsigned *seed, double lo, double hi, int style)
{
    double v = lo + (hi - lo) * ((double)rand_r(seed) / RAND_MAX);
    switch (style) {
    case 0:
        return floor(v);
    case 1:
        return floor(v * 4) / 4;
    case 2:
        return floor(v * 5) / 5 + 0.1; /* lands near the 1/5 grid's rounding points */
    default:
        return v;
    }
}

START_TEST(test_fast_equals_walk)
{
    unsigned seed = 4242;
    for (int it = 0; it < 20000; it++) {
        double xy[40];
        uint32_t h = 1 + (uint32_t)(rand_r(&seed) % 50), w = 1 + (uint32_t)(rand_r(&seed) % 50);
        size_t k = 3 + (size_t)(rand_r(&seed) % 18);
        int style = rand_r(&seed) % 4;
        double spread = (it % 10 == 0) ? 400.0 : 1.6;
        maskeval_u32vec s1 = {0}, o1 = {0}, s2 = {0}, o2 = {0};
        for (size_t j = 0; j < k; j++) {
            xy[2 * j] = coord(&seed, -spread * w * 0.5 - 3, spread * w + 3, style);
            xy[2 * j + 1] = coord(&seed, -spread * h * 0.5 - 3, spread * h + 3, style);
            if (j > 0 && rand_r(&seed) % 8 == 0) { /* repeated vertex */
                xy[2 * j] = xy[2 * j - 2];
                xy[2 * j + 1] = xy[2 * j - 1];
            }
        }
        ck_assert_int_eq(maskeval_poly_rasterize(&alloc, xy, k, h, w, &s1, &o1), MASKEVAL_OK);
        ck_assert_int_eq(maskeval_poly_rasterize_walk(&alloc, xy, k, h, w, &s2, &o2),
                         MASKEVAL_OK);
        ck_assert_uint_eq(o1.n, o2.n);
        ck_assert_int_eq(memcmp(o1.v, o2.v, o1.n * sizeof(uint32_t)), 0);
        maskeval_u32vec_free(&alloc, &s1);
        maskeval_u32vec_free(&alloc, &o1);
        maskeval_u32vec_free(&alloc, &s2);
        maskeval_u32vec_free(&alloc, &o2);
    }
}
END_TEST

START_TEST(test_limits)
{
    static const double far[] = {0, 0, 2e6, 0, 0, 5};
    static const double nan_xy[] = {0, 0, NAN, 0, 0, 5};
    static const double big[] = {-999999, -999999, 999999, 3, 5, 999999};
    maskeval_u32vec s = {0}, o = {0};
    ck_assert_int_eq(maskeval_poly_rasterize(&alloc, far, 3, 10, 10, &s, &o), MASKEVAL_ERR_LIMIT);
    ck_assert_int_eq(maskeval_poly_rasterize(&alloc, nan_xy, 3, 10, 10, &s, &o),
                     MASKEVAL_ERR_LIMIT);
    /* vertices a million pixels away rasterize quickly (no point walk) */
    ck_assert_int_eq(maskeval_poly_rasterize(&alloc, big, 3, 100, 100, &s, &o), MASKEVAL_OK);
    ck_assert_uint_eq(maskeval_rle_total(o.v, o.n), 10000);
    maskeval_u32vec_free(&alloc, &s);
    maskeval_u32vec_free(&alloc, &o);
}
END_TEST

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

START_TEST(test_pycocotools_vectors)
{
    char *text = read_all(MASKEVAL_TEST_DATA "/poly_vectors.json");
    cJSON *root = cJSON_Parse(text);
    const cJSON *polys = cJSON_GetObjectItem(root, "polygons"), *p;
    int count = 0;
    ck_assert_ptr_nonnull(polys);
    cJSON_ArrayForEach(p, polys)
    {
        uint32_t h = (uint32_t)cJSON_GetObjectItem(p, "h")->valuedouble;
        uint32_t w = (uint32_t)cJSON_GetObjectItem(p, "w")->valuedouble;
        const cJSON *xyj = cJSON_GetObjectItem(p, "xy"), *c;
        const char *want = cJSON_GetObjectItem(p, "counts")->valuestring;
        double xy[128];
        size_t n = 0, len;
        char got[4096];
        maskeval_u32vec s = {0}, o = {0};
        cJSON_ArrayForEach(c, xyj)
        {
            xy[n++] = c->valuedouble;
        }
        ck_assert_int_eq(maskeval_poly_rasterize(&alloc, xy, n / 2, h, w, &s, &o), MASKEVAL_OK);
        ck_assert_int_eq(maskeval_rle_to_string(o.v, o.n, got, sizeof(got), &len), MASKEVAL_OK);
        ck_assert_msg(strcmp(got, want) == 0, "polygon %d: got %s want %s", count, got, want);
        maskeval_u32vec_free(&alloc, &s);
        maskeval_u32vec_free(&alloc, &o);
        count++;
    }
    ck_assert_int_eq(count, 600);
    cJSON_Delete(root);
    free(text);
}
END_TEST

static Suite *poly_suite(void)
{
    Suite *s = suite_create("poly");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_squares);
    tcase_add_test(tc, test_fast_equals_walk);
    tcase_add_test(tc, test_limits);
    tcase_add_test(tc, test_pycocotools_vectors);
    suite_add_tcase(s, tc);
    return s;
}

MASKEVAL_TEST_MAIN(poly_suite)
