/*
 * gt_load.c - COCO ground truth (instances JSON) to the compact form.
 *
 * pycocotools semantics kept: duplicate image / category ids keep the last
 * entry; duplicate annotation ids make every lookup return the last
 * annotation with that id (recorded in ann_alias, applied at evaluation);
 * "ignore" is read by nobody (pycocotools overwrites it with iscrowd);
 * annotations on images missing from "images" are kept but never evaluated,
 * so their segmentation is not rasterized.
 * Stricter than pycocotools: every field has to have the right type, images
 * need a positive height and width, masks need their image's size.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/dataset.h"
#include "io/file_read.h"
#include "io/json_util.h"
#include "io/segm_parse.h"

typedef struct id_index {
    int64_t id;
    uint32_t index;
} id_index;

static int id_index_cmp(const void *pa, const void *pb)
{
    const id_index *a = pa, *b = pb;
    if (a->id != b->id) {
        return a->id < b->id ? -1 : 1;
    }
    return a->index < b->index ? -1 : a->index > b->index;
}

int32_t maskeval_gt_find_image(const maskeval_gt *gt, int64_t id)
{
    size_t lo = 0, hi = gt->n_img;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (gt->img_id[mid] < id) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return (lo < gt->n_img && gt->img_id[lo] == id) ? (int32_t)lo : -1;
}

static int32_t find_category(const maskeval_gt *gt, int64_t id)
{
    size_t lo = 0, hi = gt->n_cat;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (gt->cat_id[mid] < id) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return (lo < gt->n_cat && gt->cat_id[lo] == id) ? (int32_t)lo : -1;
}

const char *maskeval_gt_category_name(const maskeval_gt *gt, int64_t category_id)
{
    int32_t k;
    if (gt == NULL) {
        return NULL;
    }
    k = find_category(gt, category_id);
    return k < 0 ? NULL : gt->names + gt->cat_name_off[k];
}

void maskeval_gt_counts(const maskeval_gt *gt, size_t *n_images, size_t *n_categories,
                        size_t *n_annotations)
{
    if (n_images != NULL) {
        *n_images = gt != NULL ? gt->n_img : 0;
    }
    if (n_categories != NULL) {
        *n_categories = gt != NULL ? gt->n_cat : 0;
    }
    if (n_annotations != NULL) {
        *n_annotations = gt != NULL ? gt->n_ann : 0;
    }
}

void maskeval_gt_destroy(maskeval_gt *gt)
{
    const maskeval_alloc *a;
    maskeval_alloc copy;
    if (gt == NULL) {
        return;
    }
    copy = gt->alloc;
    a = &copy;
    maskeval_free(a, gt->img_id);
    maskeval_free(a, gt->img_h);
    maskeval_free(a, gt->img_w);
    maskeval_free(a, gt->cat_id);
    maskeval_free(a, gt->cat_name_off);
    maskeval_free(a, gt->names);
    maskeval_free(a, gt->ann_id);
    maskeval_free(a, gt->ann_img);
    maskeval_free(a, gt->ann_cat_id);
    maskeval_free(a, gt->ann_crowd);
    maskeval_free(a, gt->ann_area);
    maskeval_free(a, gt->ann_bbox);
    maskeval_free(a, gt->ann_alias);
    maskeval_maskset_free(a, &gt->masks);
    maskeval_free(a, gt);
}

/* Sorts (id, file index) pairs and keeps the last entry of every id. */
static size_t dedupe_last(id_index *v, size_t n)
{
    size_t m = 0;
    qsort(v, n, sizeof(*v), id_index_cmp);
    for (size_t i = 0; i < n; i++) {
        if (i + 1 < n && v[i + 1].id == v[i].id) {
            continue;
        }
        v[m++] = v[i];
    }
    return m;
}

