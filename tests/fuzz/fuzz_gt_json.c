/*
 * fuzz_gt_json.c - COCO ground-truth loading (src/io/gt_load.c,
 * json_scan.c, json_elements.c, segm_parse.c, maskset.c) and evaluation
 * against whatever loads.
 *
 * Input: JSON text (a ground-truth file). It is loaded three times, with
 * MASKEVAL_LOAD_SEGM, _BBOX and both. Every load must succeed or fail with
 * MASKEVAL_ERR_PARSE / _LIMIT and a message; a loaded ground truth is
 * checked for consistency (fuzz_dataset.h), then a small valid results
 * array is made for it (on its own images and categories, options picked
 * by a hash of the input), which must load, and maskeval_coco_evaluate runs
 * for every IoU type the load prepared (its result checked by fuzz_eval.h)
 * and must refuse the other one. A fourth load reads it as an LVIS file
 * (MASKEVAL_LOAD_LVIS); what loads is evaluated as LVIS (standard, Fixed AP
 * or AP-pool, caps picked by the hash) and its 13 results and summary lines
 * are checked. A ground truth that loads must also be a
 * file json.load reads (pycocotools could not read it otherwise), and what
 * was loaded must be what pycocotools gets from json.load (fuzz_pyjson.h:
 * the last member of a repeated key, keys compared after unescaping with
 * their NULs, the last image / category of an id, every annotation field).
 * MASKEVAL_FUZZ_ALLOW_BAD_JSON=1 turns these checks off (to fuzz past known
 * findings, see README.md).
 */
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "fuzz_dataset.h"
#include "fuzz_eval.h"
#include "fuzz_pyjson.h"
#include "fuzz_strbuf.h"
#include "rle/rle.h"

static void log_sink(void *user, int level, const char *msg)
{
    (void)user;
    (void)level;
    FUZZ_CHECK(msg != NULL && strlen(msg) < 4096, "log message");
}

static maskeval_ctx *ctx_with_log(void)
{
    static maskeval_ctx *ctx;
    if (ctx == NULL) {
        maskeval_options o;
        maskeval_options_init(&o);
        o.backend = MASKEVAL_BACKEND_CPU;
        o.threads = 1;
        o.log_fn = log_sink;
        if (maskeval_ctx_create(&o, &ctx) != MASKEVAL_OK) {
            abort();
        }
    }
    return ctx;
}

/* A results array for gt: up to 4 results on its images, mask results
 * (compressed RLE) when only masks were loaded, box results otherwise, with
 * a compressed RLE on some of them when masks were loaded too. */
static void make_results(const maskeval_gt *gt, uint64_t sel, fuzz_sb *out)
{
    size_t nres = gt->n_img == 0 ? 0 : 1 + sel % 4;
    int masks = (gt->flags & MASKEVAL_LOAD_SEGM) != 0;
    int boxes = (gt->flags & MASKEVAL_LOAD_BBOX) != 0;
    fuzz_sb_printf(out, "[");
    for (size_t r = 0; r < nres; r++) {
        uint64_t s = sel * 6364136223846793005ull + 1442695040888963407ull * (r + 1);
        size_t ii = (size_t)((s >> 7) % gt->n_img);
        uint32_t h = gt->img_h[ii], w = gt->img_w[ii];
        int64_t cat = gt->n_cat > 0 && (s >> 40) % 8 != 0 ? gt->cat_id[(s >> 13) % gt->n_cat]
                                                          : (int64_t)((s >> 20) % 5);
        fuzz_sb_printf(out, "%s{\"image_id\":%lld,\"category_id\":%lld,\"score\":%g", r ? "," : "",
                       (long long)gt->img_id[ii], (long long)cat, (double)((s >> 24) % 1000) / 999.0);
        if (boxes) {
            /* small enough that the box polygon stays within the rasterizer's limit */
            uint32_t cw = w < 100000 ? w : 100000, ch = h < 100000 ? h : 100000;
            if (cw == 0 || ch == 0) {
                cw = ch = 64; /* an image without a size (bbox only) */
            }
            double x = (double)((s >> 3) % cw), y = (double)((s >> 11) % ch);
            double bw = (double)(1 + (s >> 19) % cw), bh = (double)(1 + (s >> 29) % ch);
            fuzz_sb_printf(out, ",\"bbox\":[%g,%g,%g,%g]", x + ((s >> 50) & 1 ? 0.5 : 0), y, bw,
                           bh);
        }
        if (masks && (!boxes || (s >> 33) % 2 == 0)) {
            uint64_t npix = (uint64_t)h * w;
            uint32_t c[3];
            size_t n = 0;
            char enc[3 * 7 + 1];
            c[0] = (uint32_t)((s >> 5) % npix);
            c[1] = (uint32_t)(1 + (s >> 37) % (npix - c[0]));
            c[2] = (uint32_t)(npix - c[0] - c[1]);
            n = c[2] > 0 ? 3 : 2;
            n = maskeval_rle_str_encode(c, n, enc);
            fuzz_sb_printf(out, ",\"segmentation\":{\"size\":[%u,%u],\"counts\":", h, w);
            fuzz_sb_json_str(out, enc, n);
            fuzz_sb_printf(out, "}");
        }
        fuzz_sb_printf(out, "}");
    }
    fuzz_sb_printf(out, "]");
}

