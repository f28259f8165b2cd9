/*
 * lvis_tables.c - an LVIS result as CSV and Markdown tables, and its 13
 * results by name (for gates).
 */
#include <string.h>

#include "report.h"

const char *const maskeval_report_lvis_stat_names[14] = {
    "AP", "AP50", "AP75", "APs", "APm", "APl", "APr", "APc", "APf", "AR", "ARs", "ARm", "ARl",
    NULL};

int maskeval_report_lvis_stat(const void *coco_result, const char *name, double *v)
{
    double stats[13];
    for (int i = 0; i < 13; i++) {
        if (strcmp(name, maskeval_report_lvis_stat_names[i]) == 0 &&
            maskeval_lvis_result_stats(coco_result, stats) == MASKEVAL_OK) {
            *v = stats[i];
            return 1;
        }
    }
    return 0;
}

/* lvis-api's key: "AR@300", "ARs@300", ... for the AR results */
static void key_name(const maskeval_coco_result *res, int i, char *buf, size_t cap)
{
    if (i < 9) {
        snprintf(buf, cap, "%s", maskeval_report_lvis_stat_names[i]);
    } else {
        snprintf(buf, cap, "%s@%lld", maskeval_report_lvis_stat_names[i],
                 (long long)maskeval_lvis_result_max_dets(res));
    }
}

int maskeval_report_lvis_csv(FILE *f, const maskeval_coco_result *res)
{
    size_t dims[5];
    double stats[13];
    char key[32];
    const int64_t *cats = maskeval_coco_result_cat_ids(res);
    maskeval_coco_result_dims(res, dims);
    if (maskeval_lvis_result_stats(res, stats) != MASKEVAL_OK) {
        return -1;
    }
    fputs("category_id,name,frequency", f);
    for (int i = 0; i < 13; i++) {
        key_name(res, i, key, sizeof(key));
        fprintf(f, ",%s", key);
    }
    fputs("\r\n,all,", f);
    for (int i = 0; i < 13; i++) {
        fputc(',', f);
        maskeval_report_csv_number(f, stats[i]);
    }
    fputs("\r\n", f);
    for (size_t k = 0; k < dims[2]; k++) {
        const char *name = maskeval_coco_result_category_name(res, k);
        fprintf(f, "%lld,", (long long)cats[k]);
        maskeval_report_csv_field(f, name != NULL ? name : "");
        fprintf(f, ",%c", maskeval_lvis_result_frequency(res, k));
        maskeval_lvis_result_category_stats(res, k, stats);
        for (int i = 0; i < 13; i++) {
            fputc(',', f);
            maskeval_report_csv_number(f, stats[i]);
        }
        fputs("\r\n", f);
    }
    return ferror(f) ? -1 : 0;
}

int maskeval_report_lvis_md(FILE *f, const maskeval_coco_result *res)
{
    static const int per_cat[7] = {0, 1, 2, 3, 4, 5, 9};
    size_t dims[5];
    double stats[13];
    char key[32];
    const int64_t *cats = maskeval_coco_result_cat_ids(res);
    maskeval_coco_result_dims(res, dims);
    if (maskeval_lvis_result_stats(res, stats) != MASKEVAL_OK) {
        return -1;
    }
    fprintf(f, "### LVIS %s\n\n|",
            maskeval_coco_result_iou_name(res));
    for (int i = 0; i < 13; i++) {
        key_name(res, i, key, sizeof(key));
        fprintf(f, " %s |", key);
    }
    fputs("\n|", f);
    for (int i = 0; i < 13; i++) {
        fputs("---:|", f);
    }
    fputs("\n|", f);
    for (int i = 0; i < 13; i++) {
        maskeval_report_md_number(f, stats[i]);
    }
    fputs("\n\n| category_id | name | freq |", f);
    for (int i = 0; i < 7; i++) {
        key_name(res, per_cat[i], key, sizeof(key));
        fprintf(f, " %s |", key);
    }
    fputs("\n|---:|:---|:---:|---:|---:|---:|---:|---:|---:|---:|\n", f);
    for (size_t k = 0; k < dims[2]; k++) {
        const char *name = maskeval_coco_result_category_name(res, k);
        fprintf(f, "| %lld | ", (long long)cats[k]);
        maskeval_report_md_cell(f, name != NULL ? name : "");
        fprintf(f, " | %c |", maskeval_lvis_result_frequency(res, k));
        maskeval_lvis_result_category_stats(res, k, stats);
        for (int i = 0; i < 7; i++) {
            maskeval_report_md_number(f, stats[per_cat[i]]);
        }
        fputc('\n', f);
    }
    return ferror(f) ? -1 : 0;
}
