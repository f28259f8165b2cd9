/*
 * cmd_semantic.c - `maskeval semantic`: mIoU and friends from two folders of
 * PNG label maps, paired by file stem (mmsegmentation's IoUMetric conventions).
 */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

static void semantic_help(FILE *f)
{
    fprintf(f,
            "usage: maskeval semantic --gt DIR --pred DIR --num-classes K [options]\n"
            "\n"
            "Semantic segmentation metrics from PNG label maps: per-class IoU, Acc, Dice,\n"
            "Precision, Recall, F-score; aAcc, mIoU, mAcc, mDice, mPrecision, mRecall,\n"
            "mFscore (mmsegmentation's IoUMetric) and fwIoU. Files are paired by stem:\n"
            "<stem><gt-suffix>.png in --gt with <stem><pred-suffix>.png in --pred.\n"
            "\n"
            "options:\n"
            "  --gt DIR, --pred DIR        ground-truth and prediction folders\n"
            "  --num-classes K             classes 0..K-1 (1..65535)\n"
            "  --ignore-index N            ground-truth label to drop (default 255; -1: none)\n"
            "  --reduce-zero-label         ground truth 0 -> 255, v -> v-1 (ADE20K)\n"
            "  --label-map cityscapes|FILE map ground-truth labels (FILE: JSON {\"src\": dst})\n"
            "  --pred-label-map cityscapes|FILE  map predicted labels\n"
            "  --gt-suffix S, --pred-suffix S    e.g. _gtFine_labelIds\n"
            "  --strict                    fail on predictions outside [0, K) or ground truth >= K\n"
            "  --json FILE                 write all metrics and the confusion matrix ('-' = stdout)\n"
            "  --backend auto|cpu|opencl   where pixels are counted (default auto)\n"
            "  --device N, --threads N, --max-device-mem SIZE, --timing, --quiet\n"
            "\n"
            "exit status: 0 success, 1 bad input or runtime error, 2 usage error\n");
}

/* Cityscapes labelIds of the 19 evaluated classes, in trainId order. */
static const struct {
    int id;
    const char *name;
} cityscapes[19] = {{7, "road"},           {8, "sidewalk"},     {11, "building"},  {12, "wall"},
                    {13, "fence"},         {17, "pole"},        {19, "traffic light"},
                    {20, "traffic sign"},  {21, "vegetation"},  {22, "terrain"},   {23, "sky"},
                    {24, "person"},        {25, "rider"},       {26, "car"},       {27, "truck"},
                    {28, "bus"},           {31, "train"},       {32, "motorcycle"}, {33, "bicycle"}};

typedef struct pairs {
    int64_t *v; /* (src, dst) */
    size_t n;
} pairs;

