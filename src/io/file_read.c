/*
 * file_read.c - whole-file reads with errors that name the file.
 */
#include "io/file_read.h"

#define _XOPEN_SOURCE 700 /* pread */

/* Pipes (process substitution, a FIFO) are read up to this many bytes. */
#define MASKEVAL_PIPE_INPUT_MAX ((uint64_t)64 << 30)
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/threadpool.h"

/* Large regular files are read in chunks on all threads: copying ~200 MB
 * out of the page cache on one thread is a serial ~0.05-0.1 s. */
#define CHUNK ((size_t)8 << 20)

typedef struct chunk_job {
    int fd;
    char *data;
    size_t size;
} chunk_job;

static maskeval_status read_chunk(void *arg, size_t i, int worker, char *err, size_t errcap)
{
    chunk_job *job = arg;
    size_t off = i * CHUNK, end = off + CHUNK < job->size ? off + CHUNK : job->size;
    (void)worker;
    while (off < end) {
        ssize_t got = pread(job->fd, job->data + off, end - off, (off_t)off);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0) {
            /* an error, or the file shrank: the caller reads it again serially */
            snprintf(err, errcap, "short read");
            return MASKEVAL_ERR_IO;
        }
        off += (size_t)got;
    }
    return MASKEVAL_OK;
}

static maskeval_status grow_bytes(maskeval_ctx *ctx, char **data, size_t *cap, size_t need)
{
    void *p = *data;
    maskeval_status st = maskeval_grow(&ctx->alloc, &p, cap, need, 1);
    *data = p;
    return st;
}

maskeval_status maskeval_file_read(maskeval_ctx *ctx, const char *path, char **buf, size_t *len)
{
    FILE *f = NULL;
    char *data = NULL;
    size_t cap = 0, n = 0;
    struct stat sb;
    maskeval_status st = MASKEVAL_OK;

    *buf = NULL;
    *len = 0;
    f = fopen(path, "rb");
    if (f == NULL) {
        return maskeval_fail(ctx, MASKEVAL_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    }
    if (fstat(fileno(f), &sb) != 0) {
        st = maskeval_fail(ctx, MASKEVAL_ERR_IO, "%s: cannot stat: %s", path, strerror(errno));
        goto done;
    }
    if (S_ISDIR(sb.st_mode)) {
        st = maskeval_fail(ctx, MASKEVAL_ERR_IO, "%s: is a directory", path);
        goto done;
    }
    if (!S_ISREG(sb.st_mode) && !S_ISFIFO(sb.st_mode)) {
        /* /dev/zero would be read for gigabytes before the parser saw it */
        st = maskeval_fail(ctx, MASKEVAL_ERR_IO,
                           "%s: not a regular file or a pipe (a device or socket); inputs are "
                           "files, or pipes of at most %llu GiB",
                           path, (unsigned long long)(MASKEVAL_PIPE_INPUT_MAX >> 30));
        goto done;
    }
    /* Size hint from stat (+1 so a file of the expected size reaches EOF
     * without growing); still read to EOF (pipes, files that change). */
    cap = 0;
    if (grow_bytes(ctx, &data, &cap, (sb.st_size > 0 ? (size_t)sb.st_size : 0) + 2) !=
        MASKEVAL_OK) {
        st = maskeval_fail(ctx, MASKEVAL_ERR_NOMEM, "%s: out of memory reading the file", path);
        goto done;
    }
    if (S_ISREG(sb.st_mode) && (size_t)sb.st_size >= 2 * CHUNK && ctx->threads > 1) {
        chunk_job job;
        job.fd = fileno(f);
        job.data = data;
        job.size = (size_t)sb.st_size;
        if (maskeval_parallel_for(ctx, (job.size + CHUNK - 1) / CHUNK, read_chunk, &job) ==
                MASKEVAL_OK &&
            fseeko(f, (off_t)job.size, SEEK_SET) == 0) {
            n = job.size; /* then read on to EOF, in case the file grew */
        } else {
            ctx->errmsg[0] = '\0';
            rewind(f);
        }
    }
    for (;;) {
        size_t got;
        if (n + 1 >= cap && grow_bytes(ctx, &data, &cap, cap + 1) != MASKEVAL_OK) {
            st = maskeval_fail(ctx, MASKEVAL_ERR_NOMEM, "%s: out of memory reading the file", path);
            goto done;
        }
        got = fread(data + n, 1, cap - n - 1, f);
        n += got;
        if (!S_ISREG(sb.st_mode)) {
            /* a pipe: fail at the first byte that cannot start JSON, and
             * stop at the documented bound */
            size_t p = 0;
            while (p < n && (data[p] == ' ' || data[p] == '\t' || data[p] == '\n' ||
                             data[p] == '\r')) {
                p++;
            }
            if (p < n && data[p] != '{' && data[p] != '[') {
                st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                                   "%s: not JSON: starts with byte 0x%02x at offset %zu", path,
                                   (unsigned)(unsigned char)data[p], p);
                goto done;
            }
            if (n > MASKEVAL_PIPE_INPUT_MAX) {
                st = maskeval_fail(ctx, MASKEVAL_ERR_LIMIT,
                                   "%s: a pipe input beyond %llu GiB", path,
                                   (unsigned long long)(MASKEVAL_PIPE_INPUT_MAX >> 30));
                goto done;
            }
        }
        if (got == 0) {
            if (ferror(f)) {
                st = maskeval_fail(ctx, MASKEVAL_ERR_IO, "%s: read error: %s", path,
                                   strerror(errno));
                goto done;
            }
            break;
        }
    }
    data[n] = '\0';
    *buf = data;
    *len = n;
    data = NULL;
done:
    maskeval_free(&ctx->alloc, data);
    fclose(f);
    return st;
}

maskeval_status maskeval_text_copy(maskeval_ctx *ctx, const char *text, size_t len,
                                   const char *what, char **out)
{
    char *copy = maskeval_malloc(&ctx->alloc, len + 1);
    *out = NULL;
    if (copy == NULL) {
        return maskeval_nomem(ctx, what);
    }
    if (len > 0) {
        memcpy(copy, text, len);
    }
    copy[len] = '\0';
    *out = copy;
    return MASKEVAL_OK;
}
