/*
 * partial_select.c - records re-laid-out for pycocotools' accumulate(p):
 * some categories (in a given order), some images, area ranges picked from
 * the source's, other maxDets values and recall thresholds, built from a
 * complete partial so that the ordinary accumulate() gives accumulate(p)'s
 * arrays (maskeval_coco_partial_select, include/maskeval.h).
 *
 * Matching does not depend on maxDets below the evaluated maxDets[-1] (the
 * records keep the top maxDets[-1] detections per cell, and accumulate()
 * takes each image's first maxDet), nor on the recall thresholds, so the
 * statuses are reused as they are; only which cells enter, their K and image
 * positions and the area columns change.
 */
#include <stdio.h>
#include <string.h>

#include "instance/instance.h"

static int select_ok(const maskeval_coco_partial *src, const maskeval_coco_select *s)
{
    const maskeval_eparams *ep = &src->ep;
    if (s->n_k > 0 && s->k_index == NULL) {
        return 0;
    }
    if ((s->n_img > 0 && s->img_index == NULL) || s->n_max_dets == 0 || s->max_dets == NULL ||
        (s->rec_thrs != NULL && s->n_rec_thrs == 0)) {
        return 0;
    }
    for (size_t k = 0; k < s->n_k; k++) {
        if (s->k_index[k] >= ep->K) {
            return 0;
        }
        for (size_t q = 0; q < k; q++) {
            if (s->k_index[q] == s->k_index[k]) {
                return 0;
            }
        }
    }
    for (size_t i = 0; i < s->n_img; i++) {
        if (s->img_index[i] >= ep->I || (i > 0 && s->img_index[i] <= s->img_index[i - 1])) {
            return 0;
        }
    }
    for (size_t a = 0; a < MASKEVAL_N_AREAS; a++) {
        if (s->area_index[a] >= MASKEVAL_N_AREAS) {
            return 0;
        }
    }
    for (size_t m = 0; m < s->n_max_dets; m++) {
        if (s->max_dets[m] < 1 || s->max_dets[m] > ep->max_dets[ep->M - 1]) {
            return 0;
        }
    }
    return 1;
}

/* The output parameters: src's with the selected lists. */
static maskeval_status select_params(const maskeval_alloc *a, const maskeval_eparams *src,
                                     const maskeval_coco_select *s, maskeval_eparams *ep)
{
    maskeval_eparams e = *src;
    e.K = s->n_k;
    e.n_cats = src->use_cats ? s->n_k : src->n_cats;
    e.I = s->n_img;
    e.M = s->n_max_dets;
    e.R = s->rec_thrs != NULL ? s->n_rec_thrs : src->R;
    e.rec_thrs = s->rec_thrs != NULL ? (double *)s->rec_thrs : src->rec_thrs;
    e.max_dets = (int64_t *)s->max_dets;
    e.k_freq = NULL;
    if (maskeval_eparams_copy(a, &e, ep) != MASKEVAL_OK) {
        return MASKEVAL_ERR_NOMEM;
    }
    for (size_t k = 0; k < s->n_k; k++) {
        ep->k_ids[k] = src->k_ids[s->k_index[k]];
        if (src->use_cats) {
            ep->cats[k] = src->k_ids[s->k_index[k]];
        }
    }
    for (size_t i = 0; i < s->n_img; i++) {
        ep->img_ids[i] = src->img_ids[s->img_index[i]];
    }
    for (size_t r = 0; r < MASKEVAL_N_AREAS; r++) {
        ep->area_rng[r][0] = src->area_rng[s->area_index[r]][0];
        ep->area_rng[r][1] = src->area_rng[s->area_index[r]][1];
    }
    return MASKEVAL_OK;
}

