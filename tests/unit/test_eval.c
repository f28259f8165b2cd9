/*
 * test_eval.c - the numeric building blocks of evaluation: numpy's linspace
 * and mean, box IoU, and the spec's micro vectors end to end through the
 * public API (no Python involved).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "instance/instance.h"
#include "maskeval.h"
#include "test_main.h"

START_TEST(test_linspace)
{
    static const double want_iou[10] = {0x1p-1,
                                        0x1.199999999999ap-1,
                                        0x1.3333333333333p-1,
                                        0x1.4cccccccccccdp-1,
                                        0x1.6666666666666p-1,
                                        0x1.8p-1,
                                        0x1.999999999999ap-1,
                                        0x1.b333333333333p-1,
                                        0x1.cccccccccccccp-1,
                                        0x1.e666666666666p-1};
    static const int plus_ulp[] = {35, 41, 47, 57, 69, 70, 82, 83, 94, 95};
    double t[10], r[101];
    maskeval_linspace(.5, .95, 10, t);
    for (int i = 0; i < 10; i++) {
        ck_assert_msg(t[i] == want_iou[i], "iouThrs[%d] = %a", i, t[i]);
    }
    ck_assert(t[8] == 0.8999999999999999);
    maskeval_linspace(0, 1, 101, r);
    ck_assert(r[35] == 0x1.6666666666667p-2);
    ck_assert(r[100] == 1.0);
    for (int i = 0, j = 0; i <= 100; i++) {
        double plain = i / 100.0;
        if (j < 10 && plus_ulp[j] == i) {
            ck_assert_msg(r[i] == nextafter(plain, 2.0), "recThrs[%d]", i);
            j++;
        } else {
            ck_assert_msg(r[i] == plain, "recThrs[%d] = %a", i, r[i]);
        }
    }
}
END_TEST

START_TEST(test_np_mean)
{
    /* np.mean of 1/(i+1), numpy 2.4.6 */
    static const struct {
        size_t n;
        double mean;
    } want[] = {{5, 0x1.d3a06d3a06d3ap-2},
                {100, 0x1.a8f330fce2bdbp-5},
                {1000, 0x1.ea915c8a8db3dp-8},
                {20000, 0x1.12bef9f8f622dp-11}};
    static double a[20000];
    for (size_t i = 0; i < 20000; i++) {
        a[i] = 1.0 / (double)(i + 1);
    }
    for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
        double m = maskeval_np_sum(a, want[k].n, 0) / (double)want[k].n;
        ck_assert_msg(m == want[k].mean, "n=%zu: %a", want[k].n, m);
    }
    /* chunking changes nothing below one chunk */
    ck_assert(maskeval_np_sum(a, 8192, 8192) == maskeval_np_sum(a, 8192, 0));
}
END_TEST

START_TEST(test_box_iou)
{
    static const double g[4] = {0, 0, 10, 10};
    static const double half[4] = {0, 0, 10, 5};
    static const double touch[4] = {10, 0, 5, 5};
    static const double inside[4] = {2, 2, 2, 2};
    ck_assert(maskeval_box_iou(half, g, 0) == 0.5);
    ck_assert(maskeval_box_iou(touch, g, 0) == 0.0);
    ck_assert(maskeval_box_iou(inside, g, 1) == 1.0); /* crowd: over the detection's area */
    ck_assert(maskeval_box_iou(inside, g, 0) == 4.0 / 100.0);
}
END_TEST

/* Evaluates bbox results on one 100x100 image, category 1. */
static void eval_boxes(const char *gt_anns, const char *dets, const int64_t *max_dets,
                       double stats[12])
{
    char gt[4096];
    maskeval_ctx *ctx = NULL;
    maskeval_gt *g = NULL;
    maskeval_dets *d = NULL;
    maskeval_coco_result *res = NULL;
    maskeval_coco_params p;
    snprintf(gt, sizeof(gt),
             "{\"images\":[{\"id\":1,\"height\":100,\"width\":100},{\"id\":2,\"height\":100,"
             "\"width\":100}],\"categories\":[{\"id\":1,\"name\":\"a\"},{\"id\":2,\"name\":\"b\"}],"
             "\"annotations\":[%s]}",
             gt_anns);
    ck_assert_int_eq(maskeval_ctx_create(NULL, &ctx), MASKEVAL_OK);
    ck_assert_msg(maskeval_gt_load_buffer(ctx, "gt", gt, strlen(gt), MASKEVAL_LOAD_BBOX, &g) ==
                      MASKEVAL_OK,
                  "%s", maskeval_errmsg(ctx));
    ck_assert_msg(maskeval_dets_load_buffer(ctx, g, "dt", dets, strlen(dets), &d) == MASKEVAL_OK,
                  "%s", maskeval_errmsg(ctx));
    maskeval_coco_params_init(&p);
    p.iou_type = MASKEVAL_IOU_BBOX;
    if (max_dets != NULL) {
        p.max_dets = max_dets;
        p.n_max_dets = 3;
    }
    ck_assert_msg(maskeval_coco_evaluate(ctx, g, d, &p, &res) == MASKEVAL_OK, "%s",
                  maskeval_errmsg(ctx));
    maskeval_coco_result_stats(res, stats);
    maskeval_coco_result_destroy(res);
    maskeval_dets_destroy(d);
    maskeval_gt_destroy(g);
    maskeval_ctx_destroy(ctx);
}

