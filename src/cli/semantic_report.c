/*
 * semantic_report.c - what `maskeval semantic`, `maskeval merge` and
 * maskeval-mpi print and write for a semantic evaluation: the per-class
 * table, the summary line and --json, from the counts alone.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "semantic_meta.h"

/* ---- output ---------------------------------------------------------------- */

typedef struct sem_out {
    const char *const *names; /* NULL: none */
    const cJSON *params;      /* NULL: none */
    const maskeval_semantic *s;
    const maskeval_semantic_summary *sum;
    const maskeval_class_metrics *cls;
} sem_out;

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

static int write_sem_json(FILE *f, void *arg)
{
    const sem_out *out = arg;
    const maskeval_semantic_summary *sum = out->sum;
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
        const maskeval_class_metrics *m = &out->cls[c];
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
        if (cm == NULL || maskeval_semantic_confusion(out->s, cm, (size_t)k * k) != MASKEVAL_OK) {
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
        maskeval_semantic_confusion_cells(out->s, NULL, NULL, NULL, 0, &n);
        rows = malloc(n * 4 + 4);
        cols = malloc(n * 4 + 4);
        counts = malloc(n * 8 + 8);
        if (rows == NULL || cols == NULL || counts == NULL ||
            maskeval_semantic_confusion_cells(out->s, rows, cols, counts, n, &n) != MASKEVAL_OK) {
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

/* quiet: the summary lines only, without the per-class table */
static void print_table(const sem_out *out, int quiet)
{
    const maskeval_semantic_summary *s = out->sum;
    char a[32], b[32], c[32], d[32], e[32], f[32], g[32], h[32];
    int width = 15; /* the class column grows to the longest name */
    for (uint32_t k = 0; out->names != NULL && k < s->num_classes; k++) {
        const int n = columns(out->names[k]);
        width = n > width && n < 256 ? n : width;
    }
    if (!quiet) {
        printf("per class (percent):\n%-*s %7s %7s %7s %7s\n", width, "class", "IoU", "Acc",
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
        pct(a, sizeof(a), out->cls[k].iou);
        pct(b, sizeof(b), out->cls[k].acc);
        pct(c, sizeof(c), out->cls[k].dice);
        pct(d, sizeof(d), out->cls[k].fscore);
        printf("%s%*s %7s %7s %7s %7s\n", label, width > columns(label) ? width - columns(label) : 0,
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
    printf("%ssummary (percent): aAcc %s  mIoU %s  mAcc %s  mDice %s  mFscore %s  mPrecision %s  "
           "mRecall %s  fwIoU %s\n",
           quiet ? "" : "\n", a, b, c, d, e, f, g, h);
    printf("images %llu, predictions outside [0, %u): %llu pixels, ground truth >= %u (not "
           "ignored): %llu pixels\n",
           (unsigned long long)s->images, s->num_classes,
           (unsigned long long)s->invalid_pred_pixels, s->num_classes,
           (unsigned long long)s->invalid_gt_pixels);
}

int cli_semantic_report(maskeval_ctx *ctx, const maskeval_semantic *sem, const char *json,
                        int quiet, int strict, const char *tag, maskeval_semantic_summary *sum_out)
{
    maskeval_semantic_summary sum;
    maskeval_class_metrics *cls = NULL;
    maskeval_status st;
    int rc = CLI_ERR_INPUT;
    cJSON *meta = NULL;
    const cJSON *params = NULL, *jnames = NULL;
    const char **names = NULL;

    if (tag != NULL && strncmp(tag, CLI_SEM_META_PREFIX, strlen(CLI_SEM_META_PREFIX)) == 0) {
        meta = cJSON_Parse(tag + strlen(CLI_SEM_META_PREFIX));
        params = cJSON_GetObjectItemCaseSensitive(meta, "params");
        jnames = cJSON_GetObjectItemCaseSensitive(meta, "names");
        if (meta == NULL || !cJSON_IsObject(params) ||
            (jnames != NULL && !cJSON_IsArray(jnames))) {
            fprintf(stderr, "maskeval: the run's parameters (a partial's tag) are malformed\n");
            cJSON_Delete(meta);
            return CLI_ERR_INPUT;
        }
        if (jnames != NULL) {
            const cJSON *it;
            size_t n = 0;
            names = calloc((size_t)cJSON_GetArraySize(jnames) + 1, sizeof(char *));
            if (names == NULL) {
                fprintf(stderr, "maskeval: out of memory\n");
                cJSON_Delete(meta);
                return CLI_ERR_INPUT;
            }
            cJSON_ArrayForEach(it, jnames)
            {
                names[n++] = cJSON_IsString(it) ? it->valuestring : "?";
            }
        }
    }

    st = maskeval_semantic_summarize(sem, &sum);
    if (st == MASKEVAL_OK && names != NULL &&
        (uint32_t)cJSON_GetArraySize(jnames) != sum.num_classes) {
        fprintf(stderr, "maskeval: %d class names for %u classes in the run's parameters\n",
                cJSON_GetArraySize(jnames), sum.num_classes);
        goto done;
    }
    if (st == MASKEVAL_OK) {
        cls = calloc((size_t)sum.num_classes, sizeof(*cls));
        st = cls == NULL ? MASKEVAL_ERR_NOMEM
                         : maskeval_semantic_classes(sem, cls, (size_t)sum.num_classes);
    }
    if (st != MASKEVAL_OK) {
        if (st == MASKEVAL_ERR_NOMEM) {
            fprintf(stderr, "maskeval: out of memory\n");
        } else {
            cli_report(ctx, st);
        }
        goto done;
    }
    if (strict && (sum.invalid_pred_pixels > 0 || sum.invalid_gt_pixels > 0)) {
        fprintf(stderr,
                "maskeval: --strict: %llu predicted pixels outside [0, %u) and %llu "
                "ground-truth pixels >= %u that are not the ignore index\n",
                (unsigned long long)sum.invalid_pred_pixels, sum.num_classes,
                (unsigned long long)sum.invalid_gt_pixels, sum.num_classes);
        goto done;
    }
    {
        sem_out out = {names, params, sem, &sum, cls};
        if (json != NULL && strcmp(json, "-") == 0) {
            if (cli_write_atomic("-", write_sem_json, &out) != 0) {
                goto done;
            }
        } else {
            print_table(&out, quiet);
            if (json != NULL && cli_write_atomic(json, write_sem_json, &out) != 0) {
                goto done;
            }
        }
    }
    if (sum_out != NULL) {
        *sum_out = sum;
    }
    rc = CLI_OK;
done:
    free(cls);
    free(names);
    cJSON_Delete(meta);
    return rc;
}
