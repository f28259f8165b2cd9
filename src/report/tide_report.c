/*
 * tide_report.c - a TIDE analysis as text (tidecv's summarize tables, with
 * the error counts added), JSON, CSV and Markdown, and its statistics by
 * name for gates.
 */
#include <math.h>
#include <string.h>

#include "report.h"

const char *const maskeval_report_tide_stat_names[3] = {"AP", "AP50:95", NULL};

static const char *const special_names[2] = {"FalsePos", "FalseNeg"};

static const char *type_name(const maskeval_report_tide *t)
{
    return t->params->iou_type == MASKEVAL_IOU_SEGM ? "mask" : "bbox";
}

/* tidecv's '{:6.2f}'; NaN (tidecv raises there) as n/a */
static void cell(FILE *f, double v)
{
    if (isnan(v)) {
        fprintf(f, " %6s", "n/a");
    } else {
        fprintf(f, " %6.2f", v);
    }
}

int maskeval_report_tide_text(FILE *f, const maskeval_report_tide *t, int quiet)
{
    const maskeval_tide_summary *s = t->summary;
    const int pos = (int)(t->params->pos_thresh * 100);
    fprintf(f, "%s AP @ %d: %.2f\n", type_name(t), pos, s->ap);
    if (s->n_range > 0) {
        fprintf(f, "%s AP @ [%d-%d]: %.2f\n", type_name(t), (int)(s->range_thr[0] * 100),
                (int)(s->range_thr[s->n_range - 1] * 100), s->range_mean);
    }
    if (quiet) {
        fprintf(f, "dAP ");
        for (int e = 0; e < MASKEVAL_TIDE_N_ERRORS; e++) {
            fprintf(f, " %s", maskeval_tide_error_name((maskeval_tide_error)e));
            cell(f, s->dap[e]);
        }
        fputc('\n', f);
        return ferror(f) ? -1 : 0;
    }
    if (s->n_range > 0) {
        fprintf(f, "\n  Thresh");
        for (size_t i = 0; i < s->n_range; i++) {
            fprintf(f, " %6d", (int)(s->range_thr[i] * 100));
        }
        fprintf(f, "\n    AP  ");
        for (size_t i = 0; i < s->n_range; i++) {
            cell(f, s->range_ap[i]);
        }
        fputc('\n', f);
    }
    fprintf(f, "\nMain errors (dAP: AP gained by fixing that type alone)\n  Type  ");
    for (int e = 0; e < MASKEVAL_TIDE_N_ERRORS; e++) {
        fprintf(f, " %6s", maskeval_tide_error_name((maskeval_tide_error)e));
    }
    fprintf(f, "\n   dAP  ");
    for (int e = 0; e < MASKEVAL_TIDE_N_ERRORS; e++) {
        cell(f, s->dap[e]);
    }
    fprintf(f, "\n  count ");
    for (int e = 0; e < MASKEVAL_TIDE_N_ERRORS; e++) {
        fprintf(f, " %6llu", (unsigned long long)s->counts[e]);
    }
    fprintf(f, "\n\nSpecial errors\n  Type   %8s %8s\n   dAP   %8.2f %8.2f\n", special_names[0],
            special_names[1], s->false_pos, s->false_neg);
    fprintf(f,
            "\n%zu images, %llu ground truth, %llu ignore regions (crowd), %llu detections "
            "evaluated (top %u per image), %zu classes\n",
            s->n_images, (unsigned long long)s->n_gt, (unsigned long long)s->n_ignore_regions,
            (unsigned long long)s->n_dets_used, t->params->max_dets, s->n_classes);
    return ferror(f) ? -1 : 0;
}

int maskeval_report_tide_json(FILE *f, const maskeval_report_tide *t)
{
    const maskeval_tide_summary *s = t->summary;
    cli_json j;
    cli_json_init(&j, f);
    cli_json_begin_object(&j);
    cli_json_key(&j, "kind");
    cli_json_string(&j, "tide");
    cli_json_key(&j, "reference");
    cli_json_string(&j, "tidecv 1.0.1");
    cli_json_key(&j, "iou_type");
    cli_json_string(&j, t->params->iou_type == MASKEVAL_IOU_SEGM ? "segm" : "bbox");
    cli_json_key(&j, "params");
    cli_json_begin_object(&j);
    cli_json_key(&j, "pos_thresh");
    cli_json_double(&j, t->params->pos_thresh);
    cli_json_key(&j, "bg_thresh");
    cli_json_double(&j, t->params->bg_thresh);
    cli_json_key(&j, "max_dets");
    cli_json_uint(&j, t->params->max_dets);
    cli_json_end_object(&j);
    cli_json_key(&j, "AP");
    cli_json_double(&j, s->ap);
    cli_json_key(&j, "main_errors");
    cli_json_begin_object(&j);
    for (int e = 0; e < MASKEVAL_TIDE_N_ERRORS; e++) {
        cli_json_key(&j, maskeval_tide_error_name((maskeval_tide_error)e));
        cli_json_double(&j, s->dap[e]);
    }
    cli_json_end_object(&j);
    cli_json_key(&j, "special_errors");
    cli_json_begin_object(&j);
    cli_json_key(&j, special_names[0]);
    cli_json_double(&j, s->false_pos);
    cli_json_key(&j, special_names[1]);
    cli_json_double(&j, s->false_neg);
    cli_json_end_object(&j);
    cli_json_key(&j, "error_counts");
    cli_json_begin_object(&j);
    for (int e = 0; e < MASKEVAL_TIDE_N_ERRORS; e++) {
        cli_json_key(&j, maskeval_tide_error_name((maskeval_tide_error)e));
        cli_json_uint(&j, s->counts[e]);
    }
    cli_json_end_object(&j);
    cli_json_key(&j, "range");
    if (s->n_range == 0) {
        cli_json_null(&j);
    } else {
        cli_json_begin_object(&j);
        cli_json_key(&j, "thresholds");
        cli_json_begin_array(&j);
        for (size_t i = 0; i < s->n_range; i++) {
            cli_json_double(&j, s->range_thr[i]);
        }
        cli_json_end_array(&j);
        cli_json_key(&j, "AP");
        cli_json_begin_array(&j);
        for (size_t i = 0; i < s->n_range; i++) {
            cli_json_double(&j, s->range_ap[i]);
        }
        cli_json_end_array(&j);
        cli_json_key(&j, "mean");
        cli_json_double(&j, s->range_mean);
        cli_json_end_object(&j);
    }
    cli_json_key(&j, "counts");
    cli_json_begin_object(&j);
    cli_json_key(&j, "images");
    cli_json_uint(&j, s->n_images);
    cli_json_key(&j, "gt");
    cli_json_uint(&j, s->n_gt);
    cli_json_key(&j, "ignore_regions");
    cli_json_uint(&j, s->n_ignore_regions);
    cli_json_key(&j, "dt_evaluated");
    cli_json_uint(&j, s->n_dets_used);
    cli_json_key(&j, "classes");
    cli_json_uint(&j, s->n_classes);
    cli_json_end_object(&j);
    cli_json_key(&j, "backend");
    if (t->backend != NULL) {
        cli_json_string(&j, t->backend);
    } else {
        cli_json_null(&j);
    }
    cli_json_end_object(&j);
    return ferror(f) ? -1 : 0;
}

