/*
 * coco_tables.c - a COCO result as CSV and Markdown tables, and its
 * statistics by name (for gates).
 */
#include <stdlib.h>
#include <string.h>

#include "report.h"

const char *const maskeval_report_coco_stat_names[13] = {
    "AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl", NULL};

int maskeval_report_parse_format(const char *s, maskeval_report_format *out)
{
    static const struct {
        const char *name;
        maskeval_report_format f;
    } names[] = {{"text", MASKEVAL_FORMAT_TEXT}, {"json", MASKEVAL_FORMAT_JSON},
                 {"csv", MASKEVAL_FORMAT_CSV},   {"md", MASKEVAL_FORMAT_MD},
                 {"markdown", MASKEVAL_FORMAT_MD}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(s, names[i].name) == 0) {
            *out = names[i].f;
            return 1;
        }
    }
    return 0;
}

void maskeval_report_csv_field(FILE *f, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s != '\0'; s++) {
        if (*s == '"') {
            fputc('"', f);
        }
        fputc(*s, f);
    }
    fputc('"', f);
}

void maskeval_report_md_cell(FILE *f, const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '|' || *s == '\\' || *s == '*' || *s == '_' || *s == '`' || *s == '<') {
            fputc('\\', f); /* a literal character, not table or emphasis syntax */
            fputc(*s, f);
        } else if (*s == '\n' || *s == '\r') {
            fputc(' ', f);
        } else {
            fputc(*s, f);
        }
    }
}

void maskeval_report_csv_number(FILE *f, double v)
{
    char buf[40];
    cli_format_double(v, buf, sizeof(buf));
    fputs(buf, f);
}

static const char *cat_name(const maskeval_coco_result *res, size_t k, const int64_t *cats)
{
    const char *name = maskeval_coco_result_category_name(res, k);
    return name != NULL ? name : (cats[k] == -1 ? "all categories (use_cats 0)" : "");
}

int maskeval_report_coco_csv(FILE *f, const maskeval_coco_result *res)
{
    size_t dims[5];
    double stats[12];
    const int64_t *cats = maskeval_coco_result_cat_ids(res);
    maskeval_coco_result_dims(res, dims);
    fputs("category_id,name", f);
    for (int i = 0; i < 12; i++) {
        fprintf(f, ",%s", maskeval_report_coco_stat_names[i]);
    }
    fputs("\r\n,all", f);
    maskeval_coco_result_stats(res, stats);
    for (int i = 0; i < 12; i++) {
        fputc(',', f);
        maskeval_report_csv_number(f, stats[i]);
    }
    fputs("\r\n", f);
    for (size_t k = 0; k < dims[2]; k++) {
        fprintf(f, "%lld,", (long long)cats[k]);
        maskeval_report_csv_field(f, cat_name(res, k, cats));
        maskeval_coco_result_category_stats(res, k, stats);
        for (int i = 0; i < 12; i++) {
            fputc(',', f);
            maskeval_report_csv_number(f, stats[i]);
        }
        fputs("\r\n", f);
    }
    return ferror(f) ? -1 : 0;
}

void maskeval_report_md_number(FILE *f, double v)
{
    if (v == -1 || v != v) {
        fputs(" - |", f);
    } else {
        fprintf(f, " %.3f |", v);
    }
}

int maskeval_report_coco_md(FILE *f, const maskeval_coco_result *res)
{
    size_t dims[5];
    double stats[12];
    const int64_t *cats = maskeval_coco_result_cat_ids(res);
    const char *iou = maskeval_coco_result_iou_name(res);
    maskeval_coco_result_dims(res, dims);
    maskeval_coco_result_stats(res, stats);
    fprintf(f, "### COCO %s\n\n|", iou);
    for (int i = 0; i < 12; i++) {
        fprintf(f, " %s |", maskeval_report_coco_stat_names[i]);
    }
    fputs("\n|", f);
    for (int i = 0; i < 12; i++) {
        fputs("---:|", f);
    }
    fputs("\n|", f);
    for (int i = 0; i < 12; i++) {
        maskeval_report_md_number(f, stats[i]);
    }
    fputs("\n\n| category_id | name | AP | AP50 | AP75 | APs | APm | APl |\n"
          "|---:|:---|---:|---:|---:|---:|---:|---:|\n", f);
    for (size_t k = 0; k < dims[2]; k++) {
        fprintf(f, "| %lld | ", (long long)cats[k]);
        maskeval_report_md_cell(f, cat_name(res, k, cats));
        fputs(" |", f);
        maskeval_coco_result_category_stats(res, k, stats);
        for (int i = 0; i < 6; i++) {
            maskeval_report_md_number(f, stats[i]);
        }
        fputc('\n', f);
    }
    return ferror(f) ? -1 : 0;
}

int maskeval_report_coco_stat(const void *coco_result, const char *name, double *v)
{
    double stats[12];
    for (int i = 0; i < 12; i++) {
        if (strcmp(name, maskeval_report_coco_stat_names[i]) == 0) {
            maskeval_coco_result_stats(coco_result, stats);
            *v = stats[i];
            return 1;
        }
    }
    return 0;
}
