/*
 * semantic_partial.c - semantic evaluations as mergeable partials: which
 * dataset items a shard holds, merging confusion counts exactly, and the
 * partial-file body (README "Partial files"):
 *   params   u32 K, i64 ignore_index, lookup tables of ground truth and
 *            prediction (each u32 n_runs, n_runs x (u32 length, u32 first,
 *            u32 step): entry first + step * j for j < length), u32 tag
 *            length or 0xffffffff, tag bytes
 *   dataset  u64 n_items, u64 n_held, ceil(n_items / 8) bytes of held bits
 *   counts   u64 images, u64 n_cells, n_cells x (u32 row, u32 col, u64 count)
 *            (rows and columns 0..K, K = outside [0, K); non-zero cells in
 *            (row, col) order)
 * The header's first digest is the dataset digest, the second the digest of
 * the params section.
 */
#include <stdio.h>
#include <string.h>

#include "core/bytes.h"
#include "core/digest.h"
#include "semantic/semantic.h"
#include "shard/frame.h"

#define NO_TAG 0xffffffffu
#define LUT_N 65536u

maskeval_status maskeval_semantic_set_shard(maskeval_ctx *ctx, maskeval_semantic *s,
                                            uint64_t dataset_digest, uint64_t n_items,
                                            uint32_t shard_index, uint32_t shard_count,
                                            const char *tag)
{
    uint8_t *held;
    char *t = NULL;
    if (ctx == NULL || s == NULL) {
        return MASKEVAL_ERR_INVALID_ARG;
    }
    if (shard_count == 0 || shard_index >= shard_count || n_items == 0 || n_items > SIZE_MAX / 2) {
        return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                             "maskeval_semantic_set_shard: shard %u of %u over %llu items",
                             shard_index, shard_count, (unsigned long long)n_items);
    }
    held = maskeval_calloc(&ctx->alloc, (size_t)n_items, 1);
    if (tag != NULL) {
        t = maskeval_malloc(&ctx->alloc, strlen(tag) + 1);
        if (t != NULL) {
            memcpy(t, tag, strlen(tag) + 1);
        }
    }
    if (held == NULL || (tag != NULL && t == NULL)) {
        maskeval_free(&ctx->alloc, held);
        maskeval_free(&ctx->alloc, t);
        return maskeval_nomem(ctx, "setting a shard");
    }
    maskeval_free(&s->alloc, s->held);
    maskeval_free(&s->alloc, s->tag);
    s->held = held;
    s->tag = t;
    s->n_items = n_items;
    s->n_held = 0;
    s->dataset_digest = dataset_digest;
    for (uint64_t i = 0; i < n_items; i++) {
        s->held[i] = i % shard_count == shard_index;
        s->n_held += s->held[i];
    }
    return MASKEVAL_OK;
}

void maskeval_semantic_get_shard(const maskeval_semantic *s, uint64_t *n_items, uint64_t *n_held,
                                 const char **tag)
{
    *n_items = s != NULL ? s->n_items : 0;
    *n_held = s != NULL ? s->n_held : 0;
    *tag = s != NULL ? s->tag : NULL;
}

