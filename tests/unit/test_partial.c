/*
 * test_partial.c - the partial-state API: shards evaluated apart, encoded,
 * decoded and merged in any order accumulate bit-identically to one
 * evaluate(); match identities agree with the statuses; every truncation
 * and every flipped byte of an encoded partial is refused cleanly; semantic
 * partials round-trip their counts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maskeval.h"
#include "test_main.h"

/* A deterministic box dataset: 23 images, 3 categories, crowds, ties. */
static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

static char *make_gt(void)
{
    size_t cap = 1 << 20, n = 0;
    char *b = malloc(cap);
    uint32_t s = 7;
    int id = 1;
    n += (size_t)snprintf(b + n, cap - n, "{\"images\":[");
    for (int i = 0; i < 23; i++) {
        n += (size_t)snprintf(b + n, cap - n, "%s{\"id\":%d,\"height\":100,\"width\":100}",
                              i ? "," : "", 100 + 3 * i);
    }
    n += (size_t)snprintf(b + n, cap - n, "],\"categories\":[{\"id\":1,\"name\":\"a\"},"
                                          "{\"id\":2,\"name\":\"b\"},{\"id\":5,\"name\":\"c\"}],"
                                          "\"annotations\":[");
    for (int i = 0; i < 23; i++) {
        for (int g = 0; g < (int)(lcg(&s) % 6); g++) {
            int x = (int)(lcg(&s) % 70), y = (int)(lcg(&s) % 70), w = 5 + (int)(lcg(&s) % 25),
                h = 5 + (int)(lcg(&s) % 25), cat = (int[]){1, 2, 5}[lcg(&s) % 3];
            n += (size_t)snprintf(b + n, cap - n,
                                  "%s{\"id\":%d,\"image_id\":%d,\"category_id\":%d,\"iscrowd\":%d,"
                                  "\"area\":%d,\"bbox\":[%d,%d,%d,%d]}",
                                  id > 1 ? "," : "", id, 100 + 3 * i, cat, lcg(&s) % 17 == 0,
                                  w * h, x, y, w, h);
            id++;
        }
    }
    snprintf(b + n, cap - n, "]}");
    return b;
}

/* Detections: a jittered copy of most GT boxes (the GT generator's
 * sequence replayed) plus random ones, with tied scores. */
static char *make_dt(void)
{
    size_t cap = 1 << 20, n = 0;
    char *b = malloc(cap);
    uint32_t s = 7, r = 99;
    int first = 1;
    n += (size_t)snprintf(b + n, cap - n, "[");
    for (int i = 0; i < 23; i++) {
        for (int g = 0; g < (int)(lcg(&s) % 6); g++) {
            int x = (int)(lcg(&s) % 70), y = (int)(lcg(&s) % 70), w = 5 + (int)(lcg(&s) % 25),
                h = 5 + (int)(lcg(&s) % 25), cat = (int[]){1, 2, 5}[lcg(&s) % 3];
            (void)lcg(&s); /* iscrowd */
            if (lcg(&r) % 5 != 0) {
                n += (size_t)snprintf(b + n, cap - n,
                                      "%s{\"image_id\":%d,\"category_id\":%d,"
                                      "\"bbox\":[%d,%d,%d,%d],\"score\":0.%02u}",
                                      first ? "" : ",", 100 + 3 * i, cat, x + (int)(lcg(&r) % 5),
                                      y, w - (int)(lcg(&r) % 4), h, lcg(&r) % 9);
                first = 0;
            }
        }
        for (int d = 0; d < (int)(lcg(&r) % 4); d++) {
            n += (size_t)snprintf(b + n, cap - n,
                                  "%s{\"image_id\":%d,\"category_id\":%d,\"bbox\":[%d,%d,9,9],"
                                  "\"score\":0.%02u}",
                                  first ? "" : ",", 100 + 3 * i, (int[]){1, 2, 5}[lcg(&r) % 3],
                                  (int)(lcg(&r) % 80), (int)(lcg(&r) % 80), lcg(&r) % 9);
            first = 0;
        }
    }
    snprintf(b + n, cap - n, "]");
    return b;
}

typedef struct fixture {
    maskeval_ctx *ctx;
    maskeval_gt *gt;
    maskeval_dets *dets;
    maskeval_coco_params params;
} fixture;

