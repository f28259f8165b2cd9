/*
 * band.c - boundary bands by erosion with a (2d+1) x (2d+1) square (see
 * band.h). A pixel survives iff the window around it is inside the image
 * and uniform; the test is separable:
 *   V(r, c) = the column window rows r-d..r+d is inside the image and equal
 *             to ids(r, c) (the pixel's vertical run reaches d beyond it);
 *   E(r, c) = every V(r, c') with |c' - c| <= d holds, on pixels of the same
 *             id (a horizontal run of such pixels reaches d beyond it).
 * Both runs are tracked as counters, so each pass is one sweep.
 * maskeval_band_runs does the same on run lengths: V shrinks each vertical
 * run, E intersects the V runs of 2d+1 columns (see the comment above it).
 */
#include "raster/band.h"

#include <math.h>
#include <string.h>

uint32_t maskeval_band_width(uint32_t h, uint32_t w, double ratio)
{
    const double diag = sqrt((double)h * (double)h + (double)w * (double)w);
    const double d = nearbyint(ratio * diag); /* ties to even under the default rounding mode */
    if (!(d >= 1.0)) {
        return 1;
    }
    return d > 4294967295.0 ? UINT32_MAX : (uint32_t)d;
}

/*
 * Label maps, row-major. Pass 1 (vertical) leaves in band[] 1 for the
 * pixels that fail V. It walks rows top to bottom keeping, per column, the
 * length of the current vertical run ending at this row (run[c]); pixel
 * (r - d, c) passes V once the run through it is long enough on both
 * sides, which is known d rows later, so V is decided with a lag of d rows
 * plus the rows of the last d that never get there.
 */
void maskeval_band_labels(const uint32_t *ids, uint32_t h, uint32_t w, uint32_t d,
                          uint32_t *run, uint8_t *band)
{
    const uint64_t win = 2 * (uint64_t)d + 1;
    /* everything fails until shown to pass */
    memset(band, 1, (size_t)h * w);
    if ((uint64_t)h < win || (uint64_t)w < win) {
        return;
    }
    /* vertical: (r, c) passes iff the run of equal ids through column c
     * covers rows r-d..r+d, i.e. at row r+d the run length is >= 2d+1 and
     * it started at or before r-d: run length at r+d >= win. */
    for (uint32_t c = 0; c < w; c++) {
        run[c] = 1;
    }
    for (uint32_t r = 1; r < h; r++) {
        const uint32_t *row = ids + (size_t)r * w, *up = row - w;
        /* branch-free, so the compiler vectorizes it: V holds at (r-d, c)
         * once the run through column c reaches win rows */
        uint8_t *vrow = r >= d ? band + (size_t)(r - d) * w : NULL;
        for (uint32_t c = 0; c < w; c++) {
            run[c] = up[c] == row[c] ? run[c] + 1 : 1;
        }
        if (vrow != NULL && (uint64_t)r + 1 >= win) {
            for (uint32_t c = 0; c < w; c++) {
                vrow[c] = (uint8_t)(vrow[c] & (run[c] < win));
            }
        }
    }
    /* horizontal: per row, (r, c) survives iff (r, c-d..c+d) all pass V and
     * share the id. A maximal run [s, e) of such pixels keeps [s+d, e-d);
     * band = not survived. band[] holds V (0: passes) until rewritten. */
    for (uint32_t r = 0; r < h; r++) {
        const uint32_t *row = ids + (size_t)r * w;
        uint8_t *b = band + (size_t)r * w;
        uint32_t c = 0;
        while (c < w) {
            uint32_t e;
            if (b[c]) {
                c++;
                continue;
            }
            for (e = c + 1; e < w && b[e] == 0 && row[e] == row[c]; e++) {
            }
            memset(b + c, 1, e - c);
            if ((uint64_t)(e - c) >= win) {
                memset(b + c + d, 0, e - c - 2 * (size_t)d);
            }
            c = e;
        }
    }
}

/* Binary masks, column-major (RLE order): same passes with the roles of
 * rows and columns exchanged; the background (0) never matters, only mask
 * pixels can be band. */
