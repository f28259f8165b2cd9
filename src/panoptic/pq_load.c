/*
 * pq_load.c - the two COCO panoptic JSON files of pq_compute: ground truth
 * {annotations, categories} and predictions {annotations}, each annotation
 * {image_id, file_name, segments_info}. Images are the GT annotations in
 * file order, each paired with the prediction of its image_id.
 */
#include "panoptic/panoptic.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/file_read.h"
#include "io/json_util.h"

void maskeval_pq_data_free(const maskeval_alloc *a, pq_data *d)
{
    for (size_t i = 0; i < d->n_cats; i++) {
        maskeval_free(a, d->cats[i].name);
    }
    for (size_t i = 0; i < d->n_imgs; i++) {
        maskeval_free(a, d->imgs[i].gt_path);
        maskeval_free(a, d->imgs[i].pred_path);
        maskeval_free(a, d->imgs[i].label);
    }
    maskeval_free(a, d->cats);
    maskeval_free(a, d->imgs);
    maskeval_free(a, d->segs);
    memset(d, 0, sizeof(*d));
}

static char *dup_str(const maskeval_alloc *a, const char *s)
{
    const size_t n = strlen(s) + 1;
    char *c = maskeval_malloc(a, n);
    if (c != NULL) {
        memcpy(c, s, n);
    }
    return c;
}

/* panopticapi's default folder: json_path.replace('.json', '') */
static char *default_dir(const maskeval_alloc *a, const char *json_path)
{
    const size_t n = strlen(json_path);
    char *out = maskeval_malloc(a, n + 1);
    size_t k = 0;
    if (out == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < n;) {
        if (strncmp(json_path + i, ".json", 5) == 0) {
            i += 5;
        } else {
            out[k++] = json_path[i++];
        }
    }
    out[k] = '\0';
    return out;
}

/* os.path.join(dir, name): an absolute name replaces the folder */
static char *join_path(const maskeval_alloc *a, const char *dir, const char *name)
{
    const size_t nd = strlen(dir), nn = strlen(name);
    char *out;
    if (name[0] == '/' || nd == 0) {
        return dup_str(a, name);
    }
    out = maskeval_malloc(a, nd + nn + 2);
    if (out != NULL) {
        const int slash = dir[nd - 1] == '/';
        memcpy(out, dir, nd);
        if (!slash) {
            out[nd] = '/';
        }
        memcpy(out + nd + !slash, name, nn + 1);
    }
    return out;
}

static maskeval_status parse_file(maskeval_ctx *ctx, const char *path, cJSON **root,
                                  uint64_t *digest)
{
    char *text = NULL;
    size_t len = 0;
    maskeval_status st = maskeval_file_read(ctx, path, &text, &len);
    *root = NULL;
    if (st != MASKEVAL_OK) {
        return st;
    }
    if (digest != NULL) {
        *digest = maskeval_digest(text, len);
    }
    *root = cJSON_ParseWithLength(text, len);
    if (*root == NULL) {
        const char *at = cJSON_GetErrorPtr();
        st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE, "%s: invalid JSON at byte %ld", path,
                           at != NULL && at >= text && at <= text + len ? (long)(at - text) : 0L);
    } else if (!cJSON_IsObject(*root)) {
        st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE, "%s: the top level is %s, not an object",
                           path, maskeval_json_type(*root));
    }
    maskeval_free(&ctx->alloc, text);
    return st;
}

/* An image id: an integer or a string, as a key "i:<n>" / "s:<text>" (a
 * Python dict never equates 1 and "1"). */
static char *id_key(const maskeval_alloc *a, const cJSON *v)
{
    int64_t n;
    char buf[32];
    if (maskeval_json_int(v, &n)) {
        snprintf(buf, sizeof buf, "i:%lld", (long long)n);
        return dup_str(a, buf);
    }
    if (cJSON_IsString(v)) {
        const size_t len = strlen(v->valuestring);
        char *k = maskeval_malloc(a, len + 3);
        if (k != NULL) {
            k[0] = 's';
            k[1] = ':';
            memcpy(k + 2, v->valuestring, len + 1);
        }
        return k;
    }
    return NULL;
}

typedef struct pred_ref {
    char *key;
    const cJSON *ann;
    size_t pos;
} pred_ref;

static int cmp_ref(const void *x, const void *y)
{
    const pred_ref *a = x, *b = y;
    const int c = strcmp(a->key, b->key);
    if (c != 0) {
        return c;
    }
    return a->pos < b->pos ? -1 : a->pos > b->pos;
}

static int cmp_i64(const void *x, const void *y)
{
    const int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return a < b ? -1 : a > b;
}

