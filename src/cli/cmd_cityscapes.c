/*
 * cmd_cityscapes.c - `maskeval cityscapes-instances`: instance-level AP and
 * AP50 of Cityscapes predictions (cityscapesScripts 2.3.0,
 * evalInstanceLevelSemanticLabeling), with the reference's result table.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cityscapes_files.h"
#include "cli.h"

static void cs_help(FILE *f)
{
    fprintf(f,
            "usage: maskeval cityscapes-instances --gt-dir DIR --pred-dir DIR [options]\n"
            "\n"
            "Cityscapes instance-level AP (mean over IoU > 0.50:0.05:0.95) and AP50 per class\n"
            "and on average, as cityscapesScripts 2.3.0 computes them. Ground truth: every\n"
            "*_gtFine_instanceIds.png below --gt-dir. Predictions: for <city>_<seq>_<frame>\n"
            "the one <city>_<seq>_<frame>*.txt below --pred-dir, with lines\n"
            "\"relPathToMask labelId confidence\"; masks are PNGs, nonzero in Pillow's \"L\"\n"
            "conversion on the instance.\n"
            "\n"
            "options:\n"
            "  --gt-dir DIR, --pred-dir DIR  ground-truth and prediction folders\n"
            "  --json FILE                 write the averages, the AP matrix and the\n"
            "                              thresholds ('-' = stdout; NaN as null)\n"
            "  --min-region-size N         ground-truth instances below N pixels are ignored\n"
            "                              (default 100)\n"
            "  --max-image-pixels N        refuse images of more pixels (default 2^28)\n"
            "  --ddot-kernel K             skylakex (default) or haswell: the OpenBLAS ddot\n"
            "                              kernel whose summation order the AP follows, as\n"
            "                              numpy's np.dot on an AVX-512 or an AVX2 CPU (the\n"
            "                              last bits of an AP can differ between the two)\n"
            "  --threads N                 images decoded in parallel (default 0: every CPU;\n"
            "                              results never depend on it)\n"
            "  --quiet                     only the average line\n"
            "\n"
            "exit status: 0 success, 1 bad input, 2 usage error\n");
}

typedef struct cs_opts {
    const char *gt, *pred, *json;
    uint64_t min_region, max_pixels;
    int quiet, threads, ddot_kernel;
} cs_opts;

static void fmt3(char *buf, size_t cap, double v)
{
    /* Python's "{:>15.3f}" (nan without a sign) */
    if (isnan(v)) {
        snprintf(buf, cap, "%15s", "nan");
    } else {
        snprintf(buf, cap, "%15.3f", v);
    }
}

static void print_table(FILE *f, const maskeval_csinst_result *r, int quiet)
{
    char a[32], b[32];
    if (!quiet) {
        fprintf(f, "\n");
        for (int i = 0; i < 50; i++) {
            fputc('#', f);
        }
        fprintf(f, "\n%-15s:%15s%15s\n", "what", "AP", "AP_50%");
        for (int i = 0; i < 50; i++) {
            fputc('#', f);
        }
        fputc('\n', f);
        for (int c = 0; c < MASKEVAL_CSINST_CLASSES; c++) {
            fmt3(a, sizeof(a), r->class_ap[c]);
            fmt3(b, sizeof(b), r->class_ap50[c]);
            fprintf(f, "%-15s:%s%s\n", maskeval_csinst_class_name(c), a, b);
        }
        for (int i = 0; i < 50; i++) {
            fputc('-', f);
        }
        fputc('\n', f);
    }
    fmt3(a, sizeof(a), r->all_ap);
    fmt3(b, sizeof(b), r->all_ap50);
    fprintf(f, "%-15s:%s%s\n", "average", a, b);
    if (!quiet) {
        fputc('\n', f);
    }
}

typedef struct json_arg {
    const maskeval_csinst_result *r;
    uint64_t min_region;
    int ddot_kernel;
} json_arg;

