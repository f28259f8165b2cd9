/*
 * fuzz_rle_string.c - the compressed RLE string codec (src/rle/rle_string.c).
 *
 * Input: one mode byte, h and w (their width picked by the mode byte), then
 * the string. Checks:
 *  - maskeval_rle_str_decode and maskeval_rle_str_scan agree on success,
 *    the error, its byte offset and count index;
 *  - decoding never yields more counts than characters;
 *  - decode -> encode -> decode gives the same counts, the encoding fits
 *    maskeval_rle_str_bound and equals the public maskeval_rle_to_string;
 *  - the public maskeval_rle_from_string agrees (with a roomy and with a
 *    too small buffer);
 *  - the scan's stats equal maskeval_rle_stats_of on the decoded counts, and
 *    the public area / bbox helpers;
 *  - for a mask whose counts add up to h*w (small images): area, runs and
 *    box equal a pixel-by-pixel reference (pycocotools' toBbox, including
 *    its uint32 wrap-around when no pixel is set).
 */
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "rle/rle.h"

static void pick_size(fuzz_in *in, uint32_t *h, uint32_t *w)
{
    uint8_t mode = fuzz_u8(in);
    switch (mode & 3) {
    case 0: /* small, 1..16 */
    case 1:
        *h = 1 + (fuzz_u8(in) & 15);
        *w = 1 + (fuzz_u8(in) & 15);
        break;
    case 2: /* 0..65535 */
        *h = fuzz_u16(in);
        *w = fuzz_u16(in);
        break;
    default: /* anything, 0 and 2^32-1 included */
        *h = fuzz_u32(in);
        *w = fuzz_u32(in);
        break;
    }
}

static void same_stats(const maskeval_rle_stats *a, const maskeval_rle_stats *b, const char *what)
{
    FUZZ_CHECK(a->total == b->total, "%s: total %llu vs %llu", what, (unsigned long long)a->total,
               (unsigned long long)b->total);
    FUZZ_CHECK(a->area == b->area, "%s: area %u vs %u", what, a->area, b->area);
    FUZZ_CHECK(a->runs == b->runs, "%s: runs %u vs %u", what, a->runs, b->runs);
    FUZZ_CHECK(memcmp(a->box, b->box, sizeof(a->box)) == 0,
               "%s: box [%.17g %.17g %.17g %.17g] vs [%.17g %.17g %.17g %.17g]", what, a->box[0],
               a->box[1], a->box[2], a->box[3], b->box[0], b->box[1], b->box[2], b->box[3]);
}