static maskeval_status load_images(maskeval_ctx *ctx, maskeval_gt *gt, const cJSON *images,
                                   const char *file)
{
    const maskeval_alloc *a = &ctx->alloc;
    size_t n = maskeval_json_count(images), i = 0, m;
    id_index *ids = maskeval_calloc(a, n, sizeof(id_index));
    uint32_t *hs = maskeval_calloc(a, n, sizeof(uint32_t));
    uint32_t *ws = maskeval_calloc(a, n, sizeof(uint32_t));
    maskeval_status st = MASKEVAL_OK;

    if (ids == NULL || hs == NULL || ws == NULL || n > INT32_MAX) {
        st = n > INT32_MAX ? maskeval_fail(ctx, MASKEVAL_ERR_LIMIT, "%s: too many images", file)
                           : maskeval_nomem(ctx, "reading images");
        goto done;
    }
    for (const cJSON *img = images->child; img != NULL; img = img->next, i++) {
        int64_t id, h, w;
        const cJSON *jh, *jw;
        if (!cJSON_IsObject(img)) {
            st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE, "%s: images[%zu]: expected an object, got %s",
                               file, i, maskeval_json_type(img));
            goto done;
        }
        if (!maskeval_json_int(maskeval_json_member(img, "id"), &id)) {
            st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE, "%s: images[%zu]: id: expected an integer, got %s",
                               file, i, maskeval_json_type(maskeval_json_member(img, "id")));
            goto done;
        }
        jh = maskeval_json_member(img, "height");
        jw = maskeval_json_member(img, "width");
        if (jh == NULL || jw == NULL) {
            st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE, "%s: images[%zu] (id %lld): missing %s", file,
                               i, (long long)id, jh == NULL ? "height" : "width");
            goto done;
        }
        if (!maskeval_json_int(jh, &h) || !maskeval_json_int(jw, &w) || h < 1 || w < 1) {
            st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                               "%s: images[%zu] (id %lld): height and width must be positive "
                               "integers",
                               file, i, (long long)id);
            goto done;
        }
        if ((uint64_t)h * (uint64_t)w > UINT32_MAX) {
            st = maskeval_fail(ctx, MASKEVAL_ERR_LIMIT,
                               "%s: images[%zu] (id %lld): %lldx%lld pixels exceeds the 2^32-1 "
                               "pixels a COCO RLE can address",
                               file, i, (long long)id, (long long)h, (long long)w);
            goto done;
        }
        ids[i].id = id;
        ids[i].index = (uint32_t)i;
        hs[i] = (uint32_t)h;
        ws[i] = (uint32_t)w;
    }
    m = dedupe_last(ids, n);
    gt->img_id = maskeval_calloc(a, m, sizeof(int64_t));
    gt->img_h = maskeval_calloc(a, m, sizeof(uint32_t));
    gt->img_w = maskeval_calloc(a, m, sizeof(uint32_t));
    if (gt->img_id == NULL || gt->img_h == NULL || gt->img_w == NULL) {
        st = maskeval_nomem(ctx, "reading images");
        goto done;
    }
    for (i = 0; i < m; i++) {
        gt->img_id[i] = ids[i].id;
        gt->img_h[i] = hs[ids[i].index];
        gt->img_w[i] = ws[ids[i].index];
    }
    gt->n_img = m;
done:
    maskeval_free(a, ids);
    maskeval_free(a, hs);
    maskeval_free(a, ws);
    return st;
}