static int same_num(double a, double b)
{
    return memcmp(&a, &b, sizeof(a)) == 0 || (a == b); /* -0 == 0 as in Python */
}

/* What was loaded must be what pycocotools gets from json.load: the last
 * "images" / "categories" / "annotations" member (keys compared after
 * unescaping, NULs included), the last entry of every image / category id,
 * and every annotation's fields. */
static void same_as_python(const uint8_t *data, size_t size, const maskeval_gt *gt)
{
    pj *root = pj_parse(data, size);
    const pj *images, *cats, *anns;
    size_t distinct = 0, i = 0;
    FUZZ_CHECK(root != NULL, "ground truth loaded from a file json.load refuses");
    images = pj_get(root, "images");
    cats = pj_get(root, "categories");
    anns = pj_get(root, "annotations");
    FUZZ_CHECK(images != NULL && images->type == PJ_ARR && cats != NULL && cats->type == PJ_ARR,
               "loaded, but json.load's last \"images\" / \"categories\" is not an array");
    for (const pj *im = images->child; im != NULL; im = im->next) {
        const pj *id = pj_get(im, "id"), *h = pj_get(im, "height"), *w = pj_get(im, "width");
        int32_t k;
        int last = 1;
        /* bbox alone reads no size: both absent-or-either-absent is 0 x 0 */
        const int sizeless = !(gt->flags & MASKEVAL_LOAD_SEGM) && (h == NULL || w == NULL);
        FUZZ_CHECK(pj_int_ok(id) && (sizeless || (pj_int_ok(h) && pj_int_ok(w))),
                   "image without integer fields");
        for (const pj *later = im->next; later != NULL; later = later->next) {
            const pj *lid = pj_get(later, "id");
            last &= !(lid != NULL && lid->type == PJ_NUM && lid->num == id->num);
        }
        if (!last) {
            continue;
        }
        distinct++;
        k = maskeval_gt_find_image(gt, (int64_t)id->num);
        FUZZ_CHECK(k >= 0 && gt->img_h[k] == (sizeless ? 0 : h->num) &&
                       gt->img_w[k] == (sizeless ? 0 : w->num),
                   "image %.17g: json.load says %gx%g, loaded %s", id->num,
                   sizeless ? 0 : h->num, sizeless ? 0 : w->num, k >= 0 ? "another size" : "nothing");
    }
    FUZZ_CHECK(distinct == gt->n_img, "%zu distinct image ids, %zu loaded", distinct, gt->n_img);
    distinct = 0;
    for (const pj *c = cats->child; c != NULL; c = c->next) {
        const pj *id = pj_get(c, "id"), *name = pj_get(c, "name");
        const char *mine;
        int last = 1;
        FUZZ_CHECK(pj_int_ok(id), "category without an integer id");
        for (const pj *later = c->next; later != NULL; later = later->next) {
            const pj *lid = pj_get(later, "id");
            last &= !(lid != NULL && lid->type == PJ_NUM && lid->num == id->num);
        }
        if (!last) {
            continue;
        }
        distinct++;
        mine = maskeval_gt_category_name(gt, (int64_t)id->num);
        FUZZ_CHECK(mine != NULL, "category %.17g not loaded", id->num);
        if (name != NULL && name->type == PJ_STR && memchr(name->s, 0, name->slen) == NULL) {
            FUZZ_CHECK(strlen(mine) == name->slen && memcmp(mine, name->s, name->slen) == 0,
                       "category %.17g: name differs from json.load's", id->num);
        }
    }
    FUZZ_CHECK(distinct == gt->n_cat, "%zu distinct category ids, %zu loaded", distinct,
               gt->n_cat);
    FUZZ_CHECK((anns != NULL && anns->type == PJ_ARR ? anns->n : 0) == gt->n_ann,
               "%zu annotations loaded, json.load's last \"annotations\" has %zu", gt->n_ann,
               anns != NULL ? anns->n : 0);
    for (const pj *a = anns != NULL ? anns->child : NULL; a != NULL; a = a->next, i++) {
        const pj *id = pj_get(a, "id"), *img = pj_get(a, "image_id");
        const pj *cat = pj_get(a, "category_id"), *area = pj_get(a, "area");
        const pj *crowd = pj_get(a, "iscrowd"), *bbox = pj_get(a, "bbox");
        FUZZ_CHECK(pj_int_ok(id) && (double)gt->ann_id[i] == id->num, "annotation %zu: id", i);
        FUZZ_CHECK(pj_int_ok(cat) && (double)gt->ann_cat_id[i] == cat->num,
                   "annotation %zu: category_id %.17g, loaded %lld", i,
                   cat != NULL ? cat->num : -1.0, (long long)gt->ann_cat_id[i]);
        FUZZ_CHECK(pj_int_ok(img), "annotation %zu: image_id", i);
        if (gt->ann_img[i] >= 0) {
            FUZZ_CHECK((double)gt->img_id[gt->ann_img[i]] == img->num,
                       "annotation %zu: image_id %.17g, loaded %lld", i, img->num,
                       (long long)gt->img_id[gt->ann_img[i]]);
        } else {
            FUZZ_CHECK(maskeval_gt_find_image(gt, (int64_t)img->num) < 0,
                       "annotation %zu: image %.17g exists but was not linked", i, img->num);
        }
        FUZZ_CHECK(area != NULL && area->type == PJ_NUM && same_num(area->num, gt->ann_area[i]),
                   "annotation %zu: area %.17g, loaded %.17g", i, area != NULL ? area->num : -1.0,
                   gt->ann_area[i]);
        FUZZ_CHECK(crowd != NULL && (crowd->type == PJ_NUM || crowd->type == PJ_TRUE ||
                                     crowd->type == PJ_FALSE),
                   "annotation %zu: iscrowd", i);
        FUZZ_CHECK(gt->ann_crowd[i] == (crowd->type == PJ_TRUE ||
                                        (crowd->type == PJ_NUM && crowd->num != 0)),
                   "annotation %zu: iscrowd", i);
        if (gt->flags & MASKEVAL_LOAD_BBOX) {
            const pj *b = bbox != NULL && bbox->type == PJ_ARR && bbox->n == 4 ? bbox->child : NULL;
            FUZZ_CHECK(b != NULL, "annotation %zu: bbox", i);
            for (int j = 0; j < 4; j++, b = b->next) {
                FUZZ_CHECK(b->type == PJ_NUM && same_num(b->num, gt->ann_bbox[4 * i + j]),
                           "annotation %zu: bbox[%d] %.17g, loaded %.17g", i, j, b->num,
                           gt->ann_bbox[4 * i + j]);
            }
        }
    }
    pj_free(root);
}

