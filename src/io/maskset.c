/*
 * maskset.c - storage of many masks as compressed RLE strings.
 */
#include <string.h>

#include "io/dataset.h"
#include "rle/rle.h"

maskeval_status maskeval_maskset_init(const maskeval_alloc *a, maskeval_maskset *ms, size_t n)
{
    memset(ms, 0, sizeof(*ms));
    ms->off = maskeval_calloc(a, n, sizeof(uint64_t));
    ms->len = maskeval_calloc(a, n, sizeof(uint32_t));
    ms->area = maskeval_calloc(a, n, sizeof(uint32_t));
    ms->runs = maskeval_calloc(a, n, sizeof(uint32_t));
    ms->box = maskeval_calloc(a, n, 4 * sizeof(double));
    if (ms->off == NULL || ms->len == NULL || ms->area == NULL || ms->runs == NULL ||
        ms->box == NULL) {
        maskeval_maskset_free(a, ms);
        return MASKEVAL_ERR_NOMEM;
    }
    return MASKEVAL_OK;
}

void maskeval_maskset_free(const maskeval_alloc *a, maskeval_maskset *ms)
{
    maskeval_free(a, ms->pool);
    maskeval_free(a, ms->extra);
    maskeval_free(a, ms->off);
    maskeval_free(a, ms->len);
    maskeval_free(a, ms->area);
    maskeval_free(a, ms->runs);
    maskeval_free(a, ms->box);
    memset(ms, 0, sizeof(*ms));
}

maskeval_status maskeval_maskset_store(const maskeval_alloc *a, maskeval_maskset *ms, size_t i,
                                       const maskeval_rle_stats *stats, const uint32_t *counts,
                                       size_t n, const char *str, size_t str_len, char *slot,
                                       size_t slot_cap, const char *pool_base,
                                       maskeval_bytevec *side)
{
    if (str == NULL || slot == NULL || str_len > slot_cap) {
        /* encode (or copy) at the end of the side buffer first */
        size_t need = str != NULL ? str_len : maskeval_rle_str_bound(n);
        void *p = side->v;
        if (maskeval_grow(a, &p, &side->cap, side->n + need, 1) != MASKEVAL_OK) {
            return MASKEVAL_ERR_NOMEM;
        }
        side->v = p;
        if (str != NULL) {
            memcpy(side->v + side->n, str, str_len);
        } else {
            str_len = maskeval_rle_str_encode(counts, n, side->v + side->n);
        }
        str = side->v + side->n;
        if (slot == NULL || str_len > slot_cap) {
            ms->off[i] = MASKEVAL_MASK_EXTRA | side->n;
            side->n += str_len;
            str = NULL;
        }
    }
    if (str != NULL) {
        /* fits in place (memmove: str may lie inside the element's own text) */
        memmove(slot, str, str_len);
        ms->off[i] = (uint64_t)(slot - pool_base);
    }
    if (str_len > UINT32_MAX) {
        return MASKEVAL_ERR_LIMIT;
    }
    ms->len[i] = (uint32_t)str_len;
    ms->area[i] = stats->area;
    ms->runs[i] = stats->runs;
    memcpy(ms->box + 4 * i, stats->box, sizeof(stats->box));
    return MASKEVAL_OK;
}

/* The pool is the input file's text with each mask's string written over
 * its own element: keep only the strings, moved down in place in offset
 * order (each to an address no higher than its own, so nothing unread is
 * overwritten), and give the rest back - for segm results the keys, boxes
 * and scores around the counts, for ground truth the polygon text the
 * shorter RLE strings replaced. Left as it is if the offsets are not
 * ascending (they are: elements are stored in file order). */
static void compact_pool(const maskeval_alloc *a, maskeval_maskset *ms, size_t n)
{
    uint64_t last = 0, pos = 0;
    char *shrunk;
    for (size_t i = 0; i < n; i++) {
        if (ms->len[i] == 0 || (ms->off[i] & MASKEVAL_MASK_EXTRA)) {
            continue;
        }
        if (ms->off[i] < last) {
            return;
        }
        last = ms->off[i] + ms->len[i];
    }
    for (size_t i = 0; i < n; i++) {
        if (ms->len[i] == 0 || (ms->off[i] & MASKEVAL_MASK_EXTRA)) {
            continue;
        }
        memmove(ms->pool + pos, ms->pool + ms->off[i], ms->len[i]);
        ms->off[i] = pos;
        pos += ms->len[i];
    }
    ms->pool[pos] = '\0';
    shrunk = maskeval_realloc(a, ms->pool, (size_t)pos + 1);
    if (shrunk != NULL) {
        ms->pool = shrunk;
    }
}

maskeval_status maskeval_maskset_finish(const maskeval_alloc *a, maskeval_maskset *ms, char *pool,
                                        const size_t *first, maskeval_bytevec *sides,
                                        size_t ntasks)
{
    size_t total = 0, pos = 0;
    for (size_t t = 0; t < ntasks; t++) {
        total += sides[t].n;
    }
    ms->pool = pool;
    ms->extra = maskeval_malloc(a, total);
    if (ms->extra == NULL) {
        for (size_t t = 0; t < ntasks; t++) {
            maskeval_free(a, sides[t].v);
            memset(&sides[t], 0, sizeof(sides[t]));
        }
        return MASKEVAL_ERR_NOMEM;
    }
    for (size_t t = 0; t < ntasks; t++) {
        if (sides[t].n > 0) {
            memcpy(ms->extra + pos, sides[t].v, sides[t].n);
            for (size_t i = first[t]; i < first[t + 1]; i++) {
                if ((ms->off[i] & MASKEVAL_MASK_EXTRA) && ms->len[i] > 0) {
                    ms->off[i] += pos;
                }
            }
        }
        pos += sides[t].n;
        maskeval_free(a, sides[t].v);
        memset(&sides[t], 0, sizeof(sides[t]));
    }
    ms->extra_len = total;
    if (pool != NULL && ntasks > 0) {
        compact_pool(a, ms, first[ntasks]);
    }
    return MASKEVAL_OK;
}

size_t maskeval_maskset_decode_raw(const maskeval_maskset *ms, size_t i, uint32_t *dst)
{
    size_t where, index, n = 0;
    /* Validated when stored, so decoding cannot fail. */
    (void)maskeval_rle_str_decode(maskeval_maskset_str(ms, i), ms->len[i], dst, &n, &where,
                                  &index);
    return n;
}

maskeval_status maskeval_maskset_decode(const maskeval_alloc *a, const maskeval_maskset *ms,
                                        size_t i, maskeval_u32vec *out)
{
    maskeval_status st = maskeval_u32vec_reserve(a, out, ms->len[i] + 1);
    if (st != MASKEVAL_OK) {
        return st;
    }
    out->n = maskeval_maskset_decode_raw(ms, i, out->v);
    return MASKEVAL_OK;
}
