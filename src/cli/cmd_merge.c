/*
 * cmd_merge.c - `maskeval merge`: combines the partial files of a sharded
 * `maskeval coco` or `maskeval semantic` run and prints and writes exactly
 * what the unsharded command would have.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "semantic_meta.h"

static void merge_help(FILE *f)
{
    fprintf(f,
            "usage: maskeval merge PART.mep [PART.mep ...] [options]\n"
            "\n"
            "Merges the partial files written by 'maskeval coco --shard I/N --partial FILE' or\n"
            "'maskeval semantic --shard I/N --partial FILE' (in any order) and prints, and\n"
            "writes with --json / --dump-arrays, exactly what one unsharded run would have.\n"
            "Partials must come from the same ground truth and parameters, hold disjoint\n"
            "images, and together hold every image.\n"
            "\n"
            "options:\n"
            "  --json FILE            write the results as JSON ('-' = stdout)\n"
            "  --dump-arrays DIR      COCO: precision / recall / scores as float64 + arrays.json\n"
            "  --strict               semantic: fail on out-of-range labels (as 'semantic --strict')\n"
            "  --threads N            worker threads (default: all CPUs)\n"
            "  --quiet                only the headline results: no per-category or per-class\n"
            "                         table\n");
    fputs(cli_report_help, f);
    fputs("\nexit status: 0 success, 1 bad or mismatched partials, 2 usage error, 3 a --min\n"
          "gate failed (every output was written)\n", f);
}

typedef struct merge_opts {
    const char **files;
    size_t n;
    const char *json, *dump;
    int quiet, strict;
    int64_t threads;
    cli_report_opts report;
} merge_opts;

/* --min may name a statistic of either kind until the partials say which. */
static const char *const merge_stat_names[] = {
    "AP",  "AP50", "AP75", "APs",   "APm",     "APl",        "AR1",     "AR10",  "AR100",
    "ARs", "ARm",  "ARl",  "aAcc",  "mIoU",    "mAcc",       "mDice",   "mFscore",
    "mPrecision", "mRecall", "fwIoU", "APr", "APc", "APf", "AR", NULL};

static int parse_merge(int argc, char **argv, merge_opts *o)
{
    o->files = calloc((size_t)argc + 1, sizeof(char *));
    if (o->files == NULL) {
        fprintf(stderr, "maskeval: out of memory\n");
        return CLI_ERR_INPUT;
    }
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            merge_help(stdout);
            return -1;
        }
        if (strcmp(a, "--quiet") == 0 || strcmp(a, "--strict") == 0) {
            *(a[2] == 'q' ? &o->quiet : &o->strict) = 1;
        } else if (strcmp(a, "--json") == 0 || strcmp(a, "--dump-arrays") == 0 ||
                   strcmp(a, "--threads") == 0) {
            if (i + 1 >= argc) {
                return cli_usage_error("merge", "%s needs a value", a);
            }
            if (a[2] == 'j') {
                o->json = argv[++i];
            } else if (a[2] == 'd') {
                o->dump = argv[++i];
            } else if (!cli_parse_i64(argv[++i], &o->threads) || o->threads < 0 ||
                       o->threads > 4096) {
                return cli_usage_error("merge", "--threads needs an integer between 0 and 4096");
            }
        } else if (strncmp(a, "--", 2) == 0 && a[2] != 0) {
            cli_args ca;
            int bad = 0, r;
            const char *name;
            cli_args_init(&ca, "merge", argc, argv);
            ca.i = i;
            name = cli_next(&ca, &bad);
            r = name != NULL ? cli_report_option(&ca, &o->report, name, merge_stat_names) : 0;
            if (r < 0) {
                return -r;
            }
            if (r == 0) {
                return cli_usage_error("merge", "unknown option %s", a);
            }
            i = ca.i - 1;
        } else {
            o->files[o->n++] = a;
        }
    }
    if (o->n == 0) {
        return cli_usage_error("merge", "no partial files given");
    }
    return cli_report_check("merge", &o->report, o->json, 1);
}

/* 0 when every --min names a statistic of this kind; else a usage error. */
static int gates_for(const char *kind, const maskeval_gates *g, const char *const *names)
{
    for (size_t i = 0; i < g->n; i++) {
        size_t k = 0;
        while (names[k] != NULL && strcmp(names[k], g->g[i].stat) != 0) {
            k++;
        }
        if (names[k] == NULL) {
            return cli_usage_error("merge", "--min %s: not a statistic of %s partials", g->g[i].stat,
                                   kind);
        }
    }
    return 0;
}