/* Pixel-level reference for a mask whose counts add up to h*w. */
static void pixel_reference(const uint32_t *counts, size_t n, uint32_t h, uint32_t w)
{
    uint64_t pos = 0, area = 0;
    uint32_t runs = 0, xs = w, xe = 0, ys = h, ye = 0;
    maskeval_rle_stats st;
    double box[4];
    for (size_t j = 0; j < n; j++) {
        if (j % 2 == 1 && counts[j] > 0) {
            runs++;
            area += counts[j];
            for (uint64_t p = pos; p < pos + counts[j]; p++) {
                uint32_t col = (uint32_t)(p / h), row = (uint32_t)(p % h);
                xs = col < xs ? col : xs;
                xe = col > xe ? col : xe;
                ys = row < ys ? row : ys;
                ye = row > ye ? row : ye;
            }
        }
        pos += counts[j];
    }
    if (n < 2) {
        box[0] = box[1] = box[2] = box[3] = 0;
    } else {
        /* with no pixel set, pycocotools' uint32 arithmetic wraps */
        box[0] = xs;
        box[1] = ys;
        box[2] = (uint32_t)(xe - xs + 1);
        box[3] = (uint32_t)(ye - ys + 1);
    }
    maskeval_rle_stats_of(counts, n, h, w, &st);
    FUZZ_CHECK(st.area == (uint32_t)area, "area %u, pixels set %llu", st.area,
               (unsigned long long)area);
    FUZZ_CHECK(st.runs == runs, "runs %u, reference %u", st.runs, runs);
    FUZZ_CHECK(memcmp(st.box, box, sizeof(box)) == 0,
               "box [%.17g %.17g %.17g %.17g], reference [%.17g %.17g %.17g %.17g] (h %u w %u)",
               st.box[0], st.box[1], st.box[2], st.box[3], box[0], box[1], box[2], box[3], h, w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in in = {data, size};
    uint32_t h, w;
    const char *s;
    size_t len, n = 0, where = 0, index = 0, where2 = 0, index2 = 0;
    uint32_t *counts, *counts2;
    char *enc;
    maskeval_rle_strerr e, e2;
    maskeval_rle_stats scan, ref;

    if (size > 1 << 16) {
        return -1;
    }
    pick_size(&in, &h, &w);
    s = (const char *)in.p;
    len = in.n;

    counts = fuzz_xmalloc((len + 1) * sizeof(uint32_t));
    e = maskeval_rle_str_decode(s, len, counts, &n, &where, &index);
    memset(&scan, 0xa5, sizeof(scan));
    e2 = maskeval_rle_str_scan(s, len, h, w, &scan, &where2, &index2);
    FUZZ_CHECK(e == e2, "decode says %s, scan says %s", maskeval_rle_strerr_text(e),
               maskeval_rle_strerr_text(e2));
    FUZZ_CHECK(maskeval_rle_strerr_text(e) != NULL, "no text for error %d", (int)e);

    {
        /* the public decoder: into a roomy buffer and, to learn the size,
         * into one that is too small */
        maskeval_ctx *ctx = fuzz_ctx();
        size_t pn = 0, cap = len + 1;
        uint32_t *pub = fuzz_xmalloc(cap * sizeof(uint32_t));
        maskeval_status st = maskeval_rle_from_string(ctx, s, len, pub, cap, &pn);
        if (e != MASKEVAL_RLE_STR_OK) {
            FUZZ_CHECK(st == MASKEVAL_ERR_PARSE, "public decoder: status %d on a bad string",
                       (int)st);
        } else {
            FUZZ_CHECK(st == MASKEVAL_OK && pn == n &&
                           (n == 0 || memcmp(pub, counts, n * sizeof(uint32_t)) == 0),
                       "public decoder disagrees (status %d, %zu vs %zu counts)", (int)st, pn, n);
            if (n > 0) {
                pn = 0;
                st = maskeval_rle_from_string(ctx, s, len, pub, n - 1, &pn);
                FUZZ_CHECK(st == MASKEVAL_ERR_BUFFER_TOO_SMALL && pn == n,
                           "small buffer: status %d, n %zu (want %zu)", (int)st, pn, n);
            }
        }
        free(pub);
    }

    if (e != MASKEVAL_RLE_STR_OK) {
        FUZZ_CHECK(where == where2 && index == index2,
                   "error position: decode byte %zu count %zu, scan byte %zu count %zu", where,
                   index, where2, index2);
        FUZZ_CHECK(where <= len, "error offset %zu beyond the string (%zu)", where, len);
        free(counts);
        return 0;
    }
    FUZZ_CHECK(n <= len, "%zu counts from %zu characters", n, len);

    /* stats: one-pass scan == stats of the decoded counts == public helpers */
    maskeval_rle_stats_of(counts, n, h, w, &ref);
    same_stats(&scan, &ref, "scan vs stats_of");
    FUZZ_CHECK(ref.total == maskeval_rle_total(counts, n), "total");
    FUZZ_CHECK(ref.area == maskeval_rle_area(counts, n), "area");
    {
        double bb[4];
        maskeval_rle_bbox(counts, n, h, w, bb);
        FUZZ_CHECK(memcmp(bb, ref.box, sizeof(bb)) == 0, "maskeval_rle_bbox");
    }
    if (h > 0 && w > 0 && (uint64_t)h * w <= 4096 && ref.total == (uint64_t)h * w) {
        pixel_reference(counts, n, h, w);
    }

    /* round trip */
    {
        size_t bound = maskeval_rle_str_bound(n), elen, plen = 0, n2 = 0;
        char *pub;
        enc = fuzz_xmalloc(bound + 1);
        elen = maskeval_rle_str_encode(counts, n, enc);
        FUZZ_CHECK(elen <= bound, "encoding of %zu counts is %zu bytes, bound %zu", n, elen,
                   bound);
        pub = fuzz_xmalloc(elen + 1);
        FUZZ_CHECK(maskeval_rle_to_string(counts, n, pub, elen + 1, &plen) == MASKEVAL_OK &&
                       plen == elen && memcmp(pub, enc, elen) == 0 && pub[elen] == '\0',
                   "maskeval_rle_to_string differs from maskeval_rle_str_encode");
        if (elen > 0) {
            FUZZ_CHECK(maskeval_rle_to_string(counts, n, pub, elen, &plen) ==
                               MASKEVAL_ERR_BUFFER_TOO_SMALL &&
                           plen == elen,
                       "maskeval_rle_to_string with a short buffer");
        }
        free(pub);
        counts2 = fuzz_xmalloc((elen + 1) * sizeof(uint32_t));
        e = maskeval_rle_str_decode(enc, elen, counts2, &n2, &where, &index);
        FUZZ_CHECK(e == MASKEVAL_RLE_STR_OK, "re-encoded string does not decode: %s at %zu",
                   maskeval_rle_strerr_text(e), where);
        FUZZ_CHECK(n2 == n, "round trip: %zu counts, then %zu", n, n2);
        for (size_t i = 0; i < n; i++) {
            FUZZ_CHECK(counts[i] == counts2[i], "round trip: count %zu: %u then %u", i, counts[i],
                       counts2[i]);
        }
        /* the encoder writes every value in the fewest groups, so its output
         * is never longer than any valid encoding of the same counts */
        FUZZ_CHECK(elen <= len, "re-encoding is %zu bytes, the input %zu", elen, len);
        free(counts2);
        free(enc);
    }
    free(counts);
    return 0;
}