static void csv_row(FILE *f, const char *metric, const char *name, double v)
{
    char num[40] = "";
    if (!isnan(v)) {
        cli_format_double(v, num, sizeof(num));
    }
    fprintf(f, "%s,%s,%s\r\n", metric, name, num);
}

int maskeval_report_tide_csv(FILE *f, const maskeval_report_tide *t)
{
    const maskeval_tide_summary *s = t->summary;
    char name[32];
    fprintf(f, "metric,name,value\r\n");
    snprintf(name, sizeof(name), "%.17g", t->params->pos_thresh);
    csv_row(f, "AP", name, s->ap);
    for (size_t i = 0; i < s->n_range; i++) {
        cli_format_double(s->range_thr[i], name, sizeof(name));
        csv_row(f, "range_AP", name, s->range_ap[i]);
    }
    if (s->n_range > 0) {
        csv_row(f, "range_AP", "mean", s->range_mean);
    }
    for (int e = 0; e < MASKEVAL_TIDE_N_ERRORS; e++) {
        csv_row(f, "dAP", maskeval_tide_error_name((maskeval_tide_error)e), s->dap[e]);
    }
    csv_row(f, "dAP", special_names[0], s->false_pos);
    csv_row(f, "dAP", special_names[1], s->false_neg);
    for (int e = 0; e < MASKEVAL_TIDE_N_ERRORS; e++) {
        fprintf(f, "count,%s,%llu\r\n", maskeval_tide_error_name((maskeval_tide_error)e),
                (unsigned long long)s->counts[e]);
    }
    return ferror(f) ? -1 : 0;
}

static void md_num(FILE *f, double v)
{
    if (isnan(v)) {
        fputs(" n/a |", f);
    } else {
        fprintf(f, " %.2f |", v);
    }
}

int maskeval_report_tide_md(FILE *f, const maskeval_report_tide *t)
{
    const maskeval_tide_summary *s = t->summary;
    fprintf(f, "| %s AP @ %d |", type_name(t), (int)(t->params->pos_thresh * 100));
    for (size_t i = 0; i < s->n_range; i++) {
        fprintf(f, " AP%d |", (int)(s->range_thr[i] * 100));
    }
    if (s->n_range > 0) {
        fputs(" mean |", f);
    }
    fputs("\n|---:|", f);
    for (size_t i = 0; i < s->n_range + (s->n_range > 0); i++) {
        fputs("---:|", f);
    }
    fputs("\n|", f);
    md_num(f, s->ap);
    for (size_t i = 0; i < s->n_range; i++) {
        md_num(f, s->range_ap[i]);
    }
    if (s->n_range > 0) {
        md_num(f, s->range_mean);
    }
    fputs("\n\n| error | dAP | count |\n|---|---:|---:|\n", f);
    for (int e = 0; e < MASKEVAL_TIDE_N_ERRORS; e++) {
        fprintf(f, "| %s |", maskeval_tide_error_name((maskeval_tide_error)e));
        md_num(f, s->dap[e]);
        fprintf(f, " %llu |\n", (unsigned long long)s->counts[e]);
    }
    fprintf(f, "| %s |", special_names[0]);
    md_num(f, s->false_pos);
    fprintf(f, " |\n| %s |", special_names[1]);
    md_num(f, s->false_neg);
    fputs(" |\n", f);
    return ferror(f) ? -1 : 0;
}

int maskeval_report_tide_stat(const void *result, const char *name, double *v)
{
    const maskeval_report_tide *t = result;
    if (strcmp(name, "AP") == 0) {
        *v = t->summary->ap;
        return 1;
    }
    if (strcmp(name, "AP50:95") == 0 && t->summary->n_range > 0) {
        *v = t->summary->range_mean;
        return 1;
    }
    return 0;
}
