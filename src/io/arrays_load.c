/*
 * arrays_load.c - ground truth and detections built from column arrays in
 * memory instead of JSON text (maskeval_gt_from_arrays,
 * maskeval_dets_from_arrays): what the Python package hands over at
 * evaluate() time, after it has applied pycocotools' own dict-level rules
 * (annToRLE, loadRes' area and box, the anns-dict lookup of repeated ids).
 *
 * The values are taken as given: area and box are never recomputed, masks
 * are compressed RLE strings of their image's size, validated and measured
 * here (area, runs, toBbox) the way the JSON loaders measure them.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/digest.h"
#include "core/sort.h"
#include "io/dataset.h"
#include "rle/rle.h"

/* Folds an array's bytes into a running digest. */
static uint64_t fold(uint64_t d, const void *p, size_t n)
{
    uint64_t pair[2];
    pair[0] = d;
    pair[1] = p != NULL && n > 0 ? maskeval_digest64(p, n) : 0;
    return maskeval_digest64(pair, sizeof(pair));
}

/* Copies the strings [off[0], off[n]) into ms (already initialised for n
 * masks) and measures mask i at h[i] x w[i]; `what` names the objects in
 * messages ("annotation" or "detection"). */
static maskeval_status store_masks(maskeval_ctx *ctx, maskeval_maskset *ms, size_t n,
                                   const char *pool, const uint64_t *off, const uint32_t *h,
                                   const uint32_t *w, const char *what)
{
    const maskeval_alloc *a = &ctx->alloc;
    const uint64_t base = n > 0 ? off[0] : 0, total = n > 0 ? off[n] - off[0] : 0;

    ms->pool = maskeval_malloc(a, total + 1);
    if (ms->pool == NULL) {
        return maskeval_nomem(ctx, "copying masks");
    }
    if (total > 0) {
        memcpy(ms->pool, pool + base, total);
    }
    ms->pool[total] = '\0';
    for (size_t i = 0; i < n; i++) {
        const uint64_t o = off[i] - base, len = off[i + 1] - off[i];
        maskeval_rle_stats stats;
        size_t at = 0, index = 0;
        maskeval_rle_strerr e;
        if (off[i + 1] < off[i] || off[i + 1] - base > total || len > UINT32_MAX) {
            return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                                 "%s %zu: mask offsets are not ascending", what, i);
        }
        e = maskeval_rle_str_scan(ms->pool + o, (size_t)len, h[i], w[i], &stats, &at, &index);
        if (e != MASKEVAL_RLE_STR_OK) {
            return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                                 "%s %zu: segmentation.counts: %s at byte %zu (count %zu) of a "
                                 "%ux%u mask",
                                 what, i, maskeval_rle_strerr_text(e), at, index, h[i], w[i]);
        }
        ms->off[i] = o;
        ms->len[i] = (uint32_t)len;
        ms->area[i] = stats.area;
        ms->runs[i] = stats.runs;
        memcpy(ms->box + 4 * i, stats.box, sizeof(stats.box));
    }
    return MASKEVAL_OK;
}

static maskeval_status gt_images(maskeval_ctx *ctx, maskeval_gt *gt, const maskeval_gt_arrays *in)
{
    const maskeval_alloc *a = &ctx->alloc;
    const size_t n = in->n_images;
    maskeval_id_index *v = maskeval_calloc(a, n + 1, sizeof(maskeval_id_index));
    maskeval_status st = MASKEVAL_OK;

    gt->img_id = maskeval_calloc(a, n + 1, sizeof(int64_t));
    gt->img_h = maskeval_calloc(a, n + 1, sizeof(uint32_t));
    gt->img_w = maskeval_calloc(a, n + 1, sizeof(uint32_t));
    gt->img_first = maskeval_calloc(a, n + 1, sizeof(uint32_t));
    if (v == NULL || gt->img_id == NULL || gt->img_h == NULL || gt->img_w == NULL ||
        gt->img_first == NULL) {
        st = maskeval_nomem(ctx, "building images");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        v[i].id = in->image_ids[i];
        v[i].index = (uint32_t)i;
    }
    qsort(v, n, sizeof(*v), maskeval_id_index_cmp);
    for (size_t i = 0; i < n; i++) {
        const uint32_t p = v[i].index;
        if (i > 0 && v[i - 1].id == v[i].id) {
            st = maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG, "image %u: id %lld repeats image %u",
                               p, (long long)v[i].id, v[i - 1].index);
            goto done;
        }
        gt->img_id[i] = v[i].id;
        gt->img_first[i] = p;
        gt->img_h[i] = in->heights != NULL ? in->heights[p] : 0;
        gt->img_w[i] = in->widths != NULL ? in->widths[p] : 0;
        if ((gt->flags & MASKEVAL_LOAD_SEGM) &&
            (gt->img_h[i] == 0 || gt->img_w[i] == 0 ||
             (uint64_t)gt->img_h[i] * gt->img_w[i] > UINT32_MAX)) {
            st = maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                               "image %u (id %lld): masks need a height and width whose product "
                               "is in [1, 2^32)",
                               p, (long long)v[i].id);
            goto done;
        }
    }
    gt->n_img = n;
