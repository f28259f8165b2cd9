/*
 * results_load.c - COCO results (a JSON array) with pycocotools' loadRes
 * semantics.
 *
 * The FIRST result decides the branch:
 *  - it has a non-empty "bbox": every result needs a box; area = w*h (also
 *    for segm evaluation: cocoapi#36); a missing segmentation becomes the
 *    box's 4-corner polygon;
 *  - else it has "segmentation": masks must be compressed RLE; area is the
 *    mask's pixel count and a missing box is toBbox(mask).
 * Results on images absent from the ground truth are refused, as
 * pycocotools asserts. Stricter than pycocotools: non-finite scores or boxes
 * and masks of the wrong size are refused instead of being evaluated.
 */
#include <stdio.h>
#include <string.h>

#include "io/dataset.h"
#include "io/file_read.h"
#include "io/json_util.h"
#include "io/segm_parse.h"
#include "raster/poly.h"
#include "rle/rle.h"

size_t maskeval_dets_count(const maskeval_dets *dets)
{
    return dets != NULL ? dets->n : 0;
}

void maskeval_dets_destroy(maskeval_dets *d)
{
    maskeval_alloc copy;
    if (d == NULL) {
        return;
    }
    copy = d->alloc;
    maskeval_free(&copy, d->img);
    maskeval_free(&copy, d->cat_id);
    maskeval_free(&copy, d->score);
    maskeval_free(&copy, d->area);
    maskeval_free(&copy, d->bbox);
    maskeval_maskset_free(&copy, &d->masks);
    maskeval_free(&copy, d);
}

static int is_empty_array(const cJSON *j)
{
    return cJSON_IsArray(j) && j->child == NULL;
}

static maskeval_status alloc_dets(maskeval_ctx *ctx, maskeval_dets *d, size_t n)
{
    const maskeval_alloc *a = &ctx->alloc;
    d->img = maskeval_calloc(a, n, sizeof(int32_t));
    d->cat_id = maskeval_calloc(a, n, sizeof(int64_t));
    d->score = maskeval_calloc(a, n, sizeof(double));
    d->area = maskeval_calloc(a, n, sizeof(double));
    d->bbox = maskeval_calloc(a, n, 4 * sizeof(double));
    if (d->img == NULL || d->cat_id == NULL || d->score == NULL || d->area == NULL ||
        d->bbox == NULL) {
        return maskeval_nomem(ctx, "reading results");
    }
    if ((d->flags & MASKEVAL_LOAD_SEGM) && maskeval_maskset_init(a, &d->masks, n) != MASKEVAL_OK) {
        return maskeval_nomem(ctx, "reading results");
    }
    return MASKEVAL_OK;
}

/* The mask of result i in the bbox branch (segm evaluation only). */
static maskeval_status bbox_branch_mask(maskeval_ctx *ctx, maskeval_dets *d, size_t i,
                                        const cJSON *res, uint32_t h, uint32_t w,
                                        maskeval_segm_scratch *scr, const char *file,
                                        const char *where)
{
    const cJSON *segm = maskeval_json_member(res, "segmentation");
    const char *str = NULL;
    size_t str_len = 0;
    maskeval_status st;

    if (segm == NULL) {
        /* loadRes: [[x1, y1, x1, y2, x2, y2, x2, y1]] from the box. */
        const double *b = d->bbox + 4 * i;
        double x1 = b[0], x2 = b[0] + b[2], y1 = b[1], y2 = b[1] + b[3];
        double poly[8] = {x1, y1, x1, y2, x2, y2, x2, y1};
        st = maskeval_poly_rasterize(&ctx->alloc, poly, 4, h, w, &scr->idx, &scr->counts);
        if (st == MASKEVAL_ERR_LIMIT) {
            return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                                 "%s: %s: bbox: beyond +-%.0f pixels, cannot rasterize it", file,
                                 where, MASKEVAL_POLY_COORD_LIMIT);
        }
    } else {
        st = maskeval_segm_parse(ctx, segm, h, w,
                                 MASKEVAL_SEGM_POLY | MASKEVAL_SEGM_URLE | MASKEVAL_SEGM_CRLE, scr,
                                 file, where, &str, &str_len);
        if (st != MASKEVAL_OK) {
            return st;
        }
    }
    if (st == MASKEVAL_OK) {
        st = maskeval_maskset_put(&ctx->alloc, &d->masks, i, scr->counts.v, scr->counts.n, h, w,
                                  str, str_len);
    }
    return st == MASKEVAL_OK ? st : maskeval_nomem(ctx, "storing masks");
}