static int write_json(FILE *f, void *arg)
{
    const json_arg *ja = arg;
    const maskeval_csinst_result *r = ja->r;
    cli_json j;
    cli_json_init(&j, f);
    cli_json_begin_object(&j);
    cli_json_key(&j, "reference");
    cli_json_string(&j, "cityscapesscripts 2.3.0 evalInstanceLevelSemanticLabeling");
    cli_json_key(&j, "averages");
    cli_json_begin_object(&j);
    cli_json_key(&j, "allAp");
    cli_json_double(&j, r->all_ap);
    cli_json_key(&j, "allAp50%");
    cli_json_double(&j, r->all_ap50);
    cli_json_key(&j, "classes");
    cli_json_begin_object(&j);
    for (int c = 0; c < MASKEVAL_CSINST_CLASSES; c++) {
        cli_json_key(&j, maskeval_csinst_class_name(c));
        cli_json_begin_object(&j);
        cli_json_key(&j, "ap");
        cli_json_double(&j, r->class_ap[c]);
        cli_json_key(&j, "ap50%");
        cli_json_double(&j, r->class_ap50[c]);
        cli_json_end_object(&j);
    }
    cli_json_end_object(&j);
    cli_json_end_object(&j);
    cli_json_key(&j, "instLabels");
    cli_json_begin_array(&j);
    for (int c = 0; c < MASKEVAL_CSINST_CLASSES; c++) {
        cli_json_string(&j, maskeval_csinst_class_name(c));
    }
    cli_json_end_array(&j);
    cli_json_key(&j, "overlaps");
    cli_json_begin_array(&j);
    for (int t = 0; t < MASKEVAL_CSINST_THRESHOLDS; t++) {
        cli_json_double(&j, maskeval_csinst_threshold(t));
    }
    cli_json_end_array(&j);
    cli_json_key(&j, "minRegionSize");
    cli_json_uint(&j, ja->min_region);
    cli_json_key(&j, "ddotKernel");
    cli_json_string(&j, ja->ddot_kernel == MASKEVAL_DDOT_HASWELL ? "haswell" : "skylakex");
    cli_json_key(&j, "resultApMatrix");
    cli_json_begin_array(&j);
    for (int c = 0; c < MASKEVAL_CSINST_CLASSES; c++) {
        cli_json_begin_array(&j);
        for (int t = 0; t < MASKEVAL_CSINST_THRESHOLDS; t++) {
            cli_json_double(&j, r->ap[c][t]);
        }
        cli_json_end_array(&j);
    }
    cli_json_end_array(&j);
    cli_json_key(&j, "images");
    cli_json_uint(&j, r->images);
    cli_json_key(&j, "gtInstances");
    cli_json_uint(&j, r->gt_instances);
    cli_json_key(&j, "predictions");
    cli_json_uint(&j, r->predictions);
    cli_json_end_object(&j);
    fputc('\n', f);
    return ferror(f) ? -1 : 0;
}

