/*
 * fuzz_results_json.c - COCO results loading (src/io/results_load.c and
 * what it uses) and evaluation (src/eval/) against a fixed ground truth.
 *
 * The ground truth below (3 images, 3 categories, polygons, a multi-part
 * polygon, a crowd region as uncompressed RLE, compressed RLE, an
 * annotation on an image missing from "images", a repeated annotation id)
 * is loaded once three times: with MASKEVAL_LOAD_SEGM | _BBOX, _SEGM and
 * _BBOX. Input: JSON text (a results file), loaded against each. Options
 * come from a hash of the input, so the input stays a plain results file.
 *
 * Checks:
 *  - a load succeeds or fails with MASKEVAL_ERR_PARSE / _LIMIT and a message;
 *    what loads is a file json.load reads, and each result's image, category,
 *    score and box are the values json.load gives (fuzz_pyjson.h: the last
 *    member of a repeated key, keys compared after unescaping with their NULs);
 *  - loaded results are consistent (fuzz_dataset.h);
 *  - evaluation with default parameters succeeds for every IoU type the
 *    ground truth was loaded for, and its result is sane (fuzz_eval.h);
 *  - the same IoU type gives bit-identical statistics and arrays whether the
 *    ground truth was loaded with one flag or both (when both loads worked);
 *  - occasionally: custom parameters (use_cats = 0, unusual maxDets, IoU
 *    thresholds, area ranges, image / category id lists), and a 3-thread
 *    context that must give bit-identical results.
 * MASKEVAL_FUZZ_DUMP_GT=PATH writes the ground truth to PATH at start-up
 * (diff_pycocotools.py compares the corpus against pycocotools with it).
 */
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "fuzz_dataset.h"
#include "fuzz_eval.h"
#include "fuzz_pyjson.h"

static const char gt_json[] =
    "{\"info\":{\"description\":\"maskeval fuzz ground truth\"},"
    "\"images\":["
    "{\"id\":1,\"height\":20,\"width\":30},"
    "{\"id\":2,\"height\":16,\"width\":16},"
    "{\"id\":7,\"height\":60,\"width\":80}],"
    "\"categories\":[{\"id\":1,\"name\":\"cat\"},{\"id\":3,\"name\":\"dog\"},"
    "{\"id\":5,\"name\":\"no annotations\"}],"
    "\"annotations\":["
    "{\"id\":10,\"image_id\":1,\"category_id\":1,\"iscrowd\":0,\"area\":80,"
    "\"bbox\":[2,2,10,8],\"segmentation\":[[2,2,12,2,12,10,2,10]]},"
    "{\"id\":11,\"image_id\":1,\"category_id\":3,\"iscrowd\":0,\"area\":80.5,"
    "\"bbox\":[3,5,22,13],\"segmentation\":[[15,5,25,5,20,15],[3,12,8,12,8,18,3,18]]},"
    "{\"id\":12,\"image_id\":1,\"category_id\":1,\"iscrowd\":1,\"area\":200,"
    "\"bbox\":[20,0,10,20],\"segmentation\":{\"size\":[20,30],\"counts\":[400,200]}},"
    "{\"id\":13,\"image_id\":2,\"category_id\":1,\"iscrowd\":0,\"area\":60,"
    "\"bbox\":[3,0,13,12],\"segmentation\":{\"size\":[16,16],"
    "\"counts\":\"d18800000000000l1JZN00\"}},"
    "{\"id\":14,\"image_id\":2,\"category_id\":3,\"iscrowd\":0,\"area\":12.25,"
    "\"bbox\":[9.5,9.5,4.5,5.25],\"segmentation\":[[9.5,9.5,14,10,12.2,14.75]]},"
    "{\"id\":15,\"image_id\":7,\"category_id\":3,\"iscrowd\":0,\"area\":2100,"
    "\"bbox\":[5,10,55,40],\"segmentation\":{\"size\":[60,80],\"counts\":"
    "\"f9X1d00000000000000000000000000000ROF::FF::FF::FF::FF::FF::FF::FF::FF::FF::"
    "d00000000000000000000000000000000000000000000000000000000000VU1\"}},"
    "{\"id\":16,\"image_id\":99,\"category_id\":1,\"iscrowd\":0,\"area\":50,"
    "\"bbox\":[0,0,5,10],\"segmentation\":[[0,0,5,0,5,10]]},"
    "{\"id\":17,\"image_id\":7,\"category_id\":1,\"iscrowd\":0,\"area\":10000,"
    "\"bbox\":[0,0,80,60],\"segmentation\":[[0,0,80,0,80,60,0,60]]},"
    "{\"id\":18,\"image_id\":7,\"category_id\":1,\"iscrowd\":false,\"area\":1500,"
    "\"bbox\":[40,5,30,50],\"segmentation\":[[40,5,70,5,70,55,40,55]]},"
    "{\"id\":18,\"image_id\":7,\"category_id\":3,\"iscrowd\":0,\"area\":30,"
    "\"bbox\":[1,1,5,6],\"segmentation\":[[1,1,6,1,6,7,1,7]]}]}";

