/*
 * cmd_coco.c - `maskeval coco`: pycocotools' COCOeval from the command line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static void coco_help(FILE *f)
{
    fprintf(f,
            "usage: maskeval coco --gt GT.json --dt RESULTS.json --iou-type segm|bbox|boundary\n"
            "       [options]\n"
            "\n"
            "COCO detection / instance segmentation metrics, bit-identical to pycocotools 2.0.11.\n"
            "Prints pycocotools' 12-line summary and per-category AP.\n"
            "\n"
            "options:\n"
            "  --gt FILE              ground truth (COCO instances JSON)\n"
            "  --dt FILE              results (JSON array, pycocotools loadRes format)\n"
            "  --iou-type segm|bbox|boundary  mask IoU, box IoU, or Boundary AP (boundary-iou-api:\n"
            "                         min(mask IoU, boundary-band IoU) for non-crowd GT)\n"
            "  --dilation-ratio R     Boundary AP's band width / image diagonal (default 0.02)\n"
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
            "  --quiet                only the 12 summary lines: no per-category table, notes\n"
            "                         or progress bar\n"
            "  --shard I/N            evaluate only the images at positions p of the sorted image ids\n"
            "                         with p %% N == I (needs --partial)\n"
            "  --partial FILE         write the per-image records to FILE instead of results\n"
            "                         (combine with 'maskeval merge')\n"
            "  --max-memory SIZE      keep the peak memory under SIZE (e.g. 2G): results are\n"
            "                         read in passes over the images when they would not fit\n"
            "  --passes N             read and match the results in N passes over the images\n");
    fputs(cli_report_help, f);
    fputs("\nexit status: 0 success, 1 bad input or runtime error, 2 usage error, 3 a --min\n"
          "gate failed (every output was written)\n", f);
}

static void lvis_help(FILE *f)
{
    fprintf(f,
            "usage: maskeval lvis --gt LVIS.json --dt RESULTS.json --iou-type segm|bbox [options]\n"
            "\n"
            "LVIS federated AP, bit-identical to lvis-api (LVISResults + LVISEval; README: LVIS):\n"
            "results capped per image at load, detections kept only in categories the image\n"
            "has ground truth of or lists in neg_category_ids, unmatched detections of\n"
            "not_exhaustive_category_ids ignored, zero-area items dropped, no crowds. Prints\n"
            "lvis-api's 13 result lines and per-category AP with each category's frequency.\n"
            "\n"
            "options:\n"
            "  --gt FILE              ground truth (LVIS JSON: neg_category_ids,\n"
            "                         not_exhaustive_category_ids on images, frequency on\n"
            "                         categories)\n"
            "  --dt FILE              results (JSON array, LVISResults format)\n"
            "  --iou-type segm|bbox   mask IoU or box IoU\n"
            "  --max-dets N           detections kept per image, all categories (default 300;\n"
            "                         -1: no cap); also the N of the AR@N keys\n"
            "  --ap standard|fixed|pooled  Dave et al. 2021: fixed = the top --dets-per-cat\n"
            "                         detections of each category, no per-image cap (segm:\n"
            "                         results' boxes ignored); pooled = the same, plus\n"
            "                         AP-pooled-all/r/c/f (each group's categories as one)\n"
            "  --dets-per-cat K       with --ap fixed|pooled (default 10000)\n"
            "  --iou-thrs T1,T2,...   params.iou_thrs (default np.linspace(.5, .95, 10))\n"
            "  --area-rng L:H,L:H,L:H,L:H  all/small/medium/large (default 0:1e10,0:1024,...)\n"
            "  --img-ids I1,I2,...    evaluate only these images\n"
            "  --cat-ids C1,C2,...    evaluate only these categories\n"
            "  --json FILE            also write the results as JSON ('-' = stdout)\n"
            "  --dump-arrays DIR      write precision / recall as raw float64 + arrays.json\n"
            "  --backend auto|cpu|opencl, --device N, --max-device-mem SIZE, --threads N\n"
            "  --timing               print stage timings to stderr\n"
            "  --quiet                only the 13 result lines\n"
            "  --shard I/N, --partial FILE  sharded runs (combine with 'maskeval merge')\n"
            "  --max-memory SIZE      keep the peak memory under SIZE (e.g. 2G): results are\n"
            "                         read in passes over the images when they would not fit\n"
            "  --passes N             read and match the results in N passes over the images\n"
            "  --format text|json|csv|md  what stdout shows (csv / md: per-category tables)\n"
            "  --numpy-compat 2.3|legacy  the np.mean the results reproduce (default 2.3;\n"
            "                         legacy: numpy < 2.3, e.g. lvis 0.5.3 on numpy 1.23)\n"
            "  --min-ap X, --min STAT=X[,...]  exit 3 (after writing every output) when a\n"
            "                         result is below X (AP AP50 AP75 APs APm APl APr APc APf AR\n"
            "                         ARs ARm ARl)\n"
            "\n"
            "exit status: 0 success, 1 bad input or runtime error, 2 usage error, 3 a --min\n"
            "gate failed (every output was written)\n");
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
        "--area-rng", "--img-ids", "--cat-ids", "--shard", "--partial", "--ap", "--dets-per-cat",
        "--max-memory", "--passes", "--dilation-ratio", NULL};
    const char *cmd = o->lvis ? "lvis" : "coco";
    int boundary = 0;
    double ratio = 0;
    cli_args a;
    const char *name, *v;
    int bad = 0, r;

    cli_args_init(&a, cmd, argc, argv);
    while ((name = cli_next(&a, &bad)) != NULL) {
        if (strcmp(name, "--help") == 0) {
            (o->lvis ? lvis_help : coco_help)(stdout);
            return -1;
        }
        r = cli_common_option(&a, &o->lib, name);
        if (r == 0) {
            r = cli_report_option(&a, &o->report, name,
                                  o->lvis ? maskeval_report_lvis_stat_names
                                          : maskeval_report_coco_stat_names);
        }
        if (r < 0) {
            return -r;
        }
        if (r > 0) {
            continue;
        }
        if (strcmp(name, "--no-cats") == 0 && !o->lvis) {
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
            return cli_usage_error(cmd, "unknown option %s", name);
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
        } else if (strcmp(name, "--partial") == 0) {
            o->partial = v;
        } else if (strcmp(name, "--shard") == 0) {
            if ((r = cli_parse_shard(cmd, v, &o->shard_index, &o->shard_count)) != 0) {
                return r;
            }
        } else if (strcmp(name, "--iou-type") == 0) {
            if (strcmp(v, "segm") == 0) {
                o->iou_type = MASKEVAL_IOU_SEGM;
            } else if (strcmp(v, "bbox") == 0) {
                o->iou_type = MASKEVAL_IOU_BBOX;
            } else if (strcmp(v, "boundary") == 0 && !o->lvis) {
                o->iou_type = MASKEVAL_IOU_SEGM;
                boundary = 1;
            } else {
                return cli_usage_error(cmd, "--iou-type must be segm%s or bbox (got '%s')",
                                       o->lvis ? "" : ", boundary", v);
            }
        } else if (strcmp(name, "--dilation-ratio") == 0) {
            double *x = NULL;
            size_t k = 0;
            const int ok = cli_parse_f64_list(v, &x, &k) && k == 1 && x[0] > 0 && x[0] <= 1e6;
            if (ok) {
                ratio = x[0];
            }
            free(x);
            if (!ok) {
                return cli_usage_error(cmd, "--dilation-ratio needs a number above 0 (got '%s')",
                                       v);
            }
        } else if (strcmp(name, "--max-memory") == 0) {
            if (!cli_parse_u64_size(v, &o->max_memory) || o->max_memory < ((uint64_t)1 << 20)) {
                return cli_usage_error(cmd, "--max-memory needs a size of at least 1M (K/M/G "
                                            "suffixes; got '%s')",
                                       v);
            }
        } else if (strcmp(name, "--passes") == 0) {
            if (!cli_parse_i64(v, &o->passes) || o->passes < 1 || o->passes > 4096) {
                return cli_usage_error(cmd, "--passes needs an integer between 1 and 4096 "
                                            "(got '%s')",
                                       v);
            }
        } else if (strcmp(name, "--ap") == 0 && o->lvis) {
            if (strcmp(v, "standard") == 0) {
                o->params.lvis_ap = MASKEVAL_LVIS_AP_STANDARD;
            } else if (strcmp(v, "fixed") == 0) {
                o->params.lvis_ap = MASKEVAL_LVIS_AP_FIXED;
            } else if (strcmp(v, "pooled") == 0) {
                o->params.lvis_ap = MASKEVAL_LVIS_AP_POOLED;
            } else {
                return cli_usage_error(cmd, "--ap must be standard, fixed or pooled (got '%s')",
                                       v);
            }
        } else if (strcmp(name, "--dets-per-cat") == 0 && o->lvis) {
            if (!cli_parse_i64(v, &o->params.lvis_dets_per_cat) ||
                o->params.lvis_dets_per_cat < 1) {
                return cli_usage_error(cmd, "--dets-per-cat needs a positive integer (got '%s')",
                                       v);
            }
            o->have_dets_per_cat = 1;
        } else if (strcmp(name, "--max-dets") == 0 && o->lvis) {
            o->have_max_dets = 1;
            if (!cli_parse_i64(v, &o->params.lvis_max_dets) || o->params.lvis_max_dets < -1) {
                return cli_usage_error(cmd, "--max-dets needs an integer >= 0, or -1 for no cap "
                                            "(got '%s')",
                                       v);
            }
        } else if (strcmp(name, "--max-dets") == 0) {
            free(o->max_dets);
            o->max_dets = NULL;
            if (!cli_parse_i64_list(v, &o->max_dets, &o->params.n_max_dets) ||
                o->params.n_max_dets < 3) {
                return cli_usage_error(cmd,
                                       "--max-dets needs at least 3 comma-separated integers");
            }
            for (size_t i = 0; i < o->params.n_max_dets; i++) {
                if (o->max_dets[i] < 1 || o->max_dets[i] > UINT32_MAX) {
                    return cli_usage_error(cmd, "--max-dets values must be between 1 and "
                                                   "4294967295 (got %lld)",
                                           (long long)o->max_dets[i]);
                }
            }
            o->params.max_dets = o->max_dets;
        } else if (strcmp(name, "--iou-thrs") == 0) {
            free(o->iou_thrs);
            o->iou_thrs = NULL;
            if (!cli_parse_f64_list(v, &o->iou_thrs, &o->params.n_iou_thrs)) {
                return cli_usage_error(cmd, "--iou-thrs needs comma-separated finite numbers "
                                               "(got '%s')",
                                       v);
            }
            for (size_t i = 0; i < o->params.n_iou_thrs; i++) {
                /* pycocotools caps at 1-1e-10 and matches anything below 0:
                 * neither is an IoU threshold anyone means */
                if (!(o->iou_thrs[i] >= 0 && o->iou_thrs[i] <= 1)) {
                    char t[40];
                    cli_format_double(o->iou_thrs[i], t, sizeof(t));
                    return cli_usage_error(cmd, "--iou-thrs: %s is outside [0, 1]", t);
                }
            }
            o->params.iou_thrs = o->iou_thrs;
        } else if (strcmp(name, "--area-rng") == 0) {
            if (!parse_area_rng(v, o->area)) {
                return cli_usage_error(cmd,
                                       "--area-rng needs 4 ranges lo:hi (all, small, medium, "
                                       "large), comma-separated");
            }
            o->params.area_rng = o->area;
        } else if (strcmp(name, "--img-ids") == 0) {
            free(o->img_ids);
            o->img_ids = NULL;
            if (!cli_parse_i64_list(v, &o->img_ids, &o->params.n_img_ids)) {
                return cli_usage_error(cmd, "--img-ids needs comma-separated integers");
            }
            o->params.img_ids = o->img_ids;
        } else if (strcmp(name, "--cat-ids") == 0) {
            free(o->cat_ids);
            o->cat_ids = NULL;
            if (!cli_parse_i64_list(v, &o->cat_ids, &o->params.n_cat_ids)) {
                return cli_usage_error(cmd, "--cat-ids needs comma-separated integers");
            }
            o->params.cat_ids = o->cat_ids;
        } else {
            return cli_usage_error(cmd, "unknown option %s", name);
        }
    }
    if (bad) {
        return bad;
    }
    if (o->gt == NULL || o->dt == NULL || o->iou_type < 0) {
        return cli_usage_error(cmd, "--gt, --dt and --iou-type are required");
    }
    if (o->shard_count > 1 && o->partial == NULL) {
        return cli_usage_error(cmd, "--shard needs --partial FILE (merge the partials with "
                                       "'maskeval merge')");
    }
    if (o->partial != NULL && (o->json != NULL || o->dump != NULL || o->report.plot != NULL ||
                               o->report.gates.n > 0 || o->report.have_format)) {
        return cli_usage_error(cmd, "--partial writes records, not results: give --json, "
                                       "--dump-arrays, --plot, --format and --min to "
                                       "'maskeval merge'");
    }
    if ((bad = cli_report_check(cmd, &o->report, o->json, 1)) != 0) {
        return bad;
    }
    if (o->max_memory > 0 && o->passes > 0) {
        return cli_usage_error(cmd, "--max-memory chooses the passes: give one of --max-memory "
                                    "and --passes");
    }
    if ((o->max_memory > 0 || o->passes > 0) && (o->partial != NULL || o->shard_count > 1)) {
        return cli_usage_error(cmd, "--max-memory and --passes run their own passes over the "
                                    "images: drop --shard and --partial");
    }
    if (o->lvis && o->params.lvis_ap != MASKEVAL_LVIS_AP_STANDARD && o->have_max_dets) {
        return cli_usage_error(cmd, "--ap fixed and pooled cap detections per category "
                                    "(--dets-per-cat), not per image: drop --max-dets");
    }
    if (o->lvis && o->params.lvis_ap == MASKEVAL_LVIS_AP_STANDARD && o->have_dets_per_cat) {
        return cli_usage_error(cmd, "--dets-per-cat needs --ap fixed or --ap pooled");
    }
    if (ratio > 0 && !boundary) {
        return cli_usage_error(cmd, "--dilation-ratio needs --iou-type boundary");
    }
    o->params.iou_type = (maskeval_iou_type)o->iou_type;
    o->params.boundary_dilation_ratio = boundary ? (ratio > 0 ? ratio : 0.02) : 0;
    o->params.lvis = o->lvis;
    return cli_env_device(cmd, &o->lib);
}