static int merge_coco(maskeval_ctx *ctx, const merge_opts *o, void **bufs, const size_t *lens)
{
    maskeval_coco_partial **parts = calloc(o->n, sizeof(*parts));
    maskeval_coco_partial *merged = NULL;
    maskeval_coco_result *res = NULL;
    maskeval_status st = parts != NULL ? MASKEVAL_OK : MASKEVAL_ERR_NOMEM;
    int rc = CLI_ERR_INPUT;
    for (size_t i = 0; i < o->n && st == MASKEVAL_OK; i++) {
        st = maskeval_coco_partial_decode(ctx, o->files[i], bufs[i], lens[i], &parts[i]);
    }
    if (st == MASKEVAL_OK) {
        st = maskeval_coco_partial_merge(ctx, (const maskeval_coco_partial *const *)parts, o->n,
                                         &merged);
    }
    if (st == MASKEVAL_OK) {
        st = maskeval_coco_accumulate(ctx, merged, &res);
    }
    if (st == MASKEVAL_OK && o->report.numpy_compat != MASKEVAL_NUMPY_2_3) {
        st = maskeval_coco_result_set_numpy_compat(ctx, res, o->report.numpy_compat);
    }
    if (st != MASKEVAL_OK) {
        cli_report(ctx, st);
    } else if (maskeval_coco_result_is_lvis(res)
                   ? gates_for("LVIS", &o->report.gates, maskeval_report_lvis_stat_names) != 0
                   : gates_for("COCO", &o->report.gates, maskeval_report_coco_stat_names) != 0) {
        rc = CLI_ERR_USAGE;
    } else {
        rc = cli_coco_report(res, NULL, o->json, o->dump, o->quiet, &o->report);
        rc = rc == 0 ? CLI_OK : rc == CLI_GATE_FAILED ? rc : CLI_ERR_INPUT;
    }
    for (size_t i = 0; parts != NULL && i < o->n; i++) {
        maskeval_coco_partial_destroy(parts[i]);
    }
    free(parts);
    maskeval_coco_partial_destroy(merged);
    maskeval_coco_result_destroy(res);
    return rc;
}

static int merge_panoptic(maskeval_ctx *ctx, const merge_opts *o, void **bufs,
                          const size_t *lens)
{
    maskeval_panoptic *acc = NULL, *one = NULL;
    maskeval_status st;
    int rc = CLI_ERR_INPUT;
    if (o->dump != NULL || o->report.plot != NULL || o->report.gates.n > 0 ||
        o->report.have_format || o->report.have_numpy_compat) {
        return cli_usage_error("merge", "panoptic partials take only --json and --quiet");
    }
    st = maskeval_panoptic_decode(ctx, o->files[0], bufs[0], lens[0], &acc);
    for (size_t i = 1; i < o->n && st == MASKEVAL_OK; i++) {
        st = maskeval_panoptic_decode(ctx, o->files[i], bufs[i], lens[i], &one);
        if (st == MASKEVAL_OK) {
            st = maskeval_panoptic_merge(ctx, acc, one);
        }
        maskeval_panoptic_destroy(one);
        one = NULL;
    }
    if (st != MASKEVAL_OK) {
        cli_report(ctx, st);
        goto done;
    }
    if (maskeval_panoptic_n_held(acc) != maskeval_panoptic_n_images(acc)) {
        fprintf(stderr,
                "maskeval: merge: the partials hold %zu of the ground truth's %zu images: give "
                "the partial of every shard\n",
                maskeval_panoptic_n_held(acc), maskeval_panoptic_n_images(acc));
        goto done;
    }
    rc = cli_panoptic_report(acc, o->json, o->quiet);
done:
    maskeval_panoptic_destroy(acc);
    return rc;
}

