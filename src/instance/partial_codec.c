/*
 * partial_codec.c - COCO partials to bytes and back (README "Partial
 * files"), the digest of the resolved parameters, and read access to the
 * records. All integers little-endian, doubles as IEEE-754 bit patterns.
 *
 * Body of a COCO partial:
 *   params   u32 iou_type, u32 use_cats, u64 T, R, M, I, n_cats, K,
 *            f64 iou_thrs[T], f64 rec_thrs[R], i64 max_dets[M],
 *            f64 area_rng[4][2], i64 img_ids[I], i64 cats[n_cats], i64 k_ids[K]
 *   names    K x (u32 length or 0xffffffff for none, bytes)
 *   images   u64 n_held, ceil(I / 8) bytes: bit i % 8 of byte i / 8 = image i held
 *   counts   u64 n_gt, u64 n_dt, u32 flags (bit 0: match identities)
 *   cells    u64 n_cells, n_cells x (u32 img, u32 k, u32 n_dt, u32 npig[4])
 *   dets     u64 n_dets, f64 scores[n_dets],
 *            status: 2 bits per entry of [n_dets][4][T], 4 entries a byte, low bits first
 *            with flag bit 0: i64 match_gt[n_dets * 4 * T], f64 match_iou[...]
 * The header's parameter digest is the digest of the params section.
 */
#include <stdio.h>
#include <string.h>

#include "core/bytes.h"
#include "core/digest.h"
#include "instance/instance.h"
#include "shard/frame.h"

#define NO_NAME 0xffffffffu

maskeval_status maskeval_eparams_copy(const maskeval_alloc *a, const maskeval_eparams *src,
                                      maskeval_eparams *dst)
{
    *dst = *src;
    dst->iou_thrs = maskeval_calloc(a, src->T + 1, sizeof(double));
    dst->rec_thrs = maskeval_calloc(a, src->R + 1, sizeof(double));
    dst->max_dets = maskeval_calloc(a, src->M + 1, sizeof(int64_t));
    dst->img_ids = maskeval_calloc(a, src->I + 1, sizeof(int64_t));
    dst->cats = maskeval_calloc(a, src->n_cats + 1, sizeof(int64_t));
    dst->k_ids = maskeval_calloc(a, src->K + 1, sizeof(int64_t));
    dst->k_freq = src->k_freq != NULL ? maskeval_calloc(a, src->K + 1, 1) : NULL;
    dst->kpt_sigmas = src->kpt_sigmas != NULL ? maskeval_calloc(a, src->n_kpt + 1, sizeof(double))
                                              : NULL;
    if (dst->iou_thrs == NULL || dst->rec_thrs == NULL || dst->max_dets == NULL ||
        dst->img_ids == NULL || dst->cats == NULL || dst->k_ids == NULL ||
        (src->k_freq != NULL && dst->k_freq == NULL) ||
        (src->kpt_sigmas != NULL && dst->kpt_sigmas == NULL)) {
        maskeval_eparams_free(a, dst);
        return MASKEVAL_ERR_NOMEM;
    }
    memcpy(dst->iou_thrs, src->iou_thrs, src->T * sizeof(double));
    memcpy(dst->rec_thrs, src->rec_thrs, src->R * sizeof(double));
    memcpy(dst->max_dets, src->max_dets, src->M * sizeof(int64_t));
    if (src->I > 0) {
        memcpy(dst->img_ids, src->img_ids, src->I * sizeof(int64_t));
    }
    if (src->n_cats > 0) {
        memcpy(dst->cats, src->cats, src->n_cats * sizeof(int64_t));
    }
    if (src->K > 0) {
        memcpy(dst->k_ids, src->k_ids, src->K * sizeof(int64_t));
    }
    if (src->k_freq != NULL && src->K > 0) {
        memcpy(dst->k_freq, src->k_freq, src->K);
    }
    if (src->kpt_sigmas != NULL && src->n_kpt > 0) {
        memcpy(dst->kpt_sigmas, src->kpt_sigmas, src->n_kpt * sizeof(double));
    }
    return MASKEVAL_OK;
}

