/*
 * bench_kernels.c - throughput of maskeval's OpenCL kernels with the data
 * already on the device (kernel time from profiling events, median of runs):
 *   pair_intersect: pairs per second and bytes of intervals per second;
 *   mask_bands:     Boundary AP's bands (dilation ratio 0.02) of the decoded
 *                   masks: masks per second, intervals read and band
 *                   intervals written per second;
 *   confusion_*:    labels per second and GB/s of label bytes read.
 * Also times the same work on the CPU path (one thread) for comparison.
 *
 *   bench_kernels [--device N] [--runs R] [--images N] [--json OUT]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend/cl_backend.h"
#include "backend/cl_sources.h"
#include "labelgen.h"
#include "maskeval.h"
#include "raster/band.h"
#include "rle/rle.h"
#include "semantic/confusion.h"

static const maskeval_alloc alloc = {malloc, realloc, free};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(double), cmp_d);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

#define CHECK(call)                                                                                \
    do {                                                                                           \
        cl_int e_ = (call);                                                                        \
        if (e_ != CL_SUCCESS) {                                                                    \
            fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call,                         \
                    maskeval_cl_errname(e_));                                                      \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

static double event_seconds(cl_event ev)
{
    cl_ulong t0 = 0, t1 = 0;
    CHECK(clWaitForEvents(1, &ev));
    CHECK(clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_START, sizeof(t0), &t0, NULL));
    CHECK(clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_END, sizeof(t1), &t1, NULL));
    clReleaseEvent(ev);
    return (double)(t1 - t0) * 1e-9;
}

/* --- pair_intersect ------------------------------------------------------ */

/* An elliptical mask in an h x w image, as foreground intervals. */
static size_t ellipse_intervals(uint32_t h, uint32_t w, double cx, double cy, double rx, double ry,
                                uint32_t *out, double box[4])
{
    size_t n = 0;
    int x0 = (int)floor(cx - rx), x1 = (int)ceil(cx + rx);
    int bx0 = -1, bx1 = -1, by0 = (int)h, by1 = -1;
    for (int x = x0 < 0 ? 0 : x0; x <= x1 && x < (int)w; x++) {
        double dx = (x + 0.5 - cx) / rx;
        double t = 1 - dx * dx;
        int y0, y1;
        if (t <= 0) {
            continue;
        }
        y0 = (int)ceil(cy - ry * sqrt(t));
        y1 = (int)floor(cy + ry * sqrt(t));
        if (y0 < 0) {
            y0 = 0;
        }
        if (y1 >= (int)h) {
            y1 = (int)h - 1;
        }
        if (y1 < y0) {
            continue;
        }
        out[2 * n] = (uint32_t)x * h + (uint32_t)y0;
        out[2 * n + 1] = (uint32_t)x * h + (uint32_t)y1 + 1;
        n++;
        if (bx0 < 0) {
            bx0 = x;
        }
        bx1 = x;
        by0 = y0 < by0 ? y0 : by0;
        by1 = y1 > by1 ? y1 : by1;
    }
    box[0] = bx0 < 0 ? 0 : bx0;
    box[1] = by1 < 0 ? 0 : by0;
    box[2] = bx0 < 0 ? 0 : bx1 - bx0 + 1;
    box[3] = by1 < 0 ? 0 : by1 - by0 + 1;
    return n;
}

