/*
 * semantic_tables.c - a semantic evaluation as text (mmsegmentation's
 * percent table and summary line), JSON (counts, metrics, confusion), CSV
 * and Markdown tables, and its statistics by name (for gates).
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

const char *const maskeval_report_semantic_stat_names[9] = {
    "aAcc", "mIoU", "mAcc", "mDice", "mFscore", "mPrecision", "mRecall", "fwIoU", NULL};

/* A cJSON value (from the run's tag) through the streaming writer. */
static void write_value(cli_json *j, const cJSON *v)
{
    const cJSON *it;
    if (cJSON_IsObject(v)) {
        cli_json_begin_object(j);
        cJSON_ArrayForEach(it, v)
        {
            cli_json_key(j, it->string);
            write_value(j, it);
        }
        cli_json_end_object(j);
    } else if (cJSON_IsArray(v)) {
        cli_json_begin_array(j);
        cJSON_ArrayForEach(it, v)
        {
            write_value(j, it);
        }
        cli_json_end_array(j);
    } else if (cJSON_IsString(v)) {
        cli_json_string(j, v->valuestring);
    } else if (cJSON_IsBool(v)) {
        cli_json_bool(j, cJSON_IsTrue(v));
    } else if (cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble) &&
               fabs(v->valuedouble) < 9007199254740992.0) {
        cli_json_int(j, (int64_t)v->valuedouble);
    } else if (cJSON_IsNumber(v)) {
        cli_json_double(j, v->valuedouble);
    } else {
        cli_json_null(j);
    }
}

int maskeval_report_semantic_json(FILE *f, const maskeval_report_semantic *out)
{
    const maskeval_semantic_summary *sum = out->summary;
    const uint32_t k = sum->num_classes;
    cli_json j;
    cli_json_init(&j, f);
    cli_json_begin_object(&j);
    cli_json_key(&j, "num_classes");
    cli_json_uint(&j, k);
#define NUM(key, v)                                                                                \
    cli_json_key(&j, key);                                                                         \
    cli_json_double(&j, v)
    NUM("aAcc", sum->aAcc);
    NUM("mIoU", sum->mIoU);
    NUM("mAcc", sum->mAcc);
    NUM("mDice", sum->mDice);
    NUM("mPrecision", sum->mPrecision);
    NUM("mRecall", sum->mRecall);
    NUM("mFscore", sum->mFscore);
    NUM("fwIoU", sum->fwIoU);
    cli_json_key(&j, "per_class");
    cli_json_begin_array(&j);
    for (uint32_t c = 0; c < k; c++) {
        const maskeval_class_metrics *m = &out->classes[c];
        cli_json_begin_object(&j);
        if (out->names != NULL) {
            cli_json_key(&j, "name");
            cli_json_string(&j, out->names[c]);
        }
        NUM("IoU", m->iou);
        NUM("Acc", m->acc);
        NUM("Dice", m->dice);
        NUM("Precision", m->precision);
        NUM("Recall", m->recall);
        NUM("Fscore", m->fscore);
#undef NUM
        cli_json_key(&j, "intersect");
        cli_json_uint(&j, m->intersect);
        cli_json_key(&j, "union");
        cli_json_uint(&j, m->union_);
        cli_json_key(&j, "pred");
        cli_json_uint(&j, m->pred);
        cli_json_key(&j, "label");
        cli_json_uint(&j, m->label);
        cli_json_end_object(&j);
    }
    cli_json_end_array(&j);
    cli_json_key(&j, "confusion");
    cli_json_begin_array(&j);
    if (k <= 4096) {
        uint64_t *cm = malloc((size_t)k * k * sizeof(uint64_t) + 8);
        if (cm == NULL || maskeval_semantic_confusion(out->sem, cm, (size_t)k * k) != MASKEVAL_OK) {
            free(cm);
            return -1;
        }
        for (uint32_t r = 0; r < k; r++) {
            cli_json_begin_array(&j);
            for (uint32_t c = 0; c < k; c++) {
                cli_json_uint(&j, cm[(size_t)r * k + c]);
            }
            cli_json_end_array(&j);
        }
        free(cm);
    } else {
        size_t n = 0;
        uint32_t *rows, *cols;
        uint64_t *counts;
        maskeval_semantic_confusion_cells(out->sem, NULL, NULL, NULL, 0, &n);
        rows = malloc(n * 4 + 4);
        cols = malloc(n * 4 + 4);
        counts = malloc(n * 8 + 8);
        if (rows == NULL || cols == NULL || counts == NULL ||
            maskeval_semantic_confusion_cells(out->sem, rows, cols, counts, n, &n) != MASKEVAL_OK) {
            free(rows);
            free(cols);
            free(counts);
            return -1;
        }
        for (size_t i = 0; i < n; i++) {
            cli_json_begin_array(&j);
            cli_json_uint(&j, rows[i]);
            cli_json_uint(&j, cols[i]);
            cli_json_uint(&j, counts[i]);
            cli_json_end_array(&j);
        }
        free(rows);
        free(cols);
        free(counts);
    }
    cli_json_end_array(&j);
    cli_json_key(&j, "confusion_format");
    cli_json_string(&j, k <= 4096 ? "dense" : "sparse");
    cli_json_key(&j, "invalid_pred_pixels");
    cli_json_uint(&j, sum->invalid_pred_pixels);
    cli_json_key(&j, "invalid_gt_pixels");
    cli_json_uint(&j, sum->invalid_gt_pixels);
    cli_json_key(&j, "images");
    cli_json_uint(&j, sum->images);
    if (out->params != NULL) {
        cli_json_key(&j, "params");
        write_value(&j, out->params);
    }
    cli_json_end_object(&j);
    return ferror(f) ? -1 : 0;
}

