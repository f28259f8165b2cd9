/*
 * pq_pairs.c - the joint (gt id, pred id) histogram of two segment maps.
 *
 * Ids are mapped to small local indices through open-addressing tables
 * (consecutive pixels mostly repeat an id, so the last lookup is cached);
 * pairs are then counted in a dense n_gt x n_pred table, or in a hash table
 * of pair keys when the segments are too many for one. The result is sorted
 * by (gt id, pred id), the order in which panopticapi visits the pairs.
 */
#include "panoptic/panoptic.h"

#include <stdlib.h>
#include <string.h>

#define DENSE_MAX ((size_t)1 << 22)

static inline uint32_t hash32(uint32_t x)
{
    return (x * 0x9E3779B1u) ^ (x >> 15);
}

static inline uint64_t hash64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

/* id -> local index table; keys store id + 1 (0 = empty). */
typedef struct idmap {
    uint32_t **keys, **vals;
    size_t *cap;
    uint32_t **list;
    size_t *list_cap;
    size_t n;
} idmap;

static maskeval_status idmap_reset(const maskeval_alloc *a, idmap *m, size_t want)
{
    size_t cap = 64;
    while (cap < 2 * want) {
        cap *= 2;
    }
    if (*m->cap < cap) {
        maskeval_free(a, *m->keys);
        maskeval_free(a, *m->vals);
        *m->keys = maskeval_malloc(a, cap * sizeof(uint32_t));
        *m->vals = maskeval_malloc(a, cap * sizeof(uint32_t));
        *m->cap = cap;
        if (*m->keys == NULL || *m->vals == NULL) {
            *m->cap = 0;
            return MASKEVAL_ERR_NOMEM;
        }
    }
    memset(*m->keys, 0, *m->cap * sizeof(uint32_t));
    m->n = 0;
    return MASKEVAL_OK;
}

static maskeval_status idmap_grow(const maskeval_alloc *a, idmap *m)
{
    const size_t old = *m->cap, cap = old * 2;
    uint32_t *ok = *m->keys, *ov = *m->vals;
    uint32_t *nk = maskeval_calloc(a, cap, sizeof(uint32_t));
    uint32_t *nv = maskeval_malloc(a, cap * sizeof(uint32_t));
    if (nk == NULL || nv == NULL) {
        maskeval_free(a, nk);
        maskeval_free(a, nv);
        return MASKEVAL_ERR_NOMEM;
    }
    for (size_t i = 0; i < old; i++) {
        if (ok[i] != 0) {
            size_t h = hash32(ok[i] - 1) & (cap - 1);
            while (nk[h] != 0) {
                h = (h + 1) & (cap - 1);
            }
            nk[h] = ok[i];
            nv[h] = ov[i];
        }
    }
    maskeval_free(a, ok);
    maskeval_free(a, ov);
    *m->keys = nk;
    *m->vals = nv;
    *m->cap = cap;
    return MASKEVAL_OK;
}

static maskeval_status idmap_get(const maskeval_alloc *a, idmap *m, uint32_t id, uint32_t *local)
{
    size_t mask = *m->cap - 1, h = hash32(id) & mask;
    uint32_t *keys = *m->keys;
    while (keys[h] != 0) {
        if (keys[h] == id + 1) {
            *local = (*m->vals)[h];
            return MASKEVAL_OK;
        }
        h = (h + 1) & mask;
    }
    if (2 * (m->n + 1) > *m->cap) {
        maskeval_status st = idmap_grow(a, m);
        if (st != MASKEVAL_OK) {
            return st;
        }
        return idmap_get(a, m, id, local);
    }
    {
        void *p = *m->list;
        if (maskeval_grow(a, &p, m->list_cap, m->n + 1, sizeof(uint32_t)) != MASKEVAL_OK) {
            return MASKEVAL_ERR_NOMEM;
        }
        *m->list = p;
    }
    keys[h] = id + 1;
    (*m->vals)[h] = (uint32_t)m->n;
    (*m->list)[m->n] = id;
    *local = (uint32_t)m->n++;
    return MASKEVAL_OK;
}

/* Maps every pixel's id; out (optional) gets the local indices. */
static maskeval_status map_ids(const maskeval_alloc *a, idmap *m, const uint32_t *ids,
                               size_t npix)
{
    uint32_t last = 0, local = 0;
    maskeval_status st = MASKEVAL_OK;
    if (npix > 0) {
        last = ids[0];
        st = idmap_get(a, m, last, &local);
    }
    for (size_t i = 1; i < npix && st == MASKEVAL_OK; i++) {
        if (ids[i] != last) {
            last = ids[i];
            st = idmap_get(a, m, last, &local);
        }
    }
    return st;
}

