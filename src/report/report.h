/*
 * report.h - the report library: writers for evaluation results in JSON,
 * CSV and Markdown, the SVG plot of PR curves, the comparison of two result
 * files (`maskeval diff`) and metric gates. It uses only the public API
 * (include/maskeval.h) and writes to caller-given streams; it prints nothing
 * by itself. The CLI, maskeval-mpi (and later the Python package) use it.
 */
#ifndef MASKEVAL_REPORT_H
#define MASKEVAL_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "maskeval.h"

/* Streaming JSON writer (no pretty-printing beyond newlines between top-level members). */
typedef struct cli_json {
    FILE *f;
    int depth;
    int after_key;       /* the next value belongs to a key just written */
    size_t count[64];    /* items written so far at each depth */
} cli_json;

void cli_json_init(cli_json *j, FILE *f);
void cli_json_begin_object(cli_json *j);
void cli_json_end_object(cli_json *j);
void cli_json_begin_array(cli_json *j);
void cli_json_end_array(cli_json *j);
void cli_json_key(cli_json *j, const char *key);
void cli_json_double(cli_json *j, double v);   /* shortest round-trip; NaN -> null */
void cli_json_int(cli_json *j, int64_t v);
void cli_json_uint(cli_json *j, uint64_t v);
void cli_json_string(cli_json *j, const char *s);
void cli_json_bool(cli_json *j, int v);
void cli_json_null(cli_json *j);
/* Formats v as the shortest "%.{15,16,17}g" that reads back exactly. */
void cli_format_double(double v, char *buf, size_t cap);

/* ---- output formats ---- */
typedef enum maskeval_report_format {
    MASKEVAL_FORMAT_TEXT,
    MASKEVAL_FORMAT_JSON,
    MASKEVAL_FORMAT_CSV,
    MASKEVAL_FORMAT_MD
} maskeval_report_format;
/* "text", "json", "csv", "md" (or "markdown"); 0 if s is none of them. */
int maskeval_report_parse_format(const char *s, maskeval_report_format *out);

/* CSV (RFC 4180, "\r\n" line ends): a header, a row "all" with the 12
 * statistics, then one row per category (its 12 statistics alone); every
 * number at round-trip precision, -1 where pycocotools reports -1. */
int maskeval_report_coco_csv(FILE *f, const maskeval_coco_result *res);
/* Markdown: the 12 statistics as a table, then per-category AP, AP50, AP75,
 * APs, APm, APl (three decimals, "-" for -1), names escaped for tables. */
int maskeval_report_coco_md(FILE *f, const maskeval_coco_result *res);
/* A CSV field / a Markdown table cell, escaped. */
void maskeval_report_csv_field(FILE *f, const char *s);
void maskeval_report_md_cell(FILE *f, const char *s);
/* A number at round-trip precision (CSV); " x.xxx |", or " - |" for -1 and
 * NaN (a Markdown cell). */
void maskeval_report_csv_number(FILE *f, double v);
void maskeval_report_md_number(FILE *f, double v);

/* SVG of the PR curves: one curve per IoU threshold (precision at each
 * recall threshold, the mean over categories of the entries > -1, area all,
 * the last maxDets), and with per_category a small chart per category.
 * Deterministic bytes: fixed-point coordinates, no timestamps. */
int maskeval_report_coco_pr_svg(FILE *f, const maskeval_coco_result *res, int per_category);

/* The 12 statistics' names, in pycocotools' order: AP, AP50, AP75, APs,
 * APm, APl, AR1, AR10, AR100, ARs, ARm, ARl; NULL after the last (the list
 * --min may name). */
extern const char *const maskeval_report_coco_stat_names[13];
/* LVIS results by their lvis-api names without "@N": AP AP50 AP75 APs APm
 * APl APr APc APf AR ARs ARm ARl; NULL after the last. */
extern const char *const maskeval_report_lvis_stat_names[14];
int maskeval_report_lvis_stat(const void *coco_result, const char *name, double *v);
/* LVIS per-category tables: CSV (a row "all", then a row per category with
 * its frequency and 13 results, round-trip precision, -1 as lvis-api) and
 * Markdown (AP, AP50, AP75, APs, APm, APl, AR per category, 3 decimals). */
int maskeval_report_lvis_csv(FILE *f, const maskeval_coco_result *res);
int maskeval_report_lvis_md(FILE *f, const maskeval_coco_result *res);