static long cat_index(const pq_data *d, const int64_t *sorted_ids, const uint32_t *sorted_idx,
                      int64_t id)
{
    size_t lo = 0, hi = d->n_cats;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (sorted_ids[mid] < id) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo < d->n_cats && sorted_ids[lo] == id ? (long)sorted_idx[lo] : -1;
}

/* An annotation's segments_info into d->segs. gt: area and iscrowd too. */
static maskeval_status load_segments(maskeval_ctx *ctx, const char *path, size_t ai,
                                     const cJSON *ann, int gt, pq_data *d, size_t *cap,
                                     const int64_t *cid, const uint32_t *cix, size_t *off,
                                     size_t *n)
{
    const cJSON *si = maskeval_json_member(ann, "segments_info");
    size_t k = 0, first = d->n_segs;
    int64_t *ids = NULL;
    maskeval_status st = MASKEVAL_OK;
    if (!cJSON_IsArray(si)) {
        return maskeval_fail(ctx, MASKEVAL_ERR_PARSE, "%s: annotations[%zu]: segments_info: %s",
                             path, ai, si == NULL ? "missing" : "not an array");
    }
    for (const cJSON *s = si->child; s != NULL; s = s->next, k++) {
        pq_seg *g;
        const cJSON *v;
        void *p = d->segs;
        if (maskeval_grow(&ctx->alloc, &p, cap, d->n_segs + 1, sizeof(pq_seg)) != MASKEVAL_OK) {
            return maskeval_nomem(ctx, "reading segments_info");
        }
        d->segs = p;
        g = &d->segs[d->n_segs];
        memset(g, 0, sizeof(*g));
        if (!cJSON_IsObject(s)) {
            return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                                 "%s: annotations[%zu]: segments_info[%zu]: %s, not an object",
                                 path, ai, k, maskeval_json_type(s));
        }
        if (!maskeval_json_int(v = maskeval_json_member(s, "id"), &g->id)) {
            return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                                 "%s: annotations[%zu]: segments_info[%zu]: id: %s", path, ai, k,
                                 v == NULL ? "missing" : maskeval_json_int_type(v));
        }
        if (!maskeval_json_int(v = maskeval_json_member(s, "category_id"), &g->cat_id)) {
            return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                                 "%s: annotations[%zu]: segments_info[%zu]: category_id: %s", path,
                                 ai, k, v == NULL ? "missing" : maskeval_json_int_type(v));
        }
        g->cat = (int32_t)cat_index(d, cid, cix, g->cat_id);
        if (gt) {
            int64_t crowd;
            if (!maskeval_json_finite(v = maskeval_json_member(s, "area"), &g->area)) {
                return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                                     "%s: annotations[%zu]: segments_info[%zu]: area: %s", path,
                                     ai, k, v == NULL ? "missing" : "not a finite number");
            }
            if (!maskeval_json_int(v = maskeval_json_member(s, "iscrowd"), &crowd)) {
                return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                                     "%s: annotations[%zu]: segments_info[%zu]: iscrowd: %s", path,
                                     ai, k, v == NULL ? "missing" : maskeval_json_int_type(v));
            }
            g->crowd = crowd == 1;
        }
        d->n_segs++;
    }
    /* duplicate ids: a Python dict would keep the last entry at the first one's place;
     * maskeval refuses them (README "Panoptic quality") */
    *off = first;
    *n = d->n_segs - first;
    if (*n > 1) {
        ids = maskeval_malloc(&ctx->alloc, *n * sizeof(int64_t));
        if (ids == NULL) {
            return maskeval_nomem(ctx, "checking segment ids");
        }
        for (size_t i = 0; i < *n; i++) {
            ids[i] = d->segs[first + i].id;
        }
        qsort(ids, *n, sizeof(int64_t), cmp_i64);
        for (size_t i = 1; i < *n; i++) {
            if (ids[i] == ids[i - 1]) {
                st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                                   "%s: annotations[%zu]: segments_info: segment id %lld appears "
                                   "twice",
                                   path, ai, (long long)ids[i]);
                break;
            }
        }
        maskeval_free(&ctx->alloc, ids);
    }
    return st;
}

