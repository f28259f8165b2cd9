/*
 * backend.h - where the heavy, data-parallel stages run: the CPU path or
 * OpenCL. Both produce identical integer counts; every division and
 * threshold comparison stays on the host in double.
 */
#ifndef MASKEVAL_BACKEND_BACKEND_H
#define MASKEVAL_BACKEND_BACKEND_H

#include "core/ctx.h"

#include "io/dataset.h"

struct maskeval_cm;
struct maskeval_labels;

typedef struct maskeval_backend_state maskeval_backend_state;

/* One pair of masks to intersect: a mask of dt_masks and one of gt_masks,
 * both of the size of image img. */
typedef struct maskeval_mask_pair {
    uint32_t dt, gt;  /* indices into dt_masks and gt_masks */
    uint32_t img;     /* index into img_h / img_w / img_id */
} maskeval_mask_pair;

/* The primitive's input: pairs (consecutive pairs tend to share their
 * detection) and the mask sets and image sizes they refer to. */
typedef struct maskeval_pair_set {
    const maskeval_maskset *dt_masks, *gt_masks;
    size_t n_dt_masks, n_gt_masks;
    const maskeval_mask_pair *pairs;
    size_t n_pairs;
    const uint32_t *img_h, *img_w;
    const int64_t *img_id;  /* for messages */
} maskeval_pair_set;

/* Pair p's window: the column-major pixel indices [*lo, *hi) of the columns
 * both masks' boxes cover (boxes hold uint32 values), clamped to the image;
 * a mask is empty outside its box, so no common pixel lies outside it.
 * *lo == *hi when the boxes share no column. */
static inline void maskeval_pair_window(const maskeval_pair_set *ps, size_t p, uint64_t *lo,
                                        uint64_t *hi)
{
    const maskeval_mask_pair *pr = &ps->pairs[p];
    const double *db = ps->dt_masks->box + 4 * (size_t)pr->dt;
    const double *gb = ps->gt_masks->box + 4 * (size_t)pr->gt;
    const uint64_t h = ps->img_h[pr->img], total = h * ps->img_w[pr->img];
    const double c0 = db[0] > gb[0] ? db[0] : gb[0];
    const double c1 = (db[0] + db[2]) < (gb[0] + gb[2]) ? db[0] + db[2] : gb[0] + gb[2];
    const uint64_t l = (uint64_t)c0 * h, e = c1 > c0 ? (uint64_t)c1 * h : l;
    *lo = l < total ? l : total;
    *hi = e < total ? e : total;
}

/* Panoptic quality: one image's two segment-id maps and the id tables to
 * count them against. */
typedef struct maskeval_seg_maps {
    const uint32_t *gt, *pred;          /* npix ids each, the same pixel order */
    size_t npix;                        /* < 2^32 */
    const uint32_t *gt_ids, *pred_ids;  /* sorted, distinct */
    uint32_t n_gt_ids, n_pred_ids;
    /* out: (n_gt_ids + 1) x (n_pred_ids + 1) pixel counts, row-major, of
     * (gt table index, pred table index); index n_gt_ids (n_pred_ids) counts
     * the ids missing from the table */
    uint32_t *counts;
} maskeval_seg_maps;

/* The primitives a backend provides. They know nothing of COCO plans or
 * semantic accumulators. */
typedef struct maskeval_backend_ops {
    const char *name;
    /* inter[p] = foreground pixels common to both masks of pair p. */
    maskeval_status (*intersect)(maskeval_ctx *ctx, maskeval_backend_state *be,
                                 const maskeval_pair_set *ps, uint64_t *inter);
    /* Boundary AP: inter[p] = pixels common to the boundary bands (see
     * raster/band.h; d from the pair's image size and ratio) of pair p's
     * masks, and dt_area / gt_area the band areas of every mask in some pair
     * (the others are left as they are). */
    maskeval_status (*band_intersect)(maskeval_ctx *ctx, maskeval_backend_state *be,
                                      const maskeval_pair_set *ps, double ratio, uint64_t *inter,
                                      uint32_t *dt_area, uint32_t *gt_area);
    /* Panoptic quality: the joint histogram of each item's two maps. */
    maskeval_status (*segment_pairs)(maskeval_ctx *ctx, maskeval_backend_state *be,
                                     const maskeval_seg_maps *items, size_t n_items);
    /* Adds the confusion counts of label-map pairs (same label width and
     * lookup tables) to cm. */
    maskeval_status (*confusion)(maskeval_ctx *ctx, maskeval_backend_state *be,
                                 struct maskeval_cm *cm, const struct maskeval_labels *items,
                                 size_t n_items);
    void (*close)(maskeval_ctx *ctx, maskeval_backend_state *be);
} maskeval_backend_ops;

struct maskeval_backend_state {
    const maskeval_backend_ops *ops;
    void *impl;
    char desc[640];
};

/* The context's backend, opened on first use according to its options.
 * With MASKEVAL_BACKEND_AUTO the first stage decides, by the device profile
 * and its workload (cost_model.h: units of kind `work`); a stage of unknown
 * workload (maskeval_backend_get) gets the CPU path unless a device is open. */
maskeval_status maskeval_backend_get_for(maskeval_ctx *ctx, int work, double units,
                                         maskeval_backend_state **out);
maskeval_status maskeval_backend_get(maskeval_ctx *ctx, maskeval_backend_state **out);
/* Whether the next maskeval_backend_get_for decides by the workload (auto,
 * nothing open or opening yet). */
int maskeval_backend_undecided(const maskeval_ctx *ctx);
void maskeval_backend_close(maskeval_ctx *ctx);

/* Confusion counts with the context's backend. */
maskeval_status maskeval_backend_confusion(maskeval_ctx *ctx, struct maskeval_cm *cm,
                                           const struct maskeval_labels *items, size_t n_items);

extern const maskeval_backend_ops maskeval_backend_cpu_ops;

#endif
