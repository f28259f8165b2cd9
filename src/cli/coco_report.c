/*
 * coco_report.c - what `maskeval coco`, `maskeval merge` and maskeval-mpi
 * print and write for a COCO result: pycocotools' summary, the per-category
 * table, --json and --dump-arrays. Everything comes from the result alone,
 * so a merged run writes the same bytes as one process.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"


static void json_params(cli_json *j, const maskeval_coco_result *res)
{
    size_t dims[5];
    const double *thr = maskeval_coco_result_iou_thrs(res);
    const double *rec = maskeval_coco_result_rec_thrs(res);
    const int64_t *md = maskeval_coco_result_max_dets(res);
    const double *area = maskeval_coco_result_area_rng(res);
    const int64_t *cats = maskeval_coco_result_cat_ids(res);
    maskeval_coco_result_dims(res, dims);
    cli_json_key(j, "cat_ids");
    cli_json_begin_array(j);
    for (size_t k = 0; k < dims[2]; k++) {
        cli_json_int(j, cats[k]);
    }
    cli_json_end_array(j);
    cli_json_key(j, "iou_thrs");
    cli_json_begin_array(j);
    for (size_t t = 0; t < dims[0]; t++) {
        cli_json_double(j, thr[t]);
    }
    cli_json_end_array(j);
    cli_json_key(j, "rec_thrs");
    cli_json_begin_array(j);
    for (size_t r = 0; r < dims[1]; r++) {
        cli_json_double(j, rec[r]);
    }
    cli_json_end_array(j);
    cli_json_key(j, "max_dets");
    if (maskeval_coco_result_is_lvis(res)) {
        static const char *const modes[3] = {"standard", "fixed", "pooled"};
        int64_t per_cat = 0;
        const int mode = maskeval_lvis_result_ap_mode(res, &per_cat);
        cli_json_int(j, maskeval_lvis_result_max_dets(res)); /* per image, at load */
        cli_json_key(j, "ap");
        cli_json_string(j, modes[mode]);
        if (mode != MASKEVAL_LVIS_AP_STANDARD) {
            cli_json_key(j, "dets_per_cat");
            cli_json_int(j, per_cat);
        }
    } else {
        cli_json_begin_array(j);
        for (size_t m = 0; m < dims[4]; m++) {
            cli_json_int(j, md[m]);
        }
        cli_json_end_array(j);
    }
    cli_json_key(j, "area_rng");
    cli_json_begin_array(j);
    for (size_t a = 0; a < dims[3]; a++) {
        cli_json_begin_array(j);
        cli_json_double(j, area[2 * a]);
        cli_json_double(j, area[2 * a + 1]);
        cli_json_end_array(j);
    }
    cli_json_end_array(j);
}

/* lvis-api's get_results(): its key names, in its order */
static void json_lvis_results(cli_json *j, const maskeval_coco_result *res, const double *v)
{
    char key[32];
    cli_json_begin_object(j);
    for (int i = 0; i < 13; i++) {
        if (i < 9) {
            snprintf(key, sizeof(key), "%s", maskeval_report_lvis_stat_names[i]);
        } else {
            snprintf(key, sizeof(key), "%s@%lld", maskeval_report_lvis_stat_names[i],
                     (long long)maskeval_lvis_result_max_dets(res));
        }
        cli_json_key(j, key);
        cli_json_double(j, v[i]);
    }
    cli_json_end_object(j);
}

static void json_stats(cli_json *j, const maskeval_coco_result *res)
{
    double stats[13];
    if (maskeval_coco_result_is_lvis(res)) {
        maskeval_lvis_result_stats(res, stats);
        cli_json_key(j, "kind");
        cli_json_string(j, "lvis");
        cli_json_key(j, "results");
        json_lvis_results(j, res, stats);
        if (maskeval_lvis_result_pooled(res, stats) == MASKEVAL_OK) {
            static const char *const pools[4] = {"AP-pooled-all", "AP-pooled-r", "AP-pooled-c",
                                                 "AP-pooled-f"};
            cli_json_key(j, "pooled");
            cli_json_begin_object(j);
            for (int p = 0; p < 4; p++) {
                cli_json_key(j, pools[p]);
                cli_json_double(j, stats[p]);
            }
            cli_json_end_object(j);
        }
        return;
    }
    maskeval_coco_result_stats(res, stats);
    cli_json_key(j, "stats");
    cli_json_begin_array(j);
    for (int i = 0; i < 12; i++) {
        cli_json_double(j, stats[i]);
    }
    cli_json_end_array(j);
}

