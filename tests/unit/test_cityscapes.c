/*
 * test_cityscapes.c - the Cityscapes instance module's small parts: Python
 * float() parsing, os.path.abspath, the label table, the thresholds, the
 * OpenBLAS dot order on short vectors, and the API's argument checks.
 */
#include <math.h>
#include <string.h>

#include "cityscapes/cs_instance.h"
#include "test_main.h"

static const maskeval_alloc alloc = {malloc, realloc, free};

static int pf(const char *s, double *v)
{
    return cs_py_float(s, strlen(s), v);
}

START_TEST(test_py_float)
{
    double v;
    /* accepted as Python's float() accepts them */
    ck_assert(pf("26", &v) && v == 26.0);
    ck_assert(pf("2.6e1", &v) && v == 26.0);
    ck_assert(pf("+0.25", &v) && v == 0.25);
    ck_assert(pf("0.2_5", &v) && v == 0.25);
    ck_assert(pf("1_000", &v) && v == 1000.0);
    ck_assert(pf(".5", &v) && v == 0.5);
    ck_assert(pf("5.", &v) && v == 5.0);
    ck_assert(pf("1E-1", &v) && v == 0.1);
    ck_assert(pf("0.9\n", &v) && v == 0.9);
    ck_assert(pf("\t26 ", &v) && v == 26.0);
    ck_assert(pf("-0.0", &v) && v == 0.0 && signbit(v));
    ck_assert(pf("inf", &v) && isinf(v) && v > 0);
    ck_assert(pf("-Infinity", &v) && isinf(v) && v < 0);
    ck_assert(pf("NaN", &v) && isnan(v));
    ck_assert(pf("1e999", &v) && isinf(v));
    ck_assert(pf("1e-999", &v) && v == 0.0);
    /* refused as Python refuses them (ValueError) */
    ck_assert(!pf("", &v));
    ck_assert(!pf(" ", &v));
    ck_assert(!pf("car", &v));
    ck_assert(!pf("0x1a", &v));
    ck_assert(!pf("1__0", &v));
    ck_assert(!pf("_1", &v));
    ck_assert(!pf("1_", &v));
    ck_assert(!pf("1_.5", &v));
    ck_assert(!pf("1e", &v));
    ck_assert(!pf(".", &v));
    ck_assert(!pf("nan(1)", &v));
    ck_assert(!pf("infinit", &v));
    ck_assert(!pf("1 2", &v));
    ck_assert(!pf("--1", &v));
}
END_TEST

static void abs_is(const char *in, const char *want)
{
    char *p = cs_abspath(&alloc, in);
    ck_assert_ptr_nonnull(p);
    ck_assert_str_eq(p, want);
    free(p);
}

START_TEST(test_abspath)
{
    abs_is("/a/b/../c", "/a/c");
    abs_is("/a/./b//c/", "/a/b/c");
    abs_is("/../..", "/");
    abs_is("/", "/");
    abs_is("/a/b/masks/../masks/x.png", "/a/b/masks/x.png");
}
END_TEST

START_TEST(test_labels_and_thresholds)
{
    static const long ids[8] = {24, 25, 26, 27, 28, 31, 32, 33};
    for (int c = 0; c < 8; c++) {
        ck_assert_int_eq(cs_class_of_label(ids[c]), c);
    }
    ck_assert_int_eq(cs_class_of_label(29), -1); /* caravan: has instances, ignoreInEval */
    ck_assert_int_eq(cs_class_of_label(-1), -1);
    ck_assert_str_eq(maskeval_csinst_class_name(2), "car");
    ck_assert_ptr_null(maskeval_csinst_class_name(8));
    ck_assert(maskeval_csinst_threshold(0) == 0.5);
    ck_assert(maskeval_csinst_threshold(2) == 0.6000000000000001);
    ck_assert(maskeval_csinst_threshold(9) == 0.9500000000000004);
    ck_assert(isnan(maskeval_csinst_threshold(10)));
}
END_TEST

START_TEST(test_ddot)
{
    /* below 16 elements OpenBLAS is the driver's tail loop alone: an fma
     * chain in the SkylakeX build, a multiply then an add in the Haswell one */
    double x[40], y[40], fused = 0.0, plain = 0.0;
    for (int i = 0; i < 40; i++) {
        x[i] = 1.0 / (i + 3);
        y[i] = ((i % 2) ? -1.0 : 1.0) * ((i % 7) + 1) * pow(10.0, (i % 5) - 2);
    }
    for (int i = 0; i < 15; i++) {
        volatile double p = y[i] * x[i];
        fused = fma(y[i], x[i], fused);
        plain += p;
    }
    ck_assert(fused != plain); /* else this vector tells the two apart by nothing */
    ck_assert(cs_openblas_ddot(MASKEVAL_DDOT_SKYLAKEX, 15, x, y) == fused);
    ck_assert(cs_openblas_ddot(MASKEVAL_DDOT_HASWELL, 15, x, y) == plain);
    ck_assert(cs_openblas_ddot(MASKEVAL_DDOT_SKYLAKEX, 0, x, y) == 0.0);
    ck_assert(cs_openblas_ddot(MASKEVAL_DDOT_HASWELL, 0, x, y) == 0.0);
    /* exact sums stay exact whatever the order */
    for (int i = 0; i < 40; i++) {
        x[i] = 0.5;
        y[i] = (double)i;
    }
    ck_assert(cs_openblas_ddot(MASKEVAL_DDOT_SKYLAKEX, 40, x, y) == 390.0);
    ck_assert(cs_openblas_ddot(MASKEVAL_DDOT_HASWELL, 40, x, y) == 390.0);
}
END_TEST