static void bench_pairs(maskeval_cl *cl, cl_command_queue q, int images, int runs, FILE *js)
{
    const uint32_t h = 480, w = 640;
    const int dets = 100, gts = 7;
    size_t cap_iv = (size_t)images * (dets + gts) * 700, n_iv = 0, n_masks = 0, n_pairs = 0;
    uint32_t *iv = malloc(cap_iv * 2 * sizeof(uint32_t));
    uint32_t *off = malloc(((size_t)images * (dets + gts) + 1) * sizeof(uint32_t));
    double *boxes = malloc((size_t)images * (dets + gts) * 4 * sizeof(double));
    uint32_t *pairs = malloc((size_t)images * dets * gts * 4 * sizeof(uint32_t));
    uint64_t s = 12345, iv_bytes = 0;
    cl_int err;
    double t[64], td[64], cpu0, cpu1;
    uint64_t checksum_cpu = 0, checksum_dev = 0;
    size_t str_bytes = 0;

    for (int im = 0; im < images; im++) {
        size_t first = n_masks;
        double gx[8], gy[8];
        for (int g = 0; g < gts + dets; g++) {
            double cx, cy, rx, ry;
            if (g < gts) {
                cx = 40 + (double)(lg_next(&s) % 560);
                cy = 40 + (double)(lg_next(&s) % 400);
                gx[g] = cx;
                gy[g] = cy;
                rx = 8 + (double)(lg_next(&s) % 80);
                ry = 8 + (double)(lg_next(&s) % 80);
            } else {
                int near = (int)(lg_next(&s) % gts);
                cx = gx[near] + (double)(lg_next(&s) % 41) - 20;
                cy = gy[near] + (double)(lg_next(&s) % 41) - 20;
                rx = 6 + (double)(lg_next(&s) % 80);
                ry = 6 + (double)(lg_next(&s) % 80);
            }
            off[n_masks] = (uint32_t)n_iv;
            n_iv += ellipse_intervals(h, w, cx, cy, rx, ry, iv + 2 * n_iv, boxes + 4 * n_masks);
            n_masks++;
        }
        for (int d = 0; d < dets; d++) {
            for (int g = 0; g < gts; g++) {
                size_t a = first + gts + (size_t)d, b = first + (size_t)g;
                double *da = boxes + 4 * a, *gb = boxes + 4 * b;
                double c0 = da[0] > gb[0] ? da[0] : gb[0];
                double c1 = fmin(da[0] + da[2], gb[0] + gb[2]);
                if (maskeval_box_iou(da, gb, 0) <= 0) {
                    continue;
                }
                pairs[4 * n_pairs] = (uint32_t)a;
                pairs[4 * n_pairs + 1] = (uint32_t)b;
                pairs[4 * n_pairs + 2] = (uint32_t)c0 * h;
                pairs[4 * n_pairs + 3] = (uint32_t)c1 * h;
                n_pairs++;
            }
        }
    }
    off[n_masks] = (uint32_t)n_iv;
    /* bytes a pair reads: the intervals of both masks inside the window */
    for (size_t p = 0; p < n_pairs; p++) {
        for (int k = 0; k < 2; k++) {
            uint32_t m = pairs[4 * p + k];
            for (uint32_t i = off[m]; i < off[m + 1]; i++) {
                if (iv[2 * i + 1] > pairs[4 * p + 2] && iv[2 * i] < pairs[4 * p + 3]) {
                    iv_bytes += 8;
                }
            }
        }
    }
    /* CPU reference: the same merge walk, one thread */
    cpu0 = now();
    for (size_t p = 0; p < n_pairs; p++) {
        uint32_t a = pairs[4 * p], b = pairs[4 * p + 1];
        uint32_t i = off[a], j = off[b], c = 0;
        while (i < off[a + 1] && j < off[b + 1]) {
            uint32_t s0 = iv[2 * i] > iv[2 * j] ? iv[2 * i] : iv[2 * j];
            uint32_t e0 = iv[2 * i + 1] < iv[2 * j + 1] ? iv[2 * i + 1] : iv[2 * j + 1];
            if (e0 > s0) {
                c += e0 - s0;
            }
            if (iv[2 * i + 1] <= iv[2 * j + 1]) {
                i++;
            } else {
                j++;
            }
        }
        checksum_cpu += c;
    }
    cpu1 = now();
    {
        /* one upload buffer as the backend builds it: the masks as COCO RLE
         * strings, string and interval offsets, then the pairs */
        size_t cap_str = maskeval_rle_str_bound(2 * n_iv + 2 * n_masks) + 16, n_str = 0;
        char *str = malloc(cap_str);
        uint32_t *stroff = malloc((n_masks + 1) * sizeof(uint32_t));
        uint32_t *counts = malloc((2 * cap_iv + 2) * sizeof(uint32_t));
        size_t stroff_at, ivoff_at, pairs_at, minfo_at, bandoff_at, total, band_room = 0;
        uint32_t *in, *res = malloc(n_pairs * sizeof(uint32_t));
        cl_mem d_in, d_iv, d_out;
        cl_uint a_so, a_io, a_pa, a_np = (cl_uint)n_pairs, a_nm = (cl_uint)n_masks;
        size_t lsz = 256, gsz = (n_pairs + 255) / 256 * 256, dl = 64;
        size_t dg = (n_masks + 63) / 64 * 64;
        for (size_t m = 0; m < n_masks; m++) {
            size_t nc = 0;
            uint32_t pos = 0;
            for (uint32_t i = off[m]; i < off[m + 1]; i++) {
                counts[nc++] = iv[2 * i] - pos;
                counts[nc++] = iv[2 * i + 1] - iv[2 * i];
                pos = iv[2 * i + 1];
            }
            counts[nc++] = h * w - pos;
            stroff[m] = (uint32_t)n_str;
            n_str += maskeval_rle_str_encode(counts, nc, str + n_str);
        }
        stroff[n_masks] = (uint32_t)n_str;
        stroff_at = (n_str + 3) / 4;
        ivoff_at = stroff_at + n_masks + 1;
        pairs_at = (ivoff_at + n_masks + 1 + 3) & ~(size_t)3;
        /* mask_bands' inputs after the pairs: (h, w, d, 0) per mask, band slots */
        minfo_at = pairs_at + 4 * n_pairs;
        bandoff_at = minfo_at + 4 * n_masks;
        total = bandoff_at + n_masks + 1;
        in = calloc(total, sizeof(uint32_t));
        for (size_t m = 0; m < n_masks; m++) {
            const size_t nr = off[m + 1] - off[m], cw = (size_t)boxes[4 * m + 2];
            in[minfo_at + 4 * m] = h;
            in[minfo_at + 4 * m + 1] = w;
            in[minfo_at + 4 * m + 2] = maskeval_band_width(h, w, 0.02);
            in[bandoff_at + m] = (uint32_t)band_room;
            /* as backend_cl.c's band_room */
            band_room += nr == 0 ? 0 : 2 * (nr + cw + 1) + 4 * cw + 3;
        }
        in[bandoff_at + n_masks] = (uint32_t)band_room;
        memcpy(in, str, n_str);
        memcpy(in + stroff_at, stroff, (n_masks + 1) * 4);
        memcpy(in + ivoff_at, off, (n_masks + 1) * 4);
        memcpy(in + pairs_at, pairs, n_pairs * 16);
        a_so = (cl_uint)stroff_at;
        a_io = (cl_uint)ivoff_at;
        a_pa = (cl_uint)pairs_at;
        if (lsz > cl->max_wg) {
            lsz = cl->max_wg;
            gsz = (n_pairs + lsz - 1) / lsz * lsz;
        }
        d_in = clCreateBuffer(cl->context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, total * 4, in,
                              &err);
        CHECK(err);
        d_iv = clCreateBuffer(cl->context, CL_MEM_READ_WRITE, n_iv * 8 + 8, NULL, &err);
        CHECK(err);
        d_out = clCreateBuffer(cl->context, CL_MEM_WRITE_ONLY, n_pairs * 4, NULL, &err);
        CHECK(err);
        CHECK(clSetKernelArg(cl->k_decode, 0, sizeof(cl_mem), &d_in));
        CHECK(clSetKernelArg(cl->k_decode, 1, sizeof(cl_uint), &a_so));
        CHECK(clSetKernelArg(cl->k_decode, 2, sizeof(cl_uint), &a_io));
        CHECK(clSetKernelArg(cl->k_decode, 3, sizeof(cl_uint), &a_nm));
        CHECK(clSetKernelArg(cl->k_decode, 4, sizeof(cl_mem), &d_iv));
        for (int r = 0; r <= runs; r++) {
            cl_event ev;
            CHECK(clEnqueueNDRangeKernel(q, cl->k_decode, 1, NULL, &dg, &dl, 0, NULL, &ev));
            td[r] = event_seconds(ev);
        }
        {
            /* mask_bands on the decoded intervals, against maskeval_band_runs */
            cl_program prog = NULL;
            cl_kernel kb;
            cl_mem d_band, d_barea;
            cl_uint a_bo = (cl_uint)bandoff_at, a_mi = (cl_uint)minfo_at;
            uint32_t *areas = malloc(n_masks * sizeof(uint32_t));
            uint64_t area_cpu = 0, area_dev = 0, band_iv = 0;
            maskeval_ctx *bctx = NULL;
            maskeval_band_work wk;
            maskeval_u32vec bc = {0};
            double tb[64], b0, b1, bmed;
            memset(&wk, 0, sizeof(wk));
            maskeval_ctx_create(NULL, &bctx);
            if (maskeval_clprog_build(bctx, cl, maskeval_clsrc_mask_bands,
                                      maskeval_clsrc_mask_bands_len, "mask_bands.cl", "",
                                      &prog) != MASKEVAL_OK) {
                fprintf(stderr, "%s\n", maskeval_errmsg(bctx));
                exit(1);
            }
            kb = clCreateKernel(prog, "mask_bands", &err);
            CHECK(err);
            d_band = clCreateBuffer(cl->context, CL_MEM_READ_WRITE, band_room * 8 + 8, NULL, &err);
            CHECK(err);
            d_barea = clCreateBuffer(cl->context, CL_MEM_WRITE_ONLY, n_masks * 4 + 4, NULL, &err);
            CHECK(err);
            CHECK(clSetKernelArg(kb, 0, sizeof(cl_mem), &d_iv));
            CHECK(clSetKernelArg(kb, 1, sizeof(cl_mem), &d_in));
            CHECK(clSetKernelArg(kb, 2, sizeof(cl_uint), &a_io));
            CHECK(clSetKernelArg(kb, 3, sizeof(cl_uint), &a_bo));
            CHECK(clSetKernelArg(kb, 4, sizeof(cl_uint), &a_mi));
            CHECK(clSetKernelArg(kb, 5, sizeof(cl_uint), &a_nm));
            CHECK(clSetKernelArg(kb, 6, sizeof(cl_mem), &d_band));
            CHECK(clSetKernelArg(kb, 7, sizeof(cl_mem), &d_barea));
            for (int r = 0; r <= runs; r++) {
                cl_event ev;
                CHECK(clEnqueueNDRangeKernel(q, kb, 1, NULL, &dg, &dl, 0, NULL, &ev));
                tb[r] = event_seconds(ev);
            }
            CHECK(clEnqueueReadBuffer(q, d_barea, CL_TRUE, 0, n_masks * 4, areas, 0, NULL, NULL));
            b0 = now();
            for (size_t m = 0; m < n_masks; m++) {
                maskeval_band_runs(&alloc, iv + 2 * off[m], off[m + 1] - off[m], h, w,
                                   maskeval_band_width(h, w, 0.02), &wk, &bc);
                for (size_t k = 1; k < bc.n; k += 2) {
                    area_cpu += bc.v[k];
                    band_iv++;
                }
                area_dev += areas[m];
            }
            b1 = now();
            bmed = median(tb + 1, runs);
            printf("mask_bands: %zu masks, %zu intervals -> %llu band intervals: kernel %.3f ms = "
                   "%.3g masks/s, %.1f GB/s of intervals read once + bands written; CPU 1 thread "
                   "%.1f ms; band areas %s\n",
                   n_masks, n_iv, (unsigned long long)band_iv, bmed * 1e3, n_masks / bmed,
                   (8.0 * n_iv + 8.0 * band_iv) / bmed / 1e9, (b1 - b0) * 1e3,
                   area_cpu == area_dev ? "identical" : "DIFFER");
            if (js != NULL) {
                fprintf(js,
                        "  \"mask_bands\": {\"masks\": %zu, \"band_intervals\": %llu, "
                        "\"kernel_s\": %.6g, \"masks_per_s\": %.6g, \"GBps\": %.4g, "
                        "\"cpu_1thread_s\": %.6g, \"identical\": %s},\n",
                        n_masks, (unsigned long long)band_iv, bmed, n_masks / bmed,
                        (8.0 * n_iv + 8.0 * band_iv) / bmed / 1e9, b1 - b0,
                        area_cpu == area_dev ? "true" : "false");
            }
            maskeval_band_work_free(&alloc, &wk);
            maskeval_u32vec_free(&alloc, &bc);
            clReleaseMemObject(d_band);
            clReleaseMemObject(d_barea);
            clReleaseKernel(kb);
            clReleaseProgram(prog);
            maskeval_ctx_destroy(bctx);
            free(areas);
        }
        CHECK(clSetKernelArg(cl->k_pair, 0, sizeof(cl_mem), &d_iv));
        CHECK(clSetKernelArg(cl->k_pair, 1, sizeof(cl_mem), &d_in));
        CHECK(clSetKernelArg(cl->k_pair, 2, sizeof(cl_uint), &a_io));
        CHECK(clSetKernelArg(cl->k_pair, 3, sizeof(cl_uint), &a_pa));
        CHECK(clSetKernelArg(cl->k_pair, 4, sizeof(cl_uint), &a_np));
        CHECK(clSetKernelArg(cl->k_pair, 5, sizeof(cl_mem), &d_out));
        for (int r = 0; r <= runs; r++) {
            cl_event ev;
            CHECK(clEnqueueNDRangeKernel(q, cl->k_pair, 1, NULL, &gsz, &lsz, 0, NULL, &ev));
            t[r] = event_seconds(ev); /* run 0 is a warm-up */
        }
        CHECK(clEnqueueReadBuffer(q, d_out, CL_TRUE, 0, n_pairs * 4, res, 0, NULL, NULL));
        for (size_t p = 0; p < n_pairs; p++) {
            checksum_dev += res[p];
        }
        str_bytes = n_str;
        clReleaseMemObject(d_in);
        clReleaseMemObject(d_iv);
        clReleaseMemObject(d_out);
        free(in);
        free(res);
        free(str);
        free(stroff);
        free(counts);
    }
    {
        double med = median(t + 1, runs), dmed = median(td + 1, runs);
        printf("decode_masks: %zu masks, %zu string bytes -> %zu intervals: kernel %.3f ms = "
               "%.1f GB/s read+written\n",
               n_masks, str_bytes, n_iv, dmed * 1e3, (str_bytes + 8.0 * n_iv) / dmed / 1e9);
        printf("pair_intersect: %d images, %zu masks, %zu pairs: kernel %.3f ms (median of %d) = "
               "%.3g pairs/s, %.1f GB/s of intervals; CPU 1 thread %.1f ms; counts %s\n",
               images, n_masks, n_pairs, med * 1e3, runs, n_pairs / med, iv_bytes / med / 1e9,
               (cpu1 - cpu0) * 1e3, checksum_cpu == checksum_dev ? "identical" : "DIFFER");
        if (js != NULL) {
            fprintf(js,
                    "  \"decode_masks\": {\"masks\": %zu, \"string_bytes\": %zu, "
                    "\"intervals\": %zu, \"kernel_s\": %.6g, \"GBps\": %.4g},\n"
                    "  \"pair_intersect\": {\"images\": %d, \"pairs\": %zu, \"kernel_s\": %.6g, "
                    "\"pairs_per_s\": %.6g, \"GBps\": %.4g, \"cpu_1thread_s\": %.6g, "
                    "\"identical\": %s},\n",
                    n_masks, str_bytes, n_iv, dmed, (str_bytes + 8.0 * n_iv) / dmed / 1e9,
                    images, n_pairs, med, n_pairs / med, iv_bytes / med / 1e9, cpu1 - cpu0,
                    checksum_cpu == checksum_dev ? "true" : "false");
        }
    }
    free(iv);
    free(off);
    free(boxes);
    free(pairs);
}