static void put_params(maskeval_wbuf *w, const maskeval_eparams *ep)
{
    /* bit 8: LVIS, whose cap and frequencies follow the K ids (older
     * readers refuse the type; older files read as COCO) */
    /* bit 9: Boundary AP, whose dilation ratio ends the section */
    maskeval_put_u32(w, (uint32_t)ep->iou_type | (ep->lvis ? 0x100u : 0u) |
                            (ep->dilation_ratio > 0 ? 0x200u : 0u));
    maskeval_put_u32(w, (uint32_t)ep->use_cats);
    maskeval_put_u64(w, ep->T);
    maskeval_put_u64(w, ep->R);
    maskeval_put_u64(w, ep->M);
    maskeval_put_u64(w, ep->I);
    maskeval_put_u64(w, ep->n_cats);
    maskeval_put_u64(w, ep->K);
    for (size_t t = 0; t < ep->T; t++) {
        maskeval_put_f64(w, ep->iou_thrs[t]);
    }
    for (size_t r = 0; r < ep->R; r++) {
        maskeval_put_f64(w, ep->rec_thrs[r]);
    }
    for (size_t m = 0; m < ep->M; m++) {
        maskeval_put_u64(w, (uint64_t)ep->max_dets[m]);
    }
    for (size_t a = 0; a < MASKEVAL_N_AREAS; a++) {
        maskeval_put_f64(w, ep->area_rng[a][0]);
        maskeval_put_f64(w, ep->area_rng[a][1]);
    }
    for (size_t i = 0; i < ep->I; i++) {
        maskeval_put_u64(w, (uint64_t)ep->img_ids[i]);
    }
    for (size_t k = 0; k < ep->n_cats; k++) {
        maskeval_put_u64(w, (uint64_t)ep->cats[k]);
    }
    for (size_t k = 0; k < ep->K; k++) {
        maskeval_put_u64(w, (uint64_t)ep->k_ids[k]);
    }
    if (ep->lvis) {
        maskeval_put_u64(w, (uint64_t)ep->lvis_max_dets);
        maskeval_put_u32(w, (uint32_t)ep->lvis_ap);
        maskeval_put_u64(w, (uint64_t)ep->lvis_dets_per_cat);
        maskeval_put_bytes(w, ep->k_freq, ep->K);
    }
    if (ep->dilation_ratio > 0) {
        maskeval_put_f64(w, ep->dilation_ratio);
    }
    if (ep->iou_type == MASKEVAL_IOU_KEYPOINTS) { /* type 2: the OKS sigmas end it */
        maskeval_put_u64(w, ep->n_kpt);
        for (size_t i = 0; i < ep->n_kpt; i++) {
            maskeval_put_f64(w, ep->kpt_sigmas[i]);
        }
    }
}

maskeval_status maskeval_eparams_digest(maskeval_ctx *ctx, const maskeval_eparams *ep,
                                        uint64_t *out)
{
    maskeval_wbuf w;
    memset(&w, 0, sizeof(w));
    put_params(&w, ep);
    w.cap = w.len;
    w.len = 0;
    w.p = maskeval_malloc(&ctx->alloc, w.cap + 1);
    if (w.p == NULL) {
        return MASKEVAL_ERR_NOMEM;
    }
    put_params(&w, ep);
    *out = maskeval_digest64(w.p, w.len);
    maskeval_free(&ctx->alloc, w.p);
    return MASKEVAL_OK;
}

static void put_body(maskeval_wbuf *w, const maskeval_coco_partial *p)
{
    const maskeval_eparams *ep = &p->ep;
    const size_t at = MASKEVAL_N_AREAS * ep->T;
    const uint64_t n_st = p->n_dets * at;
    put_params(w, ep);
    for (size_t k = 0; k < ep->K; k++) {
        const char *nm = p->cat_names[k];
        maskeval_put_u32(w, nm != NULL ? (uint32_t)strlen(nm) : NO_NAME);
        if (nm != NULL) {
            maskeval_put_bytes(w, nm, strlen(nm));
        }
    }
    maskeval_put_u64(w, p->n_held);
    for (size_t i = 0; i < ep->I; i += 8) {
        uint8_t byte = 0;
        for (size_t b = 0; b < 8 && i + b < ep->I; b++) {
            byte |= (uint8_t)((p->img_held[i + b] != 0) << b);
        }
        maskeval_put_bytes(w, &byte, 1);
    }
    maskeval_put_u64(w, p->n_gt);
    maskeval_put_u64(w, p->n_dt);
    maskeval_put_u32(w, p->match_gt != NULL ? 1u : 0u);
    maskeval_put_u64(w, p->n_cells);
    for (size_t c = 0; c < p->n_cells; c++) {
        const maskeval_rec_cell *r = &p->cells[c];
        maskeval_put_u32(w, r->img);
        maskeval_put_u32(w, r->k);
        maskeval_put_u32(w, r->n_dt);
        for (size_t a = 0; a < MASKEVAL_N_AREAS; a++) {
            maskeval_put_u32(w, r->npig[a]);
        }
    }
    maskeval_put_u64(w, p->n_dets);
    for (uint64_t d = 0; d < p->n_dets; d++) {
        maskeval_put_f64(w, p->scores[d]);
    }
    for (uint64_t e = 0; e < n_st; e += 4) {
        uint8_t byte = 0;
        for (uint64_t b = 0; b < 4 && e + b < n_st; b++) {
            byte |= (uint8_t)(p->status[e + b] << (2 * b));
        }
        maskeval_put_bytes(w, &byte, 1);
    }
    for (uint64_t e = 0; p->match_gt != NULL && e < n_st; e++) {
        maskeval_put_u64(w, (uint64_t)p->match_gt[e]);
    }
    for (uint64_t e = 0; p->match_gt != NULL && e < n_st; e++) {
        maskeval_put_f64(w, p->match_iou[e]);
    }
}

