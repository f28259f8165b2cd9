/*
 * cmd_coco.c - `maskeval coco`: pycocotools' COCOeval from the command line.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

static void coco_help(FILE *f)
{
    fprintf(f,
            "usage: maskeval coco --gt GT.json --dt RESULTS.json --iou-type segm|bbox [options]\n"
            "\n"
            "COCO detection / instance segmentation metrics, bit-identical to pycocotools 2.0.11.\n"
            "Prints pycocotools' 12-line summary and per-category AP.\n"
            "\n"
            "options:\n"
            "  --gt FILE              ground truth (COCO instances JSON)\n"
            "  --dt FILE              results (JSON array, pycocotools loadRes format)\n"
            "  --iou-type segm|bbox   mask IoU or box IoU\n"
            "  --json FILE            also write the results as JSON ('-' = stdout)\n"
            "  --dump-arrays DIR      write precision / recall / scores as raw float64 + arrays.json\n"
            "  --no-cats              pool all categories (Params.useCats = 0)\n"
            "  --max-dets A,B,C       Params.maxDets (default 1,10,100)\n"
            "  --iou-thrs T1,T2,...   Params.iouThrs (default np.linspace(.5, .95, 10))\n"
            "  --area-rng L:H,L:H,L:H,L:H  all/small/medium/large (default 0:1e10,0:1024,...)\n"
            "  --img-ids I1,I2,...    evaluate only these images\n"
            "  --cat-ids C1,C2,...    evaluate only these categories\n"
            "  --backend auto|cpu|opencl   where IoUs are computed (default auto)\n"
            "  --device N             OpenCL device index (see 'maskeval devices'; env MASKEVAL_DEVICE)\n"
            "  --max-device-mem SIZE  cap device memory per batch (e.g. 512M)\n"
            "  --threads N            worker threads (default: all CPUs)\n"
            "  --timing               print stage timings to stderr\n"
            "  --quiet                do not print the per-category table\n"
            "\n"
            "exit status: 0 success, 1 bad input or runtime error, 2 usage error\n");
}

void cli_coco_opts_free(coco_opts *o)
{
    free(o->max_dets);
    free(o->img_ids);
    free(o->cat_ids);
    free(o->iou_thrs);
}

static int parse_area_rng(const char *s, double out[8])
{
    double *v = NULL;
    size_t n = 0;
    char *copy = strdup(s);
    int ok;
    if (copy == NULL) {
        return 0;
    }
    /* "lo:hi,lo:hi,..." -> a flat list */
    for (char *p = copy; *p; p++) {
        if (*p == ':') {
            *p = ',';
        }
    }
    ok = cli_parse_f64_list(copy, &v, &n) && n == 8;
    if (ok) {
        memcpy(out, v, sizeof(double) * 8);
    }
    free(v);
    free(copy);
    return ok;
}

static int backend_option(const char *cmd, const char *v, maskeval_options *lib)
{
    if (strcmp(v, "auto") == 0) {
        lib->backend = MASKEVAL_BACKEND_AUTO;
    } else if (strcmp(v, "cpu") == 0) {
        lib->backend = MASKEVAL_BACKEND_CPU;
    } else if (strcmp(v, "opencl") == 0) {
        lib->backend = MASKEVAL_BACKEND_OPENCL;
    } else {
        return cli_usage_error(cmd, "--backend must be auto, cpu or opencl (got '%s')", v);
    }
    return 0;
}

/* Options shared by the commands that run on a backend; returns 1 if
 * handled, 0 if not one of them, or -(exit code) on a usage error. */
