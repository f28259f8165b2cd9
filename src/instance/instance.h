/*
 * instance.h - internals of instance (COCO) evaluation: resolved parameters, the plan of
 * (image, category) cells, and the stages evaluate -> match -> accumulate ->
 * summarize, each in its own file.
 */
#ifndef MASKEVAL_INSTANCE_INSTANCE_H
#define MASKEVAL_INSTANCE_INSTANCE_H

#include <stddef.h>
#include <stdint.h>

#include "core/ctx.h"
#include "core/npcompat.h"
#include "io/dataset.h"

#define MASKEVAL_N_AREAS 4
#define MASKEVAL_N_STATS 12
#define MASKEVAL_LVIS_N_STATS 13

/* pycocotools Params after evaluate() normalised them. */
typedef struct maskeval_eparams {
    maskeval_iou_type iou_type;
    int use_cats;
    size_t T, R, M;
    double *iou_thrs;            /* [T] */
    double *rec_thrs;            /* [R] */
    int64_t *max_dets;           /* [M], sorted */
    double area_rng[MASKEVAL_N_AREAS][2];
    size_t I;
    int64_t *img_ids;            /* [I] sorted, unique */
    size_t n_cats;
    int64_t *cats;               /* the categories evaluated: sorted and unique, except
                                    that with use_cats = 0 a caller's list keeps its order */
    size_t K;                    /* n_cats, or 1 with use_cats = 0 */
    int64_t *k_ids;              /* [K]: cats, or {-1} */
    int keep_matches;            /* records keep match identities (not encoded) */
    /* LVIS (params.lvis): M = 1 with max_dets {2^32-1} (no per-cell cap),
     * the per-image cap at load, each K index's frequency (0 r, 1 c, 2 f) */
    int lvis;
    int64_t lvis_max_dets;
    int lvis_ap;                 /* MASKEVAL_LVIS_AP_* */
    int64_t lvis_dets_per_cat;   /* FIXED / POOLED: top detections per category */
    uint8_t *k_freq;             /* [K] with lvis, else NULL */
    double dilation_ratio;       /* > 0: Boundary AP (segm only) */
    /* iou_type KEYPOINTS: the OKS sigmas, and the exponential (not encoded
     * in partials: matching has used it by then) */
    size_t n_kpt;
    double *kpt_sigmas;          /* [n_kpt] */
    void (*oks_exp)(void *user, double *x, size_t n);
    void *oks_exp_user;
} maskeval_eparams;

/* Builds eparams from the caller's params (NULL = defaults) and gt. */
maskeval_status maskeval_eparams_resolve(maskeval_ctx *ctx, const maskeval_coco_params *p,
                                         const maskeval_gt *gt, maskeval_eparams *ep);
void maskeval_eparams_free(const maskeval_alloc *a, maskeval_eparams *ep);

/*
 * One (image, category) group with at least one ground truth or detection,
 * i.e. one non-None evaluateImg() result (per area range).
 */
typedef struct maskeval_cell {
    uint32_t img;      /* eval image index */
    uint32_t k;        /* K-axis index */
    uint32_t gt_off;   /* into plan.gt_items */
    uint32_t n_gt;
    uint32_t dt_off;   /* into plan.dt_items */
    uint32_t n_dt;     /* after truncation to maxDets[-1] */
    uint64_t iou_off;  /* into plan.ious: [n_dt][n_gt] */
    uint64_t st_off;   /* into plan.status: [n_dt][A][T] */
    uint8_t not_exhaustive; /* LVIS: the category is in the image's
                               not_exhaustive_category_ids (unmatched
                               detections are ignored) */
} maskeval_cell;

typedef struct maskeval_plan {
    maskeval_eparams ep;
    const maskeval_gt *gt;
    const maskeval_dets *dets;
    size_t n_cells;
    maskeval_cell *cells;        /* ordered by (img, k) */
    size_t *img_cells;           /* [I+1]: cells of image i */
    uint32_t *gt_items;          /* GT annotation indices, pycocotools' group order */
    uint32_t *dt_items;          /* detection indices, descending score (stable) */
    size_t n_gt_items, n_dt_items, n_dt_loaded;
    double *ious;                /* all cells' IoU matrices */
    uint64_t n_ious;
    /* matching output, per cell and area range */
    uint8_t *status;             /* per cell [n_dt][A][T] (MASKEVAL_DT_*) */
    uint64_t n_status;
    uint32_t *npig;              /* [n_cells][A]: non-ignored GT count */
    /* optional (keep_matches): per status entry the matched GT id (0: none,
     * as pycocotools' dtMatches) and the IoU of that match (0: none) */
    int64_t *match_gt;
    double *match_iou;
} maskeval_plan;

