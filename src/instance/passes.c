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
 * Anything the splitter does not expect (a syntax error, an element that is
 * not an object with an integer image_id, an image the ground truth lacks)
 * makes the whole evaluation fall back to one pass, whose loader then
 * reports the problem exactly as without passes.
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/sort.h"
#include "instance/instance.h"
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

/* A fast look for "image_id": <integer> among the object's own members:
 * 1 found, 0 not found this way (escaped keys, other number forms). */
static int quick_image(const maskeval_bytevec *e, int64_t *id)
{
    static const char key[] = "\"image_id\"";
    const size_t kl = sizeof(key) - 1;
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
                size_t j = i + kl;
                while (j < e->n && (e->v[j] == ' ' || e->v[j] == '\t' || e->v[j] == '\n' ||
                                    e->v[j] == '\r')) {
                    j++;
                }
                if (j < e->n && e->v[j] == ':') {
                    char num[32];
                    size_t k = 0;
                    j++;
                    while (j < e->n && (e->v[j] == ' ' || e->v[j] == '\t' || e->v[j] == '\n' ||
                                        e->v[j] == '\r')) {
                        j++;
                    }
                    while (j < e->n && k + 1 < sizeof(num) &&
                           ((e->v[j] >= '0' && e->v[j] <= '9') || e->v[j] == '-')) {
                        num[k++] = e->v[j++];
                    }
                    num[k] = '\0';
                    /* a plain integer ending at , or } (else: let cJSON decide) */
                    if (k > 0 && k < 17 && j < e->n && (e->v[j] == ',' || e->v[j] == '}' ||
                                                         e->v[j] == ' ' || e->v[j] == '\n')) {
                        char *end = NULL;
                        const long long v = strtoll(num, &end, 10);
                        if (end != NULL && *end == '\0') {
                            if (found) {
                                return 0; /* a repeated key: the last one counts, ask cJSON */
                            }
                            *id = (int64_t)v;
                            found = 1;
                        }
                    } else {
                        return 0;
                    }
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

/* The element's image_id (1), or 0 when it has none that is an integer. */
static int element_image(const maskeval_bytevec *e, int64_t *id)
{
    cJSON *root;
    if (quick_image(e, id)) {
        return 1;
    }
    root = cJSON_ParseWithLength(e->v, e->n);
    int ok = root != NULL && cJSON_IsObject(root) &&
             maskeval_json_int(maskeval_json_member(root, "image_id"), id);
    cJSON_Delete(root);
    return ok;
}

/* One pass: 1 done (records in *part), 0 fall back to one pass, <0 failed (status -r). */
static int one_pass(maskeval_ctx *ctx, const maskeval_gt *gt, const char *path,
                    const maskeval_coco_params *params, const maskeval_eparams *ep, uint32_t pass,
                    uint32_t passes, maskeval_coco_partial **part)
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
            st = maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                               "Fixed AP and AP-pool keep the top detections of each category "
                               "over all images, which passes over images cannot do");
        }
    }
    for (uint32_t i = 0; passes > 1 && st == MASKEVAL_OK && i < passes && !fallback; i++) {
        maskeval_coco_partial *part = NULL, *merged = NULL;
        const int r = one_pass(ctx, gt, path, params, &ep, i, passes, &part);
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
    uint64_t n = 0, text = 0, fixed, arrays;
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
     * status per area range and threshold; twice while they merge), the
     * accumulated arrays (precision, scores, recall; AP-pool's pools) and a
     * margin for threads and the report. */
    arrays = (uint64_t)ep.T * ep.K * MASKEVAL_N_AREAS * ep.M * 8u * (2u * ep.R + 1u) +
             (uint64_t)ep.K * 8u * 40u;
    fixed = n * (8u + (uint64_t)MASKEVAL_N_AREAS * ep.T) * 2u + arrays + (16u << 20);
    maskeval_eparams_free(a, &ep);
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
