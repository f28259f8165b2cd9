/*
 * records.c - per-image evaluation records: what matching leaves for
 * accumulate (pycocotools' evalImgs, compact), built from a matched plan,
 * merged across partials of disjoint image sets, and freed.
 *
 * A record cell is one (image, category) group that has ground truth or
 * detections: the image's position in the sorted image-id list, the K index,
 * the cell's detection scores in descending order (truncated to
 * maxDets[-1]), per detection the status for every area range and IoU
 * threshold, and the non-ignored GT count per area range. Cells are kept in
 * (image, k) order, the order accumulate concatenates them in.
 */
#include <stdio.h>
#include <string.h>

#include "instance/instance.h"

void maskeval_coco_partial_destroy(maskeval_coco_partial *p)
{
    maskeval_alloc a;
    if (p == NULL) {
        return;
    }
    a = p->alloc;
    for (size_t k = 0; p->cat_names != NULL && k < p->ep.K; k++) {
        maskeval_free(&a, p->cat_names[k]);
    }
    maskeval_free(&a, p->cat_names);
    maskeval_eparams_free(&a, &p->ep);
    maskeval_free(&a, p->img_held);
    maskeval_free(&a, p->cells);
    maskeval_free(&a, p->scores);
    maskeval_free(&a, p->status);
    maskeval_free(&a, p->match_gt);
    maskeval_free(&a, p->match_iou);
    maskeval_free(&a, p);
}

static char *dup_str(const maskeval_alloc *a, const char *s)
{
    const size_t n = strlen(s);
    char *d = maskeval_malloc(a, n + 1);
    if (d != NULL) {
        memcpy(d, s, n + 1);
    }
    return d;
}

/* A partial with parameters ep (copied), names and held images allocated. */
maskeval_status maskeval_partial_alloc(maskeval_ctx *ctx, const maskeval_eparams *ep,
                                       const char *const *names, maskeval_coco_partial **out)
{
    const maskeval_alloc *a = &ctx->alloc;
    maskeval_coco_partial *p = maskeval_calloc(a, 1, sizeof(*p));
    maskeval_status st = MASKEVAL_ERR_NOMEM;
    *out = NULL;
    if (p == NULL) {
        return maskeval_nomem(ctx, "building evaluation records");
    }
    p->alloc = *a;
    if (maskeval_eparams_copy(a, ep, &p->ep) != MASKEVAL_OK) {
        goto done;
    }
    p->cat_names = maskeval_calloc(a, ep->K + 1, sizeof(char *));
    p->img_held = maskeval_calloc(a, ep->I + 1, 1);
    if (p->cat_names == NULL || p->img_held == NULL) {
        goto done;
    }
    for (size_t k = 0; names != NULL && k < ep->K; k++) {
        if (names[k] != NULL && (p->cat_names[k] = dup_str(a, names[k])) == NULL) {
            goto done;
        }
    }
    st = maskeval_eparams_digest(ctx, &p->ep, &p->params_digest);
done:
    if (st != MASKEVAL_OK) {
        maskeval_coco_partial_destroy(p);
        return st == MASKEVAL_ERR_NOMEM ? maskeval_nomem(ctx, "building evaluation records") : st;
    }
    *out = p;
    return MASKEVAL_OK;
}

