/*
 * npcompat.h - numpy's arithmetic, reproduced bit for bit where maskeval's
 * numbers depend on it (COCO, LVIS and semantic metrics alike).
 */
#ifndef MASKEVAL_CORE_NPCOMPAT_H
#define MASKEVAL_CORE_NPCOMPAT_H

#include <stddef.h>

/* np.linspace(start, stop, num) exactly as numpy computes it. */
void maskeval_linspace(double start, double stop, size_t num, double *out);

/* The numpy sum of a contiguous float64 array: pairwise summation in blocks
 * of 8 (numpy >= 2.3), or with block = 8192 as numpy < 2.3's buffered
 * reduction added 8192-element chunks. */
double maskeval_np_sum(const double *a, size_t n, size_t block);

/* np.nanmean of v[0..n): NaNs count as 0 in the pairwise sum, which is
 * divided by the number of non-NaN values; NaN if there is none. Overwrites
 * the NaNs in v with 0. */
double maskeval_np_nanmean(double *v, size_t n);

#endif
