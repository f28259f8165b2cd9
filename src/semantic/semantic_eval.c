/*
 * semantic_eval.c - semantic-segmentation evaluation: label lookup tables,
 * PNG decoding on worker threads feeding the backend, and mmsegmentation's
 * IoUMetric arithmetic on the exact counts.
 *
 * Metrics follow mmseg (float64 here, from uint64 counts): per class
 * IoU = I/U, Acc = Recall = I/L, Dice = 2I/(P+L), Precision = I/P,
 * Fscore = (1+b^2)(P*R)/(b^2 P + R) with b = 1 from precision and recall,
 * NaN for 0/0; the m* values are np.nanmean (NaN -> 0, numpy's pairwise
 * sum over all K classes, divided by the non-NaN count); aAcc = sum I / sum L;
 * fwIoU = sum over classes with L > 0 of (L_c / sum L) * IoU_c (detectron2).
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "backend/backend.h"
#include "backend/cost_model.h"
#include "core/npcompat.h"
#include "core/threadpool.h"
#include "io/png_labels.h"
#include "semantic/confusion.h"
#include "semantic/semantic.h"


void maskeval_semantic_params_init(maskeval_semantic_params *p)
{
    if (p == NULL) {
        return;
    }
    memset(p, 0, sizeof(*p));
    p->struct_size = sizeof(*p);
    p->ignore_index = 255;
}

void maskeval_semantic_destroy(maskeval_semantic *s)
{
    maskeval_alloc a;
    if (s == NULL) {
        return;
    }
    a = s->alloc;
    maskeval_cm_free(&a, &s->cm);
    maskeval_free(&a, s->held);
    maskeval_free(&a, s->tag);
    maskeval_free(&a, s->lut_g);
    maskeval_free(&a, s->lut_p);
    maskeval_free(&a, s);
}

/* table[v] = dst for every (src, dst) pair with src a 16-bit label. */
static maskeval_status apply_pairs(maskeval_ctx *ctx, int64_t *table, const int64_t *pairs,
                                   size_t n, const char *what)
{
    for (size_t i = 0; i < n; i++) {
        int64_t src = pairs[2 * i], dst = pairs[2 * i + 1];
        if (src < 0 || dst < 0) {
            return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                                 "%s: labels must be >= 0 (pair %zu: %lld -> %lld)", what, i,
                                 (long long)src, (long long)dst);
        }
        if (src <= 65535) {
            table[src] = dst;
        }
    }
    return MASKEVAL_OK;
}

static uint32_t clamp_label(int64_t v, uint32_t k)
{
    return v >= (int64_t)k ? k : (uint32_t)v;
}

maskeval_status maskeval_semantic_create(maskeval_ctx *ctx, const maskeval_semantic_params *user,
                                         maskeval_semantic **out)
{
    maskeval_semantic_params p;
    maskeval_semantic *s = NULL;
    int64_t *map_g = NULL, *map_p = NULL;
    maskeval_status st;

    if (ctx == NULL || out == NULL) {
        return MASKEVAL_ERR_INVALID_ARG;
    }
    *out = NULL;
    maskeval_semantic_params_init(&p);
    if (user != NULL) {
        size_t n = user->struct_size == 0 || user->struct_size > sizeof(p) ? sizeof(p)
                                                                            : user->struct_size;
        memcpy(&p, user, n);
    }
    if (p.num_classes < 1 || p.num_classes > 65535) {
        return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                             "the number of classes must be between 1 and 65535 (got %u)",
                             p.num_classes);
    }
    s = maskeval_calloc(&ctx->alloc, 1, sizeof(*s));
    if (s == NULL) {
        return maskeval_nomem(ctx, "creating a semantic evaluation");
    }
    s->alloc = ctx->alloc;
    map_g = maskeval_calloc(&ctx->alloc, 65536, sizeof(int64_t));
    map_p = maskeval_calloc(&ctx->alloc, 65536, sizeof(int64_t));
    if (map_g == NULL || map_p == NULL) {
        st = maskeval_nomem(ctx, "creating a semantic evaluation");
        goto done;
    }
    s->k = p.num_classes;
    s->ignore = p.ignore_index;
    s->max_pixels = p.max_image_pixels;
    s->lut_g = maskeval_calloc(&ctx->alloc, 65536, sizeof(uint32_t));
    s->lut_p = maskeval_calloc(&ctx->alloc, 65536, sizeof(uint32_t));
    if (s->lut_g == NULL || s->lut_p == NULL ||
        maskeval_cm_init(&ctx->alloc, &s->cm, s->k) != MASKEVAL_OK) {
        st = maskeval_nomem(ctx, "creating a semantic evaluation");
        goto done;
    }
    for (int64_t v = 0; v < 65536; v++) {
        map_g[v] = v;
        map_p[v] = v;
    }
    st = apply_pairs(ctx, map_g, p.label_map, p.n_label_map, "label map");
    if (st == MASKEVAL_OK) {
        st = apply_pairs(ctx, map_p, p.pred_label_map, p.n_pred_label_map, "prediction label map");
    }
    if (st != MASKEVAL_OK) {
        goto done;
    }
    /* One table per side: decode value -> class (or SKIP), all steps folded. */
    for (int64_t v = 0; v < 65536; v++) {
        int64_t g = v;
        if (p.reduce_zero_label) {
            g = (v == 0 || v == 255) ? 255 : v - 1;
        }
        g = g <= 65535 ? map_g[g] : g;
        s->lut_g[v] = (p.ignore_index >= 0 && g == p.ignore_index) ? MASKEVAL_LABEL_SKIP
                                                                    : clamp_label(g, s->k);
        s->lut_p[v] = clamp_label(map_p[v], s->k);
    }
    *out = s;
    s = NULL;