enum { MASKEVAL_DT_FP = 0, MASKEVAL_DT_TP = 1, MASKEVAL_DT_IGNORED = 2 };

/* Plans the cells of the images at positions p of ep.img_ids with
 * p % shard_count == shard_index (shard_count = 1: every image). */
maskeval_status maskeval_plan_build(maskeval_ctx *ctx, const maskeval_gt *gt,
                                    const maskeval_dets *dets, uint32_t shard_index,
                                    uint32_t shard_count, maskeval_plan *plan);
void maskeval_plan_free(const maskeval_alloc *a, maskeval_plan *plan);

/* A detection's place in Fixed AP's per-category ranking. */
typedef struct maskeval_cat_rank {
    int64_t cat;
    double score;
    uint64_t pos;                /* its position among the detections (file order) */
} maskeval_cat_rank;

/* Sorts v by category, descending score, then position, and sets
 * keep[v[i].pos] to whether it is among its category's first cap: Fixed AP
 * and AP-pool's top detections per category. (plan.c) */
void maskeval_rank_top_per_cat(maskeval_cat_rank *v, size_t n, int64_t cap, uint8_t *keep);

/* A detection's area for area ranges: the results' (w*h or the mask's), or
 * for LVIS Fixed AP / AP-pool in segm mode always the mask's (Dave et al.'s
 * scripts drop the results' boxes). (plan.c) */
double maskeval_plan_dt_area(const maskeval_plan *plan, size_t j);

/* Fills plan->ious with pycocotools' computeOks for iou_type KEYPOINTS.
 * (oks_stage.c) */
maskeval_status maskeval_plan_oks(maskeval_ctx *ctx, maskeval_plan *plan);

/* The smallest IoU evaluateImg can match at threshold t: min(t, 1 - 1e-10)
 * (match.c; ious.c leaves out the bands no match can see). */
static inline double maskeval_match_floor(double t)
{
    return t < 1 - 1e-10 ? t : 1 - 1e-10;
}

/* Fills plan->ious with the backend the context uses. (backend/) */
maskeval_status maskeval_plan_ious(maskeval_ctx *ctx, maskeval_plan *plan);

/* The boundary bands of n masks as column-major pixel intervals: mask i's
 * len[i] intervals (0: none; [start, end), sorted, disjoint, non-empty)
 * are the uint32 pairs from off[i] in buf[i / MASKEVAL_BAND_TASK] (one
 * buffer per task of the parallel loop). (bands.c) */
enum { MASKEVAL_BAND_TASK = 256 };
typedef struct maskeval_bandset {
    size_t n, ntasks;
    uint64_t *off;
    uint32_t *len, *area; /* area: band pixels, uint32 as pycocotools' area */
    maskeval_u32vec *buf;
} maskeval_bandset;

static inline const uint32_t *maskeval_bandset_runs(const maskeval_bandset *b, size_t i)
{
    return b->buf[i / MASKEVAL_BAND_TASK].v + b->off[i];
}

/* The band of each of the n masks of src (image img_of[i], whose size is
 * img_h / img_w; -1 or an empty slot: none) at a dilation ratio. */
maskeval_status maskeval_mask_bands(maskeval_ctx *ctx, const maskeval_maskset *src, size_t n,
                                    const int32_t *img_of, const uint32_t *img_h,
                                    const uint32_t *img_w, double ratio, maskeval_bandset *out);
void maskeval_bandset_free(const maskeval_alloc *a, maskeval_bandset *b);

/* evaluateImg's greedy matching for every cell and area range. (match.c) */
maskeval_status maskeval_plan_match(maskeval_ctx *ctx, maskeval_plan *plan);

/*
 * Per-image evaluation records (pycocotools' evalImgs, compact), the state
 * between matching and accumulation, self-contained: a partial evaluation
 * of some of the images, mergeable with partials of the others. (records.c)
 */
typedef struct maskeval_rec_cell {
    uint32_t img;                /* index into ep.img_ids */
    uint32_t k;                  /* K-axis index */
    uint32_t n_dt;               /* detections, descending score, <= maxDets[-1] */
    uint32_t npig[MASKEVAL_N_AREAS]; /* non-ignored GT per area range */
    uint64_t dt_off;             /* into scores; status and matches at dt_off * A * T */
} maskeval_rec_cell;

