/*
 * test_backend_cl.c - the OpenCL backend against the CPU path: confusion
 * counts for K = 2, 19, 150, 300, 5000 and 65535 (local, global and hash
 * kernels), random and piecewise-constant maps with ignore pixels, in one
 * batch and in many small ones; Boundary AP's band intersections and band
 * areas (mask_bands.cl) on generated masks of every shape, one batch and
 * many; panoptic quality's segment-pair counts (segment_pairs.cl); device
 * selection and build errors.
 * Exits 77 (ctest SKIP) when the machine has no OpenCL platform at all.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "backend/backend.h"
#include "backend/cost_model.h"
#include "io/dataset.h"
#include "labelgen.h"
#include "rle/rle.h"
#include "maskeval.h"
#include "semantic/confusion.h"
#include "test_main.h"

static const maskeval_alloc alloc = {malloc, realloc, free};

static maskeval_ctx *open_ctx(uint64_t max_mem)
{
    maskeval_options o;
    maskeval_ctx *ctx = NULL;
    maskeval_options_init(&o);
    o.backend = MASKEVAL_BACKEND_OPENCL;
    o.max_device_mem = max_mem;
    ck_assert_int_eq(maskeval_ctx_create(&o, &ctx), MASKEVAL_OK);
    return ctx;
}

static const struct {
    uint32_t k;
    int bytes;
} configs[] = {{2, 1}, {19, 1}, {150, 1}, {300, 2}, {5000, 2}, {65535, 2}, {19, 2}};
#define N_CONFIGS (int)(sizeof(configs) / sizeof(configs[0]))

START_TEST(test_confusion_matches_cpu)
{
    const int cfg = _i % N_CONFIGS, piecewise = (_i / N_CONFIGS) % 2, small = _i / (2 * N_CONFIGS);
    const uint32_t k = configs[cfg].k;
    const int bytes = configs[cfg].bytes;
    const uint32_t w = 311, h = 173, vmax = bytes == 1 ? 255 : 65535;
    const uint32_t top = k + 3 < vmax ? k + 3 : vmax, ignore = bytes == 1 ? 255 : 65535;
    enum { N_IMG = 5 };
    uint8_t *gt[N_IMG], *pred[N_IMG];
    uint32_t *lut = malloc(65536 * sizeof(uint32_t));
    maskeval_labels items[N_IMG];
    maskeval_cm cpu, dev;
    maskeval_ctx *ctx;
    uint64_t cap = 0;
    maskeval_status st;

    for (uint32_t i = 0; i < 65536; i++) {
        lut[i] = i;
    }
    lut[ignore] = MASKEVAL_LABEL_SKIP;
    if (small) {
        /* room for about 4000 pixels per batch: many batches, split images */
        uint64_t hist = (uint64_t)(k + 1) * (k + 1) * 4;
        cap = k > MASKEVAL_CM_DENSE_MAX_K ? 2 * 4000 * (2 * (uint64_t)bytes + 16)
                                          : 2 * (hist + 4000 * 2 * (uint64_t)bytes);
    }
    ck_assert_int_eq(maskeval_cm_init(&alloc, &cpu, k), MASKEVAL_OK);
    ck_assert_int_eq(maskeval_cm_init(&alloc, &dev, k), MASKEVAL_OK);
    for (int m = 0; m < N_IMG; m++) {
        gt[m] = malloc((size_t)w * h * bytes);
        pred[m] = malloc((size_t)w * h * bytes);
        lg_scene(gt[m], bytes, w, h, top, piecewise, 1000 * (uint64_t)_i + m);
        lg_perturb(gt[m], pred[m], bytes, w, h, top, 77 + m);
        for (size_t p = (size_t)m; p < (size_t)w * h; p += 61) {
            if (bytes == 1) {
                gt[m][p] = (uint8_t)ignore;
            } else {
                ((uint16_t *)gt[m])[p] = (uint16_t)ignore;
            }
        }
        items[m].gt = gt[m];
        items[m].pred = pred[m];
        items[m].n = (size_t)w * h;
        items[m].bytes = bytes;
        items[m].lut_g = lut;
        items[m].lut_p = lut;
        ck_assert_int_eq(maskeval_cm_count_naive(&alloc, &cpu, &items[m]), MASKEVAL_OK);
    }
    ctx = open_ctx(cap);
    st = maskeval_backend_confusion(ctx, &dev, items, N_IMG);
    ck_assert_msg(st == MASKEVAL_OK, "K=%u: %s", k, maskeval_errmsg(ctx));
    if (!cpu.sparse) {
        ck_assert_int_eq(memcmp(cpu.dense, dev.dense, (size_t)(k + 1) * (k + 1) * 8), 0);
    } else {
        const uint32_t k1 = k + 1;
        size_t nz = 0;
        for (size_t i = 0; i < cpu.cap; i++) {
            if (cpu.keys[i] != MASKEVAL_LABEL_SKIP) {
                ck_assert_uint_eq(cpu.vals[i],
                                  maskeval_cm_get(&dev, cpu.keys[i] / k1, cpu.keys[i] % k1));
                nz++;
            }
        }
        ck_assert_uint_eq(nz, dev.used);
        ck_assert_uint_eq(cpu.last_cell, dev.last_cell);
    }
    maskeval_ctx_destroy(ctx);
    maskeval_cm_free(&alloc, &cpu);
    maskeval_cm_free(&alloc, &dev);
    for (int m = 0; m < N_IMG; m++) {
        free(gt[m]);
        free(pred[m]);
    }
    free(lut);
}
END_TEST

