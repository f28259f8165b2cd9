/*
 * gt_load.c - COCO ground truth (instances JSON) to the compact form.
 *
 * pycocotools semantics kept: duplicate image / category ids keep the last
 * entry; duplicate annotation ids make every lookup return the last
 * annotation with that id (recorded in ann_alias, applied at evaluation);
 * "ignore" is read by nobody (pycocotools overwrites it with iscrowd),
 * except with MASKEVAL_LOAD_LVIS, which reads "ignore" instead of "iscrowd"
 * and the LVIS image and category fields (lvis_fields.c);
 * annotations on images missing from "images" are kept but never evaluated,
 * so their segmentation is not rasterized.
 * Stricter than pycocotools: every field has to have the right type, images
 * need a positive height and width, masks need their image's size. For
 * bbox alone (no MASKEVAL_LOAD_SEGM) height and width may be absent, as
 * pycocotools never reads them there (torchmetrics' COCO export omits them):
 * such an image has size 0 x 0, and a result's RLE on it has the size it
 * states (segm_parse.h), as in pycocotools.
 *
 * The top-level object is scanned for its members without building a tree;
 * "images" and "categories" are parsed whole, "annotations" element by
 * element on all threads (json_elements.c), polygons rasterized there too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/digest.h"
#include "core/sort.h"
#include "io/dataset.h"
#include "io/file_read.h"
#include "io/json_elements.h"
#include "io/json_util.h"
#include "io/lvis_fields.h"
#include "io/segm_parse.h"

typedef maskeval_id_index id_index;

int maskeval_id_index_cmp(const void *pa, const void *pb)
{
    const id_index *a = pa, *b = pb;
    if (a->id != b->id) {
        return a->id < b->id ? -1 : 1;
    }
    return a->index < b->index ? -1 : a->index > b->index;
}

int32_t maskeval_gt_find_image(const maskeval_gt *gt, int64_t id)
{
    return (int32_t)maskeval_find_i64(gt->img_id, gt->n_img, id);
}

static int32_t find_category(const maskeval_gt *gt, int64_t id)
{
    return (int32_t)maskeval_find_i64(gt->cat_id, gt->n_cat, id);
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

static size_t copy_ids(const int64_t *ids, size_t n, int64_t *out, size_t cap)
{
    if (out != NULL && cap > 0) {
        memcpy(out, ids, (n < cap ? n : cap) * sizeof(int64_t));
    }
    return n;
}

size_t maskeval_gt_image_ids(const maskeval_gt *gt, int64_t *out, size_t cap)
{
    return gt != NULL ? copy_ids(gt->img_id, gt->n_img, out, cap) : 0;
}

size_t maskeval_gt_category_ids(const maskeval_gt *gt, int64_t *out, size_t cap)
{
    return gt != NULL ? copy_ids(gt->cat_id, gt->n_cat, out, cap) : 0;
}

int maskeval_gt_has_image(const maskeval_gt *gt, int64_t image_id)
{
    return gt != NULL && maskeval_gt_find_image(gt, image_id) >= 0;
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
    maskeval_free(a, gt->img_first);
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
    maskeval_free(a, gt->img_neg_off);
    maskeval_free(a, gt->img_nel_off);
    maskeval_free(a, gt->img_neg);
    maskeval_free(a, gt->img_nel);
    maskeval_free(a, gt->cat_freq);
    maskeval_free(a, gt->ann_ignore);
    maskeval_free(a, gt->ann_kpt);
    maskeval_free(a, gt);
}

/* Sorts (id, file index) pairs and keeps the last entry of every id; with
 * first, also the file index of each id's first entry. */
static size_t dedupe_last(id_index *v, size_t n, uint32_t *first)
{
    size_t m = 0;
    uint32_t lo = 0;
    qsort(v, n, sizeof(*v), maskeval_id_index_cmp);
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || v[i - 1].id != v[i].id) {
            lo = v[i].index;
        }
        if (i + 1 < n && v[i + 1].id == v[i].id) {
            continue;
        }
        if (first != NULL) {
            first[m] = lo;
        }
        v[m++] = v[i];
    }
    return m;
}

