/*
 * png_labels.h - PNG label maps to label arrays, the way Pillow + numpy read
 * them (np.array(Image.open(f))), which is what mmsegmentation and
 * cityscapesScripts see.
 */
#ifndef MASKEVAL_IO_PNG_LABELS_H
#define MASKEVAL_IO_PNG_LABELS_H

#include <stddef.h>
#include <stdint.h>

#include "core/ctx.h"

/* Label images larger than this are refused (one batch must hold one). */
#define MASKEVAL_PNG_MAX_PIXELS ((uint64_t)1 << 30)
/* The default bound per image (16384 x 16384), against decompression bombs:
 * a few-kB file can declare a gigapixel image. */
#define MASKEVAL_PNG_DEFAULT_MAX_PIXELS ((uint64_t)1 << 28)

typedef struct maskeval_label_img {
    uint32_t w, h;
    int bytes;      /* 1 (values < 256) or 2 */
    void *data;     /* w*h labels, row-major, allocated with the given allocator */
} maskeval_label_img;

/*
 * Decodes path: 8-bit gray -> values; 16-bit gray -> full 16-bit values;
 * 1/2/4-bit gray scaled like Pillow (2-bit x85, 4-bit x17; 1-bit stays 0/1,
 * as Pillow's mode "1" becomes bool); palette (any depth) -> indices, never
 * colours. RGB, RGBA and gray+alpha are refused. On failure writes a message
 * naming the file into err and returns MASKEVAL_ERR_IO / _PARSE / _UNSUPPORTED.
 */
maskeval_status maskeval_png_read_labels(const maskeval_alloc *a, const char *path,
                                         uint64_t max_pixels, maskeval_label_img *out, char *err,
                                         size_t errcap);

/* The same for a PNG already in memory; path only names it in messages.
 * max_pixels: images with more pixels are refused with MASKEVAL_ERR_LIMIT
 * before anything is decoded (0: MASKEVAL_PNG_DEFAULT_MAX_PIXELS; at most
 * MASKEVAL_PNG_MAX_PIXELS). */
maskeval_status maskeval_png_decode_labels(const maskeval_alloc *a, const char *path,
                                           uint64_t max_pixels, const void *data, size_t len,
                                           maskeval_label_img *out, char *err, size_t errcap);

void maskeval_label_img_free(const maskeval_alloc *a, maskeval_label_img *img);

/* Reads a whole file without a context (safe on worker threads); errors
 * name the file. */
/* Width x height from a PNG's IHDR, reading 24 bytes; 0 when the file
 * cannot be read or is not a PNG (the decoder reports why). For estimates
 * only (--backend auto's workload). */
uint64_t maskeval_png_pixels(const char *path);

maskeval_status maskeval_png_slurp(const maskeval_alloc *a, const char *path, char **buf,
                                   size_t *len, char *err, size_t errcap);
/* The per-image pixel bound (0: the default, capped at MASKEVAL_PNG_MAX_PIXELS),
 * checked before anything is decoded: MASKEVAL_ERR_LIMIT with a message. */
maskeval_status maskeval_png_check_pixels(const char *path, uint32_t width, uint32_t height,
                                          uint64_t max_pixels, char *err, size_t errcap);

/* A COCO panoptic segment map: id = R + 256 G + 65536 B per pixel. */
typedef struct maskeval_id_img {
    uint32_t w, h;
    uint32_t *ids; /* w*h ids, row-major */
} maskeval_id_img;

/*
 * Decodes an 8-bit RGB or RGBA PNG (alpha ignored, as panopticapi uses the
 * first three channels of np.array(Image.open(f))) into segment ids. Gray,
 * palette and 16-bit images are refused with MASKEVAL_ERR_UNSUPPORTED;
 * limits and messages as maskeval_png_decode_labels.
 */
maskeval_status maskeval_png_decode_ids(const maskeval_alloc *a, const char *path,
                                        uint64_t max_pixels, const void *data, size_t len,
                                        maskeval_id_img *out, char *err, size_t errcap);