static void fixture_open(fixture *f, int keep_matches)
{
    char *gt = make_gt(), *dt = make_dt();
    maskeval_options o;
    maskeval_options_init(&o);
    o.backend = MASKEVAL_BACKEND_CPU;
    o.threads = 2;
    ck_assert_int_eq(maskeval_ctx_create(&o, &f->ctx), MASKEVAL_OK);
    ck_assert_int_eq(maskeval_gt_load_buffer(f->ctx, "gt", gt, strlen(gt), MASKEVAL_LOAD_BBOX,
                                             &f->gt),
                     MASKEVAL_OK);
    ck_assert_int_eq(maskeval_dets_load_buffer(f->ctx, f->gt, "dt", dt, strlen(dt), &f->dets),
                     MASKEVAL_OK);
    maskeval_coco_params_init(&f->params);
    f->params.iou_type = MASKEVAL_IOU_BBOX;
    f->params.keep_matches = keep_matches;
    free(gt);
    free(dt);
}

static void fixture_close(fixture *f)
{
    maskeval_dets_destroy(f->dets);
    maskeval_gt_destroy(f->gt);
    maskeval_ctx_destroy(f->ctx);
}

static void same_result(const maskeval_coco_result *a, const maskeval_coco_result *b)
{
    static const maskeval_coco_array which[3] = {MASKEVAL_ARRAY_PRECISION, MASKEVAL_ARRAY_RECALL,
                                                 MASKEVAL_ARRAY_SCORES};
    double sa[12], sb[12];
    maskeval_coco_result_stats(a, sa);
    maskeval_coco_result_stats(b, sb);
    ck_assert(memcmp(sa, sb, sizeof(sa)) == 0);
    for (int w = 0; w < 3; w++) {
        size_t na = 0, nb = 0;
        double *va, *vb;
        maskeval_coco_result_array(a, which[w], NULL, 0, &na);
        maskeval_coco_result_array(b, which[w], NULL, 0, &nb);
        ck_assert_uint_eq(na, nb);
        va = malloc(na * sizeof(double));
        vb = malloc(nb * sizeof(double));
        maskeval_coco_result_array(a, which[w], va, na, &na);
        maskeval_coco_result_array(b, which[w], vb, nb, &nb);
        ck_assert(memcmp(va, vb, na * sizeof(double)) == 0);
        free(va);
        free(vb);
    }
}

/* Encodes p into a malloc'd buffer. */
static uint8_t *encode(maskeval_ctx *ctx, const maskeval_coco_partial *p, size_t *len)
{
    uint8_t *buf;
    ck_assert_int_eq(maskeval_coco_partial_encode(ctx, p, NULL, 0, len),
                     MASKEVAL_ERR_BUFFER_TOO_SMALL);
    buf = malloc(*len);
    ck_assert_int_eq(maskeval_coco_partial_encode(ctx, p, buf, *len, len), MASKEVAL_OK);
    return buf;
}

START_TEST(test_shards_merge_bit_identical)
{
    static const uint32_t counts[4] = {1, 2, 3, 7};
    fixture f;
    maskeval_coco_result *whole = NULL;
    fixture_open(&f, _i);
    ck_assert_int_eq(maskeval_coco_evaluate(f.ctx, f.gt, f.dets, &f.params, &whole), MASKEVAL_OK);
    for (int c = 0; c < 4; c++) {
        const uint32_t n = counts[c];
        maskeval_coco_partial *parts[7], *merged = NULL;
        maskeval_coco_result *res = NULL;
        for (uint32_t i = 0; i < n; i++) {
            maskeval_coco_partial *p = NULL;
            uint8_t *buf, *again;
            size_t len, len2;
            ck_assert_int_eq(maskeval_coco_evaluate_images(f.ctx, f.gt, f.dets, &f.params, i, n,
                                                           &p),
                             MASKEVAL_OK);
            buf = encode(f.ctx, p, &len);
            /* decoded in reverse order: merge order must not matter */
            ck_assert_int_eq(maskeval_coco_partial_decode(f.ctx, "p", buf, len, &parts[n - 1 - i]),
                             MASKEVAL_OK);
            again = encode(f.ctx, parts[n - 1 - i], &len2);
            ck_assert(len == len2 && memcmp(buf, again, len) == 0);
            free(buf);
            free(again);
            maskeval_coco_partial_destroy(p);
        }
        ck_assert_int_eq(maskeval_coco_partial_merge(f.ctx, (const maskeval_coco_partial *const *)parts,
                                                     n, &merged),
                         MASKEVAL_OK);
        ck_assert_int_eq(maskeval_coco_accumulate(f.ctx, merged, &res), MASKEVAL_OK);
        same_result(whole, res);
        if (n > 1) {
            maskeval_coco_result *none = NULL;
            /* an incomplete set is refused, and so is an overlap */
            ck_assert_int_eq(maskeval_coco_accumulate(f.ctx, parts[0], &none),
                             MASKEVAL_ERR_INVALID_ARG);
            ck_assert_ptr_null(none);
            {
                const maskeval_coco_partial *twice[2] = {parts[0], parts[0]};
                maskeval_coco_partial *m2 = NULL;
                ck_assert_int_eq(maskeval_coco_partial_merge(f.ctx, twice, 2, &m2),
                                 MASKEVAL_ERR_INVALID_ARG);
                ck_assert_ptr_null(m2);
            }
        }
        for (uint32_t i = 0; i < n; i++) {
            maskeval_coco_partial_destroy(parts[i]);
        }
        maskeval_coco_partial_destroy(merged);
        maskeval_coco_result_destroy(res);
    }
    maskeval_coco_result_destroy(whole);
    fixture_close(&f);
}
END_TEST