static maskeval_status load_images(maskeval_ctx *ctx, maskeval_gt *gt, const cJSON *images,
                                   const char *file, unsigned flags)
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
                               file, i, maskeval_json_int_type(maskeval_json_member(img, "id")));
            goto done;
        }
        jh = maskeval_json_member(img, "height");
        jw = maskeval_json_member(img, "width");
        if ((jh == NULL || jw == NULL) && !(flags & MASKEVAL_LOAD_SEGM)) {
            h = w = 0; /* bbox only: never read */
        } else if (jh == NULL || jw == NULL) {
            st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                               "%s: images[%zu] (id %lld): missing %s (masks are rasterized at "
                               "their image's size; --iou-type bbox does not need it)",
                               file, i, (long long)id, jh == NULL ? "height" : "width");
            goto done;
        } else if (!maskeval_json_int(jh, &h) || !maskeval_json_int(jw, &w) || h < 1 || w < 1) {
            st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                               "%s: images[%zu] (id %lld): height and width must be positive "
                               "integers",
                               file, i, (long long)id);
            goto done;
        } else if ((uint64_t)h * (uint64_t)w > UINT32_MAX) {
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
    gt->img_first = maskeval_calloc(a, n + 1, sizeof(uint32_t));
    if (gt->img_first == NULL) {
        st = maskeval_nomem(ctx, "reading images");
        goto done;
    }
    m = dedupe_last(ids, n, gt->img_first);
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
    if (flags & MASKEVAL_LOAD_LVIS) {
        for (i = 0; i < m; i++) {
            hs[i] = ids[i].index; /* from here: the file entry of sorted image i */
        }
        st = maskeval_lvis_images(ctx, gt, images, file, hs);
    }
done:
    maskeval_free(a, ids);
    maskeval_free(a, hs);
    maskeval_free(a, ws);
    return st;
}