int cli_common_option(cli_args *a, maskeval_options *lib, const char *name)
{
    const char *v;
    int64_t n;
    if (strcmp(name, "--backend") == 0) {
        if ((v = cli_value(a)) == NULL) {
            return -CLI_ERR_USAGE;
        }
        return backend_option(a->cmd, v, lib) == 0 ? 1 : -CLI_ERR_USAGE;
    }
    if (strcmp(name, "--device") == 0) {
        if ((v = cli_value(a)) == NULL) {
            return -CLI_ERR_USAGE;
        }
        if (!cli_parse_i64(v, &n) || n < 0 || n > 1000000) {
            return -cli_usage_error(a->cmd, "--device needs a device index (got '%s')", v);
        }
        lib->device_index = (int)n;
        return 1;
    }
    if (strcmp(name, "--threads") == 0) {
        if ((v = cli_value(a)) == NULL) {
            return -CLI_ERR_USAGE;
        }
        if (!cli_parse_i64(v, &n) || n < 0 || n > 256) {
            return -cli_usage_error(a->cmd, "--threads needs a number from 0 to 256 (got '%s')",
                                    v);
        }
        lib->threads = (int)n;
        return 1;
    }
    if (strcmp(name, "--max-device-mem") == 0) {
        if ((v = cli_value(a)) == NULL) {
            return -CLI_ERR_USAGE;
        }
        if (!cli_parse_u64_size(v, &lib->max_device_mem) || lib->max_device_mem == 0) {
            return -cli_usage_error(a->cmd, "--max-device-mem needs a size such as 256M (got '%s')",
                                    v);
        }
        return 1;
    }
    return 0;
}

/* MASKEVAL_DEVICE picks the device unless --device did. */
int cli_env_device(const char *cmd, maskeval_options *lib)
{
    const char *env = getenv("MASKEVAL_DEVICE");
    int64_t n;
    if (lib->device_index >= 0 || env == NULL || *env == '\0') {
        return 0;
    }
    if (!cli_parse_i64(env, &n) || n < 0 || n > 1000000) {
        return cli_usage_error(cmd, "MASKEVAL_DEVICE must be a device index (got '%s')", env);
    }
    lib->device_index = (int)n;
    return 0;
}

int cli_coco_parse(int argc, char **argv, coco_opts *o)
{
    static const char *const value_options[] = {
        "--gt", "--dt", "--json", "--dump-arrays", "--iou-type", "--max-dets", "--iou-thrs",
        "--area-rng", "--img-ids", "--cat-ids", NULL};
    cli_args a;
    const char *name, *v;
    int bad = 0, r;

    cli_args_init(&a, "coco", argc, argv);
    while ((name = cli_next(&a, &bad)) != NULL) {
        if (strcmp(name, "--help") == 0) {
            coco_help(stdout);
            return -1;
        }
        r = cli_common_option(&a, &o->lib, name);
        if (r < 0) {
            return -r;
        }
        if (r > 0) {
            continue;
        }
        if (strcmp(name, "--no-cats") == 0) {
            if (!cli_flag_ok(&a)) {
                return CLI_ERR_USAGE;
            }
            o->params.use_cats = 0;
            continue;
        }
        if (strcmp(name, "--timing") == 0 || strcmp(name, "--quiet") == 0) {
            if (!cli_flag_ok(&a)) {
                return CLI_ERR_USAGE;
            }
            *(strcmp(name, "--timing") == 0 ? &o->timing : &o->quiet) = 1;
            continue;
        }
        if (!cli_known(name, value_options)) {
            return cli_usage_error("coco", "unknown option %s", name);
        }
        if ((v = cli_value(&a)) == NULL) {
            return CLI_ERR_USAGE;
        }
        if (strcmp(name, "--gt") == 0) {
            o->gt = v;
        } else if (strcmp(name, "--dt") == 0) {
            o->dt = v;
        } else if (strcmp(name, "--json") == 0) {
            o->json = v;
        } else if (strcmp(name, "--dump-arrays") == 0) {
            o->dump = v;
        } else if (strcmp(name, "--iou-type") == 0) {
            if (strcmp(v, "segm") == 0) {
                o->iou_type = MASKEVAL_IOU_SEGM;
            } else if (strcmp(v, "bbox") == 0) {
                o->iou_type = MASKEVAL_IOU_BBOX;
            } else {
                return cli_usage_error("coco", "--iou-type must be segm or bbox (got '%s')", v);
            }
        } else if (strcmp(name, "--max-dets") == 0) {
            free(o->max_dets);
            o->max_dets = NULL;
            if (!cli_parse_i64_list(v, &o->max_dets, &o->params.n_max_dets) ||
                o->params.n_max_dets < 3) {
                return cli_usage_error("coco",
                                       "--max-dets needs at least 3 comma-separated integers");
            }
            for (size_t i = 0; i < o->params.n_max_dets; i++) {
                if (o->max_dets[i] < 1) {
                    return cli_usage_error("coco", "--max-dets values must be >= 1");
                }
            }
            o->params.max_dets = o->max_dets;
        } else if (strcmp(name, "--iou-thrs") == 0) {
            free(o->iou_thrs);
            o->iou_thrs = NULL;
            if (!cli_parse_f64_list(v, &o->iou_thrs, &o->params.n_iou_thrs)) {
                return cli_usage_error("coco", "--iou-thrs needs comma-separated numbers");
            }
            o->params.iou_thrs = o->iou_thrs;
        } else if (strcmp(name, "--area-rng") == 0) {
            if (!parse_area_rng(v, o->area)) {
                return cli_usage_error("coco",
                                       "--area-rng needs 4 ranges lo:hi (all, small, medium, "
                                       "large), comma-separated");
            }
            o->params.area_rng = o->area;
        } else if (strcmp(name, "--img-ids") == 0) {
            free(o->img_ids);
            o->img_ids = NULL;
            if (!cli_parse_i64_list(v, &o->img_ids, &o->params.n_img_ids)) {
                return cli_usage_error("coco", "--img-ids needs comma-separated integers");
            }
            o->params.img_ids = o->img_ids;
        } else if (strcmp(name, "--cat-ids") == 0) {
            free(o->cat_ids);
            o->cat_ids = NULL;
            if (!cli_parse_i64_list(v, &o->cat_ids, &o->params.n_cat_ids)) {
                return cli_usage_error("coco", "--cat-ids needs comma-separated integers");
            }
            o->params.cat_ids = o->cat_ids;
        } else {
            return cli_usage_error("coco", "unknown option %s", name);
        }
    }
    if (bad) {
        return bad;
    }
    if (o->gt == NULL || o->dt == NULL || o->iou_type < 0) {
        return cli_usage_error("coco", "--gt, --dt and --iou-type are required");
    }
    o->params.iou_type = (maskeval_iou_type)o->iou_type;
    return cli_env_device("coco", &o->lib);
}