void maskeval_band_mask_colmajor(const uint8_t *m, uint32_t h, uint32_t w, uint32_t d,
                                 uint32_t *run, uint8_t *band)
{
    const uint64_t win = 2 * (uint64_t)d + 1;
    const size_t n = (size_t)h * w;
    memcpy(band, m, n);
    if ((uint64_t)h < win || (uint64_t)w < win) {
        return;
    }
    /* pass 1, along each column (contiguous): vertical run of mask pixels;
     * band holds 2 for "mask pixel passing V" */
    for (uint32_t c = 0; c < w; c++) {
        const uint8_t *col = m + (size_t)c * h;
        uint8_t *b = band + (size_t)c * h;
        uint32_t len = 0;
        for (uint32_t r = 0; r < h; r++) {
            len = col[r] ? len + 1 : 0;
            if (len >= win) {
                b[r - d] = 2;
            }
        }
    }
    /* pass 2, across columns: per row, the run of V-passing pixels */
    memset(run, 0, (size_t)h * sizeof(uint32_t));
    for (uint32_t c = 0; c < w; c++) {
        uint8_t *b = band + (size_t)c * h;
        for (uint32_t r = 0; r < h; r++) {
            run[r] = b[r] == 2 ? run[r] + 1 : 0;
            if (b[r] == 2) {
                b[r] = 1; /* provisional band */
            }
            if (run[r] >= win) {
                band[(size_t)(c - d) * h + r] = 0; /* survives: not band */
            }
        }
    }
}

/*
 * One mask from its runs (maskeval_band_runs). Per column of the mask's box
 * the mask is a sorted list of row intervals; the vertical erosion shrinks
 * each by d at both ends, and the full erosion at column c is the
 * intersection of those lists over columns c-d..c+d. Intersecting 2d+1 lists
 * for every column would cost O(d) per column; van Herk / Gil-Werman cut
 * the columns into blocks of k = 2d+1 and keep, for the block a window
 * starts in, the intersections from each column to the block's end
 * (suffixes), and for the next block, the intersection from its start to
 * the window's end (a growing prefix): every window is one suffix and one
 * prefix, so a column costs two list intersections. A column outside the
 * box has no runs, so the erosion is empty within d columns of the box's
 * sides, as at the image border.
 *
 * The interval lists never touch (pairs of runs in a column are merged when
 * read), and intersections of such lists do not either; a list's gaps are
 * at least 2d+1 rows, so an eroded list has at most h / (2d+2) + 1 pairs.
 */

/* The intersection of sorted, disjoint row-interval lists x and y (nx and
 * ny pairs); out has room for nx + ny pairs and overlaps neither. Returns
 * out's pairs. */
static size_t intersect(const uint32_t *x, size_t nx, const uint32_t *y, size_t ny, uint32_t *out)
{
    size_t i = 0, j = 0, n = 0;
    while (i < nx && j < ny) {
        const uint32_t lo = x[2 * i] > y[2 * j] ? x[2 * i] : y[2 * j];
        const uint32_t hi = x[2 * i + 1] < y[2 * j + 1] ? x[2 * i + 1] : y[2 * j + 1];
        if (lo < hi) {
            out[2 * n] = lo;
            out[2 * n + 1] = hi;
            n++;
        }
        if (x[2 * i + 1] < y[2 * j + 1]) {
            i++;
        } else {
            j++;
        }
    }
    return n;
}

/* Appends pixels [start, start + len) to counts, which has room: a run that
 * starts where the last one ended (the bottom row of one column and the top
 * of the next) extends it, as encoding a raster would. *end: where the last
 * run ended. */
static void emit(maskeval_u32vec *counts, uint64_t *end, uint64_t start, uint32_t len)
{
    if (counts->n > 0 && start == *end) {
        counts->v[counts->n - 1] += len;
    } else {
        counts->v[counts->n++] = (uint32_t)(start - *end);
        counts->v[counts->n++] = len;
    }
    *end = start + len;
}

/* The runs of box column j into wk->runs from pair roff[j], merged where
 * they touch, and their vertical erosion into wk->vert from pair voff[j];
 * *nv: the eroded pairs over all columns. */
