/*
 * tide.c - maskeval_tide_evaluate: layout, IoUs, matching at pos_thresh
 * with errors, the base AP object and the frozen error list (tidecv's
 * TIDERun), then each fix and the threshold range.
 */
#include <math.h>
#include <string.h>

#include "tide/tide.h"

static const char *const error_names[MASKEVAL_TIDE_N_ERRORS] = {"Cls",  "Loc", "Both",
                                                                 "Dupe", "Bkg", "Miss"};

/* tidecv's TIDE.COCO_THRESHOLDS, as its literals */
static const double range_thrs[MASKEVAL_TIDE_MAX_RANGE] = {0.5, 0.55, 0.6,  0.65, 0.7,
                                                           0.75, 0.8, 0.85, 0.9,  0.95};

void maskeval_tide_params_init(maskeval_tide_params *p)
{
    if (p == NULL) {
        return;
    }
    memset(p, 0, sizeof(*p));
    p->struct_size = sizeof(*p);
    p->iou_type = MASKEVAL_IOU_SEGM;
    p->pos_thresh = 0.5;
    p->bg_thresh = 0.1;
    p->max_dets = 100;
    p->range = 1;
}

const char *maskeval_tide_error_name(maskeval_tide_error e)
{
    return (unsigned)e < MASKEVAL_TIDE_N_ERRORS ? error_names[e] : "?";
}

/* A run's results: the base object, and with errors the frozen error list
 * and each class's unmatched GT count (false_negatives). */
typedef struct tide_run {
    tide_obj base;
    tide_err *errs;
    size_t n_errs;
    int64_t *fn;
} tide_run;

static void run_free(const maskeval_alloc *a, tide_run *r)
{
    tide_obj_free(a, &r->base);
    maskeval_free(a, r->errs);
    maskeval_free(a, r->fn);
    memset(r, 0, sizeof(*r));
}

static tide_err *add_err(tide_run *r, uint8_t type, int32_t cls, double score)
{
    tide_err *e = &r->errs[r->n_errs++];
    memset(e, 0, sizeof(*e));
    e->type = type;
    e->cls = cls;
    e->fix_cls = cls;
    e->score = score;
    e->gt = -1;
    return e;
}

/* MissedError: no original point; fixing it lowers the class's GT count. */
static void add_miss(tide_run *r, int32_t cls)
{
    add_err(r, MASKEVAL_TIDE_MISS, cls, 0.0)->fix = TIDE_FIX_MISS;
}