maskeval_status maskeval_coco_partial_select(maskeval_ctx *ctx, const maskeval_coco_partial *src,
                                             const maskeval_coco_select *user,
                                             maskeval_coco_partial **out)
{
    const maskeval_alloc *a;
    maskeval_coco_select s;
    maskeval_eparams ep;
    maskeval_coco_partial *p = NULL;
    const char **names = NULL;
    int64_t *kinv = NULL, *iinv = NULL;
    size_t T, at, n_cells = 0, cur;
    uint64_t n_dets = 0, off = 0;
    maskeval_status st = MASKEVAL_OK;

    if (ctx == NULL || out == NULL) {
        return MASKEVAL_ERR_INVALID_ARG;
    }
    *out = NULL;
    memset(&s, 0, sizeof(s));
    memset(&ep, 0, sizeof(ep));
    if (user != NULL) {
        memcpy(&s, user, user->struct_size > 0 && user->struct_size < sizeof(s) ? user->struct_size
                                                                               : sizeof(s));
    }
    if (src == NULL || user == NULL || src->ep.lvis || src->n_held != src->ep.I ||
        !select_ok(src, &s)) {
        return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                             "maskeval_coco_partial_select: needs a complete, non-LVIS partial and "
                             "distinct K indices, ascending image positions and area indices "
                             "within it, maxDets in [1, its largest]");
    }
    a = &ctx->alloc;
    T = src->ep.T;
    at = MASKEVAL_N_AREAS * T;
    kinv = maskeval_calloc(a, src->ep.K + 1, sizeof(int64_t));
    iinv = maskeval_calloc(a, src->ep.I + 1, sizeof(int64_t));
    names = maskeval_calloc(a, s.n_k + 1, sizeof(char *));
    if (kinv == NULL || iinv == NULL || names == NULL) {
        st = maskeval_nomem(ctx, "selecting records");
        goto done;
    }
    for (size_t k = 0; k < src->ep.K; k++) {
        kinv[k] = -1;
    }
    for (size_t i = 0; i < src->ep.I; i++) {
        iinv[i] = -1;
    }
    for (size_t k = 0; k < s.n_k; k++) {
        kinv[s.k_index[k]] = (int64_t)k;
        names[k] = src->cat_names != NULL ? src->cat_names[s.k_index[k]] : NULL;
    }
    for (size_t i = 0; i < s.n_img; i++) {
        iinv[s.img_index[i]] = (int64_t)i;
    }
    for (size_t c = 0; c < src->n_cells; c++) {
        const maskeval_rec_cell *r = &src->cells[c];
        if (iinv[r->img] >= 0 && kinv[r->k] >= 0) {
            n_cells++;
            n_dets += r->n_dt;
        }
    }
    if (select_params(a, &src->ep, &s, &ep) != MASKEVAL_OK) {
        st = maskeval_nomem(ctx, "selecting records");
        goto done;
    }
    st = maskeval_partial_alloc(ctx, &ep, names, &p);
    if (st != MASKEVAL_OK) {
        goto done;
    }
    p->gt_digest = src->gt_digest;
    p->n_gt = src->n_gt;
    p->n_dt = src->n_dt;
    memset(p->img_held, 1, ep.I);
    p->n_held = ep.I;
    p->cells = maskeval_calloc(a, n_cells + 1, sizeof(maskeval_rec_cell));
    p->scores = maskeval_calloc(a, (size_t)n_dets + 1, sizeof(double));
    p->status = maskeval_calloc(a, (size_t)n_dets * at + 1, 1);
    if (p->cells == NULL || p->scores == NULL || p->status == NULL) {
        st = maskeval_nomem(ctx, "selecting records");
        goto done;
    }
    /* cells of each source image (contiguous, by k), re-sorted by output k */
    cur = 0;
    for (size_t c0 = 0; c0 < src->n_cells;) {
        size_t c1 = c0;
        const size_t first = cur;
        while (c1 < src->n_cells && src->cells[c1].img == src->cells[c0].img) {
            c1++;
        }
        for (size_t c = c0; iinv[src->cells[c0].img] >= 0 && c < c1; c++) {
            const maskeval_rec_cell *r = &src->cells[c];
            size_t j;
            if (kinv[r->k] < 0) {
                continue;
            }
            /* insertion by output k (few cells per image) */
            for (j = cur; j > first && p->cells[j - 1].k > (uint32_t)kinv[r->k]; j--) {
                p->cells[j] = p->cells[j - 1];
            }
            p->cells[j] = *r;
            p->cells[j].img = (uint32_t)iinv[r->img];
            p->cells[j].k = (uint32_t)kinv[r->k];
            p->cells[j].dt_off = r->dt_off; /* the source's, replaced below */
            cur++;
        }
        c0 = c1;
    }
    p->n_cells = cur;
    for (size_t c = 0; c < p->n_cells; c++) {
        maskeval_rec_cell *r = &p->cells[c];
        const uint64_t from = r->dt_off;
        uint32_t npig[MASKEVAL_N_AREAS];
        for (size_t ar = 0; ar < MASKEVAL_N_AREAS; ar++) {
            npig[ar] = r->npig[s.area_index[ar]];
        }
        memcpy(r->npig, npig, sizeof(npig));
        for (uint32_t d = 0; d < r->n_dt; d++) {
            const uint8_t *sst = src->status + (from + d) * at;
            uint8_t *dst = p->status + (off + d) * at;
            p->scores[off + d] = src->scores[from + d];
            for (size_t ar = 0; ar < MASKEVAL_N_AREAS; ar++) {
                memcpy(dst + ar * T, sst + s.area_index[ar] * T, T);
            }
        }
        r->dt_off = off;
        off += r->n_dt;
    }
    p->n_dets = off;
    snprintf(p->name, sizeof(p->name), "%.200s (selected)", src->name);
done:
    maskeval_eparams_free(a, &ep);
    maskeval_free(a, kinv);
    maskeval_free(a, iinv);
    maskeval_free(a, names);
    if (st != MASKEVAL_OK) {
        maskeval_coco_partial_destroy(p);
        return st;
    }
    *out = p;
    return MASKEVAL_OK;
}