typedef struct coco_out {
    const coco_opts *o;
    const maskeval_gt *gt;
    const maskeval_coco_result *res;
    const char *backend;
} coco_out;

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
    cli_json_begin_array(j);
    for (size_t m = 0; m < dims[4]; m++) {
        cli_json_int(j, md[m]);
    }
    cli_json_end_array(j);
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

static void json_stats(cli_json *j, const maskeval_coco_result *res)
{
    double stats[12];
    maskeval_coco_result_stats(res, stats);
    cli_json_key(j, "stats");
    cli_json_begin_array(j);
    for (int i = 0; i < 12; i++) {
        cli_json_double(j, stats[i]);
    }
    cli_json_end_array(j);
}

static int write_result_json(FILE *f, void *arg)
{
    const coco_out *out = arg;
    const maskeval_coco_result *res = out->res;
    const int64_t *cats = maskeval_coco_result_cat_ids(res);
    size_t dims[5], ni, ng, nd;
    cli_json j;

    maskeval_coco_result_dims(res, dims);
    maskeval_coco_result_counts(res, &ni, &ng, &nd);
    cli_json_init(&j, f);
    cli_json_begin_object(&j);
    cli_json_key(&j, "iou_type");
    cli_json_string(&j, out->o->iou_type == MASKEVAL_IOU_SEGM ? "segm" : "bbox");
    json_stats(&j, res);
    cli_json_key(&j, "per_category");
    cli_json_begin_array(&j);
    for (size_t k = 0; k < dims[2]; k++) {
        double ap;
        const char *name = maskeval_gt_category_name(out->gt, cats[k]);
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
        cli_json_end_object(&j);
    }
    cli_json_end_array(&j);
    cli_json_key(&j, "params");
    cli_json_begin_object(&j);
    cli_json_key(&j, "use_cats");
    cli_json_bool(&j, out->o->params.use_cats);
    json_params(&j, res);
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
    const coco_out *out = arg;
    size_t dims[5];
    cli_json j;
    maskeval_coco_result_dims(out->res, dims);
    cli_json_init(&j, f);
    cli_json_begin_object(&j);
    cli_json_key(&j, "format");
    cli_json_int(&j, 1);
    cli_json_key(&j, "iou_type");
    cli_json_string(&j, out->o->iou_type == MASKEVAL_IOU_SEGM ? "segm" : "bbox");
    json_stats(&j, out->res);
    json_shape(&j, "precision", "precision.f64", dims, 0);
    json_shape(&j, "recall", "recall.f64", dims, 1);
    json_shape(&j, "scores", "scores.f64", dims, 0);
    json_params(&j, out->res);
    cli_json_end_object(&j);
    return ferror(f) ? -1 : 0;
}