static maskeval_status load_categories(maskeval_ctx *ctx, maskeval_gt *gt, const cJSON *cats,
                                       const char *file, unsigned flags)
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
                               maskeval_json_int_type(maskeval_json_member(c, "id")));
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
    m = dedupe_last(ids, n, NULL);
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
    if (flags & MASKEVAL_LOAD_LVIS) {
        uint32_t *winner = maskeval_calloc(a, m + 1, sizeof(uint32_t));
        for (i = 0; winner != NULL && i < m; i++) {
            winner[i] = ids[i].index;
        }
        st = winner != NULL ? maskeval_lvis_categories(ctx, gt, cats, file, winner)
                            : maskeval_nomem(ctx, "reading categories");
        maskeval_free(a, winner);
    }
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
    /* LVIS's "ignore", or (COCO) the JSON field's truthiness, which only
     * Boundary AP's evaluator reads (pycocotools discards it) */
    if ((gt->ann_ignore = maskeval_calloc(a, n > 0 ? n : 1, 1)) == NULL) {
        return maskeval_nomem(ctx, "reading annotations");
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

typedef struct ann_task {
    maskeval_segm_scratch scr;
    maskeval_bytevec side;
    size_t in_place; /* masks stored over their own JSON text */
} ann_task;

typedef struct ann_job {
    maskeval_gt *gt;
    const char *file;
    unsigned flags;
    const char *pool_base;
    ann_task *tasks;
} ann_job;

static maskeval_status annotation_element(void *arg, maskeval_ctx *ctx, size_t task, size_t i,
                                          const cJSON *ann, char *slot, size_t slot_cap)
{
    ann_job *job = arg;
    maskeval_gt *gt = job->gt;
    ann_task *t = &job->tasks[task];
    const char *file = job->file;
    char where[96];
    int64_t id, img_id, cat_id, crowd;
    const cJSON *j;
    int32_t img;

    if (!cJSON_IsObject(ann)) {
        return maskeval_fail(ctx, MASKEVAL_ERR_PARSE, "%s: annotations[%zu]: expected an object, got %s",
                             file, i, maskeval_json_type(ann));
    }
    j = maskeval_json_member(ann, "id");
    if (!maskeval_json_int(j, &id)) {
        return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                             "%s: annotations[%zu]: id: expected an integer, got %s", file, i,
                             maskeval_json_int_type(j));
    }
    snprintf(where, sizeof(where), "annotations[%zu] (id %lld)", i, (long long)id);
    j = maskeval_json_member(ann, "image_id");
    if (!maskeval_json_int(j, &img_id)) {
        return maskeval_fail(ctx, MASKEVAL_ERR_PARSE, "%s: %s: image_id: expected an integer, got %s",
                             file, where, maskeval_json_int_type(j));
    }
    j = maskeval_json_member(ann, "category_id");
    if (!maskeval_json_int(j, &cat_id)) {
        return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                             "%s: %s: category_id: expected an integer, got %s", file, where,
                             maskeval_json_int_type(j));
    }
    j = maskeval_json_member(ann, job->flags & MASKEVAL_LOAD_LVIS ? "ignore" : "iscrowd");
    if (job->flags & MASKEVAL_LOAD_LVIS) {
        /* lvis-api: `if g["ignore"]`, 0 when absent; iscrowd is never read */
        double v = 0;
        if (j != NULL && !cJSON_IsBool(j) && !maskeval_json_finite(j, &v)) {
            return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                                 "%s: %s: ignore: expected a number or a boolean, got %s", file,
                                 where, maskeval_json_type(j));
        }
        gt->ann_ignore[i] = cJSON_IsBool(j) ? (uint8_t)cJSON_IsTrue(j) : v != 0;
        crowd = 0;
    } else if (cJSON_IsBool(j)) {
        crowd = cJSON_IsTrue(j);
    } else if (!maskeval_json_int(j, &crowd)) {
        return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                             "%s: %s: iscrowd: expected 0 or 1, got %s (pycocotools requires "
                             "the field)",
                             file, where, maskeval_json_type(j));
    }
    if (!(job->flags & MASKEVAL_LOAD_LVIS)) {
        /* Python's truth value of the JSON "ignore" (absent: false) */
        j = maskeval_json_member(ann, "ignore");
        gt->ann_ignore[i] =
            j == NULL || cJSON_IsNull(j) || cJSON_IsFalse(j) ? 0
            : cJSON_IsNumber(j)                              ? j->valuedouble != 0
            : cJSON_IsString(j)                              ? j->valuestring[0] != '\0'
            : (cJSON_IsArray(j) || cJSON_IsObject(j))        ? j->child != NULL
                                                             : 1;
    }
    j = maskeval_json_member(ann, "area");
    if (!maskeval_json_finite(j, &gt->ann_area[i])) {
        return maskeval_fail(ctx, MASKEVAL_ERR_PARSE, "%s: %s: area: expected a finite number, got %s",
                             file, where, maskeval_json_type(j));
    }
    if ((job->flags & MASKEVAL_LOAD_BBOX) &&
        !maskeval_json_box(maskeval_json_member(ann, "bbox"), gt->ann_bbox + 4 * i)) {
        return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                             "%s: %s: bbox: expected [x, y, width, height] finite numbers", file,
                             where);
    }
    img = maskeval_gt_find_image(gt, img_id);
    gt->ann_id[i] = id;
    gt->ann_img[i] = img;
    gt->ann_cat_id[i] = cat_id;
    gt->ann_crowd[i] = crowd != 0;
    if ((job->flags & MASKEVAL_LOAD_SEGM) && img >= 0) {
        const char *str;
        size_t str_len;
        uint32_t h = gt->img_h[img], w = gt->img_w[img];
        maskeval_status st;
        j = maskeval_json_member(ann, "segmentation");
        if (j == NULL) {
            return maskeval_fail(ctx, MASKEVAL_ERR_PARSE, "%s: %s: segmentation: missing", file,
                                 where);
        }
        st = maskeval_segm_parse(ctx, j, h, w,
                                 MASKEVAL_SEGM_POLY | MASKEVAL_SEGM_URLE | MASKEVAL_SEGM_CRLE,
                                 &t->scr, file, where, &str, &str_len);
        if (st != MASKEVAL_OK) {
            return st;
        }
        st = maskeval_maskset_store(&ctx->alloc, &gt->masks, i, &t->scr.stats, t->scr.counts.v,
                                    t->scr.counts.n, str, str_len, slot, slot_cap, job->pool_base,
                                    &t->side);
        if (st != MASKEVAL_OK) {
            return maskeval_nomem(ctx, "storing masks");
        }
        t->in_place += !(gt->masks.off[i] & MASKEVAL_MASK_EXTRA);
    }
    return MASKEVAL_OK;
}

