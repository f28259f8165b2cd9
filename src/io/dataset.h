/*
 * dataset.h - the compact, struct-of-arrays form of COCO ground truth and
 * results that loading produces (the cJSON trees are freed after loading).
 */
#ifndef MASKEVAL_IO_DATASET_H
#define MASKEVAL_IO_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "core/ctx.h"

/*
 * Masks of a set of objects, each kept as its compressed RLE string (about a
 * quarter of the memory of decoded counts) plus what evaluation needs without
 * decoding: the pixel area, the number of runs and pycocotools' toBbox box.
 * All masks have the size of their image. An object without a mask has
 * len 0. Strings live in `pool` - usually the input file's own buffer, each
 * string written over the text of its JSON element - or, when a string does
 * not fit there, in `extra` (offset bit 63 set).
 */
#define MASKEVAL_MASK_EXTRA ((uint64_t)1 << 63)

typedef struct maskeval_maskset {
    char *pool;           /* owned */
    char *extra;          /* owned */
    size_t extra_len;
    uint64_t *off;        /* [n] where each string starts */
    uint32_t *len;        /* [n] string length (0: no mask) */
    uint32_t *area;       /* [n] pixel count (uint32, as pycocotools) */
    uint32_t *runs;       /* [n] number of non-empty foreground runs */
    double *box;          /* [4n] toBbox of the mask */
} maskeval_maskset;

/* A growable byte buffer for strings that do not fit in place. */
typedef struct maskeval_bytevec {
    char *v;
    size_t n, cap;
} maskeval_bytevec;

struct maskeval_gt {
    maskeval_alloc alloc;
    unsigned flags;          /* MASKEVAL_LOAD_* the file was loaded with */
    uint64_t digest;         /* maskeval_digest_blocks of the file's bytes */
    /* images, sorted by id, one entry per distinct id (the last in the file wins) */
    size_t n_img;
    int64_t *img_id;
    uint32_t *img_h, *img_w;
    uint32_t *img_first;     /* index in "images" of each id's first entry (file order) */
    /* categories, sorted by id, deduplicated the same way */
    size_t n_cat;
    int64_t *cat_id;
    uint32_t *cat_name_off;  /* into names */
    char *names;
    /* annotations, in file order */
    size_t n_ann;
    int64_t *ann_id;
    int32_t *ann_img;        /* index into images, -1: image not in "images" */
    int64_t *ann_cat_id;
    uint8_t *ann_crowd;
    double *ann_area;        /* the JSON "area" (pycocotools never recomputes it) */
    double *ann_bbox;        /* [4n] with MASKEVAL_LOAD_BBOX */
    int32_t *ann_alias;      /* the last annotation with the same id (pycocotools'
                                anns dict keeps only that one) */
    size_t n_dup_ids;        /* annotations whose id an earlier one also has */
    maskeval_maskset masks;  /* with MASKEVAL_LOAD_SEGM (empty for orphans) */
    /* MASKEVAL_LOAD_LVIS (io/lvis_fields.c): per image its neg_category_ids
     * and not_exhaustive_category_ids, sorted, as offsets into one array
     * each; per category its frequency (0 r, 1 c, 2 f); per annotation its
     * "ignore" (ann_crowd is then all 0: lvis-api never reads iscrowd) */
    uint32_t *img_neg_off, *img_nel_off; /* [n_img + 1] */
    int64_t *img_neg, *img_nel;
    uint8_t *cat_freq;
    uint8_t *ann_ignore;
    /* MASKEVAL_LOAD_KEYPOINTS: n_kpt keypoints (x, y, v) per annotation,
     * [3 n_kpt n_ann]; ann_ignore then holds pycocotools' keypoint ignore */
    size_t n_kpt;
    double *ann_kpt;
};