/* --img-ids / --cat-ids values absent from the ground truth: pycocotools
 * evaluates them as empty (-1 in the summary), almost surely a typo, so
 * they are refused, naming the first few. 1 if all are present. */
static int ids_in_gt(const coco_opts *o, const maskeval_gt *gt)
{
    const char *cmd = o->lvis ? "lvis" : "coco";
    for (int c = 0; c < 2; c++) {
        const int64_t *ids = c == 0 ? o->params.img_ids : o->params.cat_ids;
        size_t n = c == 0 ? o->params.n_img_ids : o->params.n_cat_ids, bad = 0;
        char list[160] = "";
        for (size_t i = 0; ids != NULL && i < n; i++) {
            if (c == 0 ? maskeval_gt_has_image(gt, ids[i])
                       : maskeval_gt_category_name(gt, ids[i]) != NULL) {
                continue;
            }
            if (bad < 5) {
                size_t at = strlen(list);
                snprintf(list + at, sizeof(list) - at, "%s%lld", bad > 0 ? ", " : "",
                         (long long)ids[i]);
            }
            bad++;
        }
        if (bad > 0) {
            cli_usage_error(cmd, "%s: %s%s %s not %s of %s (%s)",
                            c == 0 ? "--img-ids" : "--cat-ids", list, bad > 5 ? ", ..." : "",
                            bad > 1 ? "are" : "is",
                            c == 0 ? (bad > 1 ? "images" : "an image")
                                   : (bad > 1 ? "categories" : "a category"),
                            o->gt,
                            o->lvis ? "lvis-api raises KeyError"
                            : bad > 1 ? "pycocotools would silently evaluate them as empty"
                                      : "pycocotools would silently evaluate it as empty");
            return 0;
        }
    }
    return 1;
}

