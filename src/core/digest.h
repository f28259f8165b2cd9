/*
 * digest.h - maskeval's 64-bit content digest (not cryptographic): it tells
 * partial files made from different ground truth or parameters apart.
 */
#ifndef MASKEVAL_CORE_DIGEST_H
#define MASKEVAL_CORE_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "core/ctx.h"

/* Digest of n bytes (digest v1; the partial-file format documents it). */
uint64_t maskeval_digest64(const void *data, size_t n);

/* Digest of a large buffer: the digest of the little-endian sequence of its
 * 1 MiB blocks' digests, followed by n. Computed on the context's threads;
 * the value does not depend on their number. */
maskeval_status maskeval_digest_blocks(maskeval_ctx *ctx, const void *data, size_t n,
                                       uint64_t *out);

#endif