done:
    maskeval_free(a, v);
    return st;
}

static maskeval_status gt_categories(maskeval_ctx *ctx, maskeval_gt *gt,
                                     const maskeval_gt_arrays *in)
{
    const maskeval_alloc *a = &ctx->alloc;
    const size_t n = in->n_categories;
    maskeval_id_index *v = maskeval_calloc(a, n + 1, sizeof(maskeval_id_index));
    const char **name = maskeval_calloc(a, n + 1, sizeof(char *));
    size_t names_len = 0;
    maskeval_status st = MASKEVAL_OK;

    if (v == NULL || name == NULL) {
        st = maskeval_nomem(ctx, "building categories");
        goto done;
    }
    for (size_t i = 0, o = 0; i < n; i++) {
        v[i].id = in->category_ids[i];
        v[i].index = (uint32_t)i;
        name[i] = in->category_names != NULL ? in->category_names + o : "";
        o += strlen(name[i]) + 1;
        names_len += strlen(name[i]) + 1;
    }
    qsort(v, n, sizeof(*v), maskeval_id_index_cmp);
    gt->cat_id = maskeval_calloc(a, n + 1, sizeof(int64_t));
    gt->cat_name_off = maskeval_calloc(a, n + 1, sizeof(uint32_t));
    gt->names = maskeval_malloc(a, names_len + 1);
    if (gt->cat_id == NULL || gt->cat_name_off == NULL || gt->names == NULL) {
        st = maskeval_nomem(ctx, "building categories");
        goto done;
    }
    names_len = 0;
    for (size_t i = 0; i < n; i++) {
        const size_t l = strlen(name[v[i].index]) + 1;
        if (i > 0 && v[i - 1].id == v[i].id) {
            st = maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                               "category %u: id %lld repeats category %u", v[i].index,
                               (long long)v[i].id, v[i - 1].index);
            goto done;
        }
        gt->cat_id[i] = v[i].id;
        gt->cat_name_off[i] = (uint32_t)names_len;
        memcpy(gt->names + names_len, name[v[i].index], l);
        names_len += l;
    }
    gt->n_cat = n;
done:
    maskeval_free(a, v);
    maskeval_free(a, name);
    return st;
}

/* Per annotation: its image, the alias of a repeated id (the last one wins,
 * as pycocotools' anns dict), and its mask's image size. */