done:
    maskeval_free(&ctx->alloc, map_g);
    maskeval_free(&ctx->alloc, map_p);
    maskeval_semantic_destroy(s);
    return st;
}

maskeval_status maskeval_semantic_add(maskeval_ctx *ctx, maskeval_semantic *s, const void *gt,
                                      const void *pred, size_t n_pixels, int bytes_per_label)
{
    maskeval_labels l;
    maskeval_status st;
    double t0;
    if (ctx == NULL || s == NULL || (n_pixels > 0 && (gt == NULL || pred == NULL)) ||
        (bytes_per_label != 1 && bytes_per_label != 2)) {
        return ctx != NULL ? maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                                           "maskeval_semantic_add: invalid arguments")
                           : MASKEVAL_ERR_INVALID_ARG;
    }
    l.gt = gt;
    l.pred = pred;
    l.n = n_pixels;
    l.bytes = bytes_per_label;
    l.lut_g = s->lut_g;
    l.lut_p = s->lut_p;
    t0 = maskeval_now();
    st = maskeval_backend_confusion(ctx, &s->cm, &l, 1);
    s->count_s += maskeval_now() - t0;
    if (st == MASKEVAL_OK) {
        s->images++;
    }
    return st;
}

/* ---- PNG pairs: decode on workers, count per worker or on the device ---- */

typedef struct png_job {
    maskeval_semantic *s;
    const char *const *gt_paths, *const *pred_paths;
    size_t base;                 /* first pair of the chunk */
    maskeval_label_img *gt, *pred;
    int count_in_worker;         /* CPU path: count right after decoding */
    maskeval_cm *wcm;            /* per worker */
    double *wdecode, *wcount;    /* per worker */
} png_job;

/* 8-bit labels widened to 16 bits (when its partner is 16-bit). */
static int widen(const maskeval_alloc *a, maskeval_label_img *img)
{
    size_t n = (size_t)img->w * img->h;
    uint16_t *w16;
    if (img->bytes == 2) {
        return 1;
    }
    w16 = maskeval_malloc(a, n * 2);
    if (w16 == NULL) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        w16[i] = ((const uint8_t *)img->data)[i];
    }
    maskeval_free(a, img->data);
    img->data = w16;
    img->bytes = 2;
    return 1;
}