static int same_tag(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

maskeval_status maskeval_semantic_merge(maskeval_ctx *ctx, maskeval_semantic *dst,
                                        const maskeval_semantic *src)
{
    if (ctx == NULL || dst == NULL || src == NULL) {
        return MASKEVAL_ERR_INVALID_ARG;
    }
    if (dst->k != src->k || dst->ignore != src->ignore ||
        memcmp(dst->lut_g, src->lut_g, LUT_N * sizeof(uint32_t)) != 0 ||
        memcmp(dst->lut_p, src->lut_p, LUT_N * sizeof(uint32_t)) != 0) {
        return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                             "%s: evaluated with other parameters than %s (classes, ignore "
                             "index or label maps differ)",
                             src->name[0] ? src->name : "maskeval_semantic_merge",
                             dst->name[0] ? dst->name : "the first");
    }
    if (dst->n_items != src->n_items || dst->dataset_digest != src->dataset_digest) {
        return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                             "%s: made from another dataset than %s (%llu items, digest %016llx; "
                             "not %llu, %016llx)",
                             src->name[0] ? src->name : "maskeval_semantic_merge",
                             dst->name[0] ? dst->name : "the first",
                             (unsigned long long)src->n_items,
                             (unsigned long long)src->dataset_digest,
                             (unsigned long long)dst->n_items,
                             (unsigned long long)dst->dataset_digest);
    }
    /* after the dataset: the CLI's tag holds the folders as given */
    if (!same_tag(dst->tag, src->tag)) {
        return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                             "%s: evaluated with other parameters than %s (the tags differ: "
                             "for maskeval semantic, class names, folders as given or suffixes)",
                             src->name[0] ? src->name : "maskeval_semantic_merge",
                             dst->name[0] ? dst->name : "the first");
    }
    for (uint64_t i = 0; i < src->n_items; i++) {
        if (src->held[i] && dst->held[i]) {
            return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                                 "%s: item %llu (in sorted order) is also in %s: partials to "
                                 "merge must hold disjoint items",
                                 src->name[0] ? src->name : "maskeval_semantic_merge",
                                 (unsigned long long)i, dst->name[0] ? dst->name : "the first");
        }
    }
    if (maskeval_cm_merge(&ctx->alloc, &dst->cm, &src->cm) != MASKEVAL_OK) {
        return maskeval_nomem(ctx, "merging counts");
    }
    for (uint64_t i = 0; i < src->n_items; i++) {
        dst->held[i] |= src->held[i];
    }
    dst->n_held += src->n_held;
    dst->images += src->images;
    dst->decode_s += src->decode_s;
    dst->count_s += src->count_s;
    return MASKEVAL_OK;
}

static void put_lut(maskeval_wbuf *w, const uint32_t *lut)
{
    uint32_t n_runs = 0;
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            maskeval_put_u32(w, n_runs);
        }
        for (uint32_t i = 0; i < LUT_N;) {
            const uint32_t first = lut[i];
            const uint32_t step = i + 1 < LUT_N && lut[i + 1] == first + 1u ? 1u : 0u;
            uint32_t len = 1;
            while (i + len < LUT_N && lut[i + len] == first + step * len) {
                len++;
            }
            if (pass == 0) {
                n_runs++;
            } else {
                maskeval_put_u32(w, len);
                maskeval_put_u32(w, first);
                maskeval_put_u32(w, step);
            }
            i += len;
        }
    }
}

static void put_params(maskeval_wbuf *w, const maskeval_semantic *s)
{
    maskeval_put_u32(w, s->k);
    maskeval_put_u64(w, (uint64_t)s->ignore);
    put_lut(w, s->lut_g);
    put_lut(w, s->lut_p);
    maskeval_put_u32(w, s->tag != NULL ? (uint32_t)strlen(s->tag) : NO_TAG);
    if (s->tag != NULL) {
        maskeval_put_bytes(w, s->tag, strlen(s->tag));
    }
}

typedef struct cell_writer {
    maskeval_wbuf *w;
    uint64_t n;
} cell_writer;

static maskeval_status put_cell(void *arg, uint32_t row, uint32_t col, uint64_t n)
{
    cell_writer *cw = arg;
    if (cw->w != NULL) {
        maskeval_put_u32(cw->w, row);
        maskeval_put_u32(cw->w, col);
        maskeval_put_u64(cw->w, n);
    }
    cw->n++;
    return MASKEVAL_OK;
}

static maskeval_status put_body(maskeval_wbuf *w, const maskeval_semantic *s, size_t *params_len)
{
    cell_writer cw;
    maskeval_status st;
    put_params(w, s);
    *params_len = w->len;
    maskeval_put_u64(w, s->n_items);
    maskeval_put_u64(w, s->n_held);
    for (uint64_t i = 0; i < s->n_items; i += 8) {
        uint8_t byte = 0;
        for (uint64_t b = 0; b < 8 && i + b < s->n_items; b++) {
            byte |= (uint8_t)((s->held[i + b] != 0) << b);
        }
        maskeval_put_bytes(w, &byte, 1);
    }
    maskeval_put_u64(w, s->images);
    cw.w = NULL;
    cw.n = 0;
    st = maskeval_cm_foreach(&s->alloc, &s->cm, put_cell, &cw);
    if (st != MASKEVAL_OK) {
        return st;
    }
    maskeval_put_u64(w, cw.n);
    cw.w = w;
    return maskeval_cm_foreach(&s->alloc, &s->cm, put_cell, &cw);
}

