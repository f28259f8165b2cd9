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

#endif