maskeval_status maskeval_coco_partial_encode(maskeval_ctx *ctx, const maskeval_coco_partial *p,
                                             void *buf, size_t cap, size_t *len)
{
    maskeval_wbuf w;
    if (ctx == NULL || p == NULL || len == NULL) {
        return ctx != NULL ? maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                                           "maskeval_coco_partial_encode: invalid arguments")
                           : MASKEVAL_ERR_INVALID_ARG;
    }
    memset(&w, 0, sizeof(w));
    put_body(&w, p);
    *len = MASKEVAL_FRAME_HEADER + w.len;
    if (buf == NULL || cap < *len) {
        return MASKEVAL_ERR_BUFFER_TOO_SMALL;
    }
    w.p = (uint8_t *)buf + MASKEVAL_FRAME_HEADER;
    w.cap = *len - MASKEVAL_FRAME_HEADER;
    w.len = 0;
    put_body(&w, p);
    maskeval_frame_seal(buf, MASKEVAL_FRAME_COCO, p->gt_digest, p->params_digest, w.len);
    return MASKEVAL_OK;
}

typedef struct decoder {
    maskeval_ctx *ctx;
    const char *name;
    maskeval_rbuf r;
} decoder;

static maskeval_status bad(decoder *d, const char *what)
{
    if (d->r.short_read) {
        return maskeval_fail(d->ctx, MASKEVAL_ERR_PARSE, "%s: truncated partial body (in %s)",
                             d->name, what);
    }
    return maskeval_fail(d->ctx, MASKEVAL_ERR_PARSE, "%s: invalid partial file: %s", d->name,
                         what);
}

/* Reads n 8-byte values into a fresh array (after checking they are there). */
static void *get_array64(decoder *d, const maskeval_alloc *a, uint64_t n, int is_double)
{
    uint64_t *v;
    if (!maskeval_rbuf_has(&d->r, n, 8)) {
        d->r.short_read = 1;
        return NULL;
    }
    v = maskeval_calloc(a, (size_t)n + 1, 8);
    for (uint64_t i = 0; v != NULL && i < n; i++) {
        if (is_double) {
            double x = maskeval_get_f64(&d->r);
            memcpy(&v[i], &x, 8);
        } else {
            v[i] = maskeval_get_u64(&d->r);
        }
    }
    return v;
}