START_TEST(test_ddot_block_order)
{
    /* np.dot(x[:n], y[:n]) of these vectors on numpy 2.4.6's OpenBLAS,
     * Haswell core (AMD EPYC, AVX2): blocks, fold and tail in that kernel's
     * order (tests/cityscapes/run_parity.py checks whole APs against it) */
    static const struct {
        size_t n;
        double dot;
    } haswell[] = {{3, 0x1.1b4e81b4e81b6p-1},   {15, 0x1.5fd3ca561befcp+5},
                   {16, 0x1.5fd183cb4cdc6p+5},  {37, 0x1.5f1b8263df6bap+5},
                   {64, 0x1.4eae07fd0c110p+5},  {100, 0x1.1610b04b64135p+5},
                   {1000, 0x1.3174d415bf125p+5}};
    double x[1000], y[1000];
    int differ = 0;
    for (int i = 0; i < 1000; i++) {
        x[i] = 1.0 / (i + 3);
        y[i] = ((i % 2) ? -1.0 : 1.0) * ((i % 7) + 1) * pow(10.0, (i % 5) - 2);
    }
    for (size_t k = 0; k < sizeof(haswell) / sizeof(haswell[0]); k++) {
        const double h = cs_openblas_ddot(MASKEVAL_DDOT_HASWELL, haswell[k].n, x, y);
        ck_assert_msg(h == haswell[k].dot, "n=%zu: %a != %a", haswell[k].n, h, haswell[k].dot);
        differ += cs_openblas_ddot(MASKEVAL_DDOT_SKYLAKEX, haswell[k].n, x, y) != h;
    }
    ck_assert_int_eq(differ, 6); /* all but n=37 tell the two orders apart */
}
END_TEST

START_TEST(test_api_arguments)
{
    maskeval_options o;
    maskeval_ctx *ctx = NULL;
    maskeval_csinst *e = NULL;
    maskeval_csinst_params p;
    maskeval_csinst_result r;
    maskeval_options_init(&o);
    o.backend = MASKEVAL_BACKEND_CPU;
    ck_assert_int_eq(maskeval_ctx_create(&o, &ctx), MASKEVAL_OK);
    memset(&p, 0, sizeof(p));
    ck_assert_int_eq(maskeval_csinst_create(ctx, &p, &e), MASKEVAL_ERR_INVALID_ARG);
    maskeval_csinst_params_init(&p);
    p.ddot_kernel = 2;
    ck_assert_int_eq(maskeval_csinst_create(ctx, &p, &e), MASKEVAL_ERR_INVALID_ARG);
    ck_assert(e == NULL);
    maskeval_csinst_params_init(&p);
    ck_assert_int_eq(maskeval_csinst_create(ctx, &p, &e), MASKEVAL_OK);
    ck_assert_int_eq(maskeval_csinst_add(ctx, e, NULL, "x", "/"), MASKEVAL_ERR_INVALID_ARG);
    ck_assert_int_eq(maskeval_csinst_add(ctx, e, "/nonexistent_gt.png", "/nonexistent.txt", "/"),
                     MASKEVAL_ERR_IO);
    ck_assert_ptr_nonnull(strstr(maskeval_errmsg(ctx), "/nonexistent.txt: cannot open"));
    /* nothing added: every class NaN, averages NaN */
    ck_assert_int_eq(maskeval_csinst_evaluate(ctx, e, &r), MASKEVAL_OK);
    ck_assert(isnan(r.ap[0][0]) && isnan(r.all_ap) && isnan(r.all_ap50));
    ck_assert_uint_eq(r.images, 0);
    maskeval_csinst_destroy(e);
    maskeval_csinst_destroy(NULL);
    maskeval_ctx_destroy(ctx);
}
END_TEST

static Suite *cityscapes_suite(void)
{
    Suite *s = suite_create("cityscapes");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_py_float);
    tcase_add_test(tc, test_abspath);
    tcase_add_test(tc, test_labels_and_thresholds);
    tcase_add_test(tc, test_ddot);
    tcase_add_test(tc, test_ddot_block_order);
    tcase_add_test(tc, test_api_arguments);
    suite_add_tcase(s, tc);
    return s;
}

MASKEVAL_TEST_MAIN(cityscapes_suite)
