/*
 * partial_io.c - the CLI side of sharded runs: --shard I/N, writing a
 * partial file atomically, reading partial files back.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_parse_shard(const char *cmd, const char *v, uint32_t *index, uint32_t *count)
{
    char *end = NULL;
    unsigned long long i, n;
    errno = 0;
    i = strtoull(v, &end, 10);
    if (end == v || *end != '/' || v[0] == '-' || errno != 0) {
        return cli_usage_error(cmd, "--shard needs I/N, e.g. 0/4 (got '%s')", v);
    }
    v = end + 1;
    n = strtoull(v, &end, 10);
    if (end == v || *end != 0 || v[0] == '-' || errno != 0 || n == 0 || n > UINT32_MAX ||
        i >= n) {
        return cli_usage_error(cmd, "--shard I/N needs 1 <= N < 2^32 and 0 <= I < N");
    }
    *index = (uint32_t)i;
    *count = (uint32_t)n;
    return 0;
}

typedef struct bytes_out {
    const void *p;
    size_t n;
} bytes_out;

static int write_bytes(FILE *f, void *arg)
{
    const bytes_out *b = arg;
    return b->n == 0 || fwrite(b->p, 1, b->n, f) == b->n ? 0 : -1;
}

/* One of the library's encoders: size query with buf NULL, then the bytes. */
typedef struct partial_src {
    const maskeval_coco_partial *coco;
    const maskeval_semantic *sem;
    const maskeval_panoptic *pan;
} partial_src;

static maskeval_status encode(maskeval_ctx *ctx, const partial_src *s, void *buf, size_t cap,
                              size_t *n)
{
    if (s->coco != NULL) {
        return maskeval_coco_partial_encode(ctx, s->coco, buf, cap, n);
    }
    if (s->sem != NULL) {
        return maskeval_semantic_encode(ctx, s->sem, buf, cap, n);
    }
    return maskeval_panoptic_encode(ctx, s->pan, buf, cap, n);
}

static int write_partial(maskeval_ctx *ctx, const char *path, const partial_src *src)
{
    size_t n = 0;
    void *buf;
    bytes_out b;
    maskeval_status st;
    int rc;
    encode(ctx, src, NULL, 0, &n);
    buf = malloc(n > 0 ? n : 1);
    if (buf == NULL) {
        fprintf(stderr, "maskeval: %s: out of memory encoding the partial (%zu bytes)\n", path, n);
        return -1;
    }
    st = encode(ctx, src, buf, n, &n);
    if (st != MASKEVAL_OK) {
        cli_report(ctx, st);
        free(buf);
        return -1;
    }
    b.p = buf;
    b.n = n;
    rc = cli_write_atomic(path, write_bytes, &b);
    free(buf);
    return rc;
}

int cli_write_panoptic_partial(maskeval_ctx *ctx, const char *path, const maskeval_panoptic *r)
{
    const partial_src src = {NULL, NULL, r};
    return write_partial(ctx, path, &src);
}

int cli_write_partial(maskeval_ctx *ctx, const char *path, const maskeval_coco_partial *coco,
                      const maskeval_semantic *sem)
{
    const partial_src src = {coco, coco != NULL ? NULL : sem, NULL};
    return write_partial(ctx, path, &src);
}

int cli_read_file(const char *path, void **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0, cap = 0;
    *out = NULL;
    *len = 0;
    if (f == NULL) {
        fprintf(stderr, "maskeval: %s: cannot open: %s\n", path, strerror(errno));
        return -1;
    }
    for (;;) {
        size_t got;
        if (n == cap) {
            size_t ncap = cap == 0 ? (1u << 16) : cap * 2;
            char *nb = ncap > cap ? realloc(buf, ncap) : NULL;
            if (nb == NULL) {
                fprintf(stderr, "maskeval: %s: out of memory reading\n", path);
                free(buf);
                fclose(f);
                return -1;
            }
            buf = nb;
            cap = ncap;
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            break;
        }
    }
    if (ferror(f)) {
        fprintf(stderr, "maskeval: %s: read error: %s\n", path, strerror(errno));
        free(buf);
        fclose(f);
        return -1;
    }
    fclose(f);
    *out = buf;
    *len = n;
    return 0;
}