static void evaluate_all(maskeval_ctx *ctx, const maskeval_gt *gt, uint64_t sel)
{
    fuzz_sb res = {0};
    maskeval_dets *dets = NULL;
    maskeval_status st;
    make_results(gt, sel, &res);
    st = maskeval_dets_load_buffer(ctx, gt, "dt.json", res.s, res.n, &dets);
    FUZZ_CHECK(st == MASKEVAL_OK, "valid results refused: %s\n  results: %.*s",
               maskeval_errmsg(ctx), (int)(res.n < 2000 ? res.n : 2000), res.s);
    fuzz_check_dets(gt, dets);
    for (int t = 0; t < 2; t++) {
        maskeval_coco_params p;
        int loaded = (gt->flags & (t == 0 ? MASKEVAL_LOAD_SEGM : MASKEVAL_LOAD_BBOX)) != 0;
        maskeval_coco_params_init(&p);
        p.iou_type = t == 0 ? MASKEVAL_IOU_SEGM : MASKEVAL_IOU_BBOX;
        p.use_cats = (sel >> 60) % 4 != 0;
        st = fuzz_evaluate(ctx, gt, dets, &p);
        if (loaded) {
            FUZZ_CHECK(st == MASKEVAL_OK, "evaluation failed: %s", maskeval_errmsg(ctx));
        } else {
            FUZZ_CHECK(st == MASKEVAL_ERR_INVALID_ARG, "evaluated an IoU type not loaded");
        }
    }
    maskeval_dets_destroy(dets);
    fuzz_sb_free(&res);
}

/* The same input as an LVIS file: a load either fails with a message or gives
 * an evaluation (standard, Fixed AP or AP-pool) whose 13 results read back and
 * whose summary has lvis-api's 13 lines (4 more with AP-pool). */