struct maskeval_coco_partial {
    maskeval_alloc alloc;
    char name[256];              /* for messages: the file it was decoded from */
    maskeval_eparams ep;         /* the whole evaluation's resolved parameters */
    char **cat_names;            /* [K]: the GT's name of k_ids[k], NULL if none */
    uint64_t gt_digest;          /* of the ground-truth file */
    uint64_t params_digest;      /* of the encoded parameters */
    uint8_t *img_held;           /* [I]: 1 where this partial holds image i */
    size_t n_held;
    uint64_t n_gt, n_dt;         /* GT and detections that entered evaluation */
    size_t n_cells;
    maskeval_rec_cell *cells;    /* ordered by (img, k) */
    uint64_t n_dets;
    double *scores;              /* [n_dets] */
    uint8_t *status;             /* [n_dets][A][T] (MASKEVAL_DT_*) */
    int64_t *match_gt;           /* [n_dets][A][T] or NULL */
    double *match_iou;           /* [n_dets][A][T] or NULL */
    double timing[3];            /* group, IoU, match (not encoded) */
};

/* Records from a matched plan; takes ownership of plan->status and the
 * match arrays. shard_* say which images the plan covered. */
maskeval_status maskeval_records_from_plan(maskeval_ctx *ctx, maskeval_plan *plan,
                                           uint32_t shard_index, uint32_t shard_count,
                                           maskeval_coco_partial **out);
/* A partial with a copy of ep, the category names (NULL: none) and its
 * parameters' digest; no images held, no cells. */
maskeval_status maskeval_partial_alloc(maskeval_ctx *ctx, const maskeval_eparams *ep,
                                       const char *const *names, maskeval_coco_partial **out);
/* Digest of the resolved parameters (their encoded form). (partial_codec.c) */
maskeval_status maskeval_eparams_digest(maskeval_ctx *ctx, const maskeval_eparams *ep,
                                        uint64_t *out);
maskeval_status maskeval_eparams_copy(const maskeval_alloc *a, const maskeval_eparams *src,
                                      maskeval_eparams *dst);

/* accumulate(): precision/recall/scores arrays, initialised to -1, from
 * records alone. (accumulate.c) */
maskeval_status maskeval_accumulate(maskeval_ctx *ctx, const maskeval_coco_partial *rec,
                                    double *precision, double *recall, double *scores);
/* AP-pool's accumulate (Dave et al. 2021): the categories of each pool (all,
 * r, c, f) as one, their cells concatenated image-major (record order),
 * into precision [T][R][4][A]. (accumulate.c) */
maskeval_status maskeval_accumulate_pooled(maskeval_ctx *ctx, const maskeval_coco_partial *rec,
                                           double *precision);

struct maskeval_coco_result {
    maskeval_alloc alloc;
    maskeval_eparams ep;
    double *precision, *recall, *scores;
    double stats[MASKEVAL_N_STATS];
    double *cat_ap;              /* [K], NaN where there is nothing to average */
    double *cat_stats;           /* [K][12]: summarize() of each category alone */
    char **cat_names;            /* [K], NULL entries where the GT has no such id */
    size_t n_images, n_gt, n_dt;
    uint64_t gt_digest, params_digest; /* identify the evaluation (as in partials) */
    double timing[4];
    maskeval_numpy_compat numpy_compat; /* how summarize() takes np.mean */
    double lvis_stats[MASKEVAL_LVIS_N_STATS]; /* LVIS: get_results() */
    double *cat_lvis;            /* LVIS: [K][13], each category alone */
    double *pooled_precision;    /* AP-pool: [T][R][4 pools][A] */
    double pooled_ap[4];         /* AP-pool: all, r, c, f */
};

/* summarize(): the 12 stats and per-category AP (and for LVIS its 13
 * results). (summarize.c) */
maskeval_status maskeval_summarize(maskeval_ctx *ctx, maskeval_coco_result *res);
/* np.mean of buf[0..n) the way res->numpy_compat's numpy takes it, or -1
 * when n = 0 (pycocotools' and lvis-api's "no entry > -1"). */
double maskeval_result_mean(const maskeval_coco_result *res, const double *buf, size_t n);
/* lvis-api's summarize() and print_results() lines (lvis_summary.c);
 * the lines' total length, at most cap bytes written (no NUL). */
maskeval_status maskeval_lvis_summarize(maskeval_ctx *ctx, maskeval_coco_result *res);
size_t maskeval_lvis_summary_lines(const maskeval_coco_result *res, char *buf, size_t cap);
/* lvis-api's result keys without the "@N" of the AR ones: AP ... APf, AR, ARs, ARm, ARl */
extern const char *const maskeval_lvis_stat_keys[MASKEVAL_LVIS_N_STATS];

#endif
