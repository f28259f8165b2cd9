/*
 * fuzz_partial.c - the partial-file decoders (src/shard/frame.c,
 * src/instance/partial_codec.c, src/semantic/semantic_partial.c).
 *
 * Input, two kinds:
 *  - starting with 0x89 (the magic's first byte): a partial file as it is;
 *    almost every mutation then fails a CRC, which is worth checking too;
 *  - anything else: byte 0 picks COCO (even) or semantic (odd), the rest is
 *    a body the harness seals with a valid header (CRCs, and for COCO the
 *    parameter digest of the body, whose parameter section the harness
 *    measures from the counts in it), so that the body decoders get fuzzed
 *    past the frame.
 *
 * Checks: the status is OK, PARSE or NOMEM with a message naming the input;
 * a decoded partial encodes, decodes again and encodes to the same bytes
 * (decoding normalizes, then encoding is stable); every record reads back;
 * a COCO partial holding every image accumulates, and one holding any image
 * cannot merge with itself; a semantic partial summarizes.
 */
#include <stdint.h>
#include <string.h>

#include "core/digest.h"
#include "fuzz_common.h"
#include "shard/frame.h"

static uint64_t rd64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) {
        v = (v << 8) | p[i];
    }
    return v;
}

/* Length of a COCO body's parameter section, or 0 if the counts are absurd. */
static size_t coco_params_len(const uint8_t *b, size_t n)
{
    uint64_t T, R, M, I, NC, K, words;
    if (n < 56) {
        return 0;
    }
    T = rd64(b + 8);
    R = rd64(b + 16);
    M = rd64(b + 24);
    I = rd64(b + 32);
    NC = rd64(b + 40);
    K = rd64(b + 48);
    if ((T | R | M | I | NC | K) >> 24) {
        return 0;
    }
    words = T + R + M + 8 + I + NC + K;
    return 56 + 8 * words <= n ? (size_t)(56 + 8 * words) : 0;
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Length of a semantic body's parameter section (K, ignore index, two run
 * tables, the tag), or 0. */
static size_t semantic_params_len(const uint8_t *b, size_t n)
{
    size_t at = 12;
    for (int t = 0; t < 2; t++) {
        uint64_t runs;
        if (at + 4 > n) {
            return 0;
        }
        runs = rd32(b + at);
        if (runs > (n - at - 4) / 12) {
            return 0;
        }
        at += 4 + 12 * (size_t)runs;
    }
    if (at + 4 > n) {
        return 0;
    }
    if (rd32(b + at) != 0xffffffffu) {
        const uint32_t tl = rd32(b + at);
        if (tl > n - at - 4) {
            return 0;
        }
        at += tl;
    }
    return at + 4;
}

static void check_coco(maskeval_ctx *ctx, const uint8_t *data, size_t size)
{
    maskeval_coco_partial *p = NULL, *q = NULL, *m = NULL;
    maskeval_coco_partial_info info;
    maskeval_coco_result *res = NULL;
    maskeval_status st = maskeval_coco_partial_decode(ctx, "in", data, size, &p);
    uint8_t *e1, *e2;
    size_t n1 = 0, n2 = 0;
    FUZZ_CHECK(st == MASKEVAL_OK || st == MASKEVAL_ERR_PARSE || st == MASKEVAL_ERR_NOMEM,
               "status %d", (int)st);
    if (st != MASKEVAL_OK) {
        FUZZ_CHECK(p == NULL && strncmp(maskeval_errmsg(ctx), "in: ", 4) == 0, "%s",
                   maskeval_errmsg(ctx));
        return;
    }
    maskeval_coco_partial_encode(ctx, p, NULL, 0, &n1);
    e1 = fuzz_xmalloc(n1);
    FUZZ_CHECK(maskeval_coco_partial_encode(ctx, p, e1, n1, &n1) == MASKEVAL_OK, "encode");
    FUZZ_CHECK(maskeval_coco_partial_decode(ctx, "again", e1, n1, &q) == MASKEVAL_OK, "%s",
               maskeval_errmsg(ctx));
    maskeval_coco_partial_encode(ctx, q, NULL, 0, &n2);
    e2 = fuzz_xmalloc(n2);
    FUZZ_CHECK(maskeval_coco_partial_encode(ctx, q, e2, n2, &n2) == MASKEVAL_OK, "encode");
    FUZZ_CHECK(n1 == n2 && memcmp(e1, e2, n1) == 0, "encoding not stable");
    maskeval_coco_partial_get_info(p, &info);
    for (size_t c = 0; c < info.n_cells; c++) {
        maskeval_coco_record r;
        FUZZ_CHECK(maskeval_coco_partial_record(p, c, &r) == MASKEVAL_OK, "record %zu", c);
    }
    st = maskeval_coco_accumulate(ctx, p, &res);
    FUZZ_CHECK(info.n_held == info.n_images ? st == MASKEVAL_OK || st == MASKEVAL_ERR_NOMEM
                                            : st == MASKEVAL_ERR_INVALID_ARG,
               "accumulate: %d", (int)st);
    {
        const maskeval_coco_partial *two[2] = {p, q};
        st = maskeval_coco_partial_merge(ctx, two, 2, &m);
        FUZZ_CHECK(info.n_held > 0 ? st == MASKEVAL_ERR_INVALID_ARG : st != MASKEVAL_ERR_INVALID_ARG,
                   "self-merge: %d", (int)st);
    }
    maskeval_coco_result_destroy(res);
    maskeval_coco_partial_destroy(m);
    maskeval_coco_partial_destroy(q);
    maskeval_coco_partial_destroy(p);
    free(e1);
    free(e2);
}

