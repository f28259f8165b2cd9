/*
 * pq_pairs.c - the joint (gt id, pred id) histogram of two segment maps.
 *
 * Segment maps are mostly long runs of one (gt, pred) pair, so the pixels
 * are walked as runs and each run is added to an open-addressing table of
 * pair keys (gt << 32 | pred); a map has at most a few thousand runs per
 * row and a few hundred distinct pairs. The result is sorted by (gt id,
 * pred id), the order in which panopticapi visits the pairs (np.unique of
 * gt * 2^24 + pred), and the per-id pixel counts of pred come from it.
 */
#include "panoptic/panoptic.h"

#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "backend/backend.h"
#include "core/bytes.h"
#include "io/png_labels.h"

static inline uint64_t hash64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

static int cmp_pair(const void *x, const void *y)
{
    const pq_pair *a = x, *b = y;
    if (a->g != b->g) {
        return a->g < b->g ? -1 : 1;
    }
    return a->p < b->p ? -1 : a->p > b->p;
}

static int cmp_idcount(const void *x, const void *y)
{
    const pq_idcount *a = x, *b = y;
    return a->id < b->id ? -1 : a->id > b->id;
}

/* (Re)allocates the pair table at cap slots (a power of two), empty. */
static maskeval_status table_reset(const maskeval_alloc *a, pq_scratch *s, size_t cap)
{
    if (s->hcap != cap) {
        maskeval_free(a, s->hkeys);
        maskeval_free(a, s->hvals);
        s->hkeys = maskeval_malloc(a, cap * sizeof(uint64_t));
        s->hvals = maskeval_malloc(a, cap * sizeof(uint64_t));
        s->hcap = cap;
        if (s->hkeys == NULL || s->hvals == NULL) {
            s->hcap = 0;
            return MASKEVAL_ERR_NOMEM;
        }
    }
    memset(s->hkeys, 0, cap * sizeof(uint64_t));
    return MASKEVAL_OK;
}

/* Doubles the table, keeping its entries. */
static maskeval_status table_grow(const maskeval_alloc *a, pq_scratch *s)
{
    const size_t cap = s->hcap, ncap = cap * 2;
    uint64_t *nk = maskeval_calloc(a, ncap, sizeof(uint64_t));
    uint64_t *nv = maskeval_malloc(a, ncap * sizeof(uint64_t));
    if (nk == NULL || nv == NULL) {
        maskeval_free(a, nk);
        maskeval_free(a, nv);
        return MASKEVAL_ERR_NOMEM;
    }
    for (size_t j = 0; j < cap; j++) {
        if (s->hkeys[j] != 0) {
            size_t t = hash64(s->hkeys[j]) & (ncap - 1);
            while (nk[t] != 0) {
                t = (t + 1) & (ncap - 1);
            }
            nk[t] = s->hkeys[j];
            nv[t] = s->hvals[j];
        }
    }
    maskeval_free(a, s->hkeys);
    maskeval_free(a, s->hvals);
    s->hkeys = nk;
    s->hvals = nv;
    s->hcap = ncap;
    return MASKEVAL_OK;
}

/* Adds n pixels to pair key - 1 (keys are stored + 1; 0 = empty). */
static maskeval_status table_add(const maskeval_alloc *a, pq_scratch *s, size_t *used,
                                 uint64_t key, uint64_t n)
{
    size_t h = hash64(key) & (s->hcap - 1);
    while (s->hkeys[h] != 0 && s->hkeys[h] != key) {
        h = (h + 1) & (s->hcap - 1);
    }
    if (s->hkeys[h] == 0) {
        if (2 * (*used + 1) > s->hcap) {
            maskeval_status st = table_grow(a, s);
            if (st != MASKEVAL_OK) {
                return st;
            }
            return table_add(a, s, used, key, n);
        }
        s->hkeys[h] = key;
        s->hvals[h] = 0;
        (*used)++;
    }
    s->hvals[h] += n;
    return MASKEVAL_OK;
}