static int dump_arrays(const coco_out *out, const char *dir)
{
    static const struct {
        maskeval_coco_array which;
        const char *file;
    } arrays[3] = {{MASKEVAL_ARRAY_PRECISION, "precision.f64"},
                   {MASKEVAL_ARRAY_RECALL, "recall.f64"},
                   {MASKEVAL_ARRAY_SCORES, "scores.f64"}};
    char path[4096];
    int rc = 0;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "maskeval: %s: cannot create directory: %s\n", dir, strerror(errno));
        return -1;
    }
    for (int i = 0; i < 3 && rc == 0; i++) {
        array_out a;
        double *v;
        maskeval_coco_result_array(out->res, arrays[i].which, NULL, 0, &a.n);
        v = malloc(a.n * sizeof(double) + 1);
        if (v == NULL) {
            fprintf(stderr, "maskeval: out of memory writing %s\n", dir);
            return -1;
        }
        maskeval_coco_result_array(out->res, arrays[i].which, v, a.n, &a.n);
        a.v = v;
        snprintf(path, sizeof(path), "%s/%s", dir, arrays[i].file);
        rc = cli_write_atomic(path, write_f64, &a);
        free(v);
    }
    if (rc == 0) {
        /* the header last: a reader that sees it sees complete arrays */
        snprintf(path, sizeof(path), "%s/arrays.json", dir);
        rc = cli_write_atomic(path, write_arrays_header, (void *)out);
    }
    return rc;
}

static void print_categories(const coco_out *out)
{
    size_t dims[5];
    const int64_t *cats = maskeval_coco_result_cat_ids(out->res);
    const int64_t *md = maskeval_coco_result_max_dets(out->res);
    const double *thr = maskeval_coco_result_iou_thrs(out->res);
    maskeval_coco_result_dims(out->res, dims);
    printf("\nPer-category AP @[ IoU=%0.2f:%0.2f | area=all | maxDets=%lld ]\n", thr[0],
           thr[dims[0] - 1], (long long)md[dims[4] - 1]);
    printf("%12s  %6s  %s\n", "category_id", "AP", "name");
    for (size_t k = 0; k < dims[2]; k++) {
        double ap;
        const char *name = maskeval_gt_category_name(out->gt, cats[k]);
        if (maskeval_coco_result_category_ap(out->res, k, &ap)) {
            printf("%12lld  %6.3f  %s\n", (long long)cats[k], ap, name != NULL ? name : "");
        } else {
            printf("%12lld  %6s  %s\n", (long long)cats[k], "-", name != NULL ? name : "");
        }
    }
}

