/*
 * consumer.c - a program built against an installed maskeval (tests/install/
 * run_install_test.py builds it through pkg-config, shared and static, and
 * through find_package(maskeval)). It uses only <maskeval.h>: the version,
 * the RLE helpers and one small bbox evaluation on the CPU backend, and exits
 * 0 only when every answer is the known one.
 */
#include <maskeval.h>
#include <stdio.h>
#include <string.h>

static int failures;

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "consumer: FAILED: %s\n", what);
        failures++;
    }
}

/* One image, one 10x10 box (a small object), one detection exactly on it.
 * pycocotools 2.0.11 reports AP and APs 1 - 2^-52, AP50 and AP75 1 - 2^-53
 * (not 1: its sums of the interpolated precisions round), AR 1, and -1 for
 * the empty medium and large area ranges; maskeval gives the same doubles. */
static const char GT[] =
    "{\"images\": [{\"id\": 1, \"width\": 64, \"height\": 48}],"
    " \"categories\": [{\"id\": 7, \"name\": \"thing\"}],"
    " \"annotations\": [{\"id\": 1, \"image_id\": 1, \"category_id\": 7,"
    " \"bbox\": [4, 5, 10, 10], \"area\": 100, \"iscrowd\": 0}]}";
static const char DT[] =
    "[{\"image_id\": 1, \"category_id\": 7, \"bbox\": [4, 5, 10, 10], \"score\": 0.9}]";

static void evaluate(void)
{
    maskeval_options o;
    maskeval_options_init(&o);
    o.backend = MASKEVAL_BACKEND_CPU;
    o.threads = 1;
    maskeval_ctx *ctx = NULL;
    maskeval_gt *gt = NULL;
    maskeval_dets *dt = NULL;
    maskeval_coco_result *res = NULL;
    maskeval_status st = maskeval_ctx_create(&o, &ctx);
    check(st == MASKEVAL_OK, "maskeval_ctx_create");
    if (st == MASKEVAL_OK)
        st = maskeval_gt_load_buffer(ctx, "gt", GT, strlen(GT), MASKEVAL_LOAD_BBOX, &gt);
    if (st == MASKEVAL_OK)
        st = maskeval_dets_load_buffer(ctx, gt, "dt", DT, strlen(DT), &dt);
    maskeval_coco_params p;
    maskeval_coco_params_init(&p);
    p.iou_type = MASKEVAL_IOU_BBOX;
    if (st == MASKEVAL_OK)
        st = maskeval_coco_evaluate(ctx, gt, dt, &p, &res);
    if (st != MASKEVAL_OK) {
        fprintf(stderr, "consumer: %s: %s\n", maskeval_strerror(st),
                ctx ? maskeval_errmsg(ctx) : "");
        check(0, "bbox evaluation");
    } else {
        double s[12];
        maskeval_coco_result_stats(res, s);
        static const double want[12] = {0x1.ffffffffffffep-1, 0x1.fffffffffffffp-1,
                                        0x1.fffffffffffffp-1, 0x1.ffffffffffffep-1,
                                        -1, -1, 1, 1, 1, 1, -1, -1};
        for (int i = 0; i < 12; i++) {
            if (s[i] != want[i]) {
                fprintf(stderr, "consumer: stats[%d] = %.17g, pycocotools: %.17g\n", i, s[i],
                        want[i]);
                check(0, "the 12 statistics");
            }
        }
        printf("consumer: bbox AP %.3f over %zu detection(s)\n", s[0], maskeval_dets_count(dt));
    }
    maskeval_coco_result_destroy(res);
    maskeval_dets_destroy(dt);
    maskeval_gt_destroy(gt);
    maskeval_ctx_destroy(ctx);
}

int main(void)
{
    /* the library linked is the one of the header compiled against */
    check(strcmp(maskeval_version(), MASKEVAL_VERSION_STRING) == 0, "maskeval_version");
    printf("consumer: maskeval %s (header %s)\n", maskeval_version(), MASKEVAL_VERSION_STRING);

    /* a 3x2 column-major mask 0 1 1 | 1 0 0: runs 1, 3, 2; area 3 */
    static const uint8_t mask[6] = {0, 1, 1, 1, 0, 0};
    uint32_t counts[8];
    size_t n = 0;
    check(maskeval_rle_encode(mask, 3, 2, counts, 8, &n) == MASKEVAL_OK && n == 3 &&
              counts[0] == 1 && counts[1] == 3 && counts[2] == 2,
          "maskeval_rle_encode");
    check(maskeval_rle_area(counts, n) == 3, "maskeval_rle_area");
    const double a[4] = {0, 0, 10, 10}, b[4] = {5, 0, 10, 10};
    check(maskeval_box_iou(a, b, 0) == 50.0 / 150.0, "maskeval_box_iou");

    evaluate();
    if (failures)
        return 1;
    printf("consumer: ok\n");
    return 0;
}