START_TEST(test_match_identities)
{
    fixture f;
    maskeval_coco_partial *p = NULL;
    maskeval_coco_partial_info info;
    const double *thr;
    maskeval_coco_result *res = NULL;
    size_t tp = 0;
    fixture_open(&f, 1);
    ck_assert_int_eq(maskeval_coco_evaluate_images(f.ctx, f.gt, f.dets, &f.params, 0, 1, &p),
                     MASKEVAL_OK);
    maskeval_coco_partial_get_info(p, &info);
    ck_assert(info.has_matches);
    ck_assert_uint_eq(info.n_held, 23);
    ck_assert_int_eq(maskeval_coco_accumulate(f.ctx, p, &res), MASKEVAL_OK);
    thr = maskeval_coco_result_iou_thrs(res);
    for (size_t c = 0; c < info.n_cells; c++) {
        maskeval_coco_record r;
        ck_assert_int_eq(maskeval_coco_partial_record(p, c, &r), MASKEVAL_OK);
        for (uint32_t d = 0; d < r.n_dt; d++) {
            ck_assert(d == 0 || r.scores[d] <= r.scores[d - 1]);
            for (size_t a = 0; a < 4; a++) {
                for (size_t t = 0; t < 10; t++) {
                    const size_t e = (d * 4 + a) * 10 + t;
                    if (r.status[e] == 1) {
                        ck_assert(r.match_gt[e] > 0 && r.match_iou[e] >= thr[t]);
                        tp++;
                    } else if (r.status[e] == 0) {
                        ck_assert(r.match_gt[e] == 0 && r.match_iou[e] == 0);
                    }
                }
            }
        }
    }
    ck_assert(tp > 0);
    ck_assert_int_eq(maskeval_coco_partial_record(p, info.n_cells, &(maskeval_coco_record){0}),
                     MASKEVAL_ERR_INVALID_ARG);
    maskeval_coco_result_destroy(res);
    maskeval_coco_partial_destroy(p);
    fixture_close(&f);
}
END_TEST

START_TEST(test_every_truncation_and_flip_refused)
{
    fixture f;
    maskeval_coco_partial *p = NULL, *q = NULL;
    uint8_t *buf;
    size_t len;
    fixture_open(&f, 0);
    ck_assert_int_eq(maskeval_coco_evaluate_images(f.ctx, f.gt, f.dets, &f.params, 1, 3, &p),
                     MASKEVAL_OK);
    buf = encode(f.ctx, p, &len);
    for (size_t cut = 0; cut < len; cut++) {
        ck_assert_int_eq(maskeval_coco_partial_decode(f.ctx, "cut", buf, cut, &q),
                         MASKEVAL_ERR_PARSE);
        ck_assert_ptr_null(q);
        ck_assert(strncmp(maskeval_errmsg(f.ctx), "cut: ", 5) == 0);
    }
    for (size_t at = 0; at < len; at++) {
        buf[at] ^= 0x20;
        ck_assert_int_eq(maskeval_coco_partial_decode(f.ctx, "flip", buf, len, &q),
                         MASKEVAL_ERR_PARSE);
        buf[at] ^= 0x20;
    }
    ck_assert_int_eq(maskeval_coco_partial_decode(f.ctx, "ok", buf, len, &q), MASKEVAL_OK);
    ck_assert_int_eq(maskeval_partial_kind(buf, len), 1);
    maskeval_coco_partial_destroy(q);
    free(buf);
    maskeval_coco_partial_destroy(p);
    fixture_close(&f);
}
END_TEST