/* Resident memory now, from /proc/self/statm (0 if unknown). */
static uint64_t resident_bytes(void)
{
    unsigned long long size = 0, res = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL) {
        return 0;
    }
    if (fscanf(f, "%llu %llu", &size, &res) != 2) {
        res = 0;
    }
    fclose(f);
    return (uint64_t)res * (uint64_t)sysconf(_SC_PAGESIZE);
}

/* --max-memory: the passes that keep the peak under the budget, given what
 * the process holds now (the ground truth); maskeval_coco_passes_for_budget
 * sizes the rest. 0, or an exit code (reported). */
static int memory_passes(maskeval_ctx *ctx, const maskeval_gt *gt, const coco_opts *o,
                         uint32_t *passes)
{
    const char *cmd = o->lvis ? "lvis" : "coco";
    const uint64_t now = resident_bytes();
    maskeval_status st;
    if (now >= o->max_memory) {
        return cli_usage_error(cmd, "--max-memory %llu MB: the ground truth alone holds %llu MB",
                               (unsigned long long)(o->max_memory >> 20),
                               (unsigned long long)(now >> 20));
    }
    st = maskeval_coco_passes_for_budget(ctx, gt, o->dt, &o->params, o->max_memory - now,
                                         passes);
    if (st == MASKEVAL_ERR_LIMIT) {
        return cli_usage_error(cmd, "--max-memory %llu MB is too small: %s",
                               (unsigned long long)(o->max_memory >> 20), maskeval_errmsg(ctx));
    }
    if (st != MASKEVAL_OK) {
        cli_report(ctx, st);
        return st == MASKEVAL_ERR_INVALID_ARG ? CLI_ERR_USAGE : CLI_ERR_INPUT;
    }
    return 0;
}

