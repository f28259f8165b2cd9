/*
 * confusion.h - (K+1) x (K+1) confusion counts of label maps, exact 64-bit
 * totals, counted on the CPU or on the OpenCL device.
 *
 * Labels go through per-side lookup tables first (the semantic command folds
 * reduce-zero-label, label maps and the ignore index into them): a SKIP entry
 * drops the pixel; any other value v lands in row / column min(v, K), so
 * row K counts ground truth outside [0, K) and column K predictions outside
 * [0, K). Up to K = 4096 the totals are a dense matrix; above that, a hash
 * map of the non-zero cells (K can be up to 65535).
 */
#ifndef MASKEVAL_SEMANTIC_CONFUSION_H
#define MASKEVAL_SEMANTIC_CONFUSION_H

#include <stddef.h>
#include <stdint.h>

#include "core/ctx.h"

#define MASKEVAL_LABEL_SKIP 0xffffffffu
#define MASKEVAL_CM_DENSE_MAX_K 4096u

typedef struct maskeval_cm {
    uint32_t k;         /* classes; cells are (K+1)^2 */
    int sparse;
    uint64_t *dense;    /* [(K+1)^2] when !sparse */
    uint32_t *keys;     /* sparse: open addressing, key = row * (K+1) + col */
    uint64_t *vals;
    size_t cap, used;   /* slots (a power of two) and filled slots */
    uint64_t last_cell; /* sparse: the cell whose key is 0xffffffff (K = 65535) */
} maskeval_cm;

maskeval_status maskeval_cm_init(const maskeval_alloc *a, maskeval_cm *cm, uint32_t k);
void maskeval_cm_free(const maskeval_alloc *a, maskeval_cm *cm);
/* cell key += n */
maskeval_status maskeval_cm_add(const maskeval_alloc *a, maskeval_cm *cm, uint32_t key,
                                uint64_t n);
/* dst += src (same K) */
maskeval_status maskeval_cm_merge(const maskeval_alloc *a, maskeval_cm *dst, const maskeval_cm *src);
/* The count of cell (row, col). */
uint64_t maskeval_cm_get(const maskeval_cm *cm, uint32_t row, uint32_t col);
/* Calls fn for every non-zero cell in (row, col) order... of the dense matrix
 * or, for a sparse one, sorted by key. Returns the first non-OK status of fn. */
maskeval_status maskeval_cm_foreach(const maskeval_alloc *a, const maskeval_cm *cm,
                                    maskeval_status (*fn)(void *arg, uint32_t row, uint32_t col,
                                                          uint64_t n),
                                    void *arg);

/* One pair of label maps to count: n pixels, 1 or 2 bytes per label,
 * lookup tables of 256 or 65536 entries. */
typedef struct maskeval_labels {
    const void *gt, *pred;
    size_t n;
    int bytes;
    const uint32_t *lut_g, *lut_p;
} maskeval_labels;

/* Counts on the CPU (run-length accumulation, one thread). */
maskeval_status maskeval_cm_count_cpu(const maskeval_alloc *a, maskeval_cm *cm,
                                      const maskeval_labels *l);

/* Reference: one pixel at a time, no cleverness (for tests). */
maskeval_status maskeval_cm_count_naive(const maskeval_alloc *a, maskeval_cm *cm,
                                        const maskeval_labels *l);

#endif
