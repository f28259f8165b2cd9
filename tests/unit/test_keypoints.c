/*
 * test_keypoints.c - keypoint evaluation through the C API: the OKS terms
 * of iou/oks.c (visible keypoints, the enlarged box when none is, NaN),
 * whole evaluations from arrays whose answers follow from pycocotools'
 * rules (exact copies have OKS 1, the caller's exponential is called once
 * with every term, useCats = 0 matches nothing, an ignored non-crowd ground
 * truth is taken once while a crowd absorbs every match, _summarizeKps'
 * ten statistics), and maskeval_coco_partial_select against evaluations of
 * the parameters it selects.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "iou/iou.h"
#include "maskeval.h"
#include "test_main.h"

#define K 3

START_TEST(oks_terms_visible_box_nan)
{
    const double eps = 2.220446049250313e-16;
    const double vars[2] = {0.04, 0.16};
    const double gk[6] = {10, 10, 2, 20, 20, 0}, gbox[4] = {0, 0, 10, 10};
    const double dk[6] = {13, 14, 1, 0, 0, 1};
    const double none[6] = {10, 10, 0, 20, 20, 0}, far[6] = {40, 5, 1, 5, -25, 1};
    double e[2];
    ck_assert_uint_eq(maskeval_oks_terms(gk, gbox, 100, dk, vars, 2, e), 1);
    ck_assert(e[0] == -((9.0 + 16.0) / 0.04 / (100 + eps) / 2));
    ck_assert_uint_eq(maskeval_oks_n_terms(gk, 2), 1);
    /* no visible keypoint: distance outside [x - w, x + 2w] x [y - h, y + 2h] */
    ck_assert_uint_eq(maskeval_oks_terms(none, gbox, 100, far, vars, 2, e), 2);
    ck_assert_uint_eq(maskeval_oks_n_terms(none, 2), 2);
    ck_assert(e[0] == -((400.0 + 0.0) / 0.04 / (100 + eps) / 2)); /* dx = 40 - (0 + 2 * 10) */
    ck_assert(e[1] == -((0.0 + 225.0) / 0.16 / (100 + eps) / 2)); /* dy = -10 - (-25) */
    {
        const double nan_dk[6] = {NAN, 5, 1, 5, 5, 1};
        maskeval_oks_terms(none, gbox, 100, nan_dk, vars, 2, e);
        ck_assert(isnan(e[0]) && e[1] == 0.0);
    }
}
END_TEST

/* One image, categories 1 and 2, four ground truths: A and C normal, B
 * ignored (num_keypoints = 0 in pycocotools' terms), D (category 2). */
typedef struct kp_set {
    maskeval_ctx *ctx;
    maskeval_gt *gt;
    maskeval_dets *dets;
} kp_set;

static const double gt_kp[4][3 * K] = {{10, 10, 2, 20, 12, 2, 15, 30, 1},
                                       {60, 60, 2, 70, 62, 2, 65, 80, 2},
                                       {110, 20, 2, 120, 22, 2, 115, 40, 2},
                                       {30, 100, 2, 40, 102, 2, 35, 120, 2}};

static void kp_set_make(kp_set *s, int b_crowd, size_t n_dt, const int *dt_of,
                        const double *scores, const int64_t *dt_cat)
{
    int64_t img = 7, cats[2] = {1, 2}, ids[4] = {1, 2, 3, 4}, aimg[4] = {7, 7, 7, 7};
    int64_t acat[4] = {1, 1, 1, 2};
    uint32_t hw = 200;
    uint8_t crowd[4] = {0, 0, 0, 0}, ignore[4] = {0, 1, 0, 0};
    double area[4] = {2000, 2000, 2000, 2000}, bbox[16] = {0};
    maskeval_gt_arrays ga;
    maskeval_dets_arrays da;
    int64_t dimg[16], dcat[16];
    double dk[16 * 3 * K], darea[16];

    crowd[1] = (uint8_t)b_crowd;
    ck_assert_int_eq(maskeval_ctx_create(NULL, &s->ctx), MASKEVAL_OK);
    memset(&ga, 0, sizeof(ga));
    ga.struct_size = sizeof(ga);
    ga.n_images = 1;
    ga.image_ids = &img;
    ga.heights = ga.widths = &hw;
    ga.n_categories = 2;
    ga.category_ids = cats;
    ga.n_annotations = 4;
    ga.ann_ids = ids;
    ga.ann_image_ids = aimg;
    ga.ann_category_ids = acat;
    ga.ann_iscrowd = crowd;
    ga.ann_area = area;
    ga.ann_bbox = bbox;
    ga.n_keypoints = K;
    ga.ann_keypoints = &gt_kp[0][0];
    ga.ann_ignore = ignore;
    ck_assert_int_eq(maskeval_gt_from_arrays(s->ctx, &ga, MASKEVAL_LOAD_BBOX |
                                                            MASKEVAL_LOAD_KEYPOINTS, &s->gt),
                     MASKEVAL_OK);
    for (size_t i = 0; i < n_dt; i++) {
        dimg[i] = 7;
        dcat[i] = dt_cat != NULL ? dt_cat[i] : 1;
        darea[i] = 2000;
        memcpy(dk + 3 * K * i, gt_kp[dt_of[i]], sizeof(gt_kp[0]));
    }
    memset(&da, 0, sizeof(da));
    da.struct_size = sizeof(da);
    da.n = n_dt;
    da.image_ids = dimg;
    da.category_ids = dcat;
    da.scores = scores;
    da.areas = darea;
    da.keypoints = dk;
    ck_assert_int_eq(maskeval_dets_from_arrays(s->ctx, s->gt, &da, &s->dets), MASKEVAL_OK);
}

