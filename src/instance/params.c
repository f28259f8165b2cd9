/*
 * params.c - pycocotools' Params: the defaults, and the normalisation
 * evaluate() applies (np.unique on image and category ids, sorted maxDets).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/npcompat.h"
#include "core/sort.h"
#include "instance/instance.h"

void maskeval_coco_params_init(maskeval_coco_params *p)
{
    if (p == NULL) {
        return;
    }
    memset(p, 0, sizeof(*p));
    p->struct_size = sizeof(*p);
    p->iou_type = MASKEVAL_IOU_SEGM;
    p->use_cats = 1;
    p->lvis_max_dets = 300;
    p->lvis_dets_per_cat = 10000;
}

static int i64_cmp(const void *pa, const void *pb)
{
    int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;
    return a < b ? -1 : a > b;
}

/* Sorts and removes duplicates; returns the new length. */
static size_t sort_unique(int64_t *v, size_t n)
{
    size_t m = 0;
    qsort(v, n, sizeof(*v), i64_cmp);
    for (size_t i = 0; i < n; i++) {
        if (m == 0 || v[m - 1] != v[i]) {
            v[m++] = v[i];
        }
    }
    return m;
}

void maskeval_eparams_free(const maskeval_alloc *a, maskeval_eparams *ep)
{
    maskeval_free(a, ep->iou_thrs);
    maskeval_free(a, ep->rec_thrs);
    maskeval_free(a, ep->max_dets);
    maskeval_free(a, ep->img_ids);
    maskeval_free(a, ep->cats);
    maskeval_free(a, ep->k_ids);
    maskeval_free(a, ep->k_freq);
    maskeval_free(a, ep->kpt_sigmas);
    memset(ep, 0, sizeof(*ep));
}

static int64_t *copy_ids(const maskeval_alloc *a, const int64_t *src, size_t n)
{
    int64_t *v = maskeval_calloc(a, n, sizeof(int64_t));
    if (v != NULL && n > 0) {
        memcpy(v, src, n * sizeof(int64_t));
    }
    return v;
}

/* Thresholds given verbatim (0 if one is not finite), or the default
 * np.linspace(lo, hi, n). */
static int fill_thresholds(const double *given, size_t n, double lo, double hi, double *out)
{
    if (given == NULL) {
        maskeval_linspace(lo, hi, n, out);
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(given[i])) {
            return 0;
        }
        out[i] = given[i];
    }
    return 1;
}

/* pycocotools' setKpParams sigmas (COCO's 17 person keypoints) */
static const double coco_sigmas[17] = {.26, .25, .25, .35, .35, .79, .79, .72, .72,
                                       .62, .62, 1.07, 1.07, .87, .87, .89, .89};

static maskeval_status resolve_keypoints(maskeval_ctx *ctx, const maskeval_coco_params *p,
                                         const maskeval_gt *gt, maskeval_eparams *ep)
{
    const size_t k = p->kpt_oks_sigmas != NULL ? p->n_kpt_oks_sigmas : 17;
    if (gt == NULL || !(gt->flags & MASKEVAL_LOAD_KEYPOINTS) || p->lvis) {
        return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                             "keypoint evaluation needs ground truth with keypoints "
                             "(MASKEVAL_LOAD_KEYPOINTS), and is not LVIS");
    }
    if (k != gt->n_kpt) {
        return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                             "%zu OKS sigmas for %zu keypoints per annotation", k, gt->n_kpt);
    }
    ep->kpt_sigmas = maskeval_calloc(&ctx->alloc, k, sizeof(double));
    if (ep->kpt_sigmas == NULL) {
        return maskeval_nomem(ctx, "resolving parameters");
    }
    for (size_t i = 0; i < k; i++) {
        /* np.array([...]) / 10.0, as setKpParams builds them */
        ep->kpt_sigmas[i] = p->kpt_oks_sigmas != NULL ? p->kpt_oks_sigmas[i] : coco_sigmas[i] / 10.0;
        if (!isfinite(ep->kpt_sigmas[i])) {
            return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG, "OKS sigmas must be finite");
        }
    }
    ep->n_kpt = k;
    ep->oks_exp = p->oks_exp;
    ep->oks_exp_user = p->oks_exp_user;
    return MASKEVAL_OK;
}

