/*
 * fuzz_cli_args.c - the command-line option parsers of `maskeval coco`,
 * `maskeval semantic` and `maskeval devices` (src/cli/; the parsers only, so
 * nothing is written), and the CLI's JSON
 * writer (json_out.c).
 *
 * Input: a mode byte, then the arguments separated by NUL bytes. Mode bits
 * 0-1 pick the command (0, 3: coco; 1: semantic; 2: devices); with bit 2 set
 * the last argument becomes the MASKEVAL_DEVICE environment variable instead.
 *
 * Checks: the parsers return 0, -1 (--help) or a usage exit code; on 0 the
 * required options are there and hold valid values (an IoU type, >= 3
 * maxDets >= 1, a class count in 1..65535, an ignore index >= -1, a device
 * index in range); then everything parsed (file names with arbitrary bytes,
 * numbers) is written with the CLI's JSON writer, read back with cJSON and
 * must come back exactly. Everything is freed (cli_coco_opts_free).
 *
 * The parsers print usage errors and --help; the `stdout` / `stderr` streams
 * point at /dev/null unless MASKEVAL_FUZZ_VERBOSE is set (libFuzzer and the
 * sanitizers keep writing to the real stderr).
 */
#define _GNU_SOURCE /* open_memstream is POSIX 2008; setenv */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fuzz_common.h"

#define MAX_ARGS 64

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_err_stream = stderr;
    if (getenv("MASKEVAL_FUZZ_VERBOSE") == NULL) {
        FILE *null = fopen("/dev/null", "w");
        if (null != NULL) {
            stdout = null;
            stderr = null;
        }
    }
    return 0;
}

static void json_f64_array(cli_json *j, const char *key, const double *v, size_t n)
{
    cli_json_key(j, key);
    cli_json_begin_array(j);
    for (size_t i = 0; i < n; i++) {
        cli_json_double(j, v[i]);
    }
    cli_json_end_array(j);
}

static void json_i64_array(cli_json *j, const char *key, const int64_t *v, size_t n)
{
    cli_json_key(j, key);
    cli_json_begin_array(j);
    for (size_t i = 0; i < n; i++) {
        cli_json_int(j, v[i]);
    }
    cli_json_end_array(j);
}

static void check_str(const cJSON *root, const char *key, const char *want)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(root, key);
    if (want == NULL) {
        FUZZ_CHECK(cJSON_IsNull(it), "%s: expected null", key);
        return;
    }
    FUZZ_CHECK(cJSON_IsString(it) && strcmp(it->valuestring, want) == 0,
               "%s: string did not round-trip through the JSON writer", key);
}

static void check_f64(const cJSON *root, const char *key, const double *v, size_t n)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, key), *it;
    size_t i = 0;
    FUZZ_CHECK(cJSON_IsArray(arr) && (size_t)cJSON_GetArraySize(arr) == n, "%s: array", key);
    cJSON_ArrayForEach(it, arr)
    {
        char buf[40];
        cli_format_double(v[i], buf, sizeof(buf));
        FUZZ_CHECK(strtod(buf, NULL) == v[i], "cli_format_double(%.17g) = %s", v[i], buf);
        FUZZ_CHECK(cJSON_IsNumber(it) && it->valuedouble == v[i], "%s[%zu]: %.17g read as %.17g",
                   key, i, v[i], it->valuedouble);
        i++;
    }
}

static void check_i64(const cJSON *root, const char *key, const int64_t *v, size_t n)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, key), *it;
    size_t i = 0;
    FUZZ_CHECK(cJSON_IsArray(arr) && (size_t)cJSON_GetArraySize(arr) == n, "%s: array", key);
    cJSON_ArrayForEach(it, arr)
    {
        FUZZ_CHECK(cJSON_IsNumber(it) && it->valuedouble == (double)v[i], "%s[%zu]", key, i);
        i++;
    }
}

static void write_str(cli_json *j, const char *key, const char *v)
{
    cli_json_key(j, key);
    if (v != NULL) {
        cli_json_string(j, v);
    } else {
        cli_json_null(j);
    }
}

/* A JSON object written with the CLI's writer into memory. */
typedef struct json_sink {
    char *text;
    size_t len;
    FILE *f;
    cli_json j;
} json_sink;

