/*
 * oks_stage.c - the IoU stage of a keypoint evaluation: every cell's
 * [n_dt][n_gt] matrix of pycocotools' computeOks values,
 *
 *   ious[d, g] = np.sum(np.exp(-e)) / e.shape[0]
 *
 * with e from maskeval_oks_terms (iou/oks.c). The terms of every pair of the
 * plan are written to one buffer first, so that the exponential can be the
 * caller's (params.oks_exp, called once from this thread: numpy's SIMD exp
 * differs from the C library's in the last bit), then each pair's terms are
 * summed in numpy's pairwise order (core/npcompat.c) and divided by their
 * count. Cells with no ground truth or no detection have nothing to compute
 * (computeOks returns []), nor has any cell with useCats = 0 (computeOks
 * reads the cell of category -1, which is empty; match.c matches nothing).
 */
#include <math.h>
#include <string.h>

#include "core/npcompat.h"
#include "core/threadpool.h"
#include "instance/instance.h"
#include "iou/iou.h"

typedef struct oks_job {
    maskeval_plan *plan;
    const double *vars;   /* [k] (2 sigma)^2 */
    uint64_t *cell_terms; /* [n_cells + 1]: offset of each cell's terms */
    double *terms;
    int apply_exp;        /* the C library's exp in the first pass */
} oks_job;

/* Terms per detection of a cell: the sum over its ground truths. */
static uint64_t cell_row_terms(const maskeval_plan *plan, const maskeval_cell *c)
{
    const maskeval_gt *gt = plan->gt;
    const size_t k = gt->n_kpt;
    uint64_t n = 0;
    for (uint32_t g = 0; g < c->n_gt; g++) {
        n += maskeval_oks_n_terms(gt->ann_kpt + 3 * k * plan->gt_items[c->gt_off + g], k);
    }
    return n;
}

static maskeval_status terms_image(void *arg, size_t i, int worker, char *err, size_t errcap)
{
    oks_job *job = arg;
    const maskeval_plan *plan = job->plan;
    const maskeval_gt *gt = plan->gt;
    const maskeval_dets *dets = plan->dets;
    const size_t k = gt->n_kpt;
    (void)worker;
    (void)err;
    (void)errcap;
    for (size_t ci = plan->img_cells[i]; ci < plan->img_cells[i + 1]; ci++) {
        const maskeval_cell *c = &plan->cells[ci];
        double *out = job->terms + job->cell_terms[ci];
        const double *end = job->terms + job->cell_terms[ci + 1];
        for (uint32_t d = 0; d < c->n_dt && c->n_gt > 0 && plan->ep.use_cats; d++) {
            const double *dk = dets->kpt + 3 * k * plan->dt_items[c->dt_off + d];
            for (uint32_t g = 0; g < c->n_gt; g++) {
                const uint32_t a = plan->gt_items[c->gt_off + g];
                out += maskeval_oks_terms(gt->ann_kpt + 3 * k * a, gt->ann_bbox + 4 * (size_t)a,
                                          gt->ann_area[a], dk, job->vars, k, out);
            }
        }
        if (job->apply_exp) {
            for (double *x = job->terms + job->cell_terms[ci]; x < end; x++) {
                *x = exp(*x);
            }
        }
    }
    return MASKEVAL_OK;
}

static maskeval_status sum_image(void *arg, size_t i, int worker, char *err, size_t errcap)
{
    oks_job *job = arg;
    maskeval_plan *plan = job->plan;
    const maskeval_gt *gt = plan->gt;
    const size_t k = gt->n_kpt;
    (void)worker;
    (void)err;
    (void)errcap;
    for (size_t ci = plan->img_cells[i]; ci < plan->img_cells[i + 1]; ci++) {
        const maskeval_cell *c = &plan->cells[ci];
        const double *x = job->terms + job->cell_terms[ci];
        double *out = plan->ious + c->iou_off;
        for (uint32_t d = 0; d < c->n_dt && c->n_gt > 0 && plan->ep.use_cats; d++) {
            for (uint32_t g = 0; g < c->n_gt; g++) {
                const size_t n =
                    maskeval_oks_n_terms(gt->ann_kpt + 3 * k * plan->gt_items[c->gt_off + g], k);
                out[(size_t)d * c->n_gt + g] = maskeval_np_sum(x, n, 0) / (double)n;
                x += n;
            }
        }
    }
    return MASKEVAL_OK;
}

maskeval_status maskeval_plan_oks(maskeval_ctx *ctx, maskeval_plan *plan)
{
    const maskeval_alloc *a = &ctx->alloc;
    const size_t k = plan->ep.n_kpt;
    double *vars = NULL;
    oks_job job;
    maskeval_status st = MASKEVAL_OK;
    uint64_t n_terms = 0;

    memset(&job, 0, sizeof(job));
    if (plan->gt->ann_kpt == NULL || plan->dets->kpt == NULL || plan->gt->n_kpt != k) {
        return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                             "keypoint evaluation: ground truth and detections need %zu keypoints "
                             "each",
                             k);
    }
    plan->ious = maskeval_calloc(a, plan->n_ious + 1, sizeof(double));
    vars = maskeval_calloc(a, k + 1, sizeof(double));
    job.cell_terms = maskeval_calloc(a, plan->n_cells + 1, sizeof(uint64_t));
    if (plan->ious == NULL || vars == NULL || job.cell_terms == NULL) {
        st = maskeval_nomem(ctx, "allocating OKS matrices");
        goto done;
    }
    for (size_t i = 0; i < k; i++) {
        const double s2 = plan->ep.kpt_sigmas[i] * 2; /* (sigmas * 2)**2 */
        vars[i] = s2 * s2;
    }
    for (size_t ci = 0; ci < plan->n_cells; ci++) {
        const maskeval_cell *c = &plan->cells[ci];
        job.cell_terms[ci] = n_terms;
        if (!plan->ep.use_cats) {
            continue;
        }
        n_terms += (uint64_t)c->n_dt * cell_row_terms(plan, c);
    }
    job.cell_terms[plan->n_cells] = n_terms;
    job.terms = maskeval_calloc(a, (size_t)n_terms + 1, sizeof(double));
    if (job.terms == NULL) {
        st = maskeval_nomem(ctx, "allocating OKS terms");
        goto done;
    }
    job.plan = plan;
    job.vars = vars;
    job.apply_exp = plan->ep.oks_exp == NULL;
    maskeval_progress_stage(ctx, "IoU: keypoints");
    st = maskeval_parallel_for(ctx, plan->ep.I, terms_image, &job);
    if (st == MASKEVAL_OK && !job.apply_exp && n_terms > 0) {
        plan->ep.oks_exp(plan->ep.oks_exp_user, job.terms, (size_t)n_terms);
    }
    if (st == MASKEVAL_OK) {
        st = maskeval_parallel_for(ctx, plan->ep.I, sum_image, &job);
    }
done:
    maskeval_free(a, vars);
    maskeval_free(a, job.cell_terms);
    maskeval_free(a, job.terms);
    return st;
}