START_TEST(test_device_errors)
{
    maskeval_options o;
    maskeval_ctx *ctx = NULL;
    char desc[640];
    maskeval_options_init(&o);
    o.backend = MASKEVAL_BACKEND_OPENCL;
    o.device_index = 999;
    ck_assert_int_eq(maskeval_ctx_create(&o, &ctx), MASKEVAL_OK);
    ck_assert_int_eq(maskeval_backend_describe(ctx, desc, sizeof(desc)), MASKEVAL_ERR_NO_DEVICE);
    ck_assert_ptr_nonnull(strstr(maskeval_errmsg(ctx), "device 999 does not exist"));
    maskeval_ctx_destroy(ctx);

    /* a build failure is reported with the device, the file and the log */
    setenv("MASKEVAL_CL_BUILD_OPTIONS", "-Dinline=)", 1);
    ctx = open_ctx(0);
    ck_assert_int_eq(maskeval_backend_describe(ctx, desc, sizeof(desc)), MASKEVAL_ERR_CL_BUILD);
    ck_assert_ptr_nonnull(strstr(maskeval_errmsg(ctx), "building pair_intersect.cl failed"));
    ck_assert_uint_gt(strlen(maskeval_cl_build_log(ctx)), 0);
    maskeval_ctx_destroy(ctx);
    unsetenv("MASKEVAL_CL_BUILD_OPTIONS");

    ctx = open_ctx(0);
    ck_assert_int_eq(maskeval_backend_describe(ctx, desc, sizeof(desc)), MASKEVAL_OK);
    ck_assert_ptr_nonnull(strstr(desc, "opencl: "));
    maskeval_ctx_destroy(ctx);
}
END_TEST

START_TEST(test_warm_up)
{
    maskeval_options o;
    maskeval_ctx *ctx = NULL;
    char desc[640];

    /* warmed up, then used: same device, warm-up twice is harmless */
    ctx = open_ctx(0);
    ck_assert_int_eq(maskeval_backend_warm_up(ctx), MASKEVAL_OK);
    ck_assert_int_eq(maskeval_backend_warm_up(ctx), MASKEVAL_OK);
    ck_assert_int_eq(maskeval_backend_describe(ctx, desc, sizeof(desc)), MASKEVAL_OK);
    ck_assert_ptr_nonnull(strstr(desc, "opencl: "));
    ck_assert_int_eq(maskeval_backend_warm_up(ctx), MASKEVAL_OK);
    maskeval_ctx_destroy(ctx);

    /* warmed up and never used: destroy waits for the thread */
    ctx = open_ctx(0);
    ck_assert_int_eq(maskeval_backend_warm_up(ctx), MASKEVAL_OK);
    maskeval_ctx_destroy(ctx);

    /* a failure in the background is reported by the call that needs the
     * backend, with its message and build log */
    maskeval_options_init(&o);
    o.backend = MASKEVAL_BACKEND_OPENCL;
    o.device_index = 999;
    ck_assert_int_eq(maskeval_ctx_create(&o, &ctx), MASKEVAL_OK);
    ck_assert_int_eq(maskeval_backend_warm_up(ctx), MASKEVAL_OK);
    ck_assert_int_eq(maskeval_backend_describe(ctx, desc, sizeof(desc)), MASKEVAL_ERR_NO_DEVICE);
    ck_assert_ptr_nonnull(strstr(maskeval_errmsg(ctx), "device 999 does not exist"));
    maskeval_ctx_destroy(ctx);

    setenv("MASKEVAL_CL_BUILD_OPTIONS", "-Dinline=)", 1);
    ctx = open_ctx(0);
    ck_assert_int_eq(maskeval_backend_warm_up(ctx), MASKEVAL_OK);
    ck_assert_int_eq(maskeval_backend_describe(ctx, desc, sizeof(desc)), MASKEVAL_ERR_CL_BUILD);
    ck_assert_ptr_nonnull(strstr(maskeval_errmsg(ctx), "building pair_intersect.cl failed"));
    ck_assert_uint_gt(strlen(maskeval_cl_build_log(ctx)), 0);
    maskeval_ctx_destroy(ctx);
    unsetenv("MASKEVAL_CL_BUILD_OPTIONS");
}
END_TEST