/* "cityscapes" or a JSON object {"src": dst}; returns an exit code. */
static int load_label_map(const char *spec, int64_t ignore, pairs *out)
{
    FILE *f;
    char *text = NULL;
    long len;
    cJSON *root = NULL;
    const cJSON *it;
    size_t n = 0;
    out->v = NULL;
    out->n = 0;
    if (spec == NULL) {
        return 0;
    }
    if (strcmp(spec, "cityscapes") == 0) {
        out->v = calloc(34 * 2, sizeof(int64_t));
        if (out->v == NULL) {
            return CLI_ERR_INPUT;
        }
        for (int id = 0; id < 34; id++) {
            int64_t dst = ignore;
            for (int t = 0; t < 19; t++) {
                if (cityscapes[t].id == id) {
                    dst = t;
                }
            }
            out->v[2 * id] = id;
            out->v[2 * id + 1] = dst;
        }
        out->n = 34;
        return 0;
    }
    f = fopen(spec, "rb");
    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0) {
        if (f != NULL) {
            fclose(f);
        }
        return cli_usage_error("semantic", "cannot read label map %s: %s", spec, strerror(errno));
    }
    text = malloc((size_t)len + 1);
    if (text == NULL || fread(text, 1, (size_t)len, f) != (size_t)len) {
        fclose(f);
        free(text);
        return cli_usage_error("semantic", "cannot read label map %s", spec);
    }
    fclose(f);
    text[len] = '\0';
    root = cJSON_Parse(text);
    free(text);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return cli_usage_error("semantic", "label map %s: expected a JSON object {\"src\": dst}",
                               spec);
    }
    out->v = calloc((size_t)cJSON_GetArraySize(root) * 2 + 2, sizeof(int64_t));
    if (out->v == NULL) {
        cJSON_Delete(root);
        return CLI_ERR_INPUT;
    }
    cJSON_ArrayForEach(it, root)
    {
        char *end;
        long long src = strtoll(it->string, &end, 10);
        double dst = it->valuedouble;
        if (*it->string == '\0' || *end != '\0' || src < 0 || !cJSON_IsNumber(it) ||
            dst != floor(dst) || dst < 0 || dst > 4294967295.0) {
            cJSON_Delete(root);
            return cli_usage_error("semantic",
                                   "label map %s: entry \"%s\": keys and values must be integers "
                                   ">= 0",
                                   spec, it->string);
        }
        out->v[2 * n] = src;
        out->v[2 * n + 1] = (int64_t)dst;
        n++;
    }
    out->n = n;
    cJSON_Delete(root);
    return 0;
}

int cli_semantic_parse(int argc, char **argv, sem_opts *o)
{
    static const char *const value_options[] = {
        "--gt", "--pred", "--json", "--gt-suffix", "--pred-suffix", "--label-map",
        "--pred-label-map", "--num-classes", "--ignore-index", NULL};
    cli_args a;
    const char *name, *v;
    int bad = 0, r;
    cli_args_init(&a, "semantic", argc, argv);
    while ((name = cli_next(&a, &bad)) != NULL) {
        if (strcmp(name, "--help") == 0) {
            semantic_help(stdout);
            return -1;
        }
        r = cli_common_option(&a, &o->lib, name);
        if (r < 0) {
            return -r;
        }
        if (r > 0) {
            continue;
        }
        if (strcmp(name, "--reduce-zero-label") == 0 || strcmp(name, "--strict") == 0 ||
            strcmp(name, "--timing") == 0 || strcmp(name, "--quiet") == 0) {
            if (!cli_flag_ok(&a)) {
                return CLI_ERR_USAGE;
            }
            *(strcmp(name, "--strict") == 0   ? &o->strict
              : strcmp(name, "--timing") == 0 ? &o->timing
              : strcmp(name, "--quiet") == 0  ? &o->quiet
                                              : &o->reduce_zero) = 1;
            continue;
        }
        if (!cli_known(name, value_options)) {
            return cli_usage_error("semantic", "unknown option %s", name);
        }
        if ((v = cli_value(&a)) == NULL) {
            return CLI_ERR_USAGE;
        }
        if (strcmp(name, "--gt") == 0) {
            o->gt = v;
        } else if (strcmp(name, "--pred") == 0) {
            o->pred = v;
        } else if (strcmp(name, "--json") == 0) {
            o->json = v;
        } else if (strcmp(name, "--gt-suffix") == 0) {
            o->gt_suffix = v;
        } else if (strcmp(name, "--pred-suffix") == 0) {
            o->pred_suffix = v;
        } else if (strcmp(name, "--label-map") == 0) {
            o->map = v;
        } else if (strcmp(name, "--pred-label-map") == 0) {
            o->pred_map = v;
        } else if (strcmp(name, "--num-classes") == 0) {
            if (!cli_parse_i64(v, &o->k)) {
                return cli_usage_error("semantic", "--num-classes needs an integer (got '%s')", v);
            }
            o->have_k = 1;
        } else if (strcmp(name, "--ignore-index") == 0) {
            if (!cli_parse_i64(v, &o->ignore) || o->ignore < -1) {
                return cli_usage_error("semantic", "--ignore-index needs an integer >= -1");
            }
        } else {
            return cli_usage_error("semantic", "unknown option %s", name);
        }
    }
    if (bad) {
        return bad;
    }
    if (o->gt == NULL || o->pred == NULL || !o->have_k) {
        return cli_usage_error("semantic", "--gt, --pred and --num-classes are required");
    }
    if (o->k < 1 || o->k > 65535) {
        return cli_usage_error("semantic", "--num-classes must be between 1 and 65535 (got %lld)",
                               (long long)o->k);
    }
    return cli_env_device("semantic", &o->lib);
}

