/*
 * cli.h - shared pieces of the maskeval command-line tool: exit codes,
 * option parsing helpers, atomic file output and a small JSON writer.
 * The tool uses only the public API (include/maskeval.h).
 */
#ifndef MASKEVAL_CLI_CLI_H
#define MASKEVAL_CLI_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "maskeval.h"
#include "report.h"

/* 3: the run succeeded and wrote its outputs, but a --min gate failed */
enum { CLI_OK = 0, CLI_ERR_INPUT = 1, CLI_ERR_USAGE = 2, CLI_GATE_FAILED = 3 };

/* Prints "maskeval <cmd>: <message>" and a hint to stderr; returns CLI_ERR_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Option scanner over argv: handles "--name value" and "--name=value". */
typedef struct cli_args {
    int argc, i;
    char **argv;
    const char *cmd;
    const char *name;  /* the current option */
    const char *value; /* set by cli_value() */
    const char *inline_value;
} cli_args;

void cli_args_init(cli_args *a, const char *cmd, int argc, char **argv);
/* Next option name (e.g. "--gt"), or NULL at the end. Positional arguments
 * are reported as a usage error through *bad. */
const char *cli_next(cli_args *a, int *bad);
/* Whether name is in the NULL-terminated list. */
int cli_known(const char *name, const char *const *list);
/* The option's value; NULL (after printing a usage error) if missing. */
const char *cli_value(cli_args *a);
/* An option that takes no value must not get one ("--no-cats=1"). */
int cli_flag_ok(cli_args *a);

/* Comma-separated lists. Return 0 on a malformed list. The arrays are
 * malloc'd; the caller frees them. */
int cli_parse_i64_list(const char *s, int64_t **out, size_t *n);
int cli_parse_f64_list(const char *s, double **out, size_t *n);
int cli_parse_i64(const char *s, int64_t *out);
int cli_parse_u64_size(const char *s, uint64_t *out); /* accepts K/M/G suffixes */

/* Log callback printing library warnings to stderr. */
void cli_log(void *user, int level, const char *msg);

/* ---- output (output.c): a run's files appear all or none ---- */

/* Before any work: an empty path (usage error naming the option), a path
 * that is one of the inputs, a missing or unwritable directory. is_dir: the
 * path is a directory to write into (--dump-arrays). Returns 0 or an exit
 * code after printing the message. */
int cli_output_check(const char *cmd, const char *option, const char *path, int is_dir,
                     const char *const *inputs, size_t n_inputs);

#define CLI_MAX_OUTPUTS 16
typedef struct cli_output {
    const char *shown;  /* the path as given, for messages */
    char *final, *tmp;  /* the real target (links followed) and its temporary */
    unsigned mode;
    int manifest;       /* renamed last, removed first */
} cli_output;

typedef struct cli_outputs {
    cli_output items[CLI_MAX_OUTPUTS];
    size_t n;
    char *dirs[CLI_MAX_OUTPUTS]; /* directories this run created */
    size_t n_dirs;
} cli_outputs;

void cli_outputs_init(cli_outputs *o);
/* Writes one file of the set to its temporary (a device, FIFO or "-" is
 * written directly). 0 or -1 (reported); on -1 call cli_outputs_abort. */
int cli_outputs_add(cli_outputs *o, const char *path, int (*writer)(FILE *f, void *arg),
                    void *arg);
/* The file added last is a manifest (removed before, renamed after the rest). */
void cli_outputs_mark_manifest(cli_outputs *o);
/* Creates dir if needed (removed again by abort if this run made it). */
int cli_outputs_dir(cli_outputs *o, const char *dir);
/* Renames every temporary into place; 0 or -1 (reported). */
int cli_outputs_commit(cli_outputs *o);
/* Removes the temporaries (and directories this run made); nothing changes. */
void cli_outputs_abort(cli_outputs *o);
/* One file written as a set of one. */
int cli_write_atomic(const char *path, int (*writer)(FILE *f, void *arg), void *arg);
/* Flushes stdout at exit: a write error there turns rc into a failure. */
int cli_finish_stdout(int rc);

/* The JSON writer (cli_json_*, cli_format_double) is the report library's. */

/* Prints the context's error message (and the OpenCL build log after a
 * build failure) to stderr. */