static maskeval_status gt_annotations(maskeval_ctx *ctx, maskeval_gt *gt,
                                      const maskeval_gt_arrays *in)
{
    const maskeval_alloc *a = &ctx->alloc;
    const size_t n = in->n_annotations;
    const unsigned flags = gt->flags;
    uint32_t *h = NULL, *w = NULL;
    maskeval_status st = MASKEVAL_OK;

    gt->ann_id = maskeval_calloc(a, n + 1, sizeof(int64_t));
    gt->ann_img = maskeval_calloc(a, n + 1, sizeof(int32_t));
    gt->ann_cat_id = maskeval_calloc(a, n + 1, sizeof(int64_t));
    gt->ann_crowd = maskeval_calloc(a, n + 1, 1);
    gt->ann_area = maskeval_calloc(a, n + 1, sizeof(double));
    gt->ann_alias = maskeval_calloc(a, n + 1, sizeof(int32_t));
    if ((flags & MASKEVAL_LOAD_BBOX) &&
        (gt->ann_bbox = maskeval_calloc(a, n + 1, 4 * sizeof(double))) == NULL) {
        st = maskeval_nomem(ctx, "building annotations");
        goto done;
    }
    if (flags & MASKEVAL_LOAD_KEYPOINTS) {
        gt->n_kpt = in->n_keypoints;
        gt->ann_kpt = maskeval_calloc(a, 3 * gt->n_kpt * n + 1, sizeof(double));
        if (gt->ann_kpt == NULL) {
            st = maskeval_nomem(ctx, "building annotations");
            goto done;
        }
        if (n > 0) {
            memcpy(gt->ann_kpt, in->ann_keypoints, 3 * gt->n_kpt * n * sizeof(double));
        }
    }
    /* keypoints' ignore, or Boundary AP's (the annotations' own "ignore") */
    if ((flags & MASKEVAL_LOAD_KEYPOINTS) || in->ann_ignore != NULL) {
        gt->ann_ignore = maskeval_calloc(a, n + 1, 1);
        if (gt->ann_ignore == NULL) {
            st = maskeval_nomem(ctx, "building annotations");
            goto done;
        }
    }
    if (gt->ann_id == NULL || gt->ann_img == NULL || gt->ann_cat_id == NULL ||
        gt->ann_crowd == NULL || gt->ann_area == NULL || gt->ann_alias == NULL) {
        st = maskeval_nomem(ctx, "building annotations");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        gt->ann_id[i] = in->ann_ids[i];
        gt->ann_img[i] = maskeval_gt_find_image(gt, in->ann_image_ids[i]);
        gt->ann_cat_id[i] = in->ann_category_ids[i];
        gt->ann_crowd[i] = in->ann_iscrowd != NULL && in->ann_iscrowd[i] != 0;
        gt->ann_area[i] = in->ann_area[i];
        if (flags & MASKEVAL_LOAD_BBOX) {
            memcpy(gt->ann_bbox + 4 * i, in->ann_bbox + 4 * i, 4 * sizeof(double));
        }
        if (gt->ann_ignore != NULL) {
            gt->ann_ignore[i] = in->ann_ignore != NULL ? in->ann_ignore[i] != 0 : gt->ann_crowd[i];
        }
        if ((flags & MASKEVAL_LOAD_SEGM) && gt->ann_img[i] < 0) {
            st = maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                               "annotation %zu (id %lld): image_id %lld is not an image, so its "
                               "mask has no size",
                               i, (long long)in->ann_ids[i], (long long)in->ann_image_ids[i]);
            goto done;
        }
    }
    gt->n_ann = n;
    st = maskeval_gt_resolve_duplicate_ids(ctx, gt);
    if (st != MASKEVAL_OK) {
        goto done;
    }
    if (flags & MASKEVAL_LOAD_SEGM) {
        h = maskeval_calloc(a, n + 1, sizeof(uint32_t));
        w = maskeval_calloc(a, n + 1, sizeof(uint32_t));
        if (h == NULL || w == NULL || maskeval_maskset_init(a, &gt->masks, n) != MASKEVAL_OK) {
            st = maskeval_nomem(ctx, "building annotations");
            goto done;
        }
        for (size_t i = 0; i < n; i++) {
            h[i] = gt->img_h[gt->ann_img[i]];
            w[i] = gt->img_w[gt->ann_img[i]];
        }
        st = store_masks(ctx, &gt->masks, n, in->ann_rle, in->ann_rle_off, h, w, "annotation");
    }
done:
    maskeval_free(a, h);
    maskeval_free(a, w);
    return st;
}

/* *in with the fields a caller compiled against an older header left out
 * (struct_size smaller than today's) zeroed; 0 if struct_size is too small
 * to hold even the first release's fields. */
static int take_struct(void *dst, size_t cap, const void *in, size_t struct_size, size_t oldest)
{
    memset(dst, 0, cap);
    if (struct_size == 0 || struct_size > cap) {
        struct_size = cap;
    }
    if (struct_size < oldest) {
        return 0;
    }
    memcpy(dst, in, struct_size);
    return 1;
}

