/*
 * instance_match.c - the per-image part of cityscapesScripts' instance
 * evaluation (instances2dict + assignGt2Preds): ground-truth instances from
 * the unique values of the instanceIds image, and for every non-empty
 * predicted mask of an instance class its pixel count, its overlap with
 * void pixels and its intersection with each ground-truth region of its
 * class (groups and small instances included).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cityscapes/cs_instance.h"
#include "core/npcompat.h"
#include "core/threadpool.h"
#include "io/png_labels.h"
#include "io/png_luma.h"

struct maskeval_csinst {
    maskeval_alloc alloc;
    maskeval_csinst_params p;
    cs_class_data cls[MASKEVAL_CSINST_CLASSES];
    uint64_t images;
};

static const char *const class_names[MASKEVAL_CSINST_CLASSES] = {
    "person", "rider", "car", "truck", "bus", "train", "motorcycle", "bicycle"};

const char *maskeval_csinst_class_name(int c)
{
    return c >= 0 && c < MASKEVAL_CSINST_CLASSES ? class_names[c] : NULL;
}

double maskeval_csinst_threshold(int t)
{
    /* np.arange(0.5, 1.0, 0.05): start + i * (second - start) */
    const double delta = (0.5 + 0.05) - 0.5;
    return t >= 0 && t < MASKEVAL_CSINST_THRESHOLDS ? 0.5 + (double)t * delta : NAN;
}

void maskeval_csinst_params_init(maskeval_csinst_params *p)
{
    memset(p, 0, sizeof(*p));
    p->struct_size = sizeof(*p);
    p->min_region_size = 100;
}

maskeval_status maskeval_csinst_create(maskeval_ctx *ctx, const maskeval_csinst_params *p,
                                       maskeval_csinst **out)
{
    maskeval_csinst *e;
    if (out == NULL) {
        return ctx == NULL ? MASKEVAL_ERR_INVALID_ARG
                           : maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG, "out is NULL");
    }
    *out = NULL;
    if (ctx == NULL || p == NULL || p->struct_size != sizeof(*p)) {
        return ctx == NULL ? MASKEVAL_ERR_INVALID_ARG
                           : maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                                           "maskeval_csinst_params not initialised");
    }
    if (p->ddot_kernel != MASKEVAL_DDOT_SKYLAKEX && p->ddot_kernel != MASKEVAL_DDOT_HASWELL) {
        return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                             "maskeval_csinst_params: unknown ddot_kernel %d", p->ddot_kernel);
    }
    e = maskeval_calloc(&ctx->alloc, 1, sizeof(*e));
    if (e == NULL) {
        return maskeval_nomem(ctx, "creating the Cityscapes evaluation");
    }
    e->alloc = ctx->alloc;
    e->p = *p;
    *out = e;
    return MASKEVAL_OK;
}

void maskeval_csinst_destroy(maskeval_csinst *e)
{
    if (e == NULL) {
        return;
    }
    for (int c = 0; c < MASKEVAL_CSINST_CLASSES; c++) {
        maskeval_free(&e->alloc, e->cls[c].gts);
        maskeval_free(&e->alloc, e->cls[c].preds);
        maskeval_free(&e->alloc, e->cls[c].links);
    }
    maskeval_free(&e->alloc, e);
}

/* labels.py's ignoreInEval ids, tested on the raw instanceIds value (the
 * reference's np.in1d(gtNp, voidLabelIDList)): caravan / trailer instances
 * 29xxx / 30xxx are therefore not void. */
static int is_void_value(uint32_t v)
{
    return v <= 6 || v == 9 || v == 10 || v == 14 || v == 15 || v == 16 || v == 18 || v == 29 ||
           v == 30;
}

static uint32_t label_of(uint32_t v)
{
    return v < 1000 ? v : v / 1000;
}

typedef struct image_state {
    uint32_t w, h;
    uint16_t *gt;        /* w*h values */
    /* the ground truth as runs of one value: row y's are run_x[row[y]] ..
     * run_x[row[y + 1] - 1] (start columns, increasing), values run_v */
    uint32_t *run_x;
    uint16_t *run_v;
    size_t *row, n_runs, cap_x, cap_v;
    uint32_t n_vals;     /* distinct values, ascending */
    uint32_t vals[65536];
    uint64_t pixels[65536];
    uint64_t inter[65536];
    uint8_t void_of[65536];
} image_state;

static maskeval_status grow(maskeval_ctx *ctx, void **p, size_t *cap, size_t need, size_t elem)
{
    if (maskeval_grow(&ctx->alloc, p, cap, need, elem) != MASKEVAL_OK) {
        return maskeval_nomem(ctx, "collecting Cityscapes instances");
    }
    return MASKEVAL_OK;
}