/* Terminal columns of a UTF-8 name: its code points (no wide-character tables). */
static int columns(const char *s)
{
    int n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        n += (*p & 0xc0) != 0x80;
    }
    return n;
}

/* mmseg prints round(100 * v, 2) (numpy rounds half to even). */
static void pct(char *buf, size_t cap, double v)
{
    if (isnan(v)) {
        snprintf(buf, cap, "nan");
    } else {
        snprintf(buf, cap, "%.2f", nearbyint(v * 100 * 100) / 100);
    }
}

int maskeval_report_semantic_text(FILE *fo, const maskeval_report_semantic *out, int quiet)
{
    const maskeval_semantic_summary *s = out->summary;
    char a[32], b[32], c[32], d[32], e[32], f[32], g[32], h[32];
    int width = 15; /* the class column grows to the longest name */
    for (uint32_t k = 0; out->names != NULL && k < s->num_classes; k++) {
        const int n = columns(out->names[k]);
        width = n > width && n < 256 ? n : width;
    }
    if (!quiet) {
        fprintf(fo, "per class (percent):\n%-*s %7s %7s %7s %7s\n", width, "class", "IoU", "Acc",
               "Dice", "Fscore");
    }
    for (uint32_t k = 0; !quiet && k < s->num_classes; k++) {
        char num[16];
        const char *label = num;
        if (out->names != NULL) {
            label = out->names[k];
        } else {
            snprintf(num, sizeof(num), "%u", k);
        }
        pct(a, sizeof(a), out->classes[k].iou);
        pct(b, sizeof(b), out->classes[k].acc);
        pct(c, sizeof(c), out->classes[k].dice);
        pct(d, sizeof(d), out->classes[k].fscore);
        fprintf(fo, "%s%*s %7s %7s %7s %7s\n", label, width > columns(label) ? width - columns(label) : 0,
               "", a, b, c, d);
    }
    pct(a, sizeof(a), s->aAcc);
    pct(b, sizeof(b), s->mIoU);
    pct(c, sizeof(c), s->mAcc);
    pct(d, sizeof(d), s->mDice);
    pct(e, sizeof(e), s->mFscore);
    pct(f, sizeof(f), s->mPrecision);
    pct(g, sizeof(g), s->mRecall);
    pct(h, sizeof(h), s->fwIoU);
    fprintf(fo, "%ssummary (percent): aAcc %s  mIoU %s  mAcc %s  mDice %s  mFscore %s  mPrecision %s  "
           "mRecall %s  fwIoU %s\n",
           quiet ? "" : "\n", a, b, c, d, e, f, g, h);
    fprintf(fo, "images %llu, predictions outside [0, %u): %llu pixels, ground truth >= %u (not "
           "ignored): %llu pixels\n",
           (unsigned long long)s->images, s->num_classes,
           (unsigned long long)s->invalid_pred_pixels, s->num_classes,
           (unsigned long long)s->invalid_gt_pixels);
    return ferror(fo) ? -1 : 0;
}