/* TIDERun._eval_image over every image, then the errors' freeze. */
static maskeval_status build_run(maskeval_ctx *ctx, const tide_data *d, const tide_match *m,
                                 int with_errors, tide_run *r)
{
    const maskeval_alloc *a = &ctx->alloc;
    double *best_score = NULL;
    int32_t *best_err = NULL;
    uint8_t *usable = NULL;
    maskeval_status st;

    memset(r, 0, sizeof(*r));
    st = tide_obj_init(a, &r->base, d->n_cls, d->n_dt);
    if (st != MASKEVAL_OK) {
        return maskeval_nomem(ctx, "TIDE AP data");
    }
    r->fn = maskeval_calloc(a, d->n_cls + 1, sizeof(int64_t));
    if (with_errors) {
        r->errs = maskeval_malloc(a, (d->n_dt + d->n_gt + 1) * sizeof(tide_err));
        best_score = maskeval_malloc(a, (d->n_gt + 1) * sizeof(double));
        best_err = maskeval_malloc(a, (d->n_gt + 1) * sizeof(int32_t));
        usable = maskeval_calloc(a, d->n_gt + 1, 1);
    }
    if (r->fn == NULL ||
        (with_errors && (r->errs == NULL || best_score == NULL || best_err == NULL ||
                         usable == NULL))) {
        st = maskeval_nomem(ctx, "TIDE AP data");
        goto done;
    }
    for (size_t g = 0; with_errors && g < d->n_gt; g++) {
        best_score[g] = -1.0;
        best_err[g] = -1;
    }
    for (size_t k = 0; k < d->n_img && st == MASKEVAL_OK; k++) {
        const tide_image *im = &d->img[k];
        for (size_t g = im->gt_off; g < im->gt_off + im->n_gt; g++) {
            tide_obj_touch(&r->base, d->gt_cls[g]);
            r->base.n_gt[d->gt_cls[g]]++;
        }
        if (im->n_dt_all == 0) {
            for (size_t g = im->gt_off; g < im->gt_off + im->n_gt; g++) {
                r->fn[d->gt_cls[g]]++;
                if (with_errors) {
                    add_miss(r, d->gt_cls[g]);
                }
            }
            continue;
        }
        for (size_t s = im->dt_off; s < im->dt_off + im->n_dt && st == MASKEVAL_OK; s++) {
            const uint8_t state = m->dt_state[s];
            const int32_t c = d->dt_cls[s];
            const double score = d->dt_score[s];
            tide_err *e;
            if (state != TIDE_IGNORED) {
                st = tide_obj_push(a, &r->base, c, score, state == TIDE_TP);
                if (st != MASKEVAL_OK) {
                    st = maskeval_nomem(ctx, "TIDE AP data");
                    break;
                }
            }
            if (!with_errors || state == TIDE_TP) {
                continue;
            }
            e = add_err(r, m->err[s], c, score);
            e->has_orig = state != TIDE_IGNORED;
            if (e->type == MASKEVAL_TIDE_LOC || e->type == MASKEVAL_TIDE_CLS) {
                const int32_t g = m->err_gt[s];
                if (!m->gt_used[g]) {
                    /* BestGTMatch: the GT becomes usable; the strictly highest
                     * score (the earliest of equals) is the one fixed */
                    usable[g] = 1;
                    if (best_score[g] < score) {
                        best_score[g] = score;
                        best_err[g] = (int32_t)(r->n_errs - 1);
                    }
                    e->fix = TIDE_FIX_POINT;
                    e->gt = g;
                    e->fix_cls = e->type == MASKEVAL_TIDE_LOC ? c : d->gt_cls[g];
                }
            }
        }
        for (size_t g = im->gt_off; g < im->gt_off + im->n_gt; g++) {
            if (!m->gt_used[g]) {
                r->fn[d->gt_cls[g]]++;
                if (with_errors && !usable[g]) {
                    add_miss(r, d->gt_cls[g]);
                }
            }
        }
    }
    /* freeze: only each GT's best error keeps its fixed point */
    for (size_t i = 0; i < r->n_errs; i++) {
        tide_err *e = &r->errs[i];
        if (e->fix == TIDE_FIX_POINT && best_err[e->gt] != (int32_t)i) {
            e->fix = TIDE_FIX_NONE;
        }
    }
done:
    maskeval_free(a, best_score);
    maskeval_free(a, best_err);
    maskeval_free(a, usable);
    if (st != MASKEVAL_OK) {
        run_free(a, r);
    }
    return st;
}

static maskeval_status check_params(maskeval_ctx *ctx, const maskeval_gt *gt,
                                    const maskeval_dets *dets, const maskeval_tide_params *p)
{
    if (gt == NULL || dets == NULL) {
        return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                             "maskeval_tide_evaluate: ground truth and detections are required");
    }
    if (dets->gt != gt) {
        return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                             "maskeval_tide_evaluate: the detections were loaded against another "
                             "ground truth");
    }
    if (p->struct_size != sizeof(*p)) {
        return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                             "maskeval_tide_evaluate: params.struct_size is %zu, expected %zu "
                             "(call maskeval_tide_params_init)",
                             p->struct_size, sizeof(*p));
    }
    if ((p->iou_type == MASKEVAL_IOU_SEGM && !(gt->flags & MASKEVAL_LOAD_SEGM)) ||
        (p->iou_type == MASKEVAL_IOU_BBOX && !(gt->flags & MASKEVAL_LOAD_BBOX)) ||
        (p->iou_type != MASKEVAL_IOU_SEGM && p->iou_type != MASKEVAL_IOU_BBOX)) {
        return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                             "maskeval_tide_evaluate: the ground truth was not loaded for this "
                             "IoU type (MASKEVAL_LOAD_SEGM for segm, MASKEVAL_LOAD_BBOX for bbox)");
    }
    if (!(p->pos_thresh > 0.0 && p->pos_thresh <= 1.0) || !(p->bg_thresh >= 0.0) ||
        !(p->bg_thresh <= p->pos_thresh)) {
        return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                             "TIDE thresholds: need 0 < pos <= 1 and 0 <= background <= pos "
                             "(got %g and %g)",
                             p->pos_thresh, p->bg_thresh);
    }
    if (p->max_dets < 1) {
        return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                             "TIDE max detections per image must be at least 1");
    }
    return MASKEVAL_OK;
}

/* mAP of one fixed object. */
static maskeval_status fixed_map(maskeval_ctx *ctx, const tide_run *r, int fix_type, int transform,
                                 const int64_t *fn, double *map)
{
    tide_obj o;
    maskeval_status st = tide_obj_fix(&ctx->alloc, &r->base, r->errs, r->n_errs, fix_type,
                                      transform, fn, &o);
    if (st != MASKEVAL_OK) {
        return maskeval_nomem(ctx, "TIDE fixes");
    }
    st = tide_obj_map(ctx, &o, map, NULL);
    tide_obj_free(&ctx->alloc, &o);
    return st;
}