void cli_report(const maskeval_ctx *ctx, maskeval_status st);

/* ---- progress (progress.c) ---- */

/* One stage of a command's run, as the library names it, and its share of
 * the run's time (measured on a COCO-val-scale set; the shares only shape
 * the bar and its ETA, never a result). */
typedef struct cli_stage {
    const char *name;
    double weight;
} cli_stage;
extern const cli_stage cli_plan_coco_segm[], cli_plan_coco_bbox[], cli_plan_semantic[];

/* A progress bar on stderr when it is a terminal, not --quiet, and the run
 * has taken longer than MASKEVAL_PROGRESS_DELAY seconds (default 1): the
 * true stage name, one fraction of the whole run that only grows, and the
 * ETA of the whole run. A signal clears it (see output.c). */
typedef struct cli_progress_state {
    const cli_stage *plan;
    double t0, delay, total, fraction;
    int tty, shown;
} cli_progress_state;
/* plan: NULL-name-terminated; hooks the bar into lib's progress callback. */
void cli_progress_init(cli_progress_state *p, maskeval_options *lib, const cli_stage *plan,
                       int quiet);
void cli_progress(void *user, const char *stage, double fraction);
void cli_progress_done(cli_progress_state *p); /* clears the bar */
/* Whether a bar line is on the screen (a signal handler clears it). */
void cli_signals_progress_line(int on_screen);

/* `maskeval --version` (version.c): version, commit, build options. */
void cli_print_version(FILE *f, const char *program);

/* Destroys a command's context, except that an open device is left to the
 * process exit (maskeval_ctx_release_for_exit): main then flushes and
 * leaves with _exit. */
void cli_ctx_done(maskeval_ctx *ctx);
/* Whether cli_ctx_done left a device open. */
int cli_exit_fast(void);

/* Monotonic wall clock in seconds. */
double cli_now(void);

/* Options every command that runs on a backend takes: --backend, --device,
 * --threads, --max-device-mem. Returns 1 if name was one (value consumed),
 * 0 if not, -(exit code) on a usage error. */
int cli_common_option(cli_args *a, maskeval_options *lib, const char *name);
/* Applies MASKEVAL_DEVICE unless --device was given; returns an exit code. */
int cli_env_device(const char *cmd, maskeval_options *lib);

/* Report options shared by coco, semantic and merge: --format, --plot,
 * --plot-per-category, --min-ap, --min STAT=VALUE. */
typedef struct cli_report_opts {
    const char *plot;
    int plot_per_category, have_format;
    maskeval_report_format format;
    int have_numpy_compat;                 /* --numpy-compat given */
    maskeval_numpy_compat numpy_compat;    /* COCO statistics */
    maskeval_gates gates;
} cli_report_opts;
/* 1 if name was one of them (value consumed), 0 if not, -(exit code) on a
 * usage error. stat_names: what --min may name (NULL-terminated). */
int cli_report_option(cli_args *a, cli_report_opts *r, const char *name,
                      const char *const *stat_names);
/* After parsing: --format json with --json -, or --plot without a COCO
 * result, are usage errors. 0 or an exit code. */
int cli_report_check(const char *cmd, const cli_report_opts *r, const char *json, int coco);
extern const char *const cli_report_help;         /* the options' help lines */

/* Options of `maskeval coco` / `maskeval semantic`. The parsers return 0
 * (run), -1 (--help was printed) or an exit code after printing a usage
 * error; they are separate from running so that they can be fuzzed. */
typedef struct coco_opts {
    const char *gt, *dt, *json, *dump;
    const char *partial;          /* --partial FILE */
    uint32_t shard_index, shard_count; /* --shard I/N (default 0/1) */
    /* instead of writing --partial: hand the partial to sink (maskeval-mpi) */
    int (*sink)(void *user, maskeval_ctx *ctx, const maskeval_coco_partial *coco,
                const maskeval_semantic *sem);
    void *sink_user;
    int iou_type; /* -1 unset */
    int lvis;     /* `maskeval lvis`: lvis-api's LVISEval */
    int have_max_dets, have_dets_per_cat;
    uint64_t max_memory; /* --max-memory SIZE in bytes (0: none) */
    int64_t passes;      /* --passes N (0: none) */
    int timing, quiet;
    cli_report_opts report;
    maskeval_options lib;
    maskeval_coco_params params;
    int64_t *max_dets, *img_ids, *cat_ids;
    double *iou_thrs, area[8];
} coco_opts;

