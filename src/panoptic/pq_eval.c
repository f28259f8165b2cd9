/*
 * pq_eval.c - maskeval_panoptic_evaluate: images on the context's threads
 * (each yields a pq_record), then panopticapi's accumulation, in its order:
 *
 *   pq_compute_multi_core splits the GT annotations into `chunks` parts with
 *   np.array_split (the first len % chunks parts one longer); each process
 *   sums, per category, the IoUs of its images' true positives in image
 *   order, and within an image in (gt id, pred id) order, starting from 0.0;
 *   the parent adds the parts' sums to 0.0 in part order. Counts are exact.
 *
 *   Per category: PQ = iou / (tp + 0.5 fp + 0.5 fn), SQ = iou / tp (0 when
 *   tp = 0), RQ = tp / (tp + 0.5 fp + 0.5 fn); a category with
 *   tp + fp + fn = 0 gets zeros and is left out of the means. The means sum
 *   the per-category values in the GT categories' order and divide by n.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "backend/backend.h"
#include "backend/cost_model.h"
#include "core/threadpool.h"
#include "io/png_labels.h"
#include "panoptic/panoptic.h"


void maskeval_panoptic_params_init(maskeval_panoptic_params *p)
{
    if (p == NULL) {
        return;
    }
    memset(p, 0, sizeof(*p));
    p->struct_size = sizeof(*p);
    p->chunks = 1;
}

void maskeval_panoptic_destroy(maskeval_panoptic *r)
{
    maskeval_alloc a;
    if (r == NULL) {
        return;
    }
    a = r->alloc;
    if (r->recs != NULL) {
        for (size_t i = 0; i < r->data.n_imgs; i++) {
            maskeval_pq_record_free(&a, &r->recs[i]);
        }
    }
    maskeval_free(&a, r->recs);
    maskeval_free(&a, r->held);
    maskeval_pq_data_free(&a, &r->data);
    maskeval_free(&a, r->stat);
    maskeval_free(&a, r);
}

typedef struct pq_job {
    const pq_data *data;
    pq_image_opts opts;
    pq_worker *workers;
    pq_record *recs;
    const size_t *todo; /* image indices of this shard */
    size_t n_todo;
    maskeval_ctx *ctx;
} pq_job;

static maskeval_status image_task(void *arg, size_t k, int worker, char *err, size_t errcap)
{
    pq_job *j = arg;
    const size_t i = j->todo[k];
    if (worker == 0) {
        maskeval_progress_report(j->ctx, (double)k / (double)j->n_todo);
    }
    return maskeval_pq_image(&j->ctx->alloc, j->data, i, &j->opts, &j->workers[worker],
                             &j->recs[i], err, errcap);
}

/* part: n_cats doubles of scratch. Images not held add nothing. */
static void accumulate(maskeval_panoptic *r, const pq_record *recs, uint32_t chunks, double *part)
{
    const pq_data *d = &r->data;
    memset(r->stat, 0, (d->n_cats + 1) * sizeof(pq_cat_stat));
    const size_t n = d->n_imgs, q = n / chunks, rem = n % chunks;
    size_t at = 0;
    for (uint32_t c = 0; c < chunks; c++) {
        const size_t len = q + (c < rem ? 1 : 0);
        /* this process's sums, from 0.0, in image order */
        for (size_t k = 0; k < d->n_cats; k++) {
            part[k] = 0.0;
        }
        for (size_t i = at; i < at + len; i++) {
            for (size_t t = 0; t < recs[i].n_tp; t++) {
                part[recs[i].tp[t].cat] += recs[i].tp[t].iou;
                r->stat[recs[i].tp[t].cat].tp++;
            }
            for (size_t t = 0; t < recs[i].n_fp; t++) {
                r->stat[recs[i].fp[t]].fp++;
            }
            for (size_t t = 0; t < recs[i].n_fn; t++) {
                r->stat[recs[i].fn[t]].fn++;
            }
        }
        /* the parent's sum over parts (adding 0.0 changes nothing) */
        for (size_t k = 0; k < d->n_cats; k++) {
            r->stat[k].iou += part[k];
        }
        at += len;
    }
    for (size_t k = 0; k < d->n_cats; k++) {
        pq_cat_stat *s = &r->stat[k];
        if (s->tp + s->fp + s->fn == 0) {
            continue;
        }
        {
            const double den = ((double)s->tp + 0.5 * (double)s->fp) + 0.5 * (double)s->fn;
            s->pq = s->iou / den;
            s->sq = s->tp != 0 ? s->iou / (double)s->tp : 0.0;
            s->rq = (double)s->tp / den;
        }
    }
    for (int g = 0; g < 3; g++) {
        double pq = 0, sq = 0, rq = 0;
        size_t cnt = 0;
        for (size_t k = 0; k < d->n_cats; k++) {
            const pq_cat_stat *s = &r->stat[k];
            if ((g == MASKEVAL_PQ_THINGS && !d->cats[k].isthing) ||
                (g == MASKEVAL_PQ_STUFF && d->cats[k].isthing) || s->tp + s->fp + s->fn == 0) {
                continue;
            }
            cnt++;
            pq += s->pq;
            sq += s->sq;
            rq += s->rq;
        }
        r->group[g].n = cnt;
        r->group[g].pq = cnt ? pq / (double)cnt : NAN;
        r->group[g].sq = cnt ? sq / (double)cnt : NAN;
        r->group[g].rq = cnt ? rq / (double)cnt : NAN;
    }
}

