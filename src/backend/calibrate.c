/*
 * calibrate.c - maskeval_device_calibrate: the profile --backend auto
 * decides by (cost_model.h), measured on this machine.
 *
 * It opens the device the way auto would (the first GPU, or the device the
 * options name) and times that, plus the first use of each lazily built
 * kernel, as open_s. Then each primitive runs on a synthetic workload of its
 * kind, on the CPU path with the context's threads and on the device,
 * repeated until at least MIN_S has passed, and rate = units / second:
 *   pairs, bands  images of 480 x 640 with 10 ground-truth and 40 detection
 *                 masks (discs, boxes and striped shapes, 1-12 runs per
 *                 column), every detection paired with every ground truth;
 *                 units = the runs of both masks per pair;
 *   confusion     512 x 512 label maps of 150 classes, piecewise constant;
 *                 the CPU counts in every thread, as the semantic path does;
 *   segments      480 x 640 segment maps of 60 ids; units = pixels.
 * Every device result is compared with the CPU's: a profile is only written
 * for a device that gives the same counts.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "backend/backend.h"
#include "backend/cost_model.h"
#include "core/threadpool.h"
#include "io/dataset.h"
#include "rle/rle.h"
#include "semantic/confusion.h"

#ifdef MASKEVAL_HAVE_OPENCL
#include "backend/cl_backend.h"

#define MIN_S 0.25
enum { CAL_H = 480, CAL_W = 640, CAL_IMGS = 24, CAL_GT = 10, CAL_DT = 40 };

static uint32_t rnd(uint64_t *s, uint32_t n)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)((*s >> 33) % n);
}

/* One synthetic mask's RLE counts into c (room for 2 * CAL_W * 13 + 2). */
static size_t synth_mask(uint64_t *s, uint32_t *c)
{
    const uint32_t kind = rnd(s, 3), cw = 20 + rnd(s, 200), ch = 20 + rnd(s, 200);
    const uint32_t c0 = 5 + rnd(s, CAL_W - cw - 10), r0 = 5 + rnd(s, CAL_H - ch - 10);
    const uint32_t stripes = 2 + rnd(s, 10);
    size_t k = 0;
    uint64_t pos = 0;
    for (uint32_t x = c0; x < c0 + cw; x++) {
        const double u = ((double)x - c0 - cw / 2.0) / (cw / 2.0);
        uint32_t a = r0, b = r0 + ch;
        if (kind == 0) { /* disc-like: a chord per column */
            const double half = ch / 2.0 * sqrt(u * u < 1 ? 1 - u * u : 0);
            a = (uint32_t)(r0 + ch / 2.0 - half);
            b = (uint32_t)(r0 + ch / 2.0 + half);
        }
        for (uint32_t t = 0; t < (kind == 2 ? stripes : 1); t++) {
            const uint32_t len = b - a, n = kind == 2 ? stripes : 1;
            const uint32_t sa = a + len * t / n, sb = a + len * t / n + (len / n + 1) / 2;
            if (sb <= sa) {
                continue;
            }
            c[k++] = (uint32_t)((uint64_t)x * CAL_H + sa - pos);
            c[k++] = sb - sa;
            pos = (uint64_t)x * CAL_H + sb;
        }
    }
    c[k++] = (uint32_t)((uint64_t)CAL_H * CAL_W - pos);
    return k;
}

static maskeval_status synth_maskset(const maskeval_alloc *a, uint64_t *seed, size_t n,
                                     maskeval_maskset *ms)
{
    uint32_t *c = maskeval_malloc(a, (2 * CAL_W * 13 + 2) * sizeof(uint32_t));
    maskeval_bytevec side = {0};
    size_t first[2] = {0, n};
    maskeval_status st = c == NULL ? MASKEVAL_ERR_NOMEM : maskeval_maskset_init(a, ms, n + 1);
    for (size_t i = 0; st == MASKEVAL_OK && i < n; i++) {
        maskeval_rle_stats rs;
        const size_t k = synth_mask(seed, c);
        memset(&rs, 0, sizeof(rs));
        maskeval_rle_stats_of(c, k, CAL_H, CAL_W, &rs);
        st = maskeval_maskset_store(a, ms, i, &rs, c, k, NULL, 0, NULL, 0, NULL, &side);
    }
    if (st == MASKEVAL_OK) {
        st = maskeval_maskset_finish(a, ms, NULL, first, &side, 1);
    } else {
        maskeval_free(a, side.v);
    }
    maskeval_free(a, c);
    return st;
}