void cli_coco_opts_init(coco_opts *o);
int cli_coco_parse(int argc, char **argv, coco_opts *o);
void cli_coco_opts_free(coco_opts *o);

typedef struct sem_opts {
    const char *gt, *pred, *json, *gt_suffix, *pred_suffix, *map, *pred_map;
    const char *class_names;      /* --class-names FILE|cityscapes|ade20k|voc */
    const char *partial;          /* --partial FILE */
    uint32_t shard_index, shard_count; /* --shard I/N (default 0/1) */
    int (*sink)(void *user, maskeval_ctx *ctx, const maskeval_coco_partial *coco,
                const maskeval_semantic *sem);
    void *sink_user;
    int64_t k, ignore;
    uint64_t max_pixels; /* --max-image-pixels (0: the library's default) */
    int reduce_zero, strict, timing, quiet, have_k;
    cli_report_opts report; /* --format, --min */
    maskeval_options lib;
} sem_opts;

void cli_semantic_opts_init(sem_opts *o);
int cli_semantic_parse(int argc, char **argv, sem_opts *o);

/* Prints pycocotools' summary (and, unless quiet, the per-category table;
 * or the --format table), writes --json / --dump-arrays / --plot of a COCO
 * result, all or none, then applies the gates. 0, -1 (reported) or
 * CLI_GATE_FAILED (reported). */
int cli_coco_report(const maskeval_coco_result *res, const char *backend, const char *json,
                    const char *dump, int quiet, const cli_report_opts *report);

/* The --json "backend" value of a maskeval_backend_describe() text: "cpu"
 * whatever the thread count (outputs do not depend on it), or the OpenCL
 * device, platform and driver. */
const char *cli_backend_name(const char *describe);

/* Summarizes a semantic evaluation, applies --strict, prints the table
 * (unless quiet; or the --format table) and writes --json, then applies the
 * gates; tag: the run's class names and parameters (semantic_meta.h; NULL:
 * none); report may be NULL. Returns an exit code. */
int cli_semantic_report(maskeval_ctx *ctx, const maskeval_semantic *sem, const char *json,
                        int quiet, int strict, const char *tag, const cli_report_opts *report,
                        maskeval_semantic_summary *sum);
/* --shard I/N: 0, or an exit code after a usage error. */
int cli_parse_shard(const char *cmd, const char *v, uint32_t *index, uint32_t *count);
/* Encodes a partial (coco, or else sem) and writes it atomically; 0 or -1 (reported). */
int cli_write_partial(maskeval_ctx *ctx, const char *path, const maskeval_coco_partial *coco,
                      const maskeval_semantic *sem);
/* Reads a whole file (malloc'd); 0 or -1 (reported). */
int cli_read_file(const char *path, void **out, size_t *len);

/* Run a parsed command; return an exit code. */
int cli_coco_run(const coco_opts *o);
int cli_semantic_run(const sem_opts *o);

int cmd_coco(int argc, char **argv);
int cmd_lvis(int argc, char **argv);
int cmd_semantic(int argc, char **argv);
int cmd_devices(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_tide(int argc, char **argv);
int cmd_panoptic(int argc, char **argv);
/* Writes a panoptic partial atomically; 0 or -1 (reported). */
int cli_write_panoptic_partial(maskeval_ctx *ctx, const char *path, const maskeval_panoptic *r);
/* panopticapi's table (and the per-category one unless quiet) on stdout, or
 * with json "-" the JSON document there; json (a path) also written. Returns
 * an exit code. */
int cli_panoptic_report(const maskeval_panoptic *r, const char *json, int quiet);
int cmd_cityscapes_instances(int argc, char **argv);
/* Options of `maskeval devices`: 0 (run), -1 (--help printed) or a usage exit code. */
typedef struct devices_opts {
    const char *json; /* "-" for stdout */
    int quiet;
    int calibrate;          /* --calibrate */
    const char *profile;    /* --profile FILE */
    int device, threads;    /* --device N (-1: the first GPU), --threads N (0: all) */
} devices_opts;
int cli_devices_parse(int argc, char **argv, devices_opts *o);
int cmd_merge(int argc, char **argv);

#endif
