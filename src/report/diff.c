/*
 * diff.c - `maskeval diff A.json B.json`: per-metric and per-category deltas
 * (B - A) of two evaluations of the same ground truth with the same
 * parameters, largest change first. Both COCO results (the 12 "stats") or
 * both LVIS results ("kind": "lvis", the 13 "results" under lvis-api's keys).
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

typedef struct delta {
    const char *label; /* a statistic's name, or a category's name */
    int64_t id;        /* category id (per-category rows) */
    double a, b;       /* NAN: not measured (-1 or null) */
    size_t order;      /* position in A, for ties */
} delta;

static double measured(const cJSON *v)
{
    return cJSON_IsNumber(v) && v->valuedouble != -1 ? v->valuedouble : NAN;
}

static int by_magnitude(const void *x, const void *y)
{
    const delta *p = x, *q = y;
    double dp = fabs(p->b - p->a), dq = fabs(q->b - q->a);
    int np = isnan(dp), nq = isnan(dq);
    if (np != nq) {
        return np - nq; /* unmeasured last */
    }
    if (!np && dp != dq) {
        return dp < dq ? 1 : -1;
    }
    return p->order < q->order ? -1 : p->order > q->order;
}

static void num(FILE *f, double v, int sign)
{
    if (isnan(v)) {
        fputs("       -", f);
    } else {
        fprintf(f, sign ? " %+7.4f" : " %7.4f", v);
    }
}

static void json_num(cli_json *j, double v)
{
    if (isnan(v)) {
        cli_json_null(j);
    } else {
        cli_json_double(j, v);
    }
}

/* The first member where two params objects differ, or NULL. */
static const char *first_difference(const cJSON *a, const cJSON *b)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, a) {
        const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, x->string);
        if (y == NULL || !cJSON_Compare(x, y, 1)) {
            return x->string;
        }
    }
    cJSON_ArrayForEach(x, b) {
        if (cJSON_GetObjectItemCaseSensitive(a, x->string) == NULL) {
            return x->string;
        }
    }
    return NULL;
}

static int is_lvis(const cJSON *doc)
{
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(doc, "kind");
    return cJSON_IsString(k) && strcmp(k->valuestring, "lvis") == 0;
}

#define MAX_STATS 13

/* The headline statistics: COCO's 12 "stats" or LVIS's 13 "results". */
static size_t stat_list(const cJSON *doc, delta *out, int b)
{
    size_t n = 0;
    const cJSON *x;
    if (is_lvis(doc)) {
        cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(doc, "results")) {
            if (n < MAX_STATS) {
                out[n].label = x->string;
                *(b ? &out[n].b : &out[n].a) = measured(x);
                out[n].order = n;
                n++;
            }
        }
        return n;
    }
    for (int i = 0; i < 12; i++) {
        out[i].label = maskeval_report_coco_stat_names[i];
        *(b ? &out[i].b : &out[i].a) =
            measured(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "stats"), i));
        out[i].order = (size_t)i;
    }
    return 12;
}

static int load(const char *name, const char *text, size_t len, cJSON **out, char *err,
                size_t cap)
{
    const cJSON *stats, *iou, *res;
    *out = cJSON_ParseWithLength(text, len);
    if (*out == NULL) {
        snprintf(err, cap, "%s: not JSON (near byte %ld)", name,
                 cJSON_GetErrorPtr() != NULL ? (long)(cJSON_GetErrorPtr() - text) : 0L);
        return -1;
    }
    stats = cJSON_GetObjectItemCaseSensitive(*out, "stats");
    res = cJSON_GetObjectItemCaseSensitive(*out, "results");
    iou = cJSON_GetObjectItemCaseSensitive(*out, "iou_type");
    if (!cJSON_IsObject(*out) ||
        (is_lvis(*out) ? !cJSON_IsObject(res) || cJSON_GetArraySize(res) != MAX_STATS
                       : !cJSON_IsArray(stats) || cJSON_GetArraySize(stats) != 12) ||
        !cJSON_IsString(iou) ||
        !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(*out, "per_category")) ||
        !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(*out, "params"))) {
        snprintf(err, cap, "%s: not the --json output of maskeval coco, lvis or merge (it needs "
                           "\"iou_type\", 12 \"stats\" or LVIS's 13 \"results\", "
                           "\"per_category\" and \"params\")",
                 name);
        return -1;
    }
    return 0;
}

