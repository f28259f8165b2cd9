/*
 * main.c - the maskeval command: dispatches to the subcommands.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: maskeval <command> [options]\n"
            "\n"
            "Segmentation metrics, bit-identical to the reference tools.\n"
            "\n"
            "commands:\n"
            "  coco       COCO mAP for segm or bbox results (pycocotools' COCOeval)\n"
            "  semantic   mIoU and friends from PNG label maps (mmsegmentation's IoUMetric)\n"
            "  merge      combine the partial files of a sharded coco or semantic run\n"
            "  devices    list the OpenCL devices maskeval can use\n"
            "\n"
            "  maskeval <command> --help   options of a command\n"
            "  maskeval --version          version\n");
}

static int dispatch(int argc, char **argv);

int main(int argc, char **argv)
{
    /* a full disk or a closed pipe on stdout is a failure too */
    return cli_finish_stdout(dispatch(argc, argv));
}

static int dispatch(int argc, char **argv)
{
    const char *cmd;
    if (argc < 2) {
        usage(stderr);
        return CLI_ERR_USAGE;
    }
    cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return CLI_OK;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("maskeval %s\n", maskeval_version());
        return CLI_OK;
    }
    if (strcmp(cmd, "coco") == 0) {
        return cmd_coco(argc - 2, argv + 2);
    }
    if (strcmp(cmd, "semantic") == 0) {
        return cmd_semantic(argc - 2, argv + 2);
    }
    if (strcmp(cmd, "merge") == 0) {
        return cmd_merge(argc - 2, argv + 2);
    }
    if (strcmp(cmd, "devices") == 0) {
        return cmd_devices(argc - 2, argv + 2);
    }
    fprintf(stderr, "maskeval: unknown command '%s'\n", cmd);
    usage(stderr);
    return CLI_ERR_USAGE;
}