static maskeval_status decode_pair(void *arg, size_t i, int worker, char *err, size_t errcap)
{
    png_job *job = arg;
    const maskeval_alloc *a = &job->s->alloc;
    maskeval_label_img *g = &job->gt[i], *p = &job->pred[i];
    const char *gp = job->gt_paths[job->base + i], *pp = job->pred_paths[job->base + i];
    double t0 = maskeval_now();
    maskeval_status st = maskeval_png_read_labels(a, gp, job->s->max_pixels, g, err, errcap);
    if (st == MASKEVAL_OK) {
        st = maskeval_png_read_labels(a, pp, job->s->max_pixels, p, err, errcap);
    }
    if (st == MASKEVAL_OK && (g->w != p->w || g->h != p->h)) {
        snprintf(err, errcap,
                 "size mismatch: ground truth %s is %ux%u, prediction %s is %ux%u", gp, g->w,
                 g->h, pp, p->w, p->h);
        st = MASKEVAL_ERR_PARSE;
    }
    if (st == MASKEVAL_OK && g->bytes != p->bytes && (!widen(a, g) || !widen(a, p))) {
        snprintf(err, errcap, "%s: out of memory", gp);
        st = MASKEVAL_ERR_NOMEM;
    }
    job->wdecode[worker] += maskeval_now() - t0;
    if (st == MASKEVAL_OK && job->count_in_worker) {
        maskeval_labels l = {g->data, p->data, (size_t)g->w * g->h, g->bytes, job->s->lut_g,
                             job->s->lut_p};
        t0 = maskeval_now();
        st = maskeval_cm_count_cpu(a, &job->wcm[worker], &l);
        job->wcount[worker] += maskeval_now() - t0;
        if (st != MASKEVAL_OK) {
            snprintf(err, errcap, "out of memory counting %s", gp);
        }
        maskeval_label_img_free(a, g);
        maskeval_label_img_free(a, p);
    }
    return st;
}

/* Counting a decoded chunk on the device, on its own thread so that the
 * workers decode the next chunk meanwhile. It reports through a worker
 * context sharing the backend, adopted back after the join. */
typedef struct device_chunk {
    maskeval_ctx shadow;
    maskeval_semantic *s;
    maskeval_labels *items;
    size_t n;
    maskeval_status st;
    double seconds;
} device_chunk;

static void *device_count(void *arg)
{
    device_chunk *dc = arg;
    double t0 = maskeval_now();
    dc->st = maskeval_backend_confusion(&dc->shadow, &dc->s->cm, dc->items, dc->n);
    dc->seconds = maskeval_now() - t0;
    return NULL;
}

static void free_chunk(const maskeval_alloc *a, maskeval_label_img *gt, maskeval_label_img *pred,
                       size_t n)
{
    for (size_t i = 0; i < n; i++) {
        maskeval_label_img_free(a, &gt[i]);
        maskeval_label_img_free(a, &pred[i]);
    }
}

/* Joins the device thread of the previous chunk and frees that chunk. */
/* running: 0 nothing pending, 1 a thread to join, 2 counted inline. */
static maskeval_status join_device(maskeval_ctx *ctx, maskeval_semantic *s, device_chunk *dc,
                                   pthread_t *tid, int *running, maskeval_label_img *gt,
                                   maskeval_label_img *pred)
{
    maskeval_status st;
    if (!*running) {
        return MASKEVAL_OK;
    }
    if (*running == 1) {
        pthread_join(*tid, NULL);
    }
    *running = 0;
    st = dc->st;
    s->count_s += dc->seconds;
    maskeval_ctx_adopt(ctx, &dc->shadow, st);
    free_chunk(&s->alloc, gt, pred, dc->n);
    return st;
}

