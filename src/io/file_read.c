/*
 * file_read.c - whole-file reads with errors that name the file.
 */
#include "io/file_read.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

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
    if (fstat(fileno(f), &sb) == 0 && S_ISDIR(sb.st_mode)) {
        st = maskeval_fail(ctx, MASKEVAL_ERR_IO, "%s: is a directory", path);
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
    for (;;) {
        size_t got;
        if (n + 1 >= cap && grow_bytes(ctx, &data, &cap, cap + 1) != MASKEVAL_OK) {
            st = maskeval_fail(ctx, MASKEVAL_ERR_NOMEM, "%s: out of memory reading the file", path);
            goto done;
        }
        got = fread(data + n, 1, cap - n - 1, f);
        n += got;
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
