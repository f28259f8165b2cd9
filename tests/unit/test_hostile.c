/*
 * test_hostile.c - hostile sizes get a correct result or a clear error:
 * images beyond 2^31 pixels, counts beyond 32 bits, a million detections on
 * one image, nesting far deeper than any COCO file.
 */
#include <stdio.h>
#include <string.h>

#include "maskeval.h"
#include "test_main.h"

static maskeval_ctx *ctx_new(void)
{
    maskeval_ctx *ctx = NULL;
    maskeval_options o;
    maskeval_options_init(&o);
    o.backend = MASKEVAL_BACKEND_CPU;
    ck_assert_int_eq(maskeval_ctx_create(&o, &ctx), MASKEVAL_OK);
    return ctx;
}

START_TEST(test_image_beyond_2_31_pixels)
{
    /* 50000 x 50000 = 2.5e9 pixels: positions do not fit in int32. The ground
     * truth is a crowd strip over the last columns and a square polygon far
     * from the origin; the detection covers the square exactly. */
    const uint64_t h = 50000, w = 50000, npix = h * w;
    char gt[1024], dt[4096];
    size_t len, n = 0;
    maskeval_ctx *ctx = ctx_new();
    maskeval_gt *g = NULL;
    maskeval_dets *d = NULL;
    maskeval_coco_result *res = NULL;
    maskeval_coco_params p;
    double s[12];
    /* detection: rows 40000..40099 of columns 45000..45099 */
    /* build the detection RLE column by column */
    {
        uint32_t *c = malloc(sizeof(uint32_t) * 202);
        uint64_t pos = 0;
        n = 0;
        for (uint32_t col = 45000; col < 45100; col++) {
            uint64_t start = (uint64_t)col * h + 40000;
            c[n++] = (uint32_t)(start - pos);
            c[n++] = 100;
            pos = start + 100;
        }
        c[n++] = (uint32_t)(npix - pos);
        ck_assert_int_eq(maskeval_rle_to_string(c, n, NULL, 0, &len), MASKEVAL_ERR_BUFFER_TOO_SMALL);
        {
            char *buf = malloc(len + 1), *esc = malloc(2 * len + 1);
            size_t k = 0;
            ck_assert_int_eq(maskeval_rle_to_string(c, n, buf, len + 1, &len), MASKEVAL_OK);
            for (size_t j = 0; j < len; j++) { /* JSON-escape the backslashes */
                if (buf[j] == '\\') {
                    esc[k++] = '\\';
                }
                esc[k++] = buf[j];
            }
            esc[k] = '\0';
            snprintf(dt, sizeof(dt),
                     "[{\"image_id\":1,\"category_id\":1,\"score\":0.9,\"segmentation\":{\"size\":"
                     "[50000,50000],\"counts\":\"%s\"}}]",
                     esc);
            free(buf);
            free(esc);
        }
        free(c);
    }
    snprintf(gt, sizeof(gt),
             "{\"images\":[{\"id\":1,\"height\":50000,\"width\":50000}],\"categories\":[{\"id\":1}],"
             "\"annotations\":[{\"id\":1,\"image_id\":1,\"category_id\":1,\"iscrowd\":0,"
             "\"area\":10000,\"segmentation\":[[45000,40000,45100,40000,45100,40100,45000,40100]]},"
             "{\"id\":2,\"image_id\":1,\"category_id\":1,\"iscrowd\":1,\"area\":1,"
             "\"segmentation\":{\"size\":[50000,50000],\"counts\":[%llu,%llu]}}]}",
             (unsigned long long)(npix - 2 * h), (unsigned long long)(2 * h));
    ck_assert_msg(maskeval_gt_load_buffer(ctx, "gt", gt, strlen(gt), MASKEVAL_LOAD_SEGM, &g) ==
                      MASKEVAL_OK,
                  "%s", maskeval_errmsg(ctx));
    ck_assert_msg(maskeval_dets_load_buffer(ctx, g, "dt", dt, strlen(dt), &d) == MASKEVAL_OK, "%s",
                  maskeval_errmsg(ctx));
    maskeval_coco_params_init(&p);
    ck_assert_int_eq(maskeval_coco_evaluate(ctx, g, d, &p, &res), MASKEVAL_OK);
    maskeval_coco_result_stats(res, s);
    ck_assert_msg(s[0] == 0.9999999999999998, "AP %.17g: the square must match exactly", s[0]);
    maskeval_coco_result_destroy(res);
    maskeval_dets_destroy(d);
    maskeval_gt_destroy(g);
    maskeval_ctx_destroy(ctx);
}
END_TEST

START_TEST(test_counts_beyond_32_bits)
{
    const char *gt = "{\"images\":[{\"id\":1,\"height\":65536,\"width\":65536}],\"categories\":[]}";
    const char *gt2 = "{\"images\":[{\"id\":1,\"height\":2,\"width\":2}],\"categories\":[{\"id\":1}],"
                      "\"annotations\":[{\"id\":1,\"image_id\":1,\"category_id\":1,\"iscrowd\":1,"
                      "\"area\":1,\"segmentation\":{\"size\":[2,2],\"counts\":[4294967296,0]}}]}";
    maskeval_ctx *ctx = ctx_new();
    maskeval_gt *g = NULL;
    /* 2^32 pixels cannot be addressed by uint32 RLE counts */
    ck_assert_int_eq(maskeval_gt_load_buffer(ctx, "gt", gt, strlen(gt), MASKEVAL_LOAD_SEGM, &g),
                     MASKEVAL_ERR_LIMIT);
    ck_assert_ptr_nonnull(strstr(maskeval_errmsg(ctx), "2^32-1"));
    ck_assert_int_eq(maskeval_gt_load_buffer(ctx, "gt", gt2, strlen(gt2), MASKEVAL_LOAD_SEGM, &g),
                     MASKEVAL_ERR_PARSE);
    ck_assert_ptr_nonnull(strstr(maskeval_errmsg(ctx), "counts[0]"));
    maskeval_ctx_destroy(ctx);
}
END_TEST