/* --- confusion ----------------------------------------------------------- */

static void bench_confusion(maskeval_ctx *ctx, maskeval_cl *cl, cl_command_queue q, uint32_t k,
                            int bytes, int piecewise, int images, int runs, FILE *js, int *first)
{
    const uint32_t w = 2048, h = 1024;
    const size_t n = (size_t)w * h * images;
    uint8_t *gt = malloc(n * bytes), *pred = malloc(n * bytes);
    uint32_t *lut = malloc(65536 * sizeof(uint32_t));
    const int wide = bytes == 2;
    const uint32_t k1 = k + 1;
    const size_t bins = (size_t)k1 * k1;
    int variant;
    cl_int err;
    double t[64], c0, c1;
    maskeval_cm cpu;
    maskeval_labels l;
    static const char *vname[3] = {"local", "global", "hash"};
    const uint32_t top = k + 1 < (bytes == 1 ? 255u : 65535u) ? k + 1 : (bytes == 1 ? 255u : 65535u);

    for (uint32_t i = 0; i < 65536; i++) {
        lut[i] = i;
    }
    lut[bytes == 1 ? 255 : 65535] = MASKEVAL_LABEL_SKIP;
    for (int im = 0; im < images; im++) {
        size_t o = (size_t)w * h * im * bytes;
        lg_scene(gt + o, bytes, w, h, top, piecewise, 31 + im);
        lg_perturb(gt + o, pred + o, bytes, w, h, top, 57 + im);
    }
    if (maskeval_cm_init(&alloc, &cpu, k) != MASKEVAL_OK) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    l.gt = gt;
    l.pred = pred;
    l.n = n;
    l.bytes = bytes;
    l.lut_g = lut;
    l.lut_p = lut;
    c0 = now();
    maskeval_cm_count_cpu(&alloc, &cpu, &l);
    c1 = now();

    /* build through the backend once (it picks the variant), then time the
     * kernel alone on resident data */
    {
        maskeval_cm dev;
        maskeval_cm_init(&alloc, &dev, k);
        if (maskeval_cl_confusion(ctx, cl, &dev, &l, 1) != MASKEVAL_OK) {
            fprintf(stderr, "%s\n", maskeval_errmsg(ctx));
            exit(1);
        }
        if (!cpu.sparse && memcmp(cpu.dense, dev.dense, bins * 8) != 0) {
            fprintf(stderr, "confusion K=%u: device counts differ from the CPU path\n", k);
            exit(1);
        }
        maskeval_cm_free(&alloc, &dev);
    }
    variant = cpu.sparse ? 2 : (bins * 4 + 512 * 4 + 1024 <= cl->local_mem && bins <= 65536) ? 0 : 1;
    {
        cl_kernel kern = cl->k_conf[wide][variant];
        cl_mem d_gt, d_pred, d_hist, d_keys = NULL, d_lut;
        cl_ulong nn = n;
        size_t lsz = 256 < cl->max_wg ? 256 : cl->max_wg, gsz, groups;
        size_t chunks = (n + 15) / 16, hb = cpu.sparse ? ((size_t)1 << 24) : bins;
        size_t llut_bytes = wide ? 4 : 512 * 4;
        cl_uint kk = k, mask = (cl_uint)(hb - 1), zero = 0, empty = MASKEVAL_LABEL_SKIP;
        cl_uint arg = 0;
        d_gt = clCreateBuffer(cl->context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, n * bytes, gt,
                              &err);
        CHECK(err);
        d_pred = clCreateBuffer(cl->context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, n * bytes,
                                pred, &err);
        CHECK(err);
        d_lut = clCreateBuffer(cl->context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR,
                               (wide ? 65536 : 256) * 4, lut, &err);
        CHECK(err);
        d_hist = clCreateBuffer(cl->context, CL_MEM_READ_WRITE, (hb + 1) * 4, NULL, &err);
        CHECK(err);
        if (variant == 2) {
            d_keys = clCreateBuffer(cl->context, CL_MEM_READ_WRITE, hb * 4, NULL, &err);
            CHECK(err);
        }
        /* the same launch shape as cl_confusion.c */
        groups = (size_t)cl->info.compute_units * (variant == 0 ? 8 : 16);
        gsz = (chunks + lsz - 1) / lsz;
        gsz = (gsz < groups ? gsz : groups) * lsz;
        CHECK(clSetKernelArg(kern, arg++, sizeof(cl_mem), &d_gt));
        CHECK(clSetKernelArg(kern, arg++, sizeof(cl_mem), &d_pred));
        CHECK(clSetKernelArg(kern, arg++, sizeof(cl_ulong), &nn));
        CHECK(clSetKernelArg(kern, arg++, sizeof(cl_mem), &d_lut));
        CHECK(clSetKernelArg(kern, arg++, sizeof(cl_mem), &d_lut));
        CHECK(clSetKernelArg(kern, arg++, sizeof(cl_uint), &kk));
        if (variant == 2) {
            CHECK(clSetKernelArg(kern, arg++, sizeof(cl_mem), &d_keys));
            CHECK(clSetKernelArg(kern, arg++, sizeof(cl_mem), &d_hist));
            CHECK(clSetKernelArg(kern, arg++, sizeof(cl_uint), &mask));
        } else {
            CHECK(clSetKernelArg(kern, arg++, sizeof(cl_mem), &d_hist));
        }
        CHECK(clSetKernelArg(kern, arg++, llut_bytes, NULL));
        if (variant == 0) {
            CHECK(clSetKernelArg(kern, arg++, bins * 4, NULL));
        }
        for (int r = 0; r <= runs; r++) {
            cl_event ev;
            CHECK(clEnqueueFillBuffer(q, d_hist, &zero, 4, 0, (hb + 1) * 4, 0, NULL, NULL));
            if (variant == 2) {
                CHECK(clEnqueueFillBuffer(q, d_keys, &empty, 4, 0, hb * 4, 0, NULL, NULL));
            }
            CHECK(clEnqueueNDRangeKernel(q, kern, 1, NULL, &gsz, &lsz, 0, NULL, &ev));
            t[r] = event_seconds(ev);
        }
        clReleaseMemObject(d_gt);
        clReleaseMemObject(d_pred);
        clReleaseMemObject(d_lut);
        clReleaseMemObject(d_hist);
        if (d_keys != NULL) {
            clReleaseMemObject(d_keys);
        }
    }
    {
        double med = median(t + 1, runs), gbs = (double)n * 2 * bytes / med / 1e9;
        printf("confusion_%s K=%u %s %d-bit: %d x 2048x1024: kernel %.3f ms = %.3g labels/s, "
               "%.1f GB/s of label bytes; CPU 1 thread %.1f ms (%.2f GB/s)\n",
               vname[variant], k, piecewise ? "piecewise" : "random", 8 * bytes, images, med * 1e3,
               n / med, gbs, (c1 - c0) * 1e3, (double)n * 2 * bytes / (c1 - c0) / 1e9);
        if (js != NULL) {
            fprintf(js,
                    "%s    {\"kernel\": \"confusion_%s\", \"K\": %u, \"maps\": \"%s\", \"bits\": %d, "
                    "\"pixels\": %zu, \"kernel_s\": %.6g, \"labels_per_s\": %.6g, \"GBps\": %.4g, "
                    "\"cpu_1thread_s\": %.6g}",
                    *first ? "" : ",\n", vname[variant], k, piecewise ? "piecewise" : "random",
                    8 * bytes, n, med, n / med, gbs, c1 - c0);
            *first = 0;
        }
    }
    maskeval_cm_free(&alloc, &cpu);
    free(gt);
    free(pred);
    free(lut);
}

