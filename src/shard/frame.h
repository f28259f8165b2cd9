/*
 * frame.h - the frame of a partial file: a fixed 48-byte header (magic,
 * format version, kind, digests, body length, CRCs) before a kind-specific
 * body. README "Partial files" documents the layout.
 */
#ifndef MASKEVAL_SHARD_FRAME_H
#define MASKEVAL_SHARD_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "core/ctx.h"

#define MASKEVAL_FRAME_HEADER 48
#define MASKEVAL_FRAME_VERSION 1u

enum { MASKEVAL_FRAME_COCO = 1u, MASKEVAL_FRAME_SEMANTIC = 2u, MASKEVAL_FRAME_PANOPTIC = 3u };

typedef struct maskeval_frame {
    uint32_t version, kind;
    uint64_t gt_digest;      /* COCO: the ground-truth file; semantic: 0 */
    uint64_t params_digest;  /* the encoded parameters */
    const uint8_t *body;
    size_t body_len;
} maskeval_frame;

/* Fills the header at buf (MASKEVAL_FRAME_HEADER bytes) for the body that
 * follows it (body_len bytes at buf + MASKEVAL_FRAME_HEADER). */
void maskeval_frame_seal(uint8_t *buf, uint32_t kind, uint64_t gt_digest, uint64_t params_digest,
                         size_t body_len);

/* Checks magic, header CRC, version, kind, length and body CRC; errors name
 * `name` and say what is wrong (truncated, corrupt, another version). */
maskeval_status maskeval_frame_open(maskeval_ctx *ctx, const char *name, const void *buf,
                                    size_t len, uint32_t kind, maskeval_frame *out);

#endif