static void sink_open(json_sink *s)
{
    s->text = NULL;
    s->len = 0;
    s->f = open_memstream(&s->text, &s->len);
    if (s->f == NULL) {
        abort();
    }
    cli_json_init(&s->j, s->f);
    cli_json_begin_object(&s->j);
}

/* Closes the object and reads it back with cJSON (never NULL). */
static cJSON *sink_close(json_sink *s)
{
    cJSON *root;
    cli_json_end_object(&s->j);
    FUZZ_CHECK(fclose(s->f) == 0, "memstream");
    FUZZ_CHECK(s->j.depth == 0, "writer depth %d", s->j.depth);
    root = cJSON_ParseWithLength(s->text, s->len);
    FUZZ_CHECK(root != NULL, "the JSON writer produced invalid JSON:\n%.*s",
               (int)(s->len < 4000 ? s->len : 4000), s->text);
    return root;
}

/* Writes what coco parsed through the CLI's JSON writer and reads it back. */
static void coco_roundtrip(const coco_opts *o)
{
    json_sink sink;
    cli_json *const w = &sink.j;
    cJSON *root;
    sink_open(&sink);
    write_str(w, "gt", o->gt);
    write_str(w, "dt", o->dt);
    write_str(w, "json", o->json);
    write_str(w, "dump", o->dump);
    cli_json_key(w, "flags");
    cli_json_begin_array(w);
    cli_json_bool(w, o->timing);
    cli_json_bool(w, o->quiet);
    cli_json_uint(w, o->lib.max_device_mem);
    cli_json_int(w, o->lib.device_index);
    cli_json_begin_object(w); /* nested containers */
    cli_json_key(w, "");
    cli_json_begin_array(w);
    cli_json_end_array(w);
    cli_json_end_object(w);
    cli_json_end_array(w);
    json_f64_array(w, "iou_thrs", o->params.iou_thrs, o->params.iou_thrs ? o->params.n_iou_thrs : 0);
    json_f64_array(w, "area", o->area, o->params.area_rng ? 8 : 0);
    json_i64_array(w, "max_dets", o->params.max_dets,
                   o->params.max_dets ? o->params.n_max_dets : 0);
    json_i64_array(w, "img_ids", o->params.img_ids, o->params.img_ids ? o->params.n_img_ids : 0);
    json_i64_array(w, "cat_ids", o->params.cat_ids, o->params.cat_ids ? o->params.n_cat_ids : 0);
    root = sink_close(&sink);
    check_str(root, "gt", o->gt);
    check_str(root, "dt", o->dt);
    check_str(root, "json", o->json);
    check_str(root, "dump", o->dump);
    check_f64(root, "iou_thrs", o->params.iou_thrs, o->params.iou_thrs ? o->params.n_iou_thrs : 0);
    check_f64(root, "area", o->area, o->params.area_rng ? 8 : 0);
    check_i64(root, "max_dets", o->params.max_dets, o->params.max_dets ? o->params.n_max_dets : 0);
    check_i64(root, "img_ids", o->params.img_ids, o->params.img_ids ? o->params.n_img_ids : 0);
    check_i64(root, "cat_ids", o->params.cat_ids, o->params.cat_ids ? o->params.n_cat_ids : 0);
    cJSON_Delete(root);
    free(sink.text);
}

static void sem_roundtrip(const sem_opts *o)
{
    json_sink sink;
    cli_json *const w = &sink.j;
    cJSON *root;
    sink_open(&sink);
    write_str(w, "gt", o->gt);
    write_str(w, "pred", o->pred);
    write_str(w, "json", o->json);
    write_str(w, "gt_suffix", o->gt_suffix);
    write_str(w, "pred_suffix", o->pred_suffix);
    write_str(w, "map", o->map);
    write_str(w, "pred_map", o->pred_map);
    cli_json_key(w, "k");
    cli_json_int(w, o->k);
    cli_json_key(w, "ignore");
    cli_json_int(w, o->ignore);
    root = sink_close(&sink);
    check_str(root, "gt", o->gt);
    check_str(root, "pred", o->pred);
    check_str(root, "json", o->json);
    check_str(root, "gt_suffix", o->gt_suffix);
    check_str(root, "pred_suffix", o->pred_suffix);
    check_str(root, "map", o->map);
    check_str(root, "pred_map", o->pred_map);
    {
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(root, "k");
        const cJSON *ig = cJSON_GetObjectItemCaseSensitive(root, "ignore");
        FUZZ_CHECK(cJSON_IsNumber(k) && k->valuedouble == (double)o->k, "k");
        FUZZ_CHECK(cJSON_IsNumber(ig) && ig->valuedouble == (double)o->ignore, "ignore");
    }
    cJSON_Delete(root);
    free(sink.text);
}