maskeval_status maskeval_png_read_ids(const maskeval_alloc *a, const char *path,
                                      uint64_t max_pixels, maskeval_id_img *out, char *err,
                                      size_t errcap);
void maskeval_id_img_free(const maskeval_alloc *a, maskeval_id_img *img);
/*
 * The same files row by row, for a caller that needs no id map: the IDAT
 * stream inflated whole, each row unfiltered when asked for. open: 1 ready;
 * 0 the file is anything maskeval_png_decode_ids would not decode on its
 * fast path (another layout, over max_pixels, a stream that does not
 * inflate to the promised size, a bad filter type): decode it that way
 * for its ids or its message; -1 out of memory. next: the next row's
 * w * bpp pixel bytes (R, G, B[, A], or gray), valid until the row after it.
 */
struct libdeflate_decompressor;
typedef struct maskeval_png_rows {
    uint32_t w, h, bpp;
    size_t stride;
    uint8_t *raw;
    size_t raw_cap;
    struct libdeflate_decompressor *dc;
    uint32_t y; /* rows handed out */
} maskeval_png_rows;

int maskeval_png_rows_open(const maskeval_alloc *a, const void *data, size_t len,
                           uint64_t max_pixels, maskeval_png_rows *r);
/* The same for the layouts named in kinds: MASKEVAL_PNG_ROWS_COLOR (8-bit RGB
 * and RGBA, what maskeval_png_rows_open takes), MASKEVAL_PNG_ROWS_GRAY
 * (8-bit gray, bpp 1) and MASKEVAL_PNG_ROWS_GRAY16. */
#define MASKEVAL_PNG_ROWS_COLOR 1u
#define MASKEVAL_PNG_ROWS_GRAY 2u
#define MASKEVAL_PNG_ROWS_GRAY16 4u /* 16-bit gray, bpp 2 (big-endian samples) */
int maskeval_png_rows_open_kinds(const maskeval_alloc *a, const void *data, size_t len,
                                 uint64_t max_pixels, unsigned kinds, maskeval_png_rows *r);
/* The same into r's buffers, kept from an earlier open (r zeroed before the
 * first): for a caller that reads many files. r then holds no file on 0 or
 * -1, and is freed with maskeval_png_rows_free either way. */
int maskeval_png_rows_reopen(const maskeval_alloc *a, const void *data, size_t len,
                             uint64_t max_pixels, unsigned kinds, maskeval_png_rows *r);
const uint8_t *maskeval_png_rows_next(maskeval_png_rows *r);
void maskeval_png_rows_free(const maskeval_alloc *a, maskeval_png_rows *r);
/* The id map of an opened file whose rows were not read yet, as
 * maskeval_png_decode_ids gives it (it is built on this), without inflating
 * the stream again. */
maskeval_status maskeval_png_rows_ids(const maskeval_alloc *a, const char *path,
                                      maskeval_png_rows *r, maskeval_id_img *out, char *err,
                                      size_t errcap);
/* The label image of an opened gray file (8- or 16-bit) whose rows were not
 * read yet, as maskeval_png_decode_labels gives it; the image takes over
 * r's buffer (free it with r's allocator). */
maskeval_status maskeval_png_rows_labels(const char *path, maskeval_png_rows *r,
                                         maskeval_label_img *out, char *err, size_t errcap);
/* maskeval_png_decode_labels through libspng alone (the fast path hands it
 * everything but clean 8- and 16-bit gray; tests compare the two). */
maskeval_status maskeval_png_decode_labels_spng(const maskeval_alloc *a, const char *path,
                                                uint64_t max_pixels, const void *data,
                                                size_t len, maskeval_label_img *out,
                                                char *err, size_t errcap);
/* maskeval_png_decode_ids through libspng: every colour type, depth and
 * interlacing it can read, and the complete checks and messages; the fast
 * path (png_ids.c) hands it everything but clean 8-bit RGB / RGBA. */
maskeval_status maskeval_png_decode_ids_spng(const maskeval_alloc *a, const char *path,
                                             uint64_t max_pixels, const void *data,
                                             size_t len, maskeval_id_img *out, char *err,
                                             size_t errcap);

#endif
