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
 *
 * The array is split into elements by a structural scan and the elements
 * are parsed on all threads (json_elements.c); each mask string is written
 * back over its own element's text, so the file buffer becomes the string
 * pool and no second copy of the masks exists.
 */
#include <stdio.h>
#include <string.h>

#include "io/dataset.h"
#include "io/file_read.h"
#include "io/json_elements.h"
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
    maskeval_free(&copy, d->kpt);
    maskeval_free(&copy, d->keep_fixed);
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

/* Per-task state of the parallel parse. */
typedef struct res_task {
    maskeval_segm_scratch scr;
    maskeval_bytevec side;
} res_task;

typedef struct res_job {
    maskeval_dets *d;
    const maskeval_gt *gt;
    const char *file;
    const char *pool_base;
    res_task *tasks;
    const uint64_t *index_map; /* element -> its index in the whole file, or NULL */
} res_job;

static maskeval_status store_mask(maskeval_ctx *ctx, res_job *job, res_task *t, size_t i,
                                  const char *str, size_t str_len, char *slot, size_t slot_cap)
{
    maskeval_status st = maskeval_maskset_store(&ctx->alloc, &job->d->masks, i, &t->scr.stats,
                                                t->scr.counts.v, t->scr.counts.n, str, str_len,
                                                slot, slot_cap, job->pool_base, &t->side);
    return st == MASKEVAL_OK ? st : maskeval_nomem(ctx, "storing masks");
}

/* The mask of result i in the bbox branch (segm evaluation only). */
static maskeval_status bbox_branch_mask(maskeval_ctx *ctx, res_job *job, res_task *t, size_t i,
                                        const cJSON *res, uint32_t h, uint32_t w,
                                        const char *where, char *slot, size_t slot_cap)
{
    const cJSON *segm = maskeval_json_member(res, "segmentation");
    const char *str = NULL;
    size_t str_len = 0;
    maskeval_status st;

    if (segm == NULL) {
        /* loadRes: [[x1, y1, x1, y2, x2, y2, x2, y1]] from the box. */
        const double *b = job->d->bbox + 4 * i;
        double x1 = b[0], x2 = b[0] + b[2], y1 = b[1], y2 = b[1] + b[3];
        double poly[8] = {x1, y1, x1, y2, x2, y2, x2, y1};
        st = maskeval_poly_rasterize(&ctx->alloc, poly, 4, h, w, &t->scr.idx, &t->scr.counts);
        if (st == MASKEVAL_ERR_LIMIT) {
            return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                                 "%s: %s: bbox: beyond +-%.0f pixels, cannot rasterize it",
                                 job->file, where, MASKEVAL_POLY_COORD_LIMIT);
        }
        if (st != MASKEVAL_OK) {
            return maskeval_nomem(ctx, "rasterizing a box");
        }
        maskeval_rle_stats_of(t->scr.counts.v, t->scr.counts.n, h, w, &t->scr.stats);
    } else {
        st = maskeval_segm_parse(ctx, segm, h, w,
                                 MASKEVAL_SEGM_POLY | MASKEVAL_SEGM_URLE | MASKEVAL_SEGM_CRLE,
                                 &t->scr, job->file, where, &str, &str_len);
        if (st != MASKEVAL_OK) {
            return st;
        }
    }
    return store_mask(ctx, job, t, i, str, str_len, slot, slot_cap);
}