static maskeval_status split_columns(const maskeval_alloc *a, const uint32_t *iv, size_t n,
                                     uint32_t h, uint32_t d, uint32_t c0, uint32_t cw,
                                     maskeval_band_work *wk, size_t *roff, size_t *voff,
                                     size_t *nv)
{
    size_t nr = 0, j = 0, m = 0;
    uint64_t cs = (uint64_t)c0 * h; /* where column j starts */
    uint32_t *r, *v;
    /* a run spanning several columns adds a pair per column it enters, and
     * the runs are disjoint: at most n + cw pairs */
    if (maskeval_u32vec_reserve(a, &wk->runs, 2 * (n + cw)) != MASKEVAL_OK) {
        return MASKEVAL_ERR_NOMEM;
    }
    r = wk->runs.v;
    roff[0] = 0;
    /* the columns are walked one by one rather than found by division:
     * cheaper for the small masks that are most of a dataset, and the box's
     * columns are walked below anyway */
    for (size_t k = 0; k < n; k++) {
        uint64_t s = iv[2 * k];
        const uint64_t e = iv[2 * k + 1];
        while (s < e) {
            const uint64_t stop = e < cs + h ? e : cs + h;
            if (s >= stop) { /* starts in a later column */
                roff[++j] = nr;
                cs += h;
                continue;
            }
            if (nr > roff[j] && r[2 * nr - 1] == s - cs) {
                r[2 * nr - 1] = (uint32_t)(stop - cs); /* touches the last run */
            } else {
                r[2 * nr] = (uint32_t)(s - cs);
                r[2 * nr + 1] = (uint32_t)(stop - cs);
                nr++;
            }
            s = stop;
        }
    }
    while (j < cw) {
        roff[++j] = nr;
    }
    if (maskeval_u32vec_reserve(a, &wk->vert, 2 * nr) != MASKEVAL_OK) {
        return MASKEVAL_ERR_NOMEM;
    }
    v = wk->vert.v;
    for (j = 0; j < cw; j++) {
        voff[j] = m;
        for (size_t k = roff[j]; k < roff[j + 1]; k++) {
            if ((uint64_t)r[2 * k + 1] - r[2 * k] > 2 * (uint64_t)d) {
                v[2 * m] = r[2 * k] + d;
                v[2 * m + 1] = r[2 * k + 1] - d;
                m++;
            }
        }
    }
    voff[cw] = m;
    *nv = m;
    return MASKEVAL_OK;
}

/* The suffix intersections of block [b, b + k), S(q) = V(b + q) intersected
 * with S(q + 1), into wk->sfx: S(q) at pair sat[q], sn[q] pairs. */
static maskeval_status block_suffixes(const maskeval_alloc *a, size_t b, size_t k,
                                      const size_t *voff, maskeval_band_work *wk, size_t *sat,
                                      size_t *sn)
{
    size_t used = 0;
    for (size_t q = k; q-- > 0;) {
        const size_t vn = voff[b + q + 1] - voff[b + q];
        const uint32_t *v = wk->vert.v + 2 * voff[b + q];
        const size_t prev = q + 1 < k ? sn[q + 1] : 0;
        if (maskeval_u32vec_reserve(a, &wk->sfx, 2 * (used + vn + prev)) != MASKEVAL_OK) {
            return MASKEVAL_ERR_NOMEM;
        }
        sat[q] = used;
        if (q + 1 == k) {
            if (vn > 0) {
                memcpy(wk->sfx.v, v, 2 * vn * sizeof(uint32_t));
            }
            sn[q] = vn;
        } else {
            sn[q] = intersect(v, vn, wk->sfx.v + 2 * sat[q + 1], prev, wk->sfx.v + 2 * used);
        }
        used += sn[q];
    }
    return MASKEVAL_OK;
}

