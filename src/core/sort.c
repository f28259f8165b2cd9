/*
 * sort.c - a bottom-up merge sort (stable) with insertion-sorted runs.
 */
#include "core/sort.h"

#include <string.h>

#define RUN 16

void maskeval_sort_desc_stable(uint32_t *idx, size_t n, const double *keys, uint32_t *tmp)
{
    uint32_t *src = idx, *dst = tmp;

    /* Insertion sort runs of RUN elements; ">" keeps equal keys in order. */
    for (size_t lo = 0; lo < n; lo += RUN) {
        size_t hi = lo + RUN < n ? lo + RUN : n;
        for (size_t i = lo + 1; i < hi; i++) {
            uint32_t v = idx[i];
            double kv = keys[v];
            size_t j = i;
            while (j > lo && kv > keys[idx[j - 1]]) {
                idx[j] = idx[j - 1];
                j--;
            }
            idx[j] = v;
        }
    }
    for (size_t width = RUN; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi) {
                /* take from the right run only if strictly greater */
                if (keys[src[j]] > keys[src[i]]) {
                    dst[k++] = src[j++];
                } else {
                    dst[k++] = src[i++];
                }
            }
            while (i < mid) {
                dst[k++] = src[i++];
            }
            while (j < hi) {
                dst[k++] = src[j++];
            }
        }
        {
            uint32_t *t = src;
            src = dst;
            dst = t;
        }
    }
    if (src != idx) {
        memcpy(idx, src, n * sizeof(uint32_t));
    }
}

long maskeval_find_i64(const int64_t *v, size_t n, int64_t x)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (v[mid] < x) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo < n && v[lo] == x ? (long)lo : -1;
}