maskeval_status maskeval_records_from_plan(maskeval_ctx *ctx, maskeval_plan *plan,
                                           uint32_t shard_index, uint32_t shard_count,
                                           maskeval_coco_partial **out)
{
    const maskeval_alloc *a = &ctx->alloc;
    const maskeval_eparams *ep = &plan->ep;
    const char **names = maskeval_calloc(a, ep->K + 1, sizeof(char *));
    maskeval_coco_partial *p = NULL;
    const size_t at = MASKEVAL_N_AREAS * ep->T;
    uint64_t off = 0;
    maskeval_status st;

    *out = NULL;
    if (names == NULL) {
        return maskeval_nomem(ctx, "building evaluation records");
    }
    for (size_t k = 0; k < ep->K; k++) {
        names[k] = maskeval_gt_category_name(plan->gt, ep->k_ids[k]);
    }
    st = maskeval_partial_alloc(ctx, ep, names, &p);
    maskeval_free(a, names);
    if (st != MASKEVAL_OK) {
        return st;
    }
    p->gt_digest = plan->gt->digest;
    for (size_t i = 0; i < ep->I; i++) {
        p->img_held[i] = shard_count <= 1 || i % shard_count == shard_index;
        p->n_held += p->img_held[i];
    }
    p->n_gt = plan->n_gt_items;
    p->n_dt = plan->n_dt_loaded;
    p->n_cells = plan->n_cells;
    p->n_dets = plan->n_status / (at > 0 ? at : 1);
    p->cells = maskeval_calloc(a, plan->n_cells + 1, sizeof(maskeval_rec_cell));
    p->scores = maskeval_calloc(a, (size_t)p->n_dets + 1, sizeof(double));
    if (p->cells == NULL || p->scores == NULL) {
        maskeval_coco_partial_destroy(p);
        return maskeval_nomem(ctx, "building evaluation records");
    }
    for (size_t ci = 0; ci < plan->n_cells; ci++) {
        const maskeval_cell *c = &plan->cells[ci];
        maskeval_rec_cell *r = &p->cells[ci];
        r->img = c->img;
        r->k = c->k;
        r->n_dt = c->n_dt;
        r->dt_off = off; /* == c->st_off / (A * T): statuses stay where they are */
        for (size_t ar = 0; ar < MASKEVAL_N_AREAS; ar++) {
            r->npig[ar] = plan->npig[ci * MASKEVAL_N_AREAS + ar];
        }
        for (uint32_t d = 0; d < c->n_dt; d++) {
            p->scores[off + d] = plan->dets->score[plan->dt_items[c->dt_off + d]];
        }
        off += c->n_dt;
    }
    p->status = plan->status;
    p->match_gt = plan->match_gt;
    p->match_iou = plan->match_iou;
    plan->status = NULL;
    plan->match_gt = NULL;
    plan->match_iou = NULL;
    *out = p;
    return MASKEVAL_OK;
}

static maskeval_status check_compatible(maskeval_ctx *ctx, const maskeval_coco_partial *first,
                                        const maskeval_coco_partial *p)
{
    if (p->gt_digest != first->gt_digest) {
        return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                             "%s: made from another ground truth file than %s (digest %016llx, "
                             "not %016llx)",
                             p->name, first->name, (unsigned long long)p->gt_digest,
                             (unsigned long long)first->gt_digest);
    }
    if (p->params_digest != first->params_digest) {
        return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                             "%s: evaluated with other parameters than %s (IoU type, "
                             "thresholds, maxDets, area ranges, image or category ids differ)",
                             p->name, first->name);
    }
    return MASKEVAL_OK;
}

/* owner[i]: the part holding image i, or -1; fails on an image held twice. */
static maskeval_status image_owners(maskeval_ctx *ctx, const maskeval_coco_partial *const *parts,
                                    size_t n, int32_t *owner)
{
    const size_t I = parts[0]->ep.I;
    for (size_t i = 0; i < I; i++) {
        owner[i] = -1;
    }
    for (size_t j = 0; j < n; j++) {
        for (size_t i = 0; i < I; i++) {
            if (!parts[j]->img_held[i]) {
                continue;
            }
            if (owner[i] >= 0) {
                return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                                     "%s: image id %lld is also in %s: partials to merge must "
                                     "hold disjoint images",
                                     parts[j]->name, (long long)parts[0]->ep.img_ids[i],
                                     parts[owner[i]]->name);
            }
            owner[i] = (int32_t)j;
        }
    }
    return MASKEVAL_OK;
}

/* Copies part j's cells of image i (from its cursor) to the end of m. */
static void take_cells(maskeval_coco_partial *m, const maskeval_coco_partial *src, size_t *cursor,
                       uint32_t img, uint64_t *off)
{
    const size_t at = MASKEVAL_N_AREAS * m->ep.T;
    while (*cursor < src->n_cells && src->cells[*cursor].img == img) {
        const maskeval_rec_cell *c = &src->cells[*cursor];
        maskeval_rec_cell *r = &m->cells[m->n_cells++];
        *r = *c;
        r->dt_off = *off;
        memcpy(m->scores + *off, src->scores + c->dt_off, c->n_dt * sizeof(double));
        memcpy(m->status + *off * at, src->status + c->dt_off * at, c->n_dt * at);
        if (m->match_gt != NULL) {
            memcpy(m->match_gt + *off * at, src->match_gt + c->dt_off * at,
                   c->n_dt * at * sizeof(int64_t));
            memcpy(m->match_iou + *off * at, src->match_iou + c->dt_off * at,
                   c->n_dt * at * sizeof(double));
        }
        *off += c->n_dt;
        (*cursor)++;
    }
}

