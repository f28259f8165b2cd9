/*
 * test_alloc_fail.c - every allocation failure is handled: with an
 * allocator that fails on its N-th call (as libdeflate's
 * test_custom_malloc.c does), loading, evaluating and semantic counting
 * return an error for every N until they succeed - no crash, no partial
 * object, and (under the sanitizer build) no leak.
 */
#include <stdatomic.h>
#include <string.h>

#include "maskeval.h"
#include "test_main.h"

static atomic_long calls, fail_at;

static void *fail_malloc(size_t n)
{
    return atomic_fetch_add(&calls, 1) == atomic_load(&fail_at) ? NULL : malloc(n);
}

static void *fail_realloc(void *p, size_t n)
{
    return atomic_fetch_add(&calls, 1) == atomic_load(&fail_at) ? NULL : realloc(p, n);
}

static maskeval_ctx *ctx_failing_at(long n)
{
    maskeval_options o;
    maskeval_ctx *ctx = NULL;
    maskeval_options_init(&o);
    o.backend = MASKEVAL_BACKEND_CPU;
    o.threads = 1; /* the same allocation order every time */
    o.malloc_fn = fail_malloc;
    o.realloc_fn = fail_realloc;
    o.free_fn = free;
    atomic_store(&calls, 0);
    atomic_store(&fail_at, n);
    if (maskeval_ctx_create(&o, &ctx) != MASKEVAL_OK) {
        maskeval_ctx_destroy(ctx); /* NULL when the context itself failed */
        return NULL;
    }
    return ctx;
}

static const char *GT =
    "{\"images\":[{\"id\":1,\"height\":40,\"width\":50},{\"id\":2,\"height\":30,\"width\":30}],"
    "\"categories\":[{\"id\":1,\"name\":\"a\"},{\"id\":2,\"name\":\"b\"}],\"annotations\":["
    "{\"id\":1,\"image_id\":1,\"category_id\":1,\"iscrowd\":0,\"area\":100,\"bbox\":[2,2,10,10],"
    "\"segmentation\":[[2,2,12,2,12,12,2,12],[20,20,25,20,25,26]]},"
    "{\"id\":2,\"image_id\":1,\"category_id\":2,\"iscrowd\":1,\"area\":900,\"bbox\":[0,0,30,30],"
    "\"segmentation\":{\"size\":[40,50],\"counts\":[0,30,10,30,1930]}},"
    "{\"id\":3,\"image_id\":2,\"category_id\":1,\"iscrowd\":0,\"area\":25,\"bbox\":[5,5,5,5],"
    "\"segmentation\":{\"size\":[30,30],\"counts\":\"k45i00000000cb0\"}}]}";

static const char *DT =
    "[{\"image_id\":1,\"category_id\":1,\"score\":0.9,\"segmentation\":{\"size\":[40,50],"
    "\"counts\":\"e<i0?00ZOE?;AE?;AE?;70000000000000000000000000000kh0\"}},"
    "{\"image_id\":1,\"category_id\":2,\"score\":0.5,\"segmentation\":{\"size\":[40,50],"
    "\"counts\":\"0h3hj1\"}},"
    "{\"image_id\":2,\"category_id\":1,\"score\":0.7,\"segmentation\":{\"size\":[30,30],"
    "\"counts\":\"k45i00000000cb0\"}}]";

START_TEST(test_coco_under_failing_allocator)
{
    const maskeval_iou_type type = _i == 0 ? MASKEVAL_IOU_SEGM : MASKEVAL_IOU_BBOX;
    const unsigned flags = _i == 0 ? MASKEVAL_LOAD_SEGM : MASKEVAL_LOAD_BBOX;
    long n;
    int succeeded = 0;
    for (n = 0; n < 20000 && !succeeded; n++) {
        maskeval_ctx *ctx = ctx_failing_at(n);
        maskeval_gt *gt = NULL;
        maskeval_dets *dt = NULL;
        maskeval_coco_result *res = NULL;
        maskeval_coco_params p;
        maskeval_status st;
        if (ctx == NULL) {
            continue;
        }
        maskeval_coco_params_init(&p);
        p.iou_type = type;
        st = maskeval_gt_load_buffer(ctx, "gt", GT, strlen(GT), flags, &gt);
        if (st == MASKEVAL_OK) {
            st = maskeval_dets_load_buffer(ctx, gt, "dt", DT, strlen(DT), &dt);
        }
        if (st == MASKEVAL_OK) {
            st = maskeval_coco_evaluate(ctx, gt, dt, &p, &res);
        }
        if (st == MASKEVAL_OK) {
            double s[12];
            maskeval_coco_result_stats(res, s);
            ck_assert(s[0] >= 0);
            succeeded = 1;
        } else {
            ck_assert_msg(st == MASKEVAL_ERR_NOMEM, "n=%ld: status %d (%s)", n, (int)st,
                          maskeval_errmsg(ctx));
            ck_assert_ptr_null(res);
        }
        maskeval_coco_result_destroy(res);
        maskeval_dets_destroy(dt);
        maskeval_gt_destroy(gt);
        maskeval_ctx_destroy(ctx);
    }
    ck_assert_msg(succeeded, "never succeeded");
    ck_assert_int_gt(n, 20); /* the failures covered many allocation sites */
}
END_TEST

START_TEST(test_semantic_under_failing_allocator)
{
    static uint8_t gt[64], pred[64];
    int succeeded = 0;
    for (int i = 0; i < 64; i++) {
        gt[i] = (uint8_t)(i % 5 == 0 ? 255 : i % 3);
        pred[i] = (uint8_t)(i % 4);
    }
    for (long n = 0; n < 5000 && !succeeded; n++) {
        maskeval_ctx *ctx = ctx_failing_at(n);
        maskeval_semantic *s = NULL;
        maskeval_semantic_params p;
        maskeval_semantic_summary sum;
        maskeval_status st;
        if (ctx == NULL) {
            continue;
        }
        maskeval_semantic_params_init(&p);
        p.num_classes = 3;
        st = maskeval_semantic_create(ctx, &p, &s);
        if (st == MASKEVAL_OK) {
            st = maskeval_semantic_add(ctx, s, gt, pred, 64, 1);
        }
        if (st == MASKEVAL_OK) {
            st = maskeval_semantic_summarize(s, &sum);
        }
        if (st == MASKEVAL_OK) {
            succeeded = 1;
        } else {
            ck_assert_int_eq(st, MASKEVAL_ERR_NOMEM);
        }
        maskeval_semantic_destroy(s);
        maskeval_ctx_destroy(ctx);
    }
    ck_assert(succeeded);
}
END_TEST

static Suite *alloc_suite(void)
{
    Suite *s = suite_create("alloc_fail");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_coco_under_failing_allocator, 0, 2);
    tcase_add_test(tc, test_semantic_under_failing_allocator);
    suite_add_tcase(s, tc);
    return s;
}

MASKEVAL_TEST_MAIN(alloc_suite)