START_TEST(test_million_detections_one_image)
{
    /* 1e6 one-pixel boxes on one image, one of them perfect and the best
     * scored: evaluation keeps the top 100 and gets the exact answer. */
    const size_t n = 1000000;
    const char *gt = "{\"images\":[{\"id\":1,\"height\":1000,\"width\":1000}],\"categories\":[{"
                     "\"id\":1}],\"annotations\":[{\"id\":1,\"image_id\":1,\"category_id\":1,"
                     "\"iscrowd\":0,\"area\":100,\"bbox\":[10,10,10,10]}]}";
    size_t cap = n * 80 + 64, len = 0;
    char *dt = malloc(cap);
    maskeval_ctx *ctx = ctx_new();
    maskeval_gt *g = NULL;
    maskeval_dets *d = NULL;
    maskeval_coco_result *res = NULL;
    maskeval_coco_params p;
    size_t ni, ng, nd;
    double s[12];
    dt[len++] = '[';
    for (size_t i = 0; i < n; i++) {
        len += (size_t)snprintf(dt + len, cap - len,
                                "%s{\"image_id\":1,\"category_id\":1,\"bbox\":[%zu,%zu,1,1],"
                                "\"score\":%.6f}",
                                i ? "," : "", 500 + i % 400, 500 + i / 400 % 400,
                                0.5 * (double)(i % 1000) / 1000);
    }
    len += (size_t)snprintf(dt + len, cap - len,
                            ",{\"image_id\":1,\"category_id\":1,\"bbox\":[10,10,10,10],\"score\":1}]");
    ck_assert_int_eq(maskeval_gt_load_buffer(ctx, "gt", gt, strlen(gt), MASKEVAL_LOAD_BBOX, &g),
                     MASKEVAL_OK);
    ck_assert_msg(maskeval_dets_load_buffer(ctx, g, "dt", dt, len, &d) == MASKEVAL_OK, "%s",
                  maskeval_errmsg(ctx));
    ck_assert_uint_eq(maskeval_dets_count(d), n + 1);
    maskeval_coco_params_init(&p);
    p.iou_type = MASKEVAL_IOU_BBOX;
    ck_assert_int_eq(maskeval_coco_evaluate(ctx, g, d, &p, &res), MASKEVAL_OK);
    maskeval_coco_result_stats(res, s);
    maskeval_coco_result_counts(res, &ni, &ng, &nd);
    ck_assert_uint_eq(nd, n + 1);
    ck_assert(s[0] == 0.9999999999999998);
    ck_assert(s[6] == 1.0);
    maskeval_coco_result_destroy(res);
    maskeval_dets_destroy(d);
    maskeval_gt_destroy(g);
    maskeval_ctx_destroy(ctx);
    free(dt);
}
END_TEST

START_TEST(test_deep_nesting)
{
    const size_t depth = 100000;
    char *deep = malloc(2 * depth + 64);
    maskeval_ctx *ctx = ctx_new();
    maskeval_gt *g = NULL;
    maskeval_dets *d = NULL;
    const char *gt = "{\"images\":[],\"categories\":[]}";
    size_t k = 0;
    /* results: [[[[...]]]] */
    for (size_t i = 0; i < depth; i++) {
        deep[k++] = '[';
    }
    for (size_t i = 0; i < depth; i++) {
        deep[k++] = ']';
    }
    ck_assert_int_eq(maskeval_gt_load_buffer(ctx, "gt", gt, strlen(gt), MASKEVAL_LOAD_SEGM, &g),
                     MASKEVAL_OK);
    ck_assert_int_eq(maskeval_dets_load_buffer(ctx, g, "dt.json", deep, k, &d), MASKEVAL_ERR_PARSE);
    ck_assert_ptr_nonnull(strstr(maskeval_errmsg(ctx), "nesting deeper than 1000"));
    maskeval_gt_destroy(g);
    /* ground truth: {"images": {{{... */
    k = (size_t)sprintf(deep, "{\"images\":");
    for (size_t i = 0; i < depth; i++) {
        deep[k++] = '[';
    }
    ck_assert_int_eq(maskeval_gt_load_buffer(ctx, "gt.json", deep, k, MASKEVAL_LOAD_SEGM, &g),
                     MASKEVAL_ERR_PARSE);
    ck_assert_ptr_nonnull(strstr(maskeval_errmsg(ctx), "gt.json: invalid JSON"));
    maskeval_ctx_destroy(ctx);
    free(deep);
}
END_TEST

static Suite *hostile_suite(void)
{
    Suite *s = suite_create("hostile");
    TCase *tc = tcase_create("limits");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_image_beyond_2_31_pixels);
    tcase_add_test(tc, test_counts_beyond_32_bits);
    tcase_add_test(tc, test_million_detections_one_image);
    tcase_add_test(tc, test_deep_nesting);
    suite_add_tcase(s, tc);
    return s;
}

MASKEVAL_TEST_MAIN(hostile_suite)