static int run_coco(const coco_opts *o)
{
    maskeval_ctx *ctx = NULL;
    maskeval_gt *gt = NULL;
    maskeval_dets *dets = NULL;
    maskeval_coco_result *res = NULL;
    maskeval_status st;
    char backend[640] = "";
    char *summary = NULL;
    size_t len = 0;
    int rc = CLI_ERR_INPUT;
    unsigned flags = o->iou_type == MASKEVAL_IOU_SEGM ? MASKEVAL_LOAD_SEGM : MASKEVAL_LOAD_BBOX;
    double t0 = 0, t_gt, t_dt, t_eval;
    coco_out out;
    cli_progress_state progress;

    {
        maskeval_options lib = o->lib;
        cli_progress_init(&progress, &lib);
        st = maskeval_ctx_create(&lib, &ctx);
    }
    if (st != MASKEVAL_OK) {
        fprintf(stderr, "maskeval: %s\n", maskeval_errmsg(ctx));
        rc = st == MASKEVAL_ERR_INVALID_ARG ? CLI_ERR_USAGE : CLI_ERR_INPUT;
        goto done;
    }
    if (o->iou_type == MASKEVAL_IOU_SEGM) {
        (void)maskeval_backend_warm_up(ctx); /* overlaps loading; errors come later */
    }
    t0 = cli_now();
    st = maskeval_gt_load_file(ctx, o->gt, flags, &gt);
    t_gt = cli_now();
    if (st == MASKEVAL_OK) {
        st = maskeval_dets_load_file(ctx, gt, o->dt, &dets);
    }
    t_dt = cli_now();
    if (st == MASKEVAL_OK && (o->iou_type == MASKEVAL_IOU_SEGM ||
                              o->lib.backend == MASKEVAL_BACKEND_CPU)) {
        st = maskeval_backend_describe(ctx, backend, sizeof(backend));
    } else if (st == MASKEVAL_OK) {
        snprintf(backend, sizeof(backend), "cpu: box IoU never uses a device");
    }
    if (st == MASKEVAL_OK) {
        st = maskeval_coco_evaluate(ctx, gt, dets, &o->params, &res);
    }
    t_eval = cli_now();
    cli_progress_done(&progress);
    if (st != MASKEVAL_OK) {
        cli_report(ctx, st);
        if (st == MASKEVAL_ERR_INVALID_ARG) {
            rc = CLI_ERR_USAGE;
        }
        goto done;
    }
    out.o = o;
    out.gt = gt;
    out.res = res;
    out.backend = backend;
    maskeval_coco_result_summary(res, NULL, 0, &len);
    summary = malloc(len + 1);
    if (summary == NULL || maskeval_coco_result_summary(res, summary, len + 1, &len) != MASKEVAL_OK) {
        fprintf(stderr, "maskeval: out of memory\n");
        goto done;
    }
    if (o->json != NULL && strcmp(o->json, "-") == 0) {
        /* JSON on stdout replaces the human-readable output. */
        if (cli_write_atomic("-", write_result_json, &out) != 0) {
            goto done;
        }
    } else {
        fputs(summary, stdout);
        if (!o->quiet) {
            print_categories(&out);
        }
        fflush(stdout);
        if (o->json != NULL && cli_write_atomic(o->json, write_result_json, &out) != 0) {
            goto done;
        }
    }
    if (o->dump != NULL && dump_arrays(&out, o->dump) != 0) {
        goto done;
    }
    if (o->timing) {
        double stage[4];
        maskeval_coco_result_timing(res, stage);
        fprintf(stderr,
                "maskeval: timing: read+parse gt %.3f s, read+parse+decode results %.3f s, "
                "group %.3f s, IoU %.3f s, match %.3f s, accumulate+summarize %.3f s, "
                "evaluate total %.3f s [%s]\n",
                t_gt - t0, t_dt - t_gt, stage[0], stage[1], stage[2], stage[3], t_eval - t_dt,
                backend);
    }
    rc = CLI_OK;
done:
    free(summary);
    maskeval_coco_result_destroy(res);
    maskeval_dets_destroy(dets);
    maskeval_gt_destroy(gt);
    maskeval_ctx_destroy(ctx);
    return rc;
}

void cli_coco_opts_init(coco_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->iou_type = -1;
    maskeval_options_init(&o->lib);
    o->lib.log_fn = cli_log;
    maskeval_coco_params_init(&o->params);
}

int cmd_coco(int argc, char **argv)
{
    coco_opts o;
    int rc;
    cli_coco_opts_init(&o);
    rc = cli_coco_parse(argc, argv, &o);
    if (rc == -1) {
        cli_coco_opts_free(&o);
        return CLI_OK; /* --help */
    }
    if (rc == 0) {
        rc = run_coco(&o);
    }
    cli_coco_opts_free(&o);
    return rc;
}