static maskeval_status load_categories(maskeval_ctx *ctx, const char *path, const cJSON *root,
                                       pq_data *d, int64_t **cid, uint32_t **cix)
{
    const cJSON *cats = maskeval_json_member(root, "categories");
    size_t k = 0, n;
    if (!cJSON_IsArray(cats)) {
        return maskeval_fail(ctx, MASKEVAL_ERR_PARSE, "%s: categories: %s", path,
                             cats == NULL ? "missing" : "not an array");
    }
    n = maskeval_json_count(cats);
    d->cats = maskeval_calloc(&ctx->alloc, n + 1, sizeof(pq_cat));
    *cid = maskeval_malloc(&ctx->alloc, (n + 1) * sizeof(int64_t));
    *cix = maskeval_malloc(&ctx->alloc, (n + 1) * sizeof(uint32_t));
    if (d->cats == NULL || *cid == NULL || *cix == NULL) {
        return maskeval_nomem(ctx, "reading categories");
    }
    d->max_cat_id = INT64_MIN;
    for (const cJSON *c = cats->child; c != NULL; c = c->next, k++) {
        pq_cat *pc = &d->cats[k];
        const cJSON *v;
        int64_t isthing;
        if (!maskeval_json_int(v = maskeval_json_member(c, "id"), &pc->id)) {
            return maskeval_fail(ctx, MASKEVAL_ERR_PARSE, "%s: categories[%zu]: id: %s", path, k,
                                 v == NULL ? "missing" : maskeval_json_int_type(v));
        }
        if (!maskeval_json_int(v = maskeval_json_member(c, "isthing"), &isthing)) {
            return maskeval_fail(ctx, MASKEVAL_ERR_PARSE, "%s: categories[%zu]: isthing: %s", path,
                                 k, v == NULL ? "missing" : maskeval_json_int_type(v));
        }
        pc->isthing = isthing == 1;
        v = maskeval_json_member(c, "name");
        pc->name = dup_str(&ctx->alloc, cJSON_IsString(v) ? v->valuestring : "");
        if (pc->name == NULL) {
            return maskeval_nomem(ctx, "reading categories");
        }
        d->n_cats = k + 1;
        if (pc->id > d->max_cat_id) {
            d->max_cat_id = pc->id;
        }
    }
    for (size_t i = 0; i < d->n_cats; i++) {
        (*cid)[i] = d->cats[i].id;
    }
    qsort(*cid, d->n_cats, sizeof(int64_t), cmp_i64);
    for (size_t i = 1; i < d->n_cats; i++) {
        if ((*cid)[i] == (*cid)[i - 1]) {
            return maskeval_fail(ctx, MASKEVAL_ERR_PARSE, "%s: categories: id %lld appears twice",
                                 path, (long long)(*cid)[i]);
        }
    }
    for (size_t i = 0; i < d->n_cats; i++) {
        size_t lo = 0, hi = d->n_cats;
        while (lo < hi) {
            const size_t mid = lo + (hi - lo) / 2;
            if ((*cid)[mid] < d->cats[i].id) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        (*cix)[lo] = (uint32_t)i;
    }
    return MASKEVAL_OK;
}

static maskeval_status annotation_fields(maskeval_ctx *ctx, const char *path, size_t ai,
                                         const cJSON *ann, const char **file)
{
    const cJSON *v;
    if (!cJSON_IsObject(ann)) {
        return maskeval_fail(ctx, MASKEVAL_ERR_PARSE, "%s: annotations[%zu]: %s, not an object",
                             path, ai, maskeval_json_type(ann));
    }
    v = maskeval_json_member(ann, "image_id");
    if (v == NULL || (!cJSON_IsString(v) && !cJSON_IsNumber(v))) {
        return maskeval_fail(ctx, MASKEVAL_ERR_PARSE, "%s: annotations[%zu]: image_id: %s", path,
                             ai, v == NULL ? "missing" : maskeval_json_type(v));
    }
    v = maskeval_json_member(ann, "file_name");
    if (!cJSON_IsString(v)) {
        return maskeval_fail(ctx, MASKEVAL_ERR_PARSE, "%s: annotations[%zu]: file_name: %s", path,
                             ai, v == NULL ? "missing" : maskeval_json_type(v));
    }
    *file = v->valuestring;
    return MASKEVAL_OK;
}

maskeval_status maskeval_pq_load(maskeval_ctx *ctx, const char *gt_json, const char *gt_dir,
                                 const char *pred_json, const char *pred_dir, pq_data *out)
{
    const maskeval_alloc *a = &ctx->alloc;
    cJSON *groot = NULL, *proot = NULL;
    const cJSON *ganns, *panns;
    pred_ref *refs = NULL;
    size_t n_refs = 0, seg_cap = 0, ai = 0;
    char *gdir = NULL, *pdir = NULL;
    int64_t *cid = NULL;
    uint32_t *cix = NULL;
    maskeval_status st;

    memset(out, 0, sizeof(*out));
    st = parse_file(ctx, gt_json, &groot, &out->gt_digest);
    if (st == MASKEVAL_OK) {
        st = parse_file(ctx, pred_json, &proot, NULL);
    }
    if (st != MASKEVAL_OK) {
        goto done;
    }
    gdir = gt_dir != NULL ? dup_str(a, gt_dir) : default_dir(a, gt_json);
    pdir = pred_dir != NULL ? dup_str(a, pred_dir) : default_dir(a, pred_json);
    if (gdir == NULL || pdir == NULL) {
        st = maskeval_nomem(ctx, "reading the panoptic JSON");
        goto done;
    }
    st = load_categories(ctx, gt_json, groot, out, &cid, &cix);
    if (st != MASKEVAL_OK) {
        goto done;
    }
    ganns = maskeval_json_member(groot, "annotations");
    panns = maskeval_json_member(proot, "annotations");
    if (!cJSON_IsArray(ganns) || !cJSON_IsArray(panns)) {
        const int g = !cJSON_IsArray(ganns);
        const cJSON *bad = g ? ganns : panns;
        st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE, "%s: annotations: %s", g ? gt_json : pred_json,
                           bad == NULL ? "missing" : "not an array");
        goto done;
    }
    /* predictions by image id; for equal ids the last one wins */
    refs = maskeval_calloc(a, maskeval_json_count(panns) + 1, sizeof(pred_ref));
    out->imgs = maskeval_calloc(a, maskeval_json_count(ganns) + 1, sizeof(pq_img));
    if (refs == NULL || out->imgs == NULL) {
        st = maskeval_nomem(ctx, "reading the panoptic JSON");
        goto done;
    }
    for (const cJSON *p = panns->child; p != NULL; p = p->next, n_refs++) {
        const char *file;
        st = annotation_fields(ctx, pred_json, n_refs, p, &file);
        if (st != MASKEVAL_OK) {
            goto done;
        }
        refs[n_refs].key = id_key(a, maskeval_json_member(p, "image_id"));
        refs[n_refs].ann = p;
        refs[n_refs].pos = n_refs;
        if (refs[n_refs].key == NULL) {
            st = cJSON_IsNumber(maskeval_json_member(p, "image_id"))
                     ? maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                                     "%s: annotations[%zu]: image_id: not an integer", pred_json,
                                     n_refs)
                     : maskeval_nomem(ctx, "reading the panoptic JSON");
            n_refs++;
            goto done;
        }
    }
    qsort(refs, n_refs, sizeof(pred_ref), cmp_ref);
    for (const cJSON *g = ganns->child; g != NULL; g = g->next, ai++) {
        pq_img *im = &out->imgs[ai];
        const char *gfile, *pfile;
        const pred_ref *hit = NULL;
        char *key;
        size_t lo = 0, hi = n_refs;
        st = annotation_fields(ctx, gt_json, ai, g, &gfile);
        if (st != MASKEVAL_OK) {
            goto done;
        }
        key = id_key(a, maskeval_json_member(g, "image_id"));
        if (key == NULL) {
            st = cJSON_IsNumber(maskeval_json_member(g, "image_id"))
                     ? maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                                     "%s: annotations[%zu]: image_id: not an integer", gt_json, ai)
                     : maskeval_nomem(ctx, "reading the panoptic JSON");
            goto done;
        }
        /* the last reference with this key: upper bound, minus one */
        while (lo < hi) {
            const size_t mid = lo + (hi - lo) / 2;
            if (strcmp(refs[mid].key, key) <= 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        if (lo > 0 && strcmp(refs[lo - 1].key, key) == 0) {
            hit = &refs[lo - 1];
        }
        im->label = dup_str(a, key + 2);
        maskeval_free(a, key);
        out->n_imgs = ai + 1;
        if (im->label == NULL) {
            st = maskeval_nomem(ctx, "reading the panoptic JSON");
            goto done;
        }
        if (hit == NULL) {
            st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                               "%s: no prediction for the image with id %s (%s: annotations[%zu])",
                               pred_json, im->label, gt_json, ai);
            goto done;
        }
        st = annotation_fields(ctx, pred_json, hit->pos, hit->ann, &pfile);
        if (st == MASKEVAL_OK) {
            st = load_segments(ctx, gt_json, ai, g, 1, out, &seg_cap, cid, cix, &im->gt_off,
                               &im->n_gt);
        }
        if (st == MASKEVAL_OK) {
            st = load_segments(ctx, pred_json, hit->pos, hit->ann, 0, out, &seg_cap, cid, cix,
                               &im->pr_off, &im->n_pr);
        }
        if (st != MASKEVAL_OK) {
            goto done;
        }
        im->gt_path = join_path(a, gdir, gfile);
        im->pred_path = join_path(a, pdir, pfile);
        if (im->gt_path == NULL || im->pred_path == NULL) {
            st = maskeval_nomem(ctx, "reading the panoptic JSON");
            goto done;
        }
    }
done:
    for (size_t i = 0; i < n_refs; i++) {
        maskeval_free(a, refs[i].key);
    }
    maskeval_free(a, refs);
    maskeval_free(a, gdir);
    maskeval_free(a, pdir);
    maskeval_free(a, cid);
    maskeval_free(a, cix);
    cJSON_Delete(groot);
    cJSON_Delete(proot);
    if (st != MASKEVAL_OK) {
        maskeval_pq_data_free(a, out);
    }
    return st;
}