START_TEST(test_micro_vectors)
{
    double s[12];
    /* V0: one GT, one perfect detection: the 2^-52 term shows */
    eval_boxes("{\"id\":1,\"image_id\":1,\"category_id\":1,\"iscrowd\":0,\"area\":100,"
               "\"bbox\":[0,0,10,10]}",
               "[{\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,10,10],\"score\":0.9}]", NULL, s);
    ck_assert(s[0] == 0.9999999999999998);
    ck_assert(s[1] == 0.9999999999999999);
    ck_assert(s[4] == -1 && s[5] == -1 && s[6] == 1.0);
    /* V2: IoU exactly 0.5 matches at 0.5 only */
    eval_boxes("{\"id\":1,\"image_id\":1,\"category_id\":1,\"iscrowd\":0,\"area\":100,"
               "\"bbox\":[0,0,10,10]}",
               "[{\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,10,5],\"score\":0.9}]", NULL, s);
    ck_assert(s[0] == 0.09999999999999999);
    ck_assert(s[1] == 0.9999999999999999);
    ck_assert(s[2] == 0.0);
    /* V3: tie order decides AP */
    eval_boxes("{\"id\":1,\"image_id\":1,\"category_id\":1,\"iscrowd\":0,\"area\":100,"
               "\"bbox\":[0,0,10,10]},{\"id\":2,\"image_id\":1,\"category_id\":1,\"iscrowd\":0,"
               "\"area\":100,\"bbox\":[50,50,10,10]}",
               "[{\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,10,10],\"score\":0.5},"
               "{\"image_id\":1,\"category_id\":1,\"bbox\":[20,20,10,10],\"score\":0.5}]",
               NULL, s);
    ck_assert(s[0] == 0.5049504950495048);
    ck_assert(s[6] == 0.5);
    eval_boxes("{\"id\":1,\"image_id\":1,\"category_id\":1,\"iscrowd\":0,\"area\":100,"
               "\"bbox\":[0,0,10,10]},{\"id\":2,\"image_id\":1,\"category_id\":1,\"iscrowd\":0,"
               "\"area\":100,\"bbox\":[50,50,10,10]}",
               "[{\"image_id\":1,\"category_id\":1,\"bbox\":[20,20,10,10],\"score\":0.5},"
               "{\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,10,10],\"score\":0.5}]",
               NULL, s);
    ck_assert(s[0] == 0.2524752475247525);
    ck_assert(s[6] == 0.0);
    /* V4: a crowd absorbs the top detection */
    eval_boxes("{\"id\":1,\"image_id\":1,\"category_id\":1,\"iscrowd\":0,\"area\":100,"
               "\"bbox\":[0,0,10,10]},{\"id\":2,\"image_id\":1,\"category_id\":1,\"iscrowd\":1,"
               "\"area\":2500,\"bbox\":[40,40,50,50]}",
               "[{\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,10,10],\"score\":0.9},"
               "{\"image_id\":1,\"category_id\":1,\"bbox\":[45,45,10,10],\"score\":0.95},"
               "{\"image_id\":1,\"category_id\":1,\"bbox\":[60,60,10,10],\"score\":0.8}]",
               NULL, s);
    ck_assert(s[0] == 0.9999999999999998);
    ck_assert(s[6] == 0.0 && s[7] == 1.0 && s[8] == 1.0);
    /* V5: area exactly 1024 is small and medium */
    eval_boxes("{\"id\":1,\"image_id\":1,\"category_id\":1,\"iscrowd\":0,\"area\":1024,"
               "\"bbox\":[0,0,32,32]}",
               "[{\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,32,32],\"score\":0.9}]", NULL, s);
    ck_assert(s[3] == 0.9999999999999998 && s[4] == 0.9999999999999998);
    ck_assert(s[9] == 1.0 && s[10] == 1.0);
    /* V6: a higher-scored detection on an image without GT is an FP */
    eval_boxes("{\"id\":1,\"image_id\":1,\"category_id\":1,\"iscrowd\":0,\"area\":100,"
               "\"bbox\":[0,0,10,10]}",
               "[{\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,10,10],\"score\":0.5},"
               "{\"image_id\":2,\"category_id\":1,\"bbox\":[0,0,10,10],\"score\":0.9}]",
               NULL, s);
    ck_assert(s[0] == 0.5 && s[8] == 1.0);
    /* V7: a higher-scored detection in a category without GT costs nothing */
    eval_boxes("{\"id\":1,\"image_id\":1,\"category_id\":1,\"iscrowd\":0,\"area\":100,"
               "\"bbox\":[0,0,10,10]}",
               "[{\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,10,10],\"score\":0.5},"
               "{\"image_id\":1,\"category_id\":2,\"bbox\":[0,0,10,10],\"score\":0.9}]",
               NULL, s);
    ck_assert(s[0] == 0.9999999999999998);
    /* V8: maxDets [1,10,300]: stats[0] asks for 100 and gets -1 */
    {
        static const int64_t md[3] = {1, 10, 300};
        eval_boxes("{\"id\":1,\"image_id\":1,\"category_id\":1,\"iscrowd\":0,\"area\":100,"
                   "\"bbox\":[0,0,10,10]}",
                   "[{\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,10,10],\"score\":0.9}]", md,
                   s);
        ck_assert(s[0] == -1);
        ck_assert(s[1] == 0.9999999999999999);
    }
}
END_TEST

