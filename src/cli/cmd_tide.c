/*
 * cmd_tide.c - `maskeval tide`: tidecv's error analysis of detections.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void tide_help(FILE *f)
{
    fprintf(f,
            "usage: maskeval tide --gt GT.json --dt RESULTS.json --iou-type segm|bbox [options]\n"
            "\n"
            "TIDE error analysis, bit-identical to tidecv 1.0.1 (TIDE.MASK for segm, TIDE.BOX for\n"
            "bbox): TIDE's AP at --pos-thresh, the AP gained by fixing each error type alone\n"
            "(Cls, Loc, Both, Dupe, Bkg, Miss) and the special FalsePos / FalseNeg, in percent,\n"
            "plus how many errors of each type there are. This is not COCO's AP: matching is\n"
            "greedy across classes at one threshold, crowds only absorb detections, the cap is\n"
            "per image (README: TIDE).\n"
            "\n"
            "options:\n"
            "  --gt FILE              ground truth (COCO instances JSON)\n"
            "  --dt FILE              results (JSON array, pycocotools loadRes format)\n"
            "  --iou-type segm|bbox   mask IoU or box IoU\n"
            "  --pos-thresh T         foreground IoU threshold (default 0.5)\n"
            "  --bg-thresh T          background IoU threshold (default 0.1)\n"
            "  --max-dets N           detections kept per image, all classes (default 100)\n"
            "  --no-range             skip the AP at 0.5:0.95 (tidecv's evaluate_range)\n"
            "  --json FILE            also write the results as JSON ('-' = stdout)\n"
            "  --backend auto|cpu|opencl   where mask intersections are computed\n"
            "  --device N             OpenCL device index (env MASKEVAL_DEVICE)\n"
            "  --max-device-mem SIZE  cap device memory per batch\n"
            "  --threads N            worker threads (default: all CPUs)\n"
            "  --timing               print load and analysis times to stderr\n"
            "  --quiet                only the AP lines and one line of dAP\n"
            "  --format text|json|csv|md  what stdout shows (default text)\n"
            "  --min-ap X             exit 3 (after writing every output) when AP < X\n"
            "  --min STAT=X[,...]     the same for AP (at --pos-thresh) or AP50:95\n"
            "\n"
            "exit status: 0 success, 1 bad input or runtime error, 2 usage error, 3 a --min\n"
            "gate failed (every output was written)\n");
}

typedef struct tide_opts {
    const char *gt, *dt, *json;
    int iou_type; /* -1 unset */
    int timing, quiet;
    cli_report_opts report;
    maskeval_options lib;
    maskeval_tide_params params;
} tide_opts;

static int parse_thresh(const char *opt, const char *v, double *out)
{
    double *x = NULL;
    size_t n = 0;
    int ok = cli_parse_f64_list(v, &x, &n) && n == 1 && x[0] >= 0 && x[0] <= 1;
    if (ok) {
        *out = x[0];
    }
    free(x);
    return ok ? 0 : cli_usage_error("tide", "%s needs a number in [0, 1] (got '%s')", opt, v);
}

static int tide_parse(int argc, char **argv, tide_opts *o)
{
    static const char *const value_options[] = {"--gt",         "--dt",        "--json",
                                                "--iou-type",   "--pos-thresh", "--bg-thresh",
                                                "--max-dets",   NULL};
    cli_args a;
    const char *name, *v;
    int bad = 0, r;
    int64_t n;

    cli_args_init(&a, "tide", argc, argv);
    while ((name = cli_next(&a, &bad)) != NULL) {
        if (strcmp(name, "--help") == 0) {
            tide_help(stdout);
            return -1;
        }
        r = cli_common_option(&a, &o->lib, name);
        if (r == 0) {
            r = cli_report_option(&a, &o->report, name, maskeval_report_tide_stat_names);
        }
        if (r < 0) {
            return -r;
        }
        if (r > 0) {
            continue;
        }
        if (strcmp(name, "--timing") == 0 || strcmp(name, "--quiet") == 0 ||
            strcmp(name, "--no-range") == 0) {
            if (!cli_flag_ok(&a)) {
                return CLI_ERR_USAGE;
            }
            if (strcmp(name, "--no-range") == 0) {
                o->params.range = 0;
            } else {
                *(strcmp(name, "--timing") == 0 ? &o->timing : &o->quiet) = 1;
            }
            continue;
        }
        if (!cli_known(name, value_options)) {
            return cli_usage_error("tide", "unknown option %s", name);
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
        } else if (strcmp(name, "--iou-type") == 0) {
            if (strcmp(v, "segm") == 0) {
                o->iou_type = MASKEVAL_IOU_SEGM;
            } else if (strcmp(v, "bbox") == 0) {
                o->iou_type = MASKEVAL_IOU_BBOX;
            } else {
                return cli_usage_error("tide", "--iou-type must be segm or bbox (got '%s')", v);
            }
        } else if (strcmp(name, "--pos-thresh") == 0) {
            if ((r = parse_thresh(name, v, &o->params.pos_thresh)) != 0) {
                return r;
            }
        } else if (strcmp(name, "--bg-thresh") == 0) {
            if ((r = parse_thresh(name, v, &o->params.bg_thresh)) != 0) {
                return r;
            }
        } else {
            if (!cli_parse_i64(v, &n) || n < 1 || n > UINT32_MAX) {
                return cli_usage_error("tide", "--max-dets needs a positive integer (got '%s')",
                                       v);
            }
            o->params.max_dets = (uint32_t)n;
        }
    }
    if (bad) {
        return bad;
    }
    if (o->gt == NULL || o->dt == NULL || o->iou_type < 0) {
        return cli_usage_error("tide", "--gt, --dt and --iou-type are required");
    }
    if (!(o->params.pos_thresh > 0)) {
        return cli_usage_error("tide", "--pos-thresh must be above 0");
    }
    if (o->params.bg_thresh > o->params.pos_thresh) {
        return cli_usage_error("tide", "--bg-thresh must not exceed --pos-thresh");
    }
    if ((bad = cli_report_check("tide", &o->report, o->json, 0)) != 0) {
        return bad;
    }
    for (size_t i = 0; i < o->report.gates.n; i++) {
        if (!o->params.range && strcmp(o->report.gates.g[i].stat, "AP50:95") == 0) {
            return cli_usage_error("tide", "--min AP50:95 needs the range run (drop --no-range)");
        }
    }
    o->params.iou_type = (maskeval_iou_type)o->iou_type;
    return cli_env_device("tide", &o->lib);
}

