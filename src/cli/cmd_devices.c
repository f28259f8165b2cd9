/*
 * cmd_devices.c - `maskeval devices`: the OpenCL devices, in selection order.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cmd_devices(int argc, char **argv)
{
    maskeval_ctx *ctx = NULL;
    maskeval_device_info *info = NULL;
    size_t n = 0;
    int rc = CLI_ERR_INPUT;
    if (argc > 0) {
        if (strcmp(argv[0], "--help") == 0) {
            printf("usage: maskeval devices\n\nLists the OpenCL devices (index, name, driver, "
                   "memory, compute units);\nthe index is what --device and MASKEVAL_DEVICE "
                   "take.\n");
            return CLI_OK;
        }
        return cli_usage_error("devices", "unexpected argument '%s'", argv[0]);
    }
    if (maskeval_ctx_create(NULL, &ctx) != MASKEVAL_OK ||
        maskeval_device_list(ctx, NULL, 0, &n) != MASKEVAL_OK) {
        fprintf(stderr, "maskeval: %s\n", maskeval_errmsg(ctx));
        goto done;
    }
    if (n == 0) {
        printf("no OpenCL devices found; maskeval runs on the CPU path\n");
        rc = CLI_OK;
        goto done;
    }
    info = calloc(n, sizeof(*info));
    if (info == NULL || maskeval_device_list(ctx, info, n, &n) != MASKEVAL_OK) {
        fprintf(stderr, "maskeval: %s\n", info == NULL ? "out of memory" : maskeval_errmsg(ctx));
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        printf("%zu: %s [%s]%s\n   platform: %s, driver: %s\n   memory: %.1f GiB (max "
               "allocation %.1f GiB), compute units: %u\n",
               i, info[i].name, info[i].vendor, info[i].is_gpu ? " GPU" : "", info[i].platform,
               info[i].driver, info[i].global_mem / 1073741824.0,
               info[i].max_alloc / 1073741824.0, info[i].compute_units);
    }
    rc = CLI_OK;
done:
    free(info);
    maskeval_ctx_destroy(ctx);
    return rc;
}