/* ---- boundary bands ---------------------------------------------------- */

static uint32_t rnd(uint64_t *s, uint32_t n)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return n == 0 ? 0 : (uint32_t)((*s >> 33) % n);
}

/* A column-major mask of one of several shapes: empty, the whole image, a
 * pixel, a rectangle, a disc, stripes (many runs per column, at most 8
 * columns), noise in a box
 * (runs of every length, at most 24 x 24), a ring (a hole the erosion must see). */
static void gen_mask(uint64_t *s, uint8_t *m, uint32_t h, uint32_t w)
{
    const uint32_t kind = rnd(s, 8);
    const uint32_t r0 = rnd(s, h), c0 = rnd(s, w);
    const uint32_t r1 = r0 + rnd(s, h - r0), c1 = c0 + rnd(s, w - c0);
    memset(m, 0, (size_t)h * w);
    for (uint32_t c = 0; c < w; c++) {
        for (uint32_t r = 0; r < h; r++) {
            const int in_box = r >= r0 && r <= r1 && c >= c0 && c <= c1;
            const int64_t dr = (int64_t)r - (r0 + r1) / 2, dc = (int64_t)c - (c0 + c1) / 2;
            const int64_t rad = ((int64_t)r1 - r0 + c1 - c0) / 4 + 1;
            uint8_t v = 0;
            switch (kind) {
            case 0: v = 0; break;
            case 1: v = 1; break;
            case 2: v = r == r0 && c == c0; break;
            case 3: v = (uint8_t)in_box; break;
            case 4: v = dr * dr + dc * dc <= rad * rad; break;
            case 5: v = in_box && c < c0 + 8 && (r + c / 3) % (2 + (r0 % 9)) < 1 + (c0 % 3); break;
            case 6: v = in_box && r < r0 + 24 && c < c0 + 24 && rnd(s, 4) != 0; break;
            default:
                v = dr * dr + dc * dc <= rad * rad && dr * dr + dc * dc > rad * rad / 4;
                break;
            }
            m[(size_t)c * h + r] = v;
        }
    }
}

/* The mask's RLE counts, now and then with a run cut by an empty count of
 * the other value (runs that touch, as some files have them). */
static size_t mask_counts(uint64_t *s, const uint8_t *m, size_t n, uint32_t *c)
{
    size_t k = 0, i = 0;
    uint8_t v = 0;
    while (i < n) {
        size_t e = i;
        while (e < n && m[e] == v) {
            e++;
        }
        if (e > i + 1 && rnd(s, 5) == 0) {
            const size_t mid = i + 1 + rnd(s, (uint32_t)(e - i - 1));
            c[k++] = (uint32_t)(mid - i);
            c[k++] = 0;
            i = mid;
        }
        c[k++] = (uint32_t)(e - i);
        i = e;
        v = !v;
    }
    return k;
}

enum { BAND_IMGS = 7, BAND_MAX_PER_IMG = 7 };

typedef struct band_set {
    maskeval_maskset dt, gt;
    size_t n_dt, n_gt;
    uint32_t img_h[BAND_IMGS], img_w[BAND_IMGS];
    int64_t img_id[BAND_IMGS];
    maskeval_mask_pair *pairs;
    size_t n_pairs;
} band_set;

