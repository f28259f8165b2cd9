/*
 * confusion.c - confusion-count accumulators and the CPU counting path.
 */
#include "semantic/confusion.h"

#include <stdlib.h>
#include <string.h>

#include "core/bytes.h"

static int dense_k(uint32_t k)
{
    return k <= MASKEVAL_CM_DENSE_MAX_K;
}

maskeval_status maskeval_cm_init(const maskeval_alloc *a, maskeval_cm *cm, uint32_t k)
{
    memset(cm, 0, sizeof(*cm));
    cm->k = k;
    if (k == 0 || k > 65535) {
        return MASKEVAL_ERR_INVALID_ARG;
    }
    if (dense_k(k)) {
        size_t cells = (size_t)(k + 1) * (k + 1);
        cm->dense = maskeval_calloc(a, cells, sizeof(uint64_t));
        return cm->dense != NULL ? MASKEVAL_OK : MASKEVAL_ERR_NOMEM;
    }
    cm->sparse = 1;
    cm->cap = 1024;
    cm->keys = maskeval_malloc(a, cm->cap * sizeof(uint32_t));
    cm->vals = maskeval_calloc(a, cm->cap, sizeof(uint64_t));
    if (cm->keys == NULL || cm->vals == NULL) {
        maskeval_cm_free(a, cm);
        return MASKEVAL_ERR_NOMEM;
    }
    memset(cm->keys, 0xff, cm->cap * sizeof(uint32_t));
    return MASKEVAL_OK;
}

void maskeval_cm_free(const maskeval_alloc *a, maskeval_cm *cm)
{
    maskeval_free(a, cm->dense);
    maskeval_free(a, cm->keys);
    maskeval_free(a, cm->vals);
    memset(cm, 0, sizeof(*cm));
}

static size_t slot_of(uint32_t key, size_t mask)
{
    return (size_t)((key * 2654435761u) & mask);
}

static maskeval_status rehash(const maskeval_alloc *a, maskeval_cm *cm)
{
    size_t ncap = cm->cap * 2, mask = ncap - 1;
    uint32_t *keys = maskeval_malloc(a, ncap * sizeof(uint32_t));
    uint64_t *vals = maskeval_calloc(a, ncap, sizeof(uint64_t));
    if (keys == NULL || vals == NULL) {
        maskeval_free(a, keys);
        maskeval_free(a, vals);
        return MASKEVAL_ERR_NOMEM;
    }
    memset(keys, 0xff, ncap * sizeof(uint32_t));
    for (size_t i = 0; i < cm->cap; i++) {
        if (cm->keys[i] != MASKEVAL_LABEL_SKIP) {
            size_t s = slot_of(cm->keys[i], mask);
            while (keys[s] != MASKEVAL_LABEL_SKIP) {
                s = (s + 1) & mask;
            }
            keys[s] = cm->keys[i];
            vals[s] = cm->vals[i];
        }
    }
    maskeval_free(a, cm->keys);
    maskeval_free(a, cm->vals);
    cm->keys = keys;
    cm->vals = vals;
    cm->cap = ncap;
    return MASKEVAL_OK;
}

maskeval_status maskeval_cm_add(const maskeval_alloc *a, maskeval_cm *cm, uint32_t key,
                                uint64_t n)
{
    size_t s, mask;
    if (!cm->sparse) {
        cm->dense[key] += n;
        return MASKEVAL_OK;
    }
    if (key == MASKEVAL_LABEL_SKIP) {
        cm->last_cell += n;
        return MASKEVAL_OK;
    }
    if (2 * (cm->used + 1) > cm->cap) {
        maskeval_status st = rehash(a, cm);
        if (st != MASKEVAL_OK) {
            return st;
        }
    }
    mask = cm->cap - 1;
    s = slot_of(key, mask);
    while (cm->keys[s] != key && cm->keys[s] != MASKEVAL_LABEL_SKIP) {
        s = (s + 1) & mask;
    }
    if (cm->keys[s] == MASKEVAL_LABEL_SKIP) {
        cm->keys[s] = key;
        cm->used++;
    }
    cm->vals[s] += n;
    return MASKEVAL_OK;
}

uint64_t maskeval_cm_get(const maskeval_cm *cm, uint32_t row, uint32_t col)
{
    uint32_t key = row * (cm->k + 1) + col;
    size_t s, mask;
    if (!cm->sparse) {
        return cm->dense[key];
    }
    if (key == MASKEVAL_LABEL_SKIP) {
        return cm->last_cell;
    }
    mask = cm->cap - 1;
    for (s = slot_of(key, mask); cm->keys[s] != MASKEVAL_LABEL_SKIP; s = (s + 1) & mask) {
        if (cm->keys[s] == key) {
            return cm->vals[s];
        }
    }
    return 0;
}

static int u32_cmp(const void *pa, const void *pb)
{
    uint32_t x = *(const uint32_t *)pa, y = *(const uint32_t *)pb;
    return x < y ? -1 : x > y;
}