maskeval_status maskeval_gt_resolve_duplicate_ids(maskeval_ctx *ctx, maskeval_gt *gt)
{
    size_t n = gt->n_ann;
    id_index *ids = maskeval_calloc(&ctx->alloc, n, sizeof(id_index));
    if (ids == NULL) {
        return maskeval_nomem(ctx, "indexing annotations");
    }
    for (size_t i = 0; i < n; i++) {
        ids[i].id = gt->ann_id[i];
        ids[i].index = (uint32_t)i;
    }
    qsort(ids, n, sizeof(*ids), maskeval_id_index_cmp);
    for (size_t i = n; i-- > 0;) {
        int last = i + 1 == n || ids[i + 1].id != ids[i].id;
        uint32_t target = last ? ids[i].index : (uint32_t)gt->ann_alias[ids[i + 1].index];
        gt->ann_alias[ids[i].index] = (int32_t)target;
        if (!last) {
            gt->n_dup_ids++;
        }
    }
    maskeval_free(&ctx->alloc, ids);
    return MASKEVAL_OK;
}

/* Parses the annotations array in parallel; the GT file buffer becomes the
 * string pool when some compressed RLE string was kept in place. */
static maskeval_status load_annotations(maskeval_ctx *ctx, maskeval_gt *gt, char **buf,
                                        size_t len, maskeval_json_span span, const char *file,
                                        unsigned flags)
{
    const maskeval_alloc *a = &ctx->alloc;
    maskeval_json_span *spans = NULL;
    maskeval_elements el;
    ann_job job;
    size_t n = 0, in_place = 0;
    maskeval_status st;

    memset(&el, 0, sizeof(el));
    memset(&job, 0, sizeof(job));
    st = maskeval_json_array_spans(ctx, file, *buf, len, span.off, &spans, &n);
    if (st != MASKEVAL_OK) {
        return st;
    }
    if (n > INT32_MAX) {
        st = maskeval_fail(ctx, MASKEVAL_ERR_LIMIT, "%s: more than 2^31-1 annotations", file);
        goto done;
    }
    st = alloc_annotations(ctx, gt, n, flags);
    if (st != MASKEVAL_OK) {
        goto done;
    }
    gt->n_ann = n;
    el.name = file;
    el.array_key = "annotations";
    el.buf = *buf;
    el.len = len;
    el.spans = spans;
    el.n = n;
    st = maskeval_elements_plan(ctx, &el);
    if (st != MASKEVAL_OK) {
        goto done;
    }
    job.gt = gt;
    job.file = file;
    job.flags = flags;
    job.pool_base = *buf;
    job.tasks = maskeval_calloc(a, el.ntasks, sizeof(ann_task));
    if (job.tasks == NULL) {
        st = maskeval_nomem(ctx, "reading annotations");
        goto done;
    }
    maskeval_progress_window(ctx, "reading ground truth", 0.4, 1.0);
    st = maskeval_elements_parse(ctx, &el, annotation_element, &job);
    if (st == MASKEVAL_OK && (flags & MASKEVAL_LOAD_SEGM)) {
        maskeval_bytevec *sides = maskeval_calloc(a, el.ntasks, sizeof(maskeval_bytevec));
        if (sides == NULL) {
            st = maskeval_nomem(ctx, "storing masks");
            goto done;
        }
        for (size_t t = 0; t < el.ntasks; t++) {
            sides[t] = job.tasks[t].side;
            memset(&job.tasks[t].side, 0, sizeof(job.tasks[t].side));
            in_place += job.tasks[t].in_place;
        }
        /* keep the file as the pool only if strings live in it */
        st = maskeval_maskset_finish(a, &gt->masks, in_place > 0 ? *buf : NULL, el.first, sides,
                                     el.ntasks);
        if (in_place > 0) {
            *buf = NULL;
        }
        maskeval_free(a, sides);
        if (st != MASKEVAL_OK) {
            st = maskeval_nomem(ctx, "storing masks");
        }
    }
    if (st == MASKEVAL_OK) {
        st = maskeval_gt_resolve_duplicate_ids(ctx, gt);
    }
done:
    for (size_t t = 0; job.tasks != NULL && t < el.ntasks; t++) {
        maskeval_segm_scratch_free(a, &job.tasks[t].scr);
        maskeval_free(a, job.tasks[t].side.v);
    }
    maskeval_free(a, job.tasks);
    maskeval_elements_free(ctx, &el);
    maskeval_free(a, spans);
    return st;
}

/* Finds the members of the top-level object (the last of a repeated key wins). */
/* The member's key decoded as json.load does ("annot\u0061tions" is
 * "annotations", a raw control character is an error): 0 when it is none of
 * names[0..n), else 1 + its index; -1 on a syntax error, -2 when out of
 * memory (both recorded in ctx). */