static int arrays_ok(const maskeval_gt_arrays *in, unsigned flags)
{
    if ((in->n_images > 0 && in->image_ids == NULL) ||
        (in->n_categories > 0 && in->category_ids == NULL)) {
        return 0;
    }
    if (in->n_annotations > 0 &&
        (in->ann_ids == NULL || in->ann_image_ids == NULL || in->ann_category_ids == NULL ||
         in->ann_area == NULL || ((flags & MASKEVAL_LOAD_BBOX) && in->ann_bbox == NULL) ||
         ((flags & MASKEVAL_LOAD_SEGM) && (in->ann_rle_off == NULL || in->ann_rle == NULL)) ||
         ((flags & MASKEVAL_LOAD_KEYPOINTS) && in->n_keypoints > 0 &&
          in->ann_keypoints == NULL))) {
        return 0;
    }
    if ((flags & MASKEVAL_LOAD_KEYPOINTS) &&
        (!(flags & MASKEVAL_LOAD_BBOX) || in->n_keypoints == 0 || in->n_keypoints > 4096)) {
        return 0;
    }
    return in->n_images <= INT32_MAX && in->n_annotations <= INT32_MAX &&
           in->n_categories <= UINT32_MAX;
}

maskeval_status maskeval_gt_from_arrays(maskeval_ctx *ctx, const maskeval_gt_arrays *user,
                                        unsigned flags, maskeval_gt **out)
{
    maskeval_gt *gt = NULL;
    maskeval_status st;
    uint64_t d = 0x6d61736b6576616cu; /* "maskeval" */
    maskeval_gt_arrays arr;
    const maskeval_gt_arrays *in = &arr;

    if (out == NULL) {
        return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG, "NULL output");
    }
    *out = NULL;
    if (user == NULL ||
        !take_struct(&arr, sizeof(arr), user, user->struct_size,
                     offsetof(maskeval_gt_arrays, n_keypoints)) ||
        !arrays_ok(in, flags) ||
        (flags & ~(unsigned)(MASKEVAL_LOAD_SEGM | MASKEVAL_LOAD_BBOX | MASKEVAL_LOAD_KEYPOINTS)) !=
            0 ||
        (flags & (MASKEVAL_LOAD_SEGM | MASKEVAL_LOAD_BBOX)) == 0) {
        return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                             "ground-truth arrays: a required array is NULL, a count is too "
                             "large or the flags are not SEGM and/or BBOX (KEYPOINTS: with "
                             "BBOX and 1 to 4096 keypoints)");
    }
    gt = maskeval_calloc(&ctx->alloc, 1, sizeof(*gt));
    if (gt == NULL) {
        return maskeval_nomem(ctx, "building ground truth");
    }
    gt->alloc = ctx->alloc;
    gt->flags = flags;
    st = gt_images(ctx, gt, in);
    if (st == MASKEVAL_OK) {
        st = gt_categories(ctx, gt, in);
    }
    if (st == MASKEVAL_OK) {
        st = gt_annotations(ctx, gt, in);
    }
    if (st != MASKEVAL_OK) {
        maskeval_gt_destroy(gt);
        return st;
    }
    /* the digest partials compare: everything evaluation reads */
    d = fold(d, gt->img_id, gt->n_img * sizeof(int64_t));
    d = fold(d, gt->img_h, gt->n_img * sizeof(uint32_t));
    d = fold(d, gt->img_w, gt->n_img * sizeof(uint32_t));
    d = fold(d, gt->cat_id, gt->n_cat * sizeof(int64_t));
    d = fold(d, gt->ann_id, gt->n_ann * sizeof(int64_t));
    d = fold(d, gt->ann_img, gt->n_ann * sizeof(int32_t));
    d = fold(d, gt->ann_cat_id, gt->n_ann * sizeof(int64_t));
    d = fold(d, gt->ann_crowd, gt->n_ann);
    d = fold(d, gt->ann_area, gt->n_ann * sizeof(double));
    if (gt->ann_bbox != NULL) {
        d = fold(d, gt->ann_bbox, gt->n_ann * 4 * sizeof(double));
    }
    if (flags & MASKEVAL_LOAD_KEYPOINTS) {
        d = fold(d, gt->ann_kpt, 3 * gt->n_kpt * gt->n_ann * sizeof(double));
        d = fold(d, gt->ann_ignore, gt->n_ann);
    }
    if (flags & MASKEVAL_LOAD_SEGM) {
        d = fold(d, gt->masks.len, gt->n_ann * sizeof(uint32_t));
        d = fold(d, gt->masks.pool, gt->n_ann > 0 ? in->ann_rle_off[gt->n_ann] - in->ann_rle_off[0] : 0);
    }
    gt->digest = d;
    *out = gt;
    return MASKEVAL_OK;
}