static maskeval_status errors_of(maskeval_ctx *ctx, const tide_run *r, maskeval_tide_summary *out)
{
    double v;
    maskeval_status st = MASKEVAL_OK;
    for (int t = 0; t < MASKEVAL_TIDE_N_ERRORS && st == MASKEVAL_OK; t++) {
        st = fixed_map(ctx, r, t, 0, NULL, &v);
        /* clamped: max(new - ap, 0); NaN where tidecv would divide by zero */
        out->dap[t] = isnan(v) ? v : (v - out->ap > 0.0 ? v - out->ap : 0.0);
    }
    if (st == MASKEVAL_OK) {
        st = fixed_map(ctx, r, -1, 1, NULL, &v);
        out->false_pos = v - out->ap;
    }
    if (st == MASKEVAL_OK) {
        st = fixed_map(ctx, r, -1, 0, r->fn, &v);
        out->false_neg = v - out->ap;
    }
    for (size_t i = 0; i < r->n_errs; i++) {
        out->counts[r->errs[i].type]++;
    }
    return st;
}

maskeval_status maskeval_tide_evaluate(maskeval_ctx *ctx, const maskeval_gt *gt,
                                       const maskeval_dets *dets,
                                       const maskeval_tide_params *params,
                                       maskeval_tide_summary *out)
{
    const maskeval_alloc *a;
    maskeval_tide_params defaults;
    tide_data d;
    tide_match m;
    tide_run r;
    double t0 = maskeval_now();
    maskeval_status st;

    if (ctx == NULL || out == NULL) {
        return MASKEVAL_ERR_INVALID_ARG;
    }
    a = &ctx->alloc;
    memset(out, 0, sizeof(*out));
    if (params == NULL) {
        maskeval_tide_params_init(&defaults);
        params = &defaults;
    }
    st = check_params(ctx, gt, dets, params);
    if (st != MASKEVAL_OK) {
        return st;
    }
    memset(&d, 0, sizeof(d));
    memset(&m, 0, sizeof(m));
    memset(&r, 0, sizeof(r));
    maskeval_progress_stage(ctx, "TIDE: layout");
    st = tide_layout(ctx, gt, dets, params->iou_type, params->max_dets, &d);
    if (st == MASKEVAL_OK) {
        st = tide_ious(ctx, &d);
    }
    if (st == MASKEVAL_OK) {
        maskeval_progress_stage(ctx, "TIDE: matching");
        st = tide_match_run(ctx, &d, params->pos_thresh, params->bg_thresh, 1, &m);
    }
    if (st == MASKEVAL_OK) {
        st = build_run(ctx, &d, &m, 1, &r);
    }
    if (st == MASKEVAL_OK) {
        st = tide_obj_map(ctx, &r.base, &out->ap, &out->n_classes);
    }
    if (st == MASKEVAL_OK && isnan(out->ap)) {
        st = maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                           "TIDE: nothing to evaluate (no ground truth and no detection; "
                           "tidecv raises ZeroDivisionError)");
    }
    if (st == MASKEVAL_OK) {
        maskeval_progress_stage(ctx, "TIDE: fixing errors");
        st = errors_of(ctx, &r, out);
    }
    run_free(a, &r);
    for (size_t i = 0; params->range && i < MASKEVAL_TIDE_MAX_RANGE && st == MASKEVAL_OK; i++) {
        double sum = 0.0;
        st = tide_match_run(ctx, &d, range_thrs[i], params->bg_thresh, 0, &m);
        if (st == MASKEVAL_OK) {
            st = build_run(ctx, &d, &m, 0, &r);
        }
        if (st == MASKEVAL_OK) {
            st = tide_obj_map(ctx, &r.base, &out->range_ap[i], NULL);
        }
        run_free(a, &r);
        out->range_thr[i] = range_thrs[i];
        out->n_range = i + 1;
        for (size_t j = 0; j <= i; j++) {
            sum += out->range_ap[j];
        }
        out->range_mean = sum / (double)out->n_range;
    }
    if (st == MASKEVAL_OK) {
        out->n_images = d.n_img;
        out->n_dets_used = d.n_dt;
        out->n_gt = d.n_gt;
        out->n_ignore_regions = d.n_rg;
        out->seconds = maskeval_now() - t0;
    } else {
        memset(out, 0, sizeof(*out));
    }
    tide_match_free(a, &m);
    tide_data_free(a, &d);
    return st;
}
