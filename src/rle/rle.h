/*
 * rle.h - COCO run-length masks: operations on uint32 count arrays and the
 * compressed-string codec (rle_string.c).
 *
 * A mask of h x w pixels is flattened column-major and stored as alternating
 * runs of 0s and 1s, starting with a (possibly empty) 0-run. Counts are what
 * pycocotools stores: uint32, possibly non-canonical (zero-length runs) when a
 * user supplied them.
 */
#ifndef MASKEVAL_RLE_RLE_H
#define MASKEVAL_RLE_RLE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "maskeval.h"

/* Why a compressed string failed to decode. */
typedef enum maskeval_rle_strerr {
    MASKEVAL_RLE_STR_OK = 0,
    MASKEVAL_RLE_STR_BAD_CHAR,   /* a character outside '0'..'o' */
    MASKEVAL_RLE_STR_TRUNCATED,  /* the last character has the continuation bit */
    MASKEVAL_RLE_STR_TOO_LONG,   /* a value spans more than 7 characters */
    MASKEVAL_RLE_STR_NEGATIVE,   /* a decoded count is negative */
    MASKEVAL_RLE_STR_OVERFLOW    /* a decoded count is >= 2^32 */
} maskeval_rle_strerr;

/*
 * Decodes a compressed counts string of length len into counts (capacity
 * len is always enough). Returns the number of counts through *n. On failure
 * *where is the byte offset of the offending value and *index its count index.
 */
maskeval_rle_strerr maskeval_rle_str_decode(const char *s, size_t len, uint32_t *counts,
                                            size_t *n, size_t *where, size_t *index);
const char *maskeval_rle_strerr_text(maskeval_rle_strerr e);

/* The foreground runs of a (validated) string as [start, end) pixel index
 * pairs into iv (2 * runs entries); returns the number of runs. */
size_t maskeval_rle_str_intervals(const char *s, size_t len, uint32_t *iv);

/* Bytes maskeval_rle_str_encode needs for n counts (without the NUL). */
size_t maskeval_rle_str_bound(size_t n);
/* Encodes counts; returns the string length. out must hold str_bound(n) bytes. */
size_t maskeval_rle_str_encode(const uint32_t *counts, size_t n, char *out);

/* Sum of all counts (64-bit, to validate it against h*w). */
uint64_t maskeval_rle_total(const uint32_t *counts, size_t n);

/* What loading needs to know about a mask, gathered in one pass. */
typedef struct maskeval_rle_stats {
    uint64_t total; /* sum of the counts (must equal h*w) */
    uint32_t area;  /* pixels set (uint32 sum, as pycocotools' rleArea) */
    uint32_t runs;  /* non-empty runs of set pixels */
    double box[4];  /* pycocotools' toBbox, uint32 wrap-around included */
} maskeval_rle_stats;

void maskeval_rle_stats_of(const uint32_t *counts, size_t n, uint32_t h, uint32_t w,
                           maskeval_rle_stats *st);

/* The same, fed one count at a time. */
typedef struct maskeval_rle_acc {
    uint32_t h;
    uint64_t col, row; /* of the position after the counts seen so far */
    uint32_t xs, ys, xe, ye;
    uint32_t area, runs;
    uint64_t total;
    size_t n;
} maskeval_rle_acc;

static inline void maskeval_rle_acc_init(maskeval_rle_acc *s, uint32_t h, uint32_t w)
{
    memset(s, 0, sizeof(*s));
    s->h = h;
    s->xs = w;
    s->ys = h;
}

/* Adds c to a (col, row) position. */
static inline void maskeval_rle_advance(uint32_t h, uint64_t *col, uint64_t *row, uint64_t c)
{
    *row += c;
    if (*row >= h) {
        if (*row < 2 * (uint64_t)h) {
            *row -= h;
            *col += 1;
        } else {
            *col += *row / h;
            *row %= h;
        }
    }
}

static inline void maskeval_rle_acc_count(maskeval_rle_acc *s, uint32_t c)
{
    const int one = s->n & 1;
    s->n++;
    s->total += c;
    if (!one || c == 0 || s->h == 0) {
        if (one) {
            s->area += c;
        }
        if (s->h != 0) {
            maskeval_rle_advance(s->h, &s->col, &s->row, c);
        }
        return;
    }
    {
        uint64_t c0 = s->col, r0 = s->row, c1 = s->col, r1 = s->row;
        maskeval_rle_advance(s->h, &c1, &r1, (uint64_t)c - 1);
        s->area += c;
        s->runs++;
        if (c0 < s->xs) {
            s->xs = (uint32_t)c0;
        }
        if (c1 > s->xe) {
            s->xe = (uint32_t)c1;
        }
        if (c0 < c1) {
            s->ys = 0;
            s->ye = s->h - 1;
        } else {
            if (r0 < s->ys) {
                s->ys = (uint32_t)r0;
            }
            if (r1 > s->ye) {
                s->ye = (uint32_t)r1;
            }
        }
        maskeval_rle_advance(s->h, &s->col, &s->row, c);
    }
}

void maskeval_rle_acc_finish(const maskeval_rle_acc *s, maskeval_rle_stats *st);

/* Decodes a compressed string only far enough to fill st (no counts array);
 * errors as maskeval_rle_str_decode. */
maskeval_rle_strerr maskeval_rle_str_scan(const char *s, size_t len, uint32_t h, uint32_t w,
                                          maskeval_rle_stats *st, size_t *where, size_t *index);

/*
 * Union of two masks of the same size exactly as pycocotools' rleMerge does
 * it (its output, like its input, may keep a leading empty run). out must
 * hold na + nb + 1 counts; returns the number written.
 */
size_t maskeval_rle_union(const uint32_t *a, size_t na, const uint32_t *b, size_t nb,
                          uint32_t *out);

/* Number of pixels set in both masks (which must have the same size). */
uint64_t maskeval_rle_intersection(const uint32_t *a, size_t na, const uint32_t *b, size_t nb);

#endif
