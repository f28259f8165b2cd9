/*
 * poly.c - polygon rasterization identical to pycocotools' rleFrPoly.
 *
 * pycocotools scales the vertices by 5 and rounds them (C truncation of
 * 5x + 0.5), walks every edge point by point on that grid, and toggles pixel
 * (row, c) at each point pair that crosses the centre line of column c
 * (x = 5c + 2.5 on the grid); the RLE is the even-odd fill of the toggles.
 *
 * Walking every point costs O(perimeter * 5) and explodes for far-away
 * vertices. Here only the point pairs that can toggle are visited: on an
 * x-major edge they are found by integer arithmetic; on a y-major edge the
 * column coordinate is a monotone function of the step, so its change points
 * are found by binary search with pycocotools' own expression. Coordinates
 * are bounded (MASKEVAL_POLY_COORD_LIMIT) so that consecutive points never
 * differ by more than one column, which both methods rely on.
 * maskeval_poly_rasterize_walk keeps the point-by-point walk for tests.
 */
#include "raster/poly.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SCALE 5.0

/* One edge in pycocotools' canonical orientation (start has the smaller
 * major coordinate); points are emitted for d = 0..len in the original
 * direction, t = flip ? len - d : d. */
typedef struct edge {
    int xs, ys, xe, ye, len, flip, xmajor;
    double s;
} edge;

typedef struct point {
    int u, v;
} point;

static void edge_init(edge *e, int x0, int y0, int x1, int y1)
{
    int dx = abs(x1 - x0), dy = abs(y0 - y1);
    e->xmajor = dx >= dy;
    e->flip = (dx >= dy && x0 > x1) || (dx < dy && y0 > y1);
    if (e->flip) {
        e->xs = x1;
        e->xe = x0;
        e->ys = y1;
        e->ye = y0;
    } else {
        e->xs = x0;
        e->xe = x1;
        e->ys = y0;
        e->ye = y1;
    }
    e->len = e->xmajor ? dx : dy;
    if (e->len == 0) {
        e->s = 0; /* pycocotools divides 0 by 0 here; the point is never used */
    } else if (e->xmajor) {
        e->s = (double)(e->ye - e->ys) / dx;
    } else {
        e->s = (double)(e->xe - e->xs) / dy;
    }
}

/* The rounded minor coordinate at step t: (int)(start + s*t + 0.5), unfused. */
static int edge_minor(const edge *e, int t)
{
    double base = e->xmajor ? (double)e->ys : (double)e->xs;
    double prod = e->s * (double)t;
    double val = base + prod;
    return (int)(val + 0.5);
}

/* Point at canonical step t. */
static point edge_point(const edge *e, int t)
{
    point p;
    if (e->len == 0) {
        p.u = e->xs;
        p.v = INT_MIN; /* what x86 makes of pycocotools' (int)NaN; never read */
    } else if (e->xmajor) {
        p.u = e->xs + t;
        p.v = edge_minor(e, t);
    } else {
        p.u = edge_minor(e, t);
        p.v = e->ys + t;
    }
    return p;
}

static point edge_point_d(const edge *e, int d)
{
    return edge_point(e, e->flip ? e->len - d : d);
}

/* Records the toggle of a consecutive point pair (prev, cur) if it crosses a
 * column centre inside the image, with pycocotools' arithmetic. */
static maskeval_status add_crossing(const maskeval_alloc *a, maskeval_u32vec *idx, point prev,
                                    point cur, uint32_t h, uint32_t w)
{
    double xd, yd;
    maskeval_status st;
    if (cur.u == prev.u) {
        return MASKEVAL_OK;
    }
    xd = (double)(cur.u < prev.u ? cur.u : cur.u - 1);
    xd = (xd + .5) / SCALE - .5;
    if (floor(xd) != xd || xd < 0 || xd > (double)w - 1) {
        return MASKEVAL_OK;
    }
    yd = (double)(cur.v < prev.v ? cur.v : prev.v);
    yd = (yd + .5) / SCALE - .5;
    if (yd < 0) {
        yd = 0;
    } else if (yd > (double)h) {
        yd = (double)h;
    }
    yd = ceil(yd);
    st = maskeval_u32vec_reserve(a, idx, idx->n + 1);
    if (st != MASKEVAL_OK) {
        return st;
    }
    idx->v[idx->n++] = (uint32_t)xd * h + (uint32_t)yd;
    return MASKEVAL_OK;
}