/* The table's pairs sorted by (g, p), and the per-pred-id totals. */
static maskeval_status table_finish(const maskeval_alloc *a, pq_scratch *s, size_t used,
                                    size_t *n_pairs, size_t *n_pred_ids)
{
    size_t np = 0, nid = 0;
    void *q = s->pairs;
    if (maskeval_grow(a, &q, &s->pairs_cap, used + 1, sizeof(pq_pair)) != MASKEVAL_OK) {
        return MASKEVAL_ERR_NOMEM;
    }
    s->pairs = q;
    q = s->pred_hist;
    if (maskeval_grow(a, &q, &s->pred_hist_cap, used + 1, sizeof(pq_idcount)) != MASKEVAL_OK) {
        return MASKEVAL_ERR_NOMEM;
    }
    s->pred_hist = q;
    for (size_t j = 0; j < s->hcap; j++) {
        if (s->hkeys[j] != 0) {
            const uint64_t key = s->hkeys[j] - 1;
            s->pairs[np].g = (uint32_t)(key >> 32);
            s->pairs[np].p = (uint32_t)key;
            s->pairs[np].n = s->hvals[j];
            np++;
        }
    }
    qsort(s->pairs, np, sizeof(pq_pair), cmp_pair);
    /* per-pred-id totals: the pairs' counts by pred id */
    for (size_t k = 0; k < np; k++) {
        s->pred_hist[k].id = s->pairs[k].p;
        s->pred_hist[k].n = s->pairs[k].n;
    }
    qsort(s->pred_hist, np, sizeof(pq_idcount), cmp_idcount);
    for (size_t k = 0; k < np; k++) {
        if (nid > 0 && s->pred_hist[nid - 1].id == s->pred_hist[k].id) {
            s->pred_hist[nid - 1].n += s->pred_hist[k].n;
        } else {
            s->pred_hist[nid++] = s->pred_hist[k];
        }
    }
    *n_pairs = np;
    *n_pred_ids = nid;
    return MASKEVAL_OK;
}

maskeval_status maskeval_pq_joint(const maskeval_alloc *a, const uint32_t *gt,
                                  const uint32_t *pred, size_t npix, pq_scratch *s,
                                  size_t *n_pairs, size_t *n_pred_ids)
{
    size_t used = 0, i = 0;
    maskeval_status st;

    *n_pairs = *n_pred_ids = 0;
    st = table_reset(a, s, 1024);
    while (st == MASKEVAL_OK && i < npix) {
        const uint32_t g = gt[i], p = pred[i];
        const size_t start = i;
        for (i++; i < npix && gt[i] == g && pred[i] == p; i++) {
        }
        st = table_add(a, s, &used, ((uint64_t)g << 32 | p) + 1, i - start);
    }
    return st != MASKEVAL_OK ? st : table_finish(a, s, used, n_pairs, n_pred_ids);
}

/* The pixels x in [1, w) of a row of bpp-byte pixels whose bytes differ
 * from pixel x - 1's, increasing, then w; returns their count. Runs of
 * equal bytes are skipped 32 bytes at a time (a row has a few changes in
 * some 2000 bytes), bpp a constant once inlined. */
static inline size_t row_changes_bpp(const uint8_t *row, uint32_t w, const unsigned bpp,
                                     uint32_t *pos)
{
    const size_t n = (size_t)w * bpp;
    size_t i = bpp, k = 0;
    while (i < n) {
        size_t px;
        if (n - i >= 32) {
#if defined(__SSE2__) && defined(__GNUC__)
            /* x86-64's baseline: 16 bytes per compare */
            const __m128i a0 = _mm_loadu_si128((const __m128i *)(const void *)(row + i));
            const __m128i b0 = _mm_loadu_si128((const __m128i *)(const void *)(row + i - bpp));
            const __m128i a1 = _mm_loadu_si128((const __m128i *)(const void *)(row + i + 16));
            const __m128i b1 =
                _mm_loadu_si128((const __m128i *)(const void *)(row + i + 16 - bpp));
            const unsigned eq = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(a0, b0)) |
                                (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(a1, b1)) << 16;
            if (eq == 0xffffffffu) {
                i += 32;
                continue;
            }
            px = (i + (unsigned)__builtin_ctz(~eq)) / bpp;
#else
            uint64_t d[4];
            unsigned j = 0;
            for (unsigned q = 0; q < 4; q++) {
                uint64_t u, v;
                memcpy(&u, row + i + 8 * q, 8);
                memcpy(&v, row + i - bpp + 8 * q, 8);
                d[q] = u ^ v;
            }
            if ((d[0] | d[1] | d[2] | d[3]) == 0) {
                i += 32;
                continue;
            }
            while (d[j] == 0) {
                j++;
            }
            px = (i + 8 * j + maskeval_first_byte(d[j])) / bpp;
#endif
        } else if (row[i] == row[i - bpp]) {
            i++;
            continue;
        } else {
            px = i / bpp;
        }
        pos[k++] = (uint32_t)px;
        i = (px + 1) * bpp;
    }
    pos[k++] = w;
    return k;
}

static size_t row_changes(const uint8_t *row, uint32_t w, unsigned bpp, uint32_t *pos)
{
    return bpp == 3 ? row_changes_bpp(row, w, 3, pos) : row_changes_bpp(row, w, 4, pos);
}