static maskeval_status get_params(decoder *d, const maskeval_alloc *a, maskeval_eparams *ep)
{
    uint32_t type, use_cats;
    uint64_t T, R, M, I, NC, K;
    memset(ep, 0, sizeof(*ep));
    type = maskeval_get_u32(&d->r);
    ep->lvis = (type & 0x100u) != 0;
    {
        const int boundary = (type & 0x200u) != 0;
        ep->dilation_ratio = boundary ? -1.0 : 0.0; /* read after the LVIS fields */
    }
    type &= ~0x300u;
    use_cats = maskeval_get_u32(&d->r);
    T = maskeval_get_u64(&d->r);
    R = maskeval_get_u64(&d->r);
    M = maskeval_get_u64(&d->r);
    I = maskeval_get_u64(&d->r);
    NC = maskeval_get_u64(&d->r);
    K = maskeval_get_u64(&d->r);
    if (d->r.short_read) {
        return bad(d, "parameters");
    }
    if (type > MASKEVAL_IOU_KEYPOINTS || use_cats > 1 || T == 0 || R == 0 ||
        M < (ep->lvis || type == MASKEVAL_IOU_KEYPOINTS ? 1u : 3u) ||
        (ep->lvis && (M != 1 || !use_cats)) || I > UINT32_MAX || NC > UINT32_MAX ||
        K != (use_cats ? NC : 1)) {
        return bad(d, "parameters out of range");
    }
    ep->iou_type = (maskeval_iou_type)type;
    ep->use_cats = (int)use_cats;
    ep->iou_thrs = get_array64(d, a, T, 1);
    ep->T = (size_t)T;
    ep->rec_thrs = get_array64(d, a, R, 1);
    ep->R = (size_t)R;
    ep->max_dets = get_array64(d, a, M, 0);
    ep->M = (size_t)M;
    for (size_t r = 0; r < MASKEVAL_N_AREAS; r++) {
        ep->area_rng[r][0] = maskeval_get_f64(&d->r);
        ep->area_rng[r][1] = maskeval_get_f64(&d->r);
    }
    ep->img_ids = get_array64(d, a, I, 0);
    ep->I = (size_t)I;
    ep->cats = get_array64(d, a, NC, 0);
    ep->n_cats = (size_t)NC;
    ep->k_ids = get_array64(d, a, K, 0);
    ep->K = (size_t)K;
    if (ep->lvis) {
        ep->lvis_max_dets = (int64_t)maskeval_get_u64(&d->r);
        ep->lvis_ap = (int)maskeval_get_u32(&d->r);
        ep->lvis_dets_per_cat = (int64_t)maskeval_get_u64(&d->r);
        if (ep->lvis_ap < 0 || ep->lvis_ap > 2 || ep->lvis_dets_per_cat < 0) {
            return bad(d, "LVIS AP mode");
        }
        ep->k_freq = maskeval_calloc(a, K + 1, 1);
        if (ep->k_freq == NULL) {
            return maskeval_nomem(d->ctx, "reading a partial");
        }
        const uint8_t *f = maskeval_get_bytes(&d->r, (size_t)K);
        for (size_t k = 0; f != NULL && k < K; k++) {
            ep->k_freq[k] = f[k];
            if (f[k] > 2) {
                return bad(d, "LVIS frequencies");
            }
        }
        if (ep->lvis_max_dets < -1) {
            return bad(d, "LVIS max_dets");
        }
    }
    if (ep->dilation_ratio < 0) {
        ep->dilation_ratio = maskeval_get_f64(&d->r);
        if (!(ep->dilation_ratio > 0) || ep->dilation_ratio > 1e6 || ep->lvis ||
            type != MASKEVAL_IOU_SEGM) {
            return bad(d, "boundary dilation ratio");
        }
    }
    if (ep->iou_type == MASKEVAL_IOU_KEYPOINTS) {
        const uint64_t k = maskeval_get_u64(&d->r);
        if (d->r.short_read || k == 0 || k > 4096 || ep->lvis) {
            return bad(d, "OKS sigmas");
        }
        ep->kpt_sigmas = get_array64(d, a, k, 1);
        if (ep->kpt_sigmas == NULL) {
            return d->r.short_read ? bad(d, "OKS sigmas") : maskeval_nomem(d->ctx, "reading a partial");
        }
        ep->n_kpt = (size_t)k;
    }
    if (d->r.short_read) {
        return bad(d, "parameters");
    }
    if (ep->iou_thrs == NULL || ep->rec_thrs == NULL || ep->max_dets == NULL ||
        ep->img_ids == NULL || ep->cats == NULL || ep->k_ids == NULL) {
        return maskeval_nomem(d->ctx, "reading a partial");
    }
    for (size_t m = 0; m < ep->M; m++) {
        if (ep->max_dets[m] < 1 || ep->max_dets[m] > UINT32_MAX ||
            (m > 0 && ep->max_dets[m] < ep->max_dets[m - 1])) {
            return bad(d, "maxDets");
        }
    }
    for (size_t i = 1; i < ep->I; i++) {
        if (ep->img_ids[i] <= ep->img_ids[i - 1]) {
            return bad(d, "image ids not sorted and unique");
        }
    }
    return MASKEVAL_OK;
}

