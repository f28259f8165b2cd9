/*
 * rle.c - area, bounding box, union, intersection, encoding and IoU on COCO
 * run-length count arrays, with pycocotools' exact semantics.
 */
#include "rle/rle.h"

#include <string.h>

#include "iou/iou.h"

maskeval_status maskeval_rle_encode(const uint8_t *mask, uint32_t h, uint32_t w,
                                    uint32_t *counts, size_t cap, size_t *len)
{
    uint64_t npix = (uint64_t)h * w;
    size_t k = 0;
    uint32_t run = 0;
    int cur = 0;

    if ((mask == NULL && npix != 0) || len == NULL || npix > UINT32_MAX) {
        return MASKEVAL_ERR_INVALID_ARG;
    }
    for (uint64_t i = 0; i < npix; i++) {
        int v = mask[i] != 0;
        if (v != cur) {
            if (k < cap) {
                counts[k] = run;
            }
            k++;
            run = 0;
            cur = v;
        }
        run++;
    }
    if (k < cap) {
        counts[k] = run;
    }
    k++;
    *len = k;
    return k <= cap ? MASKEVAL_OK : MASKEVAL_ERR_BUFFER_TOO_SMALL;
}

uint32_t maskeval_rle_area(const uint32_t *counts, size_t n)
{
    uint32_t a = 0; /* uint32 wrap-around, as pycocotools' rleArea */
    for (size_t j = 1; j < n; j += 2) {
        a += counts[j];
    }
    return a;
}

uint64_t maskeval_rle_total(const uint32_t *counts, size_t n)
{
    uint64_t t = 0;
    for (size_t j = 0; j < n; j++) {
        t += counts[j];
    }
    return t;
}

/*
 * pycocotools >= 2.0.3 toBbox: the box of every non-empty 1-run; a run that
 * crosses a column spans the full height. Its arithmetic is uint32, so when
 * there are runs but none is non-empty (e.g. counts [20, 0]) the width and
 * height wrap around to 2^32 - w + 1 and 2^32 - h + 1; evaluation sees that
 * box, so it is reproduced. Columns are tracked incrementally (pycocotools
 * divides twice per run).
 */
void maskeval_rle_stats_of(const uint32_t *counts, size_t n, uint32_t h, uint32_t w,
                           maskeval_rle_stats *st)
{
    maskeval_rle_acc s;
    maskeval_rle_acc_init(&s, h, w);
    for (size_t j = 0; j < n; j++) {
        maskeval_rle_acc_count(&s, counts[j]);
    }
    maskeval_rle_acc_finish(&s, st);
}

void maskeval_rle_bbox(const uint32_t *counts, size_t n, uint32_t h, uint32_t w, double bbox[4])
{
    maskeval_rle_stats st;
    maskeval_rle_stats_of(counts, n, h, w, &st);
    memcpy(bbox, st.box, sizeof(st.box));
}

/*
 * The run walk of pycocotools' rleMerge for two operands: a step ends where
 * either operand's run ends; a count is emitted whenever the merged value
 * changes or both operands are exhausted.
 */
size_t maskeval_rle_merge2(const uint32_t *a, size_t na, const uint32_t *b, size_t nb,
                           int intersect, uint32_t *out)
{
    size_t ia = 1, ib = 1, m = 0;
    uint32_t ca, cb, cc = 0, ct = 1;
    int v = 0, va = 0, vb = 0;

    if (na == 0 || nb == 0) {
        /* Not produced by the rasterizer; treat a missing operand as empty. */
        const uint32_t *src = na == 0 ? b : a;
        size_t ns = na == 0 ? nb : na;
        for (size_t j = 0; j < ns; j++) {
            out[j] = src[j];
        }
        return ns;
    }
    ca = a[0];
    cb = b[0];
    while (ct > 0) {
        uint32_t c = ca < cb ? ca : cb;
        int vp;
        cc += c;
        ct = 0;
        ca -= c;
        if (ca == 0 && ia < na) {
            ca = a[ia++];
            va = !va;
        }
        ct += ca;
        cb -= c;
        if (cb == 0 && ib < nb) {
            cb = b[ib++];
            vb = !vb;
        }
        ct += cb;
        vp = v;
        v = intersect ? (va && vb) : (va || vb);
        if (v != vp || ct == 0) {
            out[m++] = cc;
            cc = 0;
        }
    }
    return m;
}

size_t maskeval_rle_union(const uint32_t *a, size_t na, const uint32_t *b, size_t nb,
                          uint32_t *out)
{
    return maskeval_rle_merge2(a, na, b, nb, 0, out);
}

maskeval_status maskeval_rle_merge_into(const maskeval_alloc *a, maskeval_u32vec *acc,
                                        const uint32_t *b, size_t nb, int intersect,
                                        maskeval_u32vec *tmp)
{
    maskeval_u32vec t;
    if (maskeval_u32vec_reserve(a, tmp, acc->n + nb + 1) != MASKEVAL_OK) {
        return MASKEVAL_ERR_NOMEM;
    }
    tmp->n = maskeval_rle_merge2(acc->v, acc->n, b, nb, intersect, tmp->v);
    t = *acc;
    *acc = *tmp;
    *tmp = t;
    return MASKEVAL_OK;
}

/* Advances a cursor to the next non-empty 1-run [*s, *e); returns 0 at the end. */
static int next_one_run(const uint32_t *c, size_t n, size_t *i, uint64_t *pos, uint64_t *s,
                        uint64_t *e)
{
    while (*i < n) {
        *pos += c[(*i)++]; /* a 0-run */
        if (*i >= n) {
            return 0;
        }
        *s = *pos;
        *pos += c[(*i)++]; /* a 1-run */
        *e = *pos;
        if (*e > *s) {
            return 1;
        }
    }
    return 0;
}

uint64_t maskeval_rle_intersection(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
    size_t ia = 0, ib = 0;
    uint64_t pa = 0, pb = 0, sa = 0, ea = 0, sb = 0, eb = 0, inter = 0;

    if (!next_one_run(a, na, &ia, &pa, &sa, &ea) || !next_one_run(b, nb, &ib, &pb, &sb, &eb)) {
        return 0;
    }
    for (;;) {
        uint64_t lo = sa > sb ? sa : sb, hi = ea < eb ? ea : eb;
        if (hi > lo) {
            inter += hi - lo;
        }
        if (ea <= eb) {
            if (!next_one_run(a, na, &ia, &pa, &sa, &ea)) {
                break;
            }
        } else if (!next_one_run(b, nb, &ib, &pb, &sb, &eb)) {
            break;
        }
    }
    return inter;
}

double maskeval_rle_iou(const uint32_t *dt, size_t dt_n, const uint32_t *gt, size_t gt_n,
                        uint32_t h, uint32_t w, int gt_crowd)
{
    double db[4], gb[4];
    uint64_t inter;
    uint32_t da, ga;

    maskeval_rle_bbox(dt, dt_n, h, w, db);
    maskeval_rle_bbox(gt, gt_n, h, w, gb);
    if (!(maskeval_box_iou(db, gb, gt_crowd) > 0)) {
        return 0.0;
    }
    inter = maskeval_rle_intersection(dt, dt_n, gt, gt_n);
    da = maskeval_rle_area(dt, dt_n);
    ga = maskeval_rle_area(gt, gt_n);
    return maskeval_iou_from_counts(inter, da, ga, gt_crowd);
}
