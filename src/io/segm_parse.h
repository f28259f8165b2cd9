/*
 * segm_parse.h - a COCO "segmentation" value (polygon list, uncompressed RLE
 * or compressed RLE) to validated RLE counts.
 */
#ifndef MASKEVAL_IO_SEGM_PARSE_H
#define MASKEVAL_IO_SEGM_PARSE_H

#include <cjson/cJSON.h>

#include "core/ctx.h"

enum {
    MASKEVAL_SEGM_POLY = 1u, /* [[x0,y0,x1,y1,...], ...] */
    MASKEVAL_SEGM_URLE = 2u, /* {"size":[h,w], "counts":[...]} */
    MASKEVAL_SEGM_CRLE = 4u  /* {"size":[h,w], "counts":"..."} */
};

#include "rle/rle.h"

/* Reusable buffers; zero-initialise, free with maskeval_segm_scratch_free. */
typedef struct maskeval_segm_scratch {
    maskeval_u32vec counts;   /* the result (left empty for a compressed string) */
    maskeval_rle_stats stats; /* area, runs, box of the result */
    maskeval_u32vec acc, poly, idx;
} maskeval_segm_scratch;

void maskeval_segm_scratch_free(const maskeval_alloc *a, maskeval_segm_scratch *s);

/*
 * Converts segm for an image of h x w pixels, the way pycocotools' annToRLE
 * does (polygons rasterized one by one and unioned), into s->stats and, for
 * polygons and uncompressed RLE, s->counts. A compressed string is only
 * scanned (validated, measured), never expanded: *str / *str_len point at it
 * (inside segm); otherwise *str is NULL. Forms not in `allowed` are refused.
 * h = w = 0 is an image of unknown size (bbox evaluation of ground truth
 * without height and width): an RLE then has the size it states, as in
 * pycocotools' loadRes, which never compares them.
 * Errors read "<file>: <where>: segmentation...: <what>".
 */
maskeval_status maskeval_segm_parse(maskeval_ctx *ctx, const cJSON *segm, uint32_t h, uint32_t w,
                                    unsigned allowed, maskeval_segm_scratch *s, const char *file,
                                    const char *where, const char **str, size_t *str_len);

#endif
