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

#include "class_names.h"
#include "cli.h"
#include "semantic_files.h"
#include "semantic_meta.h"

static void semantic_help(FILE *f)
{
    fprintf(f,
            "usage: maskeval semantic --gt DIR --pred DIR --num-classes K [options]\n"
            "\n"
            "Semantic segmentation metrics from PNG label maps: per-class IoU, Acc, Dice,\n"
            "Precision, Recall, F-score; aAcc, mIoU, mAcc, mDice, mPrecision, mRecall,\n"
            "mFscore (mmsegmentation's IoUMetric) and fwIoU. Both folders are searched\n"
            "recursively; <stem><gt-suffix>.png in --gt pairs with <stem><pred-suffix>.png\n"
            "in --pred at the same relative path (by stem alone when one side is flat).\n"
            "\n"
            "options:\n"
            "  --gt DIR, --pred DIR        ground-truth and prediction folders\n"
            "  --num-classes K             classes 0..K-1 (1..65535)\n"
            "  --ignore-index N            ground-truth label to drop (default 255; -1: none)\n"
            "  --reduce-zero-label         ground truth 0 -> 255, v -> v-1 (ADE20K)\n"
            "  --label-map cityscapes|FILE map ground-truth labels (FILE: JSON {\"src\": dst})\n"
            "  --pred-label-map cityscapes|FILE  map predicted labels\n"
            "  --gt-suffix S, --pred-suffix S    e.g. _gtFine_labelTrainIds, _leftImg8bit\n"
            "  --class-names cityscapes|ade20k|voc|FILE  names in the table and --json\n"
            "                              (FILE: one per line, or a JSON array of strings)\n"
            "  --strict                    fail on predictions outside [0, K) or ground truth >= K\n"
            "  --json FILE                 write all metrics and the confusion matrix ('-' = stdout)\n"
            "  --format text|json|csv|md   what stdout shows (default text; csv: a row 'all' and\n"
            "                              a row per class, fractions; md: percent tables)\n"
            "  --min STAT=X[,...]          exit 3 (after writing every output) when STAT < X;\n"
            "                              STAT: aAcc mIoU mAcc mDice mFscore mPrecision mRecall\n"
            "                              fwIoU, as fractions (mIoU=0.75); repeatable\n"
            "  --backend auto|cpu|opencl   where pixels are counted (default auto)\n"
            "  --max-image-pixels N        refuse label maps of more pixels (default 2^28 =\n"
            "                              16384 x 16384; at most 2^30), against PNG bombs\n"
            "  --device N, --threads N, --max-device-mem SIZE, --timing\n"
            "  --quiet                     only the summary lines: no per-class table, notes or\n"
            "                              progress bar\n"
            "  --shard I/N                 count only the pairs at positions p (sorted by path)\n"
            "                              with p %% N == I (needs --partial)\n"
            "  --partial FILE              write the confusion counts to FILE instead of metrics\n"
            "                              (combine with 'maskeval merge')\n"
            "\n"
            "exit status: 0 success, 1 bad input or runtime error, 2 usage error, 3 a --min\n"
            "gate failed (every output was written)\n");
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
    {
        const char *end = NULL;
        root = cJSON_ParseWithOpts(text, &end, 1);
        if (root == NULL) {
            const long at = end != NULL && end >= text ? (long)(end - text) : 0;
            free(text);
            return cli_usage_error("semantic", "label map %s: invalid JSON at byte %ld", spec,
                                   at);
        }
    }
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
            /* the message before the tree that holds the key goes */
            int rc = cli_usage_error("semantic",
                                     "label map %s: entry \"%s\": keys and values must be "
                                     "integers >= 0",
                                     spec, it->string);
            cJSON_Delete(root);
            return rc;
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
        "--pred-label-map", "--num-classes", "--ignore-index", "--shard", "--partial",
        "--max-image-pixels", "--class-names", NULL};
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
        r = cli_report_option(&a, &o->report, name, maskeval_report_semantic_stat_names);
        if (r < 0) {
            return -r;
        }
        if (r > 0) {
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
        } else if (strcmp(name, "--class-names") == 0) {
            o->class_names = v;
        } else if (strcmp(name, "--num-classes") == 0) {
            if (!cli_parse_i64(v, &o->k)) {
                return cli_usage_error("semantic", "--num-classes needs an integer (got '%s')", v);
            }
            o->have_k = 1;
        } else if (strcmp(name, "--ignore-index") == 0) {
            if (!cli_parse_i64(v, &o->ignore) || o->ignore < -1) {
                return cli_usage_error("semantic", "--ignore-index needs an integer >= -1");
            }
        } else if (strcmp(name, "--max-image-pixels") == 0) {
            if (!cli_parse_u64_size(v, &o->max_pixels) || o->max_pixels < 1 ||
                o->max_pixels > ((uint64_t)1 << 30)) {
                return cli_usage_error("semantic", "--max-image-pixels needs a count between 1 "
                                                   "and 2^30 (K/M/G suffixes allowed)");
            }
        } else if (strcmp(name, "--partial") == 0) {
            o->partial = v;
        } else if (strcmp(name, "--shard") == 0) {
            int r2 = cli_parse_shard("semantic", v, &o->shard_index, &o->shard_count);
            if (r2 != 0) {
                return r2;
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
    if (o->shard_count > 1 && o->partial == NULL) {
        return cli_usage_error("semantic", "--shard needs --partial FILE (merge the partials "
                                           "with 'maskeval merge')");
    }
    if (o->partial != NULL && o->json != NULL) {
        return cli_usage_error("semantic", "--partial writes counts, not metrics: give --json "
                                           "to 'maskeval merge'");
    }
    if (o->partial != NULL && (o->report.have_format || o->report.gates.n > 0)) {
        return cli_usage_error("semantic", "--partial writes counts, not metrics: give --format "
                                           "and --min to 'maskeval merge'");
    }
    if ((r = cli_report_check("semantic", &o->report, o->json, 0)) != 0) {
        return r;
    }
    return cli_env_device("semantic", &o->lib);
}

/*
 * A partial names its dataset by the digest of the sorted keys (relative
 * path and stem of each ground-truth file; the stem alone in a flat folder),
 * each followed by a NUL and its ground-truth file's size (8 bytes, little
 * endian), so that partials of other folders do not merge; its tag records
 * what else the report shows (class names, parameters: semantic_meta.h).
 */
static maskeval_status declare_shard(maskeval_ctx *ctx, maskeval_semantic *sem,
                                     const sem_pairs *gl, const sem_opts *o, const char *tag)
{
    size_t total = 0, at = 0;
    unsigned char *joined;
    uint64_t digest;
    for (size_t i = 0; i < gl->n; i++) {
        total += strlen(gl->key[i]) + 1 + 8;
    }
    joined = malloc(total + 1);
    if (joined == NULL) {
        return MASKEVAL_ERR_NOMEM;
    }
    for (size_t i = 0; i < gl->n; i++) {
        const size_t n = strlen(gl->key[i]) + 1;
        struct stat sb;
        uint64_t size = stat(gl->gt[i], &sb) == 0 ? (uint64_t)sb.st_size : 0;
        memcpy(joined + at, gl->key[i], n);
        at += n;
        for (int b = 0; b < 8; b++) {
            joined[at++] = (unsigned char)(size >> (8 * b));
        }
    }
    digest = maskeval_digest(joined, total);
    free(joined);
    return maskeval_semantic_set_shard(ctx, sem, digest, gl->n, o->shard_index, o->shard_count,
                                       tag);
}

int cli_semantic_run(const sem_opts *o)
{
    sem_pairs gl;
    pairs gmap = {0}, pmap = {0};
    const char **gpaths = NULL, **ppaths = NULL;
    maskeval_ctx *ctx = NULL;
    maskeval_semantic *sem = NULL;
    maskeval_semantic_params p;
    maskeval_semantic_summary sum;
    maskeval_status st;
    size_t n_sel = 0;
    cli_class_names names;
    char *tag = NULL;
    const int city = o->map != NULL && strcmp(o->map, "cityscapes") == 0;
    const char *gs = o->gt_suffix != NULL ? o->gt_suffix : "";
    const char *ps = o->pred_suffix != NULL ? o->pred_suffix : "";
    int rc = CLI_ERR_INPUT;
    double t0 = cli_now(), t1;
    cli_progress_state progress;

    memset(&gl, 0, sizeof(gl));
    memset(&names, 0, sizeof(names));
    {
        const char *inputs[5] = {o->gt, o->pred, o->map, o->pred_map, o->class_names};
        if ((rc = cli_output_check("semantic", "--json", o->json, 0, inputs, 5)) != 0 ||
            (o->sink == NULL &&
             (rc = cli_output_check("semantic", "--partial", o->partial, 0, inputs, 5)) != 0)) {
            return rc;
        }
    }
    if ((rc = load_label_map(o->map, o->ignore, &gmap)) != 0 ||
        (rc = load_label_map(o->pred_map, o->ignore, &pmap)) != 0) {
        goto done;
    }
    /* --label-map cityscapes with 19 classes implies the Cityscapes names (as before) */
    if (o->class_names != NULL || (city && o->k == 19)) {
        char err[512];
        if (cli_class_names_load(o->class_names != NULL ? o->class_names : "cityscapes",
                                 (uint32_t)o->k, &names, err, sizeof(err)) != 0) {
            rc = cli_usage_error("semantic", "%s", err);
            goto done;
        }
    }
    rc = CLI_ERR_INPUT;
    if (cli_sem_pair_files(o->gt, o->pred, gs, ps, o->quiet, &gl) != 0) {
        goto done;
    }
    if (!o->quiet && (o->sink == NULL || o->shard_index == 0)) {
        const char *by = strcmp(gl.pairing, "relative path") == 0 ? "relative path and stem"
                                                                   : "stem";
        if (gl.gt_dirs == gl.pred_dirs) {
            fprintf(stderr, "maskeval: found %zu ground-truth and %zu prediction label maps in %zu "
                            "folder%s (paired by %s)\n",
                    gl.n, gl.n_pred, gl.gt_dirs, gl.gt_dirs == 1 ? "" : "s", by);
        } else {
            fprintf(stderr, "maskeval: found %zu ground-truth label maps in %zu folder%s and %zu "
                            "predictions in %zu folder%s (paired by %s)\n",
                    gl.n, gl.gt_dirs, gl.gt_dirs == 1 ? "" : "s", gl.n_pred, gl.pred_dirs,
                    gl.pred_dirs == 1 ? "" : "s", by);
        }
    }
    {
        cli_sem_run_info info = {o, &names, gl.pairing};
        if ((tag = cli_sem_meta_encode(&info)) == NULL) {
            goto done;
        }
    }
    gpaths = calloc(gl.n, sizeof(char *));
    ppaths = calloc(gl.n, sizeof(char *));
    if (gpaths == NULL || ppaths == NULL) {
        fprintf(stderr, "maskeval: out of memory\n");
        goto done;
    }
    for (size_t i = 0; i < gl.n; i++) {
        gpaths[i] = gl.gt[i];
        ppaths[i] = gl.pred[i];
    }
    {
        maskeval_options lib = o->lib;
        cli_progress_init(&progress, &lib, cli_plan_semantic, o->quiet);
        st = maskeval_ctx_create(&lib, &ctx);
    }
    if (st == MASKEVAL_OK) {
        (void)maskeval_backend_warm_up(ctx); /* overlaps the first PNG decodes */
        maskeval_semantic_params_init(&p);
        p.num_classes = (uint32_t)o->k;
        p.ignore_index = o->ignore;
        p.reduce_zero_label = o->reduce_zero;
        p.max_image_pixels = o->max_pixels;
        p.label_map = gmap.v;
        p.n_label_map = gmap.n;
        p.pred_label_map = pmap.v;
        p.n_pred_label_map = pmap.n;
        st = maskeval_semantic_create(ctx, &p, &sem);
    }
    if (st == MASKEVAL_OK && o->partial != NULL) {
        st = declare_shard(ctx, sem, &gl, o, tag);
    }
    /* this shard's pairs, kept in key order */
    for (size_t i = 0; i < gl.n; i++) {
        if (i % o->shard_count == o->shard_index) {
            gpaths[n_sel] = gpaths[i];
            ppaths[n_sel] = ppaths[i];
            n_sel++;
        }
    }
    if (st == MASKEVAL_OK && n_sel > 0) {
        st = maskeval_semantic_add_png(ctx, sem, gpaths, ppaths, n_sel);
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
    if (o->partial != NULL && o->sink != NULL) {
        rc = o->sink(o->sink_user, ctx, NULL, sem) == 0 ? CLI_OK : CLI_ERR_INPUT;
        goto done;
    }
    if (o->partial != NULL) {
        if (cli_write_partial(ctx, o->partial, NULL, sem) != 0) {
            goto done;
        }
        if (!o->quiet) {
            fprintf(stderr, "maskeval: shard %u/%u: %zu of %zu image pairs -> %s\n",
                    o->shard_index, o->shard_count, n_sel, gl.n, o->partial);
        }
        rc = CLI_OK;
        goto done;
    }
    rc = cli_semantic_report(ctx, sem, o->json, o->quiet, o->strict, tag, &o->report, &sum);
    if (rc != CLI_OK && rc != CLI_GATE_FAILED) {
        goto done;
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
done:
    maskeval_semantic_destroy(sem);
    cli_ctx_done(ctx);
    free(gpaths);
    free(ppaths);
    free(gmap.v);
    free(pmap.v);
    free(tag);
    cli_class_names_free(&names);
    cli_sem_pairs_free(&gl);
    return rc;
}

void cli_semantic_opts_init(sem_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->ignore = 255;
    maskeval_options_init(&o->lib);
    o->lib.log_fn = cli_log;
    o->shard_count = 1;
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
    return rc == 0 ? cli_semantic_run(&o) : rc;
}
