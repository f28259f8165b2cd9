/*
 * tide_ap.c - tidecv's AP objects (ClassedAPDataObject) and their AP.
 *
 * An object holds data points (class, score, TP?) in push order and a GT
 * count per class; classes are ordered by first touch, which fixes the
 * order of the mAP sum. A class's AP is TIDE's own integration, not
 * COCOeval's: points stably sorted by descending score, precision t/(t+f)
 * and recall t/n_gt (no epsilon), the precision envelope from the right,
 * then at recall r/100 (r = 0..100, the correctly rounded doubles) the
 * precision at the first recall >= r/100 (searchsorted left), or 0; AP =
 * (sequential sum / 101) * 100, and 0 without GT. The mAP is the sequential
 * sum over the non-empty classes (points or GT) divided by their number.
 */
#include <math.h>
#include <string.h>

#include "core/sort.h"
#include "tide/tide.h"

maskeval_status tide_obj_init(const maskeval_alloc *a, tide_obj *o, size_t n_cls, size_t cap)
{
    memset(o, 0, sizeof(*o));
    o->n_cls = n_cls;
    o->cap = cap + 1;
    o->cls = maskeval_malloc(a, o->cap * sizeof(int32_t));
    o->score = maskeval_malloc(a, o->cap * sizeof(double));
    o->tp = maskeval_malloc(a, o->cap);
    o->order = maskeval_malloc(a, (n_cls + 1) * sizeof(int32_t));
    o->touched = maskeval_calloc(a, n_cls + 1, 1);
    o->n_gt = maskeval_calloc(a, n_cls + 1, sizeof(int64_t));
    if (o->cls == NULL || o->score == NULL || o->tp == NULL || o->order == NULL ||
        o->touched == NULL || o->n_gt == NULL) {
        tide_obj_free(a, o);
        return MASKEVAL_ERR_NOMEM;
    }
    return MASKEVAL_OK;
}

void tide_obj_free(const maskeval_alloc *a, tide_obj *o)
{
    maskeval_free(a, o->cls);
    maskeval_free(a, o->score);
    maskeval_free(a, o->tp);
    maskeval_free(a, o->order);
    maskeval_free(a, o->touched);
    maskeval_free(a, o->n_gt);
    memset(o, 0, sizeof(*o));
}

void tide_obj_touch(tide_obj *o, int32_t c)
{
    if (!o->touched[c]) {
        o->touched[c] = 1;
        o->order[o->n_order++] = c;
    }
}

maskeval_status tide_obj_push(const maskeval_alloc *a, tide_obj *o, int32_t c, double score,
                              int tp)
{
    if (o->n == o->cap) {
        size_t cap = o->cap * 2;
        int32_t *cls = maskeval_realloc(a, o->cls, cap * sizeof(int32_t));
        double *sc;
        uint8_t *t;
        if (cls == NULL) {
            return MASKEVAL_ERR_NOMEM;
        }
        o->cls = cls;
        sc = maskeval_realloc(a, o->score, cap * sizeof(double));
        if (sc == NULL) {
            return MASKEVAL_ERR_NOMEM;
        }
        o->score = sc;
        t = maskeval_realloc(a, o->tp, cap);
        if (t == NULL) {
            return MASKEVAL_ERR_NOMEM;
        }
        o->tp = t;
        o->cap = cap;
    }
    tide_obj_touch(o, c);
    o->cls[o->n] = c;
    o->score[o->n] = score;
    o->tp[o->n] = (uint8_t)(tp != 0);
    o->n++;
    return MASKEVAL_OK;
}

/* Points of each class in push order: idx[start[c] .. start[c + 1]). */
static maskeval_status group_by_class(const maskeval_alloc *a, const tide_obj *o, size_t **start,
                                      uint32_t **idx)
{
    size_t *s = maskeval_calloc(a, o->n_cls + 2, sizeof(size_t));
    uint32_t *v = maskeval_malloc(a, (o->n + 1) * sizeof(uint32_t));
    if (s == NULL || v == NULL) {
        maskeval_free(a, s);
        maskeval_free(a, v);
        return MASKEVAL_ERR_NOMEM;
    }
    for (size_t i = 0; i < o->n; i++) {
        s[(size_t)o->cls[i] + 2]++;
    }
    for (size_t c = 2; c < o->n_cls + 2; c++) {
        s[c] += s[c - 1];
    }
    for (size_t i = 0; i < o->n; i++) {
        v[s[(size_t)o->cls[i] + 1]++] = (uint32_t)i;
    }
    *start = s;
    *idx = v;
    return MASKEVAL_OK;
}