static void store_masks(uint64_t *s, maskeval_maskset *ms, const uint32_t *img_of, size_t n,
                        const band_set *bs)
{
    maskeval_bytevec side = {0};
    size_t first[2] = {0, n};
    ck_assert_int_eq(maskeval_maskset_init(&alloc, ms, n + 1), MASKEVAL_OK);
    for (size_t i = 0; i < n; i++) {
        const uint32_t h = bs->img_h[img_of[i]], w = bs->img_w[img_of[i]];
        uint8_t *m = malloc((size_t)h * w);
        uint32_t *c = malloc((2 * (size_t)h * w + 2) * sizeof(uint32_t));
        maskeval_rle_stats st;
        size_t k;
        ck_assert_ptr_nonnull(m);
        ck_assert_ptr_nonnull(c);
        gen_mask(s, m, h, w);
        k = mask_counts(s, m, (size_t)h * w, c);
        memset(&st, 0, sizeof(st));
        maskeval_rle_stats_of(c, k, h, w, &st);
        ck_assert_int_eq(maskeval_maskset_store(&alloc, ms, i, &st, c, k, NULL, 0, NULL, 0, NULL,
                                                &side),
                         MASKEVAL_OK);
        free(m);
        free(c);
    }
    ck_assert_int_eq(maskeval_maskset_finish(&alloc, ms, NULL, first, &side, 1), MASKEVAL_OK);
}

static void band_set_make(band_set *bs, uint64_t seed)
{
    uint32_t dt_img[BAND_IMGS * BAND_MAX_PER_IMG], gt_img[BAND_IMGS * BAND_MAX_PER_IMG];
    /* thin, tiny and large images, where d exceeds a side or is 1 */
    static const uint32_t fixed[][2] = {{1, 1}, {2, 300}, {300, 3}, {480, 640}};
    memset(bs, 0, sizeof(*bs));
    for (uint32_t i = 0; i < BAND_IMGS; i++) {
        if (i < 4 && rnd(&seed, 2) == 0) {
            bs->img_h[i] = fixed[i][0];
            bs->img_w[i] = fixed[i][1];
        } else {
            bs->img_h[i] = 1 + rnd(&seed, 200);
            bs->img_w[i] = 1 + rnd(&seed, 200);
        }
        bs->img_id[i] = i + 1;
        for (uint32_t k = 1 + rnd(&seed, BAND_MAX_PER_IMG); k > 0; k--) {
            dt_img[bs->n_dt++] = i;
        }
        for (uint32_t k = 1 + rnd(&seed, BAND_MAX_PER_IMG); k > 0; k--) {
            gt_img[bs->n_gt++] = i;
        }
    }
    store_masks(&seed, &bs->dt, dt_img, bs->n_dt, bs);
    store_masks(&seed, &bs->gt, gt_img, bs->n_gt, bs);
    bs->pairs = malloc(bs->n_dt * bs->n_gt * sizeof(maskeval_mask_pair) + 1);
    ck_assert_ptr_nonnull(bs->pairs);
    /* every pair within an image (the primitive does not need the boxes to
     * overlap); some masks are in no pair */
    for (size_t d = 0; d < bs->n_dt; d++) {
        for (size_t g = 0; g < bs->n_gt; g++) {
            if (dt_img[d] == gt_img[g] && d % 11 != 10) {
                maskeval_mask_pair *p = &bs->pairs[bs->n_pairs++];
                p->dt = (uint32_t)d;
                p->gt = (uint32_t)g;
                p->img = dt_img[d];
            }
        }
    }
}

static void band_set_free(band_set *bs)
{
    maskeval_maskset_free(&alloc, &bs->dt);
    maskeval_maskset_free(&alloc, &bs->gt);
    free(bs->pairs);
}

static const double band_ratios[] = {0.001, 0.005, 0.02, 0.05, 0.25, 1.0};
#define N_BAND_RATIOS (int)(sizeof(band_ratios) / sizeof(band_ratios[0]))

/* The device's band intersections and areas == the CPU path's, for every
 * pair and every mask in a pair; _i / N_BAND_RATIOS odd: a device memory cap
 * that forces many batches. */