static void class_data_free(const maskeval_alloc *a, cs_class_data *d)
{
    maskeval_free(a, d->gts);
    maskeval_free(a, d->preds);
    maskeval_free(a, d->links);
    memset(d, 0, sizeof(*d));
}

/* s->gt as runs of one value per row (s->run_x, run_v, row), and the pixel
 * count of every value (s->pixels). */
static maskeval_status gt_runs(maskeval_ctx *ctx, image_state *s)
{
    maskeval_status st = MASKEVAL_OK;
    s->n_runs = s->cap_x = s->cap_v = 0;
    s->row = maskeval_malloc(&ctx->alloc, ((size_t)s->h + 1) * sizeof(size_t));
    if (s->row == NULL) {
        return maskeval_nomem(ctx, "reading an image");
    }
    for (uint32_t y = 0; y < s->h && st == MASKEVAL_OK; y++) {
        const uint16_t *g = s->gt + (size_t)y * s->w;
        uint32_t x = 0;
        s->row[y] = s->n_runs;
        while (x < s->w && st == MASKEVAL_OK) {
            const uint16_t v = g[x];
            uint32_t e = x + 1;
            void *px = s->run_x, *pv = s->run_v;
            while (e < s->w && g[e] == v) {
                e++;
            }
            st = grow(ctx, &px, &s->cap_x, s->n_runs + 1, sizeof(uint32_t));
            s->run_x = px;
            if (st == MASKEVAL_OK) {
                st = grow(ctx, &pv, &s->cap_v, s->n_runs + 1, sizeof(uint16_t));
                s->run_v = pv;
            }
            if (st == MASKEVAL_OK) {
                s->run_x[s->n_runs] = x;
                s->run_v[s->n_runs] = v;
                s->n_runs++;
                s->pixels[v] += e - x;
            }
            x = e;
        }
    }
    s->row[s->h] = s->n_runs;
    return st;
}

/* Adds the ground-truth values under the mask pixels [b, e) of one row to
 * s->inter; returns how many of them are void. */