maskeval_status maskeval_pq_finalize(maskeval_ctx *ctx, maskeval_panoptic *r)
{
    double *part = maskeval_malloc(&ctx->alloc, (r->data.n_cats + 1) * sizeof(double));
    if (part == NULL) {
        return maskeval_nomem(ctx, "panoptic sums");
    }
    accumulate(r, r->recs, r->chunks, part);
    maskeval_free(&ctx->alloc, part);
    return MASKEVAL_OK;
}

maskeval_status maskeval_pq_result_new(maskeval_ctx *ctx, size_t n_imgs, size_t n_cats,
                                       maskeval_panoptic **out)
{
    maskeval_panoptic *r = maskeval_calloc(&ctx->alloc, 1, sizeof(*r));
    *out = NULL;
    if (r == NULL) {
        return maskeval_nomem(ctx, "the panoptic result");
    }
    r->alloc = ctx->alloc;
    r->recs = maskeval_calloc(&ctx->alloc, n_imgs + 1, sizeof(pq_record));
    r->held = maskeval_calloc(&ctx->alloc, n_imgs + 1, 1);
    r->stat = maskeval_calloc(&ctx->alloc, n_cats + 1, sizeof(pq_cat_stat));
    if (r->recs == NULL || r->held == NULL || r->stat == NULL) {
        maskeval_panoptic_destroy(r);
        return maskeval_nomem(ctx, "panoptic records");
    }
    *out = r;
    return MASKEVAL_OK;
}

/*
 * With a device (--backend opencl): images in batches of PQ_BATCH. The
 * threads read a batch's PNGs and id tables, the device counts every
 * image's segment pairs at once (backend.h's segment_pairs), the threads
 * evaluate the images from the counts. A read error is kept with its image
 * and returned by that image's evaluation, so the error reported is the
 * first image's, as on the CPU path.
 */
enum { PQ_BATCH = 32 };

typedef struct pq_slot {
    maskeval_id_img g, p;
    uint32_t *tabs, *counts;
    maskeval_status st;
    char err[512];
} pq_slot;

typedef struct pq_batch {
    pq_job *job;
    size_t k0;
    pq_slot slot[PQ_BATCH];
    maskeval_seg_maps items[PQ_BATCH]; /* per slot; the device fills their counts */
} pq_batch;

static void slot_clear(const maskeval_alloc *a, pq_slot *s)
{
    maskeval_id_img_free(a, &s->g);
    maskeval_id_img_free(a, &s->p);
    maskeval_free(a, s->tabs);
    maskeval_free(a, s->counts);
    memset(s, 0, sizeof(*s));
}

static maskeval_status read_task(void *arg, size_t k, int worker, char *err, size_t errcap)
{
    pq_batch *b = arg;
    pq_job *j = b->job;
    const maskeval_alloc *a = &j->ctx->alloc;
    const size_t i = j->todo[b->k0 + k];
    const pq_img *im = &j->data->imgs[i];
    pq_slot *s = &b->slot[k];
    uint32_t ng = 0, np = 0;
    (void)worker;
    (void)err;
    (void)errcap;
    s->st = maskeval_pq_read(a, j->data, i, &j->opts, &s->g, &s->p, s->err, sizeof(s->err));
    if (s->st != MASKEVAL_OK) {
        return MASKEVAL_OK;
    }
    s->tabs = maskeval_malloc(a, (im->n_gt + im->n_pr + 2) * sizeof(uint32_t));
    if (s->tabs != NULL) {
        maskeval_pq_id_tables(j->data, i, s->tabs, &ng, s->tabs + im->n_gt + 1, &np);
        s->counts = maskeval_malloc(a, ((size_t)ng + 1) * (np + 1) * sizeof(uint32_t));
    }
    if (s->tabs == NULL || s->counts == NULL) {
        snprintf(s->err, sizeof(s->err), "%s: out of memory evaluating image %s", im->gt_path,
                 im->label);
        s->st = MASKEVAL_ERR_NOMEM;
        return MASKEVAL_OK;
    }
    b->items[k].gt = s->g.ids;
    b->items[k].pred = s->p.ids;
    b->items[k].npix = (size_t)s->g.w * s->g.h;
    b->items[k].gt_ids = s->tabs;
    b->items[k].n_gt_ids = ng;
    b->items[k].pred_ids = s->tabs + im->n_gt + 1;
    b->items[k].n_pred_ids = np;
    b->items[k].counts = s->counts;
    return MASKEVAL_OK;
}

