/*
 * file_read.c - whole-file reads of JSON inputs with errors that name the
 * file. Two common accidents are undone here, for files only (the
 * _load_buffer APIs take exactly what json.loads takes): a gzip-compressed
 * file is inflated in memory (bounded, see MASKEVAL_GZIP_*), and a UTF-8
 * byte-order mark is dropped, so the loaders see the plain file's bytes and
 * every number (and the ground truth's digest) is the plain file's.
 */
#include "io/file_read.h"

#define _XOPEN_SOURCE 700 /* pread */

/* Pipes (process substitution, a FIFO) are read up to this many bytes. */
#define MASKEVAL_PIPE_INPUT_MAX ((uint64_t)64 << 30)
/* A .gz input inflates to at most this many bytes, and beyond
 * MASKEVAL_GZIP_FREE_MAX to at most MASKEVAL_GZIP_RATIO times its compressed
 * size: COCO JSON compresses 3-20x, a decompression bomb ~1000x. */
#define MASKEVAL_GZIP_FREE_MAX ((uint64_t)1 << 30)
#define MASKEVAL_GZIP_RATIO 200
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

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

#define UTF8_BOM "\xef\xbb\xbf"

static int is_gzip(const char *d, size_t n)
{
    return n >= 2 && (unsigned char)d[0] == 0x1f && (unsigned char)d[1] == 0x8b;
}

/* What compressed (or archived) data other than gzip d is, or NULL. */
static const char *compressed_kind(const char *d, size_t n)
{
    if (n >= 4 && memcmp(d, "\x28\xb5\x2f\xfd", 4) == 0) {
        return "zstd-compressed";
    }
    if (n >= 6 && memcmp(d, "\xfd" "7zXZ\0", 6) == 0) {
        return "xz-compressed";
    }
    if (n >= 4 && memcmp(d, "BZh", 3) == 0 && d[3] >= '1' && d[3] <= '9') {
        return "bzip2-compressed";
    }
    if (n >= 4 && memcmp(d, "PK\x03\x04", 4) == 0) {
        return "a zip archive";
    }
    if (is_gzip(d, n)) {
        return "gzip-compressed twice"; /* the inflated data is gzip again */
    }
    return NULL;
}

/* Whether the first n bytes read so far may begin gzip data / a BOM. */
static int maybe_gzip(const char *d, size_t n)
{
    return n >= 1 && (unsigned char)d[0] == 0x1f && (n == 1 || (unsigned char)d[1] == 0x8b);
}

static int maybe_bom(const char *d, size_t n)
{
    return n >= 1 && n < 3 && memcmp(d, UTF8_BOM, n) == 0;
}

/* Inflates the gzip data in[0..n) (one or more members, as gzip -d reads
 * them) into a new NUL-terminated buffer. */
