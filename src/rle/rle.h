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

#include "core/ctx.h"
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

/*
 * The same, fed one count at a time. Column and row of a position come from
 * the start of its column (cs), kept up to date as counts arrive, so a count
 * costs a compare in the common case and a division only when a run jumps
 * over more than one column. The box's columns come from the first and the
 * last set pixel (two divisions per mask); its rows from the set runs, unless
 * one of them crosses into the next column (then every row is covered).
 */
typedef struct maskeval_rle_acc {
    uint32_t h, w;
    uint64_t pos;         /* position after the counts seen so far */
    uint64_t cs;          /* first position of the column holding pos (h > 0) */
    uint64_t first, last; /* first and last set pixel (when runs > 0) */
    uint32_t ys, ye;      /* row range of the set runs that stay in a column */
    int cross;            /* a set run spans two columns */
    uint32_t area, runs;
    uint64_t total;
    size_t n;
} maskeval_rle_acc;

static inline void maskeval_rle_acc_init(maskeval_rle_acc *s, uint32_t h, uint32_t w)
{
    memset(s, 0, sizeof(*s));
    s->h = h;
    s->w = w;
    s->ys = h;
}

static inline void maskeval_rle_acc_count(maskeval_rle_acc *s, uint32_t c)
{
    const uint64_t h = s->h;
    uint64_t d;
    s->total += c;
    if (s->n++ & 1) {
        s->area += c;
        if (c != 0 && h != 0) {
            const uint64_t r0 = s->pos - s->cs, r1 = r0 + c - 1;
            if (s->runs++ == 0) {
                s->first = s->pos;
            }
            s->last = s->pos + c - 1;
            if (r1 >= h) {
                s->cross = 1;
            } else {
                s->ys = r0 < s->ys ? (uint32_t)r0 : s->ys;
                s->ye = r1 > s->ye ? (uint32_t)r1 : s->ye;
            }
        }
    }
    s->pos += c;
    d = s->pos - s->cs;
    if (h != 0 && d >= h) {
        s->cs += d < 2 * h ? h : d - d % h;
    }
}

static inline void maskeval_rle_acc_finish(const maskeval_rle_acc *s, maskeval_rle_stats *st)
{
    uint32_t xs = s->w, xe = 0, ys = s->ys, ye = s->ye;
    st->total = s->total;
    st->area = s->area;
    st->runs = s->runs;
    if (s->n < 2 || s->h == 0) {
        st->box[0] = st->box[1] = st->box[2] = st->box[3] = 0;
        return;
    }
    if (s->runs > 0) {
        const uint64_t c0 = s->first / s->h;
        xs = c0 < s->w ? (uint32_t)c0 : s->w;
        xe = (uint32_t)(s->last / s->h); /* toBbox's uint32 column */
    }
    if (s->cross) {
        ys = 0;
        ye = s->h - 1;
    }
    st->box[0] = xs;
    st->box[2] = (uint32_t)(xe - xs + 1);
    st->box[1] = ys;
    st->box[3] = (uint32_t)(ye - ys + 1);
}

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

/* The same loop with intersect != 0: rleMerge(intersect = 1)'s intersection. */
size_t maskeval_rle_merge2(const uint32_t *a, size_t na, const uint32_t *b, size_t nb,
                           int intersect, uint32_t *out);

/* *acc = merge2(*acc, b), through tmp (both grown as needed; they swap). */
maskeval_status maskeval_rle_merge_into(const maskeval_alloc *a, maskeval_u32vec *acc,
                                        const uint32_t *b, size_t nb, int intersect,
                                        maskeval_u32vec *tmp);

/* Number of pixels set in both masks (which must have the same size). */
uint64_t maskeval_rle_intersection(const uint32_t *a, size_t na, const uint32_t *b, size_t nb);

#endif