maskeval_status maskeval_cm_foreach(const maskeval_alloc *a, const maskeval_cm *cm,
                                    maskeval_status (*fn)(void *arg, uint32_t row, uint32_t col,
                                                          uint64_t n),
                                    void *arg)
{
    const uint32_t k1 = cm->k + 1;
    maskeval_status st = MASKEVAL_OK;
    if (!cm->sparse) {
        for (size_t key = 0; key < (size_t)k1 * k1 && st == MASKEVAL_OK; key++) {
            if (cm->dense[key] != 0) {
                st = fn(arg, (uint32_t)(key / k1), (uint32_t)(key % k1), cm->dense[key]);
            }
        }
        return st;
    }
    {
        uint32_t *keys = maskeval_calloc(a, cm->used + 1, sizeof(uint32_t));
        size_t n = 0;
        if (keys == NULL) {
            return MASKEVAL_ERR_NOMEM;
        }
        for (size_t i = 0; i < cm->cap; i++) {
            if (cm->keys[i] != MASKEVAL_LABEL_SKIP) {
                keys[n++] = cm->keys[i];
            }
        }
        qsort(keys, n, sizeof(uint32_t), u32_cmp);
        for (size_t i = 0; i < n && st == MASKEVAL_OK; i++) {
            uint64_t v = maskeval_cm_get(cm, keys[i] / k1, keys[i] % k1);
            if (v != 0) {
                st = fn(arg, keys[i] / k1, keys[i] % k1, v);
            }
        }
        if (st == MASKEVAL_OK && cm->last_cell != 0) {
            st = fn(arg, k1 - 1, k1 - 1, cm->last_cell);
        }
        maskeval_free(a, keys);
    }
    return st;
}

typedef struct merge_arg {
    const maskeval_alloc *a;
    maskeval_cm *dst;
} merge_arg;

static maskeval_status merge_cell(void *arg, uint32_t row, uint32_t col, uint64_t n)
{
    merge_arg *m = arg;
    return maskeval_cm_add(m->a, m->dst, row * (m->dst->k + 1) + col, n);
}

maskeval_status maskeval_cm_merge(const maskeval_alloc *a, maskeval_cm *dst, const maskeval_cm *src)
{
    merge_arg m = {a, dst};
    if (dst->k != src->k) {
        return MASKEVAL_ERR_INVALID_ARG;
    }
    if (!dst->sparse) {
        const size_t cells = (size_t)(dst->k + 1) * (dst->k + 1);
        for (size_t i = 0; i < cells; i++) {
            dst->dense[i] += src->dense[i];
        }
        return MASKEVAL_OK;
    }
    return maskeval_cm_foreach(a, src, merge_cell, &m);
}

static inline uint32_t label_at(const void *p, int bytes, size_t i)
{
    return bytes == 1 ? ((const uint8_t *)p)[i] : ((const uint16_t *)p)[i];
}

/* The end of the run of pixels from i on whose raw (gt, pred) labels are
 * those of pixel i, 8 bytes of each map at a time (a word of 8 / bytes equal
 * labels is the label times 0x01..01 or 0x0001..0001 in either byte order). */
static size_t run_end(const maskeval_labels *l, size_t i)
{
    const uint8_t *g = l->gt, *p = l->pred;
    const size_t b = (size_t)l->bytes, per = 8 / b, n = l->n;
    const uint32_t gv = label_at(l->gt, l->bytes, i), pv = label_at(l->pred, l->bytes, i);
    const uint64_t ones = b == 1 ? 0x0101010101010101ull : 0x0001000100010001ull;
    const uint64_t wg = gv * ones, wp = pv * ones;
    size_t e = i + 1;
    while (n - e >= per) {
        uint64_t u, v, d;
        memcpy(&u, g + e * b, 8);
        memcpy(&v, p + e * b, 8);
        d = (u ^ wg) | (v ^ wp);
        if (d != 0) {
            return e + maskeval_first_byte(d) / b;
        }
        e += per;
    }
    while (e < n && label_at(l->gt, l->bytes, e) == gv && label_at(l->pred, l->bytes, e) == pv) {
        e++;
    }
    return e;
}

maskeval_status maskeval_cm_count_cpu(const maskeval_alloc *a, maskeval_cm *cm,
                                      const maskeval_labels *l)
{
    const uint32_t k = cm->k, k1 = k + 1;
    uint32_t cur = 0;
    uint64_t run = 0;
    maskeval_status st = MASKEVAL_OK;
    /* Label maps are piecewise constant: whole runs of equal raw labels,
     * found a word at a time, then runs of equal cells added at once. */
    for (size_t i = 0; i < l->n;) {
        const size_t e = run_end(l, i);
        const uint32_t g = l->lut_g[label_at(l->gt, l->bytes, i)];
        if (g != MASKEVAL_LABEL_SKIP) {
            const uint32_t p = l->lut_p[label_at(l->pred, l->bytes, i)];
            const uint32_t key = (g < k ? g : k) * k1 + (p < k ? p : k);
            if (run > 0 && key == cur) {
                run += e - i;
            } else {
                if (run > 0 && (st = maskeval_cm_add(a, cm, cur, run)) != MASKEVAL_OK) {
                    return st;
                }
                cur = key;
                run = e - i;
            }
        }
        i = e;
    }
    if (run > 0) {
        st = maskeval_cm_add(a, cm, cur, run);
    }
    return st;
}

maskeval_status maskeval_cm_count_naive(const maskeval_alloc *a, maskeval_cm *cm,
                                        const maskeval_labels *l)
{
    for (size_t i = 0; i < l->n; i++) {
        uint32_t g = l->lut_g[label_at(l->gt, l->bytes, i)];
        uint32_t p = l->lut_p[label_at(l->pred, l->bytes, i)];
        maskeval_status st;
        if (g == MASKEVAL_LABEL_SKIP) {
            continue;
        }
        if (g > cm->k) {
            g = cm->k;
        }
        if (p > cm->k) {
            p = cm->k;
        }
        st = maskeval_cm_add(a, cm, g * (cm->k + 1) + p, 1);
        if (st != MASKEVAL_OK) {
            return st;
        }
    }
    return MASKEVAL_OK;
}