typedef struct result_json {
    const maskeval_coco_result *res;
    const char *backend; /* NULL: not known here (merged partials) */
} result_json;

static int write_result_json(FILE *f, void *arg)
{
    const result_json *rj = arg;
    const maskeval_coco_result *res = rj->res;
    const int64_t *cats = maskeval_coco_result_cat_ids(res);
    size_t dims[5], ni, ng, nd;
    cli_json j;

    maskeval_coco_result_dims(res, dims);
    maskeval_coco_result_counts(res, &ni, &ng, &nd);
    cli_json_init(&j, f);
    cli_json_begin_object(&j);
    cli_json_key(&j, "iou_type");
    cli_json_string(&j, maskeval_coco_result_iou_name(res));
    if (maskeval_coco_result_dilation_ratio(res) > 0) {
        cli_json_key(&j, "dilation_ratio");
        cli_json_double(&j, maskeval_coco_result_dilation_ratio(res));
    }
    json_stats(&j, res);
    cli_json_key(&j, "per_category");
    cli_json_begin_array(&j);
    for (size_t k = 0; k < dims[2]; k++) {
        double ap;
        const char *name = maskeval_coco_result_category_name(res, k);
        cli_json_begin_object(&j);
        cli_json_key(&j, "category_id");
        cli_json_int(&j, cats[k]);
        cli_json_key(&j, "name");
        cli_json_string(&j, name != NULL ? name : (cats[k] == -1 ? "all" : ""));
        cli_json_key(&j, "AP");
        if (maskeval_coco_result_category_ap(res, k, &ap)) {
            cli_json_double(&j, ap);
        } else {
            cli_json_null(&j);
        }
        if (maskeval_coco_result_is_lvis(res)) {
            double v[13];
            char freq[2] = {maskeval_lvis_result_frequency(res, k), 0};
            maskeval_lvis_result_category_stats(res, k, v);
            cli_json_key(&j, "frequency");
            cli_json_string(&j, freq);
            cli_json_key(&j, "results");
            json_lvis_results(&j, res, v);
        }
        cli_json_end_object(&j);
    }
    cli_json_end_array(&j);
    cli_json_key(&j, "params");
    cli_json_begin_object(&j);
    cli_json_key(&j, "use_cats");
    cli_json_bool(&j, maskeval_coco_result_use_cats(res));
    json_params(&j, res);
    if (maskeval_coco_result_numpy_compat(res) == MASKEVAL_NUMPY_LEGACY) {
        cli_json_key(&j, "numpy_compat"); /* absent: numpy >= 2.3 */
        cli_json_string(&j, "legacy");
    }
    cli_json_end_object(&j);
    cli_json_key(&j, "counts");
    cli_json_begin_object(&j);
    cli_json_key(&j, "images");
    cli_json_uint(&j, ni);
    cli_json_key(&j, "gt");
    cli_json_uint(&j, ng);
    cli_json_key(&j, "dt");
    cli_json_uint(&j, nd);
    cli_json_end_object(&j);
    {
        /* what `maskeval diff` checks: the same ground truth */
        uint64_t gd, pd;
        char hex[24];
        maskeval_coco_result_digests(res, &gd, &pd);
        snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)gd);
        cli_json_key(&j, "gt_digest");
        cli_json_string(&j, hex);
    }
    cli_json_key(&j, "backend");
    if (rj->backend != NULL) {
        cli_json_string(&j, rj->backend);
    } else {
        cli_json_null(&j);
    }
    cli_json_end_object(&j);
    return ferror(f) ? -1 : 0;
}

/* --dump-arrays: raw little-endian float64 + a JSON header. */
typedef struct array_out {
    const double *v;
    size_t n;
} array_out;