int cli_coco_run(const coco_opts *o)
{
    maskeval_ctx *ctx = NULL;
    maskeval_gt *gt = NULL;
    maskeval_dets *dets = NULL;
    maskeval_coco_result *res = NULL;
    maskeval_coco_partial *part = NULL;
    maskeval_status st;
    char backend[640] = "";
    int rc = CLI_ERR_INPUT;
    uint32_t passes = 1;
    const char *cmd = o->lvis ? "lvis" : "coco";
    unsigned flags = (o->iou_type == MASKEVAL_IOU_SEGM ? MASKEVAL_LOAD_SEGM : MASKEVAL_LOAD_BBOX) |
                     (o->lvis ? MASKEVAL_LOAD_LVIS : 0u);
    double t0 = 0, t_gt, t_dt, t_eval;
    cli_progress_state progress;
    const int auto_backend = o->lib.backend == MASKEVAL_BACKEND_AUTO && o->lib.device_index < 0;

    {
        /* every output path is checked before the work starts */
        const char *inputs[2] = {o->gt, o->dt};
        if ((rc = cli_output_check(cmd, "--json", o->json, 0, inputs, 2)) != 0 ||
            (rc = cli_output_check(cmd, "--plot", o->report.plot, 0, inputs, 2)) != 0 ||
            (rc = cli_output_check(cmd, "--dump-arrays", o->dump, 1, inputs, 2)) != 0 ||
            (o->sink == NULL &&
             (rc = cli_output_check(cmd, "--partial", o->partial, 0, inputs, 2)) != 0)) {
            return rc;
        }
        rc = CLI_ERR_INPUT;
    }
    {
        maskeval_options lib = o->lib;
        cli_progress_init(&progress, &lib,
                          o->iou_type == MASKEVAL_IOU_SEGM ? cli_plan_coco_segm : cli_plan_coco_bbox,
                          o->quiet);
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
    if (st == MASKEVAL_OK && !ids_in_gt(o, gt)) {
        cli_progress_done(&progress);
        rc = CLI_ERR_USAGE;
        goto done;
    }
    if (o->passes > 0) {
        passes = (uint32_t)o->passes;
    }
    if (st == MASKEVAL_OK && o->max_memory > 0) {
        if ((rc = memory_passes(ctx, gt, o, &passes)) != 0) {
            cli_progress_done(&progress);
            goto done;
        }
        rc = CLI_ERR_INPUT;
    }
    if (st == MASKEVAL_OK && passes <= 1) {
        st = maskeval_dets_load_file(ctx, gt, o->dt, &dets);
    }
    t_dt = cli_now();
    /* auto decides at the IoU stage, by its workload: named after it */
    if (st == MASKEVAL_OK && auto_backend && o->iou_type == MASKEVAL_IOU_SEGM) {
        snprintf(backend, sizeof(backend), "cpu");
    } else if (st == MASKEVAL_OK && (o->iou_type == MASKEVAL_IOU_SEGM ||
                                     o->lib.backend == MASKEVAL_BACKEND_CPU)) {
        st = maskeval_backend_describe(ctx, backend, sizeof(backend));
    } else if (st == MASKEVAL_OK) {
        snprintf(backend, sizeof(backend), "cpu (box IoU never uses a device)");
    }
    if (st == MASKEVAL_OK && o->partial != NULL) {
        st = maskeval_coco_evaluate_images(ctx, gt, dets, &o->params, o->shard_index,
                                           o->shard_count, &part);
    } else if (st == MASKEVAL_OK && passes > 1) {
        st = maskeval_coco_evaluate_file_passes(ctx, gt, o->dt, &o->params, passes, &res);
    } else if (st == MASKEVAL_OK) {
        /* maskeval_coco_evaluate in two steps, so that the detections (their
         * results text is the masks' string pool) are freed before the
         * accumulated arrays are allocated: the records are all it needs */
        st = maskeval_coco_evaluate_images(ctx, gt, dets, &o->params, 0, 1, &part);
        maskeval_dets_destroy(dets);
        dets = NULL;
        if (st == MASKEVAL_OK) {
            st = maskeval_coco_accumulate(ctx, part, &res);
        }
        maskeval_coco_partial_destroy(part);
        part = NULL;
    }
    if (st == MASKEVAL_OK && o->partial == NULL &&
        o->report.numpy_compat != MASKEVAL_NUMPY_2_3) {
        st = maskeval_coco_result_set_numpy_compat(ctx, res, o->report.numpy_compat);
    }
    t_eval = cli_now();
    if (st == MASKEVAL_OK && auto_backend && o->iou_type == MASKEVAL_IOU_SEGM) {
        st = maskeval_backend_describe(ctx, backend, sizeof(backend));
    }
    cli_progress_done(&progress);
    if (st != MASKEVAL_OK) {
        cli_report(ctx, st);
        if (st == MASKEVAL_ERR_INVALID_ARG) {
            rc = CLI_ERR_USAGE;
        }
        goto done;
    }
    if (part != NULL && o->sink != NULL) {
        if (o->sink(o->sink_user, ctx, part, NULL) != 0) {
            goto done;
        }
    } else if (part != NULL) {
        maskeval_coco_partial_info info;
        if (cli_write_partial(ctx, o->partial, part, NULL) != 0) {
            goto done;
        }
        maskeval_coco_partial_get_info(part, &info);
        if (!o->quiet) {
            fprintf(stderr, "maskeval: shard %u/%u: %zu of %zu images, %zu records, %llu "
                            "detections -> %s\n",
                    o->shard_index, o->shard_count, info.n_held, info.n_images, info.n_cells,
                    (unsigned long long)info.n_detections, o->partial);
        }
    } else if ((rc = cli_coco_report(res, cli_backend_name(backend), o->json, o->dump, o->quiet,
                                     &o->report)) != 0) {
        rc = rc == CLI_GATE_FAILED ? rc : CLI_ERR_INPUT;
        goto done;
    }
    if (o->timing && res != NULL) {
        double stage[4];
        maskeval_coco_result_timing(res, stage);
        fprintf(stderr,
                "maskeval: timing: read+parse gt %.3f s, read+parse+decode results %.3f s, "
                "group %.3f s, IoU %.3f s, match %.3f s, accumulate+summarize %.3f s, "
                "evaluate total %.3f s [%s]\n",
                t_gt - t0, t_dt - t_gt, stage[0], stage[1], stage[2], stage[3], t_eval - t_dt,
                backend);
        if (passes > 1) {
            fprintf(stderr, "maskeval: --max-memory: results read and matched in %u passes over "
                            "the images (inside \"evaluate total\")\n",
                    passes);
        }
    }
    rc = CLI_OK;
done:
    maskeval_coco_partial_destroy(part);
    maskeval_coco_result_destroy(res);
    maskeval_dets_destroy(dets);
    maskeval_gt_destroy(gt);
    cli_ctx_done(ctx);
    return rc;
}

void cli_coco_opts_init(coco_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->iou_type = -1;
    maskeval_options_init(&o->lib);
    o->lib.log_fn = cli_log;
    maskeval_coco_params_init(&o->params);
    o->shard_count = 1;
}

static int run_command(int argc, char **argv, int lvis)
{
    coco_opts o;
    int rc;
    cli_coco_opts_init(&o);
    o.lvis = lvis;
    rc = cli_coco_parse(argc, argv, &o);
    if (rc == -1) {
        cli_coco_opts_free(&o);
        return CLI_OK; /* --help */
    }
    if (rc == 0) {
        rc = cli_coco_run(&o);
    }
    cli_coco_opts_free(&o);
    return rc;
}

int cmd_coco(int argc, char **argv)
{
    return run_command(argc, argv, 0);
}

int cmd_lvis(int argc, char **argv)
{
    return run_command(argc, argv, 1);
}