/* get_ap of one class; idx (n points, push order) is sorted in place. */
static double class_ap(const tide_obj *o, uint32_t *idx, size_t n, int64_t n_gt, uint32_t *tmp,
                       double *prec, double *rec)
{
    uint64_t t = 0, f = 0;
    double sum = 0.0;
    size_t j = 0;
    if (n_gt == 0) {
        return 0.0;
    }
    maskeval_sort_desc_stable(idx, n, o->score, tmp);
    for (size_t i = 0; i < n; i++) {
        if (o->tp[idx[i]]) {
            t++;
        } else {
            f++;
        }
        prec[i] = (double)t / (double)(t + f);
        rec[i] = (double)t / (double)n_gt;
    }
    for (size_t i = n; i-- > 1;) {
        if (prec[i] > prec[i - 1]) {
            prec[i - 1] = prec[i];
        }
    }
    /* the grid is increasing and recall non-decreasing: one forward scan
     * finds each searchsorted(side="left") index */
    for (int r = 0; r <= 100; r++) {
        const double x = (double)r / 100.0;
        while (j < n && rec[j] < x) {
            j++;
        }
        sum += j < n ? prec[j] : 0.0;
    }
    return sum / 101.0 * 100.0;
}

maskeval_status tide_obj_map(maskeval_ctx *ctx, const tide_obj *o, double *map, size_t *n_classes)
{
    const maskeval_alloc *a = &ctx->alloc;
    size_t *start = NULL, count = 0;
    uint32_t *idx = NULL, *tmp = NULL;
    double *prec = NULL, *rec = NULL, sum = 0.0;
    maskeval_status st = group_by_class(a, o, &start, &idx);

    if (st == MASKEVAL_OK) {
        tmp = maskeval_malloc(a, (o->n + 1) * sizeof(uint32_t));
        prec = maskeval_malloc(a, (o->n + 1) * sizeof(double));
        rec = maskeval_malloc(a, (o->n + 1) * sizeof(double));
        if (tmp == NULL || prec == NULL || rec == NULL) {
            st = MASKEVAL_ERR_NOMEM;
        }
    }
    if (st != MASKEVAL_OK) {
        st = maskeval_nomem(ctx, "TIDE AP");
        goto done;
    }
    for (size_t k = 0; k < o->n_order; k++) {
        const int32_t c = o->order[k];
        const size_t n = start[c + 1] - start[c];
        if (n == 0 && o->n_gt[c] == 0) {
            continue; /* is_empty() */
        }
        sum += class_ap(o, idx + start[c], n, o->n_gt[c], tmp, prec, rec);
        count++;
    }
    *map = count > 0 ? sum / (double)count : NAN;
    if (n_classes != NULL) {
        *n_classes = count;
    }
done:
    maskeval_free(a, start);
    maskeval_free(a, idx);
    maskeval_free(a, tmp);
    maskeval_free(a, prec);
    maskeval_free(a, rec);
    return st;
}

maskeval_status tide_obj_fix(const maskeval_alloc *a, const tide_obj *base, const tide_err *errs,
                             size_t n_errs, int fix_type, int transform, const int64_t *fn,
                             tide_obj *out)
{
    int64_t *gt_pos = maskeval_malloc(a, (base->n_cls + 1) * sizeof(int64_t));
    size_t *start = NULL;
    uint32_t *idx = NULL;
    maskeval_status st;

    if (gt_pos == NULL) {
        return MASKEVAL_ERR_NOMEM;
    }
    memcpy(gt_pos, base->n_gt, base->n_cls * sizeof(int64_t));
    st = tide_obj_init(a, out, base->n_cls, base->n);
    if (st == MASKEVAL_OK) {
        st = group_by_class(a, base, &start, &idx);
    }
    for (size_t i = 0; i < n_errs && st == MASKEVAL_OK; i++) {
        const tide_err *e = &errs[i];
        int has = e->has_orig, tp = 0;
        int32_t c = e->cls;
        if ((int)e->type == fix_type) {
            has = 0;
            if (e->fix == TIDE_FIX_MISS) {
                gt_pos[e->fix_cls] -= 1;
            } else if (e->fix == TIDE_FIX_POINT) {
                has = 1;
                tp = 1;
                c = e->fix_cls;
            }
        }
        if (has) {
            st = tide_obj_push(a, out, c, transform ? (tp ? 1.0 : 0.0) : e->score, tp);
        }
    }
    /* then the base object's TPs, class by class in its order */
    for (size_t k = 0; k < base->n_order && st == MASKEVAL_OK; k++) {
        const int32_t c = base->order[k];
        for (size_t j = start[c]; j < start[c + 1] && st == MASKEVAL_OK; j++) {
            if (base->tp[idx[j]]) {
                st = tide_obj_push(a, out, c, transform ? 1.0 : base->score[idx[j]], 1);
            }
        }
    }
    for (size_t k = 0; k < base->n_order && st == MASKEVAL_OK; k++) {
        const int32_t c = base->order[k];
        tide_obj_touch(out, c);
        out->n_gt[c] += gt_pos[c] - (fn != NULL ? fn[c] : 0);
    }
    maskeval_free(a, gt_pos);
    maskeval_free(a, start);
    maskeval_free(a, idx);
    if (st != MASKEVAL_OK) {
        tide_obj_free(a, out);
    }
    return st;
}