static uint64_t mask_run(image_state *s, uint64_t b, uint64_t e)
{
    const uint64_t y = b / s->w;
    const uint32_t x0 = (uint32_t)(b - y * s->w), x1 = (uint32_t)(e - y * s->w);
    size_t lo = s->row[y], hi = s->row[y + 1], j;
    const size_t end = hi;
    uint64_t void_px = 0;
    /* the last run of the row that starts at or before x0 */
    while (hi - lo > 1) {
        const size_t mid = lo + (hi - lo) / 2;
        if (s->run_x[mid] <= x0) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    for (j = lo; j < end && s->run_x[j] < x1; j++) {
        const uint32_t rs = s->run_x[j] > x0 ? s->run_x[j] : x0;
        const uint32_t re_ = j + 1 < end ? s->run_x[j + 1] : s->w;
        const uint32_t re = re_ < x1 ? re_ : x1;
        const uint16_t v = s->run_v[j];
        s->inter[v] += re - rs;
        void_px += (uint64_t)s->void_of[v] * (re - rs);
    }
    return void_px;
}

/*
 * One image into rec (per class, indices local to the image): the text
 * file first (the reference reads it whole before any mask), then the
 * ground truth, then every mask of an instance class in the file's order.
 */
static maskeval_status build_image(maskeval_ctx *ctx, const maskeval_csinst_params *prm,
                                   const char *gt_png, const char *pred_txt, const char *root,
                                   image_state *s, cs_class_data *rec)
{
    maskeval_label_img li;
    maskeval_luma_mask m;
    cs_pred_list pl;
    char err[1024];
    maskeval_status st;
    size_t npix;

    memset(&li, 0, sizeof(li));
    memset(&m, 0, sizeof(m));
    s->gt = NULL;
    s->run_x = NULL;
    s->run_v = NULL;
    s->row = NULL;
    st = cs_pred_list_read(ctx, pred_txt, root, &pl);
    if (st != MASKEVAL_OK) {
        return st;
    }
    err[0] = '\0';
    st = maskeval_png_read_labels(&ctx->alloc, gt_png, prm->max_image_pixels, &li, err,
                                  sizeof(err));
    if (st != MASKEVAL_OK) {
        st = maskeval_fail(ctx, st, "%s", err);
        goto done;
    }
    s->w = li.w;
    s->h = li.h;
    npix = (size_t)li.w * li.h;
    memset(s->pixels, 0, sizeof(s->pixels));
    memset(s->inter, 0, sizeof(s->inter));
    if (li.bytes == 2) {
        s->gt = li.data;
        li.data = NULL;
    } else {
        const uint8_t *b = li.data;
        s->gt = maskeval_malloc(&ctx->alloc, npix * sizeof(uint16_t));
        if (s->gt == NULL) {
            st = maskeval_nomem(ctx, "reading an image");
            goto done;
        }
        for (size_t i = 0; i < npix; i++) {
            s->gt[i] = b[i];
        }
    }
    st = gt_runs(ctx, s);
    if (st != MASKEVAL_OK) {
        goto done;
    }
    s->n_vals = 0;
    for (uint32_t v = 0; v < 65536; v++) {
        s->void_of[v] = (uint8_t)is_void_value(v);
        if (s->pixels[v] == 0) {
            continue;
        }
        if (label_of(v) > 33) {
            st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                               "%s: value %u (label id %u) is not a Cityscapes label id "
                               "(values are id or id*1000+k with id 0..33)",
                               gt_png, v, label_of(v));
            goto done;
        }
        s->vals[s->n_vals++] = v;
    }
    /* ground-truth instances of the 8 classes, ascending value (np.unique) */
    for (uint32_t k = 0; k < s->n_vals; k++) {
        const uint32_t v = s->vals[k];
        const int c = cs_class_of_label((long)label_of(v));
        cs_class_data *d;
        if (c < 0) {
            continue;
        }
        d = &rec[c];
        {
            void *p = d->gts;
            st = grow(ctx, &p, &d->cap_gts, d->n_gts + 1, sizeof(*d->gts));
            if (st != MASKEVAL_OK) {
                goto done;
            }
            d->gts = p;
        }
        d->gts[d->n_gts].inst_id = v;
        d->gts[d->n_gts].pixels = s->pixels[v];
        d->n_gts++;
    }
    /* predictions, in the text file's order */
    for (size_t i = 0; i < pl.n; i++) {
        const cs_pred_entry *pe = &pl.v[i];
        const int c = cs_class_of_label(pe->label);
        cs_class_data *d;
        uint64_t void_inter = 0;
        size_t link0;
        if (c < 0) {
            continue; /* never opened, as in the reference */
        }
        err[0] = '\0';
        st = maskeval_png_read_luma_mask(&ctx->alloc, pe->path, prm->max_image_pixels, &m, err,
                                         sizeof(err));
        if (st != MASKEVAL_OK) {
            st = maskeval_fail(ctx, st, "%s: line %zu: %s", pred_txt, pe->line, err);
            goto done;
        }
        if (m.count == 0) {
            maskeval_luma_mask_free(&ctx->alloc, &m);
            continue; /* empty masks are dropped before any size check */
        }
        if (m.w != s->w || m.h != s->h) {
            st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                               "%s: line %zu: mask %s is %ux%u but the ground truth %s is %ux%u",
                               pred_txt, pe->line, pe->path, m.w, m.h, gt_png, s->w, s->h);
            goto done;
        }
        d = &rec[c];
        for (size_t g = 0; g < d->n_gts; g++) {
            s->inter[d->gts[g].inst_id] = 0;
        }
        for (size_t r = 0; r < m.n_runs; r++) {
            void_inter += mask_run(s, m.runs[2 * r], m.runs[2 * r + 1]);
        }
        link0 = d->n_links;
        for (size_t g = 0; g < d->n_gts; g++) {
            const uint64_t x = s->inter[d->gts[g].inst_id];
            if (x == 0) {
                continue;
            }
            {
                void *p = d->links;
                st = grow(ctx, &p, &d->cap_links, d->n_links + 1, sizeof(*d->links));
                if (st != MASKEVAL_OK) {
                    goto done;
                }
                d->links = p;
            }
            d->links[d->n_links].gt = g;
            d->links[d->n_links].pred = d->n_preds;
            d->links[d->n_links].inter = x;
            d->n_links++;
        }
        {
            void *p = d->preds;
            st = grow(ctx, &p, &d->cap_preds, d->n_preds + 1, sizeof(*d->preds));
            if (st != MASKEVAL_OK) {
                goto done;
            }
            d->preds = p;
        }
        d->preds[d->n_preds].pixels = m.count;
        d->preds[d->n_preds].void_inter = void_inter;
        d->preds[d->n_preds].conf = pe->conf;
        d->preds[d->n_preds].link0 = link0;
        d->preds[d->n_preds].n_links = d->n_links - link0;
        d->n_preds++;
        maskeval_luma_mask_free(&ctx->alloc, &m);
    }
