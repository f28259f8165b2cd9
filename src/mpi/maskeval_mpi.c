/*
 * maskeval_mpi.c - `mpirun -np N maskeval-mpi coco|semantic ...`: rank r
 * evaluates shard r/N of the images (or image pairs) with its own threads,
 * the partials are gathered to rank 0 with MPI collectives, and rank 0
 * merges, accumulates and prints / writes exactly what `maskeval coco` or
 * `maskeval semantic` prints and writes in one process.
 *
 * Failure never hangs: every rank reaches the same collectives whatever
 * happened before them. A rank that fails prints its message; the exit
 * codes are combined with MPI_Allreduce (the largest wins) and every rank
 * exits with it.
 */
#include <limits.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct mpi_part {
    void *buf;
    size_t len;
} mpi_part;

static int keep_partial(void *user, maskeval_ctx *ctx, const maskeval_coco_partial *coco,
                        const maskeval_semantic *sem)
{
    mpi_part *p = user;
    size_t n = 0;
    maskeval_status st;
    if (coco != NULL) {
        maskeval_coco_partial_encode(ctx, coco, NULL, 0, &n);
    } else {
        maskeval_semantic_encode(ctx, sem, NULL, 0, &n);
    }
    p->buf = malloc(n > 0 ? n : 1);
    if (p->buf == NULL) {
        fprintf(stderr, "maskeval-mpi: out of memory encoding the partial\n");
        return -1;
    }
    st = coco != NULL ? maskeval_coco_partial_encode(ctx, coco, p->buf, n, &p->len)
                      : maskeval_semantic_encode(ctx, sem, p->buf, n, &p->len);
    if (st != MASKEVAL_OK) {
        cli_report(ctx, st);
        return -1;
    }
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: mpirun -np N maskeval-mpi coco|lvis --gt GT --dt DT --iou-type segm|bbox "
            "[--json OUT] [options]\n"
            "       mpirun -np N maskeval-mpi semantic --gt DIR --pred DIR --num-classes K "
            "[--json OUT] [options]\n"
            "Options are those of 'maskeval coco' / 'lvis' / 'semantic' except --shard and "
            "--partial:\nrank r evaluates shard r/N and rank 0 writes the results.\n"
            "  maskeval-mpi coco --help, maskeval-mpi semantic --help   their options\n"
            "  maskeval-mpi --version                                  version, commit, build\n");
}

