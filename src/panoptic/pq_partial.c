/*
 * pq_partial.c - panoptic partial files: the per-image records of a shard
 * (README "Partial files"), so that shards merge into exactly the numbers of
 * one process, panopticapi's chunked summation order included.
 *
 * Body:
 *   params   u32 chunks, f64 dilation_ratio, u64 n_images, u64 n_cats,
 *            n_cats x (i64 id, u8 isthing, u32 name length, name bytes)
 *   images   ceil(n_images / 8) bytes: bit i % 8 of byte i / 8 = image i held,
 *            u64 n_held
 *   records  per held image, in order: u32 n_tp, u32 n_fp, u32 n_fn,
 *            n_tp x (u32 category index, f64 iou), n_fp x u32, n_fn x u32
 * The header holds the digest of the ground-truth JSON file and of the params.
 */
#include <stdio.h>
#include <string.h>

#include "core/bytes.h"
#include "core/digest.h"
#include "panoptic/panoptic.h"
#include "shard/frame.h"

static void put_params(maskeval_wbuf *w, const maskeval_panoptic *r)
{
    maskeval_put_u32(w, r->chunks);
    maskeval_put_f64(w, r->ratio);
    maskeval_put_u64(w, r->data.n_imgs);
    maskeval_put_u64(w, r->data.n_cats);
    for (size_t k = 0; k < r->data.n_cats; k++) {
        const pq_cat *c = &r->data.cats[k];
        const size_t n = strlen(c->name);
        uint8_t thing = (uint8_t)c->isthing;
        maskeval_put_u64(w, (uint64_t)c->id);
        maskeval_put_bytes(w, &thing, 1);
        maskeval_put_u32(w, (uint32_t)n);
        maskeval_put_bytes(w, c->name, n);
    }
}

static void put_body(maskeval_wbuf *w, const maskeval_panoptic *r, size_t *params_len)
{
    const size_t n = r->data.n_imgs;
    put_params(w, r);
    *params_len = w->len;
    for (size_t b = 0; b < (n + 7) / 8; b++) {
        uint8_t byte = 0;
        for (size_t i = 8 * b; i < n && i < 8 * b + 8; i++) {
            byte |= (uint8_t)(r->held[i] << (i % 8));
        }
        maskeval_put_bytes(w, &byte, 1);
    }
    maskeval_put_u64(w, r->n_held);
    for (size_t i = 0; i < n; i++) {
        const pq_record *rec = &r->recs[i];
        if (!r->held[i]) {
            continue;
        }
        maskeval_put_u32(w, (uint32_t)rec->n_tp);
        maskeval_put_u32(w, (uint32_t)rec->n_fp);
        maskeval_put_u32(w, (uint32_t)rec->n_fn);
        for (size_t t = 0; t < rec->n_tp; t++) {
            maskeval_put_u32(w, rec->tp[t].cat);
            maskeval_put_f64(w, rec->tp[t].iou);
        }
        for (size_t t = 0; t < rec->n_fp; t++) {
            maskeval_put_u32(w, rec->fp[t]);
        }
        for (size_t t = 0; t < rec->n_fn; t++) {
            maskeval_put_u32(w, rec->fn[t]);
        }
    }
}

maskeval_status maskeval_panoptic_encode(maskeval_ctx *ctx, const maskeval_panoptic *r, void *buf,
                                         size_t cap, size_t *len)
{
    maskeval_wbuf w;
    size_t params_len = 0;
    if (ctx == NULL || r == NULL || len == NULL) {
        return MASKEVAL_ERR_INVALID_ARG;
    }
    memset(&w, 0, sizeof(w));
    put_body(&w, r, &params_len);
    *len = MASKEVAL_FRAME_HEADER + w.len;
    if (buf == NULL || cap < *len) {
        return MASKEVAL_ERR_BUFFER_TOO_SMALL;
    }
    w.p = (uint8_t *)buf + MASKEVAL_FRAME_HEADER;
    w.cap = *len - MASKEVAL_FRAME_HEADER;
    w.len = 0;
    put_body(&w, r, &params_len);
    maskeval_frame_seal(buf, MASKEVAL_FRAME_PANOPTIC, r->data.gt_digest,
                        maskeval_digest64(w.p, params_len), w.len);
    return MASKEVAL_OK;
}

static maskeval_status bad(maskeval_ctx *ctx, const char *name, const maskeval_rbuf *rb,
                           const char *what)
{
    return maskeval_fail(ctx, MASKEVAL_ERR_PARSE, "%s: %s (%s)", name,
                         rb->short_read ? "truncated partial body" : "invalid partial file", what);
}

