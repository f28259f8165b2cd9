/*
 * test_confusion.c - confusion counting on the CPU path: run-length counting
 * equals one-pixel-at-a-time counting, dense and sparse accumulators, merges,
 * ignore and out-of-range labels.
 */
#include <string.h>

#include "labelgen.h"
#include "semantic/confusion.h"
#include "test_main.h"

static const maskeval_alloc alloc = {malloc, realloc, free};

static void identity_lut(uint32_t *lut, size_t n, uint32_t ignore)
{
    for (size_t i = 0; i < n; i++) {
        lut[i] = (uint32_t)i;
    }
    if (ignore < n) {
        lut[ignore] = MASKEVAL_LABEL_SKIP;
    }
}

static void assert_equal(const maskeval_cm *a, const maskeval_cm *b)
{
    const uint32_t k1 = a->k + 1;
    if (!a->sparse) {
        ck_assert_int_eq(memcmp(a->dense, b->dense, (size_t)k1 * k1 * sizeof(uint64_t)), 0);
        return;
    }
    /* compare both ways through foreach */
    for (size_t i = 0; i < a->cap; i++) {
        if (a->keys[i] != MASKEVAL_LABEL_SKIP) {
            ck_assert_uint_eq(a->vals[i], maskeval_cm_get(b, a->keys[i] / k1, a->keys[i] % k1));
        }
    }
    for (size_t i = 0; i < b->cap; i++) {
        if (b->keys[i] != MASKEVAL_LABEL_SKIP) {
            ck_assert_uint_eq(b->vals[i], maskeval_cm_get(a, b->keys[i] / k1, b->keys[i] % k1));
        }
    }
    ck_assert_uint_eq(a->last_cell, b->last_cell);
}

static const uint32_t ks[] = {2, 19, 150, 300, 5000, 65535};

START_TEST(test_runlength_equals_naive)
{
    const uint32_t k = ks[_i % 6];
    const int piecewise = _i / 6;
    const int bytes = k <= 250 ? 1 : 2;
    const uint32_t w = 257, h = 131, vmax = bytes == 1 ? 255 : 65535;
    const uint32_t ignore = bytes == 1 ? 255 : 65000;
    uint32_t *lut = malloc(65536 * sizeof(uint32_t));
    uint8_t *gt = malloc((size_t)w * h * 2), *pred = malloc((size_t)w * h * 2);
    maskeval_cm a, b;
    maskeval_labels l;
    identity_lut(lut, bytes == 1 ? 256 : 65536, ignore);
    ck_assert_int_eq(maskeval_cm_init(&alloc, &a, k), MASKEVAL_OK);
    ck_assert_int_eq(maskeval_cm_init(&alloc, &b, k), MASKEVAL_OK);
    for (int img = 0; img < 3; img++) {
        /* labels up to a bit beyond K, plus the ignore value */
        uint32_t top = k + 3 < vmax ? k + 3 : vmax;
        lg_scene(gt, bytes, w, h, top, piecewise, 100 + img);
        lg_perturb(gt, pred, bytes, w, h, top, 200 + img);
        for (size_t i = 0; i < (size_t)w * h; i += 97) { /* sprinkle ignore pixels */
            if (bytes == 1) {
                gt[i] = (uint8_t)ignore;
            } else {
                ((uint16_t *)gt)[i] = (uint16_t)ignore;
            }
        }
        l.gt = gt;
        l.pred = pred;
        l.n = (size_t)w * h;
        l.bytes = bytes;
        l.lut_g = lut;
        l.lut_p = lut;
        ck_assert_int_eq(maskeval_cm_count_cpu(&alloc, &a, &l), MASKEVAL_OK);
        ck_assert_int_eq(maskeval_cm_count_naive(&alloc, &b, &l), MASKEVAL_OK);
    }
    assert_equal(&a, &b);
    ck_assert_int_eq(a.sparse, k > MASKEVAL_CM_DENSE_MAX_K);
    maskeval_cm_free(&alloc, &a);
    maskeval_cm_free(&alloc, &b);
    free(lut);
    free(gt);
    free(pred);
}
END_TEST

START_TEST(test_cells_and_merge)
{
    /* K = 3: gt 0 1 2 5(out) 9(ignore), pred 0 0 7(out) 1 1 */
    static const uint8_t gt[5] = {0, 1, 2, 5, 9};
    static const uint8_t pred[5] = {0, 0, 7, 1, 1};
    uint32_t lut[256];
    maskeval_cm a, b;
    maskeval_labels l = {gt, pred, 5, 1, lut, lut};
    identity_lut(lut, 256, 9);
    ck_assert_int_eq(maskeval_cm_init(&alloc, &a, 3), MASKEVAL_OK);
    ck_assert_int_eq(maskeval_cm_init(&alloc, &b, 3), MASKEVAL_OK);
    ck_assert_int_eq(maskeval_cm_count_cpu(&alloc, &a, &l), MASKEVAL_OK);
    ck_assert_uint_eq(maskeval_cm_get(&a, 0, 0), 1);
    ck_assert_uint_eq(maskeval_cm_get(&a, 1, 0), 1);
    ck_assert_uint_eq(maskeval_cm_get(&a, 2, 3), 1); /* prediction out of range */
    ck_assert_uint_eq(maskeval_cm_get(&a, 3, 1), 1); /* ground truth out of range */
    ck_assert_int_eq(maskeval_cm_merge(&alloc, &b, &a), MASKEVAL_OK);
    ck_assert_int_eq(maskeval_cm_merge(&alloc, &b, &a), MASKEVAL_OK);
    ck_assert_uint_eq(maskeval_cm_get(&b, 3, 1), 2);
    maskeval_cm_free(&alloc, &a);
    maskeval_cm_free(&alloc, &b);
}
END_TEST

START_TEST(test_sparse_last_cell)
{
    /* K = 65535: the cell (K, K) has key 0xffffffff and is kept apart */
    static const uint16_t gt[3] = {65535, 65535, 3};
    static const uint16_t pred[3] = {65535, 2, 3};
    uint32_t *lut = malloc(65536 * sizeof(uint32_t));
    maskeval_cm a;
    maskeval_labels l = {gt, pred, 3, 2, lut, lut};
    identity_lut(lut, 65536, 70000);
    ck_assert_int_eq(maskeval_cm_init(&alloc, &a, 65535), MASKEVAL_OK);
    ck_assert_int_eq(maskeval_cm_count_cpu(&alloc, &a, &l), MASKEVAL_OK);
    ck_assert_uint_eq(maskeval_cm_get(&a, 65535, 65535), 1);
    ck_assert_uint_eq(maskeval_cm_get(&a, 65535, 2), 1);
    ck_assert_uint_eq(maskeval_cm_get(&a, 3, 3), 1);
    maskeval_cm_free(&alloc, &a);
    free(lut);
}
END_TEST

static Suite *confusion_suite(void)
{
    Suite *s = suite_create("confusion");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_runlength_equals_naive, 0, 12);
    tcase_add_test(tc, test_cells_and_merge);
    tcase_add_test(tc, test_sparse_last_cell);
    suite_add_tcase(s, tc);
    return s;
}

MASKEVAL_TEST_MAIN(confusion_suite)