static int merge_semantic(maskeval_ctx *ctx, const merge_opts *o, void **bufs, const size_t *lens)
{
    maskeval_semantic *acc = NULL, *one = NULL;
    maskeval_status st;
    uint64_t n_items, n_held;
    const char *tag;
    int rc = CLI_ERR_INPUT;
    if (o->dump != NULL || o->report.plot != NULL) {
        return cli_usage_error("merge", "%s is for COCO partials",
                               o->dump != NULL ? "--dump-arrays" : "--plot");
    }
    if (gates_for("semantic", &o->report.gates, maskeval_report_semantic_stat_names) != 0) {
        return CLI_ERR_USAGE;
    }
    if (o->report.have_numpy_compat) {
        return cli_usage_error("merge", "--numpy-compat is for COCO partials");
    }
    st = maskeval_semantic_decode(ctx, o->files[0], bufs[0], lens[0], &acc);
    for (size_t i = 1; i < o->n && st == MASKEVAL_OK; i++) {
        st = maskeval_semantic_decode(ctx, o->files[i], bufs[i], lens[i], &one);
        if (st == MASKEVAL_OK) {
            st = maskeval_semantic_merge(ctx, acc, one);
        }
        maskeval_semantic_destroy(one);
        one = NULL;
    }
    if (st != MASKEVAL_OK) {
        cli_report(ctx, st);
        goto done;
    }
    maskeval_semantic_get_shard(acc, &n_items, &n_held, &tag);
    if (n_held != n_items) {
        fprintf(stderr,
                "maskeval: merge: the partials hold %llu of the dataset's %llu image pairs: "
                "give the partial of every shard\n",
                (unsigned long long)n_held, (unsigned long long)n_items);
        goto done;
    }
    if (tag == NULL || strncmp(tag, CLI_SEM_META_PREFIX, strlen(CLI_SEM_META_PREFIX)) != 0) {
        fprintf(stderr,
                "maskeval: %s: written by an older maskeval that did not record the run's "
                "parameters and class names: rerun its shards\n",
                o->files[0]);
        goto done;
    }
    rc = cli_semantic_report(ctx, acc, o->json, o->quiet, o->strict, tag, &o->report, NULL);
done:
    maskeval_semantic_destroy(acc);
    return rc;
}

int cmd_merge(int argc, char **argv)
{
    merge_opts o;
    maskeval_options lib;
    maskeval_ctx *ctx = NULL;
    void **bufs = NULL;
    size_t *lens = NULL;
    int rc, kind = 0;

    memset(&o, 0, sizeof(o));
    rc = parse_merge(argc, argv, &o);
    if (rc != 0) {
        free(o.files);
        return rc == -1 ? CLI_OK : rc;
    }
    if ((rc = cli_output_check("merge", "--json", o.json, 0, o.files, o.n)) != 0 ||
        (rc = cli_output_check("merge", "--dump-arrays", o.dump, 1, o.files, o.n)) != 0 ||
        (rc = cli_output_check("merge", "--plot", o.report.plot, 0, o.files, o.n)) != 0) {
        free(o.files);
        return rc;
    }
    rc = CLI_ERR_INPUT;
    bufs = calloc(o.n, sizeof(void *));
    lens = calloc(o.n, sizeof(size_t));
    if (bufs == NULL || lens == NULL) {
        fprintf(stderr, "maskeval: out of memory\n");
        goto done;
    }
    for (size_t i = 0; i < o.n; i++) {
        int k;
        if (cli_read_file(o.files[i], &bufs[i], &lens[i]) != 0) {
            goto done;
        }
        k = maskeval_partial_kind(bufs[i], lens[i]);
        if (i == 0) {
            kind = k;
        } else if (k != 0 && kind != 0 && k != kind) {
            static const char *const kinds[4] = {"", "COCO", "semantic", "panoptic"};
            fprintf(stderr, "maskeval: %s: a %s partial, but %s is a %s one\n", o.files[i],
                    kinds[k], o.files[0], kinds[kind]);
            goto done;
        }
    }
    maskeval_options_init(&lib);
    lib.backend = MASKEVAL_BACKEND_CPU;
    lib.threads = (int)o.threads;
    lib.log_fn = cli_log;
    if (maskeval_ctx_create(&lib, &ctx) != MASKEVAL_OK) {
        fprintf(stderr, "maskeval: %s\n", ctx != NULL ? maskeval_errmsg(ctx) : "out of memory");
        goto done;
    }
    /* kind 0 (not a partial): the COCO decoder names the file and the problem */
    rc = kind == 2   ? merge_semantic(ctx, &o, bufs, lens)
         : kind == 3 ? merge_panoptic(ctx, &o, bufs, lens)
                     : merge_coco(ctx, &o, bufs, lens);
done:
    for (size_t i = 0; bufs != NULL && i < o.n; i++) {
        free(bufs[i]);
    }
    free(bufs);
    free(lens);
    free(o.files);
    maskeval_ctx_destroy(ctx);
    return rc;
}