maskeval_status maskeval_coco_partial_merge(maskeval_ctx *ctx,
                                            const maskeval_coco_partial *const *parts, size_t n,
                                            maskeval_coco_partial **out)
{
    const maskeval_alloc *a;
    maskeval_coco_partial *m = NULL;
    int32_t *owner = NULL;
    size_t *cursor = NULL, n_cells = 0, at;
    uint64_t n_dets = 0, off = 0;
    int matches = 1;
    maskeval_status st = MASKEVAL_OK;

    if (ctx == NULL || out == NULL) {
        return MASKEVAL_ERR_INVALID_ARG;
    }
    *out = NULL;
    if (parts == NULL || n == 0) {
        return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                             "maskeval_coco_partial_merge: no partials given");
    }
    for (size_t j = 0; j < n; j++) {
        if (parts[j] == NULL) {
            return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                                 "maskeval_coco_partial_merge: partial %zu is NULL", j);
        }
        st = check_compatible(ctx, parts[0], parts[j]);
        if (st != MASKEVAL_OK) {
            return st;
        }
        n_cells += parts[j]->n_cells;
        n_dets += parts[j]->n_dets;
        matches = matches && parts[j]->match_gt != NULL;
    }
    a = &ctx->alloc;
    at = MASKEVAL_N_AREAS * parts[0]->ep.T;
    owner = maskeval_calloc(a, parts[0]->ep.I + 1, sizeof(int32_t));
    cursor = maskeval_calloc(a, n, sizeof(size_t));
    if (owner == NULL || cursor == NULL) {
        st = maskeval_nomem(ctx, "merging partials");
        goto done;
    }
    st = image_owners(ctx, parts, n, owner);
    if (st == MASKEVAL_OK) {
        st = maskeval_partial_alloc(ctx, &parts[0]->ep, (const char *const *)parts[0]->cat_names,
                                    &m);
    }
    if (st != MASKEVAL_OK) {
        goto done;
    }
    if (n == 1) {
        snprintf(m->name, sizeof(m->name), "%s", parts[0]->name);
    } else {
        snprintf(m->name, sizeof(m->name), "the merge of %zu partials", n);
    }
    m->gt_digest = parts[0]->gt_digest;
    m->cells = maskeval_calloc(a, n_cells + 1, sizeof(maskeval_rec_cell));
    m->scores = maskeval_calloc(a, (size_t)n_dets + 1, sizeof(double));
    m->status = maskeval_calloc(a, (size_t)n_dets * at + 1, 1);
    if (matches) {
        m->match_gt = maskeval_calloc(a, (size_t)n_dets * at + 1, sizeof(int64_t));
        m->match_iou = maskeval_calloc(a, (size_t)n_dets * at + 1, sizeof(double));
    }
    if (m->cells == NULL || m->scores == NULL || m->status == NULL ||
        (matches && (m->match_gt == NULL || m->match_iou == NULL))) {
        st = maskeval_nomem(ctx, "merging partials");
        goto done;
    }
    for (size_t j = 0; j < n; j++) {
        m->n_gt += parts[j]->n_gt;
        m->n_dt += parts[j]->n_dt;
        for (size_t t = 0; t < 3; t++) {
            m->timing[t] += parts[j]->timing[t];
        }
    }
    for (size_t i = 0; i < m->ep.I; i++) {
        if (owner[i] >= 0) {
            m->img_held[i] = 1;
            m->n_held++;
            take_cells(m, parts[owner[i]], &cursor[owner[i]], (uint32_t)i, &off);
        }
    }
    m->n_dets = off;
done:
    maskeval_free(a, owner);
    maskeval_free(a, cursor);
    if (st != MASKEVAL_OK) {
        maskeval_coco_partial_destroy(m);
        m = NULL;
    }
    *out = m;
    return st;
}