/* ---- pairing files by stem ------------------------------------------------ */

typedef struct file_list {
    char **stem, **path;
    size_t n, cap;
} file_list;

static void free_list(file_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->stem[i]);
        free(l->path[i]);
    }
    free(l->stem);
    free(l->path);
    memset(l, 0, sizeof(*l));
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Files named <stem><suffix>.png, sorted by stem; returns 0 or prints an error. */
static int list_dir(const char *dir, const char *suffix, const char *what, file_list *out)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t tail_len;
    char tail[512];
    memset(out, 0, sizeof(*out));
    if (d == NULL) {
        fprintf(stderr, "maskeval: %s: cannot open %s folder: %s\n", dir, what, strerror(errno));
        return -1;
    }
    snprintf(tail, sizeof(tail), "%s.png", suffix);
    tail_len = strlen(tail);
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name), plen;
        char *path;
        struct stat sb;
        if (len <= tail_len || strcmp(e->d_name + len - tail_len, tail) != 0) {
            continue;
        }
        plen = strlen(dir) + len + 2;
        path = malloc(plen);
        if (path == NULL) {
            closedir(d);
            return -1;
        }
        snprintf(path, plen, "%s/%s", dir, e->d_name);
        if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
            free(path);
            continue;
        }
        if (out->n == out->cap) {
            size_t nc = out->cap ? out->cap * 2 : 64;
            char **s = realloc(out->stem, nc * sizeof(char *));
            char **p = s != NULL ? realloc(out->path, nc * sizeof(char *)) : NULL;
            if (s != NULL) {
                out->stem = s;
            }
            if (p == NULL) {
                free(path);
                closedir(d);
                return -1;
            }
            out->path = p;
            out->cap = nc;
        }
        out->stem[out->n] = strndup(e->d_name, len - tail_len);
        out->path[out->n] = path;
        out->n++;
    }
    closedir(d);
    /* sort stems and paths together: sort indices by stem */
    {
        char **kv = malloc(out->n * 2 * sizeof(char *) + 1);
        if (kv == NULL) {
            return -1;
        }
        for (size_t i = 0; i < out->n; i++) {
            kv[2 * i] = out->stem[i];
            kv[2 * i + 1] = out->path[i];
        }
        qsort(kv, out->n, 2 * sizeof(char *), cmp_str);
        for (size_t i = 0; i < out->n; i++) {
            out->stem[i] = kv[2 * i];
            out->path[i] = kv[2 * i + 1];
        }
        free(kv);
    }
    return 0;
}

static int find_stem(const file_list *l, const char *stem)
{
    size_t lo = 0, hi = l->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(l->stem[mid], stem);
        if (c == 0) {
            return (int)mid;
        }
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return -1;
}

/* ---- output ---------------------------------------------------------------- */

typedef struct sem_out {
    const sem_opts *o;
    const maskeval_semantic *s;
    const maskeval_semantic_summary *sum;
    const maskeval_class_metrics *cls;
} sem_out;

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
    cli_json_end_object(&j);
    return ferror(f) ? -1 : 0;
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