static maskeval_status eval_task(void *arg, size_t k, int worker, char *err, size_t errcap)
{
    pq_batch *b = arg;
    pq_job *j = b->job;
    const size_t i = j->todo[b->k0 + k];
    pq_slot *s = &b->slot[k];
    maskeval_status st = s->st;
    if (worker == 0) {
        maskeval_progress_report(j->ctx, (double)(b->k0 + k) / (double)j->n_todo);
    }
    if (st != MASKEVAL_OK) {
        snprintf(err, errcap, "%s", s->err);
    } else {
        st = maskeval_pq_eval(&j->ctx->alloc, j->data, i, &j->opts, &j->workers[worker], &s->g,
                              &s->p, &b->items[k], &j->recs[i], err, errcap);
    }
    slot_clear(&j->ctx->alloc, s);
    return st;
}

static maskeval_status run_device(pq_job *job, maskeval_backend_state *be)
{
    maskeval_ctx *ctx = job->ctx;
    pq_batch *b = maskeval_calloc(&ctx->alloc, 1, sizeof(*b));
    maskeval_status st = MASKEVAL_OK;
    if (b == NULL) {
        return maskeval_nomem(ctx, "panoptic batches");
    }
    b->job = job;
    for (size_t k0 = 0; k0 < job->n_todo && st == MASKEVAL_OK; k0 += PQ_BATCH) {
        const size_t n = job->n_todo - k0 < PQ_BATCH ? job->n_todo - k0 : PQ_BATCH;
        maskeval_seg_maps dev[PQ_BATCH];
        size_t nd = 0;
        b->k0 = k0;
        memset(b->items, 0, sizeof(b->items));
        st = maskeval_parallel_for(ctx, n, read_task, b);
        /* the images that were read go to the device together (the copies
         * point at the slots' counts) */
        for (size_t k = 0; k < n && st == MASKEVAL_OK; k++) {
            if (b->slot[k].st == MASKEVAL_OK) {
                dev[nd++] = b->items[k];
            }
        }
        if (st == MASKEVAL_OK && nd > 0) {
            st = be->ops->segment_pairs(ctx, be, dev, nd);
        }
        if (st == MASKEVAL_OK) {
            st = maskeval_parallel_for(ctx, n, eval_task, b);
        }
        for (size_t k = 0; k < n; k++) {
            slot_clear(&ctx->alloc, &b->slot[k]);
        }
    }
    maskeval_free(&ctx->alloc, b);
    return st;
}