/* ---- the workloads --------------------------------------------------- */

typedef struct cal_data {
    maskeval_maskset dt, gt;
    maskeval_mask_pair *pairs;
    uint32_t img_h[CAL_IMGS], img_w[CAL_IMGS];
    int64_t img_id[CAL_IMGS];
    maskeval_pair_set ps;
    double pair_units;
    uint64_t *inter_cpu, *inter_dev;
    uint32_t *area_cpu[2], *area_dev[2];
    /* label maps */
    uint8_t *lab[2];
    uint32_t *lut;
    maskeval_labels items[8];
    /* segment maps */
    uint32_t *seg[2], *ids, *counts_cpu, *counts_dev;
    maskeval_seg_maps maps[8];
} cal_data;

enum { CONF_SIDE = 512, CONF_K = 150, N_LAB = 8, SEG_IDS = 60, N_SEG = 8 };

static void cal_free(const maskeval_alloc *a, cal_data *d)
{
    maskeval_maskset_free(a, &d->dt);
    maskeval_maskset_free(a, &d->gt);
    maskeval_free(a, d->pairs);
    maskeval_free(a, d->inter_cpu);
    maskeval_free(a, d->inter_dev);
    for (int k = 0; k < 2; k++) {
        maskeval_free(a, d->area_cpu[k]);
        maskeval_free(a, d->area_dev[k]);
        maskeval_free(a, d->lab[k]);
        maskeval_free(a, d->seg[k]);
    }
    maskeval_free(a, d->lut);
    maskeval_free(a, d->ids);
    maskeval_free(a, d->counts_cpu);
    maskeval_free(a, d->counts_dev);
}

/* Piecewise-constant maps: rectangles of random values over a background. */
static void blocks(uint64_t *s, uint32_t *out, uint8_t *out8, size_t w, size_t h, uint32_t vals)
{
    for (size_t i = 0; i < w * h; i++) {
        if (out != NULL) {
            out[i] = 0;
        } else {
            out8[i] = 0;
        }
    }
    for (int b = 0; b < 40; b++) {
        const size_t x0 = rnd(s, (uint32_t)w), y0 = rnd(s, (uint32_t)h);
        const size_t x1 = x0 + rnd(s, (uint32_t)(w - x0)), y1 = y0 + rnd(s, (uint32_t)(h - y0));
        const uint32_t v = rnd(s, vals);
        for (size_t y = y0; y < y1; y++) {
            for (size_t x = x0; x < x1; x++) {
                if (out != NULL) {
                    out[y * w + x] = v;
                } else {
                    out8[y * w + x] = (uint8_t)v;
                }
            }
        }
    }
}

