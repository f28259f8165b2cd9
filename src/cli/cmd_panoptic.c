/*
 * cmd_panoptic.c - `maskeval panoptic`: panopticapi's pq_compute (and
 * Boundary PQ with --boundary) on COCO panoptic JSON + PNG folders.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void panoptic_help(FILE *f)
{
    fprintf(f,
            "usage: maskeval panoptic --gt-json GT.json --pred-json PRED.json [options]\n"
            "\n"
            "Panoptic quality (PQ, SQ, RQ per category and over All / Things / Stuff),\n"
            "bit-identical to panopticapi's pq_compute; with --boundary, Boundary PQ as\n"
            "boundary-iou-api computes it (pair IoU = min(mask IoU, boundary IoU)).\n"
            "Segment PNGs are 8-bit RGB, id = R + 256 G + 65536 B, 0 = VOID.\n"
            "\n"
            "options:\n"
            "  --gt-json FILE, --pred-json FILE  COCO panoptic annotations and predictions\n"
            "  --gt-dir DIR, --pred-dir DIR      PNG folders (default: the JSON path without\n"
            "                                    '.json', as panopticapi)\n"
            "  --chunks N            sum IoUs as panopticapi does on N processes (its\n"
            "                        cpu_count(); default 1). Counts never depend on it; the\n"
            "                        last bits of SQ and PQ can\n"
            "  --boundary            Boundary PQ\n"
            "  --dilation-ratio R    boundary width as a fraction of the image diagonal\n"
            "                        (default 0.02; implies --boundary)\n"
            "  --json FILE           also write every number as JSON ('-' = stdout)\n"
            "  --shard I/N           evaluate only the images at positions p with p %% N == I\n"
            "                        (needs --partial)\n"
            "  --partial FILE        write the per-image records instead of metrics (combine\n"
            "                        with 'maskeval merge': the same numbers as one process)\n"
            "  --max-image-pixels N  refuse PNGs of more pixels (default 2^28, at most 2^30)\n"
            "  --threads N           worker threads (default: all CPUs)\n"
            "  --backend auto|cpu|opencl  where segment pairs are counted, with the same\n"
            "                        numbers (default auto: the device only where the profile\n"
            "                        of 'maskeval devices --calibrate' predicts it is faster\n"
            "                        for this many pixels; README \"--backend auto\")\n"
            "  --device N, --max-device-mem SIZE   as for 'maskeval coco'\n"
            "  --timing              print the evaluation time to stderr\n"
            "  --quiet               only panopticapi's table, no per-category table\n"
            "\n"
            "exit status: 0 success, 1 bad input or runtime error, 2 usage error\n");
}

typedef struct pan_opts {
    const char *json, *partial;
    uint32_t shard_index, shard_count;
    int timing, quiet, boundary;
    maskeval_options lib;
    maskeval_panoptic_params params;
} pan_opts;

static int pan_parse(int argc, char **argv, pan_opts *o)
{
    static const char *const value_options[] = {
        "--gt-json", "--pred-json", "--gt-dir",    "--pred-dir",         "--json",
        "--chunks",  "--dilation-ratio", "--max-image-pixels", "--shard", "--partial", NULL};
    cli_args a;
    const char *name, *v;
    int bad = 0, r;
    int64_t n;

    cli_args_init(&a, "panoptic", argc, argv);
    while ((name = cli_next(&a, &bad)) != NULL) {
        if (strcmp(name, "--help") == 0) {
            panoptic_help(stdout);
            return -1;
        }
        if (strcmp(name, "--threads") == 0 || strcmp(name, "--backend") == 0 ||
            strcmp(name, "--device") == 0 || strcmp(name, "--max-device-mem") == 0) {
            r = cli_common_option(&a, &o->lib, name);
            if (r < 0) {
                return -r;
            }
            continue;
        }
        if (strcmp(name, "--timing") == 0 || strcmp(name, "--quiet") == 0 ||
            strcmp(name, "--boundary") == 0) {
            if (!cli_flag_ok(&a)) {
                return CLI_ERR_USAGE;
            }
            *(strcmp(name, "--timing") == 0  ? &o->timing
              : strcmp(name, "--quiet") == 0 ? &o->quiet
                                             : &o->boundary) = 1;
            continue;
        }
        if (!cli_known(name, value_options)) {
            return cli_usage_error("panoptic", "unknown option %s", name);
        }
        if ((v = cli_value(&a)) == NULL) {
            return CLI_ERR_USAGE;
        }
        if (strcmp(name, "--gt-json") == 0) {
            o->params.gt_json = v;
        } else if (strcmp(name, "--pred-json") == 0) {
            o->params.pred_json = v;
        } else if (strcmp(name, "--gt-dir") == 0) {
            o->params.gt_dir = v;
        } else if (strcmp(name, "--pred-dir") == 0) {
            o->params.pred_dir = v;
        } else if (strcmp(name, "--json") == 0) {
            o->json = v;
        } else if (strcmp(name, "--partial") == 0) {
            o->partial = v;
        } else if (strcmp(name, "--shard") == 0) {
            if ((r = cli_parse_shard("panoptic", v, &o->shard_index, &o->shard_count)) != 0) {
                return r;
            }
        } else if (strcmp(name, "--chunks") == 0) {
            if (!cli_parse_i64(v, &n) || n < 1 || n > 65536) {
                return cli_usage_error("panoptic", "--chunks needs an integer in 1..65536 (got '%s')",
                                       v);
            }
            o->params.chunks = (uint32_t)n;
        } else if (strcmp(name, "--dilation-ratio") == 0) {
            double *x = NULL;
            size_t k = 0;
            const int ok = cli_parse_f64_list(v, &x, &k) && k == 1 && x[0] > 0 && isfinite(x[0]);
            if (ok) {
                o->params.dilation_ratio = x[0];
            }
            free(x);
            if (!ok) {
                return cli_usage_error("panoptic",
                                       "--dilation-ratio needs a number above 0 (got '%s')", v);
            }
            o->boundary = 1;
        } else {
            if (!cli_parse_i64(v, &n) || n < 1 || n > ((int64_t)1 << 30)) {
                return cli_usage_error("panoptic",
                                       "--max-image-pixels needs an integer in 1..2^30 (got '%s')",
                                       v);
            }
            o->params.max_image_pixels = (uint64_t)n;
        }
    }
    if (bad) {
        return bad;
    }
    if (o->params.gt_json == NULL || o->params.pred_json == NULL) {
        return cli_usage_error("panoptic", "--gt-json and --pred-json are required");
    }
    if (o->shard_count > 1 && o->partial == NULL) {
        return cli_usage_error("panoptic", "--shard needs --partial (combine the shards with "
                                           "'maskeval merge')");
    }
    if (o->partial != NULL && o->json != NULL) {
        return cli_usage_error("panoptic", "--partial writes counts, not metrics: drop --json "
                                           "(maskeval merge writes it)");
    }
    if ((r = cli_env_device("panoptic", &o->lib)) != 0) {
        return r;
    }
    o->params.shard_index = o->shard_index;
    o->params.shard_count = o->shard_count;
    if (o->boundary && o->params.dilation_ratio == 0) {
        o->params.dilation_ratio = 0.02;
    }
    return 0;
}

static const char *const group_names[3] = {"All", "Things", "Stuff"};

static void write_summary(cli_json *j, const maskeval_pq_summary *s)
{
    cli_json_begin_object(j);
    cli_json_key(j, "pq");
    cli_json_double(j, s->pq);
    cli_json_key(j, "sq");
    cli_json_double(j, s->sq);
    cli_json_key(j, "rq");
    cli_json_double(j, s->rq);
    cli_json_key(j, "n");
    cli_json_uint(j, s->n);
    cli_json_end_object(j);
}

static int write_json(FILE *f, void *arg)
{
    const maskeval_panoptic *r = arg;
    const size_t n = maskeval_panoptic_n_classes(r);
    cli_json j;
    char key[32];
    cli_json_init(&j, f);
    cli_json_begin_object(&j);
    cli_json_key(&j, "metric");
    cli_json_string(&j, maskeval_panoptic_dilation_ratio(r) > 0 ? "boundary_pq" : "pq");
    for (int g = 0; g < 3; g++) {
        maskeval_pq_summary s;
        maskeval_panoptic_summary(r, (maskeval_pq_group)g, &s);
        cli_json_key(&j, group_names[g]);
        write_summary(&j, &s);
    }
    cli_json_key(&j, "per_class");
    cli_json_begin_object(&j);
    for (size_t i = 0; i < n; i++) {
        maskeval_pq_class c;
        maskeval_panoptic_class(r, i, &c);
        snprintf(key, sizeof key, "%lld", (long long)c.id);
        cli_json_key(&j, key);
        cli_json_begin_object(&j);
        cli_json_key(&j, "name");
        cli_json_string(&j, c.name);
        cli_json_key(&j, "isthing");
        cli_json_bool(&j, c.isthing);
        cli_json_key(&j, "pq");
        cli_json_double(&j, c.pq);
        cli_json_key(&j, "sq");
        cli_json_double(&j, c.sq);
        cli_json_key(&j, "rq");
        cli_json_double(&j, c.rq);
        cli_json_key(&j, "iou");
        cli_json_double(&j, c.iou);
        cli_json_key(&j, "tp");
        cli_json_uint(&j, c.tp);
        cli_json_key(&j, "fp");
        cli_json_uint(&j, c.fp);
        cli_json_key(&j, "fn");
        cli_json_uint(&j, c.fn);
        cli_json_end_object(&j);
    }
    cli_json_end_object(&j);
    cli_json_key(&j, "params");
    cli_json_begin_object(&j);
    cli_json_key(&j, "chunks");
    cli_json_uint(&j, maskeval_panoptic_chunks(r));
    cli_json_key(&j, "dilation_ratio");
    if (maskeval_panoptic_dilation_ratio(r) > 0) {
        cli_json_double(&j, maskeval_panoptic_dilation_ratio(r));
    } else {
        cli_json_null(&j);
    }
    cli_json_key(&j, "images");
    cli_json_uint(&j, maskeval_panoptic_n_images(r));
    cli_json_end_object(&j);
    cli_json_end_object(&j);
    fputc('\n', f);
    return ferror(f) ? -1 : 0;
}

/* panopticapi's table ("{:10s}| {:5.1f}  {:5.1f}  {:5.1f} {:5d}"), then the categories */
static int print_text(const maskeval_panoptic *r, int quiet)
{
    const size_t n = maskeval_panoptic_n_classes(r);
    printf("%-10s| %5s  %5s  %5s %5s\n", "", "PQ", "SQ", "RQ", "N");
    printf("--------------------------------------\n");
    for (int g = 0; g < 3; g++) {
        maskeval_pq_summary s;
        maskeval_panoptic_summary(r, (maskeval_pq_group)g, &s);
        printf("%-10s| %5.1f  %5.1f  %5.1f %5zu\n", group_names[g], 100 * s.pq, 100 * s.sq,
               100 * s.rq, s.n);
    }
    if (!quiet) {
        printf("\n%8s  %-24s %5s %6s %6s %6s %7s %7s %7s\n", "id", "category", "thing", "PQ", "SQ",
               "RQ", "TP", "FP", "FN");
        for (size_t i = 0; i < n; i++) {
            maskeval_pq_class c;
            maskeval_panoptic_class(r, i, &c);
            printf("%8lld  %-24.24s %5s %6.1f %6.1f %6.1f %7llu %7llu %7llu\n", (long long)c.id,
                   c.name, c.isthing ? "yes" : "no", 100 * c.pq, 100 * c.sq, 100 * c.rq,
                   (unsigned long long)c.tp, (unsigned long long)c.fp, (unsigned long long)c.fn);
        }
    }
    return ferror(stdout) ? -1 : 0;
}

