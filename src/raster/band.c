/*
 * band.c - boundary bands by erosion with a (2d+1) x (2d+1) square (see
 * band.h). A pixel survives iff the window around it is inside the image
 * and uniform; the test is separable:
 *   V(r, c) = the column window rows r-d..r+d is inside the image and equal
 *             to ids(r, c) (the pixel's vertical run reaches d beyond it);
 *   E(r, c) = every V(r, c') with |c' - c| <= d holds, on pixels of the same
 *             id (a horizontal run of such pixels reaches d beyond it).
 * Both runs are tracked as counters, so each pass is one sweep.
 */
#include "raster/band.h"

#include <math.h>
#include <string.h>

uint32_t maskeval_band_width(uint32_t h, uint32_t w, double ratio)
{
    const double diag = sqrt((double)h * (double)h + (double)w * (double)w);
    const double d = nearbyint(ratio * diag); /* ties to even under the default rounding mode */
    if (!(d >= 1.0)) {
        return 1;
    }
    return d > 4294967295.0 ? UINT32_MAX : (uint32_t)d;
}

/*
 * Label maps, row-major. Pass 1 (vertical) leaves in band[] 1 for the
 * pixels that fail V. It walks rows top to bottom keeping, per column, the
 * length of the current vertical run ending at this row (run[c]); pixel
 * (r - d, c) passes V once the run through it is long enough on both
 * sides, which is known d rows later, so V is decided with a lag of d rows
 * plus the rows of the last d that never get there.
 */
void maskeval_band_labels(const uint32_t *ids, uint32_t h, uint32_t w, uint32_t d,
                          uint32_t *run, uint8_t *band)
{
    const uint64_t win = 2 * (uint64_t)d + 1;
    /* everything fails until shown to pass */
    memset(band, 1, (size_t)h * w);
    if ((uint64_t)h < win || (uint64_t)w < win) {
        return;
    }
    /* vertical: (r, c) passes iff the run of equal ids through column c
     * covers rows r-d..r+d, i.e. at row r+d the run length is >= 2d+1 and
     * it started at or before r-d: run length at r+d >= win. */
    memset(run, 0, (size_t)w * sizeof(uint32_t));
    for (uint32_t r = 0; r < h; r++) {
        const uint32_t *row = ids + (size_t)r * w;
        const uint32_t *up = r ? row - w : NULL;
        for (uint32_t c = 0; c < w; c++) {
            run[c] = (up != NULL && up[c] == row[c]) ? run[c] + 1 : 1;
            if (run[c] >= win) {
                band[(size_t)(r - d) * w + c] = 0; /* V holds at (r-d, c) */
            }
        }
    }
    /* horizontal: per row, (r, c) survives iff (r, c-d..c+d) all pass V and
     * share the id; band = not survived. Survival is written into a lagged
     * position, so band[] must hold V until read: read V at column c before
     * writing the survivor at column c - d (c - d < c, already read). */
    for (uint32_t r = 0; r < h; r++) {
        const uint32_t *row = ids + (size_t)r * w;
        uint8_t *b = band + (size_t)r * w;
        uint32_t len = 0;
        for (uint32_t c = 0; c < w; c++) {
            const int pass_v = b[c] == 0;
            len = pass_v && (c > 0 && len > 0 && row[c - 1] == row[c]) ? len + 1 : (pass_v ? 1 : 0);
            b[c] = 1; /* provisional: fails unless a later column shows it survives */
            if (len >= win) {
                b[c - d] = 0;
            }
        }
    }
}

/* Binary masks, column-major (RLE order): same passes with the roles of
 * rows and columns exchanged; the background (0) never matters, only mask
 * pixels can be band. */
void maskeval_band_mask_colmajor(const uint8_t *m, uint32_t h, uint32_t w, uint32_t d,
                                 uint32_t *run, uint8_t *band)
{
    const uint64_t win = 2 * (uint64_t)d + 1;
    const size_t n = (size_t)h * w;
    memcpy(band, m, n);
    if ((uint64_t)h < win || (uint64_t)w < win) {
        return;
    }
    /* pass 1, along each column (contiguous): vertical run of mask pixels;
     * band holds 2 for "mask pixel passing V" */
    for (uint32_t c = 0; c < w; c++) {
        const uint8_t *col = m + (size_t)c * h;
        uint8_t *b = band + (size_t)c * h;
        uint32_t len = 0;
        for (uint32_t r = 0; r < h; r++) {
            len = col[r] ? len + 1 : 0;
            if (len >= win) {
                b[r - d] = 2;
            }
        }
    }
    /* pass 2, across columns: per row, the run of V-passing pixels */
    memset(run, 0, (size_t)h * sizeof(uint32_t));
    for (uint32_t c = 0; c < w; c++) {
        uint8_t *b = band + (size_t)c * h;
        for (uint32_t r = 0; r < h; r++) {
            run[r] = b[r] == 2 ? run[r] + 1 : 0;
            if (b[r] == 2) {
                b[r] = 1; /* provisional band */
            }
            if (run[r] >= win) {
                band[(size_t)(c - d) * h + r] = 0; /* survives: not band */
            }
        }
    }
}