maskeval_status maskeval_semantic_encode(maskeval_ctx *ctx, const maskeval_semantic *s, void *buf,
                                         size_t cap, size_t *len)
{
    maskeval_wbuf w;
    size_t params_len = 0;
    maskeval_status st;
    if (ctx == NULL || s == NULL || len == NULL) {
        return MASKEVAL_ERR_INVALID_ARG;
    }
    memset(&w, 0, sizeof(w));
    st = put_body(&w, s, &params_len);
    if (st != MASKEVAL_OK) {
        return maskeval_nomem(ctx, "encoding a partial");
    }
    *len = MASKEVAL_FRAME_HEADER + w.len;
    if (buf == NULL || cap < *len) {
        return MASKEVAL_ERR_BUFFER_TOO_SMALL;
    }
    w.p = (uint8_t *)buf + MASKEVAL_FRAME_HEADER;
    w.cap = *len - MASKEVAL_FRAME_HEADER;
    w.len = 0;
    st = put_body(&w, s, &params_len);
    if (st != MASKEVAL_OK) {
        return maskeval_nomem(ctx, "encoding a partial");
    }
    maskeval_frame_seal(buf, MASKEVAL_FRAME_SEMANTIC, s->dataset_digest,
                        maskeval_digest64(w.p, params_len), w.len);
    return MASKEVAL_OK;
}

static int get_lut(maskeval_rbuf *r, uint32_t *lut)
{
    const uint32_t n_runs = maskeval_get_u32(r);
    uint32_t i = 0;
    for (uint32_t q = 0; q < n_runs && !r->short_read; q++) {
        const uint32_t len = maskeval_get_u32(r), first = maskeval_get_u32(r),
                       step = maskeval_get_u32(r);
        if (r->short_read || len == 0 || len > LUT_N - i || step > 1) {
            return 0;
        }
        for (uint32_t j = 0; j < len; j++) {
            lut[i + j] = first + step * j;
        }
        i += len;
    }
    return !r->short_read && i == LUT_N;
}

static maskeval_status sem_bad(maskeval_ctx *ctx, const char *name, const maskeval_rbuf *r,
                               const char *what)
{
    return maskeval_fail(ctx, MASKEVAL_ERR_PARSE, "%s: %s (%s)", name,
                         r->short_read ? "truncated partial body" : "invalid partial file", what);
}

/* Reads what follows the params into s. */
static maskeval_status get_rest(maskeval_ctx *ctx, const char *name, maskeval_rbuf *r,
                                maskeval_semantic *s)
{
    const uint8_t *bits;
    uint64_t n_cells, held;
    s->n_items = maskeval_get_u64(r);
    held = maskeval_get_u64(r);
    if (r->short_read || s->n_items > (r->len - r->pos) * 8) {
        return sem_bad(ctx, name, r, "dataset");
    }
    bits = maskeval_get_bytes(r, (size_t)((s->n_items + 7) / 8));
    s->held = maskeval_calloc(&s->alloc, (size_t)s->n_items + 1, 1);
    if (bits == NULL || s->held == NULL) {
        return bits == NULL ? sem_bad(ctx, name, r, "dataset") : maskeval_nomem(ctx, "reading");
    }
    for (uint64_t i = 0; i < s->n_items; i++) {
        s->held[i] = (bits[i / 8] >> (i % 8)) & 1;
        s->n_held += s->held[i];
    }
    if (held != s->n_held || (s->n_items % 8 != 0 && (bits[s->n_items / 8] >> (s->n_items % 8)))) {
        return sem_bad(ctx, name, r, "item set");
    }
    s->images = maskeval_get_u64(r);
    n_cells = maskeval_get_u64(r);
    if (!maskeval_rbuf_has(r, n_cells, 16)) {
        return sem_bad(ctx, name, r, "confusion cells");
    }
    for (uint64_t c = 0; c < n_cells; c++) {
        const uint32_t row = maskeval_get_u32(r), col = maskeval_get_u32(r);
        const uint64_t n = maskeval_get_u64(r);
        if (row > s->k || col > s->k || n == 0) {
            return sem_bad(ctx, name, r, "confusion cell out of range");
        }
        if (maskeval_cm_add(&s->alloc, &s->cm, row * (s->k + 1) + col, n) != MASKEVAL_OK) {
            return maskeval_nomem(ctx, "reading a partial");
        }
    }
    return r->pos == r->len ? MASKEVAL_OK : sem_bad(ctx, name, r, "bytes after the counts");
}