static maskeval_status gunzip(maskeval_ctx *ctx, const char *path, const char *in, size_t n,
                              char **out, size_t *out_len)
{
    uint64_t limit = (uint64_t)n * MASKEVAL_GZIP_RATIO;
    char *data = NULL;
    size_t cap = 0, len = 0, pos = 0;
    z_stream z;
    maskeval_status st = MASKEVAL_OK;
    int zr;

    if (limit < MASKEVAL_GZIP_FREE_MAX) {
        limit = MASKEVAL_GZIP_FREE_MAX;
    }
    if (limit > MASKEVAL_PIPE_INPUT_MAX) {
        limit = MASKEVAL_PIPE_INPUT_MAX;
    }
    memset(&z, 0, sizeof(z));
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
        return maskeval_nomem(ctx, "inflating a gzip file");
    }
    /* a first guess (JSON inflates 3-20x); grown as needed */
    if (grow_bytes(ctx, &data, &cap, (n < ((size_t)1 << 28) ? 4 * n : (size_t)1 << 30) + 2) !=
        MASKEVAL_OK) {
        st = maskeval_nomem(ctx, "inflating a gzip file");
        goto done;
    }
    for (;;) {
        size_t in_chunk = n - pos < UINT_MAX ? n - pos : UINT_MAX;
        size_t out_chunk;
        if (len + 1 >= cap && grow_bytes(ctx, &data, &cap, cap + 1) != MASKEVAL_OK) {
            st = maskeval_nomem(ctx, "inflating a gzip file");
            goto done;
        }
        out_chunk = cap - len - 1 < UINT_MAX ? cap - len - 1 : UINT_MAX;
        z.next_in = (Bytef *)(uintptr_t)(in + pos);
        z.avail_in = (uInt)in_chunk;
        z.next_out = (Bytef *)(data + len);
        z.avail_out = (uInt)out_chunk;
        zr = inflate(&z, Z_NO_FLUSH);
        pos += in_chunk - z.avail_in;
        len += out_chunk - z.avail_out;
        if (len > limit) {
            st = maskeval_fail(ctx, MASKEVAL_ERR_LIMIT,
                               "%s: gzip-compressed, and inflates to more than %llu MiB (the "
                               "bound is the larger of 1 GiB and %d times the compressed size): "
                               "a decompression bomb? If it is genuine, decompress it first "
                               "(gunzip)",
                               path, (unsigned long long)(limit >> 20), MASKEVAL_GZIP_RATIO);
            goto done;
        }
        if (zr == Z_STREAM_END) {
            if (pos == n) {
                break;
            }
            if (!is_gzip(in + pos, n - pos)) {
                st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                                   "%s: gzip-compressed, with %zu bytes of other data after the "
                                   "compressed stream (at byte %zu)",
                                   path, n - pos, pos);
                goto done;
            }
            inflateReset(&z); /* the next member of a concatenation */
            continue;
        }
        if (zr == Z_BUF_ERROR && pos == n) {
            st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                               "%s: gzip-compressed, but truncated (the compressed stream ends "
                               "early)",
                               path);
            goto done;
        }
        if (zr == Z_MEM_ERROR) {
            st = maskeval_nomem(ctx, "inflating a gzip file");
            goto done;
        }
        if (zr != Z_OK && zr != Z_BUF_ERROR) {
            st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                               "%s: gzip-compressed, but corrupt near compressed byte %zu: %s", path,
                               pos, z.msg != NULL ? z.msg : "invalid data");
            goto done;
        }
    }
    data[len] = '\0';
    *out = data;
    *out_len = len;
    data = NULL;
done:
    inflateEnd(&z);
    maskeval_free(&ctx->alloc, data);
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
            /* a pipe: fail at the first byte that cannot start JSON (or
             * gzip, or a byte-order mark), and stop at the documented bound */
            size_t p = n >= 3 && memcmp(data, UTF8_BOM, 3) == 0 ? 3 : 0;
            while (p < n && (data[p] == ' ' || data[p] == '\t' || data[p] == '\n' ||
                             data[p] == '\r')) {
                p++;
            }
            if (p < n && data[p] != '{' && data[p] != '[' && !(p == 0 && maybe_gzip(data, n)) &&
                !(p == 0 && maybe_bom(data, n))) {
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
    if (is_gzip(data, n)) {
        char *plain = NULL;
        size_t plain_len = 0;
        st = gunzip(ctx, path, data, n, &plain, &plain_len);
        if (st != MASKEVAL_OK) {
            goto done;
        }
        maskeval_free(&ctx->alloc, data);
        data = plain;
        n = plain_len;
    }
    {
        const char *kind = compressed_kind(data, n);
        if (kind != NULL) {
            st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                               "%s: %s; decompress it first (maskeval reads JSON, or gzip-"
                               "compressed JSON)",
                               path, kind);
            goto done;
        }
    }
    if (n >= 3 && memcmp(data, UTF8_BOM, 3) == 0) {
        /* JSON text MAY start with one (RFC 8259 section 8.1; Python reads
         * it with encoding="utf-8-sig"); the rest is the plain file */
        memmove(data, data + 3, n - 3 + 1);
        n -= 3;
    }
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