static maskeval_status load_categories(maskeval_ctx *ctx, maskeval_gt *gt, const cJSON *cats,
                                       const char *file)
{
    const maskeval_alloc *a = &ctx->alloc;
    size_t n = maskeval_json_count(cats), i = 0, m, names_len = 0;
    id_index *ids = maskeval_calloc(a, n, sizeof(id_index));
    const char **nm = maskeval_calloc(a, n, sizeof(char *));
    maskeval_status st = MASKEVAL_OK;

    if (ids == NULL || nm == NULL) {
        st = maskeval_nomem(ctx, "reading categories");
        goto done;
    }
    for (const cJSON *c = cats->child; c != NULL; c = c->next, i++) {
        int64_t id;
        const cJSON *name;
        if (!cJSON_IsObject(c)) {
            st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                               "%s: categories[%zu]: expected an object, got %s", file, i,
                               maskeval_json_type(c));
            goto done;
        }
        if (!maskeval_json_int(maskeval_json_member(c, "id"), &id)) {
            st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                               "%s: categories[%zu]: id: expected an integer, got %s", file, i,
                               maskeval_json_type(maskeval_json_member(c, "id")));
            goto done;
        }
        name = maskeval_json_member(c, "name");
        if (name != NULL && !cJSON_IsString(name)) {
            st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                               "%s: categories[%zu] (id %lld): name: expected a string, got %s",
                               file, i, (long long)id, maskeval_json_type(name));
            goto done;
        }
        ids[i].id = id;
        ids[i].index = (uint32_t)i;
        nm[i] = name != NULL ? name->valuestring : "";
    }
    m = dedupe_last(ids, n);
    for (i = 0; i < m; i++) {
        names_len += strlen(nm[ids[i].index]) + 1;
    }
    gt->cat_id = maskeval_calloc(a, m, sizeof(int64_t));
    gt->cat_name_off = maskeval_calloc(a, m, sizeof(uint32_t));
    gt->names = maskeval_malloc(a, names_len);
    if (gt->cat_id == NULL || gt->cat_name_off == NULL || gt->names == NULL ||
        names_len > UINT32_MAX) {
        st = maskeval_nomem(ctx, "reading categories");
        goto done;
    }
    names_len = 0;
    for (i = 0; i < m; i++) {
        size_t l = strlen(nm[ids[i].index]) + 1;
        gt->cat_id[i] = ids[i].id;
        gt->cat_name_off[i] = (uint32_t)names_len;
        memcpy(gt->names + names_len, nm[ids[i].index], l);
        names_len += l;
    }
    gt->n_cat = m;
done:
    maskeval_free(a, ids);
    maskeval_free(a, nm);
    return st;
}

static maskeval_status alloc_annotations(maskeval_ctx *ctx, maskeval_gt *gt, size_t n,
                                         unsigned flags)
{
    const maskeval_alloc *a = &ctx->alloc;
    gt->ann_id = maskeval_calloc(a, n, sizeof(int64_t));
    gt->ann_img = maskeval_calloc(a, n, sizeof(int32_t));
    gt->ann_cat_id = maskeval_calloc(a, n, sizeof(int64_t));
    gt->ann_crowd = maskeval_calloc(a, n, 1);
    gt->ann_area = maskeval_calloc(a, n, sizeof(double));
    gt->ann_alias = maskeval_calloc(a, n, sizeof(int32_t));
    if (flags & MASKEVAL_LOAD_BBOX) {
        gt->ann_bbox = maskeval_calloc(a, n, 4 * sizeof(double));
    }
    if (gt->ann_id == NULL || gt->ann_img == NULL || gt->ann_cat_id == NULL ||
        gt->ann_crowd == NULL || gt->ann_area == NULL || gt->ann_alias == NULL ||
        ((flags & MASKEVAL_LOAD_BBOX) && gt->ann_bbox == NULL)) {
        return maskeval_nomem(ctx, "reading annotations");
    }
    if ((flags & MASKEVAL_LOAD_SEGM) && maskeval_maskset_init(a, &gt->masks, n) != MASKEVAL_OK) {
        return maskeval_nomem(ctx, "reading annotations");
    }
    return MASKEVAL_OK;
}