/* Result i in the segm branch: area and (missing) box from the mask. */
static maskeval_status segm_branch_mask(maskeval_ctx *ctx, res_job *job, res_task *t, size_t i,
                                        const cJSON *res, uint32_t h, uint32_t w,
                                        const char *where, char *slot, size_t slot_cap)
{
    maskeval_dets *d = job->d;
    const cJSON *segm = maskeval_json_member(res, "segmentation");
    const cJSON *box = maskeval_json_member(res, "bbox");
    const char *str = NULL;
    size_t str_len = 0;
    maskeval_status st;

    if (segm == NULL) {
        return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                             "%s: %s: segmentation: missing (the first result has a "
                             "segmentation and no bbox, so every result needs a mask)",
                             job->file, where);
    }
    st = maskeval_segm_parse(ctx, segm, h, w, MASKEVAL_SEGM_CRLE, &t->scr, job->file, where, &str,
                             &str_len);
    if (st != MASKEVAL_OK) {
        return st;
    }
    d->area[i] = (double)t->scr.stats.area;
    if (box != NULL && !is_empty_array(box)) {
        if (!maskeval_json_box(box, d->bbox + 4 * i)) {
            return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                                 "%s: %s: bbox: expected [x, y, width, height] finite numbers",
                                 job->file, where);
        }
    } else {
        memcpy(d->bbox + 4 * i, t->scr.stats.box, sizeof(t->scr.stats.box));
    }
    if (d->flags & MASKEVAL_LOAD_SEGM) {
        return store_mask(ctx, job, t, i, str, str_len, slot, slot_cap);
    }
    return MASKEVAL_OK;
}

/* "result I" into where (48 bytes): formatted for every result, so without
 * snprintf, which costs more than the rest of a small result's bookkeeping. */
static void result_where(char *where, size_t i)
{
    char digits[24];
    size_t n = 0;
    memcpy(where, "result ", 7);
    do {
        digits[n++] = (char)('0' + i % 10);
        i /= 10;
    } while (i != 0);
    for (size_t k = 0; k < n; k++) {
        where[7 + k] = digits[n - 1 - k];
    }
    where[7 + n] = '\0';
}

static maskeval_status result_element(void *arg, maskeval_ctx *ctx, size_t task, size_t i,
                                      const cJSON *res, char *slot, size_t slot_cap)
{
    res_job *job = arg;
    maskeval_dets *d = job->d;
    res_task *t = &job->tasks[task];
    const char *file = job->file;
    char where[48];
    const cJSON *j;
    int64_t img_id;
    int32_t img;
    uint32_t h, w;

    result_where(where, job->index_map != NULL ? (size_t)job->index_map[i] : i);
    if (!cJSON_IsObject(res)) {
        return maskeval_fail(ctx, MASKEVAL_ERR_PARSE, "%s: %s: expected an object, got %s", file,
                             where, maskeval_json_type(res));
    }
    j = maskeval_json_member(res, "image_id");
    if (!maskeval_json_int(j, &img_id)) {
        return maskeval_fail(ctx, MASKEVAL_ERR_PARSE, "%s: %s: image_id: expected an integer, got %s",
                             file, where, maskeval_json_int_type(j));
    }
    img = maskeval_gt_find_image(job->gt, img_id);
    if (img < 0) {
        return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                             "%s: %s: image_id %lld is not an image of the ground truth "
                             "(pycocotools: \"Results do not correspond to current coco set\")",
                             file, where, (long long)img_id);
    }
    j = maskeval_json_member(res, "category_id");
    if (!maskeval_json_int(j, &d->cat_id[i])) {
        return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                             "%s: %s: category_id: expected an integer, got %s", file, where,
                             maskeval_json_int_type(j));
    }
    j = maskeval_json_member(res, "score");
    if (!maskeval_json_finite(j, &d->score[i])) {
        return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                             "%s: %s: score: expected a finite number, got %s", file, where,
                             maskeval_json_type(j));
    }
    d->img[i] = img;
    h = job->gt->img_h[img];
    w = job->gt->img_w[img];
    if (d->bbox_branch) {
        const double *b = d->bbox + 4 * i;
        if (!maskeval_json_box(maskeval_json_member(res, "bbox"), d->bbox + 4 * i)) {
            return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                                 "%s: %s: bbox: expected [x, y, width, height] finite numbers "
                                 "(the first result has a bbox, so every result needs one)",
                                 file, where);
        }
        d->area[i] = b[2] * b[3];
        if (d->flags & MASKEVAL_LOAD_SEGM) {
            return bbox_branch_mask(ctx, job, t, i, res, h, w, where, slot, slot_cap);
        }
        return MASKEVAL_OK;
    }
    return segm_branch_mask(ctx, job, t, i, res, h, w, where, slot, slot_cap);
}