START_TEST(test_summary_text)
{
    maskeval_ctx *ctx = NULL;
    maskeval_gt *g = NULL;
    maskeval_dets *d = NULL;
    maskeval_coco_result *res = NULL;
    maskeval_coco_params p;
    char buf[2048];
    size_t len;
    const char *gt = "{\"images\":[{\"id\":1,\"height\":9,\"width\":9}],\"categories\":[{\"id\":1}],"
                     "\"annotations\":[]}";
    const char *dt = "[]";
    ck_assert_int_eq(maskeval_ctx_create(NULL, &ctx), MASKEVAL_OK);
    ck_assert_int_eq(maskeval_gt_load_buffer(ctx, "gt", gt, strlen(gt), MASKEVAL_LOAD_BBOX, &g),
                     MASKEVAL_OK);
    ck_assert_int_eq(maskeval_dets_load_buffer(ctx, g, "dt", dt, strlen(dt), &d), MASKEVAL_OK);
    maskeval_coco_params_init(&p);
    p.iou_type = MASKEVAL_IOU_BBOX;
    ck_assert_int_eq(maskeval_coco_evaluate(ctx, g, d, &p, &res), MASKEVAL_OK);
    ck_assert_int_eq(maskeval_coco_result_summary(res, buf, sizeof(buf), &len), MASKEVAL_OK);
    ck_assert_uint_eq(len, strlen(buf));
    ck_assert_ptr_nonnull(strstr(buf, " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | "
                                      "maxDets=100 ] = -1.000\n"));
    ck_assert_ptr_nonnull(strstr(buf, " Average Recall     (AR) @[ IoU=0.50:0.95 | area= small | "
                                      "maxDets=100 ] = -1.000\n"));
    ck_assert_int_eq(maskeval_coco_result_summary(res, buf, 10, &len),
                     MASKEVAL_ERR_BUFFER_TOO_SMALL);
    ck_assert_uint_eq(strlen(buf), 9);
    maskeval_coco_result_destroy(res);
    maskeval_dets_destroy(d);
    maskeval_gt_destroy(g);
    maskeval_ctx_destroy(ctx);
}
END_TEST

START_TEST(test_version)
{
    char want[32];
    snprintf(want, sizeof(want), "%d.%d.%d", MASKEVAL_VERSION_MAJOR, MASKEVAL_VERSION_MINOR,
             MASKEVAL_VERSION_PATCH);
    ck_assert_str_eq(maskeval_version(), want);
    ck_assert_str_eq(MASKEVAL_VERSION_STRING, want);
    ck_assert_int_eq(MASKEVAL_VERSION_NUMBER, MASKEVAL_VERSION_MAJOR * 10000 +
                                                  MASKEVAL_VERSION_MINOR * 100 +
                                                  MASKEVAL_VERSION_PATCH);
}
END_TEST

static Suite *eval_suite(void)
{
    Suite *s = suite_create("eval");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_linspace);
    tcase_add_test(tc, test_np_mean);
    tcase_add_test(tc, test_box_iou);
    tcase_add_test(tc, test_micro_vectors);
    tcase_add_test(tc, test_summary_text);
    tcase_add_test(tc, test_version);
    suite_add_tcase(s, tc);
    return s;
}

MASKEVAL_TEST_MAIN(eval_suite)