static const unsigned flag_sets[3] = {MASKEVAL_LOAD_SEGM | MASKEVAL_LOAD_BBOX, MASKEVAL_LOAD_SEGM,
                                      MASKEVAL_LOAD_BBOX};
static maskeval_gt *gts[3];
static maskeval_ctx *ctx3; /* 3 worker threads */

static maskeval_ctx *make_ctx(int threads)
{
    maskeval_ctx *c = NULL;
    maskeval_options o;
    maskeval_options_init(&o);
    o.backend = MASKEVAL_BACKEND_CPU;
    o.threads = threads;
    if (maskeval_ctx_create(&o, &c) != MASKEVAL_OK) {
        abort();
    }
    return c;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *dump = getenv("MASKEVAL_FUZZ_DUMP_GT");
    (void)argc;
    (void)argv;
    if (dump != NULL) {
        /* for diff_pycocotools.py: the ground truth the results refer to */
        FILE *f = fopen(dump, "wb");
        if (f == NULL || fwrite(gt_json, 1, sizeof(gt_json) - 1, f) != sizeof(gt_json) - 1 ||
            fclose(f) != 0) {
            fprintf(stderr, "cannot write %s\n", dump);
            abort();
        }
    }
    for (int f = 0; f < 3; f++) {
        if (maskeval_gt_load_buffer(fuzz_ctx(), "gt.json", gt_json, sizeof(gt_json) - 1,
                                    flag_sets[f], &gts[f]) != MASKEVAL_OK) {
            fprintf(stderr, "embedded ground truth: %s\n", maskeval_errmsg(fuzz_ctx()));
            abort();
        }
        fuzz_check_gt(gts[f]);
    }
    ctx3 = make_ctx(3);
    return 0;
}

/* Each result as pycocotools gets it from json.load. */
static void same_as_python(const uint8_t *data, size_t size, const maskeval_gt *gt,
                           const maskeval_dets *d)
{
    pj *root = pj_parse(data, size);
    size_t i = 0;
    FUZZ_CHECK(root != NULL && root->type == PJ_ARR, "results loaded from a file json.load refuses");
    FUZZ_CHECK(root->n == d->n, "%zu results loaded, json.load sees %zu", d->n, root->n);
    for (const pj *r = root->child; r != NULL; r = r->next, i++) {
        const pj *img = pj_get(r, "image_id"), *cat = pj_get(r, "category_id");
        const pj *score = pj_get(r, "score"), *bbox = pj_get(r, "bbox");
        FUZZ_CHECK(pj_int_ok(img) && (double)gt->img_id[d->img[i]] == img->num,
                   "result %zu: image_id %.17g, loaded %lld", i, img != NULL ? img->num : -1.0,
                   (long long)gt->img_id[d->img[i]]);
        FUZZ_CHECK(pj_int_ok(cat) && (double)d->cat_id[i] == cat->num,
                   "result %zu: category_id %.17g, loaded %lld", i, cat != NULL ? cat->num : -1.0,
                   (long long)d->cat_id[i]);
        FUZZ_CHECK(score != NULL && score->type == PJ_NUM && score->num == d->score[i],
                   "result %zu: score %.17g, loaded %.17g", i, score != NULL ? score->num : -1.0,
                   d->score[i]);
        if (bbox != NULL && bbox->type == PJ_ARR && bbox->n == 4) {
            /* either branch takes a given 4-number box as it is */
            const pj *b = bbox->child;
            for (int j = 0; j < 4; j++, b = b->next) {
                FUZZ_CHECK(b->type == PJ_NUM && b->num == d->bbox[4 * i + j],
                           "result %zu: bbox[%d] %.17g, loaded %.17g", i, j, b->num,
                           d->bbox[4 * i + j]);
            }
        } else if (d->bbox_branch) {
            FUZZ_CHECK(0, "result %zu: loaded in the bbox branch without a 4-number bbox", i);
        }
    }
    pj_free(root);
}