static maskeval_status get_names_images(decoder *d, maskeval_coco_partial *p)
{
    const maskeval_alloc *a = &p->alloc;
    uint64_t held = 0;
    const uint8_t *bits;
    for (size_t k = 0; k < p->ep.K; k++) {
        const uint32_t n = maskeval_get_u32(&d->r);
        const uint8_t *b;
        if (n == NO_NAME) {
            continue;
        }
        b = maskeval_get_bytes(&d->r, n);
        if (b == NULL || memchr(b, 0, n) != NULL) {
            return bad(d, "category names");
        }
        p->cat_names[k] = maskeval_malloc(a, (size_t)n + 1);
        if (p->cat_names[k] == NULL) {
            return maskeval_nomem(d->ctx, "reading a partial");
        }
        memcpy(p->cat_names[k], b, n);
        p->cat_names[k][n] = 0;
    }
    held = maskeval_get_u64(&d->r);
    bits = maskeval_get_bytes(&d->r, (p->ep.I + 7) / 8);
    if (bits == NULL) {
        return bad(d, "image set");
    }
    for (size_t i = 0; i < p->ep.I; i++) {
        p->img_held[i] = (bits[i / 8] >> (i % 8)) & 1;
        p->n_held += p->img_held[i];
    }
    if (p->ep.I % 8 != 0 && (bits[p->ep.I / 8] >> (p->ep.I % 8)) != 0) {
        return bad(d, "image set has bits beyond the image count");
    }
    if (held != p->n_held) {
        return bad(d, "image count does not match the image set");
    }
    return MASKEVAL_OK;
}

static maskeval_status get_cells(decoder *d, maskeval_coco_partial *p, int matches)
{
    const maskeval_alloc *a = &p->alloc;
    const maskeval_eparams *ep = &p->ep;
    const size_t at = MASKEVAL_N_AREAS * ep->T;
    uint64_t n_cells = maskeval_get_u64(&d->r), off = 0, n_st;
    const uint8_t *packed;
    if (!maskeval_rbuf_has(&d->r, n_cells, 28)) {
        return bad(d, "cells");
    }
    p->cells = maskeval_calloc(a, (size_t)n_cells + 1, sizeof(maskeval_rec_cell));
    if (p->cells == NULL) {
        return maskeval_nomem(d->ctx, "reading a partial");
    }
    p->n_cells = (size_t)n_cells;
    for (size_t c = 0; c < p->n_cells; c++) {
        maskeval_rec_cell *r = &p->cells[c];
        r->img = maskeval_get_u32(&d->r);
        r->k = maskeval_get_u32(&d->r);
        r->n_dt = maskeval_get_u32(&d->r);
        for (size_t ar = 0; ar < MASKEVAL_N_AREAS; ar++) {
            r->npig[ar] = maskeval_get_u32(&d->r);
        }
        r->dt_off = off;
        off += r->n_dt;
        if (r->img >= ep->I || !p->img_held[r->img] || r->k >= ep->K ||
            (int64_t)r->n_dt > ep->max_dets[ep->M - 1] ||
            (c > 0 && (r->img < r[-1].img || (r->img == r[-1].img && r->k <= r[-1].k)))) {
            return bad(d, "cells out of range or order");
        }
    }
    p->n_dets = maskeval_get_u64(&d->r);
    if (d->r.short_read || p->n_dets != off) {
        return bad(d, "detection count does not match the cells");
    }
    p->scores = get_array64(d, a, p->n_dets, 1);
    if (d->r.short_read) {
        return bad(d, "scores");
    }
    n_st = p->n_dets * at;
    packed = maskeval_get_bytes(&d->r, (size_t)((n_st + 3) / 4));
    if (packed == NULL) {
        return bad(d, "match status");
    }
    p->status = maskeval_malloc(a, (size_t)n_st + 1);
    if (p->scores == NULL || p->status == NULL) {
        return maskeval_nomem(d->ctx, "reading a partial");
    }
    for (uint64_t e = 0; e < n_st; e++) {
        p->status[e] = (packed[e / 4] >> (2 * (e % 4))) & 3;
        if (p->status[e] > MASKEVAL_DT_IGNORED) {
            return bad(d, "match status value 3");
        }
    }
    if (matches) {
        p->match_gt = get_array64(d, a, n_st, 0);
        p->match_iou = get_array64(d, a, n_st, 1);
        if (d->r.short_read) {
            return bad(d, "match identities");
        }
        if (p->match_gt == NULL || p->match_iou == NULL) {
            return maskeval_nomem(d->ctx, "reading a partial");
        }
    }
    return MASKEVAL_OK;
}