/* Result i in the segm branch: area and (missing) box from the mask. */
static maskeval_status segm_branch_mask(maskeval_ctx *ctx, maskeval_dets *d, size_t i,
                                        const cJSON *res, uint32_t h, uint32_t w,
                                        maskeval_segm_scratch *scr, const char *file,
                                        const char *where)
{
    const cJSON *segm = maskeval_json_member(res, "segmentation");
    const cJSON *box = maskeval_json_member(res, "bbox");
    const char *str = NULL;
    size_t str_len = 0;
    maskeval_status st;

    if (segm == NULL) {
        return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                             "%s: %s: segmentation: missing (the first result has a "
                             "segmentation and no bbox, so every result needs a mask)",
                             file, where);
    }
    st = maskeval_segm_parse(ctx, segm, h, w, MASKEVAL_SEGM_CRLE, scr, file, where, &str,
                             &str_len);
    if (st != MASKEVAL_OK) {
        return st;
    }
    d->area[i] = (double)maskeval_rle_area(scr->counts.v, scr->counts.n);
    if (box != NULL && !is_empty_array(box)) {
        if (!maskeval_json_box(box, d->bbox + 4 * i)) {
            return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                                 "%s: %s: bbox: expected [x, y, width, height] finite numbers",
                                 file, where);
        }
    } else {
        maskeval_rle_bbox(scr->counts.v, scr->counts.n, h, w, d->bbox + 4 * i);
    }
    if (d->flags & MASKEVAL_LOAD_SEGM) {
        st = maskeval_maskset_put(&ctx->alloc, &d->masks, i, scr->counts.v, scr->counts.n, h, w,
                                  str, str_len);
        if (st != MASKEVAL_OK) {
            return maskeval_nomem(ctx, "storing masks");
        }
    }
    return MASKEVAL_OK;
}

static maskeval_status load_results(maskeval_ctx *ctx, maskeval_dets *d, const maskeval_gt *gt,
                                    const cJSON *arr, const char *file)
{
    size_t i = 0;
    maskeval_segm_scratch scr;
    maskeval_status st = MASKEVAL_OK;

    memset(&scr, 0, sizeof(scr));
    for (const cJSON *res = arr->child; res != NULL; res = res->next, i++) {
        char where[48];
        const cJSON *j;
        int64_t img_id;
        int32_t img;
        uint32_t h, w;

        snprintf(where, sizeof(where), "result %zu", i);
        if (!cJSON_IsObject(res)) {
            st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE, "%s: %s: expected an object, got %s", file,
                               where, maskeval_json_type(res));
            goto done;
        }
        j = maskeval_json_member(res, "image_id");
        if (!maskeval_json_int(j, &img_id)) {
            st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                               "%s: %s: image_id: expected an integer, got %s", file, where,
                               maskeval_json_type(j));
            goto done;
        }
        img = maskeval_gt_find_image(gt, img_id);
        if (img < 0) {
            st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                               "%s: %s: image_id %lld is not an image of the ground truth "
                               "(pycocotools: \"Results do not correspond to current coco set\")",
                               file, where, (long long)img_id);
            goto done;
        }
        j = maskeval_json_member(res, "category_id");
        if (!maskeval_json_int(j, &d->cat_id[i])) {
            st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                               "%s: %s: category_id: expected an integer, got %s", file, where,
                               maskeval_json_type(j));
            goto done;
        }
        j = maskeval_json_member(res, "score");
        if (!maskeval_json_finite(j, &d->score[i])) {
            st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                               "%s: %s: score: expected a finite number, got %s", file, where,
                               maskeval_json_type(j));
            goto done;
        }
        d->img[i] = img;
        h = gt->img_h[img];
        w = gt->img_w[img];
        if (d->bbox_branch) {
            const double *b = d->bbox + 4 * i;
            if (!maskeval_json_box(maskeval_json_member(res, "bbox"), d->bbox + 4 * i)) {
                st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                                   "%s: %s: bbox: expected [x, y, width, height] finite numbers "
                                   "(the first result has a bbox, so every result needs one)",
                                   file, where);
                goto done;
            }
            d->area[i] = b[2] * b[3];
            if (d->flags & MASKEVAL_LOAD_SEGM) {
                st = bbox_branch_mask(ctx, d, i, res, h, w, &scr, file, where);
            }
        } else {
            st = segm_branch_mask(ctx, d, i, res, h, w, &scr, file, where);
        }
        if (st != MASKEVAL_OK) {
            goto done;
        }
    }