typedef struct outcome {
    int ok;
    double stats[12];
    double *arr[3];
    size_t n[3];
} outcome;

static void outcome_free(outcome *o)
{
    for (int i = 0; i < 3; i++) {
        free(o->arr[i]);
    }
    memset(o, 0, sizeof(*o));
}

/* Evaluates (checked by fuzz_evaluate's rules) and keeps stats and arrays. */
static maskeval_status run_eval(maskeval_ctx *ctx, const maskeval_gt *gt, const maskeval_dets *d,
                                const maskeval_coco_params *p, outcome *o)
{
    maskeval_coco_result *res = NULL;
    maskeval_status st = maskeval_coco_evaluate(ctx, gt, d, p, &res);
    memset(o, 0, sizeof(*o));
    FUZZ_CHECK(st == MASKEVAL_OK || st == MASKEVAL_ERR_INVALID_ARG || st == MASKEVAL_ERR_LIMIT,
               "maskeval_coco_evaluate: status %d: %s", (int)st, maskeval_errmsg(ctx));
    if (res == NULL) {
        return st;
    }
    fuzz_check_result(res, p);
    o->ok = 1;
    maskeval_coco_result_stats(res, o->stats);
    for (int i = 0; i < 3; i++) {
        maskeval_coco_result_array(res, (maskeval_coco_array)i, NULL, 0, &o->n[i]);
        o->arr[i] = fuzz_xmalloc((o->n[i] + 1) * sizeof(double));
        maskeval_coco_result_array(res, (maskeval_coco_array)i, o->arr[i], o->n[i], &o->n[i]);
    }
    maskeval_coco_result_destroy(res);
    return st;
}

static void same_outcome(const outcome *a, const outcome *b, const char *what)
{
    FUZZ_CHECK(a->ok && b->ok, "%s: one evaluation failed", what);
    for (int i = 0; i < 12; i++) {
        FUZZ_CHECK(memcmp(&a->stats[i], &b->stats[i], sizeof(double)) == 0,
                   "%s: stats[%d] %.17g vs %.17g", what, i, a->stats[i], b->stats[i]);
    }
    for (int k = 0; k < 3; k++) {
        FUZZ_CHECK(a->n[k] == b->n[k], "%s: array %d size", what, k);
        for (size_t i = 0; i < a->n[k]; i++) {
            FUZZ_CHECK(memcmp(&a->arr[k][i], &b->arr[k][i], sizeof(double)) == 0,
                       "%s: array %d [%zu]: %.17g vs %.17g", what, k, i, a->arr[k][i],
                       b->arr[k][i]);
        }
    }
}