static maskeval_status cal_make(const maskeval_alloc *a, cal_data *d)
{
    uint64_t seed = 2021;
    size_t np = 0;
    const size_t n_dt = (size_t)CAL_IMGS * CAL_DT, n_gt = (size_t)CAL_IMGS * CAL_GT;
    const size_t lab_px = (size_t)CONF_SIDE * CONF_SIDE, seg_px = (size_t)CAL_H * CAL_W;
    memset(d, 0, sizeof(*d));
    if (synth_maskset(a, &seed, n_dt, &d->dt) != MASKEVAL_OK ||
        synth_maskset(a, &seed, n_gt, &d->gt) != MASKEVAL_OK) {
        return MASKEVAL_ERR_NOMEM;
    }
    d->pairs = maskeval_malloc(a, (size_t)CAL_IMGS * CAL_DT * CAL_GT * sizeof(*d->pairs));
    d->inter_cpu = maskeval_calloc(a, (size_t)CAL_IMGS * CAL_DT * CAL_GT, sizeof(uint64_t));
    d->inter_dev = maskeval_calloc(a, (size_t)CAL_IMGS * CAL_DT * CAL_GT, sizeof(uint64_t));
    for (int k = 0; k < 2; k++) {
        d->area_cpu[k] = maskeval_calloc(a, n_dt, sizeof(uint32_t));
        d->area_dev[k] = maskeval_calloc(a, n_dt, sizeof(uint32_t));
        d->lab[k] = maskeval_malloc(a, lab_px * N_LAB);
        d->seg[k] = maskeval_malloc(a, seg_px * N_SEG * sizeof(uint32_t));
    }
    d->lut = maskeval_malloc(a, 256 * sizeof(uint32_t));
    d->ids = maskeval_malloc(a, SEG_IDS * sizeof(uint32_t));
    d->counts_cpu = maskeval_malloc(a, (size_t)N_SEG * (SEG_IDS + 1) * (SEG_IDS + 1) * 4);
    d->counts_dev = maskeval_malloc(a, (size_t)N_SEG * (SEG_IDS + 1) * (SEG_IDS + 1) * 4);
    if (d->pairs == NULL || d->inter_cpu == NULL || d->inter_dev == NULL ||
        d->area_cpu[1] == NULL || d->area_dev[1] == NULL || d->area_cpu[0] == NULL ||
        d->area_dev[0] == NULL || d->lab[0] == NULL || d->lab[1] == NULL || d->seg[0] == NULL ||
        d->seg[1] == NULL || d->lut == NULL || d->ids == NULL || d->counts_cpu == NULL ||
        d->counts_dev == NULL) {
        return MASKEVAL_ERR_NOMEM;
    }
    for (uint32_t i = 0; i < CAL_IMGS; i++) {
        d->img_h[i] = CAL_H;
        d->img_w[i] = CAL_W;
        d->img_id[i] = i + 1;
        for (uint32_t x = 0; x < CAL_DT; x++) {
            for (uint32_t g = 0; g < CAL_GT; g++) {
                maskeval_mask_pair *p = &d->pairs[np++];
                p->dt = i * CAL_DT + x;
                p->gt = i * CAL_GT + g;
                p->img = i;
                d->pair_units += (double)d->dt.runs[p->dt] + (double)d->gt.runs[p->gt];
            }
        }
    }
    d->ps.dt_masks = &d->dt;
    d->ps.gt_masks = &d->gt;
    d->ps.n_dt_masks = n_dt;
    d->ps.n_gt_masks = n_gt;
    d->ps.pairs = d->pairs;
    d->ps.n_pairs = np;
    d->ps.img_h = d->img_h;
    d->ps.img_w = d->img_w;
    d->ps.img_id = d->img_id;
    for (uint32_t v = 0; v < 256; v++) {
        d->lut[v] = v < CONF_K ? v : MASKEVAL_LABEL_SKIP;
    }
    for (int m = 0; m < N_LAB; m++) {
        blocks(&seed, NULL, d->lab[0] + m * lab_px, CONF_SIDE, CONF_SIDE, CONF_K + 1);
        blocks(&seed, NULL, d->lab[1] + m * lab_px, CONF_SIDE, CONF_SIDE, CONF_K);
        d->items[m].gt = d->lab[0] + m * lab_px;
        d->items[m].pred = d->lab[1] + m * lab_px;
        d->items[m].n = lab_px;
        d->items[m].bytes = 1;
        d->items[m].lut_g = d->lut;
        d->items[m].lut_p = d->lut;
    }
    for (uint32_t k = 0; k < SEG_IDS; k++) {
        d->ids[k] = k * 1000;
    }
    for (int m = 0; m < N_SEG; m++) {
        uint32_t *g = d->seg[0] + m * seg_px, *p = d->seg[1] + m * seg_px;
        blocks(&seed, g, NULL, CAL_W, CAL_H, SEG_IDS);
        blocks(&seed, p, NULL, CAL_W, CAL_H, SEG_IDS);
        for (size_t i = 0; i < seg_px; i++) {
            g[i] *= 1000;
            p[i] *= 1000;
        }
        d->maps[m].gt = g;
        d->maps[m].pred = p;
        d->maps[m].npix = seg_px;
        d->maps[m].gt_ids = d->ids;
        d->maps[m].pred_ids = d->ids;
        d->maps[m].n_gt_ids = SEG_IDS;
        d->maps[m].n_pred_ids = SEG_IDS;
    }
    return MASKEVAL_OK;
}

