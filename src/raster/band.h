/*
 * band.h - the boundary band of Boundary IoU (Cheng et al. 2021), exactly as
 * boundary-iou-api's mask_to_boundary builds it with OpenCV: pad the mask
 * with one pixel of background, erode d times with a 3x3 square, crop, and
 * keep the mask pixels the erosion removed. Closed form used here: a pixel
 * of a mask survives the erosion iff every pixel within Chebyshev distance
 * d lies inside the image and inside the mask; the band is the rest of the
 * mask. Dense rasters take one pass per axis (O(pixels)); a single mask's
 * runs can also be eroded without a raster (maskeval_band_runs).
 */
#ifndef MASKEVAL_RASTER_BAND_H
#define MASKEVAL_RASTER_BAND_H

#include <stddef.h>
#include <stdint.h>

#include "core/ctx.h"

/* boundary-iou-api's d: int(round(ratio * sqrt(h^2 + w^2))) with Python's
 * ties-to-even rounding, at least 1. ratio must be finite and > 0. */
uint32_t maskeval_band_width(uint32_t h, uint32_t w, double ratio);

/*
 * The bands of every segment of a label map at once: segment s's band is
 * the band of the binary mask (ids == s), so band[p] = 1 iff some pixel
 * within Chebyshev distance d of p lies outside the image or has another
 * id. ids: h x w, row-major. run: scratch of w uint32. band: h x w bytes.
 */
void maskeval_band_labels(const uint32_t *ids, uint32_t h, uint32_t w, uint32_t d,
                          uint32_t *run, uint8_t *band);

/*
 * The band of one binary mask given column-major (a decoded RLE): m[c*h + r]
 * in {0, 1}. band gets the same layout. run: scratch of h uint32.
 */
void maskeval_band_mask_colmajor(const uint8_t *m, uint32_t h, uint32_t w, uint32_t d,
                                 uint32_t *run, uint8_t *band);

/* Scratch of maskeval_band_runs, reused between calls: zero it before the
 * first, free it with maskeval_band_work_free. */
typedef struct maskeval_band_work {
    maskeval_u32vec runs;     /* the mask's runs per column of its box: (row, end row) pairs */
    maskeval_u32vec vert;     /* the same runs eroded vertically */
    maskeval_u32vec sfx;      /* suffix intersections of the current block of columns */
    maskeval_u32vec pre[2];   /* prefix intersection of the next block (built in turns) */
    maskeval_u32vec ero;      /* the eroded mask in the current column */
    size_t *off;              /* where each column's pairs start in runs, vert and sfx */
    size_t off_cap;
} maskeval_band_work;

void maskeval_band_work_free(const maskeval_alloc *a, maskeval_band_work *wk);

/*
 * The band of one binary mask on an h x w image, from run lengths to run
 * lengths with no raster: iv holds the mask's n foreground runs as
 * [start, end) column-major pixel indices, non-empty and sorted (runs may
 * touch and may span columns, as maskeval_rle_str_intervals gives them).
 * counts gets the band's RLE counts over the whole image (counts->n of
 * them): the counts that encoding maskeval_band_mask_colmajor's raster
 * gives. Time is O(runs + columns of the mask's box) when the eroded
 * columns hold a few runs each, whatever the box's area and d.
 * MASKEVAL_ERR_NOMEM on allocation failure.
 */
maskeval_status maskeval_band_runs(const maskeval_alloc *a, const uint32_t *iv, size_t n,
                                   uint32_t h, uint32_t w, uint32_t d, maskeval_band_work *wk,
                                   maskeval_u32vec *counts);

#endif