static inline uint32_t pixel_id(const uint8_t *row, unsigned bpp, uint32_t x)
{
    const uint8_t *q = row + (size_t)x * bpp;
    return (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16;
}

maskeval_status maskeval_pq_joint_rows(const maskeval_alloc *a, maskeval_png_rows *g,
                                       maskeval_png_rows *p, pq_scratch *s, size_t *n_pairs,
                                       size_t *n_pred_ids)
{
    const uint32_t w = g->w;
    size_t used = 0;
    uint64_t key = 0, n = 0; /* the run being counted (key 0: none) */
    uint32_t *cg, *cp;
    maskeval_status st;
    void *q = s->pos;

    *n_pairs = *n_pred_ids = 0;
    if (maskeval_grow(a, &q, &s->pos_cap, 2 * ((size_t)w + 1), sizeof(uint32_t)) !=
        MASKEVAL_OK) {
        return MASKEVAL_ERR_NOMEM;
    }
    s->pos = q;
    cg = s->pos;
    cp = s->pos + w + 1;
    st = table_reset(a, s, 1024);
    for (uint32_t y = 0; st == MASKEVAL_OK && y < g->h; y++) {
        const uint8_t *rg = maskeval_png_rows_next(g), *rp = maskeval_png_rows_next(p);
        size_t i = 0, j = 0;
        uint32_t x = 0;
        (void)row_changes(rg, w, g->bpp, cg);
        (void)row_changes(rp, w, p->bpp, cp);
        /* the joint runs: between the changes of either row */
        while (x < w && st == MASKEVAL_OK) {
            const uint32_t e = cg[i] < cp[j] ? cg[i] : cp[j];
            const uint64_t k =
                ((uint64_t)pixel_id(rg, g->bpp, x) << 32 | pixel_id(rp, p->bpp, x)) + 1;
            if (k != key) {
                st = key != 0 ? table_add(a, s, &used, key, n) : MASKEVAL_OK;
                key = k;
                n = 0;
            }
            n += e - x;
            x = e;
            i += cg[i] == e;
            j += cp[j] == e;
        }
    }
    if (st == MASKEVAL_OK && key != 0) {
        st = table_add(a, s, &used, key, n);
    }
    return st != MASKEVAL_OK ? st : table_finish(a, s, used, n_pairs, n_pred_ids);
}

maskeval_status maskeval_pq_joint_dense(const maskeval_alloc *a, const maskeval_seg_maps *m,
                                        pq_scratch *s, size_t *n_pairs, size_t *n_pred_ids,
                                        int *pred_outside)
{
    const uint32_t ng = m->n_gt_ids, np = m->n_pred_ids, np1 = np + 1;
    size_t n = 0, nid = 0;
    void *q;

    *n_pairs = *n_pred_ids = 0;
    *pred_outside = 0;
    for (uint32_t r = 0; r <= ng; r++) {
        const uint32_t *row = m->counts + (size_t)r * np1;
        n += row[np] != 0;
        *pred_outside |= row[np] != 0;
        for (uint32_t c = 0; c < np; c++) {
            n += row[c] != 0;
        }
    }
    if (*pred_outside) {
        return MASKEVAL_OK; /* the caller counts on the CPU, which names the id */
    }
    q = s->pairs;
    if (maskeval_grow(a, &q, &s->pairs_cap, n + 1, sizeof(pq_pair)) != MASKEVAL_OK) {
        return MASKEVAL_ERR_NOMEM;
    }
    s->pairs = q;
    q = s->pred_hist;
    if (maskeval_grow(a, &q, &s->pred_hist_cap, (size_t)np + 1, sizeof(pq_idcount)) !=
        MASKEVAL_OK) {
        return MASKEVAL_ERR_NOMEM;
    }
    s->pred_hist = q;
    /* rows and columns are in id order (the gt row of ids outside the table
     * last, as an id no segment has), so the pairs come out sorted */
    n = 0;
    for (uint32_t r = 0; r <= ng; r++) {
        const uint32_t *row = m->counts + (size_t)r * np1;
        for (uint32_t c = 0; c < np; c++) {
            if (row[c] != 0) {
                s->pairs[n].g = r < ng ? m->gt_ids[r] : UINT32_MAX;
                s->pairs[n].p = m->pred_ids[c];
                s->pairs[n].n = row[c];
                n++;
            }
        }
    }
    for (uint32_t c = 0; c < np; c++) {
        uint64_t t = 0;
        for (uint32_t r = 0; r <= ng; r++) {
            t += m->counts[(size_t)r * np1 + c];
        }
        if (t != 0) {
            s->pred_hist[nid].id = m->pred_ids[c];
            s->pred_hist[nid].n = t;
            nid++;
        }
    }
    *n_pairs = n;
    *n_pred_ids = nid;
    return MASKEVAL_OK;
}

uint64_t maskeval_pq_pair_count(const pq_pair *pairs, size_t n, uint32_t g, uint32_t p)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (pairs[mid].g < g || (pairs[mid].g == g && pairs[mid].p < p)) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo < n && pairs[lo].g == g && pairs[lo].p == p ? pairs[lo].n : 0;
}

void maskeval_pq_scratch_free(const maskeval_alloc *a, pq_scratch *s)
{
    maskeval_free(a, s->hkeys);
    maskeval_free(a, s->hvals);
    maskeval_free(a, s->pairs);
    maskeval_free(a, s->pos);
    maskeval_free(a, s->pred_hist);
    memset(s, 0, sizeof(*s));
}