static void kp_set_free(kp_set *s)
{
    maskeval_dets_destroy(s->dets);
    maskeval_gt_destroy(s->gt);
    maskeval_ctx_destroy(s->ctx);
}

static size_t exp_calls, exp_terms;

static void counting_exp(void *user, double *x, size_t n)
{
    (void)user;
    exp_calls++;
    exp_terms += n;
    for (size_t i = 0; i < n; i++) {
        x[i] = exp(x[i]);
    }
}

static const double sigmas[K] = {0.026, 0.025, 0.035};

static double kp_ap(kp_set *s, int use_cats, double stats[12])
{
    maskeval_coco_params p;
    maskeval_coco_result *res = NULL;
    maskeval_coco_params_init(&p);
    p.iou_type = MASKEVAL_IOU_KEYPOINTS;
    p.use_cats = use_cats;
    p.kpt_oks_sigmas = sigmas;
    p.n_kpt_oks_sigmas = K;
    p.oks_exp = counting_exp;
    ck_assert_int_eq(maskeval_coco_evaluate(s->ctx, s->gt, s->dets, &p, &res), MASKEVAL_OK);
    ck_assert_uint_eq(maskeval_coco_result_n_stats(res), 10);
    maskeval_coco_result_stats(res, stats);
    maskeval_coco_result_destroy(res);
    return stats[0];
}

START_TEST(exact_copies_and_exp_hook)
{
    kp_set s;
    double st[12];
    const int of[3] = {0, 2, 3};
    const double sc[3] = {0.9, 0.8, 0.7};
    const int64_t cat[3] = {1, 1, 2};
    kp_set_make(&s, 0, 3, of, sc, cat);
    exp_calls = exp_terms = 0;
    ck_assert(kp_ap(&s, 1, st) == 1.0); /* both categories: every copy has OKS 1 */
    ck_assert_uint_eq(exp_calls, 1);
    /* category 1: 2 detections x (A 3 + B 3 + C 3 visible terms); category 2: 1 x 3 */
    ck_assert_uint_eq(exp_terms, 2 * 9 + 3);
    ck_assert(st[3] == 1.0 && st[4] == -1.0); /* medium (area 2000) and large */
    ck_assert(isnan(st[10]) && isnan(st[11]));
    /* useCats = 0: computeOks' [] - nothing matches, nothing is exponentiated */
    exp_calls = exp_terms = 0;
    ck_assert(kp_ap(&s, 0, st) == 0.0);
    ck_assert_uint_eq(exp_terms, 0);
    kp_set_free(&s);
}
END_TEST

START_TEST(ignored_non_crowd_is_taken_once)
{
    /* B1 and B2 copy the ignored B and outscore A's copy: B1 is ignored, B2
     * finds B taken (a false positive before the only true positive: AP
     * 0.5) unless B is a crowd (B2 ignored too: AP 1) */
    const int of[3] = {1, 1, 0};
    const double sc[3] = {0.95, 0.93, 0.9};
    double st[12];
    for (int crowd = 0; crowd <= 1; crowd++) {
        kp_set s;
        kp_set_make(&s, crowd, 3, of, sc, NULL);
        kp_ap(&s, 1, st);
        /* category 1 reaches recall 1/2 (A of A and C) at precision 1/2, or
         * 1 with B a crowd: 51 of the 101 recall thresholds; category 2 has a
         * GT and no detection (0 everywhere); AP50 averages the two */
        const double want = (crowd ? 1.0 : 0.5) * 51 / 202;
        ck_assert_msg(fabs(st[1] - want) < 1e-12, "crowd %d: AP50 %.17g, want %.17g", crowd,
                      st[1], want);
        kp_set_free(&s);
    }
}
END_TEST