maskeval_status maskeval_coco_partial_decode(maskeval_ctx *ctx, const char *name,
                                             const void *buf, size_t len,
                                             maskeval_coco_partial **out)
{
    maskeval_frame fr;
    maskeval_coco_partial *p = NULL;
    maskeval_eparams ep;
    decoder d;
    uint32_t flags;
    uint64_t digest = 0;
    size_t params_end;
    maskeval_status st;

    if (ctx == NULL || out == NULL || (buf == NULL && len > 0)) {
        return ctx != NULL ? maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                                           "maskeval_coco_partial_decode: invalid arguments")
                           : MASKEVAL_ERR_INVALID_ARG;
    }
    *out = NULL;
    d.ctx = ctx;
    d.name = name != NULL ? name : "<partial>";
    memset(&ep, 0, sizeof(ep));
    st = maskeval_frame_open(ctx, d.name, buf, len, MASKEVAL_FRAME_COCO, &fr);
    if (st != MASKEVAL_OK) {
        return st;
    }
    d.r.p = fr.body;
    d.r.len = fr.body_len;
    d.r.pos = 0;
    d.r.short_read = 0;
    st = get_params(&d, &ctx->alloc, &ep);
    params_end = d.r.pos;
    if (st == MASKEVAL_OK) {
        digest = maskeval_digest64(fr.body, params_end);
        if (digest != fr.params_digest) {
            st = bad(&d, "the parameter digest does not match the parameters");
        }
    }
    if (st == MASKEVAL_OK) {
        st = maskeval_partial_alloc(ctx, &ep, NULL, &p);
    }
    if (st == MASKEVAL_OK) {
        snprintf(p->name, sizeof(p->name), "%s", d.name);
        p->gt_digest = fr.gt_digest;
        st = get_names_images(&d, p);
    }
    if (st == MASKEVAL_OK) {
        p->n_gt = maskeval_get_u64(&d.r);
        p->n_dt = maskeval_get_u64(&d.r);
        flags = maskeval_get_u32(&d.r);
        st = d.r.short_read ? bad(&d, "counts") : flags > 1 ? bad(&d, "unknown flags") : st;
        p->ep.keep_matches = (int)(flags & 1);
    }
    if (st == MASKEVAL_OK) {
        st = get_cells(&d, p, p->ep.keep_matches);
    }
    if (st == MASKEVAL_OK && d.r.pos != d.r.len) {
        st = bad(&d, "bytes after the records");
    }
    maskeval_eparams_free(&ctx->alloc, &ep);
    if (st != MASKEVAL_OK) {
        maskeval_coco_partial_destroy(p);
        return st;
    }
    *out = p;
    return MASKEVAL_OK;
}

void maskeval_coco_partial_get_info(const maskeval_coco_partial *p,
                                    maskeval_coco_partial_info *info)
{
    memset(info, 0, sizeof(*info));
    if (p == NULL) {
        return;
    }
    info->n_images = p->ep.I;
    info->n_held = p->n_held;
    info->n_cells = p->n_cells;
    info->n_detections = p->n_dets;
    info->gt_digest = p->gt_digest;
    info->params_digest = p->params_digest;
    info->has_matches = p->match_gt != NULL;
}

maskeval_status maskeval_coco_partial_record(const maskeval_coco_partial *p, size_t cell,
                                             maskeval_coco_record *rec)
{
    const maskeval_rec_cell *c;
    size_t at;
    if (p == NULL || rec == NULL || cell >= p->n_cells) {
        return MASKEVAL_ERR_INVALID_ARG;
    }
    c = &p->cells[cell];
    at = MASKEVAL_N_AREAS * p->ep.T;
    rec->image_id = p->ep.img_ids[c->img];
    rec->category_id = p->ep.k_ids[c->k];
    rec->n_dt = c->n_dt;
    memcpy(rec->n_gt_not_ignored, c->npig, sizeof(rec->n_gt_not_ignored));
    rec->scores = p->scores + c->dt_off;
    rec->status = p->status + c->dt_off * at;
    rec->match_gt = p->match_gt != NULL ? p->match_gt + c->dt_off * at : NULL;
    rec->match_iou = p->match_iou != NULL ? p->match_iou + c->dt_off * at : NULL;
    return MASKEVAL_OK;
}
