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
    uint8_t *fg;     /* w*h bytes, row-major, 1 where Pillow's "L" is nonzero */
    uint64_t count;  /* foreground pixels */
} maskeval_luma_mask;

/*
 * Decodes path and keeps, per pixel, whether Pillow's "L" conversion of it
 * is nonzero. Pillow's rules (checked against Pillow 13):
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

void maskeval_luma_mask_free(const maskeval_alloc *a, maskeval_luma_mask *m);

#endif