maskeval_status maskeval_semantic_add_png(maskeval_ctx *ctx, maskeval_semantic *s,
                                          const char *const *gt_paths,
                                          const char *const *pred_paths, size_t n)
{
    const maskeval_alloc *a;
    maskeval_backend_state *be = NULL;
    int workers, running = 0, cur = 0;
    size_t chunk;
    png_job job;
    maskeval_label_img *gt[2] = {NULL, NULL}, *pred[2] = {NULL, NULL};
    maskeval_labels *items[2] = {NULL, NULL};
    device_chunk dc;
    pthread_t tid;
    maskeval_status st;

    if (ctx == NULL || s == NULL || (n > 0 && (gt_paths == NULL || pred_paths == NULL))) {
        return ctx != NULL ? maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                                           "maskeval_semantic_add_png: invalid arguments")
                           : MASKEVAL_ERR_INVALID_ARG;
    }
    a = &ctx->alloc;
    /* auto's workload: every image the size of the first */
    st = maskeval_backend_get_for(ctx, MASKEVAL_WORK_CONFUSION,
                                  n > 0 && maskeval_backend_undecided(ctx)
                                      ? (double)n * (double)maskeval_png_pixels(gt_paths[0])
                                      : 0,
                                  &be);
    if (st != MASKEVAL_OK) {
        return st;
    }
    memset(&job, 0, sizeof(job));
    memset(&dc, 0, sizeof(dc));
    workers = maskeval_parallel_workers(ctx, n > 0 ? n : 1);
    /* The CPU path counts in the workers, each into its own counts, when
     * those stay small; otherwise chunks are counted as a whole. */
    job.count_in_worker =
        be->ops == &maskeval_backend_cpu_ops &&
        (s->cm.sparse || (uint64_t)(s->k + 1) * (s->k + 1) * 8 * (uint64_t)workers <= (256u << 20));
    /* the device path keeps two decoded chunks alive: keep them small */
    chunk = (size_t)workers * (job.count_in_worker ? 8 : 2);
    job.s = s;
    job.gt_paths = gt_paths;
    job.pred_paths = pred_paths;
    job.wcm = maskeval_calloc(a, (size_t)workers, sizeof(maskeval_cm));
    job.wdecode = maskeval_calloc(a, (size_t)workers, sizeof(double));
    job.wcount = maskeval_calloc(a, (size_t)workers, sizeof(double));
    for (int c = 0; c < 2; c++) {
        gt[c] = maskeval_calloc(a, chunk, sizeof(maskeval_label_img));
        pred[c] = maskeval_calloc(a, chunk, sizeof(maskeval_label_img));
        items[c] = maskeval_calloc(a, chunk, sizeof(maskeval_labels));
        if (gt[c] == NULL || pred[c] == NULL || items[c] == NULL) {
            st = maskeval_nomem(ctx, "decoding label maps");
            goto done;
        }
    }
    if (job.wcm == NULL || job.wdecode == NULL || job.wcount == NULL) {
        st = maskeval_nomem(ctx, "decoding label maps");
        goto done;
    }
    for (int w = 0; w < workers && job.count_in_worker; w++) {
        if (maskeval_cm_init(a, &job.wcm[w], s->k) != MASKEVAL_OK) {
            st = maskeval_nomem(ctx, "decoding label maps");
            goto done;
        }
    }
    for (size_t base = 0; base < n; base += chunk) {
        size_t m = n - base < chunk ? n - base : chunk;
        job.base = base;
        job.gt = gt[cur];
        job.pred = pred[cur];
        /* one fraction over all chunks */
        maskeval_progress_window(ctx, "decoding label maps", (double)base / (double)n,
                                 (double)(base + m) / (double)n);
        st = maskeval_parallel_for(ctx, m, decode_pair, &job);
        if (st != MASKEVAL_OK) {
            free_chunk(a, gt[cur], pred[cur], m);
            break;
        }
        if (job.count_in_worker) {
            continue;
        }
        /* hand the chunk to the device thread; wait for the previous one */
        st = join_device(ctx, s, &dc, &tid, &running, gt[1 - cur], pred[1 - cur]);
        if (st != MASKEVAL_OK) {
            free_chunk(a, gt[cur], pred[cur], m);
            break;
        }
        {
            /* one label width per device call: widen the chunk if it mixes */
            int bytes = 1;
            for (size_t i = 0; i < m; i++) {
                bytes = gt[cur][i].bytes > bytes ? gt[cur][i].bytes : bytes;
            }
            for (size_t i = 0; i < m; i++) {
                if (bytes == 2 && (!widen(a, &gt[cur][i]) || !widen(a, &pred[cur][i]))) {
                    st = maskeval_nomem(ctx, "widening labels");
                    break;
                }
                items[cur][i].gt = gt[cur][i].data;
                items[cur][i].pred = pred[cur][i].data;
                items[cur][i].n = (size_t)gt[cur][i].w * gt[cur][i].h;
                items[cur][i].bytes = bytes;
                items[cur][i].lut_g = s->lut_g;
                items[cur][i].lut_p = s->lut_p;
            }
            if (st != MASKEVAL_OK) {
                free_chunk(a, gt[cur], pred[cur], m);
                break;
            }
        }
        maskeval_ctx_worker(ctx, &dc.shadow);
        dc.shadow.backend = ctx->backend; /* the device thread alone uses it meanwhile */
        dc.s = s;
        dc.items = items[cur];
        dc.n = m;
        if (pthread_create(&tid, NULL, device_count, &dc) == 0) {
            running = 1;
        } else {
            device_count(&dc); /* no thread to spare: count inline */
            running = 2;
        }
        cur = 1 - cur;
    }
    {
        maskeval_status st2 = join_device(ctx, s, &dc, &tid, &running, gt[1 - cur], pred[1 - cur]);
        if (st == MASKEVAL_OK) {
            st = st2;
        }
    }
    if (st == MASKEVAL_OK) {
        for (int w = 0; w < workers && job.count_in_worker; w++) {
            if (maskeval_cm_merge(a, &s->cm, &job.wcm[w]) != MASKEVAL_OK) {
                st = maskeval_nomem(ctx, "merging counts");
                break;
            }
        }
    }
    if (st == MASKEVAL_OK) {
        s->images += n;
        for (int w = 0; w < workers; w++) {
            s->decode_s += job.wdecode[w];
            s->count_s += job.wcount[w];
        }
    }