static int write_f64(FILE *f, void *arg)
{
    const array_out *a = arg;
    const uint16_t probe = 1;
    if (*(const uint8_t *)&probe == 1) {
        return fwrite(a->v, sizeof(double), a->n, f) == a->n ? 0 : -1;
    }
    for (size_t i = 0; i < a->n; i++) {
        uint8_t b[8];
        uint64_t u;
        memcpy(&u, &a->v[i], 8);
        for (int k = 0; k < 8; k++) {
            b[k] = (uint8_t)(u >> (8 * k));
        }
        if (fwrite(b, 1, 8, f) != 8) {
            return -1;
        }
    }
    return 0;
}

static void json_shape(cli_json *j, const char *key, const char *file, const size_t *dims,
                       int recall)
{
    cli_json_key(j, key);
    cli_json_begin_object(j);
    cli_json_key(j, "file");
    cli_json_string(j, file);
    cli_json_key(j, "shape");
    cli_json_begin_array(j);
    for (int d = 0; d < 5; d++) {
        if (!(recall && d == 1)) {
            cli_json_uint(j, dims[d]);
        }
    }
    cli_json_end_array(j);
    cli_json_end_object(j);
}

static int write_arrays_header(FILE *f, void *arg)
{
    const maskeval_coco_result *res = arg;
    size_t dims[5];
    cli_json j;
    maskeval_coco_result_dims(res, dims);
    cli_json_init(&j, f);
    cli_json_begin_object(&j);
    cli_json_key(&j, "format");
    cli_json_int(&j, 1);
    cli_json_key(&j, "iou_type");
    cli_json_string(&j, maskeval_coco_result_iou_name(res));
    if (maskeval_coco_result_dilation_ratio(res) > 0) {
        cli_json_key(&j, "dilation_ratio");
        cli_json_double(&j, maskeval_coco_result_dilation_ratio(res));
    }
    json_stats(&j, res);
    json_shape(&j, "precision", "precision.f64", dims, 0);
    json_shape(&j, "recall", "recall.f64", dims, 1);
    json_shape(&j, "scores", "scores.f64", dims, 0);
    json_params(&j, res);
    cli_json_end_object(&j);
    return ferror(f) ? -1 : 0;
}

/* Adds the three arrays and their manifest arrays.json (renamed last) to
 * the run's output set. */
static int dump_arrays(cli_outputs *outs, const maskeval_coco_result *res, const char *dir)
{
    static const struct {
        maskeval_coco_array which;
        const char *file;
    } arrays[3] = {{MASKEVAL_ARRAY_PRECISION, "precision.f64"},
                   {MASKEVAL_ARRAY_RECALL, "recall.f64"},
                   {MASKEVAL_ARRAY_SCORES, "scores.f64"}};
    char path[4096];
    int rc = cli_outputs_dir(outs, dir);
    for (int i = 0; i < 3 && rc == 0; i++) {
        array_out a;
        double *v;
        maskeval_coco_result_array(res, arrays[i].which, NULL, 0, &a.n);
        v = malloc(a.n * sizeof(double) + 1);
        if (v == NULL) {
            fprintf(stderr, "maskeval: out of memory writing %s\n", dir);
            return -1;
        }
        maskeval_coco_result_array(res, arrays[i].which, v, a.n, &a.n);
        a.v = v;
        snprintf(path, sizeof(path), "%s/%s", dir, arrays[i].file);
        rc = cli_outputs_add(outs, path, write_f64, &a);
        free(v);
    }
    if (rc == 0) {
        snprintf(path, sizeof(path), "%s/arrays.json", dir);
        rc = cli_outputs_add(outs, path, write_arrays_header, (void *)res);
        cli_outputs_mark_manifest(outs);
    }
    return rc;
}

static void print_categories(const maskeval_coco_result *res)
{
    size_t dims[5];
    const int64_t *cats = maskeval_coco_result_cat_ids(res);
    const int64_t *md = maskeval_coco_result_max_dets(res);
    const double *thr = maskeval_coco_result_iou_thrs(res);
    maskeval_coco_result_dims(res, dims);
    const int lvis = maskeval_coco_result_is_lvis(res);
    printf("\nPer-category AP @[ IoU=%0.2f:%0.2f | area=all | maxDets=%lld ]\n", thr[0],
           thr[dims[0] - 1],
           (long long)(lvis ? maskeval_lvis_result_max_dets(res) : md[dims[4] - 1]));
    printf(lvis ? "%12s  %4s  %6s  %s\n" : "%12s  %6s  %s\n", "category_id", lvis ? "freq" : "AP",
           lvis ? "AP" : "name", "name");
    for (size_t k = 0; k < dims[2]; k++) {
        double ap;
        char num[32];
        const char *name = maskeval_coco_result_category_name(res, k);
        if (maskeval_coco_result_category_ap(res, k, &ap)) {
            snprintf(num, sizeof(num), "%6.3f", ap);
        } else {
            snprintf(num, sizeof(num), "%6s", "-");
        }
        if (lvis) {
            printf("%12lld  %4c  %s  %s\n", (long long)cats[k],
                   maskeval_lvis_result_frequency(res, k), num, name != NULL ? name : "");
        } else {
            printf("%12lld  %s  %s\n", (long long)cats[k], num, name != NULL ? name : "");
        }
    }
}