static maskeval_status load_annotations(maskeval_ctx *ctx, maskeval_gt *gt, const cJSON *anns,
                                        const char *file, unsigned flags)
{
    const maskeval_alloc *a = &ctx->alloc;
    size_t n = maskeval_json_count(anns), i = 0;
    maskeval_segm_scratch scr;
    maskeval_status st;
    id_index *ids = NULL;

    memset(&scr, 0, sizeof(scr));
    if (n > INT32_MAX) {
        return maskeval_fail(ctx, MASKEVAL_ERR_LIMIT, "%s: more than 2^31-1 annotations", file);
    }
    st = alloc_annotations(ctx, gt, n, flags);
    if (st != MASKEVAL_OK) {
        goto done;
    }
    for (const cJSON *ann = anns->child; ann != NULL; ann = ann->next, i++) {
        char where[96];
        int64_t id, img_id, cat_id, crowd;
        const cJSON *j;
        int32_t img;

        if (!cJSON_IsObject(ann)) {
            st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                               "%s: annotations[%zu]: expected an object, got %s", file, i,
                               maskeval_json_type(ann));
            goto done;
        }
        j = maskeval_json_member(ann, "id");
        if (!maskeval_json_int(j, &id)) {
            st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                               "%s: annotations[%zu]: id: expected an integer, got %s", file, i,
                               maskeval_json_type(j));
            goto done;
        }
        snprintf(where, sizeof(where), "annotations[%zu] (id %lld)", i, (long long)id);
        j = maskeval_json_member(ann, "image_id");
        if (!maskeval_json_int(j, &img_id)) {
            st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE, "%s: %s: image_id: expected an integer, got %s",
                               file, where, maskeval_json_type(j));
            goto done;
        }
        j = maskeval_json_member(ann, "category_id");
        if (!maskeval_json_int(j, &cat_id)) {
            st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                               "%s: %s: category_id: expected an integer, got %s", file, where,
                               maskeval_json_type(j));
            goto done;
        }
        j = maskeval_json_member(ann, "iscrowd");
        if (cJSON_IsBool(j)) {
            crowd = cJSON_IsTrue(j);
        } else if (!maskeval_json_int(j, &crowd)) {
            st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                               "%s: %s: iscrowd: expected 0 or 1, got %s (pycocotools requires "
                               "the field)",
                               file, where, maskeval_json_type(j));
            goto done;
        }
        j = maskeval_json_member(ann, "area");
        if (!maskeval_json_finite(j, &gt->ann_area[i])) {
            st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                               "%s: %s: area: expected a finite number, got %s", file, where,
                               maskeval_json_type(j));
            goto done;
        }
        if ((flags & MASKEVAL_LOAD_BBOX) &&
            !maskeval_json_box(maskeval_json_member(ann, "bbox"), gt->ann_bbox + 4 * i)) {
            st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                               "%s: %s: bbox: expected [x, y, width, height] finite numbers", file,
                               where);
            goto done;
        }
        img = maskeval_gt_find_image(gt, img_id);
        gt->ann_id[i] = id;
        gt->ann_img[i] = img;
        gt->ann_cat_id[i] = cat_id;
        gt->ann_crowd[i] = crowd != 0;
        if ((flags & MASKEVAL_LOAD_SEGM) && img >= 0) {
            const char *str;
            size_t str_len;
            uint32_t h = gt->img_h[img], w = gt->img_w[img];
            j = maskeval_json_member(ann, "segmentation");
            if (j == NULL) {
                st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE, "%s: %s: segmentation: missing", file,
                                   where);
                goto done;
            }
            st = maskeval_segm_parse(ctx, j, h, w,
                                     MASKEVAL_SEGM_POLY | MASKEVAL_SEGM_URLE | MASKEVAL_SEGM_CRLE,
                                     &scr, file, where, &str, &str_len);
            if (st != MASKEVAL_OK) {
                goto done;
            }
            st = maskeval_maskset_put(a, &gt->masks, i, scr.counts.v, scr.counts.n, h, w, str,
                                      str_len);
            if (st != MASKEVAL_OK) {
                st = maskeval_nomem(ctx, "storing masks");
                goto done;
            }
        }
    }
    gt->n_ann = n;

    /* pycocotools looks annotations up by id in a dict: the last one wins. */
    ids = maskeval_calloc(a, n, sizeof(id_index));
    if (ids == NULL) {
        st = maskeval_nomem(ctx, "indexing annotations");
        goto done;
    }
    for (i = 0; i < n; i++) {
        ids[i].id = gt->ann_id[i];
        ids[i].index = (uint32_t)i;
    }
    qsort(ids, n, sizeof(*ids), id_index_cmp);
    for (i = n; i-- > 0;) {
        int last = i + 1 == n || ids[i + 1].id != ids[i].id;
        uint32_t target = last ? ids[i].index : (uint32_t)gt->ann_alias[ids[i + 1].index];
        gt->ann_alias[ids[i].index] = (int32_t)target;
        if (!last) {
            gt->n_dup_ids++;
        }
    }
