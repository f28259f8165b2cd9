/*
 * png_luma.h - a PNG as the foreground mask that cityscapesScripts' instance
 * evaluation sees: Pillow's convert("L"), then nonzero = foreground.
 */
#ifndef MASKEVAL_IO_PNG_LUMA_H
#define MASKEVAL_IO_PNG_LUMA_H

#include <stddef.h>
#include <stdint.h>

#include "core/ctx.h"

typedef struct maskeval_luma_mask {
    uint32_t w, h;
    /* the foreground as runs: runs[2k] .. runs[2k + 1] - 1 are the row-major
     * pixel offsets of run k; increasing, one row each, never empty */
    uint64_t *runs;
    size_t n_runs, cap_runs;
    uint64_t count; /* foreground pixels */
} maskeval_luma_mask;

/*
 * Decodes path and keeps the pixels where Pillow's "L" conversion of it is
 * nonzero. Pillow's rules (checked against Pillow 13):
 *   gray 1/2/4/8/16-bit: the sample is nonzero (16-bit "I;16" clips to 255);
 *   gray+alpha: the gray sample (16-bit: its high byte, Pillow opens it RGBA);
 *   RGB, RGBA (8/16-bit; 16-bit keeps the high byte):
 *       (R*19595 + G*38470 + B*7471 + 0x8000) >> 16 is nonzero, alpha ignored;
 *   palette: the same of the palette colour; indices past PLTE are black.
 * tRNS and gamma never change a value. Errors name the file in err and
 * return MASKEVAL_ERR_IO / _PARSE / _LIMIT / _NOMEM. max_pixels as in
 * png_labels.h (0: the default).
 */
maskeval_status maskeval_png_read_luma_mask(const maskeval_alloc *a, const char *path,
                                            uint64_t max_pixels, maskeval_luma_mask *out,
                                            char *err, size_t errcap);
/* The same for a file in memory (path names it in messages). Clean 8-bit
 * gray, RGB and RGBA files are inflated whole by libdeflate and scanned row
 * by row (png_ids.c's rows); everything else, and every file that path
 * refuses, goes through libspng (maskeval_png_decode_luma_mask_spng), which
 * words the errors. */
maskeval_status maskeval_png_decode_luma_mask(const maskeval_alloc *a, const char *path,
                                              uint64_t max_pixels, const void *data, size_t len,
                                              maskeval_luma_mask *out, char *err,
                                              size_t errcap);
/* The libspng path alone, for every file (tests compare the two). */
maskeval_status maskeval_png_decode_luma_mask_spng(const maskeval_alloc *a, const char *path,
                                                   uint64_t max_pixels, const void *data,
                                                   size_t len, maskeval_luma_mask *out,
                                                   char *err, size_t errcap);

void maskeval_luma_mask_free(const maskeval_alloc *a, maskeval_luma_mask *m);

#endif