static void check_semantic(maskeval_ctx *ctx, const uint8_t *data, size_t size)
{
    maskeval_semantic *s = NULL, *t = NULL;
    maskeval_semantic_summary sum;
    maskeval_status st = maskeval_semantic_decode(ctx, "in", data, size, &s);
    uint8_t *e1, *e2;
    size_t n1 = 0, n2 = 0;
    FUZZ_CHECK(st == MASKEVAL_OK || st == MASKEVAL_ERR_PARSE || st == MASKEVAL_ERR_NOMEM,
               "status %d", (int)st);
    if (st != MASKEVAL_OK) {
        FUZZ_CHECK(s == NULL, "object on failure");
        return;
    }
    maskeval_semantic_encode(ctx, s, NULL, 0, &n1);
    e1 = fuzz_xmalloc(n1);
    FUZZ_CHECK(maskeval_semantic_encode(ctx, s, e1, n1, &n1) == MASKEVAL_OK, "encode");
    FUZZ_CHECK(maskeval_semantic_decode(ctx, "again", e1, n1, &t) == MASKEVAL_OK, "%s",
               maskeval_errmsg(ctx));
    maskeval_semantic_encode(ctx, t, NULL, 0, &n2);
    e2 = fuzz_xmalloc(n2);
    FUZZ_CHECK(maskeval_semantic_encode(ctx, t, e2, n2, &n2) == MASKEVAL_OK, "encode");
    FUZZ_CHECK(n1 == n2 && memcmp(e1, e2, n1) == 0, "encoding not stable");
    (void)maskeval_semantic_summarize(s, &sum);
    maskeval_semantic_destroy(t);
    maskeval_semantic_destroy(s);
    free(e1);
    free(e2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    maskeval_ctx *ctx = fuzz_ctx();
    if (size > 0 && data[0] == 0x89) {
        check_coco(ctx, data, size);
        check_semantic(ctx, data, size);
        return 0;
    }
    if (size < 1) {
        return 0;
    }
    {
        const int semantic = data[0] & 1;
        const size_t body = size - 1;
        uint8_t *buf = fuzz_xmalloc(MASKEVAL_FRAME_HEADER + body + 1);
        uint64_t pd = 0;
        memcpy(buf + MASKEVAL_FRAME_HEADER, data + 1, body);
        pd = maskeval_digest64(data + 1, semantic ? semantic_params_len(data + 1, body)
                                                   : coco_params_len(data + 1, body));
        maskeval_frame_seal(buf, semantic ? MASKEVAL_FRAME_SEMANTIC : MASKEVAL_FRAME_COCO,
                            0x1234, pd, body);
        if (semantic) {
            check_semantic(ctx, buf, MASKEVAL_FRAME_HEADER + body);
        } else {
            check_coco(ctx, buf, MASKEVAL_FRAME_HEADER + body);
        }
        free(buf);
    }
    return 0;
}