int maskeval_report_diff(FILE *f, maskeval_report_format fmt, int quiet, const char *name_a,
                         const char *text_a, size_t len_a, const char *name_b,
                         const char *text_b, size_t len_b, char *err, size_t cap)
{
    cJSON *a = NULL, *b = NULL;
    const cJSON *x, *ga, *gb;
    const char *kind, *differs;
    delta stats[MAX_STATS], *cats = NULL;
    size_t n_cats = 0, n_stats = 0;
    int rc = -1;

    if (load(name_a, text_a, len_a, &a, err, cap) != 0 ||
        load(name_b, text_b, len_b, &b, err, cap) != 0) {
        goto done;
    }
    if (is_lvis(a) != is_lvis(b)) {
        snprintf(err, cap, "%s is %s evaluation, %s %s one", name_a,
                 is_lvis(a) ? "an LVIS" : "a COCO", name_b, is_lvis(b) ? "an LVIS" : "a COCO");
        goto done;
    }
    kind = cJSON_GetObjectItemCaseSensitive(a, "iou_type")->valuestring;
    if (strcmp(kind, cJSON_GetObjectItemCaseSensitive(b, "iou_type")->valuestring) != 0) {
        snprintf(err, cap, "%s is a %s evaluation, %s a %s one", name_a, kind, name_b,
                 cJSON_GetObjectItemCaseSensitive(b, "iou_type")->valuestring);
        goto done;
    }
    ga = cJSON_GetObjectItemCaseSensitive(a, "gt_digest");
    gb = cJSON_GetObjectItemCaseSensitive(b, "gt_digest");
    if (!cJSON_IsString(ga) || !cJSON_IsString(gb)) {
        snprintf(err, cap, "%s: no \"gt_digest\" (written by maskeval 0.2 and later), so the "
                           "ground truth cannot be compared", cJSON_IsString(ga) ? name_b : name_a);
        goto done;
    }
    if (strcmp(ga->valuestring, gb->valuestring) != 0) {
        snprintf(err, cap, "%s and %s evaluated different ground truth (digest %s, %s)", name_a,
                 name_b, ga->valuestring, gb->valuestring);
        goto done;
    }
    differs = first_difference(cJSON_GetObjectItemCaseSensitive(a, "params"),
                               cJSON_GetObjectItemCaseSensitive(b, "params"));
    if (differs != NULL) {
        snprintf(err, cap, "%s and %s were evaluated with different parameters (params.%s)",
                 name_a, name_b, differs);
        goto done;
    }
    memset(stats, 0, sizeof(stats));
    n_stats = stat_list(a, stats, 0);
    if (stat_list(b, stats, 1) != n_stats) {
        snprintf(err, cap, "%s and %s report different statistics", name_a, name_b);
        goto done;
    }
    {
        const cJSON *pa = cJSON_GetObjectItemCaseSensitive(a, "per_category");
        const cJSON *pb = cJSON_GetObjectItemCaseSensitive(b, "per_category");
        cats = calloc((size_t)cJSON_GetArraySize(pa) + 1, sizeof(delta));
        if (cats == NULL) {
            snprintf(err, cap, "out of memory");
            goto done;
        }
        cJSON_ArrayForEach(x, pa) {
            const cJSON *id = cJSON_GetObjectItemCaseSensitive(x, "category_id"), *y;
            const cJSON *name = cJSON_GetObjectItemCaseSensitive(x, "name");
            delta *d = &cats[n_cats];
            if (!cJSON_IsNumber(id)) {
                continue;
            }
            d->id = (int64_t)id->valuedouble;
            d->label = cJSON_IsString(name) ? name->valuestring : "";
            d->a = measured(cJSON_GetObjectItemCaseSensitive(x, "AP"));
            d->b = NAN;
            cJSON_ArrayForEach(y, pb) {
                const cJSON *idb = cJSON_GetObjectItemCaseSensitive(y, "category_id");
                if (cJSON_IsNumber(idb) && idb->valuedouble == id->valuedouble) {
                    d->b = measured(cJSON_GetObjectItemCaseSensitive(y, "AP"));
                    break;
                }
            }
            d->order = n_cats++;
        }
    }
    qsort(stats, n_stats, sizeof(delta), by_magnitude);
    qsort(cats, n_cats, sizeof(delta), by_magnitude);

    if (fmt == MASKEVAL_FORMAT_JSON) {
        cli_json j;
        cli_json_init(&j, f);
        cli_json_begin_object(&j);
        cli_json_key(&j, "a");
        cli_json_string(&j, name_a);
        cli_json_key(&j, "b");
        cli_json_string(&j, name_b);
        cli_json_key(&j, "iou_type");
        cli_json_string(&j, kind);
        if (is_lvis(a)) {
            cli_json_key(&j, "kind");
            cli_json_string(&j, "lvis");
        }
        for (int part = 0; part < 2; part++) {
            const delta *v = part == 0 ? stats : cats;
            size_t n = part == 0 ? n_stats : n_cats;
            cli_json_key(&j, part == 0 ? "stats" : "per_category");
            cli_json_begin_array(&j);
            for (size_t i = 0; i < n; i++) {
                cli_json_begin_object(&j);
                if (part == 0) {
                    cli_json_key(&j, "stat");
                } else {
                    cli_json_key(&j, "category_id");
                    cli_json_int(&j, v[i].id);
                    cli_json_key(&j, "name");
                }
                cli_json_string(&j, v[i].label);
                cli_json_key(&j, "a");
                json_num(&j, v[i].a);
                cli_json_key(&j, "b");
                json_num(&j, v[i].b);
                cli_json_key(&j, "delta");
                json_num(&j, v[i].b - v[i].a);
                cli_json_end_object(&j);
            }
            cli_json_end_array(&j);
        }
        cli_json_end_object(&j);
        fputc('\n', f);
    } else if (fmt == MASKEVAL_FORMAT_MD || fmt == MASKEVAL_FORMAT_CSV) {
        int md = fmt == MASKEVAL_FORMAT_MD;
        if (md) {
            fprintf(f, "### %s: ", kind);
            maskeval_report_md_cell(f, name_a);
            fputs(" → ", f);
            maskeval_report_md_cell(f, name_b);
            fputs("\n\n| metric | A | B | Δ |\n|:---|---:|---:|---:|\n", f);
        } else {
            fputs("kind,category_id,name,a,b,delta\r\n", f);
        }
        for (int part = 0; part < (quiet ? 1 : 2); part++) {
            const delta *v = part == 0 ? stats : cats;
            size_t n = part == 0 ? n_stats : n_cats;
            if (md && part == 1) {
                fputs("\n| category_id | name | AP A | AP B | Δ |\n|---:|:---|---:|---:|---:|\n", f);
            }
            for (size_t i = 0; i < n; i++) {
                double val[3] = {v[i].a, v[i].b, v[i].b - v[i].a};
                if (md) {
                    if (part == 1) {
                        fprintf(f, "| %lld ", (long long)v[i].id);
                    }
                    fputs("| ", f);
                    maskeval_report_md_cell(f, v[i].label);
                    fputs(" |", f);
                    for (int c = 0; c < 3; c++) {
                        if (isnan(val[c])) {
                            fputs(" - |", f);
                        } else {
                            fprintf(f, c == 2 ? " %+.4f |" : " %.4f |", val[c]);
                        }
                    }
                    fputc('\n', f);
                } else {
                    char buf[40];
                    if (part == 0) {
                        fputs("stat,,", f);
                    } else {
                        fprintf(f, "category,%lld,", (long long)v[i].id);
                    }
                    maskeval_report_csv_field(f, v[i].label);
                    for (int c = 0; c < 3; c++) {
                        fputc(',', f);
                        if (!isnan(val[c])) {
                            cli_format_double(val[c], buf, sizeof(buf));
                            fputs(buf, f);
                        }
                    }
                    fputs("\r\n", f);
                }
            }
        }
    } else {
        fprintf(f, "%s: %s -> %s (the same ground truth and parameters)\n\n%-8s %8s %8s %8s\n",
                kind, name_a, name_b, "metric", "A", "B", "delta");
        for (size_t i = 0; i < n_stats; i++) {
            fprintf(f, "%-8s", stats[i].label);
            num(f, stats[i].a, 0);
            num(f, stats[i].b, 0);
            num(f, stats[i].b - stats[i].a, 1);
            fputc('\n', f);
        }
        if (!quiet) {
            fprintf(f, "\nper-category AP, largest change first:\n%12s %8s %8s %8s  %s\n",
                    "category_id", "A", "B", "delta", "name");
        }
        for (size_t i = 0; !quiet && i < n_cats; i++) {
            fprintf(f, "%12lld", (long long)cats[i].id);
            num(f, cats[i].a, 0);
            num(f, cats[i].b, 0);
            num(f, cats[i].b - cats[i].a, 1);
            fprintf(f, "  %s\n", cats[i].label);
        }
    }
    rc = ferror(f) ? -1 : 0;
    if (rc != 0) {
        snprintf(err, cap, "write error");
    }
done:
    free(cats);
    cJSON_Delete(a);
    cJSON_Delete(b);
    return rc;
}