START_TEST(test_bands_match_cpu)
{
    const double ratio = band_ratios[_i % N_BAND_RATIOS];
    const int small = (_i / N_BAND_RATIOS) % 2;
    band_set bs;
    maskeval_pair_set ps;
    maskeval_ctx *cpu = NULL, *dev;
    maskeval_backend_state *be = NULL;
    uint64_t *ic, *id;
    uint32_t *dac, *gac, *dad, *gad;
    maskeval_status st;

    band_set_make(&bs, 1000 + (uint64_t)_i);
    memset(&ps, 0, sizeof(ps));
    ps.dt_masks = &bs.dt;
    ps.gt_masks = &bs.gt;
    ps.n_dt_masks = bs.n_dt;
    ps.n_gt_masks = bs.n_gt;
    ps.pairs = bs.pairs;
    ps.n_pairs = bs.n_pairs;
    ps.img_h = bs.img_h;
    ps.img_w = bs.img_w;
    ps.img_id = bs.img_id;
    ic = calloc(bs.n_pairs + 1, sizeof(uint64_t));
    id = calloc(bs.n_pairs + 1, sizeof(uint64_t));
    dac = calloc(bs.n_dt + 1, sizeof(uint32_t));
    gac = calloc(bs.n_gt + 1, sizeof(uint32_t));
    dad = calloc(bs.n_dt + 1, sizeof(uint32_t));
    gad = calloc(bs.n_gt + 1, sizeof(uint32_t));
    ck_assert_int_eq(maskeval_ctx_create(NULL, &cpu), MASKEVAL_OK);
    st = maskeval_backend_cpu_ops.band_intersect(cpu, NULL, &ps, ratio, ic, dac, gac);
    ck_assert_msg(st == MASKEVAL_OK, "%s", maskeval_errmsg(cpu));
    /* small: the smallest of these caps that holds the largest pair, so that
     * most sets take several batches in two slots */
    for (uint64_t cap = small ? 12 << 10 : 0;; cap *= 2) {
        dev = open_ctx(cap);
        ck_assert_int_eq(maskeval_backend_get(dev, &be), MASKEVAL_OK);
        st = be->ops->band_intersect(dev, be, &ps, ratio, id, dad, gad);
        if (st == MASKEVAL_ERR_LIMIT && cap != 0 && cap < (64 << 20)) {
            maskeval_ctx_destroy(dev);
            continue;
        }
        ck_assert_msg(st == MASKEVAL_OK, "ratio %g: %s", ratio, maskeval_errmsg(dev));
        break;
    }
    for (size_t p = 0; p < bs.n_pairs; p++) {
        ck_assert_msg(ic[p] == id[p], "ratio %g, pair %zu (dt %u, gt %u, %ux%u): %llu != %llu",
                      ratio, p, bs.pairs[p].dt, bs.pairs[p].gt, bs.img_h[bs.pairs[p].img],
                      bs.img_w[bs.pairs[p].img], (unsigned long long)id[p],
                      (unsigned long long)ic[p]);
    }
    ck_assert_int_eq(memcmp(dac, dad, bs.n_dt * sizeof(uint32_t)), 0);
    ck_assert_int_eq(memcmp(gac, gad, bs.n_gt * sizeof(uint32_t)), 0);
    /* and the mask intersections, through the same batches */
    ck_assert_int_eq(maskeval_backend_cpu_ops.intersect(cpu, NULL, &ps, ic), MASKEVAL_OK);
    ck_assert_int_eq(be->ops->intersect(dev, be, &ps, id), MASKEVAL_OK);
    ck_assert_int_eq(memcmp(ic, id, bs.n_pairs * sizeof(uint64_t)), 0);
    maskeval_ctx_destroy(cpu);
    maskeval_ctx_destroy(dev);
    free(ic);
    free(id);
    free(dac);
    free(gac);
    free(dad);
    free(gad);
    band_set_free(&bs);
}
END_TEST

/* ---- panoptic segment pairs -------------------------------------------- */

/* The device's joint histograms == the CPU path's: images of every size (an
 * empty one too), piecewise-constant maps with ids in and outside the tables,
 * VOID, runs crossing rows; _i odd: a cap that splits the batch into groups. */