static void lvis_load_evaluate(maskeval_ctx *ctx, const uint8_t *data, size_t size, uint64_t sel)
{
    const unsigned flags = MASKEVAL_LOAD_SEGM | MASKEVAL_LOAD_BBOX | MASKEVAL_LOAD_LVIS;
    maskeval_gt *gt = NULL;
    maskeval_dets *dets = NULL;
    fuzz_sb res = {0};
    maskeval_status st = maskeval_gt_load_buffer(ctx, "gt.json", (const char *)data, size, flags,
                                                 &gt);
    if (st != MASKEVAL_OK) {
        FUZZ_CHECK(st == MASKEVAL_ERR_PARSE || st == MASKEVAL_ERR_LIMIT, "LVIS load status %d: %s",
                   (int)st, maskeval_errmsg(ctx));
        FUZZ_CHECK(gt == NULL && maskeval_errmsg(ctx)[0] != '\0', "LVIS load failure");
        return;
    }
    make_results(gt, sel, &res);
    st = maskeval_dets_load_buffer(ctx, gt, "dt.json", res.s, res.n, &dets);
    FUZZ_CHECK(st == MASKEVAL_OK, "valid results refused (LVIS): %s", maskeval_errmsg(ctx));
    for (int t = 0; t < 2; t++) {
        maskeval_coco_params p;
        maskeval_coco_result *r = NULL;
        double v[13], pooled[4];
        maskeval_coco_params_init(&p);
        p.iou_type = t == 0 ? MASKEVAL_IOU_SEGM : MASKEVAL_IOU_BBOX;
        p.lvis = 1;
        p.lvis_max_dets = (int64_t)((sel >> 8) % 5) - 1; /* -1 .. 3 */
        p.lvis_ap = (int)((sel >> 16) % 3);
        p.lvis_dets_per_cat = 1 + (int64_t)((sel >> 24) % 4);
        st = maskeval_coco_evaluate(ctx, gt, dets, &p, &r);
        FUZZ_CHECK(st == MASKEVAL_OK, "LVIS evaluation failed: %s", maskeval_errmsg(ctx));
        FUZZ_CHECK(maskeval_coco_result_is_lvis(r) && maskeval_lvis_result_stats(r, v) ==
                       MASKEVAL_OK, "LVIS results");
        for (int i = 0; i < 13; i++) {
            FUZZ_CHECK(v[i] == -1 || (v[i] >= 0 && v[i] <= 1), "LVIS result %d = %g", i, v[i]);
        }
        FUZZ_CHECK((maskeval_lvis_result_pooled(r, pooled) == MASKEVAL_OK) ==
                       (p.lvis_ap == MASKEVAL_LVIS_AP_POOLED), "pooled results");
        {
            size_t len = 0, n = 0, lines = 0;
            char *sum;
            (void)maskeval_coco_result_summary(r, NULL, 0, &len);
            sum = fuzz_xmalloc(len + 1);
            FUZZ_CHECK(maskeval_coco_result_summary(r, sum, len + 1, &n) == MASKEVAL_OK &&
                           n == len, "LVIS summary");
            for (size_t i = 0; i < len; i++) {
                lines += sum[i] == '\n';
            }
            FUZZ_CHECK(lines == (p.lvis_ap == MASKEVAL_LVIS_AP_POOLED ? 17u : 13u),
                       "LVIS summary has %zu lines", lines);
            free(sum);
        }
        maskeval_coco_result_destroy(r);
    }
    maskeval_dets_destroy(dets);
    maskeval_gt_destroy(gt);
    fuzz_sb_free(&res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned flag_sets[3] = {MASKEVAL_LOAD_SEGM | MASKEVAL_LOAD_BBOX,
                                          MASKEVAL_LOAD_SEGM, MASKEVAL_LOAD_BBOX};
    maskeval_ctx *ctx = ctx_with_log();
    uint64_t sel;
    int checked_json = 0;
    if (size > 1 << 20) {
        return -1;
    }
    sel = fuzz_hash(data, size);
    for (int f = 0; f < 3; f++) {
        maskeval_gt *gt = (maskeval_gt *)(uintptr_t)1;
        maskeval_status st =
            maskeval_gt_load_buffer(ctx, "gt.json", (const char *)data, size, flag_sets[f], &gt);
        if (st != MASKEVAL_OK) {
            FUZZ_CHECK(st == MASKEVAL_ERR_PARSE || st == MASKEVAL_ERR_LIMIT,
                       "load status %d: %s", (int)st, maskeval_errmsg(ctx));
            FUZZ_CHECK(gt == NULL, "failed load left *out set");
            FUZZ_CHECK(maskeval_errmsg(ctx)[0] != '\0', "failure without a message");
            continue;
        }
        FUZZ_CHECK(gt != NULL && gt->flags == flag_sets[f], "loaded gt");
        if (!checked_json && fuzz_strict_json() && !fuzz_skip_known_keys(data, size)) {
            same_as_python(data, size, gt);
            checked_json = 1;
        }
        fuzz_check_gt(gt);
        evaluate_all(ctx, gt, sel);
        maskeval_gt_destroy(gt);
    }
    lvis_load_evaluate(ctx, data, size, sel);
    return 0;
}