static void print_table(const sem_out *out)
{
    const maskeval_semantic_summary *s = out->sum;
    char a[32], b[32], c[32], d[32], e[32], f[32], g[32], h[32];
    int names = out->o->map != NULL && strcmp(out->o->map, "cityscapes") == 0 &&
                s->num_classes == 19;
    printf("per class (percent):\n%-15s %7s %7s %7s %7s\n", "class", "IoU", "Acc", "Dice",
           "Fscore");
    for (uint32_t k = 0; k < s->num_classes; k++) {
        char label[32];
        if (names) {
            snprintf(label, sizeof(label), "%s", cityscapes[k].name);
        } else {
            snprintf(label, sizeof(label), "%u", k);
        }
        pct(a, sizeof(a), out->cls[k].iou);
        pct(b, sizeof(b), out->cls[k].acc);
        pct(c, sizeof(c), out->cls[k].dice);
        pct(d, sizeof(d), out->cls[k].fscore);
        printf("%-15s %7s %7s %7s %7s\n", label, a, b, c, d);
    }
    pct(a, sizeof(a), s->aAcc);
    pct(b, sizeof(b), s->mIoU);
    pct(c, sizeof(c), s->mAcc);
    pct(d, sizeof(d), s->mDice);
    pct(e, sizeof(e), s->mFscore);
    pct(f, sizeof(f), s->mPrecision);
    pct(g, sizeof(g), s->mRecall);
    pct(h, sizeof(h), s->fwIoU);
    printf("\nsummary (percent): aAcc %s  mIoU %s  mAcc %s  mDice %s  mFscore %s  mPrecision %s  "
           "mRecall %s  fwIoU %s\n",
           a, b, c, d, e, f, g, h);
    printf("images %llu, predictions outside [0, %u): %llu pixels, ground truth >= %u (not "
           "ignored): %llu pixels\n",
           (unsigned long long)s->images, s->num_classes,
           (unsigned long long)s->invalid_pred_pixels, s->num_classes,
           (unsigned long long)s->invalid_gt_pixels);
}