START_TEST(test_segment_pairs_match_cpu)
{
    enum { N = 9 };
    uint64_t seed = 77 + (uint64_t)_i;
    maskeval_seg_maps cpu_items[N], dev_items[N];
    uint32_t *maps[N][2], *tabs[N], *cc[N], *cd[N];
    maskeval_ctx *cpu = NULL, *dev;
    maskeval_backend_state *be = NULL;
    maskeval_status st;

    for (int k = 0; k < N; k++) {
        const uint32_t w = k == 0 ? 0 : 1 + rnd(&seed, 300), h = k == 0 ? 0 : 1 + rnd(&seed, 200);
        const size_t npix = (size_t)w * h;
        const uint32_t ng = 1 + rnd(&seed, 40), np = 1 + rnd(&seed, 40);
        tabs[k] = malloc((ng + np + 2) * sizeof(uint32_t));
        maps[k][0] = malloc((npix + 1) * sizeof(uint32_t));
        maps[k][1] = malloc((npix + 1) * sizeof(uint32_t));
        /* sorted distinct ids, VOID (0) first in some tables */
        for (int side = 0; side < 2; side++) {
            uint32_t *t = tabs[k] + (side ? ng : 0), n = side ? np : ng, id = rnd(&seed, 2);
            for (uint32_t j = 0; j < n; j++) {
                t[j] = id;
                id += 1 + rnd(&seed, 5000);
            }
        }
        for (int side = 0; side < 2; side++) {
            const uint32_t *t = tabs[k] + (side ? ng : 0), n = side ? np : ng;
            size_t i = 0;
            while (i < npix) {
                /* a run of one id: listed, VOID or (1 in 8) an id no table has */
                const uint32_t pick = rnd(&seed, 8);
                const uint32_t id = pick == 0 ? (1u << 24) - 1 - rnd(&seed, 100)
                                    : pick == 1 ? 0
                                                : t[rnd(&seed, n)];
                size_t len = 1 + rnd(&seed, 3 * w + 1);
                for (; len > 0 && i < npix; len--) {
                    maps[k][side][i++] = id;
                }
            }
        }
        cc[k] = malloc((size_t)(ng + 1) * (np + 1) * sizeof(uint32_t));
        cd[k] = calloc((size_t)(ng + 1) * (np + 1), sizeof(uint32_t));
        cpu_items[k].gt = maps[k][0];
        cpu_items[k].pred = maps[k][1];
        cpu_items[k].npix = npix;
        cpu_items[k].gt_ids = tabs[k];
        cpu_items[k].n_gt_ids = ng;
        cpu_items[k].pred_ids = tabs[k] + ng;
        cpu_items[k].n_pred_ids = np;
        cpu_items[k].counts = cc[k];
        dev_items[k] = cpu_items[k];
        dev_items[k].counts = cd[k];
    }
    ck_assert_int_eq(maskeval_ctx_create(NULL, &cpu), MASKEVAL_OK);
    ck_assert_int_eq(maskeval_backend_cpu_ops.segment_pairs(cpu, NULL, cpu_items, N),
                     MASKEVAL_OK);
    /* 1 MB: room for about 65k pixels per group */
    dev = open_ctx(_i % 2 ? 1 << 20 : 0);
    ck_assert_int_eq(maskeval_backend_get(dev, &be), MASKEVAL_OK);
    /* twice: the second call reuses the device buffers */
    for (int rep = 0; rep < 2; rep++) {
        st = be->ops->segment_pairs(dev, be, dev_items, N);
        ck_assert_msg(st == MASKEVAL_OK, "%s", maskeval_errmsg(dev));
        for (int k = 0; k < N; k++) {
            const size_t cells = (size_t)(cpu_items[k].n_gt_ids + 1) *
                                 (cpu_items[k].n_pred_ids + 1);
            uint64_t total = 0;
            ck_assert_msg(memcmp(cc[k], cd[k], cells * sizeof(uint32_t)) == 0,
                          "image %d (%zu pixels) differs", k, cpu_items[k].npix);
            for (size_t c = 0; c < cells; c++) {
                total += cc[k][c];
            }
            ck_assert_uint_eq(total, cpu_items[k].npix);
        }
    }
    maskeval_ctx_destroy(cpu);
    maskeval_ctx_destroy(dev);
    for (int k = 0; k < N; k++) {
        free(maps[k][0]);
        free(maps[k][1]);
        free(tabs[k]);
        free(cc[k]);
        free(cd[k]);
    }
}
END_TEST

/* ---- the auto backend's model ----------------------------------------- */