/*
 * add_crossing for a pair known to cross the centre of image column c (its
 * smaller u is 5c + 2, inside the image) with smaller v vmin. The same index
 * in integers: there (k + .5) / 5 - .5 is exactly c, and
 * ceil((vmin + .5) / 5 - .5) is ceil((vmin - 2) / 5): when 5 divides vmin - 2
 * every step is exact, otherwise the value is at least 0.2 from an integer
 * and the rounding error of |vmin| <= 5e6 + 1 is below 1e-9. Clamping to
 * [0, h] before or after the ceiling gives the same.
 */
static maskeval_status add_toggle(const maskeval_alloc *a, maskeval_u32vec *idx, uint32_t c,
                                  int vmin, uint32_t h)
{
    const int64_t num = (int64_t)vmin - 2;
    int64_t y = num / 5 + (num % 5 > 0); /* C division truncates: this is the ceiling */
    maskeval_status st;
    if (y < 0) {
        y = 0;
    } else if (y > (int64_t)h) {
        y = h;
    }
    st = maskeval_u32vec_reserve(a, idx, idx->n + 1);
    if (st != MASKEVAL_OK) {
        return st;
    }
    idx->v[idx->n++] = c * h + (uint32_t)y;
    return MASKEVAL_OK;
}

/* The crossings strictly inside one edge (pairs of its own points). */
static maskeval_status edge_crossings(const maskeval_alloc *a, maskeval_u32vec *idx,
                                      const edge *e, uint32_t h, uint32_t w)
{
    /* Candidate grid columns: k = 5c + 2 for image columns c; a pair toggles
     * column c exactly when its smaller u is k. */
    int64_t kmin = 2, kmax = 5 * (int64_t)w - 3;
    maskeval_status st;
    if (e->len == 0) {
        return MASKEVAL_OK;
    }
    if (e->xmajor) {
        /* u = xs + t: the pair (t, t+1) has smaller u = xs + t. */
        int64_t lo = e->xs, hi = (int64_t)e->xs + e->len - 1;
        int64_t k0 = lo > kmin ? lo : kmin, k1 = hi < kmax ? hi : kmax;
        if (k0 > k1) {
            return MASKEVAL_OK;
        }
        k0 += (((2 - k0) % 5) + 5) % 5; /* first k >= k0 with k % 5 == 2 */
        for (int64_t k = k0; k <= k1; k += 5) {
            int t = (int)(k - e->xs), v0 = edge_minor(e, t), v1 = edge_minor(e, t + 1);
            st = add_toggle(a, idx, (uint32_t)((k - 2) / 5), v0 < v1 ? v0 : v1, h);
            if (st != MASKEVAL_OK) {
                return st;
            }
        }
        return MASKEVAL_OK;
    }
    {
        /* y-major: u(t) is monotone in t and moves by at most one per step. */
        int u0 = edge_minor(e, 0), u1 = edge_minor(e, e->len);
        int inc = u1 > u0;
        int64_t lo = inc ? u0 : u1, hi = (inc ? u1 : u0) - 1;
        int64_t k0 = lo > kmin ? lo : kmin, k1 = hi < kmax ? hi : kmax;
        if (u0 == u1 || k0 > k1) {
            return MASKEVAL_OK;
        }
        k0 += (((2 - k0) % 5) + 5) % 5;
        for (int64_t k = k0; k <= k1; k += 5) {
            /* First t with u(t) > k (increasing) or u(t) <= k (decreasing):
             * start from the real-valued solution of xs + s*t + 0.5 = k + 1
             * (resp. = k + 1 - 1 ulp) and correct it with the exact predicate,
             * which is monotone in t. */
            double est = ((double)k + 0.5 - (double)e->xs) / e->s;
            int64_t tt = est < 0 ? 0 : est > e->len ? e->len : (int64_t)est;
            int tlo;
            while (tt > 0 && (inc ? edge_minor(e, (int)tt - 1) > k : edge_minor(e, (int)tt - 1) <= k)) {
                tt--;
            }
            while (tt <= e->len && !(inc ? edge_minor(e, (int)tt) > k : edge_minor(e, (int)tt) <= k)) {
                tt++;
            }
            tlo = (int)tt;
            if (tlo >= 1 && tlo <= e->len) {
                /* v = ys + t grows with t: the pair's smaller v is at tlo - 1 */
                st = add_toggle(a, idx, (uint32_t)((k - 2) / 5), e->ys + tlo - 1, h);
                if (st != MASKEVAL_OK) {
                    return st;
                }
            }
        }
        return MASKEVAL_OK;
    }
}