/* Decides loadRes' branch from the first result. */
static maskeval_status choose_branch(maskeval_ctx *ctx, const char *name, const char *buf,
                                     size_t len, maskeval_json_span first, maskeval_dets *d)
{
    cJSON *item = NULL;
    const cJSON *box;
    maskeval_json_arena ar;
    maskeval_status st;
    maskeval_json_arena_init(&ar, &ctx->alloc);
    st = maskeval_json_parse_span(ctx, name, buf, len, first, &ar, &item);
    if (st != MASKEVAL_OK) {
        maskeval_json_arena_release(&ar);
        return st;
    }
    if (!cJSON_IsObject(item)) {
        st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE, "%s: result 0: expected an object, got %s",
                           name, maskeval_json_type(item));
    } else if ((box = maskeval_json_member(item, "bbox")) != NULL && !is_empty_array(box)) {
        d->bbox_branch = 1;
    } else if (maskeval_json_member(item, "segmentation") == NULL) {
        st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                           "%s: result 0: has neither \"bbox\" nor \"segmentation\"", name);
    }
    maskeval_json_arena_release(&ar);
    return st;
}

/* Loads from buf, which it owns (and keeps as the mask string pool). */
static maskeval_status load_owned(maskeval_ctx *ctx, const maskeval_gt *gt, const char *name,
                                  char *buf, size_t len, const uint64_t *index_map,
                                  maskeval_dets **out)
{
    const maskeval_alloc *a = &ctx->alloc;
    maskeval_json_span *spans = NULL;
    maskeval_elements el;
    maskeval_dets *d = NULL;
    res_job job;
    size_t n = 0, p, end;
    maskeval_status st;

    memset(&el, 0, sizeof(el));
    memset(&job, 0, sizeof(job));
    /* the shares of the stage are rough measured times (COCO-val-scale segm) */
    maskeval_progress_window(ctx, "reading results", 0.1, 0.3);
    p = maskeval_json_skip_ws(buf, len, 0);
    if (p >= len) {
        st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE, "%s: empty file, expected JSON", name);
        goto done;
    }
    if (buf[p] != '[') {
        maskeval_json_span whole;
        maskeval_json_arena ar;
        cJSON *root = NULL;
        maskeval_json_arena_init(&ar, a);
        st = maskeval_json_value_span(ctx, name, buf, len, p, &whole);
        if (st == MASKEVAL_OK) {
            st = maskeval_json_parse_span(ctx, name, buf, len, whole, &ar, &root);
        }
        if (st == MASKEVAL_OK && cJSON_IsObject(root) &&
            (maskeval_json_member(root, "images") != NULL ||
             maskeval_json_member(root, "annotations") != NULL)) {
            st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                               "%s: is a COCO ground-truth file (an object with \"images\" / "
                               "\"annotations\"), not a results list (a JSON array): are --gt "
                               "and --dt swapped?",
                               name);
        } else if (st == MASKEVAL_OK && cJSON_IsObject(root) &&
                   (p = maskeval_json_skip_ws(buf, len, whole.off + whole.len)) < len &&
                   buf[p] == '{') {
            st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                               "%s: looks like JSON Lines (one object per line); maskeval, as "
                               "pycocotools' loadRes, expects a JSON array of results "
                               "([{...}, {...}])",
                               name);
        } else if (st == MASKEVAL_OK) {
            st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                               "%s: expected a JSON array of results at the top level, got %s",
                               name, maskeval_json_type(root));
        }
        maskeval_json_arena_release(&ar);
        goto done;
    }
    st = maskeval_json_array_spans(ctx, name, buf, len, p, &spans, &n);
    if (st != MASKEVAL_OK) {
        goto done;
    }
    /* after the closing bracket: whitespace only */
    end = n > 0 ? spans[n - 1].off + spans[n - 1].len : p + 1;
    end = maskeval_json_skip_ws(buf, len, end);
    end = maskeval_json_skip_ws(buf, len, end + 1); /* past ']' */
    if (end < len) {
        st = maskeval_json_syntax_error(ctx, name, buf, len, end,
                                        "extra data after the top-level value");
        goto done;
    }
    if (n > INT32_MAX) {
        st = maskeval_fail(ctx, MASKEVAL_ERR_LIMIT, "%s: more than 2^31-1 results", name);
        goto done;
    }
    d = maskeval_calloc(a, 1, sizeof(*d));
    if (d == NULL) {
        st = maskeval_nomem(ctx, "loading results");
        goto done;
    }
    d->alloc = *a;
    d->gt = gt;
    d->flags = gt->flags;
    d->n = n;
    st = alloc_dets(ctx, d, n);
    if (st == MASKEVAL_OK && n > 0) {
        st = choose_branch(ctx, name, buf, len, spans[0], d);
    }
    if (st != MASKEVAL_OK) {
        goto done;
    }
    el.name = name;
    el.buf = buf;
    el.len = len;
    el.spans = spans;
    el.n = n;
    maskeval_progress_window(ctx, "reading results", 0.3, 0.4);
    st = maskeval_elements_plan(ctx, &el);
    if (st != MASKEVAL_OK) {
        goto done;
    }
    job.d = d;
    job.gt = gt;
    job.file = name;
    job.pool_base = buf;
    job.index_map = index_map;
    job.tasks = maskeval_calloc(a, el.ntasks, sizeof(res_task));
    if (job.tasks == NULL) {
        st = maskeval_nomem(ctx, "loading results");
        goto done;
    }
    maskeval_progress_window(ctx, "reading results", 0.4, 1.0);
    st = maskeval_elements_parse(ctx, &el, result_element, &job);
    if (st == MASKEVAL_OK && (d->flags & MASKEVAL_LOAD_SEGM)) {
        maskeval_bytevec *sides = maskeval_calloc(a, el.ntasks, sizeof(maskeval_bytevec));
        if (sides == NULL) {
            st = maskeval_nomem(ctx, "storing masks");
        } else {
            for (size_t t = 0; t < el.ntasks; t++) {
                sides[t] = job.tasks[t].side;
                memset(&job.tasks[t].side, 0, sizeof(job.tasks[t].side));
            }
            st = maskeval_maskset_finish(a, &d->masks, buf, el.first, sides, el.ntasks);
            buf = NULL; /* now the pool */
            if (st != MASKEVAL_OK) {
                st = maskeval_nomem(ctx, "storing masks");
            }
            maskeval_free(a, sides);
        }
    }