done:
    maskeval_free(&ctx->alloc, s->gt);
    maskeval_free(&ctx->alloc, s->run_x);
    maskeval_free(&ctx->alloc, s->run_v);
    maskeval_free(&ctx->alloc, s->row);
    s->gt = NULL;
    s->run_x = NULL;
    s->run_v = NULL;
    s->row = NULL;
    maskeval_label_img_free(&ctx->alloc, &li);
    maskeval_luma_mask_free(&ctx->alloc, &m);
    cs_pred_list_free(&ctx->alloc, &pl);
    return st;
}

typedef struct add_job {
    const maskeval_ctx *ctx;
    const maskeval_csinst_params *prm;
    const char *const *gt, *const *pred;
    const char *root;
    cs_class_data (*rec)[MASKEVAL_CSINST_CLASSES]; /* one set per image */
} add_job;

static maskeval_status add_task(void *arg, size_t i, int worker, char *err, size_t errcap)
{
    const add_job *j = arg;
    maskeval_ctx w;
    image_state *s;
    maskeval_status st;
    (void)worker;
    maskeval_ctx_worker(j->ctx, &w);
    s = maskeval_malloc(&w.alloc, sizeof(*s));
    if (s == NULL) {
        snprintf(err, errcap, "out of memory reading %s", j->gt[i]);
        return MASKEVAL_ERR_NOMEM;
    }
    st = build_image(&w, j->prm, j->gt[i], j->pred[i], j->root, s, j->rec[i]);
    if (st != MASKEVAL_OK) {
        snprintf(err, errcap, "%s", w.errmsg);
    }
    maskeval_free(&w.alloc, s);
    return st;
}

/* Appends one image's records to e's per-class arrays (indices offset). */
static maskeval_status merge_image(maskeval_ctx *ctx, maskeval_csinst *e,
                                   const cs_class_data *rec)
{
    for (int c = 0; c < MASKEVAL_CSINST_CLASSES; c++) {
        cs_class_data *d = &e->cls[c];
        const cs_class_data *r = &rec[c];
        const size_t g0 = d->n_gts, p0 = d->n_preds, l0 = d->n_links;
        void *p;
        maskeval_status st;
        p = d->gts;
        st = grow(ctx, &p, &d->cap_gts, g0 + r->n_gts + 1, sizeof(*d->gts));
        if (st != MASKEVAL_OK) {
            return st;
        }
        d->gts = p;
        p = d->preds;
        st = grow(ctx, &p, &d->cap_preds, p0 + r->n_preds + 1, sizeof(*d->preds));
        if (st != MASKEVAL_OK) {
            return st;
        }
        d->preds = p;
        p = d->links;
        st = grow(ctx, &p, &d->cap_links, l0 + r->n_links + 1, sizeof(*d->links));
        if (st != MASKEVAL_OK) {
            return st;
        }
        d->links = p;
        for (size_t k = 0; k < r->n_gts; k++) {
            d->gts[g0 + k] = r->gts[k];
        }
        for (size_t k = 0; k < r->n_preds; k++) {
            d->preds[p0 + k] = r->preds[k];
            d->preds[p0 + k].link0 += l0;
        }
        for (size_t k = 0; k < r->n_links; k++) {
            d->links[l0 + k] = r->links[k];
            d->links[l0 + k].gt += g0;
            d->links[l0 + k].pred += p0;
        }
        d->n_gts += r->n_gts;
        d->n_preds += r->n_preds;
        d->n_links += r->n_links;
    }
    return MASKEVAL_OK;
}