static int key_index(maskeval_ctx *ctx, const char *name, const char *buf, size_t len,
                     const maskeval_json_member_span *m, maskeval_json_arena *ar,
                     const char *const *names, int n)
{
    const char *key = NULL;
    size_t key_len = 0, err_off = 0;
    /* the key's span excludes its quotes */
    maskeval_json_fast_err e = maskeval_json_fast_string(ar, buf + m->key.off - 1, m->key.len + 2,
                                                         &key, &key_len, &err_off);
    if (e == MASKEVAL_JSON_FAST_NOMEM) {
        maskeval_nomem(ctx, "reading JSON keys");
        return -2;
    }
    if (e != MASKEVAL_JSON_FAST_OK) {
        maskeval_json_syntax_error(ctx, name, buf, len, m->key.off - 1 + err_off, NULL);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        if (key_len == strlen(names[i]) && memcmp(key, names[i], key_len) == 0) {
            return i + 1;
        }
    }
    return 0;
}

static maskeval_status load_owned(maskeval_ctx *ctx, const char *name, char *buf, size_t len,
                                  unsigned flags, maskeval_gt **out)
{
    const maskeval_alloc *a = &ctx->alloc;
    maskeval_json_member_span *members = NULL;
    const maskeval_json_member_span *images = NULL, *cats = NULL, *anns = NULL;
    cJSON *jimages = NULL, *jcats = NULL;
    maskeval_gt *gt = NULL;
    maskeval_json_arena ar;
    size_t nm = 0, p;
    uint64_t digest = 0;
    maskeval_status st;

    maskeval_json_arena_init(&ar, a);
    maskeval_progress_window(ctx, "reading ground truth", 0.1, 0.4);
    /* before parsing: the loader rewrites mask strings in buf */
    st = maskeval_digest_blocks(ctx, buf, len, &digest);
    if (st != MASKEVAL_OK) {
        goto done;
    }
    p = maskeval_json_skip_ws(buf, len, 0);
    if (p >= len) {
        st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE, "%s: empty file, expected JSON", name);
        goto done;
    }
    if (buf[p] != '{') {
        maskeval_json_span whole;
        cJSON *root = NULL;
        st = maskeval_json_value_span(ctx, name, buf, len, p, &whole);
        if (st == MASKEVAL_OK) {
            st = maskeval_json_parse_span(ctx, name, buf, len, whole, &ar, &root);
        }
        if (st == MASKEVAL_OK && cJSON_IsArray(root) && cJSON_IsObject(root->child) &&
            maskeval_json_member(root->child, "score") != NULL) {
            st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                               "%s: is a results list (a JSON array of objects with \"score\"), "
                               "not a COCO ground-truth object: are --gt and --dt swapped?",
                               name);
        } else if (st == MASKEVAL_OK) {
            st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                               "%s: expected a JSON object at the top level, got %s", name,
                               maskeval_json_type(root));
        }
        goto done;
    }
    st = maskeval_json_object_spans(ctx, name, buf, len, p, &members, &nm);
    if (st != MASKEVAL_OK) {
        goto done;
    }
    {
        size_t end = nm > 0 ? members[nm - 1].value.off + members[nm - 1].value.len : p + 1;
        end = maskeval_json_skip_ws(buf, len, maskeval_json_skip_ws(buf, len, end) + 1);
        if (end < len) {
            st = maskeval_json_syntax_error(ctx, name, buf, len, end,
                                            buf[end] == '{'
                                                ? "extra data after the top-level value (one "
                                                  "object per line, JSON Lines? the ground "
                                                  "truth is one JSON object)"
                                                : "extra data after the top-level value");
            goto done;
        }
    }
    for (size_t i = 0; i < nm && st == MASKEVAL_OK; i++) {
        static const char *const names[] = {"images", "categories", "annotations"};
        const int k = key_index(ctx, name, buf, len, &members[i], &ar, names, 3);
        const maskeval_json_member_span **slot =
            k == 1 ? &images : k == 2 ? &cats : k == 3 ? &anns : NULL;
        if (k < 0) {
            st = k == -1 ? MASKEVAL_ERR_PARSE : MASKEVAL_ERR_NOMEM;
            break;
        }
        /* Members that are not used ("info", "licenses", a key given twice:
         * json.load keeps the last) must still be valid JSON, or json.load
         * would refuse the file. */
        const maskeval_json_member_span *unused = slot == NULL ? &members[i] : *slot;
        if (slot != NULL) {
            *slot = &members[i];
        }
        if (unused != NULL) {
            cJSON *tree = NULL;
            st = maskeval_json_parse_span(ctx, name, buf, len, unused->value, &ar, &tree);
            maskeval_json_arena_reset(&ar);
        }
    }
    if (st != MASKEVAL_OK) {
        goto done;
    }
    if (images != NULL) {
        st = maskeval_json_parse_span(ctx, name, buf, len, images->value, &ar, &jimages);
    }
    if (st == MASKEVAL_OK && cats != NULL) {
        st = maskeval_json_parse_span(ctx, name, buf, len, cats->value, &ar, &jcats);
    }
    if (st != MASKEVAL_OK) {
        goto done;
    }
    if (!cJSON_IsArray(jimages) || !cJSON_IsArray(jcats)) {
        const char *what = !cJSON_IsArray(jimages) ? "images" : "categories";
        st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE, "%s: %s: expected an array, got %s", name, what,
                           maskeval_json_type(!cJSON_IsArray(jimages) ? jimages : jcats));
        goto done;
    }
    if (anns != NULL && buf[anns->value.off] != '[') {
        cJSON *j = NULL;
        st = maskeval_json_parse_span(ctx, name, buf, len, anns->value, &ar, &j);
        if (st == MASKEVAL_OK) {
            st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE, "%s: annotations: expected an array, got %s",
                               name, maskeval_json_type(j));
        }
        goto done;
    }
    gt = maskeval_calloc(a, 1, sizeof(*gt));
    if (gt == NULL) {
        st = maskeval_nomem(ctx, "loading ground truth");
        goto done;
    }
    gt->alloc = *a;
    gt->flags = flags;
    gt->digest = digest;
    st = load_images(ctx, gt, jimages, name, flags);
    if (st == MASKEVAL_OK) {
        st = load_categories(ctx, gt, jcats, name, flags);
    }
    maskeval_json_arena_reset(&ar); /* drops the images and categories trees */
    jimages = jcats = NULL;
    if (st == MASKEVAL_OK && anns != NULL) {
        st = load_annotations(ctx, gt, &buf, len, anns->value, name, flags);
    }
    if (st == MASKEVAL_OK && gt->n_dup_ids > 0) {
        maskeval_log(ctx, MASKEVAL_LOG_WARNING,
                     "%s: %zu annotations reuse an id; as in pycocotools, every annotation with "
                     "a repeated id is replaced by the last one with that id",
                     name, gt->n_dup_ids);
    }