int main(int argc, char **argv)
{
    int device = -1, runs = 5, images = 8;
    const char *json = NULL;
    maskeval_ctx *ctx = NULL;
    maskeval_cl_device *devs = NULL;
    maskeval_cl *cl = NULL;
    size_t n = 0, pick = 0;
    cl_command_queue q;
    cl_int err;
    FILE *js = NULL;
    int first = 1;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--device") == 0 && i + 1 < argc) {
            device = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
            runs = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--images") == 0 && i + 1 < argc) {
            images = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--json") == 0 && i + 1 < argc) {
            json = argv[++i];
        } else {
            fprintf(stderr, "usage: bench_kernels [--device N] [--runs R] [--images N] [--json F]\n");
            return 2;
        }
    }
    if (runs < 1 || runs > 60 || images < 1) {
        fprintf(stderr, "bench_kernels: --runs 1..60, --images >= 1\n");
        return 2;
    }
    if (maskeval_ctx_create(NULL, &ctx) != MASKEVAL_OK ||
        maskeval_cl_devices(ctx, &devs, &n) != MASKEVAL_OK || n == 0) {
        fprintf(stderr, "bench_kernels: no OpenCL device\n");
        return 77;
    }
    pick = device >= 0 ? (size_t)device : 0;
    if (pick >= n || maskeval_cl_open(ctx, &devs[pick], &cl) != MASKEVAL_OK) {
        fprintf(stderr, "bench_kernels: cannot open device: %s\n", maskeval_errmsg(ctx));
        return 1;
    }
    q = clCreateCommandQueue(cl->context, cl->device, CL_QUEUE_PROFILING_ENABLE, &err);
    CHECK(err);
    printf("device: %s (%s, driver %s), %u compute units, %.1f GiB\n", cl->info.name,
           cl->info.platform, cl->info.driver, cl->info.compute_units,
           cl->info.global_mem / 1073741824.0);
    if (json != NULL) {
        js = fopen(json, "w");
        if (js != NULL) {
            fprintf(js, "{\"device\": \"%s\", \"driver\": \"%s\",\n", cl->info.name,
                    cl->info.driver);
        }
    }
    bench_pairs(cl, q, images * 250, runs, js);
    if (js != NULL) {
        fprintf(js, "  \"confusion\": [\n");
    }
    bench_confusion(ctx, cl, q, 19, 1, 1, images, runs, js, &first);
    bench_confusion(ctx, cl, q, 19, 1, 0, images, runs, js, &first);
    bench_confusion(ctx, cl, q, 150, 1, 1, images, runs, js, &first);
    bench_confusion(ctx, cl, q, 300, 2, 1, images, runs, js, &first);
    bench_confusion(ctx, cl, q, 65535, 2, 1, images / 2 > 0 ? images / 2 : 1, runs, js, &first);
    if (js != NULL) {
        fprintf(js, "\n  ]\n}\n");
        fclose(js);
    }
    clReleaseCommandQueue(q);
    maskeval_cl_close(ctx, cl);
    free(devs);
    maskeval_ctx_destroy(ctx);
    return 0;
}