maskeval_status maskeval_panoptic_evaluate(maskeval_ctx *ctx, const maskeval_panoptic_params *user,
                                           maskeval_panoptic **out)
{
    maskeval_panoptic_params p;
    maskeval_panoptic *r = NULL;
    pq_data data;
    pq_job job;
    size_t *todo = NULL, n_todo = 0;
    int workers = 0;
    maskeval_status st;

    if (out != NULL) {
        *out = NULL;
    }
    if (ctx == NULL) {
        return MASKEVAL_ERR_INVALID_ARG;
    }
    if (user == NULL || out == NULL) {
        return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG, "panoptic: NULL argument");
    }
    maskeval_panoptic_params_init(&p);
    memcpy(&p, user,
           user->struct_size == 0 || user->struct_size > sizeof(p) ? sizeof(p) : user->struct_size);
    if (p.gt_json == NULL || p.pred_json == NULL) {
        return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                             "panoptic: both JSON files are needed");
    }
    if (p.chunks == 0 || p.chunks > 65536) {
        return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                             "panoptic: chunks must be in 1..65536 (got %u)", p.chunks);
    }
    if (!(p.dilation_ratio >= 0) || !isfinite(p.dilation_ratio)) {
        return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                             "panoptic: the dilation ratio must be a finite number >= 0");
    }
    if (p.shard_count > 1 && p.shard_index >= p.shard_count) {
        return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                             "panoptic: shard %u of %u does not exist", p.shard_index,
                             p.shard_count);
    }
    memset(&job, 0, sizeof(job));
    maskeval_progress_stage(ctx, "loading");
    st = maskeval_pq_load(ctx, p.gt_json, p.gt_dir, p.pred_json, p.pred_dir, &data);
    if (st != MASKEVAL_OK) {
        return st;
    }
    st = maskeval_pq_result_new(ctx, data.n_imgs, data.n_cats, &r);
    if (st != MASKEVAL_OK) {
        maskeval_pq_data_free(&ctx->alloc, &data);
        return st;
    }
    r->data = data;
    r->chunks = p.chunks;
    r->ratio = p.dilation_ratio;
    if (p.dilation_ratio > 0 && r->data.max_cat_id + 1 > 0xFFFFFFFFLL) {
        st = maskeval_fail(ctx, MASKEVAL_ERR_UNSUPPORTED,
                           "%s: category id %lld is too large for Boundary PQ's interior id",
                           p.gt_json, (long long)r->data.max_cat_id);
        goto done;
    }
    todo = maskeval_malloc(&ctx->alloc, (r->data.n_imgs + 1) * sizeof(size_t));
    workers = maskeval_parallel_workers(ctx, r->data.n_imgs);
    job.workers = maskeval_calloc(&ctx->alloc, (size_t)workers + 1, sizeof(pq_worker));
    if (todo == NULL || job.workers == NULL) {
        st = maskeval_nomem(ctx, "panoptic records");
        goto done;
    }
    for (size_t i = 0; i < r->data.n_imgs; i++) {
        if (p.shard_count <= 1 || i % p.shard_count == p.shard_index) {
            todo[n_todo++] = i;
        }
    }
    job.data = &r->data;
    job.recs = r->recs;
    job.todo = todo;
    job.n_todo = n_todo;
    job.opts.dilation_ratio = p.dilation_ratio;
    job.opts.max_image_pixels = p.max_image_pixels;
    job.ctx = ctx;
    maskeval_progress_stage(ctx, "panoptic");
    /* a device when asked for, or when auto's profile predicts it to pay for
     * this many pixels (every image the size of the first) */
    {
        maskeval_backend_state *be = NULL;
        const double px = n_todo > 0 && maskeval_backend_undecided(ctx)
                              ? (double)n_todo *
                                    (double)maskeval_png_pixels(r->data.imgs[todo[0]].gt_path)
                              : 0;
        st = maskeval_backend_get_for(ctx, MASKEVAL_WORK_SEGMENTS, px, &be);
        if (st == MASKEVAL_OK && be->ops != &maskeval_backend_cpu_ops) {
            st = run_device(&job, be);
        } else if (st == MASKEVAL_OK) {
            st = maskeval_parallel_for(ctx, n_todo, image_task, &job);
        }
    }
    if (st != MASKEVAL_OK) {
        goto done;
    }
    maskeval_progress_report(ctx, 1.0);
    for (size_t k = 0; k < n_todo; k++) {
        r->held[todo[k]] = 1;
    }
    r->n_held = n_todo;
    st = maskeval_pq_finalize(ctx, r);
done:
    maskeval_free(&ctx->alloc, todo);
    if (job.workers != NULL) {
        for (int w = 0; w < workers; w++) {
            maskeval_pq_worker_free(&ctx->alloc, &job.workers[w]);
        }
        maskeval_free(&ctx->alloc, job.workers);
    }
    if (st != MASKEVAL_OK) {
        maskeval_panoptic_destroy(r);
        return st;
    }
    *out = r;
    return MASKEVAL_OK;
}

size_t maskeval_panoptic_n_held(const maskeval_panoptic *r)
{
    return r != NULL ? r->n_held : 0;
}

uint32_t maskeval_panoptic_chunks(const maskeval_panoptic *r)
{
    return r != NULL ? r->chunks : 0;
}

double maskeval_panoptic_dilation_ratio(const maskeval_panoptic *r)
{
    return r != NULL ? r->ratio : 0;
}

size_t maskeval_panoptic_n_images(const maskeval_panoptic *r)
{
    return r != NULL ? r->data.n_imgs : 0;
}

size_t maskeval_panoptic_n_classes(const maskeval_panoptic *r)
{
    return r != NULL ? r->data.n_cats : 0;
}

maskeval_status maskeval_panoptic_class(const maskeval_panoptic *r, size_t i,
                                        maskeval_pq_class *out)
{
    if (r == NULL || out == NULL || i >= r->data.n_cats) {
        return MASKEVAL_ERR_INVALID_ARG;
    }
    out->id = r->data.cats[i].id;
    out->name = r->data.cats[i].name;
    out->isthing = r->data.cats[i].isthing;
    out->iou = r->stat[i].iou;
    out->tp = r->stat[i].tp;
    out->fp = r->stat[i].fp;
    out->fn = r->stat[i].fn;
    out->pq = r->stat[i].pq;
    out->sq = r->stat[i].sq;
    out->rq = r->stat[i].rq;
    return MASKEVAL_OK;
}

void maskeval_panoptic_summary(const maskeval_panoptic *r, maskeval_pq_group g,
                               maskeval_pq_summary *out)
{
    if (out == NULL) {
        return;
    }
    if (r == NULL || (int)g < 0 || (int)g > 2) {
        out->pq = out->sq = out->rq = NAN;
        out->n = 0;
        return;
    }
    *out = r->group[g];
}
