/*
 * fuzz_png.h - what the PNG harnesses (png_labels, png_ids, png_luma) share:
 * an allocator that refuses single allocations above 16 MiB, so that a small
 * file with a huge header runs into the out-of-memory path quickly instead
 * of decompressing for seconds, and the rewriting of every chunk's CRC, so
 * that mutations inside IDAT reach the inflater and the unfiltering instead
 * of being refused by the CRC check.
 */
#ifndef MASKEVAL_FUZZ_PNG_H
#define MASKEVAL_FUZZ_PNG_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/ctx.h"

#define FUZZ_PNG_ALLOC_LIMIT ((size_t)16 << 20)

static void *fuzz_png_malloc(size_t n)
{
    return n > FUZZ_PNG_ALLOC_LIMIT ? NULL : malloc(n);
}

static void *fuzz_png_realloc(void *p, size_t n)
{
    return n > FUZZ_PNG_ALLOC_LIMIT ? NULL : realloc(p, n);
}

static const maskeval_alloc alloc = {fuzz_png_malloc, fuzz_png_realloc, free};

static inline uint32_t fuzz_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Rewrites the CRC of every complete chunk of the PNG file f (n bytes). */
static inline void fuzz_fix_crcs(uint8_t *f, size_t n)
{
    size_t p = 8;
    while (p + 12 <= n) {
        const uint32_t len = fuzz_be32(f + p);
        uint32_t c;
        if (len > n - p - 12) {
            return;
        }
        c = (uint32_t)crc32(0L, f + p + 4, (uInt)len + 4);
        f[p + 8 + len] = (uint8_t)(c >> 24);
        f[p + 9 + len] = (uint8_t)(c >> 16);
        f[p + 10 + len] = (uint8_t)(c >> 8);
        f[p + 11 + len] = (uint8_t)c;
        p += 12 + (size_t)len;
    }
}

/* A copy of the input with every CRC rewritten (NULL out of memory); free() it. */
static inline uint8_t *fuzz_png_fixed_copy(const uint8_t *data, size_t size)
{
    uint8_t *f = malloc(size + 1);
    if (f != NULL) {
        memcpy(f, data, size);
        fuzz_fix_crcs(f, size);
    }
    return f;
}

#endif
