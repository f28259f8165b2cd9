/*
 * poly.h - polygon to RLE, pixel for pixel as pycocotools' rleFrPoly.
 */
#ifndef MASKEVAL_RASTER_POLY_H
#define MASKEVAL_RASTER_POLY_H

#include <stddef.h>
#include <stdint.h>

#include "core/ctx.h"

/* Polygon coordinates beyond +-this many pixels are refused: they would need
 * integer walks pycocotools itself cannot do without overflow, and within this
 * bound every rounding step below is provably the one pycocotools makes. */
#define MASKEVAL_POLY_COORD_LIMIT 1e6

/*
 * Rasterizes the polygon xy[0..2k) (k vertices) on an h x w image into
 * out (replacing its contents). scratch is reused between calls.
 * Fails with MASKEVAL_ERR_LIMIT on a coordinate beyond the limit or a
 * non-finite one, MASKEVAL_ERR_NOMEM on allocation failure.
 */
maskeval_status maskeval_poly_rasterize(const maskeval_alloc *a, const double *xy, size_t k,
                                        uint32_t h, uint32_t w, maskeval_u32vec *scratch,
                                        maskeval_u32vec *out);

/* Reference rasterizer that walks every boundary point like pycocotools does;
 * slow, for tests. Same contract as maskeval_poly_rasterize. */
maskeval_status maskeval_poly_rasterize_walk(const maskeval_alloc *a, const double *xy,
                                             size_t k, uint32_t h, uint32_t w,
                                             maskeval_u32vec *scratch, maskeval_u32vec *out);

#endif
