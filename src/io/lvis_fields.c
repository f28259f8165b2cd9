/*
 * lvis_fields.c - the fields an LVIS ground-truth file adds to COCO's
 * (MASKEVAL_LOAD_LVIS): each image's neg_category_ids and
 * not_exhaustive_category_ids, each category's frequency. lvis-api raises
 * KeyError for a missing one and ValueError for a frequency other than
 * "r", "c", "f"; here each is an error naming the file and the element.
 */
#include <stdlib.h>
#include <string.h>

#include "core/sort.h"
#include "io/lvis_fields.h"
#include "io/json_util.h"

static int i64_cmp(const void *pa, const void *pb)
{
    const int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;
    return a < b ? -1 : a > b;
}

/* nodes[i]: the i-th element of arr. */
static const cJSON **index_array(const maskeval_alloc *a, const cJSON *arr, size_t n)
{
    const cJSON **nodes = maskeval_calloc(a, n + 1, sizeof(*nodes));
    size_t i = 0;
    for (const cJSON *c = arr->child; nodes != NULL && c != NULL && i < n; c = c->next) {
        nodes[i++] = c;
    }
    return nodes;
}

/* One id list of an image: appended to *ids (sorted within the image). */
static maskeval_status id_list(maskeval_ctx *ctx, const cJSON *img, const char *key,
                               const char *file, size_t fi, int64_t img_id, int64_t **ids,
                               size_t *n, size_t *cap)
{
    const cJSON *list = maskeval_json_member(img, key), *c;
    size_t start = *n, k = 0;
    if (list == NULL || !cJSON_IsArray(list)) {
        return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                             "%s: images[%zu] (id %lld): %s: %s (LVIS needs an array of category "
                             "ids on every image; lvis-api raises KeyError)",
                             file, fi, (long long)img_id, key,
                             list == NULL ? "missing" : "expected an array");
    }
    for (c = list->child; c != NULL; c = c->next, k++) {
        int64_t v;
        if (!maskeval_json_int(c, &v)) {
            return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                                 "%s: images[%zu] (id %lld): %s[%zu]: expected an integer, got %s",
                                 file, fi, (long long)img_id, key, k, maskeval_json_int_type(c));
        }
        if (*n == *cap) {
            void *p = *ids;
            if (maskeval_grow(&ctx->alloc, &p, cap, *n + 1, sizeof(int64_t)) != MASKEVAL_OK) {
                return maskeval_nomem(ctx, "reading LVIS image fields");
            }
            *ids = p;
        }
        (*ids)[(*n)++] = v;
    }
    if (*n - start > 1) { /* (an empty list may have no array yet: qsort(NULL) is undefined) */
        qsort(*ids + start, *n - start, sizeof(int64_t), i64_cmp);
    }
    return MASKEVAL_OK;
}

maskeval_status maskeval_lvis_images(maskeval_ctx *ctx, maskeval_gt *gt, const cJSON *images,
                                     const char *file, const uint32_t *winner)
{
    const maskeval_alloc *a = &ctx->alloc;
    const size_t n_file = maskeval_json_count(images);
    const cJSON **nodes = index_array(a, images, n_file);
    size_t nn = 0, cn = 0, ne = 0, ce = 0;
    maskeval_status st = MASKEVAL_OK;

    gt->img_neg_off = maskeval_calloc(a, gt->n_img + 1, sizeof(uint32_t));
    gt->img_nel_off = maskeval_calloc(a, gt->n_img + 1, sizeof(uint32_t));
    if (nodes == NULL || gt->img_neg_off == NULL || gt->img_nel_off == NULL) {
        st = maskeval_nomem(ctx, "reading LVIS image fields");
        goto done;
    }
    for (size_t m = 0; m < gt->n_img && st == MASKEVAL_OK; m++) {
        const size_t fi = winner[m];
        st = id_list(ctx, nodes[fi], "neg_category_ids", file, fi, gt->img_id[m], &gt->img_neg,
                     &nn, &cn);
        if (st == MASKEVAL_OK) {
            st = id_list(ctx, nodes[fi], "not_exhaustive_category_ids", file, fi, gt->img_id[m],
                         &gt->img_nel, &ne, &ce);
        }
        if (nn > UINT32_MAX || ne > UINT32_MAX) {
            st = maskeval_fail(ctx, MASKEVAL_ERR_LIMIT, "%s: too many LVIS category lists", file);
        }
        gt->img_neg_off[m + 1] = (uint32_t)nn;
        gt->img_nel_off[m + 1] = (uint32_t)ne;
    }
done:
    maskeval_free(a, nodes);
    return st;
}

maskeval_status maskeval_lvis_categories(maskeval_ctx *ctx, maskeval_gt *gt, const cJSON *cats,
                                         const char *file, const uint32_t *winner)
{
    static const char freq_names[3] = {'r', 'c', 'f'};
    const maskeval_alloc *a = &ctx->alloc;
    const size_t n_file = maskeval_json_count(cats);
    const cJSON **nodes = index_array(a, cats, n_file);
    maskeval_status st = MASKEVAL_OK;

    gt->cat_freq = maskeval_calloc(a, gt->n_cat + 1, 1);
    if (nodes == NULL || gt->cat_freq == NULL) {
        st = maskeval_nomem(ctx, "reading LVIS category fields");
        goto done;
    }
    for (size_t m = 0; m < gt->n_cat; m++) {
        const cJSON *f = maskeval_json_member(nodes[winner[m]], "frequency");
        int g = -1;
        for (int k = 0; k < 3 && cJSON_IsString(f); k++) {
            if (f->valuestring[0] == freq_names[k] && f->valuestring[1] == '\0') {
                g = k;
            }
        }
        if (g < 0) {
            st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                               "%s: categories[%u] (id %lld): frequency: %s (LVIS needs \"r\", "
                               "\"c\" or \"f\"; lvis-api raises %s)",
                               file, winner[m], (long long)gt->cat_id[m],
                               f == NULL             ? "missing"
                               : cJSON_IsString(f)   ? "not one of r, c, f"
                                                     : "expected a string",
                               f == NULL ? "KeyError" : "ValueError");
            goto done;
        }
        gt->cat_freq[m] = (uint8_t)g;
    }
done:
    maskeval_free(a, nodes);
    return st;
}

int maskeval_lvis_is_neg(const maskeval_gt *gt, int32_t img, int64_t cat_id)
{
    const uint32_t lo = gt->img_neg_off[img], hi = gt->img_neg_off[img + 1];
    return hi > lo && maskeval_find_i64(gt->img_neg + lo, hi - lo, cat_id) >= 0;
}

int maskeval_lvis_is_not_exhaustive(const maskeval_gt *gt, int32_t img, int64_t cat_id)
{
    const uint32_t lo = gt->img_nel_off[img], hi = gt->img_nel_off[img + 1];
    return hi > lo && maskeval_find_i64(gt->img_nel + lo, hi - lo, cat_id) >= 0;
}