START_TEST(select_matches_a_direct_evaluation)
{
    kp_set s;
    maskeval_coco_params p;
    maskeval_coco_partial *all = NULL, *only2 = NULL, *sel = NULL;
    maskeval_coco_result *a = NULL, *b = NULL;
    const int of[4] = {0, 2, 3, 1};
    const double sc[4] = {0.9, 0.8, 0.7, 0.6};
    const int64_t cat[4] = {1, 1, 2, 1}, cat2 = 2;
    const size_t kx = 1, ix = 0;
    const int64_t md = 20;
    maskeval_coco_select q;
    size_t na, nb;
    double *pa, *pb;

    kp_set_make(&s, 0, 4, of, sc, cat);
    maskeval_coco_params_init(&p);
    p.iou_type = MASKEVAL_IOU_KEYPOINTS;
    p.kpt_oks_sigmas = sigmas;
    p.n_kpt_oks_sigmas = K;
    ck_assert_int_eq(maskeval_coco_evaluate_images(s.ctx, s.gt, s.dets, &p, 0, 1, &all),
                     MASKEVAL_OK);
    p.cat_ids = &cat2;
    p.n_cat_ids = 1;
    ck_assert_int_eq(maskeval_coco_evaluate_images(s.ctx, s.gt, s.dets, &p, 0, 1, &only2),
                     MASKEVAL_OK);
    memset(&q, 0, sizeof(q));
    q.struct_size = sizeof(q);
    q.k_index = &kx;
    q.n_k = 1;
    q.img_index = &ix;
    q.n_img = 1;
    for (size_t r = 0; r < 4; r++) {
        q.area_index[r] = r;
    }
    q.max_dets = &md;
    q.n_max_dets = 1;
    ck_assert_int_eq(maskeval_coco_partial_select(s.ctx, all, &q, &sel), MASKEVAL_OK);
    ck_assert_int_eq(maskeval_coco_accumulate(s.ctx, sel, &a), MASKEVAL_OK);
    ck_assert_int_eq(maskeval_coco_accumulate(s.ctx, only2, &b), MASKEVAL_OK);
    maskeval_coco_result_array(a, MASKEVAL_ARRAY_PRECISION, NULL, 0, &na);
    maskeval_coco_result_array(b, MASKEVAL_ARRAY_PRECISION, NULL, 0, &nb);
    ck_assert_uint_eq(na, nb);
    pa = calloc(na, sizeof(double));
    pb = calloc(nb, sizeof(double));
    maskeval_coco_result_array(a, MASKEVAL_ARRAY_PRECISION, pa, na, &na);
    maskeval_coco_result_array(b, MASKEVAL_ARRAY_PRECISION, pb, nb, &nb);
    ck_assert(memcmp(pa, pb, na * sizeof(double)) == 0);
    /* out of range selections are refused */
    q.n_k = 1;
    {
        const size_t bad = 2;
        maskeval_coco_partial *x = NULL;
        q.k_index = &bad;
        ck_assert_int_eq(maskeval_coco_partial_select(s.ctx, all, &q, &x),
                         MASKEVAL_ERR_INVALID_ARG);
        ck_assert_ptr_null(x);
    }
    free(pa);
    free(pb);
    maskeval_coco_result_destroy(a);
    maskeval_coco_result_destroy(b);
    maskeval_coco_partial_destroy(all);
    maskeval_coco_partial_destroy(only2);
    maskeval_coco_partial_destroy(sel);
    kp_set_free(&s);
}
END_TEST

START_TEST(refused_inputs)
{
    kp_set s;
    maskeval_coco_params p;
    maskeval_coco_result *res = NULL;
    const int of[1] = {0};
    const double sc[1] = {0.5};
    kp_set_make(&s, 0, 1, of, sc, NULL);
    maskeval_coco_params_init(&p);
    p.iou_type = MASKEVAL_IOU_KEYPOINTS; /* 17 default sigmas for 3 keypoints */
    ck_assert_int_eq(maskeval_coco_evaluate(s.ctx, s.gt, s.dets, &p, &res),
                     MASKEVAL_ERR_INVALID_ARG);
    ck_assert_ptr_null(res);
    ck_assert_ptr_nonnull(strstr(maskeval_errmsg(s.ctx), "17 OKS sigmas for 3 keypoints"));
    kp_set_free(&s);
}
END_TEST

static Suite *keypoints_suite(void)
{
    Suite *s = suite_create("keypoints");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, oks_terms_visible_box_nan);
    tcase_add_test(tc, exact_copies_and_exp_hook);
    tcase_add_test(tc, ignored_non_crowd_is_taken_once);
    tcase_add_test(tc, select_matches_a_direct_evaluation);
    tcase_add_test(tc, refused_inputs);
    suite_add_tcase(s, tc);
    return s;
}

MASKEVAL_TEST_MAIN(keypoints_suite)