struct maskeval_dets {
    maskeval_alloc alloc;
    const maskeval_gt *gt;   /* what the results were checked against */
    unsigned flags;
    int bbox_branch;         /* loadRes took the bbox branch (area = w*h) */
    size_t n;
    int32_t *img;            /* index into gt images (always valid) */
    int64_t *cat_id;
    double *score;
    double *area;            /* w*h (bbox branch) or the mask area */
    double *bbox;            /* [4n] the result's box, or toBbox of its mask */
    maskeval_maskset masks;  /* with MASKEVAL_LOAD_SEGM */
    double *kpt;             /* with MASKEVAL_LOAD_KEYPOINTS: [3 gt->n_kpt n] */
    uint8_t *keep_fixed;     /* LVIS Fixed AP / AP-pool in passes: whether each detection
                                is among its category's top over the whole file (NULL:
                                ranked among these detections) */
};

/* Loads buf (owned from here on: a JSON array of some of a results file's
 * elements, the file's first element first, which decides loadRes' branch)
 * naming element i as "result index_map[i]". (results_load.c) */
maskeval_status maskeval_dets_load_subset(maskeval_ctx *ctx, const maskeval_gt *gt,
                                          const char *name, char *buf, size_t len,
                                          const uint64_t *index_map, maskeval_dets **out);

/* An id and its position in the input; sorted by id, then position. */
typedef struct maskeval_id_index {
    int64_t id;
    uint32_t index;
} maskeval_id_index;
int maskeval_id_index_cmp(const void *pa, const void *pb);

/* pycocotools looks annotations up by id in a dict, so the last one with an
 * id wins: fills gt->ann_alias and gt->n_dup_ids from gt->ann_id. */
maskeval_status maskeval_gt_resolve_duplicate_ids(maskeval_ctx *ctx, maskeval_gt *gt);

/* Index of image id in gt (binary search), or -1. */
int32_t maskeval_gt_find_image(const maskeval_gt *gt, int64_t id);

/* Allocates per-object arrays of a mask set for n objects (zeroed). */
maskeval_status maskeval_maskset_init(const maskeval_alloc *a, maskeval_maskset *ms, size_t n);
void maskeval_maskset_free(const maskeval_alloc *a, maskeval_maskset *ms);

/*
 * Stores mask i: area, runs and box from stats; its string is str (the
 * compressed string given in the input) or, if str is NULL, the encoding of
 * counts. The string goes to slot (inside the future pool, at most
 * slot_cap bytes, offset = slot - pool_base) when it fits, else to side with
 * MASKEVAL_MASK_EXTRA and an offset local to side. Safe to call from several
 * threads for different i, slots and sides.
 */
struct maskeval_rle_stats;
maskeval_status maskeval_maskset_store(const maskeval_alloc *a, maskeval_maskset *ms, size_t i,
                                       const struct maskeval_rle_stats *stats,
                                       const uint32_t *counts, size_t n, const char *str,
                                       size_t str_len, char *slot, size_t slot_cap,
                                       const char *pool_base, maskeval_bytevec *side);

/*
 * After stores from several tasks (task t stored masks [first[t], first[t+1])
 * with side buffer sides[t]): concatenates the side buffers into ms->extra,
 * fixes those offsets, frees the sides (also on failure) and adopts pool
 * (may be NULL; owned by ms from then on, also on failure).
 */
maskeval_status maskeval_maskset_finish(const maskeval_alloc *a, maskeval_maskset *ms, char *pool,
                                        const size_t *first, maskeval_bytevec *sides,
                                        size_t ntasks);

/* The string of mask i. */
static inline const char *maskeval_maskset_str(const maskeval_maskset *ms, size_t i)
{
    uint64_t o = ms->off[i];
    return (o & MASKEVAL_MASK_EXTRA) ? ms->extra + (o & ~MASKEVAL_MASK_EXTRA) : ms->pool + o;
}

/* Decodes mask i into dst, which must hold ms->len[i] counts (a string of
 * L characters never has more than L counts); returns the count. */
size_t maskeval_maskset_decode_raw(const maskeval_maskset *ms, size_t i, uint32_t *dst);
/* Decodes mask i into out (replacing its contents). */
maskeval_status maskeval_maskset_decode(const maskeval_alloc *a, const maskeval_maskset *ms,
                                        size_t i, maskeval_u32vec *out);

#endif