typedef struct svg_out {
    const maskeval_coco_result *res;
    int per_category;
} svg_out;

static int write_svg(FILE *f, void *arg)
{
    const svg_out *s = arg;
    return maskeval_report_coco_pr_svg(f, s->res, s->per_category);
}

static int write_table(FILE *f, const maskeval_coco_result *res, maskeval_report_format fmt)
{
    if (maskeval_coco_result_is_lvis(res)) {
        return fmt == MASKEVAL_FORMAT_CSV ? maskeval_report_lvis_csv(f, res)
                                          : maskeval_report_lvis_md(f, res);
    }
    return fmt == MASKEVAL_FORMAT_CSV ? maskeval_report_coco_csv(f, res)
                                      : maskeval_report_coco_md(f, res);
}

int cli_coco_report(const maskeval_coco_result *res, const char *backend, const char *json,
                    const char *dump, int quiet, const cli_report_opts *report)
{
    result_json rj;
    svg_out svg;
    char *summary = NULL, reason[512];
    size_t len = 0;
    int rc = -1;
    const maskeval_report_format fmt = report != NULL && report->have_format
                                           ? report->format
                                           : MASKEVAL_FORMAT_TEXT;
    cli_outputs outs;
    cli_outputs_init(&outs);
    rj.res = res;
    rj.backend = backend;
    maskeval_coco_result_summary(res, NULL, 0, &len);
    summary = malloc(len + 1);
    if (summary == NULL || maskeval_coco_result_summary(res, summary, len + 1, &len) != MASKEVAL_OK) {
        fprintf(stderr, "maskeval: out of memory\n");
        goto done;
    }
    /* stdout: JSON (--json - or --format json), a table, or the summary */
    if (fmt == MASKEVAL_FORMAT_JSON || (json != NULL && strcmp(json, "-") == 0)) {
        if (cli_write_atomic("-", write_result_json, &rj) != 0) {
            goto done;
        }
    } else if (fmt == MASKEVAL_FORMAT_CSV || fmt == MASKEVAL_FORMAT_MD) {
        if (write_table(stdout, res, fmt) != 0) {
            goto done;
        }
    } else {
        fputs(summary, stdout);
        if (!quiet) {
            print_categories(res);
        }
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "maskeval: cannot write to stdout: %s\n", strerror(errno));
        goto done;
    }
    if (json != NULL && strcmp(json, "-") != 0 &&
        cli_outputs_add(&outs, json, write_result_json, &rj) != 0) {
        goto done;
    }
    if (report != NULL && report->plot != NULL) {
        svg.res = res;
        svg.per_category = report->plot_per_category;
        if (cli_outputs_add(&outs, report->plot, write_svg, &svg) != 0) {
            goto done;
        }
    }
    if (dump != NULL && dump_arrays(&outs, res, dump) != 0) {
        goto done;
    }
    /* every file is complete: now they replace the old ones, together */
    rc = cli_outputs_commit(&outs);
    if (rc == 0 && report != NULL &&
        maskeval_gates_check(&report->gates,
                             maskeval_coco_result_is_lvis(res) ? maskeval_report_lvis_stat
                                                               : maskeval_report_coco_stat,
                             res, reason, sizeof(reason)) != 0) {
        fprintf(stderr, "maskeval: gate failed: %s\n", reason);
        rc = CLI_GATE_FAILED;
    }
done:
    if (rc == -1) {
        cli_outputs_abort(&outs);
    }
    free(summary);
    return rc;
}
