/*
 * main.c - the maskeval command: dispatches to the subcommands.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "cli.h"

typedef struct command {
    const char *name, *summary;
    int (*run)(int argc, char **argv);
} command;

static const command commands[] = {
    {"coco", "COCO mAP for segm or bbox results (pycocotools' COCOeval)", cmd_coco},
    {"lvis", "LVIS federated AP for segm or bbox results (lvis-api's LVISEval)", cmd_lvis},
    {"semantic", "mIoU and friends from PNG label maps (mmsegmentation's IoUMetric)",
     cmd_semantic},
    {"panoptic", "panoptic quality and Boundary PQ (panopticapi's pq_compute)", cmd_panoptic},
    {"cityscapes-instances",
     "Cityscapes instance-level AP / AP50 (cityscapesScripts 2.3.0)", cmd_cityscapes_instances},
    {"tide", "TIDE error analysis of detections (tidecv 1.0.1)", cmd_tide},
    {"merge", "combine the partial files of a sharded coco, semantic or panoptic run", cmd_merge},
    {"diff", "compare two --json results of the same ground truth", cmd_diff},
    {"devices", "list the OpenCL devices maskeval can use", cmd_devices},
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
    fprintf(f, "usage: maskeval <command> [options]\n"
               "\n"
               "Segmentation metrics, bit-identical to the reference tools.\n"
               "\n"
               "commands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++) {
        fprintf(f, "  %-21s %s\n", commands[i].name, commands[i].summary);
    }
    fprintf(f, "\n"
               "  maskeval help <command>      options of a command (or: <command> --help, -h)\n"
               "  maskeval --version           version, commit and build options\n"
               "\n"
               "Every command takes --quiet: only the headline results on stdout (no tables,\n"
               "notes or progress bar); errors and warnings still go to stderr.\n"
               "exit status: 0 success, 1 bad input or runtime error, 2 usage error\n");
}

static const command *find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++) {
        if (strcmp(commands[i].name, name) == 0) {
            return &commands[i];
        }
    }
    return NULL;
}

static int dispatch(int argc, char **argv);

int main(int argc, char **argv)
{
    int rc;
#ifdef __GLIBC__
    /* The commands allocate and free buffers of 0.1-30 MB per image or per
     * stage on every thread (decoded PNGs, id maps, mask runs). By default
     * glibc serves those with fresh mmaps, or trims them off its heaps when
     * freed, so every image pays page faults on new zero pages (a quarter of
     * `maskeval panoptic`'s time on 2 cores); keeping them in the heaps costs
     * no peak memory, since the next image reuses them. The process is short
     * lived, and this is the program's choice, not the library's. */
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 128 << 20);
#endif
    /* a full disk or a closed pipe on stdout is a failure too */
    rc = cli_finish_stdout(dispatch(argc, argv));
    if (cli_exit_fast()) {
        /* an OpenCL device is still open: the OS reclaims it faster than
         * the driver's teardown would */
        fflush(stderr);
        _exit(rc);
    }
    return rc;
}

static int dispatch(int argc, char **argv)
{
    const command *c;
    const char *cmd;
    if (argc < 2) {
        usage(stderr);
        return CLI_ERR_USAGE;
    }
    cmd = argv[1];
    if (strcmp(cmd, "help") == 0 && argc >= 3) {
        char help[] = "--help";
        char *args[] = {help, NULL};
        if (argc > 3) {
            fprintf(stderr, "maskeval help: one command at a time\n");
            return CLI_ERR_USAGE;
        }
        c = find_command(argv[2]);
        if (c == NULL) {
            fprintf(stderr, "maskeval help: unknown command '%s'\n", argv[2]);
            usage(stderr);
            return CLI_ERR_USAGE;
        }
        return c->run(1, args);
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return CLI_OK;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        cli_print_version(stdout, "maskeval");
        return CLI_OK;
    }
    c = find_command(cmd);
    if (c != NULL) {
        return c->run(argc - 2, argv + 2);
    }
    fprintf(stderr, "maskeval: unknown command '%s'\n", cmd);
    usage(stderr);
    return CLI_ERR_USAGE;
}