START_TEST(test_semantic_round_trip)
{
    maskeval_ctx *ctx = NULL;
    maskeval_semantic *a = NULL, *b = NULL, *whole = NULL, *back = NULL;
    maskeval_semantic_params sp;
    uint8_t g[400], pr[400];
    uint64_t cm1[36], cm2[36];
    uint32_t s = 3;
    size_t len = 0;
    uint8_t *buf;
    ck_assert_int_eq(maskeval_ctx_create(NULL, &ctx), MASKEVAL_OK);
    maskeval_semantic_params_init(&sp);
    sp.num_classes = 6;
    sp.reduce_zero_label = 1;
    ck_assert_int_eq(maskeval_semantic_create(ctx, &sp, &a), MASKEVAL_OK);
    ck_assert_int_eq(maskeval_semantic_create(ctx, &sp, &b), MASKEVAL_OK);
    ck_assert_int_eq(maskeval_semantic_create(ctx, &sp, &whole), MASKEVAL_OK);
    ck_assert_int_eq(maskeval_semantic_set_shard(ctx, a, 42, 4, 0, 2, "t"), MASKEVAL_OK);
    ck_assert_int_eq(maskeval_semantic_set_shard(ctx, b, 42, 4, 1, 2, "t"), MASKEVAL_OK);
    for (int item = 0; item < 4; item++) {
        for (int i = 0; i < 400; i++) {
            g[i] = (uint8_t)(lcg(&s) % 8);
            pr[i] = (uint8_t)(lcg(&s) % 7);
        }
        ck_assert_int_eq(maskeval_semantic_add(ctx, item % 2 ? b : a, g, pr, 400, 1), MASKEVAL_OK);
        ck_assert_int_eq(maskeval_semantic_add(ctx, whole, g, pr, 400, 1), MASKEVAL_OK);
    }
    ck_assert_int_eq(maskeval_semantic_encode(ctx, b, NULL, 0, &len), MASKEVAL_ERR_BUFFER_TOO_SMALL);
    buf = malloc(len);
    ck_assert_int_eq(maskeval_semantic_encode(ctx, b, buf, len, &len), MASKEVAL_OK);
    ck_assert_int_eq(maskeval_partial_kind(buf, len), 2);
    for (size_t cut = 0; cut < len; cut += 7) {
        maskeval_semantic *none = NULL;
        ck_assert_int_eq(maskeval_semantic_decode(ctx, "cut", buf, cut, &none), MASKEVAL_ERR_PARSE);
        ck_assert_ptr_null(none);
    }
    ck_assert_int_eq(maskeval_semantic_decode(ctx, "b", buf, len, &back), MASKEVAL_OK);
    ck_assert_int_eq(maskeval_semantic_merge(ctx, a, back), MASKEVAL_OK);
    ck_assert_int_eq(maskeval_semantic_merge(ctx, a, back), MASKEVAL_ERR_INVALID_ARG); /* overlap */
    ck_assert_int_eq(maskeval_semantic_confusion(a, cm1, 36), MASKEVAL_OK);
    ck_assert_int_eq(maskeval_semantic_confusion(whole, cm2, 36), MASKEVAL_OK);
    ck_assert(memcmp(cm1, cm2, sizeof(cm1)) == 0);
    free(buf);
    maskeval_semantic_destroy(a);
    maskeval_semantic_destroy(b);
    maskeval_semantic_destroy(whole);
    maskeval_semantic_destroy(back);
    maskeval_ctx_destroy(ctx);
}
END_TEST

static Suite *partial_suite(void)
{
    Suite *s = suite_create("partial");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_shards_merge_bit_identical, 0, 2);
    tcase_add_test(tc, test_match_identities);
    tcase_add_test(tc, test_every_truncation_and_flip_refused);
    tcase_add_test(tc, test_semantic_round_trip);
    suite_add_tcase(s, tc);
    return s;
}

MASKEVAL_TEST_MAIN(partial_suite)