static int usage_rc(int rc)
{
    return rc == -1 || rc == CLI_ERR_USAGE || rc == CLI_ERR_INPUT;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf, *argv[MAX_ARGS + 1];
    int argc = 0, mode;
    size_t start;

    if (size == 0 || size > 4096) {
        return -1;
    }
    mode = data[0];
    /* the payload, NUL-terminated, split at NULs (a trailing NUL ends the
     * last argument rather than starting an empty one) */
    buf = fuzz_xmalloc(size);
    memcpy(buf, data + 1, size - 1);
    buf[size - 1] = '\0';
    start = 0;
    while (start < size - 1 && argc < MAX_ARGS) {
        argv[argc++] = buf + start;
        start += strlen(buf + start) + 1;
    }
    if ((mode & 4) && argc > 0) {
        setenv("MASKEVAL_DEVICE", argv[--argc], 1);
    } else {
        unsetenv("MASKEVAL_DEVICE");
    }
    argv[argc] = NULL;

    switch (mode & 3) {
    case 1: {
        sem_opts o;
        int rc;
        cli_semantic_opts_init(&o);
        rc = cli_semantic_parse(argc, argv, &o);
        FUZZ_CHECK(rc == 0 || usage_rc(rc), "cli_semantic_parse returned %d", rc);
        if (rc == 0) {
            FUZZ_CHECK(o.gt != NULL && o.pred != NULL && o.have_k, "required options missing");
            FUZZ_CHECK(o.k >= 1 && o.k <= 65535, "k = %lld", (long long)o.k);
            FUZZ_CHECK(o.ignore >= -1, "ignore = %lld", (long long)o.ignore);
            FUZZ_CHECK(o.lib.device_index >= -1 && o.lib.device_index <= 1000000 &&
                           o.lib.threads >= 0 && o.lib.threads <= 256,
                       "device %d threads %d", o.lib.device_index, o.lib.threads);
            sem_roundtrip(&o);
        }
        break;
    }
    case 2: {
        /* the parser only: the command would write --json files */
        devices_opts o;
        int rc = cli_devices_parse(argc, argv, &o);
        FUZZ_CHECK(rc == 0 || rc == -1 || usage_rc(rc), "cli_devices_parse returned %d", rc);
        FUZZ_CHECK(rc != 0 || o.quiet == 0 || o.quiet == 1, "quiet = %d", o.quiet);
        break;
    }
    default: {
        coco_opts o;
        int rc;
        cli_coco_opts_init(&o);
        rc = cli_coco_parse(argc, argv, &o);
        FUZZ_CHECK(rc == 0 || usage_rc(rc), "cli_coco_parse returned %d", rc);
        if (rc == 0) {
            FUZZ_CHECK(o.gt != NULL && o.dt != NULL, "required options missing");
            FUZZ_CHECK((o.iou_type == MASKEVAL_IOU_SEGM || o.iou_type == MASKEVAL_IOU_BBOX) &&
                           (int)o.params.iou_type == o.iou_type,
                       "iou type %d", o.iou_type);
            if (o.params.max_dets != NULL) {
                FUZZ_CHECK(o.params.n_max_dets >= 3, "%zu maxDets", o.params.n_max_dets);
                for (size_t i = 0; i < o.params.n_max_dets; i++) {
                    FUZZ_CHECK(o.params.max_dets[i] >= 1, "maxDets[%zu] = %lld", i,
                               (long long)o.params.max_dets[i]);
                }
            }
            FUZZ_CHECK(o.lib.device_index >= -1 && o.lib.device_index <= 1000000 &&
                           o.lib.threads >= 0 && o.lib.threads <= 256,
                       "device %d threads %d", o.lib.device_index, o.lib.threads);
            coco_roundtrip(&o);
        }
        cli_coco_opts_free(&o);
        break;
    }
    }
    free(buf);
    return 0;
}
