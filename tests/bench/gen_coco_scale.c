/*
 * gen_coco_scale.c - a COCO-val2017-sized evaluation set written by C alone
 * (no Python), so the scale benchmark also runs on machines without the
 * reference tools, such as a lent GPU box.
 *
 *   gen_coco_scale --out DIR [--images 5000] [--dets 100] [--seed 2017]
 *
 * Writes DIR/gt.json (polygons, 1% crowd regions as uncompressed RLE, COCO's
 * 80 category ids, small/medium/large mix ~41/34/25%) and DIR/dt.json (about
 * --dets mask results per image: jittered copies of the ground truth with
 * scores that follow their quality, plus false positives; compressed RLE
 * plus bbox, as detectron2 writes them) and DIR/dt_bbox.json (boxes only).
 * Deterministic for a given seed.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "maskeval.h"

static const int coco_ids[80] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 13, 14, 15, 16, 17,
                                 18, 19, 20, 21, 22, 23, 24, 25, 27, 28, 31, 32, 33, 34, 35, 36,
                                 37, 38, 39, 40, 41, 42, 43, 44, 46, 47, 48, 49, 50, 51, 52, 53,
                                 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 67, 70, 72, 73,
                                 74, 75, 76, 77, 78, 79, 80, 81, 82, 84, 85, 86, 87, 88, 89, 90};

static uint64_t rng = 2017;

static double urand(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (double)((rng * 2685821657736338717ull) >> 11) * (1.0 / 9007199254740992.0);
}

static int irand(int n)
{
    return (int)(urand() * n);
}

typedef struct shape {
    double cx, cy, rx, ry, rot;
    int nv;
    double wob[40];
} shape;

static void shape_poly(const shape *s, double *xy)
{
    for (int v = 0; v < s->nv; v++) {
        double a = 2 * M_PI * v / s->nv, r = s->wob[v];
        double x = r * s->rx * cos(a), y = r * s->ry * sin(a);
        xy[2 * v] = s->cx + x * cos(s->rot) - y * sin(s->rot);
        xy[2 * v + 1] = s->cy + x * sin(s->rot) + y * cos(s->rot);
    }
}

static void random_shape(shape *s, int w, int h, double side)
{
    s->rx = side * (0.35 + 0.3 * urand());
    s->ry = side * side / (4 * s->rx) * (0.8 + 0.4 * urand());
    s->cx = s->rx + urand() * (w - 2 * s->rx);
    s->cy = s->ry + urand() * (h - 2 * s->ry);
    s->rot = urand() * M_PI;
    s->nv = 8 + irand(24);
    for (int v = 0; v < s->nv; v++) {
        s->wob[v] = 0.75 + 0.5 * urand();
    }
}

/* A detection of s: shifted, scaled and wobbled by `noise`. */
static void jitter(const shape *s, shape *d, double noise)
{
    *d = *s;
    d->cx += noise * s->rx * (urand() - 0.5);
    d->cy += noise * s->ry * (urand() - 0.5);
    d->rx *= 1 + noise * (urand() - 0.5);
    d->ry *= 1 + noise * (urand() - 0.5);
    for (int v = 0; v < d->nv; v++) {
        d->wob[v] *= 1 + 0.6 * noise * (urand() - 0.5);
    }
}

typedef struct buf {
    uint32_t *counts;
    size_t cap;
    char *str;
    size_t scap;
} buf;

static size_t rasterize(maskeval_ctx *ctx, const shape *s, int h, int w, buf *b)
{
    double xy[80];
    size_t n = 0;
    shape_poly(s, xy);
    for (;;) {
        maskeval_status st = maskeval_rle_from_polygon(ctx, xy, 2 * (size_t)s->nv, (uint32_t)h,
                                                       (uint32_t)w, b->counts, b->cap, &n);
        if (st == MASKEVAL_OK) {
            return n;
        }
        if (st != MASKEVAL_ERR_BUFFER_TOO_SMALL) {
            fprintf(stderr, "rasterize: %s\n", maskeval_errmsg(ctx));
            exit(1);
        }
        b->cap = n * 2;
        b->counts = realloc(b->counts, b->cap * sizeof(uint32_t));
    }
}