int cli_panoptic_report(const maskeval_panoptic *r, const char *json, int quiet)
{
    int rc;
    if (json != NULL && strcmp(json, "-") == 0) {
        rc = cli_write_atomic("-", write_json, (void *)r);
    } else {
        rc = print_text(r, quiet);
        if (rc == 0 && json != NULL) {
            rc = cli_write_atomic(json, write_json, (void *)r);
        }
    }
    if (rc != 0 || fflush(stdout) != 0 || ferror(stdout)) {
        if (rc == 0) {
            fprintf(stderr, "maskeval: cannot write to stdout: %s\n", strerror(errno));
        }
        return CLI_ERR_INPUT;
    }
    return CLI_OK;
}

static int pan_run(const pan_opts *o)
{
    maskeval_ctx *ctx = NULL;
    maskeval_panoptic *r = NULL;
    maskeval_options lib = o->lib;
    const char *inputs[2] = {o->params.gt_json, o->params.pred_json};
    const char *out_path = o->partial != NULL ? o->partial : o->json;
    maskeval_status st;
    double t0, t1;
    int rc;

    if ((rc = cli_output_check("panoptic", o->partial != NULL ? "--partial" : "--json", out_path,
                               0, inputs, 2)) != 0) {
        return rc;
    }
    rc = CLI_ERR_INPUT;
    st = maskeval_ctx_create(&lib, &ctx);
    if (st != MASKEVAL_OK) {
        fprintf(stderr, "maskeval: %s\n", maskeval_errmsg(ctx));
        rc = st == MASKEVAL_ERR_INVALID_ARG ? CLI_ERR_USAGE : CLI_ERR_INPUT;
        goto done;
    }
    t0 = cli_now();
    st = maskeval_panoptic_evaluate(ctx, &o->params, &r);
    t1 = cli_now();
    if (st != MASKEVAL_OK) {
        cli_report(ctx, st);
        goto done;
    }
    if (o->partial != NULL) {
        rc = cli_write_panoptic_partial(ctx, o->partial, r) == 0 ? CLI_OK : CLI_ERR_INPUT;
    } else {
        rc = cli_panoptic_report(r, o->json, o->quiet);
    }
    if (rc != CLI_OK) {
        goto done;
    }
    if (o->timing) {
        fprintf(stderr, "maskeval: timing: %zu images %.3f s\n", maskeval_panoptic_n_images(r),
                t1 - t0);
    }
    rc = CLI_OK;
done:
    maskeval_panoptic_destroy(r);
    cli_ctx_done(ctx);
    return rc;
}

int cmd_panoptic(int argc, char **argv)
{
    pan_opts o;
    int rc;
    memset(&o, 0, sizeof(o));
    maskeval_options_init(&o.lib);
    o.lib.log_fn = cli_log;
    maskeval_panoptic_params_init(&o.params);
    rc = pan_parse(argc, argv, &o);
    if (rc == -1) {
        return CLI_OK;
    }
    return rc == 0 ? pan_run(&o) : rc;
}
