/*
 * file_read.h - reading a whole input file into memory.
 */
#ifndef MASKEVAL_IO_FILE_READ_H
#define MASKEVAL_IO_FILE_READ_H

#include <stddef.h>

#include "core/ctx.h"

/* Reads path into a new buffer (NUL-terminated, *len excludes the NUL),
 * allocated with ctx's allocator. Errors name the file. */
maskeval_status maskeval_file_read(maskeval_ctx *ctx, const char *path, char **buf /* out */,
                                   size_t *len /* out */);

/* A NUL-terminated copy of text[0..len) that the caller owns (the loaders
 * keep their buffer as mask storage and write into it), allocated with
 * ctx's allocator; `what` names the work in the out-of-memory message. */
maskeval_status maskeval_text_copy(maskeval_ctx *ctx, const char *text, size_t len,
                                   const char *what, char **out);

#endif