/* Every rank: the largest of the ranks' exit codes. */
static int agree(int rc)
{
    int all = rc;
    MPI_Allreduce(&rc, &all, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return all;
}

/* Gathers every rank's bytes on rank 0 (bufs[r], lens[r] there). */
static int gather(const mpi_part *mine, int rank, int size, void ***bufs, size_t **lens)
{
    unsigned long long n = mine->len, *all = NULL;
    int *counts = NULL, *displs = NULL, rc = 0;
    char *flat = NULL;
    long long total = 0;
    if (rank == 0) {
        all = calloc((size_t)size, sizeof(*all));
        counts = calloc((size_t)size, sizeof(int));
        displs = calloc((size_t)size, sizeof(int));
        rc = all == NULL || counts == NULL || displs == NULL;
    }
    MPI_Gather(&n, 1, MPI_UNSIGNED_LONG_LONG, all, 1, MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD);
    if (rank == 0 && rc == 0) {
        for (int r = 0; r < size; r++) {
            displs[r] = (int)total;
            counts[r] = (int)all[r];
            total += (long long)all[r];
            if (all[r] > INT_MAX || total > INT_MAX) {
                fprintf(stderr, "maskeval-mpi: partials above 2 GiB in all cannot be gathered "
                                "in one call; use more ranks or the partial files with "
                                "'maskeval merge'\n");
                rc = 1;
                break;
            }
        }
        flat = rc == 0 ? malloc((size_t)total + 1) : NULL;
        rc = rc != 0 || flat == NULL;
    }
    /* every rank learns whether rank 0 can receive, so nobody blocks alone */
    MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (rc == 0) {
        MPI_Gatherv(mine->buf, (int)mine->len, MPI_BYTE, flat, counts, displs, MPI_BYTE, 0,
                    MPI_COMM_WORLD);
    }
    if (rank == 0 && rc == 0) {
        *bufs = calloc((size_t)size, sizeof(void *));
        *lens = calloc((size_t)size, sizeof(size_t));
        for (int r = 0; *bufs != NULL && *lens != NULL && r < size; r++) {
            (*bufs)[r] = flat + displs[r];
            (*lens)[r] = (size_t)all[r];
        }
        rc = *bufs == NULL || *lens == NULL;
        if (rc == 0) {
            flat = NULL; /* owned through (*bufs)[0] */
        }
    }
    free(flat);
    free(all);
    free(counts);
    free(displs);
    return rc;
}

static int finish_coco(const coco_opts *o, void **bufs, const size_t *lens, int size)
{
    maskeval_options lib = o->lib;
    maskeval_ctx *ctx = NULL;
    maskeval_coco_partial **parts = calloc((size_t)size, sizeof(*parts)), *m = NULL;
    maskeval_coco_result *res = NULL;
    maskeval_status st = maskeval_ctx_create(&lib, &ctx);
    int rc = CLI_ERR_INPUT;
    for (int r = 0; r < size && st == MASKEVAL_OK && parts != NULL; r++) {
        char name[64];
        snprintf(name, sizeof(name), "rank %d", r);
        st = maskeval_coco_partial_decode(ctx, name, bufs[r], lens[r], &parts[r]);
    }
    if (st == MASKEVAL_OK && parts != NULL) {
        st = maskeval_coco_partial_merge(ctx, (const maskeval_coco_partial *const *)parts,
                                         (size_t)size, &m);
    }
    if (st == MASKEVAL_OK) {
        st = maskeval_coco_accumulate(ctx, m, &res);
    }
    if (st == MASKEVAL_OK && o->report.numpy_compat != MASKEVAL_NUMPY_2_3) {
        st = maskeval_coco_result_set_numpy_compat(ctx, res, o->report.numpy_compat);
    }
    if (st != MASKEVAL_OK || parts == NULL) {
        cli_report(ctx, st);
    } else {
        rc = cli_coco_report(res, NULL, o->json, o->dump, o->quiet, &o->report);
        rc = rc == 0 ? CLI_OK : rc == CLI_GATE_FAILED ? rc : CLI_ERR_INPUT;
    }
    for (int r = 0; parts != NULL && r < size; r++) {
        maskeval_coco_partial_destroy(parts[r]);
    }
    free(parts);
    maskeval_coco_partial_destroy(m);
    maskeval_coco_result_destroy(res);
    maskeval_ctx_destroy(ctx);
    return rc;
}

static int finish_semantic(const sem_opts *o, void **bufs, const size_t *lens, int size)
{
    maskeval_options lib = o->lib;
    maskeval_ctx *ctx = NULL;
    maskeval_semantic *acc = NULL, *one = NULL;
    maskeval_status st = maskeval_ctx_create(&lib, &ctx);
    int rc = CLI_ERR_INPUT;
    if (st == MASKEVAL_OK) {
        st = maskeval_semantic_decode(ctx, "rank 0", bufs[0], lens[0], &acc);
    }
    for (int r = 1; r < size && st == MASKEVAL_OK; r++) {
        char name[64];
        snprintf(name, sizeof(name), "rank %d", r);
        st = maskeval_semantic_decode(ctx, name, bufs[r], lens[r], &one);
        if (st == MASKEVAL_OK) {
            st = maskeval_semantic_merge(ctx, acc, one);
        }
        maskeval_semantic_destroy(one);
        one = NULL;
    }
    if (st != MASKEVAL_OK) {
        cli_report(ctx, st);
    } else {
        uint64_t n_items, n_held;
        const char *tag;
        maskeval_semantic_get_shard(acc, &n_items, &n_held, &tag);
        rc = cli_semantic_report(ctx, acc, o->json, o->quiet, o->strict, tag, &o->report, NULL);
    }
    maskeval_semantic_destroy(acc);
    maskeval_ctx_destroy(ctx);
    return rc;
}

int main(int argc, char **argv)
{
    int rank = 0, size = 1, rc, is_coco;
    coco_opts co;
    sem_opts so;
    mpi_part mine = {NULL, 0};
    void **bufs = NULL;
    size_t *lens = NULL;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    cli_coco_opts_init(&co);
    cli_semantic_opts_init(&so);
    is_coco = argc >= 2 && (strcmp(argv[1], "coco") == 0 || strcmp(argv[1], "lvis") == 0);
    co.lvis = is_coco && strcmp(argv[1], "lvis") == 0;
    if (argc >= 2 && (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0 ||
                      strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        if (rank == 0) {
            if (argv[1][1] == 'h' || argv[1][2] == 'h') {
                usage(stdout);
            } else {
                cli_print_version(stdout, "maskeval-mpi");
            }
        }
        rc = CLI_OK;
    } else if (argc < 2 || (!is_coco && strcmp(argv[1], "semantic") != 0)) {
        if (rank == 0) {
            usage(stderr);
        }
        rc = CLI_ERR_USAGE;
    } else {
        rc = is_coco ? cli_coco_parse(argc - 2, argv + 2, &co)
                     : cli_semantic_parse(argc - 2, argv + 2, &so);
        if (rc == 0 && (is_coco ? co.partial != NULL || co.shard_count != 1
                                : so.partial != NULL || so.shard_count != 1)) {
            rc = cli_usage_error(argv[1], "maskeval-mpi shards by rank: drop --shard and "
                                          "--partial");
        }
        if (rc == 0 && is_coco && (co.max_memory > 0 || co.passes > 0)) {
            rc = cli_usage_error(argv[1], "maskeval-mpi shards by rank: --max-memory and "
                                          "--passes are for one process (more ranks use less "
                                          "memory each)");
        }
        rc = rc == -1 ? CLI_OK : rc; /* --help */
    }
    if (rc == 0 && (is_coco ? co.gt != NULL : so.gt != NULL)) {
        if (is_coco) {
            co.partial = "(mpi)";
            co.shard_index = (uint32_t)rank;
            co.shard_count = (uint32_t)size;
            co.sink = keep_partial;
            co.sink_user = &mine;
            rc = cli_coco_run(&co);
        } else {
            so.partial = "(mpi)";
            so.shard_index = (uint32_t)rank;
            so.shard_count = (uint32_t)size;
            so.sink = keep_partial;
            so.sink_user = &mine;
            rc = cli_semantic_run(&so);
        }
        rc = agree(rc);
        if (rc != 0 && rank == 0) {
            fprintf(stderr, "maskeval-mpi: stopped: a rank failed (its message is above)\n");
        }
        if (rc == 0) {
            rc = agree(gather(&mine, rank, size, &bufs, &lens) != 0 ? CLI_ERR_INPUT : 0);
        }
        if (rc == 0 && rank == 0) {
            rc = is_coco ? finish_coco(&co, bufs, lens, size) : finish_semantic(&so, bufs, lens, size);
        }
        MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
    } else {
        rc = agree(rc);
    }
    if (bufs != NULL) {
        free(bufs[0]);
    }
    free(bufs);
    free(lens);
    free(mine.buf);
    if (is_coco) {
        cli_coco_opts_free(&co);
    }
    MPI_Finalize();
    return rc;
}