/* Sorts v[0..n) ascending: insertion sort when short, else 8-bit
 * counting-sort passes through a temporary buffer, skipping the bytes that
 * all keys share (the top one, and often the third, for an object in a
 * COCO-sized image). Polygon toggles are often hundreds; qsort's comparator
 * calls cost more than the rasterization. */
static maskeval_status sort_u32(const maskeval_alloc *a, uint32_t *v, size_t n)
{
    uint32_t *tmp, *src, *dst, all_or = 0, all_and = UINT32_MAX, differ;
    if (n <= 48) {
        for (size_t i = 1; i < n; i++) {
            uint32_t x = v[i];
            size_t j = i;
            while (j > 0 && v[j - 1] > x) {
                v[j] = v[j - 1];
                j--;
            }
            v[j] = x;
        }
        return MASKEVAL_OK;
    }
    for (size_t i = 0; i < n; i++) {
        all_or |= v[i];
        all_and &= v[i];
    }
    differ = all_or ^ all_and;
    tmp = maskeval_malloc(a, n * sizeof(uint32_t));
    if (tmp == NULL) {
        return MASKEVAL_ERR_NOMEM;
    }
    src = v;
    dst = tmp;
    for (int shift = 0; shift < 32; shift += 8) {
        size_t cnt[256] = {0}, sum = 0;
        uint32_t *t;
        if (((differ >> shift) & 0xff) == 0) {
            continue;
        }
        for (size_t i = 0; i < n; i++) {
            cnt[(src[i] >> shift) & 0xff]++;
        }
        for (size_t b = 0; b < 256; b++) {
            size_t c = cnt[b];
            cnt[b] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++) {
            dst[cnt[(src[i] >> shift) & 0xff]++] = src[i];
        }
        t = src;
        src = dst;
        dst = t;
    }
    if (src != v) {
        memcpy(v, src, n * sizeof(uint32_t));
    }
    maskeval_free(a, tmp);
    return MASKEVAL_OK;
}

/* Step D: sorted toggle indices -> RLE counts (even-odd fill). */
static maskeval_status toggles_to_rle(const maskeval_alloc *a, maskeval_u32vec *idx, uint32_t h,
                                      uint32_t w, maskeval_u32vec *out)
{
    maskeval_status st;
    uint32_t prev = 0;
    size_t k, j, m;
    st = maskeval_u32vec_reserve(a, idx, idx->n + 1);
    if (st != MASKEVAL_OK) {
        return st;
    }
    idx->v[idx->n++] = h * w;
    k = idx->n;
    st = sort_u32(a, idx->v, k);
    if (st != MASKEVAL_OK) {
        return st;
    }
    for (j = 0; j < k; j++) {
        uint32_t t = idx->v[j];
        idx->v[j] -= prev;
        prev = t;
    }
    st = maskeval_u32vec_reserve(a, out, k);
    if (st != MASKEVAL_OK) {
        return st;
    }
    /* A zero difference means two toggles at one pixel: they cancel, so the
     * next difference extends the previous run. */
    m = 0;
    j = 0;
    out->v[m++] = idx->v[j++];
    while (j < k) {
        if (idx->v[j] > 0) {
            out->v[m++] = idx->v[j++];
        } else {
            j++;
            if (j < k) {
                out->v[m - 1] += idx->v[j++];
            }
        }
    }
    out->n = m;
    return MASKEVAL_OK;
}

/* Scales and rounds the vertices to the 1/5-pixel grid, closing the ring. */
static maskeval_status scale_vertices(const maskeval_alloc *a, const double *xy, size_t k,
                                      int **gx, int **gy)
{
    int *x, *y;
    for (size_t j = 0; j < 2 * k; j++) {
        if (!(fabs(xy[j]) <= MASKEVAL_POLY_COORD_LIMIT)) {
            return MASKEVAL_ERR_LIMIT;
        }
    }
    x = maskeval_calloc(a, k + 1, sizeof(int));
    y = maskeval_calloc(a, k + 1, sizeof(int));
    if (x == NULL || y == NULL) {
        maskeval_free(a, x);
        maskeval_free(a, y);
        return MASKEVAL_ERR_NOMEM;
    }
    for (size_t j = 0; j < k; j++) {
        double sx = SCALE * xy[2 * j], sy = SCALE * xy[2 * j + 1];
        x[j] = (int)(sx + .5);
        y[j] = (int)(sy + .5);
    }
    x[k] = x[0];
    y[k] = y[0];
    *gx = x;
    *gy = y;
    return MASKEVAL_OK;
}

