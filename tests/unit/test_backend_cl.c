/*
 * test_backend_cl.c - the OpenCL backend against the CPU path: confusion
 * counts for K = 2, 19, 150, 300, 5000 and 65535 (local, global and hash
 * kernels), random and piecewise-constant maps with ignore pixels, in one
 * batch and in many small ones; device selection and build errors.
 * Exits 77 (ctest SKIP) when the machine has no OpenCL platform at all.
 */
#include <stdio.h>
#include <string.h>

#include "backend/backend.h"
#include "labelgen.h"
#include "maskeval.h"
#include "semantic/confusion.h"
#include "test_main.h"

static const maskeval_alloc alloc = {malloc, realloc, free};

static maskeval_ctx *open_ctx(uint64_t max_mem)
{
    maskeval_options o;
    maskeval_ctx *ctx = NULL;
    maskeval_options_init(&o);
    o.backend = MASKEVAL_BACKEND_OPENCL;
    o.max_device_mem = max_mem;
    ck_assert_int_eq(maskeval_ctx_create(&o, &ctx), MASKEVAL_OK);
    return ctx;
}

static const struct {
    uint32_t k;
    int bytes;
} configs[] = {{2, 1}, {19, 1}, {150, 1}, {300, 2}, {5000, 2}, {65535, 2}, {19, 2}};
#define N_CONFIGS (int)(sizeof(configs) / sizeof(configs[0]))

START_TEST(test_confusion_matches_cpu)
{
    const int cfg = _i % N_CONFIGS, piecewise = (_i / N_CONFIGS) % 2, small = _i / (2 * N_CONFIGS);
    const uint32_t k = configs[cfg].k;
    const int bytes = configs[cfg].bytes;
    const uint32_t w = 311, h = 173, vmax = bytes == 1 ? 255 : 65535;
    const uint32_t top = k + 3 < vmax ? k + 3 : vmax, ignore = bytes == 1 ? 255 : 65535;
    enum { N_IMG = 5 };
    uint8_t *gt[N_IMG], *pred[N_IMG];
    uint32_t *lut = malloc(65536 * sizeof(uint32_t));
    maskeval_labels items[N_IMG];
    maskeval_cm cpu, dev;
    maskeval_ctx *ctx;
    uint64_t cap = 0;
    maskeval_status st;

    for (uint32_t i = 0; i < 65536; i++) {
        lut[i] = i;
    }
    lut[ignore] = MASKEVAL_LABEL_SKIP;
    if (small) {
        /* room for about 4000 pixels per batch: many batches, split images */
        uint64_t hist = (uint64_t)(k + 1) * (k + 1) * 4;
        cap = k > MASKEVAL_CM_DENSE_MAX_K ? 2 * 4000 * (2 * (uint64_t)bytes + 16)
                                          : 2 * (hist + 4000 * 2 * (uint64_t)bytes);
    }
    ck_assert_int_eq(maskeval_cm_init(&alloc, &cpu, k), MASKEVAL_OK);
    ck_assert_int_eq(maskeval_cm_init(&alloc, &dev, k), MASKEVAL_OK);
    for (int m = 0; m < N_IMG; m++) {
        gt[m] = malloc((size_t)w * h * bytes);
        pred[m] = malloc((size_t)w * h * bytes);
        lg_scene(gt[m], bytes, w, h, top, piecewise, 1000 * (uint64_t)_i + m);
        lg_perturb(gt[m], pred[m], bytes, w, h, top, 77 + m);
        for (size_t p = (size_t)m; p < (size_t)w * h; p += 61) {
            if (bytes == 1) {
                gt[m][p] = (uint8_t)ignore;
            } else {
                ((uint16_t *)gt[m])[p] = (uint16_t)ignore;
            }
        }
        items[m].gt = gt[m];
        items[m].pred = pred[m];
        items[m].n = (size_t)w * h;
        items[m].bytes = bytes;
        items[m].lut_g = lut;
        items[m].lut_p = lut;
        ck_assert_int_eq(maskeval_cm_count_naive(&alloc, &cpu, &items[m]), MASKEVAL_OK);
    }
    ctx = open_ctx(cap);
    st = maskeval_backend_confusion(ctx, &dev, items, N_IMG);
    ck_assert_msg(st == MASKEVAL_OK, "K=%u: %s", k, maskeval_errmsg(ctx));
    if (!cpu.sparse) {
        ck_assert_int_eq(memcmp(cpu.dense, dev.dense, (size_t)(k + 1) * (k + 1) * 8), 0);
    } else {
        const uint32_t k1 = k + 1;
        size_t nz = 0;
        for (size_t i = 0; i < cpu.cap; i++) {
            if (cpu.keys[i] != MASKEVAL_LABEL_SKIP) {
                ck_assert_uint_eq(cpu.vals[i],
                                  maskeval_cm_get(&dev, cpu.keys[i] / k1, cpu.keys[i] % k1));
                nz++;
            }
        }
        ck_assert_uint_eq(nz, dev.used);
        ck_assert_uint_eq(cpu.last_cell, dev.last_cell);
    }
    maskeval_ctx_destroy(ctx);
    maskeval_cm_free(&alloc, &cpu);
    maskeval_cm_free(&alloc, &dev);
    for (int m = 0; m < N_IMG; m++) {
        free(gt[m]);
        free(pred[m]);
    }
    free(lut);
}
END_TEST