done:
    maskeval_free(a, ids);
    maskeval_segm_scratch_free(a, &scr);
    return st;
}

maskeval_status maskeval_gt_load_buffer(maskeval_ctx *ctx, const char *name, const char *json,
                                        size_t len, unsigned flags, maskeval_gt **out)
{
    cJSON *root = NULL;
    const cJSON *images, *cats, *anns;
    maskeval_gt *gt = NULL;
    maskeval_status st;

    if (out != NULL) {
        *out = NULL;
    }
    if (ctx == NULL || out == NULL || (json == NULL && len != 0) ||
        (flags & (MASKEVAL_LOAD_SEGM | MASKEVAL_LOAD_BBOX)) == 0 ||
        (flags & ~(unsigned)(MASKEVAL_LOAD_SEGM | MASKEVAL_LOAD_BBOX)) != 0) {
        return ctx != NULL ? maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                                           "maskeval_gt_load: invalid arguments")
                           : MASKEVAL_ERR_INVALID_ARG;
    }
    if (name == NULL) {
        name = "<ground truth>";
    }
    st = maskeval_json_parse(ctx, name, json, len, &root);
    if (st != MASKEVAL_OK) {
        return st;
    }
    if (!cJSON_IsObject(root)) {
        st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE, "%s: expected a JSON object at the top level, got %s",
                           name, maskeval_json_type(root));
        goto done;
    }
    images = maskeval_json_member(root, "images");
    cats = maskeval_json_member(root, "categories");
    anns = maskeval_json_member(root, "annotations");
    if (!cJSON_IsArray(images) || !cJSON_IsArray(cats)) {
        const char *what = !cJSON_IsArray(images) ? "images" : "categories";
        st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE, "%s: %s: expected an array, got %s", name, what,
                           maskeval_json_type(maskeval_json_member(root, what)));
        goto done;
    }
    if (anns != NULL && !cJSON_IsArray(anns)) {
        st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE, "%s: annotations: expected an array, got %s",
                           name, maskeval_json_type(anns));
        goto done;
    }
    gt = maskeval_calloc(&ctx->alloc, 1, sizeof(*gt));
    if (gt == NULL) {
        st = maskeval_nomem(ctx, "loading ground truth");
        goto done;
    }
    gt->alloc = ctx->alloc;
    gt->flags = flags;
    st = load_images(ctx, gt, images, name);
    if (st == MASKEVAL_OK) {
        st = load_categories(ctx, gt, cats, name);
    }
    if (st == MASKEVAL_OK && anns != NULL) {
        st = load_annotations(ctx, gt, anns, name, flags);
    }
    if (st == MASKEVAL_OK && gt->n_dup_ids > 0) {
        maskeval_log(ctx, MASKEVAL_LOG_WARNING,
                     "%s: %zu annotations reuse an id; as in pycocotools, every annotation with "
                     "a repeated id is replaced by the last one with that id",
                     name, gt->n_dup_ids);
    }
done:
    cJSON_Delete(root);
    if (st != MASKEVAL_OK) {
        maskeval_gt_destroy(gt);
        gt = NULL;
    }
    *out = gt;
    return st;
}

maskeval_status maskeval_gt_load_file(maskeval_ctx *ctx, const char *path, unsigned flags,
                                      maskeval_gt **out)
{
    char *buf = NULL;
    size_t len = 0;
    maskeval_status st;
    if (out != NULL) {
        *out = NULL;
    }
    if (ctx == NULL || path == NULL || out == NULL) {
        return ctx != NULL ? maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                                           "maskeval_gt_load_file: invalid arguments")
                           : MASKEVAL_ERR_INVALID_ARG;
    }
    st = maskeval_file_read(ctx, path, &buf, &len);
    if (st == MASKEVAL_OK) {
        st = maskeval_gt_load_buffer(ctx, path, buf, len, flags, out);
    }
    maskeval_free(&ctx->alloc, buf);
    return st;
}