maskeval_status maskeval_csinst_add_many(maskeval_ctx *ctx, maskeval_csinst *e,
                                         const char *const *gt_pngs,
                                         const char *const *pred_txts, size_t n,
                                         const char *pred_root)
{
    cs_class_data (*rec)[MASKEVAL_CSINST_CLASSES] = NULL;
    size_t saved_gts[MASKEVAL_CSINST_CLASSES], saved_preds[MASKEVAL_CSINST_CLASSES],
        saved_links[MASKEVAL_CSINST_CLASSES];
    char *root = NULL;
    maskeval_status st = MASKEVAL_OK;
    add_job job;

    if (ctx == NULL) {
        return MASKEVAL_ERR_INVALID_ARG;
    }
    if (e == NULL || pred_root == NULL || (n > 0 && (gt_pngs == NULL || pred_txts == NULL))) {
        return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG, "maskeval_csinst_add: NULL argument");
    }
    for (size_t i = 0; i < n; i++) {
        if (gt_pngs[i] == NULL || pred_txts[i] == NULL) {
            return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                                 "maskeval_csinst_add: path %zu is NULL", i);
        }
    }
    for (int c = 0; c < MASKEVAL_CSINST_CLASSES; c++) {
        saved_gts[c] = e->cls[c].n_gts;
        saved_preds[c] = e->cls[c].n_preds;
        saved_links[c] = e->cls[c].n_links;
    }
    root = cs_abspath(&ctx->alloc, pred_root);
    rec = maskeval_calloc(&ctx->alloc, n + 1, sizeof(*rec));
    if (root == NULL || rec == NULL) {
        st = maskeval_nomem(ctx, "reading images");
        goto done;
    }
    job.ctx = ctx;
    job.prm = &e->p;
    job.gt = gt_pngs;
    job.pred = pred_txts;
    job.root = root;
    job.rec = rec;
    maskeval_progress_stage(ctx, "reading images");
    st = maskeval_parallel_for(ctx, n, add_task, &job);
    /* in the caller's order: results never depend on the thread count */
    for (size_t i = 0; i < n && st == MASKEVAL_OK; i++) {
        st = merge_image(ctx, e, rec[i]);
    }
    if (st == MASKEVAL_OK) {
        e->images += n;
    }
done:
    if (st != MASKEVAL_OK) {
        for (int c = 0; c < MASKEVAL_CSINST_CLASSES; c++) {
            e->cls[c].n_gts = saved_gts[c];
            e->cls[c].n_preds = saved_preds[c];
            e->cls[c].n_links = saved_links[c];
        }
    }
    if (rec != NULL) {
        for (size_t i = 0; i < n; i++) {
            for (int c = 0; c < MASKEVAL_CSINST_CLASSES; c++) {
                class_data_free(&ctx->alloc, &rec[i][c]);
            }
        }
    }
    maskeval_free(&ctx->alloc, rec);
    maskeval_free(&ctx->alloc, root);
    return st;
}

maskeval_status maskeval_csinst_add(maskeval_ctx *ctx, maskeval_csinst *e, const char *gt_png,
                                    const char *pred_txt, const char *pred_root)
{
    if (ctx != NULL && (gt_png == NULL || pred_txt == NULL)) {
        return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG, "maskeval_csinst_add: NULL argument");
    }
    return maskeval_csinst_add_many(ctx, e, &gt_png, &pred_txt, 1, pred_root);
}

maskeval_status maskeval_csinst_evaluate(maskeval_ctx *ctx, const maskeval_csinst *e,
                                         maskeval_csinst_result *out)
{
    double all[MASKEVAL_CSINST_CLASSES * MASKEVAL_CSINST_THRESHOLDS], at50[MASKEVAL_CSINST_CLASSES];
    maskeval_status st = MASKEVAL_OK;
    if (ctx == NULL) {
        return MASKEVAL_ERR_INVALID_ARG;
    }
    if (e == NULL || out == NULL) {
        return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                             "maskeval_csinst_evaluate: NULL argument");
    }
    memset(out, 0, sizeof(*out));
    for (int c = 0; c < MASKEVAL_CSINST_CLASSES && st == MASKEVAL_OK; c++) {
        for (int t = 0; t < MASKEVAL_CSINST_THRESHOLDS && st == MASKEVAL_OK; t++) {
            st = cs_class_ap(ctx, &e->cls[c], maskeval_csinst_threshold(t), e->p.min_region_size,
                             e->p.ddot_kernel, &out->ap[c][t]);
        }
        out->gt_instances += e->cls[c].n_gts;
        out->predictions += e->cls[c].n_preds;
    }
    if (st != MASKEVAL_OK) {
        return st;
    }
    /* np.average per class; np.nanmean over the matrix and over the 0.5 column */
    for (int c = 0; c < MASKEVAL_CSINST_CLASSES; c++) {
        out->class_ap[c] = maskeval_np_sum(out->ap[c], MASKEVAL_CSINST_THRESHOLDS, 0) /
                           (double)MASKEVAL_CSINST_THRESHOLDS;
        out->class_ap50[c] = out->ap[c][0];
        memcpy(all + c * MASKEVAL_CSINST_THRESHOLDS, out->ap[c], sizeof(out->ap[c]));
        at50[c] = out->ap[c][0];
    }
    out->all_ap = maskeval_np_nanmean(all, MASKEVAL_CSINST_CLASSES * MASKEVAL_CSINST_THRESHOLDS);
    out->all_ap50 = maskeval_np_nanmean(at50, MASKEVAL_CSINST_CLASSES);
    out->images = e->images;
    return MASKEVAL_OK;
}