static int cs_parse(int argc, char **argv, cs_opts *o)
{
    static const char *const value_options[] = {"--gt-dir", "--pred-dir", "--json",
                                                "--min-region-size", "--max-image-pixels",
                                                "--threads", "--ddot-kernel", NULL};
    cli_args a;
    const char *name, *v;
    int bad = 0;
    int64_t n;
    cli_args_init(&a, "cityscapes-instances", argc, argv);
    while ((name = cli_next(&a, &bad)) != NULL) {
        if (strcmp(name, "--help") == 0) {
            cs_help(stdout);
            return -1;
        }
        if (strcmp(name, "--quiet") == 0) {
            if (!cli_flag_ok(&a)) {
                return CLI_ERR_USAGE;
            }
            o->quiet = 1;
            continue;
        }
        if (!cli_known(name, value_options)) {
            return cli_usage_error("cityscapes-instances", "unknown option %s", name);
        }
        if ((v = cli_value(&a)) == NULL) {
            return CLI_ERR_USAGE;
        }
        if (strcmp(name, "--gt-dir") == 0) {
            o->gt = v;
        } else if (strcmp(name, "--pred-dir") == 0) {
            o->pred = v;
        } else if (strcmp(name, "--json") == 0) {
            o->json = v;
        } else if (strcmp(name, "--min-region-size") == 0) {
            if (!cli_parse_i64(v, &n) || n < 0) {
                return cli_usage_error("cityscapes-instances",
                                       "--min-region-size needs a pixel count >= 0 (got '%s')", v);
            }
            o->min_region = (uint64_t)n;
        } else if (strcmp(name, "--threads") == 0) {
            if (!cli_parse_i64(v, &n) || n < 0 || n > 256) {
                return cli_usage_error("cityscapes-instances",
                                       "--threads needs a number from 0 to 256 (got '%s')", v);
            }
            o->threads = (int)n;
        } else if (strcmp(name, "--ddot-kernel") == 0) {
            if (strcmp(v, "skylakex") == 0) {
                o->ddot_kernel = MASKEVAL_DDOT_SKYLAKEX;
            } else if (strcmp(v, "haswell") == 0) {
                o->ddot_kernel = MASKEVAL_DDOT_HASWELL;
            } else {
                return cli_usage_error("cityscapes-instances",
                                       "--ddot-kernel is skylakex or haswell (got '%s')", v);
            }
        } else {
            if (!cli_parse_u64_size(v, &o->max_pixels) || o->max_pixels == 0 ||
                o->max_pixels > ((uint64_t)1 << 30)) {
                return cli_usage_error("cityscapes-instances",
                                       "--max-image-pixels needs a count from 1 to 2^30 (got '%s')",
                                       v);
            }
        }
    }
    if (bad) {
        return bad;
    }
    if (o->gt == NULL || o->pred == NULL) {
        return cli_usage_error("cityscapes-instances", "--gt-dir and --pred-dir are required");
    }
    return 0;
}

int cmd_cityscapes_instances(int argc, char **argv)
{
    cs_opts o;
    cs_pairs pairs;
    maskeval_options lib;
    maskeval_ctx *ctx = NULL;
    maskeval_csinst *e = NULL;
    maskeval_csinst_params p;
    maskeval_csinst_result r;
    maskeval_status st;
    int rc;
    const char *inputs[2];

    memset(&o, 0, sizeof(o));
    memset(&pairs, 0, sizeof(pairs));
    o.min_region = 100;
    rc = cs_parse(argc, argv, &o);
    if (rc != 0) {
        return rc == -1 ? CLI_OK : rc;
    }
    inputs[0] = o.gt;
    inputs[1] = o.pred;
    if ((rc = cli_output_check("cityscapes-instances", "--json", o.json, 0, inputs, 2)) != 0) {
        return rc;
    }
    rc = CLI_ERR_INPUT;
    if (cli_cs_pair_files(o.gt, o.pred, &pairs) != 0) {
        goto done;
    }
    maskeval_options_init(&lib);
    lib.log_fn = cli_log;
    lib.backend = MASKEVAL_BACKEND_CPU;
    lib.threads = o.threads;
    st = maskeval_ctx_create(&lib, &ctx);
    if (st == MASKEVAL_OK) {
        maskeval_csinst_params_init(&p);
        p.min_region_size = o.min_region;
        p.max_image_pixels = o.max_pixels;
        p.ddot_kernel = o.ddot_kernel;
        st = maskeval_csinst_create(ctx, &p, &e);
    }
    if (st == MASKEVAL_OK) {
        st = maskeval_csinst_add_many(ctx, e, (const char *const *)pairs.gt,
                                      (const char *const *)pairs.pred, pairs.n, o.pred);
    }
    if (st == MASKEVAL_OK) {
        st = maskeval_csinst_evaluate(ctx, e, &r);
    }
    if (st != MASKEVAL_OK) {
        if (ctx == NULL) {
            fprintf(stderr, "maskeval: out of memory\n");
        } else {
            cli_report(ctx, st);
        }
        goto done;
    }
    if (o.json != NULL) {
        json_arg ja = {&r, o.min_region, o.ddot_kernel};
        if (cli_write_atomic(o.json, write_json, &ja) != 0) {
            goto done;
        }
    }
    if (o.json == NULL || strcmp(o.json, "-") != 0) {
        print_table(stdout, &r, o.quiet);
    }
    rc = CLI_OK;
done:
    maskeval_csinst_destroy(e);
    maskeval_ctx_destroy(ctx);
    cli_cs_pairs_free(&pairs);
    return rc;
}