/* ---- timing ------------------------------------------------------------ */

typedef struct conf_job {
    const maskeval_labels *items;
    maskeval_cm *cms; /* per worker */
    const maskeval_alloc *a;
} conf_job;

static maskeval_status conf_task(void *arg, size_t i, int worker, char *err, size_t errcap)
{
    const conf_job *j = arg;
    (void)err;
    (void)errcap;
    return maskeval_cm_count_cpu(j->a, &j->cms[worker], &j->items[i]);
}

/* One run of kind k on the CPU (dev = NULL) or the device. */
static maskeval_status run_kind(maskeval_ctx *ctx, maskeval_backend_state *dev, cal_data *d,
                                int k, maskeval_cm *cms)
{
    const int side = dev != NULL;
    maskeval_backend_state cpu = {&maskeval_backend_cpu_ops, NULL, "cpu"};
    maskeval_backend_state *be = dev != NULL ? dev : &cpu;
    uint64_t *inter = side ? d->inter_dev : d->inter_cpu;
    uint32_t *counts = side ? d->counts_dev : d->counts_cpu;
    switch (k) {
    case MASKEVAL_WORK_PAIRS:
        return be->ops->intersect(ctx, be, &d->ps, inter);
    case MASKEVAL_WORK_BANDS: {
        uint32_t *da = side ? d->area_dev[0] : d->area_cpu[0];
        uint32_t *ga = side ? d->area_dev[1] : d->area_cpu[1];
        maskeval_status st = be->ops->intersect(ctx, be, &d->ps, inter);
        return st == MASKEVAL_OK ? be->ops->band_intersect(ctx, be, &d->ps, 0.02, inter, da, ga)
                                 : st;
    }
    case MASKEVAL_WORK_CONFUSION:
        if (side) {
            return be->ops->confusion(ctx, be, &cms[0], d->items, N_LAB);
        } else {
            conf_job j = {d->items, cms, &ctx->alloc};
            return maskeval_parallel_for(ctx, N_LAB, conf_task, &j);
        }
    default:
        for (int m = 0; m < N_SEG; m++) {
            d->maps[m].counts = counts + (size_t)m * (SEG_IDS + 1) * (SEG_IDS + 1);
        }
        return be->ops->segment_pairs(ctx, be, d->maps, N_SEG);
    }
}

static double kind_units(const cal_data *d, int k)
{
    switch (k) {
    case MASKEVAL_WORK_PAIRS:
    case MASKEVAL_WORK_BANDS:
        return d->pair_units;
    case MASKEVAL_WORK_CONFUSION:
        return (double)N_LAB * CONF_SIDE * CONF_SIDE;
    default:
        return (double)N_SEG * CAL_H * CAL_W;
    }
}

/* Units per second of kind k, repeating until MIN_S has passed. */
static maskeval_status rate_of(maskeval_ctx *ctx, maskeval_backend_state *dev, cal_data *d, int k,
                               maskeval_cm *cms, double *rate)
{
    double t0 = maskeval_now(), el;
    int reps = 0;
    maskeval_status st;
    do {
        st = run_kind(ctx, dev, d, k, cms);
        reps++;
        el = maskeval_now() - t0;
    } while (st == MASKEVAL_OK && el < MIN_S);
    *rate = st == MASKEVAL_OK ? reps * kind_units(d, k) / (el > 1e-9 ? el : 1e-9) : 0;
    return st;
}