maskeval_status maskeval_dets_from_arrays(maskeval_ctx *ctx, const maskeval_gt *gt,
                                          const maskeval_dets_arrays *user,
                                          maskeval_dets **out)
{
    const maskeval_alloc *a = &ctx->alloc;
    maskeval_dets *d = NULL;
    uint32_t *h = NULL, *w = NULL;
    maskeval_status st = MASKEVAL_OK;
    maskeval_dets_arrays arr;
    const maskeval_dets_arrays *in = &arr;
    size_t n;
    int kpt;

    if (out == NULL) {
        return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG, "NULL output");
    }
    *out = NULL;
    if (gt == NULL || user == NULL ||
        !take_struct(&arr, sizeof(arr), user, user->struct_size,
                     offsetof(maskeval_dets_arrays, keypoints))) {
        return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG, "detection arrays: NULL input");
    }
    n = in->n;
    kpt = (gt->flags & MASKEVAL_LOAD_KEYPOINTS) != 0;
    if (n > 0 && (in->image_ids == NULL || in->category_ids == NULL || in->scores == NULL ||
                  in->areas == NULL || ((gt->flags & MASKEVAL_LOAD_SEGM) &&
                                        (in->rle == NULL || in->rle_off == NULL)) ||
                  (!(gt->flags & MASKEVAL_LOAD_SEGM) && !kpt && in->bbox == NULL) ||
                  (kpt && in->keypoints == NULL))) {
        return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                             "detection arrays: a required array is NULL (boxes for a bbox "
                             "evaluation, masks for segm, keypoints for keypoints)");
    }
    d = maskeval_calloc(a, 1, sizeof(*d));
    if (d == NULL) {
        return maskeval_nomem(ctx, "building detections");
    }
    d->alloc = *a;
    d->gt = gt;
    d->flags = gt->flags;
    d->bbox_branch = !(gt->flags & MASKEVAL_LOAD_SEGM);
    d->img = maskeval_calloc(a, n + 1, sizeof(int32_t));
    d->cat_id = maskeval_calloc(a, n + 1, sizeof(int64_t));
    d->score = maskeval_calloc(a, n + 1, sizeof(double));
    d->area = maskeval_calloc(a, n + 1, sizeof(double));
    d->bbox = maskeval_calloc(a, n + 1, 4 * sizeof(double));
    h = maskeval_calloc(a, n + 1, sizeof(uint32_t));
    w = maskeval_calloc(a, n + 1, sizeof(uint32_t));
    if (kpt) {
        d->kpt = maskeval_calloc(a, 3 * gt->n_kpt * n + 1, sizeof(double));
        if (d->kpt != NULL && n > 0) {
            memcpy(d->kpt, in->keypoints, 3 * gt->n_kpt * n * sizeof(double));
        }
    }
    if (d->img == NULL || d->cat_id == NULL || d->score == NULL || d->area == NULL ||
        d->bbox == NULL || h == NULL || w == NULL || (kpt && d->kpt == NULL)) {
        st = maskeval_nomem(ctx, "building detections");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        const int32_t k = maskeval_gt_find_image(gt, in->image_ids[i]);
        if (k < 0) {
            st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                               "detection %zu: image_id %lld is not an image of the ground truth",
                               i, (long long)in->image_ids[i]);
            goto done;
        }
        d->img[i] = k;
        h[i] = gt->img_h[k];
        w[i] = gt->img_w[k];
        d->cat_id[i] = in->category_ids[i];
        d->score[i] = in->scores[i];
        d->area[i] = in->areas[i];
        if (in->bbox != NULL) {
            memcpy(d->bbox + 4 * i, in->bbox + 4 * i, 4 * sizeof(double));
        }
    }
    d->n = n;
    if (gt->flags & MASKEVAL_LOAD_SEGM) {
        if (maskeval_maskset_init(a, &d->masks, n) != MASKEVAL_OK) {
            st = maskeval_nomem(ctx, "building detections");
            goto done;
        }
        st = store_masks(ctx, &d->masks, n, in->rle, in->rle_off, h, w, "detection");
        for (size_t i = 0; st == MASKEVAL_OK && in->bbox == NULL && i < n; i++) {
            memcpy(d->bbox + 4 * i, d->masks.box + 4 * i, 4 * sizeof(double));
        }
    }
done:
    maskeval_free(a, h);
    maskeval_free(a, w);
    if (st != MASKEVAL_OK) {
        maskeval_dets_destroy(d);
        return st;
    }
    *out = d;
    return MASKEVAL_OK;
}