/* Custom parameters, variant v. Arrays are static: they outlive the call. */
static void custom_params(unsigned v, maskeval_coco_params *p)
{
    static const int64_t md_a[] = {1, 1, 1};
    static const int64_t md_b[] = {500, 3, 1, 2};
    static const int64_t md_c[] = {1, 10, 100, 4294967295ll};
    static const double thr_a[] = {0.5};
    static const double thr_b[] = {0.0, 1.0, 0.75, 0.5};
    static const double thr_c[] = {-1.0, 2.0, 1e300};
    static const double area_a[] = {0, 1e10, 0, 0, 1e10, 0, -5, 5};
    static const double area_b[] = {0, 100, 50, 200, 0, 1e300, 2100, 2100};
    static const int64_t img_a[] = {7, 1, 12345, 7};
    static const int64_t cat_a[] = {3, 3, 1, 99};
    static const int64_t none[1] = {0};
    switch (v % 12) {
    case 0:
        p->use_cats = 0;
        break;
    case 1:
        p->max_dets = md_a;
        p->n_max_dets = 3;
        break;
    case 2:
        p->max_dets = md_b;
        p->n_max_dets = 4;
        p->use_cats = (v >> 4) & 1;
        break;
    case 3:
        p->max_dets = md_c;
        p->n_max_dets = 4;
        break;
    case 4:
        p->iou_thrs = thr_a;
        p->n_iou_thrs = 1;
        break;
    case 5:
        p->iou_thrs = thr_b;
        p->n_iou_thrs = 4;
        break;
    case 6:
        p->iou_thrs = thr_c;
        p->n_iou_thrs = 3;
        break;
    case 7:
        p->area_rng = (v >> 4) & 1 ? area_a : area_b;
        break;
    case 8:
        p->img_ids = img_a;
        p->n_img_ids = 4;
        break;
    case 9:
        p->cat_ids = cat_a;
        p->n_cat_ids = 4;
        p->use_cats = (v >> 4) & 1;
        break;
    case 10:
        p->img_ids = none;
        p->n_img_ids = 0;
        break;
    default:
        p->cat_ids = none;
        p->n_cat_ids = 0;
        p->use_cats = (v >> 4) & 1;
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    maskeval_ctx *ctx = fuzz_ctx();
    maskeval_dets *dets[3] = {NULL, NULL, NULL};
    outcome o[3][2];
    uint64_t sel;
    int json_checked = 0;
    if (size > 1 << 20) {
        return -1;
    }
    sel = fuzz_hash(data, size);
    memset(o, 0, sizeof(o));
    for (int f = 0; f < 3; f++) {
        maskeval_status st = maskeval_dets_load_buffer(ctx, gts[f], "dt.json", (const char *)data,
                                                       size, &dets[f]);
        if (st != MASKEVAL_OK) {
            FUZZ_CHECK(st == MASKEVAL_ERR_PARSE || st == MASKEVAL_ERR_LIMIT,
                       "load status %d: %s", (int)st, maskeval_errmsg(ctx));
            FUZZ_CHECK(dets[f] == NULL, "failed load left *out set");
            FUZZ_CHECK(maskeval_errmsg(ctx)[0] != '\0', "failure without a message");
            continue;
        }
        fuzz_check_dets(gts[f], dets[f]);
        if (!json_checked && fuzz_strict_json() && !fuzz_skip_known_keys(data, size)) {
            same_as_python(data, size, gts[f], dets[f]);
            json_checked = 1;
        }
        for (int t = 0; t < 2; t++) {
            maskeval_coco_params p;
            maskeval_status est;
            int loaded = (flag_sets[f] & (t == 0 ? MASKEVAL_LOAD_SEGM : MASKEVAL_LOAD_BBOX)) != 0;
            maskeval_coco_params_init(&p);
            p.iou_type = t == 0 ? MASKEVAL_IOU_SEGM : MASKEVAL_IOU_BBOX;
            est = run_eval(ctx, gts[f], dets[f], &p, &o[f][t]);
            FUZZ_CHECK((est == MASKEVAL_OK) == loaded, "default evaluation: status %d: %s",
                       (int)est, maskeval_errmsg(ctx));
        }
    }
    /* one flag or both: the same numbers */
    if (o[0][0].ok && o[1][0].ok) {
        same_outcome(&o[0][0], &o[1][0], "segm, SEGM|BBOX vs SEGM");
    }
    if (o[0][1].ok && o[2][1].ok) {
        same_outcome(&o[0][1], &o[2][1], "bbox, SEGM|BBOX vs BBOX");
    }

    if (dets[0] != NULL && (sel & 3) == 0) {
        for (int t = 0; t < 2; t++) {
            maskeval_coco_params p;
            outcome c;
            maskeval_coco_params_init(&p);
            p.iou_type = t == 0 ? MASKEVAL_IOU_SEGM : MASKEVAL_IOU_BBOX;
            custom_params((unsigned)(sel >> 8), &p);
            run_eval(ctx, gts[0], dets[0], &p, &c);
            FUZZ_CHECK(c.ok, "custom parameters %u refused: %s", (unsigned)((sel >> 8) % 12),
                       maskeval_errmsg(ctx));
            outcome_free(&c);
        }
    }
    if (dets[0] != NULL && (sel >> 2) % 8 == 1) {
        /* worker threads: loading and evaluating must not depend on them */
        maskeval_dets *d3 = NULL;
        FUZZ_CHECK(maskeval_dets_load_buffer(ctx3, gts[0], "dt.json", (const char *)data, size,
                                             &d3) == MASKEVAL_OK,
                   "3 threads: load failed: %s", maskeval_errmsg(ctx3));
        for (int t = 0; t < 2; t++) {
            maskeval_coco_params p;
            outcome c;
            maskeval_coco_params_init(&p);
            p.iou_type = t == 0 ? MASKEVAL_IOU_SEGM : MASKEVAL_IOU_BBOX;
            run_eval(ctx3, gts[0], d3, &p, &c);
            same_outcome(&o[0][t], &c, "1 thread vs 3 threads");
            outcome_free(&c);
        }
        maskeval_dets_destroy(d3);
    }
    for (int f = 0; f < 3; f++) {
        for (int t = 0; t < 2; t++) {
            outcome_free(&o[f][t]);
        }
        maskeval_dets_destroy(dets[f]);
    }
    return 0;
}
