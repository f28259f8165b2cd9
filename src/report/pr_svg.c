/*
 * pr_svg.c - PR curves of a COCO result as an SVG image: one curve per IoU
 * threshold (area all, the last maxDets), for all categories and optionally
 * one small chart per category. Plain SVG 1.1 that browsers and rsvg draw;
 * the bytes depend only on the result (fixed-point coordinates, no dates).
 */
#include <stdlib.h>
#include <string.h>

#include "report.h"

/* 10 colours, dark to light (viridis), for IoU 0.50 .. 0.95 */
static const char *const palette[10] = {"#440154", "#482878", "#3e4989", "#31688e", "#26828e",
                                        "#1f9e89", "#35b779", "#6ece58", "#b5de2b", "#fde725"};

static void xml_text(FILE *f, const char *s)
{
    for (; *s != '\0'; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        default:
            /* control characters are not allowed in XML 1.0 */
            fputc((unsigned char)*s < 0x20 ? ' ' : *s, f);
        }
    }
}

typedef struct chart {
    double x, y, w, h; /* the plot area, in SVG units */
} chart;

/* Mean over categories [k0, k1) of precision[t, r, k, all, M-1] > -1; -1 if none. */
static double mean_precision(const double *prec, const size_t *d, size_t t, size_t r, size_t k0,
                             size_t k1)
{
    double sum = 0;
    size_t n = 0;
    for (size_t k = k0; k < k1; k++) {
        double v = prec[(((t * d[1] + r) * d[2] + k) * d[3] + 0) * d[4] + d[4] - 1];
        if (v > -1) {
            sum += v;
            n++;
        }
    }
    return n == 0 ? -1 : sum / (double)n;
}

static void axes(FILE *f, const chart *c, int labels, double font)
{
    fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"#ffffff\" "
               "stroke=\"#444444\" stroke-width=\"1\"/>\n",
            c->x, c->y, c->w, c->h);
    for (int i = 1; i < 5; i++) {
        double gx = c->x + c->w * i / 5.0, gy = c->y + c->h * i / 5.0;
        fprintf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#dddddd\"/>\n",
                gx, c->y, gx, c->y + c->h);
        fprintf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#dddddd\"/>\n",
                c->x, gy, c->x + c->w, gy);
    }
    if (!labels) {
        return;
    }
    for (int i = 0; i <= 5; i++) {
        fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"%.1f\" text-anchor=\"middle\">%.1f"
                   "</text>\n",
                c->x + c->w * i / 5.0, c->y + c->h + font * 1.3, font, i / 5.0);
        fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"%.1f\" text-anchor=\"end\">%.1f"
                   "</text>\n",
                c->x - font * 0.4, c->y + c->h - c->h * i / 5.0 + font * 0.35, font, i / 5.0);
    }
    fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"%.1f\" text-anchor=\"middle\">recall"
               "</text>\n",
            c->x + c->w / 2, c->y + c->h + font * 2.7, font);
    fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"%.1f\" text-anchor=\"middle\" "
               "transform=\"rotate(-90 %.2f %.2f)\">precision</text>\n",
            c->x - font * 2.6, c->y + c->h / 2, font, c->x - font * 2.6, c->y + c->h / 2);
}

static void curves(FILE *f, const chart *c, const double *prec, const size_t *d,
                   const double *rec_thrs, size_t k0, size_t k1, double width)
{
    for (size_t t = 0; t < d[0]; t++) {
        int open = 0;
        for (size_t r = 0; r < d[1]; r++) {
            double p = mean_precision(prec, d, t, r, k0, k1);
            if (p < 0) {
                continue;
            }
            if (!open) {
                fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"%.1f\" "
                           "points=\"",
                        palette[t * 10 / (d[0] > 10 ? d[0] : 10) % 10], width);
                open = 1;
            } else {
                fputc(' ', f);
            }
            fprintf(f, "%.2f,%.2f", c->x + c->w * rec_thrs[r], c->y + c->h * (1 - p));
        }
        if (open) {
            fputs("\"/>\n", f);
        }
    }
}

int maskeval_report_coco_pr_svg(FILE *f, const maskeval_coco_result *res, int per_category)
{
    size_t d[5], n;
    const double *thr = maskeval_coco_result_iou_thrs(res);
    const double *rec = maskeval_coco_result_rec_thrs(res);
    const int64_t *md = maskeval_coco_result_max_dets(res);
    const int64_t *cats = maskeval_coco_result_cat_ids(res);
    double stats[12], *prec;
    const int cols = 4;
    const double W = 720, main_h = 480, cell_w = W / cols, cell_h = 190;
    size_t rows;
    double H;
    chart main = {70, 50, 460, 370};

    maskeval_coco_result_dims(res, d);
    maskeval_coco_result_array(res, MASKEVAL_ARRAY_PRECISION, NULL, 0, &n);
    prec = malloc(n * sizeof(double) + 8);
    if (prec == NULL) {
        return -1;
    }
    maskeval_coco_result_array(res, MASKEVAL_ARRAY_PRECISION, prec, n, &n);
    maskeval_coco_result_stats(res, stats);
    if (maskeval_coco_result_is_lvis(res)) {
        double lv[13];
        maskeval_lvis_result_stats(res, lv);
        stats[0] = lv[0];
    }
    rows = per_category ? (d[2] + cols - 1) / cols : 0;
    H = main_h + (double)rows * cell_h;

    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%.0f\" "
               "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\">\n"
               "<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n",
            W, H, W, H);
    fprintf(f, "<text x=\"%.2f\" y=\"28\" font-size=\"16\" text-anchor=\"middle\">PR curves, "
               "%s, all categories (area all, maxDets %lld): AP %.3f</text>\n",
            main.x + main.w / 2,
            maskeval_coco_result_iou_name(res),
            (long long)(maskeval_coco_result_is_lvis(res) ? maskeval_lvis_result_max_dets(res)
                                                          : md[d[4] - 1]),
            stats[0]);
    axes(f, &main, 1, 12);
    curves(f, &main, prec, d, rec, 0, d[2], 2.0);
    /* legend: one entry per IoU threshold */
    for (size_t t = 0; t < d[0]; t++) {
        double y = main.y + 10 + 18.0 * (double)t;
        fprintf(f, "<line x1=\"550\" y1=\"%.2f\" x2=\"575\" y2=\"%.2f\" stroke=\"%s\" "
                   "stroke-width=\"3\"/>\n<text x=\"582\" y=\"%.2f\" font-size=\"12\">IoU=%.2f"
                   "</text>\n",
                y, y, palette[t * 10 / (d[0] > 10 ? d[0] : 10) % 10], y + 4, thr[t]);
    }
    for (size_t k = 0; per_category && k < d[2]; k++) {
        double ap;
        const char *name = maskeval_coco_result_category_name(res, k);
        chart c = {cell_w * (double)(k % cols) + 34, main_h + cell_h * (double)(k / cols) + 26,
                   cell_w - 50, cell_h - 62};
        fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"11\" text-anchor=\"middle\">",
                c.x + c.w / 2, c.y - 8);
        xml_text(f, name != NULL ? name : "");
        if (maskeval_coco_result_category_ap(res, k, &ap)) {
            fprintf(f, " (%lld): AP %.3f</text>\n", (long long)cats[k], ap);
        } else {
            fprintf(f, " (%lld): no ground truth</text>\n", (long long)cats[k]);
        }
        axes(f, &c, 0, 9);
        curves(f, &c, prec, d, rec, k, k + 1, 1.2);
    }
    fputs("</svg>\n", f);
    free(prec);
    return ferror(f) ? -1 : 0;
}