maskeval_status maskeval_eparams_resolve(maskeval_ctx *ctx, const maskeval_coco_params *user,
                                         const maskeval_gt *gt, maskeval_eparams *ep)
{
    static const int64_t default_max_dets[3] = {1, 10, 100};
    static const double default_area[MASKEVAL_N_AREAS][2] = {
        {0, 1e10}, {0, 1024}, {1024, 9216}, {9216, 1e10}};
    /* setKpParams' all, medium, large; the fourth is not summarized */
    static const double kp_area[MASKEVAL_N_AREAS][2] = {
        {0, 1e10}, {1024, 9216}, {9216, 1e10}, {0, 1e10}};
    static const int64_t kp_max_dets[1] = {20};
    const maskeval_alloc *a = &ctx->alloc;
    maskeval_coco_params p;

    memset(ep, 0, sizeof(*ep));
    maskeval_coco_params_init(&p);
    if (user != NULL) {
        size_t n = user->struct_size;
        if (n == 0 || n > sizeof(p)) {
            n = sizeof(p);
        }
        memcpy(&p, user, n);
    }
    if (p.iou_type != MASKEVAL_IOU_SEGM && p.iou_type != MASKEVAL_IOU_BBOX &&
        p.iou_type != MASKEVAL_IOU_KEYPOINTS) {
        return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG, "unknown IoU type %d",
                             (int)p.iou_type);
    }
    ep->iou_type = p.iou_type;
    if (!(p.boundary_dilation_ratio >= 0) || p.boundary_dilation_ratio > 1e6 ||
        (p.boundary_dilation_ratio > 0 && (p.iou_type != MASKEVAL_IOU_SEGM || p.lvis))) {
        return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                             "the boundary dilation ratio must be a number >= 0 (> 0 only for "
                             "COCO segm: Boundary AP)");
    }
    ep->dilation_ratio = p.boundary_dilation_ratio;
    ep->use_cats = p.use_cats != 0;
    ep->keep_matches = p.keep_matches != 0;
    ep->lvis = p.lvis != 0;
    if (ep->lvis) {
        /* lvis-api (spec lvis.md 1-3): no maxDets axis, the cap is per image
         * at load; use_cats = 0 crashes its summarize */
        if (gt == NULL || !(gt->flags & MASKEVAL_LOAD_LVIS)) {
            return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                                 "LVIS evaluation needs ground truth loaded with "
                                 "MASKEVAL_LOAD_LVIS");
        }
        if (!ep->use_cats || p.max_dets != NULL) {
            return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                                 "LVIS evaluation has no maxDets list and needs use_cats = 1 "
                                 "(lvis-api's summarize fails without categories)");
        }
        if (p.lvis_max_dets < -1) {
            return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                                 "LVIS max_dets must be >= 0, or -1 for no cap");
        }
        if (p.lvis_ap < MASKEVAL_LVIS_AP_STANDARD || p.lvis_ap > MASKEVAL_LVIS_AP_POOLED ||
            (p.lvis_ap != MASKEVAL_LVIS_AP_STANDARD && p.lvis_dets_per_cat < 1)) {
            return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                                 "unknown LVIS AP mode, or dets_per_cat below 1");
        }
        ep->lvis_ap = p.lvis_ap;
        /* Fixed AP and AP-pool: no per-image cap (LVISResults(max_dets=-1)) */
        ep->lvis_max_dets = ep->lvis_ap != MASKEVAL_LVIS_AP_STANDARD ? -1 : p.lvis_max_dets;
        ep->lvis_dets_per_cat = ep->lvis_ap != MASKEVAL_LVIS_AP_STANDARD ? p.lvis_dets_per_cat : 0;
    }

    ep->T = p.iou_thrs != NULL ? p.n_iou_thrs : 10;
    ep->R = p.rec_thrs != NULL ? p.n_rec_thrs : 101;
    const int kp = p.iou_type == MASKEVAL_IOU_KEYPOINTS;
    ep->M = ep->lvis ? 1 : p.max_dets != NULL ? p.n_max_dets : kp ? 1 : 3;
    if (ep->R == 0) {
        return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                             "at least one recall threshold is needed");
    }
    if (ep->T == 0) {
        return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG, "at least one IoU threshold is needed");
    }
    if (ep->M < (kp ? 1u : 3u) && !ep->lvis) {
        return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                             "at least 3 maxDets values are needed (pycocotools' summary reads "
                             "maxDets[0..2]), or 1 for keypoints");
    }
    ep->iou_thrs = maskeval_calloc(a, ep->T, sizeof(double));
    ep->rec_thrs = maskeval_calloc(a, ep->R, sizeof(double));
    ep->max_dets = maskeval_calloc(a, ep->M, sizeof(int64_t));
    if (ep->iou_thrs == NULL || ep->rec_thrs == NULL || ep->max_dets == NULL) {
        goto nomem;
    }
    if (!fill_thresholds(p.iou_thrs, ep->T, .5, .95, ep->iou_thrs) ||
        !fill_thresholds(p.rec_thrs, ep->R, 0.0, 1.0, ep->rec_thrs)) {
        maskeval_eparams_free(a, ep);
        return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                             "IoU and recall thresholds must be finite numbers");
    }
    for (size_t m = 0; m < ep->M; m++) {
        ep->max_dets[m] = ep->lvis             ? (int64_t)UINT32_MAX
                          : p.max_dets != NULL ? p.max_dets[m]
                          : kp                 ? kp_max_dets[m]
                                               : default_max_dets[m];
        if (ep->max_dets[m] < 1 || ep->max_dets[m] > UINT32_MAX) {
            maskeval_eparams_free(a, ep);
            return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                                 "maxDets values must be between 1 and 2^32-1");
        }
    }
    qsort(ep->max_dets, ep->M, sizeof(int64_t), i64_cmp);
    for (size_t r = 0; r < MASKEVAL_N_AREAS; r++) {
        for (size_t j = 0; j < 2; j++) {
            ep->area_rng[r][j] = p.area_rng != NULL ? p.area_rng[2 * r + j]
                                 : kp               ? kp_area[r][j]
                                                    : default_area[r][j];
        }
    }

    if (p.img_ids != NULL) {
        ep->img_ids = copy_ids(a, p.img_ids, p.n_img_ids);
        ep->I = p.n_img_ids;
    } else {
        ep->img_ids = copy_ids(a, gt->img_id, gt->n_img);
        ep->I = gt->n_img;
    }
    if (p.cat_ids != NULL) {
        ep->cats = copy_ids(a, p.cat_ids, p.n_cat_ids);
        ep->n_cats = p.n_cat_ids;
    } else {
        ep->cats = copy_ids(a, gt->cat_id, gt->n_cat);
        ep->n_cats = gt->n_cat;
    }
    if (ep->img_ids == NULL || ep->cats == NULL) {
        goto nomem;
    }
    ep->I = sort_unique(ep->img_ids, ep->I);
    /* evaluate() applies np.unique to catIds only with useCats; pooled
     * categories keep the caller's order (and repeats, which then count
     * twice, as in pycocotools). */
    if (ep->use_cats) {
        const size_t given = ep->n_cats;
        ep->n_cats = sort_unique(ep->cats, ep->n_cats);
        if (ep->lvis && ep->n_cats != given) {
            maskeval_eparams_free(a, ep);
            return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                                 "LVIS category ids must be unique (lvis-api does not unique "
                                 "them and would evaluate a repeated one twice)");
        }
    }
    if (ep->I > UINT32_MAX || ep->n_cats > UINT32_MAX) {
        maskeval_eparams_free(a, ep);
        return maskeval_fail(ctx, MASKEVAL_ERR_LIMIT, "too many images or categories");
    }
    ep->K = ep->use_cats ? ep->n_cats : 1;
    ep->k_ids = maskeval_calloc(a, ep->K, sizeof(int64_t));
    if (ep->k_ids == NULL) {
        goto nomem;
    }
    if (ep->use_cats) {
        if (ep->K > 0) {
            memcpy(ep->k_ids, ep->cats, ep->K * sizeof(int64_t));
        }
    } else {
        ep->k_ids[0] = -1;
    }
    if (ep->lvis) {
        ep->k_freq = maskeval_calloc(a, ep->K + 1, 1);
        if (ep->k_freq == NULL) {
            goto nomem;
        }
        for (size_t k = 0; k < ep->K; k++) {
            /* a category id the ground truth lacks: lvis-api raises KeyError */
            const long lo = maskeval_find_i64(gt->cat_id, gt->n_cat, ep->k_ids[k]);
            if (lo < 0) {
                const long long id = (long long)ep->k_ids[k];
                maskeval_eparams_free(a, ep);
                return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                                     "LVIS category id %lld is not a category of the ground truth",
                                     id);
            }
            ep->k_freq[k] = gt->cat_freq[lo];
        }
    }
    if (p.iou_type == MASKEVAL_IOU_KEYPOINTS) {
        maskeval_status st = resolve_keypoints(ctx, &p, gt, ep);
        if (st != MASKEVAL_OK) {
            maskeval_eparams_free(a, ep);
            return st;
        }
    }
    return MASKEVAL_OK;
nomem:
    maskeval_eparams_free(a, ep);
    return maskeval_nomem(ctx, "resolving parameters");
}
