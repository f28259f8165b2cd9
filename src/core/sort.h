/*
 * sort.h - the stable sorts pycocotools' results depend on.
 */
#ifndef MASKEVAL_CORE_SORT_H
#define MASKEVAL_CORE_SORT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Stable sort of idx[0..n) by descending keys[idx[i]]: numpy's
 * argsort(-key, kind='mergesort'), where equal keys keep their order.
 * tmp must hold n elements.
 */
void maskeval_sort_desc_stable(uint32_t *idx, size_t n, const double *keys, uint32_t *tmp);

/* Index of x in the ascending v[0..n) (the first if it repeats), or -1. */
long maskeval_find_i64(const int64_t *v, size_t n, int64_t x);

#endif