/* ---- gates: --min STAT=VALUE ---- */
#define MASKEVAL_MAX_GATES 32
typedef struct maskeval_gate {
    char stat[32];
    double min;
} maskeval_gate;
typedef struct maskeval_gates {
    maskeval_gate g[MASKEVAL_MAX_GATES];
    size_t n;
} maskeval_gates;
/* Adds "STAT=VALUE" (or several, comma-separated). names: the statistics
 * the command reports (NULL-terminated). 0, or -1 with a message in err. */
int maskeval_gates_add(maskeval_gates *g, const char *spec, const char *const *names,
                       char *err, size_t cap);
/* Looks a statistic up by name: 1 and *v, or 0. */
typedef int (*maskeval_stat_lookup)(const void *result, const char *name, double *v);
/* 0 when every gate holds; else 1 with the first failure as one line in
 * reason ("AP = 0.3012 < 0.35"). A statistic of -1 or NaN (nothing to
 * measure) fails. */
int maskeval_gates_check(const maskeval_gates *g, maskeval_stat_lookup lookup,
                         const void *result, char *reason, size_t cap);
int maskeval_report_coco_stat(const void *coco_result, const char *name, double *v);

/* ---- diff of two result files (--json outputs) ---- */
/* Compares two result JSON texts of the same ground truth and parameters.
 * 0 on success (written to f in fmt), -1 with a message in err when they
 * cannot be compared (other kind, ground truth or parameters; not a result). */
/* quiet: the 12 statistics only (text, md, csv). */
int maskeval_report_diff(FILE *f, maskeval_report_format fmt, int quiet, const char *name_a,
                         const char *text_a, size_t len_a, const char *name_b,
                         const char *text_b, size_t len_b, char *err, size_t cap);

/* ---- TIDE (maskeval tide) ---- */
typedef struct maskeval_report_tide {
    const maskeval_tide_summary *summary;
    const maskeval_tide_params *params;
    const char *backend;  /* may be NULL */
} maskeval_report_tide;
/* tidecv's summary tables (AP, AP per threshold, main and special dAP)
 * with the error counts; quiet: the AP lines and one line of dAP. */
int maskeval_report_tide_text(FILE *f, const maskeval_report_tide *t, int quiet);
int maskeval_report_tide_json(FILE *f, const maskeval_report_tide *t);
/* CSV "metric,name,value" rows: AP per threshold, dAP per type, counts. */
int maskeval_report_tide_csv(FILE *f, const maskeval_report_tide *t);
int maskeval_report_tide_md(FILE *f, const maskeval_report_tide *t);
/* "AP" (at pos_thresh) and "AP50:95" (the range mean) for --min. */
extern const char *const maskeval_report_tide_stat_names[3];
int maskeval_report_tide_stat(const void *tide_report, const char *name, double *v);

/* ---- semantic segmentation (maskeval semantic, merge) ---- */
struct cJSON;
typedef struct maskeval_report_semantic {
    const maskeval_semantic *sem;               /* for the confusion matrix (JSON) */
    const maskeval_semantic_summary *summary;
    const maskeval_class_metrics *classes;      /* [summary->num_classes] */
    const char *const *names;                   /* class names, NULL: numbered */
    const struct cJSON *params;                 /* the run's parameters (JSON), may be NULL */
} maskeval_report_semantic;
/* mmsegmentation's per-class percent table (unless quiet) and the summary lines. */
int maskeval_report_semantic_text(FILE *f, const maskeval_report_semantic *r, int quiet);
/* The --json document: metrics (fractions), per-class counts, the confusion
 * matrix (dense up to 4096 classes, else sparse cells), params. */
int maskeval_report_semantic_json(FILE *f, const maskeval_report_semantic *r);
/* CSV: a row "all" (the means, aAcc, fwIoU), then one row per class (its
 * metrics and counts); fractions at round-trip precision, "nan" where the
 * class is absent from both. */
int maskeval_report_semantic_csv(FILE *f, const maskeval_report_semantic *r);
/* Markdown: the summary and the per-class table in percent (mmseg's rounding). */
int maskeval_report_semantic_md(FILE *f, const maskeval_report_semantic *r);
/* aAcc mIoU mAcc mDice mFscore mPrecision mRecall fwIoU (fractions) for --min. */
extern const char *const maskeval_report_semantic_stat_names[9];
int maskeval_report_semantic_stat(const void *semantic_report, const char *name, double *v);

#endif