static int write_json(FILE *f, void *arg)
{
    return maskeval_report_tide_json(f, arg);
}

static int tide_report(const tide_opts *o, const maskeval_report_tide *t)
{
    maskeval_report_format fmt = o->report.have_format ? o->report.format : MASKEVAL_FORMAT_TEXT;
    cli_outputs outs;
    char reason[512];
    int rc = -1;

    cli_outputs_init(&outs);
    if (fmt == MASKEVAL_FORMAT_JSON || (o->json != NULL && strcmp(o->json, "-") == 0)) {
        rc = cli_write_atomic("-", write_json, (void *)t);
    } else if (fmt == MASKEVAL_FORMAT_CSV) {
        rc = maskeval_report_tide_csv(stdout, t);
    } else if (fmt == MASKEVAL_FORMAT_MD) {
        rc = maskeval_report_tide_md(stdout, t);
    } else {
        rc = maskeval_report_tide_text(stdout, t, o->quiet);
    }
    if (rc != 0 || fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "maskeval: cannot write to stdout: %s\n", strerror(errno));
        return -1;
    }
    if (o->json != NULL && strcmp(o->json, "-") != 0 &&
        cli_outputs_add(&outs, o->json, write_json, (void *)t) != 0) {
        cli_outputs_abort(&outs);
        return -1;
    }
    if (cli_outputs_commit(&outs) != 0) {
        return -1;
    }
    if (maskeval_gates_check(&o->report.gates, maskeval_report_tide_stat, t, reason,
                             sizeof(reason)) != 0) {
        fprintf(stderr, "maskeval: gate failed: %s\n", reason);
        return CLI_GATE_FAILED;
    }
    return 0;
}

static int tide_run(const tide_opts *o)
{
    maskeval_ctx *ctx = NULL;
    maskeval_gt *gt = NULL;
    maskeval_dets *dets = NULL;
    maskeval_tide_summary sum;
    maskeval_report_tide t;
    maskeval_options lib = o->lib;
    maskeval_status st;
    char backend[640] = "";
    unsigned flags = o->iou_type == MASKEVAL_IOU_SEGM ? MASKEVAL_LOAD_SEGM : MASKEVAL_LOAD_BBOX;
    const char *inputs[2] = {o->gt, o->dt};
    double t0, t_gt, t_dt, t_eval;
    int rc;

    if ((rc = cli_output_check("tide", "--json", o->json, 0, inputs, 2)) != 0) {
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
    st = maskeval_gt_load_file(ctx, o->gt, flags, &gt);
    t_gt = cli_now();
    if (st == MASKEVAL_OK) {
        st = maskeval_dets_load_file(ctx, gt, o->dt, &dets);
    }
    t_dt = cli_now();
    if (st == MASKEVAL_OK && o->iou_type == MASKEVAL_IOU_SEGM) {
        st = maskeval_backend_describe(ctx, backend, sizeof(backend));
    } else if (st == MASKEVAL_OK) {
        snprintf(backend, sizeof(backend), "cpu (box IoU never uses a device)");
    }
    if (st != MASKEVAL_OK) {
        cli_report(ctx, st);
        goto done;
    }
    st = maskeval_tide_evaluate(ctx, gt, dets, &o->params, &sum);
    t_eval = cli_now();
    if (st == MASKEVAL_ERR_PARSE) {
        /* the library names the element; the file is the ground truth */
        fprintf(stderr, "maskeval: %s: %s\n", o->gt, maskeval_errmsg(ctx));
        goto done;
    }
    if (st != MASKEVAL_OK) {
        cli_report(ctx, st);
        goto done;
    }
    t.summary = &sum;
    t.params = &o->params;
    t.backend = cli_backend_name(backend);
    rc = tide_report(o, &t);
    rc = rc == CLI_GATE_FAILED ? rc : (rc != 0 ? CLI_ERR_INPUT : CLI_OK);
    if (o->timing) {
        fprintf(stderr,
                "maskeval: timing: read+parse gt %.3f s, read+parse+decode results %.3f s, "
                "TIDE %.3f s [%s]\n",
                t_gt - t0, t_dt - t_gt, t_eval - t_dt, backend);
    }
done:
    maskeval_dets_destroy(dets);
    maskeval_gt_destroy(gt);
    cli_ctx_done(ctx);
    return rc;
}

int cmd_tide(int argc, char **argv)
{
    tide_opts o;
    int rc;
    memset(&o, 0, sizeof(o));
    o.iou_type = -1;
    maskeval_options_init(&o.lib);
    o.lib.log_fn = cli_log;
    maskeval_tide_params_init(&o.params);
    rc = tide_parse(argc, argv, &o);
    if (rc == -1) {
        return CLI_OK; /* --help */
    }
    return rc == 0 ? tide_run(&o) : rc;
}
