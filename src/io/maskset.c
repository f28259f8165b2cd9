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
    if (ms->off == NULL || ms->len == NULL || ms->area == NULL || ms->runs == NULL || ms->box == NULL) {
        maskeval_maskset_free(a, ms);
        return MASKEVAL_ERR_NOMEM;
    }
    return MASKEVAL_OK;
}

void maskeval_maskset_free(const maskeval_alloc *a, maskeval_maskset *ms)
{
    maskeval_free(a, ms->pool);
    maskeval_free(a, ms->off);
    maskeval_free(a, ms->len);
    maskeval_free(a, ms->area);
    maskeval_free(a, ms->runs);
    maskeval_free(a, ms->box);
    memset(ms, 0, sizeof(*ms));
}

maskeval_status maskeval_maskset_put(const maskeval_alloc *a, maskeval_maskset *ms, size_t i,
                                     const uint32_t *counts, size_t n, uint32_t h, uint32_t w,
                                     const char *str, size_t str_len)
{
    size_t need = str != NULL ? str_len : maskeval_rle_str_bound(n);
    void *p = ms->pool;
    maskeval_status st;

    if (need > UINT32_MAX) {
        return MASKEVAL_ERR_LIMIT;
    }
    st = maskeval_grow(a, &p, &ms->pool_cap, ms->pool_len + need, 1);
    ms->pool = p;
    if (st != MASKEVAL_OK) {
        return st;
    }
    if (str != NULL) {
        memcpy(ms->pool + ms->pool_len, str, str_len);
    } else {
        str_len = maskeval_rle_str_encode(counts, n, ms->pool + ms->pool_len);
    }
    ms->off[i] = ms->pool_len;
    ms->len[i] = (uint32_t)str_len;
    ms->pool_len += str_len;
    ms->area[i] = maskeval_rle_area(counts, n);
    ms->runs[i] = 0;
    for (size_t j = 1; j < n; j += 2) {
        ms->runs[i] += counts[j] > 0;
    }
    maskeval_rle_bbox(counts, n, h, w, ms->box + 4 * i);
    return MASKEVAL_OK;
}

size_t maskeval_maskset_decode_raw(const maskeval_maskset *ms, size_t i, uint32_t *dst)
{
    size_t where, index, n = 0;
    /* Validated when stored, so decoding cannot fail. */
    (void)maskeval_rle_str_decode(ms->pool + ms->off[i], ms->len[i], dst, &n, &where, &index);
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