done:
    maskeval_json_arena_release(&ar);
    maskeval_free(a, members);
    maskeval_free(a, buf);
    if (st != MASKEVAL_OK) {
        maskeval_gt_destroy(gt);
        gt = NULL;
    }
    *out = gt;
    return st;
}

static int valid_flags(unsigned flags)
{
    return (flags & (MASKEVAL_LOAD_SEGM | MASKEVAL_LOAD_BBOX)) != 0 &&
           (flags & ~(unsigned)(MASKEVAL_LOAD_SEGM | MASKEVAL_LOAD_BBOX | MASKEVAL_LOAD_LVIS)) == 0;
}

maskeval_status maskeval_gt_load_buffer(maskeval_ctx *ctx, const char *name, const char *json,
                                        size_t len, unsigned flags, maskeval_gt **out)
{
    char *copy;
    if (out != NULL) {
        *out = NULL;
    }
    if (ctx == NULL || out == NULL || (json == NULL && len != 0) || !valid_flags(flags)) {
        return ctx != NULL ? maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                                           "maskeval_gt_load: invalid arguments")
                           : MASKEVAL_ERR_INVALID_ARG;
    }
    /* the loader may keep mask strings in its buffer: work on a copy */
    if (maskeval_text_copy(ctx, json, len, "loading ground truth", &copy) != MASKEVAL_OK) {
        return MASKEVAL_ERR_NOMEM;
    }
    return load_owned(ctx, name != NULL ? name : "<ground truth>", copy, len, flags, out);
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
    if (ctx == NULL || path == NULL || out == NULL || !valid_flags(flags)) {
        return ctx != NULL ? maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                                           "maskeval_gt_load_file: invalid arguments")
                           : MASKEVAL_ERR_INVALID_ARG;
    }
    maskeval_progress_window(ctx, "reading ground truth", 0.0, 0.1);
    st = maskeval_file_read(ctx, path, &buf, &len);
    if (st != MASKEVAL_OK) {
        return st;
    }
    return load_owned(ctx, path, buf, len, flags, out);
}