static int run_semantic(const sem_opts *o)
{
    file_list gl, pl;
    pairs gmap = {0}, pmap = {0};
    const char **gpaths = NULL, **ppaths = NULL;
    maskeval_ctx *ctx = NULL;
    maskeval_semantic *sem = NULL;
    maskeval_semantic_params p;
    maskeval_semantic_summary sum;
    maskeval_class_metrics *cls = NULL;
    maskeval_status st;
    const char *gs = o->gt_suffix != NULL ? o->gt_suffix : "";
    const char *ps = o->pred_suffix != NULL ? o->pred_suffix : "";
    int rc = CLI_ERR_INPUT;
    double t0 = cli_now(), t1;
    cli_progress_state progress;

    memset(&gl, 0, sizeof(gl));
    memset(&pl, 0, sizeof(pl));
    if ((rc = load_label_map(o->map, o->ignore, &gmap)) != 0 ||
        (rc = load_label_map(o->pred_map, o->ignore, &pmap)) != 0) {
        goto done;
    }
    rc = CLI_ERR_INPUT;
    if (list_dir(o->gt, gs, "ground-truth", &gl) != 0 || list_dir(o->pred, ps, "prediction", &pl) != 0) {
        goto done;
    }
    if (gl.n == 0) {
        fprintf(stderr, "maskeval: %s: no ground-truth files (*%s.png)\n", o->gt, gs);
        goto done;
    }
    gpaths = calloc(gl.n, sizeof(char *));
    ppaths = calloc(gl.n, sizeof(char *));
    if (gpaths == NULL || ppaths == NULL) {
        fprintf(stderr, "maskeval: out of memory\n");
        goto done;
    }
    for (size_t i = 0; i < gl.n; i++) {
        int j = find_stem(&pl, gl.stem[i]);
        if (j < 0) {
            fprintf(stderr, "maskeval: %s: no prediction %s/%s%s.png for it\n", gl.path[i],
                    o->pred, gl.stem[i], ps);
            goto done;
        }
        gpaths[i] = gl.path[i];
        ppaths[i] = pl.path[j];
    }
    for (size_t j = 0; j < pl.n; j++) {
        if (find_stem(&gl, pl.stem[j]) < 0) {
            fprintf(stderr, "maskeval: %s: unpaired prediction (no ground truth %s/%s%s.png)\n",
                    pl.path[j], o->gt, pl.stem[j], gs);
            goto done;
        }
    }
    {
        maskeval_options lib = o->lib;
        cli_progress_init(&progress, &lib);
        st = maskeval_ctx_create(&lib, &ctx);
    }
    if (st == MASKEVAL_OK) {
        (void)maskeval_backend_warm_up(ctx); /* overlaps the first PNG decodes */
        maskeval_semantic_params_init(&p);
        p.num_classes = (uint32_t)o->k;
        p.ignore_index = o->ignore;
        p.reduce_zero_label = o->reduce_zero;
        p.label_map = gmap.v;
        p.n_label_map = gmap.n;
        p.pred_label_map = pmap.v;
        p.n_pred_label_map = pmap.n;
        st = maskeval_semantic_create(ctx, &p, &sem);
    }
    if (st == MASKEVAL_OK) {
        st = maskeval_semantic_add_png(ctx, sem, gpaths, ppaths, gl.n);
    }
    cls = calloc((size_t)o->k, sizeof(*cls));
    if (st == MASKEVAL_OK && cls == NULL) {
        st = MASKEVAL_ERR_NOMEM;
    }
    if (st == MASKEVAL_OK) {
        st = maskeval_semantic_summarize(sem, &sum);
    }
    if (st == MASKEVAL_OK) {
        st = maskeval_semantic_classes(sem, cls, (size_t)o->k);
    }
    t1 = cli_now();
    cli_progress_done(&progress);
    if (st != MASKEVAL_OK) {
        if (ctx == NULL) {
            fprintf(stderr, "maskeval: out of memory\n");
        } else {
            cli_report(ctx, st);
        }
        rc = st == MASKEVAL_ERR_INVALID_ARG ? CLI_ERR_USAGE : CLI_ERR_INPUT;
        goto done;
    }
    if (o->strict && (sum.invalid_pred_pixels > 0 || sum.invalid_gt_pixels > 0)) {
        fprintf(stderr,
                "maskeval: --strict: %llu predicted pixels outside [0, %lld) and %llu "
                "ground-truth pixels >= %lld that are not the ignore index\n",
                (unsigned long long)sum.invalid_pred_pixels, (long long)o->k,
                (unsigned long long)sum.invalid_gt_pixels, (long long)o->k);
        goto done;
    }
    {
        sem_out out = {o, sem, &sum, cls};
        if (o->json != NULL && strcmp(o->json, "-") == 0) {
            if (cli_write_atomic("-", write_sem_json, &out) != 0) {
                goto done;
            }
        } else {
            if (!o->quiet) {
                print_table(&out);
            }
            if (o->json != NULL && cli_write_atomic(o->json, write_sem_json, &out) != 0) {
                goto done;
            }
        }
    }
    if (o->timing) {
        char desc[640] = "";
        maskeval_backend_describe(ctx, desc, sizeof(desc));
        fprintf(stderr,
                "maskeval: timing: %llu image pairs in %.3f s wall; decoding %.3f s and counting "
                "%.3f s summed over threads [%s]\n",
                (unsigned long long)sum.images, t1 - t0, sum.decode_seconds, sum.count_seconds,
                desc);
    }
    rc = CLI_OK;
done:
    free(cls);
    maskeval_semantic_destroy(sem);
    maskeval_ctx_destroy(ctx);
    free(gpaths);
    free(ppaths);
    free(gmap.v);
    free(pmap.v);
    free_list(&gl);
    free_list(&pl);
    return rc;
}

void cli_semantic_opts_init(sem_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->ignore = 255;
    maskeval_options_init(&o->lib);
    o->lib.log_fn = cli_log;
}

int cmd_semantic(int argc, char **argv)
{
    sem_opts o;
    int rc;
    cli_semantic_opts_init(&o);
    rc = cli_semantic_parse(argc, argv, &o);
    if (rc == -1) {
        return CLI_OK;
    }
    return rc == 0 ? run_semantic(&o) : rc;
}