static maskeval_status get_u32s(maskeval_ctx *ctx, const char *name, maskeval_rbuf *rb,
                                uint32_t **out, size_t n, size_t n_cats)
{
    if (!maskeval_rbuf_has(rb, n, 4)) {
        return bad(ctx, name, rb, "records");
    }
    *out = maskeval_malloc(&ctx->alloc, (n + 1) * sizeof(uint32_t));
    if (*out == NULL) {
        return maskeval_nomem(ctx, "reading a partial");
    }
    for (size_t t = 0; t < n; t++) {
        (*out)[t] = maskeval_get_u32(rb);
        if ((*out)[t] >= n_cats) {
            return bad(ctx, name, rb, "category index out of range");
        }
    }
    return MASKEVAL_OK;
}

static maskeval_status get_body(maskeval_ctx *ctx, const char *name, maskeval_rbuf *rb,
                                uint64_t gt_digest, maskeval_panoptic **out)
{
    maskeval_panoptic *r = NULL;
    const uint32_t chunks = maskeval_get_u32(rb);
    const double ratio = maskeval_get_f64(rb);
    const uint64_t n_imgs = maskeval_get_u64(rb), n_cats = maskeval_get_u64(rb);
    const uint8_t *bits;
    uint64_t n_held;
    size_t held = 0;
    maskeval_status st;

    if (rb->short_read || chunks == 0 || chunks > 65536 || !(ratio >= 0) || ratio > 1e6 ||
        n_imgs > (uint64_t)(rb->len - rb->pos) * 8 || n_cats > (rb->len - rb->pos) / 13) {
        return bad(ctx, name, rb, "parameters");
    }
    st = maskeval_pq_result_new(ctx, (size_t)n_imgs, (size_t)n_cats, &r);
    if (st != MASKEVAL_OK) {
        return st;
    }
    r->chunks = chunks;
    r->ratio = ratio;
    r->data.gt_digest = gt_digest;
    r->data.cats = maskeval_calloc(&ctx->alloc, (size_t)n_cats + 1, sizeof(pq_cat));
    if (r->data.cats == NULL) {
        st = maskeval_nomem(ctx, "reading a partial");
        goto done;
    }
    for (uint64_t k = 0; k < n_cats; k++) {
        pq_cat *c = &r->data.cats[k];
        const uint8_t *thing, *nm;
        uint32_t len;
        c->id = (int64_t)maskeval_get_u64(rb);
        thing = maskeval_get_bytes(rb, 1);
        len = maskeval_get_u32(rb);
        nm = maskeval_get_bytes(rb, len);
        if (thing == NULL || nm == NULL || *thing > 1) {
            st = bad(ctx, name, rb, "categories");
            goto done;
        }
        c->isthing = *thing;
        c->name = maskeval_malloc(&ctx->alloc, (size_t)len + 1);
        if (c->name == NULL) {
            st = maskeval_nomem(ctx, "reading a partial");
            goto done;
        }
        memcpy(c->name, nm, len);
        c->name[len] = '\0';
        r->data.n_cats = (size_t)k + 1;
    }
    /* images exist only as records: no paths */
    r->data.imgs = maskeval_calloc(&ctx->alloc, (size_t)n_imgs + 1, sizeof(pq_img));
    if (r->data.imgs == NULL) {
        st = maskeval_nomem(ctx, "reading a partial");
        goto done;
    }
    r->data.n_imgs = (size_t)n_imgs;
    bits = maskeval_get_bytes(rb, (size_t)((n_imgs + 7) / 8));
    n_held = maskeval_get_u64(rb);
    if (bits == NULL || rb->short_read ||
        (n_imgs % 8 != 0 && (bits[n_imgs / 8] >> (n_imgs % 8)) != 0)) {
        st = bad(ctx, name, rb, "image set");
        goto done;
    }
    for (uint64_t i = 0; i < n_imgs; i++) {
        r->held[i] = (bits[i / 8] >> (i % 8)) & 1;
        held += r->held[i];
    }
    if (held != n_held) {
        st = bad(ctx, name, rb, "image set");
        goto done;
    }
    r->n_held = held;
    for (uint64_t i = 0; i < n_imgs && st == MASKEVAL_OK; i++) {
        pq_record *rec = &r->recs[i];
        uint32_t ntp, nfp, nfn;
        if (!r->held[i]) {
            continue;
        }
        ntp = maskeval_get_u32(rb);
        nfp = maskeval_get_u32(rb);
        nfn = maskeval_get_u32(rb);
        if (rb->short_read || !maskeval_rbuf_has(rb, ntp, 12)) {
            st = bad(ctx, name, rb, "records");
            break;
        }
        rec->tp = maskeval_malloc(&ctx->alloc, ((size_t)ntp + 1) * sizeof(pq_tp));
        if (rec->tp == NULL) {
            st = maskeval_nomem(ctx, "reading a partial");
            break;
        }
        rec->n_tp = ntp;
        for (uint32_t t = 0; t < ntp; t++) {
            rec->tp[t].cat = maskeval_get_u32(rb);
            rec->tp[t].iou = maskeval_get_f64(rb);
            if (rec->tp[t].cat >= n_cats) {
                st = bad(ctx, name, rb, "category index out of range");
                break;
            }
        }
        if (st == MASKEVAL_OK) {
            st = get_u32s(ctx, name, rb, &rec->fp, nfp, (size_t)n_cats);
            rec->n_fp = rec->fp != NULL ? nfp : 0;
        }
        if (st == MASKEVAL_OK) {
            st = get_u32s(ctx, name, rb, &rec->fn, nfn, (size_t)n_cats);
            rec->n_fn = rec->fn != NULL ? nfn : 0;
        }
    }
    if (st == MASKEVAL_OK && rb->pos != rb->len) {
        st = bad(ctx, name, rb, "bytes after the records");
    }
    if (st == MASKEVAL_OK) {
        st = maskeval_pq_finalize(ctx, r);
    }
done:
    if (st != MASKEVAL_OK) {
        maskeval_panoptic_destroy(r);
        return st;
    }
    *out = r;
    return MASKEVAL_OK;
}

