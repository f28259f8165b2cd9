/*
 * passes.c - maskeval_coco_evaluate_file_passes: a results file evaluated in
 * passes, so that no pass holds more than its share of the file.
 *
 * Pass i of N is shard i of N (the images at positions p % N == i of the
 * sorted evaluated image ids, as maskeval_coco_evaluate_images): the file is
 * streamed (plain or gzip), split into its top-level elements, and only the
 * elements of those images are loaded, behind the file's first element
 * (which decides pycocotools' loadRes branch; in other passes its image is
 * simply not evaluated). Results on ground-truth images that are not
 * evaluated go to pass 0, so every element is validated exactly once, and
 * messages name elements by their index in the file. The per-pass records
 * merge into those of one pass, so the result is byte for byte the same.
 *
 * Fixed AP and AP-pool keep each category's top detections over all
 * images: a first pass over the file ranks every element by (category,
 * score, file order) and each pass then applies those flags
 * (dets->keep_fixed) instead of ranking its own share.
 *
 * Anything the splitter does not expect (a syntax error, an element that is
 * not an object with an integer image_id, an image the ground truth lacks)
 * makes the whole evaluation fall back to one pass, whose loader then
 * reports the problem exactly as without passes.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/sort.h"
#include "instance/instance.h"
#include "io/json_fast.h"
#include "io/json_util.h"

/* Appends n bytes to a growable buffer (the project's maskeval_bytevec). */
static int bytes_put(const maskeval_alloc *a, maskeval_bytevec *b, const void *src, size_t n)
{
    void *p = b->v;
    if (maskeval_grow(a, &p, &b->cap, b->n + n + 1, 1) != MASKEVAL_OK) {
        return 0;
    }
    b->v = p;
    memcpy(b->v + b->n, src, n);
    b->n += n;
    return 1;
}

/* The top-level elements of a JSON array read from a stream, one by one. */
typedef struct splitter {
    gzFile f;
    char blk[1 << 16];
    int len, pos;
    int state; /* 0 before '[', 1 expecting an element or ']', 2 after an element, 3 done */
    int first; /* no element yet */
    size_t offset;
} splitter;

static int next_byte(splitter *s)
{
    if (s->pos >= s->len) {
        s->len = gzread(s->f, s->blk, (unsigned)sizeof(s->blk));
        s->pos = 0;
        if (s->len <= 0) {
            return -1;
        }
    }
    s->offset++;
    return (unsigned char)s->blk[s->pos++];
}