done:
    for (size_t t = 0; job.tasks != NULL && t < el.ntasks; t++) {
        maskeval_segm_scratch_free(a, &job.tasks[t].scr);
        maskeval_free(a, job.tasks[t].side.v);
    }
    maskeval_free(a, job.tasks);
    maskeval_elements_free(ctx, &el);
    maskeval_free(a, spans);
    maskeval_free(a, buf);
    if (st != MASKEVAL_OK) {
        maskeval_dets_destroy(d);
        d = NULL;
    }
    *out = d;
    return st;
}

maskeval_status maskeval_dets_load_buffer(maskeval_ctx *ctx, const maskeval_gt *gt,
                                          const char *name, const char *json, size_t len,
                                          maskeval_dets **out)
{
    char *copy;
    if (out != NULL) {
        *out = NULL;
    }
    if (ctx == NULL || gt == NULL || out == NULL || (json == NULL && len != 0)) {
        return ctx != NULL ? maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                                           "maskeval_dets_load: invalid arguments")
                           : MASKEVAL_ERR_INVALID_ARG;
    }
    /* the loader writes mask strings into its buffer: work on a copy */
    if (maskeval_text_copy(ctx, json, len, "loading results", &copy) != MASKEVAL_OK) {
        return MASKEVAL_ERR_NOMEM;
    }
    return load_owned(ctx, gt, name != NULL ? name : "<results>", copy, len, NULL, out);
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
    maskeval_progress_window(ctx, "reading results", 0.0, 0.1);
    st = maskeval_file_read(ctx, path, &buf, &len);
    if (st != MASKEVAL_OK) {
        return st;
    }
    return load_owned(ctx, gt, path, buf, len, NULL, out);
}

maskeval_status maskeval_dets_load_subset(maskeval_ctx *ctx, const maskeval_gt *gt,
                                          const char *name, char *buf, size_t len,
                                          const uint64_t *index_map, maskeval_dets **out)
{
    *out = NULL;
    return load_owned(ctx, gt, name, buf, len, index_map, out);
}