done:
    maskeval_segm_scratch_free(&ctx->alloc, &scr);
    return st;
}

maskeval_status maskeval_dets_load_buffer(maskeval_ctx *ctx, const maskeval_gt *gt,
                                          const char *name, const char *json, size_t len,
                                          maskeval_dets **out)
{
    cJSON *root = NULL;
    maskeval_dets *d = NULL;
    maskeval_status st;
    size_t n;

    if (out != NULL) {
        *out = NULL;
    }
    if (ctx == NULL || gt == NULL || out == NULL || (json == NULL && len != 0)) {
        return ctx != NULL ? maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                                           "maskeval_dets_load: invalid arguments")
                           : MASKEVAL_ERR_INVALID_ARG;
    }
    if (name == NULL) {
        name = "<results>";
    }
    st = maskeval_json_parse(ctx, name, json, len, &root);
    if (st != MASKEVAL_OK) {
        return st;
    }
    if (!cJSON_IsArray(root)) {
        st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                           "%s: expected a JSON array of results at the top level, got %s", name,
                           maskeval_json_type(root));
        goto done;
    }
    n = maskeval_json_count(root);
    if (n > INT32_MAX) {
        st = maskeval_fail(ctx, MASKEVAL_ERR_LIMIT, "%s: more than 2^31-1 results", name);
        goto done;
    }
    d = maskeval_calloc(&ctx->alloc, 1, sizeof(*d));
    if (d == NULL) {
        st = maskeval_nomem(ctx, "loading results");
        goto done;
    }
    d->alloc = ctx->alloc;
    d->gt = gt;
    d->flags = gt->flags;
    d->n = n;
    st = alloc_dets(ctx, d, n);
    if (st != MASKEVAL_OK) {
        goto done;
    }
    if (n > 0) {
        const cJSON *first = root->child, *box = maskeval_json_member(first, "bbox");
        if (!cJSON_IsObject(first)) {
            st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE, "%s: result 0: expected an object, got %s",
                               name, maskeval_json_type(first));
            goto done;
        }
        if (box != NULL && !is_empty_array(box)) {
            d->bbox_branch = 1;
        } else if (maskeval_json_member(first, "segmentation") == NULL) {
            st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                               "%s: result 0: has neither \"bbox\" nor \"segmentation\"", name);
            goto done;
        }
    }
    st = load_results(ctx, d, gt, root, name);
done:
    cJSON_Delete(root);
    if (st != MASKEVAL_OK) {
        maskeval_dets_destroy(d);
        d = NULL;
    }
    *out = d;
    return st;
}

maskeval_status maskeval_dets_load_file(maskeval_ctx *ctx, const maskeval_gt *gt, const char *path,
                                        maskeval_dets **out)
{
    char *buf = NULL;
    size_t len = 0;
    maskeval_status st;
    if (out != NULL) {
        *out = NULL;
    }
    if (ctx == NULL || gt == NULL || path == NULL || out == NULL) {
        return ctx != NULL ? maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                                           "maskeval_dets_load_file: invalid arguments")
                           : MASKEVAL_ERR_INVALID_ARG;
    }
    st = maskeval_file_read(ctx, path, &buf, &len);
    if (st == MASKEVAL_OK) {
        st = maskeval_dets_load_buffer(ctx, gt, path, buf, len, out);
    }
    maskeval_free(&ctx->alloc, buf);
    return st;
}