maskeval_status maskeval_semantic_decode(maskeval_ctx *ctx, const char *name, const void *buf,
                                         size_t len, maskeval_semantic **out)
{
    maskeval_frame fr;
    maskeval_semantic *s = NULL;
    maskeval_rbuf r;
    uint32_t tag_len;
    maskeval_status st;

    if (ctx == NULL || out == NULL || (buf == NULL && len > 0)) {
        return MASKEVAL_ERR_INVALID_ARG;
    }
    *out = NULL;
    name = name != NULL ? name : "<partial>";
    st = maskeval_frame_open(ctx, name, buf, len, MASKEVAL_FRAME_SEMANTIC, &fr);
    if (st != MASKEVAL_OK) {
        return st;
    }
    r.p = fr.body;
    r.len = fr.body_len;
    r.pos = 0;
    r.short_read = 0;
    {
        maskeval_semantic_params p;
        maskeval_semantic_params_init(&p);
        p.num_classes = maskeval_get_u32(&r);
        p.ignore_index = (int64_t)maskeval_get_u64(&r);
        if (r.short_read || p.num_classes < 1 || p.num_classes > 65535) {
            return sem_bad(ctx, name, &r, "parameters");
        }
        st = maskeval_semantic_create(ctx, &p, &s);
        if (st != MASKEVAL_OK) {
            return st;
        }
    }
    snprintf(s->name, sizeof(s->name), "%s", name);
    st = get_lut(&r, s->lut_g) && get_lut(&r, s->lut_p) ? MASKEVAL_OK
                                                         : sem_bad(ctx, name, &r, "lookup tables");
    if (st == MASKEVAL_OK) {
        tag_len = maskeval_get_u32(&r);
        if (tag_len != NO_TAG) {
            const uint8_t *t = maskeval_get_bytes(&r, tag_len);
            s->tag = t != NULL ? maskeval_malloc(&s->alloc, (size_t)tag_len + 1) : NULL;
            if (t == NULL || memchr(t, 0, tag_len) != NULL) {
                st = sem_bad(ctx, name, &r, "tag");
            } else if (s->tag == NULL) {
                st = maskeval_nomem(ctx, "reading a partial");
            } else {
                memcpy(s->tag, t, tag_len);
                s->tag[tag_len] = 0;
            }
        }
    }
    if (st == MASKEVAL_OK && maskeval_digest64(fr.body, r.pos) != fr.params_digest) {
        st = sem_bad(ctx, name, &r, "the parameter digest does not match the parameters");
    }
    if (st == MASKEVAL_OK) {
        s->dataset_digest = fr.gt_digest;
        st = get_rest(ctx, name, &r, s);
    }
    if (st != MASKEVAL_OK) {
        maskeval_semantic_destroy(s);
        return st;
    }
    *out = s;
    return MASKEVAL_OK;
}

int maskeval_partial_kind(const void *buf, size_t len)
{
    maskeval_rbuf r;
    uint32_t kind;
    if (buf == NULL || len < MASKEVAL_FRAME_HEADER) {
        return 0;
    }
    r.p = buf;
    r.len = len;
    r.pos = 12;
    r.short_read = 0;
    kind = maskeval_get_u32(&r);
    return kind == MASKEVAL_FRAME_COCO || kind == MASKEVAL_FRAME_SEMANTIC ||
                   kind == MASKEVAL_FRAME_PANOPTIC
               ? (int)kind
               : 0;
}

uint64_t maskeval_digest(const void *data, size_t n)
{
    return maskeval_digest64(data, n);
}