done:
    for (int w = 0; job.wcm != NULL && w < workers; w++) {
        maskeval_cm_free(a, &job.wcm[w]);
    }
    maskeval_free(a, job.wcm);
    maskeval_free(a, job.wdecode);
    maskeval_free(a, job.wcount);
    for (int c = 0; c < 2; c++) {
        maskeval_free(a, gt[c]);
        maskeval_free(a, pred[c]);
        maskeval_free(a, items[c]);
    }
    return st;
}

/* ---- metrics ------------------------------------------------------------ */

typedef struct marginals {
    uint64_t *label, *pred, *inter; /* [K] */
    uint64_t invalid_gt, invalid_pred;
} marginals;

typedef struct marg_arg {
    marginals *m;
    uint32_t k;
} marg_arg;

static maskeval_status add_cell(void *arg, uint32_t row, uint32_t col, uint64_t n)
{
    marg_arg *ma = arg;
    if (row < ma->k) {
        ma->m->label[row] += n;
    } else {
        ma->m->invalid_gt += n;
    }
    if (col < ma->k) {
        ma->m->pred[col] += n;
    } else {
        ma->m->invalid_pred += n;
    }
    if (row == col && row < ma->k) {
        ma->m->inter[row] += n;
    }
    return MASKEVAL_OK;
}

static maskeval_status compute_marginals(const maskeval_semantic *s, marginals *m)
{
    marg_arg ma = {m, s->k};
    memset(m, 0, sizeof(*m));
    m->label = maskeval_calloc(&s->alloc, s->k, sizeof(uint64_t));
    m->pred = maskeval_calloc(&s->alloc, s->k, sizeof(uint64_t));
    m->inter = maskeval_calloc(&s->alloc, s->k, sizeof(uint64_t));
    if (m->label == NULL || m->pred == NULL || m->inter == NULL) {
        return MASKEVAL_ERR_NOMEM;
    }
    return maskeval_cm_foreach(&s->alloc, &s->cm, add_cell, &ma);
}

static void free_marginals(const maskeval_semantic *s, marginals *m)
{
    maskeval_free(&s->alloc, m->label);
    maskeval_free(&s->alloc, m->pred);
    maskeval_free(&s->alloc, m->inter);
}

static void class_metrics(const marginals *m, uint32_t c, maskeval_class_metrics *o)
{
    const double i = (double)m->inter[c], p = (double)m->pred[c], l = (double)m->label[c];
    const double beta2 = 1.0;
    o->intersect = m->inter[c];
    o->pred = m->pred[c];
    o->label = m->label[c];
    o->union_ = m->pred[c] + m->label[c] - m->inter[c];
    o->iou = i / (double)o->union_;
    o->acc = i / l;
    o->dice = 2 * i / (p + l);
    o->precision = i / p;
    o->recall = i / l;
    o->fscore = (1 + beta2) * (o->precision * o->recall) / (beta2 * o->precision + o->recall);
}

maskeval_status maskeval_semantic_classes(const maskeval_semantic *s, maskeval_class_metrics *out,
                                          size_t cap)
{
    marginals m;
    maskeval_status st;
    if (s == NULL || out == NULL || cap < s->k) {
        return s != NULL && cap < s->k ? MASKEVAL_ERR_BUFFER_TOO_SMALL : MASKEVAL_ERR_INVALID_ARG;
    }
    st = compute_marginals(s, &m);
    if (st == MASKEVAL_OK) {
        for (uint32_t c = 0; c < s->k; c++) {
            class_metrics(&m, c, &out[c]);
        }
    }
    free_marginals(s, &m);
    return st;
}