maskeval_status maskeval_band_runs(const maskeval_alloc *a, const uint32_t *iv, size_t n,
                                   uint32_t h, uint32_t w, uint32_t d, maskeval_band_work *wk,
                                   maskeval_u32vec *counts)
{
    const uint64_t npix = (uint64_t)h * w, k = 2 * (uint64_t)d + 1;
    uint32_t c0, cw;
    size_t *roff, *voff, *sat = NULL, *sn = NULL, nv, noff;
    const uint32_t *pp = NULL; /* the prefix intersection: pn pairs */
    size_t pn = 0, t = 0;
    int turn = 0, erode;
    uint64_t end = 0;
    void *p;

    counts->n = 0;
    if (n == 0) {
        if (maskeval_u32vec_reserve(a, counts, 1) != MASKEVAL_OK) {
            return MASKEVAL_ERR_NOMEM;
        }
        if (npix > 0) {
            counts->v[counts->n++] = (uint32_t)npix;
        }
        return MASKEVAL_OK;
    }
    c0 = iv[0] / h;
    cw = (iv[2 * n - 1] - 1) / h - c0 + 1;
    /* nothing survives the erosion where no run can span 2d+1 rows or no
     * window of 2d+1 columns fits in the box: the band is the mask */
    erode = (uint64_t)h >= k && (uint64_t)cw >= k;
    noff = 2 * ((size_t)cw + 1) + (erode ? 2 * (size_t)k : 0);
    p = wk->off;
    if (maskeval_grow(a, &p, &wk->off_cap, noff, sizeof(size_t)) != MASKEVAL_OK) {
        return MASKEVAL_ERR_NOMEM;
    }
    wk->off = p;
    roff = wk->off;
    voff = roff + cw + 1;
    if (split_columns(a, iv, n, h, d, c0, cw, wk, roff, voff, &nv) != MASKEVAL_OK) {
        return MASKEVAL_ERR_NOMEM;
    }
    if (nv == 0) {
        erode = 0;
    }
    if (erode) {
        sat = voff + cw + 1;
        sn = sat + k;
        /* a pair each, so that no list below is ever a null pointer */
        if (maskeval_u32vec_reserve(a, &wk->sfx, 2) != MASKEVAL_OK ||
            maskeval_u32vec_reserve(a, &wk->pre[0], 2) != MASKEVAL_OK ||
            maskeval_u32vec_reserve(a, &wk->pre[1], 2) != MASKEVAL_OK ||
            maskeval_u32vec_reserve(a, &wk->ero, 2) != MASKEVAL_OK) {
            return MASKEVAL_ERR_NOMEM;
        }
    }
    for (size_t j = 0; j < cw; j++) {
        const uint32_t *r = wk->runs.v + 2 * roff[j], *e = NULL;
        const size_t rn = roff[j + 1] - roff[j];
        const uint64_t cs = ((uint64_t)c0 + j) * h;
        size_t en = 0, q = 0;
        if (erode && j >= d && j + d < cw) {
            /* the window of columns s..s+k-1 around j; t = s mod k */
            const size_t s = j - d;
            if (t == 0) {
                if (block_suffixes(a, s, (size_t)k, voff, wk, sat, sn) != MASKEVAL_OK) {
                    return MASKEVAL_ERR_NOMEM;
                }
                e = wk->sfx.v + 2 * sat[0];
                en = sn[0];
            } else {
                /* extend the next block's prefix by its column t-1 */
                const size_t col = s + (size_t)k - 1;
                const uint32_t *v = wk->vert.v + 2 * voff[col];
                const size_t vn = voff[col + 1] - voff[col];
                if (t == 1) {
                    pp = v; /* read in place: vert does not move from here on */
                    pn = vn;
                } else {
                    maskeval_u32vec *nx = &wk->pre[turn];
                    if (maskeval_u32vec_reserve(a, nx, 2 * (pn + vn)) != MASKEVAL_OK) {
                        return MASKEVAL_ERR_NOMEM;
                    }
                    pn = intersect(pp, pn, v, vn, nx->v);
                    pp = nx->v;
                    turn = !turn;
                }
                if (maskeval_u32vec_reserve(a, &wk->ero, 2 * (sn[t] + pn)) != MASKEVAL_OK) {
                    return MASKEVAL_ERR_NOMEM;
                }
                en = intersect(wk->sfx.v + 2 * sat[t], sn[t], pp, pn, wk->ero.v);
                e = wk->ero.v;
            }
            t = t + 1 == k ? 0 : t + 1;
        }
        /* band = runs minus the erosion, which lies inside them: each run
         * splits around the eroded intervals it holds */
        if (maskeval_u32vec_reserve(a, counts, counts->n + 2 * (rn + en) + 1) != MASKEVAL_OK) {
            return MASKEVAL_ERR_NOMEM;
        }
        for (size_t x = 0; x < rn; x++) {
            uint32_t row = r[2 * x];
            for (; q < en && e[2 * q] < r[2 * x + 1]; q++) {
                if (e[2 * q] > row) {
                    emit(counts, &end, cs + row, e[2 * q] - row);
                }
                row = e[2 * q + 1];
            }
            if (r[2 * x + 1] > row) {
                emit(counts, &end, cs + row, r[2 * x + 1] - row);
            }
        }
    }
    if (npix > end) {
        counts->v[counts->n++] = (uint32_t)(npix - end);
    }
    return MASKEVAL_OK;
}

void maskeval_band_work_free(const maskeval_alloc *a, maskeval_band_work *wk)
{
    maskeval_u32vec_free(a, &wk->runs);
    maskeval_u32vec_free(a, &wk->vert);
    maskeval_u32vec_free(a, &wk->sfx);
    maskeval_u32vec_free(a, &wk->pre[0]);
    maskeval_u32vec_free(a, &wk->pre[1]);
    maskeval_u32vec_free(a, &wk->ero);
    maskeval_free(a, wk->off);
    wk->off = NULL;
    wk->off_cap = 0;
}