/* The device's last counts == the CPU path's. Confusion is counted once
 * more on each side into fresh matrices (the timed runs accumulated). */
static int same_counts(maskeval_ctx *ctx, maskeval_backend_state *dev, cal_data *d, int k)
{
    const size_t np = d->ps.n_pairs;
    switch (k) {
    case MASKEVAL_WORK_PAIRS:
        return memcmp(d->inter_cpu, d->inter_dev, np * sizeof(uint64_t)) == 0;
    case MASKEVAL_WORK_BANDS:
        return memcmp(d->inter_cpu, d->inter_dev, np * sizeof(uint64_t)) == 0 &&
               memcmp(d->area_cpu[0], d->area_dev[0], d->ps.n_dt_masks * 4) == 0 &&
               memcmp(d->area_cpu[1], d->area_dev[1], d->ps.n_gt_masks * 4) == 0;
    case MASKEVAL_WORK_CONFUSION: {
        maskeval_cm c, g;
        int same = maskeval_cm_init(&ctx->alloc, &c, CONF_K) == MASKEVAL_OK;
        same = maskeval_cm_init(&ctx->alloc, &g, CONF_K) == MASKEVAL_OK && same;
        for (int m = 0; same && m < N_LAB; m++) {
            same = maskeval_cm_count_cpu(&ctx->alloc, &c, &d->items[m]) == MASKEVAL_OK;
        }
        same = same && dev->ops->confusion(ctx, dev, &g, d->items, N_LAB) == MASKEVAL_OK;
        for (uint32_t r = 0; same && r <= CONF_K; r++) {
            for (uint32_t x = 0; same && x <= CONF_K; x++) {
                same = maskeval_cm_get(&c, r, x) == maskeval_cm_get(&g, r, x);
            }
        }
        maskeval_cm_free(&ctx->alloc, &c);
        maskeval_cm_free(&ctx->alloc, &g);
        return same;
    }
    default:
        return memcmp(d->counts_cpu, d->counts_dev,
                      (size_t)N_SEG * (SEG_IDS + 1) * (SEG_IDS + 1) * 4) == 0;
    }
}
#endif