/* The compressed RLE string, JSON-escaped (it can contain a backslash). */
static const char *rle_str(const uint32_t *c, size_t n, buf *b)
{
    size_t len = 0, k = 0;
    char *esc;
    while (maskeval_rle_to_string(c, n, b->str, b->scap / 2, &len) != MASKEVAL_OK) {
        b->scap = len * 4 + 16;
        b->str = realloc(b->str, b->scap);
    }
    esc = b->str + b->scap / 2;
    for (size_t i = 0; i < len; i++) {
        if (b->str[i] == '\\') {
            esc[k++] = '\\';
        }
        esc[k++] = b->str[i];
    }
    esc[k] = '\0';
    return esc;
}

int main(int argc, char **argv)
{
    const char *out = NULL;
    int images = 5000, dets = 100;
    char path[4096];
    FILE *gt, *dt, *db;
    maskeval_ctx *ctx = NULL;
    buf b = {NULL, 0, NULL, 0};
    long n_gt = 0, n_dt = 0, n_small = 0, n_medium = 0, n_large = 0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
            out = argv[++i];
        } else if (strcmp(argv[i], "--images") == 0 && i + 1 < argc) {
            images = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--dets") == 0 && i + 1 < argc) {
            dets = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            rng = (uint64_t)atoll(argv[++i]) * 0x9E3779B97F4A7C15ull + 1;
        } else {
            fprintf(stderr, "usage: gen_coco_scale --out DIR [--images N] [--dets N] [--seed S]\n");
            return 2;
        }
    }
    if (out == NULL || images < 1 || dets < 1) {
        fprintf(stderr, "usage: gen_coco_scale --out DIR [--images N] [--dets N] [--seed S]\n");
        return 2;
    }
    mkdir(out, 0777);
    maskeval_ctx_create(NULL, &ctx);
    b.cap = 4096;
    b.counts = malloc(b.cap * sizeof(uint32_t));
    b.scap = 65536;
    b.str = malloc(b.scap);
    snprintf(path, sizeof(path), "%s/gt.json", out);
    gt = fopen(path, "w");
    snprintf(path, sizeof(path), "%s/dt.json", out);
    dt = fopen(path, "w");
    snprintf(path, sizeof(path), "%s/dt_bbox.json", out);
    db = fopen(path, "w");
    if (gt == NULL || dt == NULL || db == NULL) {
        fprintf(stderr, "gen_coco_scale: cannot write into %s\n", out);
        return 1;
    }
    fprintf(gt, "{\"info\":{\"description\":\"maskeval gen_coco_scale\"},\"images\":[");
    {
        /* image sizes first, so annotations can refer to them */
        int *hs = malloc(sizeof(int) * (size_t)images), *ws = malloc(sizeof(int) * (size_t)images);
        for (int i = 0; i < images; i++) {
            double u = urand();
            hs[i] = u < 0.6 ? 480 : u < 0.85 ? 640 : 300 + irand(341);
            ws[i] = u < 0.6 ? 640 : u < 0.85 ? 480 : 300 + irand(341);
            fprintf(gt, "%s{\"id\":%d,\"height\":%d,\"width\":%d,\"file_name\":\"%012d.jpg\"}",
                    i ? "," : "", 100000 + 7 * i, hs[i], ws[i], 100000 + 7 * i);
        }
        fprintf(gt, "],\"categories\":[");
        for (int k = 0; k < 80; k++) {
            fprintf(gt, "%s{\"id\":%d,\"name\":\"class_%d\",\"supercategory\":\"thing\"}",
                    k ? "," : "", coco_ids[k], coco_ids[k]);
        }
        fprintf(gt, "],\"annotations\":[");
        fprintf(dt, "[");
        fprintf(db, "[");
        for (int i = 0; i < images; i++) {
            const int h = hs[i], w = ws[i], id = 100000 + 7 * i;
            int ng = 1 + irand(13), made = 0;
            shape objs[16];
            int cats[16];
            for (int g = 0; g < ng; g++) {
                double u = urand(), side;
                size_t n;
                double box[4];
                int crowd = urand() < 0.01;
                side = u < 0.41 ? 6 + 26 * urand() : u < 0.75 ? 32 + 64 * urand()
                                                             : 96 + 200 * urand();
                if (side > 0.9 * (h < w ? h : w)) {
                    side = 0.9 * (h < w ? h : w);
                }
                random_shape(&objs[g], w, h, side);
                cats[g] = coco_ids[urand() < 0.25 ? 0 : irand(80)];
                n = rasterize(ctx, &objs[g], h, w, &b);
                maskeval_rle_bbox(b.counts, n, (uint32_t)h, (uint32_t)w, box);
                {
                    uint32_t area = maskeval_rle_area(b.counts, n);
                    if (area < 1024) {
                        n_small++;
                    } else if (area < 9216) {
                        n_medium++;
                    } else {
                        n_large++;
                    }
                    fprintf(gt,
                            "%s{\"id\":%ld,\"image_id\":%d,\"category_id\":%d,\"iscrowd\":%d,"
                            "\"area\":%u,\"bbox\":[%g,%g,%g,%g],\"segmentation\":",
                            n_gt ? "," : "", n_gt + 1, id, cats[g], crowd, area, box[0], box[1],
                            box[2], box[3]);
                }
                if (crowd) {
                    fprintf(gt, "{\"size\":[%d,%d],\"counts\":[", h, w);
                    for (size_t j = 0; j < n; j++) {
                        fprintf(gt, "%s%u", j ? "," : "", b.counts[j]);
                    }
                    fprintf(gt, "]}}");
                } else {
                    double xy[80];
                    shape_poly(&objs[g], xy);
                    fprintf(gt, "[[");
                    for (int v = 0; v < 2 * objs[g].nv; v++) {
                        fprintf(gt, "%s%.2f", v ? "," : "", xy[v]);
                    }
                    fprintf(gt, "]]}");
                }
                n_gt++;
            }
            /* detections: about 3 per object, then false positives */
            while (made < dets) {
                shape d;
                double score, quality;
                int cat;
                size_t n;
                double box[4];
                if (made < 3 * ng) {
                    int g = made % ng;
                    quality = urand();
                    jitter(&objs[g], &d, 0.05 + 0.6 * (1 - quality));
                    score = 0.3 + 0.65 * quality * urand();
                    cat = urand() < 0.9 ? cats[g] : coco_ids[irand(80)];
                } else {
                    random_shape(&d, w, h, 8 + 150 * urand() * urand());
                    score = 0.5 * urand() * urand();
                    cat = coco_ids[irand(80)];
                }
                n = rasterize(ctx, &d, h, w, &b);
                maskeval_rle_bbox(b.counts, n, (uint32_t)h, (uint32_t)w, box);
                fprintf(dt,
                        "%s{\"image_id\":%d,\"category_id\":%d,\"bbox\":[%g,%g,%g,%g],"
                        "\"score\":%.5f,\"segmentation\":{\"size\":[%d,%d],\"counts\":\"%s\"}}",
                        n_dt ? "," : "", id, cat, box[0], box[1], box[2], box[3], score, h, w,
                        rle_str(b.counts, n, &b));
                fprintf(db, "%s{\"image_id\":%d,\"category_id\":%d,\"bbox\":[%g,%g,%g,%g],"
                            "\"score\":%.5f}",
                        n_dt ? "," : "", id, cat, box[0], box[1], box[2], box[3], score);
                n_dt++;
                made++;
            }
        }
        free(hs);
        free(ws);
    }
    fprintf(gt, "]}\n");
    fprintf(dt, "]\n");
    fprintf(db, "]\n");
    fclose(gt);
    fclose(dt);
    fclose(db);
    printf("gen_coco_scale: %d images, %ld ground truth (%.0f%% small, %.0f%% medium, %.0f%% "
           "large), %ld results in %s\n",
           images, n_gt, 100.0 * n_small / n_gt, 100.0 * n_medium / n_gt, 100.0 * n_large / n_gt,
           n_dt, out);
    free(b.counts);
    free(b.str);
    maskeval_ctx_destroy(ctx);
    return 0;
}
