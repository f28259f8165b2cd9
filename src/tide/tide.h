/*
 * tide.h - internals of the TIDE error analysis (tidecv 1.0.1): the
 * per-image layout, the matching and error rules, and TIDE's AP objects.
 *
 *   tide_layout.c  images in file order, their detections (score-sorted,
 *                  capped) and ground truth, dense class indices
 *   tide_ious.c    the cross-category IoU matrices (boxes, or masks through
 *                  the backend's intersect primitive)
 *   tide_match.c   greedy matching at one threshold, ignore regions, the
 *                  error type of every non-TP detection
 *   tide_ap.c      TIDE's AP objects: pushes, fixes, the 101-point AP, mAP
 *   tide.c         the driver behind maskeval_tide_evaluate
 */
#ifndef MASKEVAL_TIDE_TIDE_H
#define MASKEVAL_TIDE_TIDE_H

#include <stddef.h>
#include <stdint.h>

#include "core/ctx.h"
#include "io/dataset.h"

/* One image, in the order of the ground truth's "images" array. */
typedef struct tide_image {
    uint32_t img;            /* index into gt images */
    uint32_t n_dt_all;       /* detections before the cap (0: the no-prediction branch) */
    size_t dt_off, n_dt;     /* slots in tide_data.dt: score-sorted, capped */
    size_t gt_off, n_gt;     /* slots in tide_data.gt: non-crowd GT, file order */
    size_t rg_off, n_rg;     /* slots in tide_data.rg: crowd GT (ignore regions) */
    size_t iou_off;          /* n_dt x n_gt doubles in tide_data.iou */
    size_t rg_iou_off;       /* n_dt x n_rg doubles in tide_data.rg_iou */
} tide_image;

typedef struct tide_data {
    const maskeval_gt *gt;
    const maskeval_dets *dets;
    maskeval_iou_type iou_type;
    size_t n_img;
    tide_image *img;
    size_t n_dt, n_gt, n_rg;      /* slots */
    uint32_t *dt, *gt_ann, *rg;   /* slot -> detection / annotation index */
    int32_t *dt_cls, *gt_cls, *rg_cls; /* slot -> dense class */
    double *dt_score;             /* slot -> score */
    double *iou, *rg_iou;
    size_t n_iou, n_rg_iou;
    size_t n_cls;
    int64_t *cls_id;              /* dense class -> category id (sorted) */
} tide_data;

maskeval_status tide_layout(maskeval_ctx *ctx, const maskeval_gt *gt, const maskeval_dets *dets,
                            maskeval_iou_type type, uint32_t max_dets, tide_data *d);
maskeval_status tide_ious(maskeval_ctx *ctx, tide_data *d);
void tide_data_free(const maskeval_alloc *a, tide_data *d);

/* Detection states after matching (tidecv's pred['used']: False, True, None). */
enum { TIDE_FP = 0, TIDE_TP = 1, TIDE_IGNORED = 2 };
enum { TIDE_NO_ERROR = 0xff };

/* The outcome of matching at one threshold, per slot. */
typedef struct tide_match {
    uint8_t *dt_state;   /* [n_dt] */
    uint8_t *gt_used;    /* [n_gt] */
    uint8_t *err;        /* [n_dt] maskeval_tide_error or TIDE_NO_ERROR (with errors) */
    int32_t *err_gt;     /* [n_dt] target GT slot of Loc and Cls errors */
} tide_match;

maskeval_status tide_match_run(maskeval_ctx *ctx, const tide_data *d, double pos, double bg,
                               int with_errors, tide_match *m);
void tide_match_free(const maskeval_alloc *a, tide_match *m);

/* One error in tidecv's error-list order, frozen (original and fixed point). */
enum { TIDE_FIX_NONE = 0, TIDE_FIX_POINT = 1, TIDE_FIX_MISS = 2 };
typedef struct tide_err {
    uint8_t type;        /* maskeval_tide_error */
    uint8_t has_orig;    /* the detection was not ignored: (cls, score, FP) */
    uint8_t fix;         /* TIDE_FIX_* */
    int32_t cls;         /* the detection's class (the GT's for Miss) */
    int32_t fix_cls;     /* class of the fixed point / of the Miss */
    int32_t gt;          /* target GT slot of Loc and Cls (-1: none) */
    double score;
} tide_err;

/* A ClassedAPDataObject: data points in push order, classes in first-touch order. */
typedef struct tide_obj {
    size_t n, cap;
    int32_t *cls;
    double *score;
    uint8_t *tp;
    size_t n_cls, n_order;
    int32_t *order;      /* touched classes, first touch first */
    uint8_t *touched;    /* [n_cls] */
    int64_t *n_gt;       /* [n_cls] */
} tide_obj;

maskeval_status tide_obj_init(const maskeval_alloc *a, tide_obj *o, size_t n_cls, size_t cap);
void tide_obj_free(const maskeval_alloc *a, tide_obj *o);
void tide_obj_touch(tide_obj *o, int32_t c);
maskeval_status tide_obj_push(const maskeval_alloc *a, tide_obj *o, int32_t c, double score,
                              int tp);
/* get_mAP: NaN where tidecv divides by zero (no non-empty class); *n_classes
 * gets the number of classes averaged. */
maskeval_status tide_obj_map(maskeval_ctx *ctx, const tide_obj *o, double *map,
                             size_t *n_classes);

/* fix_errors: a new object from the frozen errors and the base object's TPs.
 * fix_type: the error type fixed (-1: none); transform: FalsePos's (0, False)
 * / (1, True); fn: subtract each class's unmatched GT (FalseNeg). */
maskeval_status tide_obj_fix(const maskeval_alloc *a, const tide_obj *base, const tide_err *errs,
                             size_t n_errs, int fix_type, int transform, const int64_t *fn,
                             tide_obj *out);

#endif