maskeval_status maskeval_semantic_summarize(const maskeval_semantic *s,
                                          maskeval_semantic_summary *out)
{
    marginals m;
    maskeval_class_metrics *cls = NULL;
    double *v = NULL, sum_i = 0, sum_l = 0;
    size_t k, nfw = 0;
    maskeval_status st;
    if (s == NULL || out == NULL) {
        return MASKEVAL_ERR_INVALID_ARG;
    }
    k = s->k;
    memset(out, 0, sizeof(*out));
    st = compute_marginals(s, &m);
    cls = maskeval_calloc(&s->alloc, k, sizeof(*cls));
    v = maskeval_calloc(&s->alloc, k, sizeof(double));
    if (st != MASKEVAL_OK || cls == NULL || v == NULL) {
        st = MASKEVAL_ERR_NOMEM;
        goto done;
    }
    for (uint32_t c = 0; c < k; c++) {
        class_metrics(&m, c, &cls[c]);
        sum_i += (double)m.inter[c];
        sum_l += (double)m.label[c];
    }
#define MEAN_OF(field, dst)                                                                        \
    do {                                                                                           \
        for (size_t c = 0; c < k; c++) {                                                           \
            v[c] = cls[c].field;                                                                   \
        }                                                                                          \
        out->dst = maskeval_np_nanmean(v, k);                                                                  \
    } while (0)
    MEAN_OF(iou, mIoU);
    MEAN_OF(acc, mAcc);
    MEAN_OF(dice, mDice);
    MEAN_OF(precision, mPrecision);
    MEAN_OF(recall, mRecall);
    MEAN_OF(fscore, mFscore);
#undef MEAN_OF
    out->aAcc = sum_i / sum_l;
    for (uint32_t c = 0; c < k; c++) {
        if (m.label[c] > 0) {
            v[nfw++] = ((double)m.label[c] / sum_l) * cls[c].iou;
        }
    }
    out->fwIoU = sum_l > 0 ? maskeval_np_sum(v, nfw, 0) : NAN;
    out->num_classes = s->k;
    out->images = s->images;
    out->invalid_gt_pixels = m.invalid_gt;
    out->invalid_pred_pixels = m.invalid_pred;
    out->decode_seconds = s->decode_s;
    out->count_seconds = s->count_s;
done:
    free_marginals(s, &m);
    maskeval_free(&s->alloc, cls);
    maskeval_free(&s->alloc, v);
    return st;
}

maskeval_status maskeval_semantic_confusion(const maskeval_semantic *s, uint64_t *out, size_t cap)
{
    const uint32_t k = s != NULL ? s->k : 0;
    if (s == NULL || out == NULL) {
        return MASKEVAL_ERR_INVALID_ARG;
    }
    if (s->cm.sparse) {
        return MASKEVAL_ERR_UNSUPPORTED;
    }
    if (cap < (size_t)k * k) {
        return MASKEVAL_ERR_BUFFER_TOO_SMALL;
    }
    for (uint32_t r = 0; r < k; r++) {
        memcpy(out + (size_t)r * k, s->cm.dense + (size_t)r * (k + 1), k * sizeof(uint64_t));
    }
    return MASKEVAL_OK;
}

typedef struct cells_arg {
    uint32_t k, *rows, *cols;
    uint64_t *counts;
    size_t cap, n;
} cells_arg;

static maskeval_status collect_cell(void *arg, uint32_t row, uint32_t col, uint64_t n)
{
    cells_arg *ca = arg;
    if (row >= ca->k || col >= ca->k) {
        return MASKEVAL_OK;
    }
    if (ca->n < ca->cap) {
        ca->rows[ca->n] = row;
        ca->cols[ca->n] = col;
        ca->counts[ca->n] = n;
    }
    ca->n++;
    return MASKEVAL_OK;
}

maskeval_status maskeval_semantic_confusion_cells(const maskeval_semantic *s, uint32_t *rows,
                                                  uint32_t *cols, uint64_t *counts, size_t cap,
                                                  size_t *n)
{
    cells_arg ca;
    maskeval_status st;
    if (s == NULL || n == NULL || (cap > 0 && (rows == NULL || cols == NULL || counts == NULL))) {
        return MASKEVAL_ERR_INVALID_ARG;
    }
    ca.k = s->k;
    ca.rows = rows;
    ca.cols = cols;
    ca.counts = counts;
    ca.cap = cap;
    ca.n = 0;
    st = maskeval_cm_foreach(&s->alloc, &s->cm, collect_cell, &ca);
    *n = ca.n;
    if (st == MASKEVAL_OK && ca.n > cap) {
        st = MASKEVAL_ERR_BUFFER_TOO_SMALL;
    }
    return st;
}
