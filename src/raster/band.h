/*
 * band.h - the boundary band of Boundary IoU (Cheng et al. 2021), exactly as
 * boundary-iou-api's mask_to_boundary builds it with OpenCV: pad the mask
 * with one pixel of background, erode d times with a 3x3 square, crop, and
 * keep the mask pixels the erosion removed. Closed form used here: a pixel
 * of a mask survives the erosion iff every pixel within Chebyshev distance
 * d lies inside the image and inside the mask; the band is the rest of the
 * mask. Computed with run lengths (one pass per axis, O(pixels)).
 */
#ifndef MASKEVAL_RASTER_BAND_H
#define MASKEVAL_RASTER_BAND_H

#include <stddef.h>
#include <stdint.h>

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

#endif