maskeval_status maskeval_panoptic_decode(maskeval_ctx *ctx, const char *name, const void *buf,
                                         size_t len, maskeval_panoptic **out)
{
    maskeval_frame fr;
    maskeval_rbuf rb;
    maskeval_status st;
    if (ctx == NULL || out == NULL || (buf == NULL && len > 0)) {
        return MASKEVAL_ERR_INVALID_ARG;
    }
    *out = NULL;
    name = name != NULL ? name : "<partial>";
    st = maskeval_frame_open(ctx, name, buf, len, MASKEVAL_FRAME_PANOPTIC, &fr);
    if (st != MASKEVAL_OK) {
        return st;
    }
    rb.p = fr.body;
    rb.len = fr.body_len;
    rb.pos = 0;
    rb.short_read = 0;
    return get_body(ctx, name, &rb, fr.gt_digest, out);
}

static int same_run(const maskeval_panoptic *a, const maskeval_panoptic *b)
{
    if (a->data.gt_digest != b->data.gt_digest || a->chunks != b->chunks ||
        memcmp(&a->ratio, &b->ratio, sizeof(double)) != 0 || a->data.n_imgs != b->data.n_imgs ||
        a->data.n_cats != b->data.n_cats) {
        return 0;
    }
    for (size_t k = 0; k < a->data.n_cats; k++) {
        if (a->data.cats[k].id != b->data.cats[k].id ||
            a->data.cats[k].isthing != b->data.cats[k].isthing ||
            strcmp(a->data.cats[k].name, b->data.cats[k].name) != 0) {
            return 0;
        }
    }
    return 1;
}

static maskeval_status copy_record(const maskeval_alloc *a, const pq_record *src, pq_record *dst)
{
    dst->tp = maskeval_malloc(a, (src->n_tp + 1) * sizeof(pq_tp));
    dst->fp = maskeval_malloc(a, (src->n_fp + 1) * sizeof(uint32_t));
    dst->fn = maskeval_malloc(a, (src->n_fn + 1) * sizeof(uint32_t));
    if (dst->tp == NULL || dst->fp == NULL || dst->fn == NULL) {
        maskeval_pq_record_free(a, dst);
        return MASKEVAL_ERR_NOMEM;
    }
    if (src->n_tp > 0) {
        memcpy(dst->tp, src->tp, src->n_tp * sizeof(pq_tp));
    }
    if (src->n_fp > 0) {
        memcpy(dst->fp, src->fp, src->n_fp * sizeof(uint32_t));
    }
    if (src->n_fn > 0) {
        memcpy(dst->fn, src->fn, src->n_fn * sizeof(uint32_t));
    }
    dst->n_tp = src->n_tp;
    dst->n_fp = src->n_fp;
    dst->n_fn = src->n_fn;
    return MASKEVAL_OK;
}

maskeval_status maskeval_panoptic_merge(maskeval_ctx *ctx, maskeval_panoptic *dst,
                                        const maskeval_panoptic *src)
{
    if (ctx == NULL || dst == NULL || src == NULL) {
        return MASKEVAL_ERR_INVALID_ARG;
    }
    if (!same_run(dst, src)) {
        return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                             "panoptic merge: the partials come from different runs (ground "
                             "truth, categories, image count, --chunks or dilation ratio differ)");
    }
    for (size_t i = 0; i < src->data.n_imgs; i++) {
        if (src->held[i] && dst->held[i]) {
            return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                                 "panoptic merge: image %zu is in two partials", i);
        }
    }
    for (size_t i = 0; i < src->data.n_imgs; i++) {
        if (src->held[i]) {
            if (copy_record(&ctx->alloc, &src->recs[i], &dst->recs[i]) != MASKEVAL_OK) {
                return maskeval_nomem(ctx, "merging partials");
            }
            dst->held[i] = 1;
            dst->n_held++;
        }
    }
    return maskeval_pq_finalize(ctx, dst);
}