static inline uint32_t idmap_find(const idmap *m, uint32_t id)
{
    size_t mask = *m->cap - 1, h = hash32(id) & mask;
    const uint32_t *keys = *m->keys;
    while (keys[h] != id + 1) {
        h = (h + 1) & mask;
    }
    return (*m->vals)[h];
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

static maskeval_status push_pair(const maskeval_alloc *a, pq_scratch *s, size_t *n, uint32_t g,
                                 uint32_t p, uint64_t cnt)
{
    void *q = s->pairs;
    if (maskeval_grow(a, &q, &s->pairs_cap, *n + 1, sizeof(pq_pair)) != MASKEVAL_OK) {
        return MASKEVAL_ERR_NOMEM;
    }
    s->pairs = q;
    s->pairs[*n].g = g;
    s->pairs[*n].p = p;
    s->pairs[*n].n = cnt;
    (*n)++;
    return MASKEVAL_OK;
}

/* Pair counting through a hash table of (g << 32 | p) keys (+1, 0 = empty). */
static maskeval_status count_hashed(const maskeval_alloc *a, const uint32_t *gt,
                                    const uint32_t *pred, size_t npix, pq_scratch *s, size_t *np)
{
    size_t cap = 1024, used = 0;
    maskeval_status st = MASKEVAL_OK;
    while (cap < npix / 4) {
        cap *= 2;
    }
    if (s->hcap < cap) {
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
    cap = s->hcap;
    memset(s->hkeys, 0, cap * sizeof(uint64_t));
    for (size_t i = 0; i < npix; i++) {
        const uint64_t key = ((uint64_t)gt[i] << 32 | pred[i]) + 1;
        size_t h = hash64(key) & (cap - 1);
        while (s->hkeys[h] != 0 && s->hkeys[h] != key) {
            h = (h + 1) & (cap - 1);
        }
        if (s->hkeys[h] == 0) {
            if (2 * (used + 1) > cap) {
                /* rehash into a table twice the size */
                const size_t ncap = cap * 2;
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
                s->hcap = cap = ncap;
                i--; /* redo this pixel */
                continue;
            }
            s->hkeys[h] = key;
            s->hvals[h] = 0;
            used++;
        }
        s->hvals[h]++;
    }
    *np = 0;
    for (size_t j = 0; j < cap && st == MASKEVAL_OK; j++) {
        if (s->hkeys[j] != 0) {
            const uint64_t key = s->hkeys[j] - 1;
            st = push_pair(a, s, np, (uint32_t)(key >> 32), (uint32_t)key, s->hvals[j]);
        }
    }
    return st;
}

maskeval_status maskeval_pq_joint(const maskeval_alloc *a, const uint32_t *gt,
                                  const uint32_t *pred, size_t npix, pq_scratch *s,
                                  size_t *n_pairs, size_t *n_pred_ids)
{
    idmap gm = {&s->gkeys, &s->gvals, &s->gcap, &s->glist, &s->glist_cap, 0};
    idmap pm = {&s->pkeys, &s->pvals, &s->pcap, &s->plist, &s->plist_cap, 0};
    maskeval_status st;
    size_t np = 0, cells;

    *n_pairs = *n_pred_ids = 0;
    st = idmap_reset(a, &gm, 256);
    if (st == MASKEVAL_OK) {
        st = idmap_reset(a, &pm, 256);
    }
    if (st == MASKEVAL_OK) {
        st = map_ids(a, &gm, gt, npix);
    }
    if (st == MASKEVAL_OK) {
        st = map_ids(a, &pm, pred, npix);
    }
    if (st != MASKEVAL_OK) {
        return st;
    }
    if (maskeval_mul_ok(gm.n, pm.n, &cells) && cells <= DENSE_MAX) {
        uint32_t lg = 0, lp = 0, last_g, last_p;
        if (s->dense_cap < cells) {
            maskeval_free(a, s->dense);
            s->dense = maskeval_malloc(a, cells * sizeof(uint32_t));
            s->dense_cap = s->dense == NULL ? 0 : cells;
            if (s->dense == NULL) {
                return MASKEVAL_ERR_NOMEM;
            }
        }
        memset(s->dense, 0, cells * sizeof(uint32_t));
        last_g = gt[0];
        last_p = pred[0];
        lg = idmap_find(&gm, last_g);
        lp = idmap_find(&pm, last_p);
        for (size_t i = 0; i < npix; i++) {
            if (gt[i] != last_g) {
                last_g = gt[i];
                lg = idmap_find(&gm, last_g);
            }
            if (pred[i] != last_p) {
                last_p = pred[i];
                lp = idmap_find(&pm, last_p);
            }
            s->dense[(size_t)lg * pm.n + lp]++; /* npix <= 2^30: no overflow */
        }
        for (size_t g = 0; g < gm.n && st == MASKEVAL_OK; g++) {
            for (size_t p = 0; p < pm.n && st == MASKEVAL_OK; p++) {
                const uint32_t c = s->dense[g * pm.n + p];
                if (c != 0) {
                    st = push_pair(a, s, &np, s->glist[g], s->plist[p], c);
                }
            }
        }
    } else {
        st = count_hashed(a, gt, pred, npix, s, &np);
    }
    if (st != MASKEVAL_OK) {
        return st;
    }
    qsort(s->pairs, np, sizeof(pq_pair), cmp_pair);
    /* per-pred-id totals */
    {
        void *q = s->pred_hist;
        if (maskeval_grow(a, &q, &s->pred_hist_cap, pm.n + 1, sizeof(pq_idcount)) !=
            MASKEVAL_OK) {
            return MASKEVAL_ERR_NOMEM;
        }
        s->pred_hist = q;
        for (size_t p = 0; p < pm.n; p++) {
            s->pred_hist[p].id = s->plist[p];
            s->pred_hist[p].n = 0;
        }
        for (size_t k = 0; k < np; k++) {
            s->pred_hist[idmap_find(&pm, s->pairs[k].p)].n += s->pairs[k].n;
        }
        qsort(s->pred_hist, pm.n, sizeof(pq_idcount), cmp_idcount);
    }
    *n_pairs = np;
    *n_pred_ids = pm.n;
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
    maskeval_free(a, s->gkeys);
    maskeval_free(a, s->gvals);
    maskeval_free(a, s->pkeys);
    maskeval_free(a, s->pvals);
    maskeval_free(a, s->glist);
    maskeval_free(a, s->plist);
    maskeval_free(a, s->dense);
    maskeval_free(a, s->hkeys);
    maskeval_free(a, s->hvals);
    maskeval_free(a, s->pairs);
    maskeval_free(a, s->pred_hist);
    maskeval_free(a, s->order);
    memset(s, 0, sizeof(*s));
}