START_TEST(test_cost_model)
{
    maskeval_profile p, q;
    char err[512], path[] = "/tmp/maskeval_profile_XXXXXX";
    double tc, td;
    int fd = mkstemp(path);
    FILE *f;
    ck_assert_int_ge(fd, 0);
    close(fd);
    memset(&p, 0, sizeof(p));
    snprintf(p.device, sizeof(p.device), "dev | plat | 1.0");
    p.threads = 4;
    p.open_s = 0.25;
    for (int k = 0; k < MASKEVAL_WORK_KINDS; k++) {
        p.cpu_rate[k] = 1e8 * (k + 1);
        p.dev_rate[k] = 1e9 * (k + 1);
    }
    ck_assert_int_eq(maskeval_profile_write(path, &p, err, sizeof(err)), MASKEVAL_OK);
    ck_assert_int_eq(maskeval_profile_read(path, &q, err, sizeof(err)), MASKEVAL_OK);
    ck_assert_str_eq(q.device, p.device);
    ck_assert_int_eq(q.threads, 4);
    /* pairs: cpu 1e8/s on 4 threads; the device 1e9/s after 0.25 s. Break-even
     * at u / 1e8 = 0.25 + u / 1e9, u = 2.78e7 */
    ck_assert_int_eq(maskeval_cost_prefers_device(&q, 4, MASKEVAL_WORK_PAIRS, 2.7e7, &tc, &td), 0);
    ck_assert_int_eq(maskeval_cost_prefers_device(&q, 4, MASKEVAL_WORK_PAIRS, 2.9e7, &tc, &td), 1);
    ck_assert(tc > 0.289 && tc < 0.291);
    /* twice the threads, twice the CPU rate: the break-even doubles (u = 6.25e7) */
    ck_assert_int_eq(maskeval_cost_prefers_device(&q, 8, MASKEVAL_WORK_PAIRS, 6.0e7, &tc, &td), 0);
    ck_assert_int_eq(maskeval_cost_prefers_device(&q, 8, MASKEVAL_WORK_PAIRS, 6.5e7, &tc, &td), 1);
    ck_assert_int_eq(maskeval_cost_prefers_device(&q, 4, MASKEVAL_WORK_PAIRS, 0, &tc, &td), 0);
    /* broken files: a bad rate, a missing kind, another format */
    f = fopen(path, "a");
    ck_assert_ptr_nonnull(f);
    fputs("bands 5 0\n", f);
    fclose(f);
    ck_assert_int_eq(maskeval_profile_read(path, &q, err, sizeof(err)), MASKEVAL_ERR_PARSE);
    ck_assert_ptr_nonnull(strstr(err, "line 11"));
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("maskeval-device-profile 1\nthreads 2\nopen_s 0.1\npairs 1 2\n", f);
    fclose(f);
    ck_assert_int_eq(maskeval_profile_read(path, &q, err, sizeof(err)), MASKEVAL_ERR_PARSE);
    ck_assert_ptr_nonnull(strstr(err, "no 'bands' rates"));
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("{\"json\": 1}\n", f);
    fclose(f);
    ck_assert_int_eq(maskeval_profile_read(path, &q, err, sizeof(err)), MASKEVAL_ERR_PARSE);
    remove(path);
    ck_assert_int_eq(maskeval_profile_read(path, &q, err, sizeof(err)), MASKEVAL_ERR_IO);
}
END_TEST

static Suite *backend_cl_suite(void)
{
    Suite *s = suite_create("backend_cl");
    TCase *tc = tcase_create("confusion");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_confusion_matches_cpu, 0, 4 * N_CONFIGS);
    suite_add_tcase(s, tc);
    tc = tcase_create("bands");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_bands_match_cpu, 0, 8 * N_BAND_RATIOS);
    suite_add_tcase(s, tc);
    tc = tcase_create("segment_pairs");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_segment_pairs_match_cpu, 0, 12);
    suite_add_tcase(s, tc);
    tc = tcase_create("errors");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_device_errors);
    tcase_add_test(tc, test_cost_model);
    tcase_add_test(tc, test_warm_up);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    maskeval_ctx *ctx = NULL;
    size_t n = 0;
    SRunner *sr;
    int failed;
    if (maskeval_ctx_create(NULL, &ctx) != MASKEVAL_OK ||
        maskeval_device_list(ctx, NULL, 0, &n) != MASKEVAL_OK || n == 0) {
        printf("no OpenCL platform or device: skipping\n");
        maskeval_ctx_destroy(ctx);
        return 77;
    }
    maskeval_ctx_destroy(ctx);
    sr = srunner_create(backend_cl_suite());
    /* OpenCL runtimes start threads; a fork() after that can deadlock the
     * child, so these tests run in-process. */
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