/* ---- CSV and Markdown ------------------------------------------------------ */

static void csv_num(FILE *f, double v)
{
    char buf[40];
    if (isnan(v)) {
        fputs("nan", f); /* Python's float() and pandas read it back */
        return;
    }
    cli_format_double(v, buf, sizeof(buf));
    fputs(buf, f);
}

int maskeval_report_semantic_csv(FILE *f, const maskeval_report_semantic *r)
{
    const maskeval_semantic_summary *s = r->summary;
    fputs("class,name,IoU,Acc,Dice,Fscore,Precision,Recall,aAcc,fwIoU,intersect,union,pred,"
          "label\r\n",
          f);
    fputs(",all,", f);
    csv_num(f, s->mIoU);
    fputc(',', f);
    csv_num(f, s->mAcc);
    fputc(',', f);
    csv_num(f, s->mDice);
    fputc(',', f);
    csv_num(f, s->mFscore);
    fputc(',', f);
    csv_num(f, s->mPrecision);
    fputc(',', f);
    csv_num(f, s->mRecall);
    fputc(',', f);
    csv_num(f, s->aAcc);
    fputc(',', f);
    csv_num(f, s->fwIoU);
    fputs(",,,,\r\n", f);
    for (uint32_t k = 0; k < s->num_classes; k++) {
        const maskeval_class_metrics *m = &r->classes[k];
        const double v[6] = {m->iou, m->acc, m->dice, m->fscore, m->precision, m->recall};
        fprintf(f, "%u,", k);
        maskeval_report_csv_field(f, r->names != NULL ? r->names[k] : "");
        for (int i = 0; i < 6; i++) {
            fputc(',', f);
            csv_num(f, v[i]);
        }
        fprintf(f, ",,,%llu,%llu,%llu,%llu\r\n", (unsigned long long)m->intersect,
                (unsigned long long)m->union_, (unsigned long long)m->pred,
                (unsigned long long)m->label);
    }
    return ferror(f) ? -1 : 0;
}

static void md_pct(FILE *f, double v)
{
    char buf[32];
    pct(buf, sizeof(buf), v);
    fprintf(f, " %s |", buf);
}

int maskeval_report_semantic_md(FILE *f, const maskeval_report_semantic *r)
{
    const maskeval_semantic_summary *s = r->summary;
    fputs("| aAcc | mIoU | mAcc | mDice | mFscore | mPrecision | mRecall | fwIoU |\n"
          "|---:|---:|---:|---:|---:|---:|---:|---:|\n|",
          f);
    md_pct(f, s->aAcc);
    md_pct(f, s->mIoU);
    md_pct(f, s->mAcc);
    md_pct(f, s->mDice);
    md_pct(f, s->mFscore);
    md_pct(f, s->mPrecision);
    md_pct(f, s->mRecall);
    md_pct(f, s->fwIoU);
    fputs("\n\n| class | name | IoU | Acc | Dice | Fscore | Precision | Recall |\n"
          "|---:|:---|---:|---:|---:|---:|---:|---:|\n",
          f);
    for (uint32_t k = 0; k < s->num_classes; k++) {
        const maskeval_class_metrics *m = &r->classes[k];
        fprintf(f, "| %u | ", k);
        maskeval_report_md_cell(f, r->names != NULL ? r->names[k] : "");
        fputs(" |", f);
        md_pct(f, m->iou);
        md_pct(f, m->acc);
        md_pct(f, m->dice);
        md_pct(f, m->fscore);
        md_pct(f, m->precision);
        md_pct(f, m->recall);
        fputc('\n', f);
    }
    fputs("\nPercent, rounded as mmsegmentation prints them; nan: the class is absent from both.\n",
          f);
    return ferror(f) ? -1 : 0;
}

int maskeval_report_semantic_stat(const void *report, const char *name, double *v)
{
    const maskeval_semantic_summary *s = ((const maskeval_report_semantic *)report)->summary;
    const double vals[8] = {s->aAcc,    s->mIoU,       s->mAcc,    s->mDice,
                            s->mFscore, s->mPrecision, s->mRecall, s->fwIoU};
    for (int i = 0; i < 8; i++) {
        if (strcmp(name, maskeval_report_semantic_stat_names[i]) == 0) {
            *v = vals[i];
            return 1;
        }
    }
    return 0;
}