maskeval_status maskeval_poly_rasterize(const maskeval_alloc *a, const double *xy, size_t k,
                                        uint32_t h, uint32_t w, maskeval_u32vec *scratch,
                                        maskeval_u32vec *out)
{
    int *x = NULL, *y = NULL;
    maskeval_status st;
    point last = {0, 0};

    if ((uint64_t)h * w > UINT32_MAX) {
        return MASKEVAL_ERR_LIMIT;
    }
    st = scale_vertices(a, xy, k, &x, &y);
    if (st != MASKEVAL_OK) {
        return st;
    }
    scratch->n = 0;
    for (size_t j = 0; j < k; j++) {
        edge e;
        edge_init(&e, x[j], y[j], x[j + 1], y[j + 1]);
        if (j > 0) {
            /* The pair formed by the previous edge's last point and this
             * edge's first point (the same vertex, rounded per edge). */
            st = add_crossing(a, scratch, last, edge_point_d(&e, 0), h, w);
            if (st != MASKEVAL_OK) {
                goto done;
            }
        }
        st = edge_crossings(a, scratch, &e, h, w);
        if (st != MASKEVAL_OK) {
            goto done;
        }
        last = edge_point_d(&e, e.len);
    }
    st = toggles_to_rle(a, scratch, h, w, out);
done:
    maskeval_free(a, x);
    maskeval_free(a, y);
    return st;
}

maskeval_status maskeval_poly_rasterize_walk(const maskeval_alloc *a, const double *xy,
                                             size_t k, uint32_t h, uint32_t w,
                                             maskeval_u32vec *scratch, maskeval_u32vec *out)
{
    int *x = NULL, *y = NULL;
    maskeval_status st;
    point prev = {0, 0};
    int have_prev = 0;

    if ((uint64_t)h * w > UINT32_MAX) {
        return MASKEVAL_ERR_LIMIT;
    }
    st = scale_vertices(a, xy, k, &x, &y);
    if (st != MASKEVAL_OK) {
        return st;
    }
    scratch->n = 0;
    for (size_t j = 0; j < k; j++) {
        edge e;
        edge_init(&e, x[j], y[j], x[j + 1], y[j + 1]);
        for (int d = 0; d <= e.len; d++) {
            point p = edge_point_d(&e, d);
            if (have_prev) {
                st = add_crossing(a, scratch, prev, p, h, w);
                if (st != MASKEVAL_OK) {
                    goto done;
                }
            }
            prev = p;
            have_prev = 1;
        }
    }
    st = toggles_to_rle(a, scratch, h, w, out);
done:
    maskeval_free(a, x);
    maskeval_free(a, y);
    return st;
}

maskeval_status maskeval_rle_from_polygon(maskeval_ctx *ctx, const double *xy, size_t n_coords,
                                          uint32_t h, uint32_t w, uint32_t *counts, size_t cap,
                                          size_t *n)
{
    maskeval_u32vec scratch = {0}, out = {0};
    maskeval_status st;
    if (ctx == NULL || xy == NULL || n == NULL || (counts == NULL && cap != 0)) {
        return ctx != NULL ? maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                                           "maskeval_rle_from_polygon: invalid arguments")
                           : MASKEVAL_ERR_INVALID_ARG;
    }
    if (n_coords < 6 || n_coords % 2 != 0 || h == 0 || w == 0) {
        return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                             "a polygon needs an even number (>= 6) of coordinates and a "
                             "non-empty image (got %zu coordinates, %ux%u)",
                             n_coords, h, w);
    }
    st = maskeval_poly_rasterize(&ctx->alloc, xy, n_coords / 2, h, w, &scratch, &out);
    if (st == MASKEVAL_ERR_LIMIT) {
        st = maskeval_fail(ctx, st,
                           "polygon coordinate non-finite or beyond +-%.0f pixels, or image "
                           "beyond 2^32-1 pixels",
                           MASKEVAL_POLY_COORD_LIMIT);
    } else if (st != MASKEVAL_OK) {
        st = maskeval_nomem(ctx, "rasterizing a polygon");
    } else {
        *n = out.n;
        if (out.n <= cap) {
            memcpy(counts, out.v, out.n * sizeof(uint32_t));
        } else {
            st = MASKEVAL_ERR_BUFFER_TOO_SMALL;
        }
    }
    maskeval_u32vec_free(&ctx->alloc, &scratch);
    maskeval_u32vec_free(&ctx->alloc, &out);
    return st;
}