maskeval_status maskeval_device_calibrate(maskeval_ctx *ctx, const char *path, char *summary,
                                          size_t cap)
{
#ifdef MASKEVAL_HAVE_OPENCL
    const maskeval_alloc *a;
    maskeval_cl_device *devs = NULL;
    maskeval_cl *cl = NULL;
    maskeval_backend_state dev;
    maskeval_profile prof;
    cal_data d;
    maskeval_cm *cms = NULL;
    char file[4096], err[4400];
    size_t n = 0, pick = 0, used = 0;
    int workers;
    double t0;
    maskeval_status st;

    if (ctx == NULL) {
        return MASKEVAL_ERR_INVALID_ARG;
    }
    a = &ctx->alloc;
    if (summary != NULL && cap > 0) {
        summary[0] = '\0';
    }
    if (!maskeval_profile_path(path != NULL ? path : ctx->opts.device_profile, file,
                               sizeof(file))) {
        return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG,
                             "calibrate: no profile path (set HOME, MASKEVAL_PROFILE or "
                             "--profile)");
    }
    memset(&d, 0, sizeof(d));
    memset(&prof, 0, sizeof(prof));
    st = maskeval_cl_devices(ctx, &devs, &n);
    if (st != MASKEVAL_OK) {
        return st;
    }
    if (ctx->opts.device_index >= 0) {
        pick = (size_t)ctx->opts.device_index;
    }
    if (n == 0 || pick >= n || (ctx->opts.device_index < 0 && !devs[0].info.is_gpu)) {
        st = maskeval_fail(ctx, MASKEVAL_ERR_NO_DEVICE,
                           ctx->opts.device_index >= 0
                               ? "calibrate: OpenCL device %d does not exist"
                               : "calibrate: no GPU (auto only ever uses a GPU; name another "
                                 "device with --device to measure it anyway)",
                           ctx->opts.device_index);
        goto done;
    }
    snprintf(prof.device, sizeof(prof.device), "%s | %s | %s", devs[pick].info.name,
             devs[pick].info.platform, devs[pick].info.driver);
    prof.threads = ctx->threads;
    st = cal_make(a, &d);
    workers = maskeval_parallel_workers(ctx, N_LAB);
    cms = maskeval_calloc(a, (size_t)workers + 1, sizeof(maskeval_cm));
    for (int w = 0; st == MASKEVAL_OK && cms != NULL && w <= workers; w++) {
        st = maskeval_cm_init(a, &cms[w], CONF_K);
    }
    if (st != MASKEVAL_OK || cms == NULL) {
        st = maskeval_nomem(ctx, "calibrating");
        goto done;
    }
    /* opening, and each kind's first (small) use: the kernels built on demand */
    t0 = maskeval_now();
    st = maskeval_cl_open(ctx, &devs[pick], &cl);
    if (st != MASKEVAL_OK) {
        goto done;
    }
    dev.ops = &maskeval_backend_cl_ops;
    dev.impl = cl;
    {
        maskeval_pair_set one = d.ps;
        maskeval_seg_maps m = d.maps[0];
        maskeval_labels l = d.items[0];
        one.n_pairs = 1;
        m.counts = d.counts_dev;
        l.n = 1024;
        st = dev.ops->band_intersect(ctx, &dev, &one, 0.02, d.inter_dev, d.area_dev[0],
                                     d.area_dev[1]);
        if (st == MASKEVAL_OK) {
            m.npix = 1024;
            st = dev.ops->segment_pairs(ctx, &dev, &m, 1);
        }
        if (st == MASKEVAL_OK) {
            st = dev.ops->confusion(ctx, &dev, &cms[0], &l, 1);
        }
    }
    prof.open_s = maskeval_now() - t0;
    for (int k = 0; st == MASKEVAL_OK && k < MASKEVAL_WORK_KINDS; k++) {
        st = rate_of(ctx, NULL, &d, k, cms + 1, &prof.cpu_rate[k]);
        if (st == MASKEVAL_OK) {
            st = rate_of(ctx, &dev, &d, k, cms, &prof.dev_rate[k]);
        }
        if (st == MASKEVAL_OK && !same_counts(ctx, &dev, &d, k)) {
            st = maskeval_fail(ctx, MASKEVAL_ERR_CL_RUNTIME,
                               "calibrate: %s: the device's %s counts differ from the CPU "
                               "path's; no profile written",
                               devs[pick].info.name, maskeval_work_name((maskeval_work)k));
        }
        if (st == MASKEVAL_OK && summary != NULL && used < cap) {
            const int w = snprintf(summary + used, cap - used,
                                   "%-9s cpu %.3g units/s (%d threads), device %.3g units/s\n",
                                   maskeval_work_name((maskeval_work)k), prof.cpu_rate[k],
                                   ctx->threads, prof.dev_rate[k]);
            used += w > 0 ? (size_t)w : 0;
        }
    }
    if (st == MASKEVAL_OK) {
        st = maskeval_profile_write(file, &prof, err, sizeof(err));
        if (st != MASKEVAL_OK) {
            st = maskeval_fail(ctx, st, "calibrate: %s", err);
        } else if (summary != NULL && used < cap) {
            snprintf(summary + used, cap - used, "open      %.3f s (context and kernels)\n%s: %s\n",
                     prof.open_s, file, prof.device);
        }
    }
done:
    if (cl != NULL) {
        maskeval_cl_close(ctx, cl);
    }
    for (int w = 0; cms != NULL && w <= workers; w++) {
        maskeval_cm_free(a, &cms[w]);
    }
    maskeval_free(a, cms);
    cal_free(a, &d);
    maskeval_free(a, devs);
    return st;
#else
    (void)path;
    (void)summary;
    (void)cap;
    return ctx == NULL ? MASKEVAL_ERR_INVALID_ARG
                       : maskeval_fail(ctx, MASKEVAL_ERR_UNSUPPORTED,
                                       "this build of maskeval has no OpenCL backend");
#endif
}
