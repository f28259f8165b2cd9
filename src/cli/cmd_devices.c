/*
 * cmd_devices.c - `maskeval devices`: the OpenCL devices, in selection order.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void devices_help(FILE *f)
{
    fprintf(f, "usage: maskeval devices [--json [OUT]] [--quiet]\n"
               "       maskeval devices --calibrate [--profile FILE] [--device N] [--threads N]\n"
               "\n"
               "Lists the OpenCL devices in selection order (GPUs first): index, name, vendor,\n"
               "platform, driver, memory, compute units. The index is what --device and\n"
               "MASKEVAL_DEVICE take. --backend auto (the default) uses the first GPU only for\n"
               "a stage that the device profile predicts it to finish sooner than the CPU,\n"
               "opening included; without a profile, and where the machine has no GPU device\n"
               "node, it uses the CPU path and does not load OpenCL.\n"
               "\n"
               "options:\n"
               "  --json [OUT]   the list as a JSON array (to OUT, or stdout when OUT is\n"
               "                 omitted or '-'), instead of the text\n"
               "  --quiet        one line per device: index and name\n"
               "  --calibrate    measure the first GPU (or --device N) against the CPU path\n"
               "                 with --threads N threads (default: all) and write the profile\n"
               "                 auto reads (a few seconds)\n"
               "  --profile FILE where (default: $MASKEVAL_PROFILE, else\n"
               "                 $XDG_CACHE_HOME/maskeval/device-profile or ~/.cache/...)\n"
               "  -h, --help     this text\n"
               "\n"
               "exit status: 0 success (also with no devices), 1 runtime error, 2 usage error\n");
}

typedef struct dev_list {
    const maskeval_device_info *info;
    size_t n;
} dev_list;

static int write_devices_json(FILE *f, void *arg)
{
    const dev_list *d = arg;
    cli_json j;
    cli_json_init(&j, f);
    cli_json_begin_array(&j);
    for (size_t i = 0; i < d->n; i++) {
        const maskeval_device_info *x = &d->info[i];
        cli_json_begin_object(&j);
        cli_json_key(&j, "index");
        cli_json_uint(&j, i);
        cli_json_key(&j, "name");
        cli_json_string(&j, x->name);
        cli_json_key(&j, "vendor");
        cli_json_string(&j, x->vendor);
        cli_json_key(&j, "platform");
        cli_json_string(&j, x->platform);
        cli_json_key(&j, "driver");
        cli_json_string(&j, x->driver);
        cli_json_key(&j, "gpu");
        cli_json_bool(&j, x->is_gpu);
        cli_json_key(&j, "global_mem_bytes");
        cli_json_uint(&j, x->global_mem);
        cli_json_key(&j, "max_alloc_bytes");
        cli_json_uint(&j, x->max_alloc);
        cli_json_key(&j, "compute_units");
        cli_json_uint(&j, x->compute_units);
        cli_json_end_object(&j);
    }
    cli_json_end_array(&j);
    fputc('\n', f);
    return ferror(f) ? -1 : 0;
}

int cli_devices_parse(int argc, char **argv, devices_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->device = -1;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            devices_help(stdout);
            return -1;
        }
        if (strcmp(a, "--quiet") == 0) {
            o->quiet = 1;
        } else if (strcmp(a, "--calibrate") == 0) {
            o->calibrate = 1;
        } else if (strcmp(a, "--profile") == 0 || strcmp(a, "--device") == 0 ||
                   strcmp(a, "--threads") == 0) {
            int64_t v = 0;
            if (i + 1 >= argc) {
                return cli_usage_error("devices", "%s needs a value", a);
            }
            if (strcmp(a, "--profile") == 0) {
                o->profile = argv[++i];
                continue;
            }
            if (!cli_parse_i64(argv[++i], &v) || v < (a[2] == 'd' ? 0 : 1) || v > 65535) {
                return cli_usage_error("devices", "%s needs a %s integer (got '%s')", a,
                                       a[2] == 'd' ? "non-negative" : "positive", argv[i]);
            }
            *(a[2] == 'd' ? &o->device : &o->threads) = (int)v;
        } else if (strcmp(a, "--json") == 0) {
            /* the value is optional: `devices --json` prints to stdout */
            o->json = i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0 ? argv[++i] : "-";
        } else if (strncmp(a, "--json=", 7) == 0) {
            o->json = a + 7;
        } else {
            return cli_usage_error("devices", a[0] == '-' ? "unknown option %s"
                                                          : "unexpected argument '%s'", a);
        }
    }
    return 0;
}

int cmd_devices(int argc, char **argv)
{
    maskeval_ctx *ctx = NULL;
    maskeval_device_info *info = NULL;
    devices_opts o;
    const char *json;
    size_t n = 0;
    int rc = cli_devices_parse(argc, argv, &o), quiet = o.quiet;
    if (rc != 0) {
        return rc == -1 ? CLI_OK : rc;
    }
    if (o.calibrate) {
        maskeval_options lib;
        char summary[2048];
        if (o.json != NULL || quiet) {
            return cli_usage_error("devices", "--calibrate takes neither --json nor --quiet");
        }
        maskeval_options_init(&lib);
        lib.device_index = o.device;
        lib.threads = o.threads;
        rc = CLI_ERR_INPUT;
        if (maskeval_ctx_create(&lib, &ctx) != MASKEVAL_OK ||
            maskeval_device_calibrate(ctx, o.profile, summary, sizeof(summary)) != MASKEVAL_OK) {
            fprintf(stderr, "maskeval: %s\n", maskeval_errmsg(ctx));
        } else {
            fputs(summary, stdout);
            rc = CLI_OK;
        }
        maskeval_ctx_destroy(ctx);
        return rc;
    }
    if (o.profile != NULL || o.device >= 0 || o.threads > 0) {
        return cli_usage_error("devices", "--profile, --device and --threads go with --calibrate");
    }
    json = o.json;
    if (json != NULL && (rc = cli_output_check("devices", "--json", json, 0, NULL, 0)) != 0) {
        return rc;
    }
    rc = CLI_ERR_INPUT;
    if (maskeval_ctx_create(NULL, &ctx) != MASKEVAL_OK ||
        maskeval_device_list(ctx, NULL, 0, &n) != MASKEVAL_OK) {
        fprintf(stderr, "maskeval: %s\n", maskeval_errmsg(ctx));
        goto done;
    }
    if (n > 0) {
        info = calloc(n, sizeof(*info));
        if (info == NULL || maskeval_device_list(ctx, info, n, &n) != MASKEVAL_OK) {
            fprintf(stderr, "maskeval: %s\n",
                    info == NULL ? "out of memory" : maskeval_errmsg(ctx));
            goto done;
        }
    }
    if (json != NULL) {
        dev_list d = {info, n};
        if (cli_write_atomic(json, write_devices_json, &d) != 0) {
            goto done;
        }
    } else if (n == 0) {
        if (!quiet) {
            printf("no OpenCL devices found; maskeval runs on the CPU path\n");
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            if (quiet) {
                printf("%zu: %s\n", i, info[i].name);
                continue;
            }
            printf("%zu: %s [%s]%s\n   platform: %s, driver: %s\n   memory: %.1f GiB (max "
                   "allocation %.1f GiB), compute units: %u\n",
                   i, info[i].name, info[i].vendor, info[i].is_gpu ? " GPU" : "",
                   info[i].platform, info[i].driver, info[i].global_mem / 1073741824.0,
                   info[i].max_alloc / 1073741824.0, info[i].compute_units);
        }
    }
    rc = CLI_OK;
done:
    free(info);
    maskeval_ctx_destroy(ctx);
    return rc;
}
