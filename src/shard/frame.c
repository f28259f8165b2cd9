/*
 * frame.c - writes and checks the partial-file header. CRC-32 is zlib's
 * (the ISO-HDLC polynomial, as in gzip and PNG).
 */
#include <string.h>
#include <zlib.h>

#include "core/bytes.h"
#include "shard/frame.h"

static const uint8_t MAGIC[8] = {0x89, 'M', 'E', 'P', '\r', '\n', 0x1a, '\n'};

static uint32_t crc32_of(const uint8_t *p, size_t n)
{
    uLong c = crc32(0L, Z_NULL, 0);
    while (n > 0) {
        const uInt step = n > (1u << 30) ? (1u << 30) : (uInt)n;
        c = crc32(c, p, step);
        p += step;
        n -= step;
    }
    return (uint32_t)c;
}

void maskeval_frame_seal(uint8_t *buf, uint32_t kind, uint64_t gt_digest, uint64_t params_digest,
                         size_t body_len)
{
    maskeval_wbuf w;
    w.p = buf;
    w.cap = MASKEVAL_FRAME_HEADER;
    w.len = 0;
    maskeval_put_bytes(&w, MAGIC, sizeof(MAGIC));
    maskeval_put_u32(&w, MASKEVAL_FRAME_VERSION);
    maskeval_put_u32(&w, kind);
    maskeval_put_u64(&w, gt_digest);
    maskeval_put_u64(&w, params_digest);
    maskeval_put_u64(&w, (uint64_t)body_len);
    maskeval_put_u32(&w, crc32_of(buf + MASKEVAL_FRAME_HEADER, body_len));
    maskeval_put_u32(&w, crc32_of(buf, MASKEVAL_FRAME_HEADER - 4));
}

maskeval_status maskeval_frame_open(maskeval_ctx *ctx, const char *name, const void *buf,
                                    size_t len, uint32_t kind, maskeval_frame *out)
{
    const uint8_t *b = buf;
    maskeval_rbuf r;
    uint64_t body_len;
    uint32_t body_crc, head_crc;

    memset(out, 0, sizeof(*out));
    if (len < sizeof(MAGIC) || memcmp(b, MAGIC, sizeof(MAGIC)) != 0) {
        return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                             "%s: not a maskeval partial file (no partial-file magic)", name);
    }
    if (len < MASKEVAL_FRAME_HEADER) {
        return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                             "%s: truncated partial file: %zu bytes, the header alone has %d",
                             name, len, MASKEVAL_FRAME_HEADER);
    }
    r.p = b;
    r.len = MASKEVAL_FRAME_HEADER;
    r.pos = sizeof(MAGIC);
    r.short_read = 0;
    out->version = maskeval_get_u32(&r);
    out->kind = maskeval_get_u32(&r);
    out->gt_digest = maskeval_get_u64(&r);
    out->params_digest = maskeval_get_u64(&r);
    body_len = maskeval_get_u64(&r);
    body_crc = maskeval_get_u32(&r);
    head_crc = maskeval_get_u32(&r);
    if (head_crc != crc32_of(b, MASKEVAL_FRAME_HEADER - 4)) {
        return maskeval_fail(ctx, MASKEVAL_ERR_PARSE, "%s: corrupt partial file (header CRC)",
                             name);
    }
    if (out->version != MASKEVAL_FRAME_VERSION) {
        return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                             "%s: partial-file format version %u; this maskeval (%s) reads "
                             "version %u",
                             name, out->version, maskeval_version(), MASKEVAL_FRAME_VERSION);
    }
    if (out->kind != kind) {
        return maskeval_fail(ctx, MASKEVAL_ERR_PARSE, "%s: a %s partial, expected a %s one", name,
                             out->kind == MASKEVAL_FRAME_COCO       ? "COCO"
                             : out->kind == MASKEVAL_FRAME_SEMANTIC ? "semantic"
                             : out->kind == MASKEVAL_FRAME_PANOPTIC ? "panoptic"
                                                                    : "unknown",
                             kind == MASKEVAL_FRAME_COCO       ? "COCO"
                             : kind == MASKEVAL_FRAME_SEMANTIC ? "semantic"
                                                               : "panoptic");
    }
    if (body_len != (uint64_t)(len - MASKEVAL_FRAME_HEADER)) {
        return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                             "%s: %s partial file: the header announces %llu body bytes, the "
                             "file has %zu",
                             name, body_len > (uint64_t)(len - MASKEVAL_FRAME_HEADER)
                                       ? "truncated"
                                       : "oversized",
                             (unsigned long long)body_len, len - MASKEVAL_FRAME_HEADER);
    }
    if (body_crc != crc32_of(b + MASKEVAL_FRAME_HEADER, (size_t)body_len)) {
        return maskeval_fail(ctx, MASKEVAL_ERR_PARSE, "%s: corrupt partial file (body CRC)", name);
    }
    out->body = b + MASKEVAL_FRAME_HEADER;
    out->body_len = (size_t)body_len;
    return MASKEVAL_OK;
}