START_TEST(test_device_errors)
{
    maskeval_options o;
    maskeval_ctx *ctx = NULL;
    char desc[640];
    maskeval_options_init(&o);
    o.backend = MASKEVAL_BACKEND_OPENCL;
    o.device_index = 999;
    ck_assert_int_eq(maskeval_ctx_create(&o, &ctx), MASKEVAL_OK);
    ck_assert_int_eq(maskeval_backend_describe(ctx, desc, sizeof(desc)), MASKEVAL_ERR_NO_DEVICE);
    ck_assert_ptr_nonnull(strstr(maskeval_errmsg(ctx), "device 999 does not exist"));
    maskeval_ctx_destroy(ctx);

    /* a build failure is reported with the device, the file and the log */
    setenv("MASKEVAL_CL_BUILD_OPTIONS", "-Dinline=)", 1);
    ctx = open_ctx(0);
    ck_assert_int_eq(maskeval_backend_describe(ctx, desc, sizeof(desc)), MASKEVAL_ERR_CL_BUILD);
    ck_assert_ptr_nonnull(strstr(maskeval_errmsg(ctx), "building pair_intersect.cl failed"));
    ck_assert_uint_gt(strlen(maskeval_cl_build_log(ctx)), 0);
    maskeval_ctx_destroy(ctx);
    unsetenv("MASKEVAL_CL_BUILD_OPTIONS");

    ctx = open_ctx(0);
    ck_assert_int_eq(maskeval_backend_describe(ctx, desc, sizeof(desc)), MASKEVAL_OK);
    ck_assert_ptr_nonnull(strstr(desc, "opencl: "));
    maskeval_ctx_destroy(ctx);
}
END_TEST

START_TEST(test_warm_up)
{
    maskeval_options o;
    maskeval_ctx *ctx = NULL;
    char desc[640];

    /* warmed up, then used: same device, warm-up twice is harmless */
    ctx = open_ctx(0);
    ck_assert_int_eq(maskeval_backend_warm_up(ctx), MASKEVAL_OK);
    ck_assert_int_eq(maskeval_backend_warm_up(ctx), MASKEVAL_OK);
    ck_assert_int_eq(maskeval_backend_describe(ctx, desc, sizeof(desc)), MASKEVAL_OK);
    ck_assert_ptr_nonnull(strstr(desc, "opencl: "));
    ck_assert_int_eq(maskeval_backend_warm_up(ctx), MASKEVAL_OK);
    maskeval_ctx_destroy(ctx);

    /* warmed up and never used: destroy waits for the thread */
    ctx = open_ctx(0);
    ck_assert_int_eq(maskeval_backend_warm_up(ctx), MASKEVAL_OK);
    maskeval_ctx_destroy(ctx);

    /* a failure in the background is reported by the call that needs the
     * backend, with its message and build log */
    maskeval_options_init(&o);
    o.backend = MASKEVAL_BACKEND_OPENCL;
    o.device_index = 999;
    ck_assert_int_eq(maskeval_ctx_create(&o, &ctx), MASKEVAL_OK);
    ck_assert_int_eq(maskeval_backend_warm_up(ctx), MASKEVAL_OK);
    ck_assert_int_eq(maskeval_backend_describe(ctx, desc, sizeof(desc)), MASKEVAL_ERR_NO_DEVICE);
    ck_assert_ptr_nonnull(strstr(maskeval_errmsg(ctx), "device 999 does not exist"));
    maskeval_ctx_destroy(ctx);

    setenv("MASKEVAL_CL_BUILD_OPTIONS", "-Dinline=)", 1);
    ctx = open_ctx(0);
    ck_assert_int_eq(maskeval_backend_warm_up(ctx), MASKEVAL_OK);
    ck_assert_int_eq(maskeval_backend_describe(ctx, desc, sizeof(desc)), MASKEVAL_ERR_CL_BUILD);
    ck_assert_ptr_nonnull(strstr(maskeval_errmsg(ctx), "building pair_intersect.cl failed"));
    ck_assert_uint_gt(strlen(maskeval_cl_build_log(ctx)), 0);
    maskeval_ctx_destroy(ctx);
    unsetenv("MASKEVAL_CL_BUILD_OPTIONS");
}
END_TEST

static Suite *backend_cl_suite(void)
{
    Suite *s = suite_create("backend_cl");
    TCase *tc = tcase_create("confusion");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_confusion_matches_cpu, 0, 4 * N_CONFIGS);
    suite_add_tcase(s, tc);
    tc = tcase_create("errors");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_device_errors);
    tcase_add_test(tc, test_warm_up);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    maskeval_ctx *ctx = NULL;
    size_t n = 0;
    SRunner *sr;
    int failed;
    if (maskeval_ctx_create(NULL, &ctx) != MASKEVAL_OK ||
        maskeval_device_list(ctx, NULL, 0, &n) != MASKEVAL_OK || n == 0) {
        printf("no OpenCL platform or device: skipping\n");
        maskeval_ctx_destroy(ctx);
        return 77;
    }
    maskeval_ctx_destroy(ctx);
    sr = srunner_create(backend_cl_suite());
    /* OpenCL runtimes start threads; a fork() after that can deadlock the
     * child, so these tests run in-process. */
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