static int is_ws(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int refill(splitter *s)
{
    s->len = gzread(s->f, s->blk, (unsigned)sizeof(s->blk));
    s->pos = 0;
    return s->len > 0;
}

/* 1: an element in *e; 0: the array ended (and only whitespace followed);
 * -1: not what a valid results file holds; -2: out of memory. */
static int next_element(const maskeval_alloc *a, splitter *s, maskeval_bytevec *e)
{
    int c, depth = 0, in_str = 0, esc = 0;
    e->n = 0;
    /* between elements: the structure, byte by byte */
    for (;;) {
        c = next_byte(s);
        if (s->state == 0) {
            if (c == 0xEF && s->offset == 1) { /* a UTF-8 BOM, which the loader drops */
                if (next_byte(s) != 0xBB || next_byte(s) != 0xBF) {
                    return -1;
                }
                continue;
            }
            if (c < 0 || (!is_ws(c) && c != '[')) {
                return -1;
            }
            s->state = c == '[' ? 1 : 0;
            continue;
        }
        if (s->state == 3) {
            if (c < 0) {
                return 0;
            }
            if (!is_ws(c)) {
                return -1;
            }
            continue;
        }
        if (c < 0) {
            return -1;
        }
        if (is_ws(c)) {
            continue;
        }
        if (s->state == 2) {
            if (c == ']') {
                s->state = 3;
            } else if (c == ',') {
                s->state = 1;
            } else {
                return -1;
            }
            continue;
        }
        if (c == ']' && s->first) {
            s->state = 3;
            continue;
        }
        if (c != '{') {
            return -1;
        }
        break;
    }
    /* the element: scanned a block at a time, copied in runs */
    depth = 1;
    if (!bytes_put(a, e, "{", 1)) {
        return -2;
    }
    for (;;) {
        int from = s->pos, i;
        for (i = s->pos; i < s->len; i++) {
            const char ch = s->blk[i];
            if (in_str) {
                if (esc) {
                    esc = 0;
                } else if (ch == '\\') {
                    esc = 1;
                } else if (ch == '"') {
                    in_str = 0;
                }
            } else if (ch == '"') {
                in_str = 1;
            } else if (ch == '{' || ch == '[') {
                depth++;
            } else if ((ch == '}' || ch == ']') && --depth == 0) {
                break;
            }
        }
        if (i < s->len) { /* the element ends at i */
            if (!bytes_put(a, e, s->blk + from, (size_t)(i + 1 - from))) {
                return -2;
            }
            s->offset += (size_t)(i + 1 - from);
            s->pos = i + 1;
            s->state = 2;
            s->first = 0;
            return 1;
        }
        if (!bytes_put(a, e, s->blk + from, (size_t)(s->len - from))) {
            return -2;
        }
        s->offset += (size_t)(s->len - from);
        if (!refill(s)) {
            return -1;
        }
    }
}

/* A fast look for a member among the object's own members (key with its
 * quotes): 1 when it is there once, with its value a plain number token at
 * [*v, *v_end); 0 when not found this way (absent, repeated, an escaped key,
 * another kind of value) - then cJSON decides. */
static int quick_member(const maskeval_bytevec *e, const char *key, size_t *v, size_t *v_end)
{
    const size_t kl = strlen(key);
    int depth = 0, in_str = 0, esc = 0, found = 0;
    for (size_t i = 0; i < e->n; i++) {
        const char c = e->v[i];
        if (in_str) {
            if (esc) {
                esc = 0;
            } else if (c == '\\') {
                esc = 1;
            } else if (c == '"') {
                in_str = 0;
            }
            continue;
        }
        if (c == '"') {
            if (depth == 1 && i + kl <= e->n && memcmp(e->v + i, key, kl) == 0) {
                size_t j = i + kl, k;
                while (j < e->n && (e->v[j] == ' ' || e->v[j] == '\t' || e->v[j] == '\n' ||
                                    e->v[j] == '\r')) {
                    j++;
                }
                if (j < e->n && e->v[j] == ':') {
                    j++;
                    while (j < e->n && (e->v[j] == ' ' || e->v[j] == '\t' || e->v[j] == '\n' ||
                                        e->v[j] == '\r')) {
                        j++;
                    }
                    for (k = j; k < e->n && ((e->v[k] >= '0' && e->v[k] <= '9') || e->v[k] == '-' ||
                                             e->v[k] == '+' || e->v[k] == '.' || e->v[k] == 'e' ||
                                             e->v[k] == 'E');
                         k++) {
                    }
                    /* a number ending at , or } (else: let cJSON decide) */
                    if (k == j || k >= e->n || !(e->v[k] == ',' || e->v[k] == '}' ||
                                                  e->v[k] == ' ' || e->v[k] == '\n')) {
                        return 0;
                    }
                    if (found) {
                        return 0; /* a repeated key: the last one counts, ask cJSON */
                    }
                    *v = j;
                    *v_end = k;
                    found = 1;
                }
            }
            in_str = 1;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return found;
}

/* A member (key with quotes) that is a plain integer of at most 16 characters. */
static int quick_int(const maskeval_bytevec *e, const char *key, int64_t *id)
{
    char num[32], *end = NULL;
    size_t v, ve;
    long long x;
    if (!quick_member(e, key, &v, &ve) || ve - v >= 17) {
        return 0;
    }
    for (size_t i = v; i < ve; i++) {
        if (!((e->v[i] >= '0' && e->v[i] <= '9') || e->v[i] == '-')) {
            return 0;
        }
    }
    memcpy(num, e->v + v, ve - v);
    num[ve - v] = '\0';
    x = strtoll(num, &end, 10);
    if (end == NULL || *end != '\0') {
        return 0;
    }
    *id = (int64_t)x;
    return 1;
}

/* The element's image_id (1), or 0 when it has none that is an integer. */
static int element_image(const maskeval_bytevec *e, int64_t *id)
{
    cJSON *root;
    if (quick_int(e, "\"image_id\"", id)) {
        return 1;
    }
    root = cJSON_ParseWithLength(e->v, e->n);
    int ok = root != NULL && cJSON_IsObject(root) &&
             maskeval_json_int(maskeval_json_member(root, "image_id"), id);
    cJSON_Delete(root);
    return ok;
}

/* The element's category_id and score as the loader reads them (1), or 0
 * when it has none that are an integer and a finite number. */
static int element_cat_score(const maskeval_bytevec *e, int64_t *cat, double *score)
{
    size_t v, ve;
    cJSON *root;
    int ok;
    if (quick_int(e, "\"category_id\"", cat) && quick_member(e, "\"score\"", &v, &ve) &&
        ve - v < 64) {
        char num[64], *end = NULL;
        memcpy(num, e->v + v, ve - v);
        num[ve - v] = '\0';
        *score = maskeval_json_strtod(num, &end);
        if (end != NULL && *end == '\0' && isfinite(*score)) {
            return 1;
        }
    }
    root = cJSON_ParseWithLength(e->v, e->n);
    ok = root != NULL && cJSON_IsObject(root) &&
         maskeval_json_int(maskeval_json_member(root, "category_id"), cat) &&
         maskeval_json_finite(maskeval_json_member(root, "score"), score);
    cJSON_Delete(root);
    return ok;
}

/* Fixed AP / AP-pool over passes: a first pass over the file that marks, per
 * element, whether it is among its category's first dets_per_cat by stable
 * descending score - what plan.c ranks when every detection is loaded at
 * once (every image, file order breaking ties). 1 done (*keep, *n owned by
 * the caller), 0 fall back to one pass, <0 failed (status -r). */
static int fixed_keep(maskeval_ctx *ctx, const char *path, const maskeval_eparams *ep,
                      uint8_t **keep, uint64_t *n_out)
{
    const maskeval_alloc *a = &ctx->alloc;
    splitter *s = maskeval_calloc(a, 1, sizeof(*s));
    maskeval_bytevec e = {0}, v = {0};
    uint64_t n = 0;
    int r, rc = 1;

    *keep = NULL;
    if (s == NULL || (s->f = gzopen(path, "rb")) == NULL) {
        maskeval_free(a, s);
        return 0;
    }
    s->first = 1;
    while (rc == 1 && (r = next_element(a, s, &e)) == 1) {
        maskeval_cat_rank fr;
        if (!element_cat_score(&e, &fr.cat, &fr.score)) {
            rc = 0;
            break;
        }
        fr.pos = n++;
        if (!bytes_put(a, &v, &fr, sizeof(fr))) {
            rc = -(int)MASKEVAL_ERR_NOMEM;
        }
    }
    if (rc == 1 && r != 0) {
        rc = r == -2 ? -(int)MASKEVAL_ERR_NOMEM : 0;
    }
    gzclose(s->f);
    maskeval_free(a, s);
    maskeval_free(a, e.v);
    if (rc == 1 && (*keep = maskeval_calloc(a, n + 1, 1)) == NULL) {
        rc = -(int)MASKEVAL_ERR_NOMEM;
    }
    if (rc == 1) {
        maskeval_rank_top_per_cat((maskeval_cat_rank *)v.v, (size_t)n, ep->lvis_dets_per_cat,
                                  *keep);
        *n_out = n;
    }
    if (rc == -(int)MASKEVAL_ERR_NOMEM) {
        maskeval_nomem(ctx, "ranking results per category");
    }
    maskeval_free(a, v.v);
    return rc;
}

/* One pass: 1 done (records in *part), 0 fall back to one pass, <0 failed (status -r). */
static int one_pass(maskeval_ctx *ctx, const maskeval_gt *gt, const char *path,
                    const maskeval_coco_params *params, const maskeval_eparams *ep,
                    const uint8_t *keep, uint64_t n_keep, uint32_t pass, uint32_t passes,
                    maskeval_coco_partial **part)
{
    const maskeval_alloc *a = &ctx->alloc;
    splitter *s = maskeval_calloc(a, 1, sizeof(*s));
    maskeval_bytevec e = {0}, buf = {0}, map = {0};
    maskeval_dets *dets = NULL;
    uint64_t g = 0;
    int r, rc = 1;
    maskeval_status st;

    if (s == NULL || (s->f = gzopen(path, "rb")) == NULL) {
        maskeval_free(a, s);
        return 0; /* the one-pass loader says why it cannot be read */
    }
    s->first = 1;
    if (!bytes_put(a, &buf, "[", 1)) {
        rc = -(int)MASKEVAL_ERR_NOMEM;
    }
    while (rc == 1 && (r = next_element(a, s, &e)) == 1) {
        int64_t id;
        long p;
        int mine;
        if (!element_image(&e, &id)) {
            rc = 0;
            break;
        }
        p = maskeval_find_i64(ep->img_ids, ep->I, id);
        if (p < 0 && !maskeval_gt_has_image(gt, id)) {
            rc = 0;
            break;
        }
        mine = g == 0 || (p >= 0 ? (uint32_t)((size_t)p % passes) == pass : pass == 0);
        if (mine && ((buf.n > 1 && !bytes_put(a, &buf, ",", 1)) || !bytes_put(a, &buf, e.v, e.n) ||
                     !bytes_put(a, &map, &g, sizeof(g)))) {
            rc = -(int)MASKEVAL_ERR_NOMEM;
        }
        g++;
    }
    if (rc == 1 && r == -2) {
        rc = -(int)MASKEVAL_ERR_NOMEM;
    } else if (rc == 1 && r < 0) {
        rc = 0;
    }
    gzclose(s->f);
    maskeval_free(a, s);
    maskeval_free(a, e.v);
    if (rc == 1 && !bytes_put(a, &buf, "]", 1)) {
        rc = -(int)MASKEVAL_ERR_NOMEM;
    }
    if (rc == 1) {
        st = maskeval_dets_load_subset(ctx, gt, path, buf.v, buf.n, (const uint64_t *)map.v,
                                       &dets);
        buf.v = NULL; /* owned by the loader */
        if (st == MASKEVAL_OK && keep != NULL) { /* Fixed AP: the first pass's ranks */
            const uint64_t *at = (const uint64_t *)map.v;
            dets->keep_fixed = maskeval_calloc(a, dets->n + 1, 1);
            if (dets->keep_fixed == NULL) {
                st = maskeval_nomem(ctx, "reading results in passes");
            }
            for (size_t j = 0; st == MASKEVAL_OK && j < dets->n; j++) {
                dets->keep_fixed[j] = at[j] < n_keep && keep[at[j]];
            }
        }
        if (st == MASKEVAL_OK) {
            st = maskeval_coco_evaluate_images(ctx, gt, dets, params, pass, passes, part);
        }
        rc = st == MASKEVAL_OK ? 1 : -(int)st;
    }
    if (rc == -(int)MASKEVAL_ERR_NOMEM && maskeval_errmsg(ctx)[0] == '\0') {
        maskeval_nomem(ctx, "reading results in passes");
    }
    maskeval_dets_destroy(dets);
    maskeval_free(a, buf.v);
    maskeval_free(a, map.v);
    return rc;
}

maskeval_status maskeval_coco_evaluate_file_passes(maskeval_ctx *ctx, const maskeval_gt *gt,
                                                   const char *path,
                                                   const maskeval_coco_params *params,
                                                   uint32_t passes, maskeval_coco_result **out)
{
    maskeval_eparams ep;
    maskeval_coco_partial *acc = NULL;
    maskeval_status st = MASKEVAL_OK;
    uint8_t *keep = NULL;
    uint64_t n_keep = 0;
    int fallback = 0;

    if (ctx == NULL || gt == NULL || path == NULL || out == NULL) {
        return ctx != NULL ? maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                                           "maskeval_coco_evaluate_file_passes: invalid arguments")
                           : MASKEVAL_ERR_INVALID_ARG;
    }
    *out = NULL;
    memset(&ep, 0, sizeof(ep));
    if (passes > 1) {
        st = maskeval_eparams_resolve(ctx, params, gt, &ep);
        if (st == MASKEVAL_OK && ep.lvis && ep.lvis_ap != MASKEVAL_LVIS_AP_STANDARD) {
            /* the top detections of each category over all images: ranked
             * in a first pass over the file */
            const int r = fixed_keep(ctx, path, &ep, &keep, &n_keep);
            fallback = r == 0;
            st = r < 0 ? (maskeval_status)(-r) : MASKEVAL_OK;
        }
    }
    for (uint32_t i = 0; passes > 1 && st == MASKEVAL_OK && i < passes && !fallback; i++) {
        maskeval_coco_partial *part = NULL, *merged = NULL;
        const int r = one_pass(ctx, gt, path, params, &ep, keep, n_keep, i, passes, &part);
        if (r == 0) {
            fallback = 1;
        } else if (r < 0) {
            st = (maskeval_status)(-r);
        } else if (acc == NULL) {
            acc = part;
        } else {
            const maskeval_coco_partial *two[2] = {acc, part};
            st = maskeval_coco_partial_merge(ctx, two, 2, &merged);
            maskeval_coco_partial_destroy(acc);
            maskeval_coco_partial_destroy(part);
            acc = merged;
        }
    }
    maskeval_eparams_free(&ctx->alloc, &ep);
    maskeval_free(&ctx->alloc, keep);
    if (st == MASKEVAL_OK && (passes <= 1 || fallback)) {
        maskeval_dets *dets = NULL;
        maskeval_coco_partial_destroy(acc);
        acc = NULL;
        st = maskeval_dets_load_file(ctx, gt, path, &dets);
        if (st == MASKEVAL_OK) {
            st = maskeval_coco_evaluate(ctx, gt, dets, params, out);
        }
        maskeval_dets_destroy(dets);
        return st;
    }
    if (st == MASKEVAL_OK) {
        st = maskeval_coco_accumulate(ctx, acc, out);
    }
    maskeval_coco_partial_destroy(acc);
    return st;
}

maskeval_status maskeval_coco_passes_for_budget(maskeval_ctx *ctx, const maskeval_gt *gt,
                                                const char *path,
                                                const maskeval_coco_params *params,
                                                uint64_t available, uint32_t *passes)
{
    const maskeval_alloc *a;
    maskeval_eparams ep;
    splitter *s;
    maskeval_bytevec e = {0};
    uint64_t n = 0, text = 0, fixed, arrays, records;
    int r;
    maskeval_status st;

    if (ctx == NULL || gt == NULL || path == NULL || passes == NULL) {
        return ctx != NULL ? maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                                           "maskeval_coco_passes_for_budget: invalid arguments")
                           : MASKEVAL_ERR_INVALID_ARG;
    }
    *passes = 1;
    a = &ctx->alloc;
    st = maskeval_eparams_resolve(ctx, params, gt, &ep);
    if (st != MASKEVAL_OK) {
        return st;
    }
    s = maskeval_calloc(a, 1, sizeof(*s));
    if (s == NULL || (s->f = gzopen(path, "rb")) == NULL) {
        maskeval_free(a, s);
        maskeval_eparams_free(a, &ep);
        return MASKEVAL_OK; /* one pass: its loader says why the file cannot be read */
    }
    s->first = 1;
    while ((r = next_element(a, s, &e)) == 1) {
        n++;
        text += e.n + 1;
    }
    gzclose(s->f);
    maskeval_free(a, s);
    maskeval_free(a, e.v);
    if (r != 0) {
        maskeval_eparams_free(a, &ep);
        return r == -2 ? maskeval_nomem(ctx, "counting results") : MASKEVAL_OK;
    }
    /* What no pass count shrinks: the records of every result (a score and a
     * status per area range and threshold; twice while they merge) and a
     * margin for threads and the report, beside every pass; after the last
     * pass, the accumulated arrays (precision, scores, recall; AP-pool's
     * pools) beside the merged records alone. */
    arrays = (uint64_t)ep.T * ep.K * MASKEVAL_N_AREAS * ep.M * 8u * (2u * ep.R + 1u) +
             (uint64_t)ep.K * 8u * 40u;
    records = n * (8u + (uint64_t)MASKEVAL_N_AREAS * ep.T);
    fixed = records * 2u + (16u << 20);
    if (ep.lvis && ep.lvis_ap != MASKEVAL_LVIS_AP_STANDARD) {
        /* Fixed AP: a flag per result through every pass (the first pass's
         * (category, score, index) triples, twice their size while the
         * array grows, are freed before any pass loads results, so they
         * only need to fit on their own) */
        fixed += n;
        if (n * (uint64_t)sizeof(maskeval_cat_rank) * 2u + (16u << 20) >= available) {
            maskeval_eparams_free(a, &ep);
            return maskeval_fail(ctx, MASKEVAL_ERR_LIMIT,
                                 "%s: ranking %llu results per category needs about %llu MB, "
                                 "more than the %llu MB left",
                                 path, (unsigned long long)n,
                                 (unsigned long long)((n * sizeof(maskeval_cat_rank) * 2u) >> 20),
                                 (unsigned long long)(available >> 20));
        }
    }
    maskeval_eparams_free(a, &ep);
    if (records + arrays + (16u << 20) > fixed) {
        fixed = records + arrays + (16u << 20); /* at accumulate() */
    }
    if (fixed >= available) {
        return maskeval_fail(ctx, MASKEVAL_ERR_LIMIT,
                             "%s: %llu results need about %llu MB beyond what is already held "
                             "(their records and the accumulated arrays), more than the %llu MB "
                             "left",
                             path, (unsigned long long)n, (unsigned long long)(fixed >> 20),
                             (unsigned long long)(available >> 20));
    }
    /* a loaded pass holds 1.5 (masks: their text is kept as the pool) to
     * 3.5 (boxes; LVIS's many cells) times its share of the text */
    {
        const uint64_t per = available - fixed, need = text / 2u * 7u;
        const uint64_t p = need <= per ? 1 : (need + per - 1) / per;
        *passes = p > 4096 ? 4096 : (uint32_t)p;
    }
    return MASKEVAL_OK;
}
