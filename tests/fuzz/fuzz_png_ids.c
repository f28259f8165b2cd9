/*
 * fuzz_png_ids.c - panoptic segment PNGs (src/io/png_ids.c's libdeflate
 * fast path) against the libspng path (png_labels.c), differentially.
 *
 * Input: a PNG file's bytes. Before decoding, the harness rewrites every
 * chunk's CRC so that mutations inside IDAT (the compressed stream, filter
 * bytes, pixel data) reach the inflater and the unfiltering instead of being
 * refused by the CRC check. The seed corpus is small RGB / RGBA segment maps
 * with every filter type.
 *
 * Checks: both paths return OK, PARSE, UNSUPPORTED, LIMIT or NOMEM with a
 * message on failure; when the fast path decodes an image, libspng decodes
 * the same ids, or refuses a DEFLATE stream that libdeflate accepts (codes
 * zlib calls invalid, found by this harness; README "Panoptic quality");
 * decoding twice gives the same; when the row-by-row reader opens the file,
 * the fast path decoded it, and the joint histogram of the file with
 * itself row by row (maskeval_pq_joint_rows) is the one of its ids.
 */
#include <stdint.h>
#include <string.h>
#include <zlib.h>

#include "core/ctx.h"
#include "fuzz_common.h"
#include "fuzz_png.h"
#include "io/png_labels.h"
#include "panoptic/panoptic.h"

static int status_ok(maskeval_status st)
{
    return st == MASKEVAL_OK || st == MASKEVAL_ERR_PARSE || st == MASKEVAL_ERR_UNSUPPORTED ||
           st == MASKEVAL_ERR_LIMIT || st == MASKEVAL_ERR_NOMEM;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *f = fuzz_png_fixed_copy(data, size);
    maskeval_id_img a, b, c;
    char err[512], err2[512];
    maskeval_status sa, sb, sc;
    if (f == NULL) {
        return 0;
    }
    err[0] = err2[0] = '\0';
    sa = maskeval_png_decode_ids(&alloc, "fuzz.png", 1u << 22, f, size, &a, err, sizeof err);
    sb = maskeval_png_decode_ids_spng(&alloc, "fuzz.png", 1u << 22, f, size, &b, err2,
                                      sizeof err2);
    FUZZ_CHECK(status_ok(sa) && status_ok(sb), "statuses %d %d", (int)sa, (int)sb);
    FUZZ_CHECK(sa == MASKEVAL_OK || (err[0] != '\0' && a.ids == NULL), "failure without a message");
    if (sa == MASKEVAL_OK && sb != MASKEVAL_ERR_NOMEM) {
        /* the one known difference: libdeflate inflates some streams with
         * codes zlib calls invalid (and whose Adler-32 still matches) */
        FUZZ_CHECK(sb == MASKEVAL_OK || strstr(err2, "IDAT stream error") != NULL,
                   "fast path decoded, libspng: %s", err2);
        if (sb == MASKEVAL_OK) {
            FUZZ_CHECK(a.w == b.w && a.h == b.h, "sizes %ux%u vs %ux%u", a.w, a.h, b.w, b.h);
            FUZZ_CHECK(memcmp(a.ids, b.ids, (size_t)a.w * a.h * sizeof(uint32_t)) == 0,
                       "ids differ");
        }
    }
    sc = maskeval_png_decode_ids(&alloc, "fuzz.png", 1u << 22, f, size, &c, err, sizeof err);
    FUZZ_CHECK(sc == sa, "second decode %d vs %d", (int)sc, (int)sa);
    if (sa == MASKEVAL_OK && sc == MASKEVAL_OK) {
        FUZZ_CHECK(memcmp(a.ids, c.ids, (size_t)a.w * a.h * sizeof(uint32_t)) == 0, "second decode differs");
    }
    {
        maskeval_png_rows r1, r2;
        const int o1 = maskeval_png_rows_open(&alloc, f, size, 1u << 22, &r1);
        const int o2 = o1 > 0 ? maskeval_png_rows_open(&alloc, f, size, 1u << 22, &r2) : 0;
        FUZZ_CHECK(o1 <= 0 || sa == MASKEVAL_OK, "rows opened what decode_ids refused (%d)",
                   (int)sa);
        if (o1 > 0 && o2 > 0 && sa == MASKEVAL_OK) {
            pq_scratch s1, s2;
            size_t n1 = 0, i1 = 0, n2 = 0, i2 = 0;
            memset(&s1, 0, sizeof(s1));
            memset(&s2, 0, sizeof(s2));
            FUZZ_CHECK(r1.w == a.w && r1.h == a.h, "rows size %ux%u", r1.w, r1.h);
            if (maskeval_pq_joint_rows(&alloc, &r1, &r2, &s1, &n1, &i1) == MASKEVAL_OK &&
                maskeval_pq_joint(&alloc, a.ids, a.ids, (size_t)a.w * a.h, &s2, &n2, &i2) ==
                    MASKEVAL_OK) {
                FUZZ_CHECK(n1 == n2 && i1 == i2, "joint sizes %zu/%zu vs %zu/%zu", n1, i1, n2, i2);
                FUZZ_CHECK(memcmp(s1.pairs, s2.pairs, n1 * sizeof(pq_pair)) == 0, "joint differs");
            }
            maskeval_pq_scratch_free(&alloc, &s1);
            maskeval_pq_scratch_free(&alloc, &s2);
        }
        maskeval_png_rows_free(&alloc, &r1);
        if (o1 > 0) {
            maskeval_png_rows_free(&alloc, &r2);
        }
    }
    maskeval_id_img_free(&alloc, &a);
    maskeval_id_img_free(&alloc, &b);
    maskeval_id_img_free(&alloc, &c);
    free(f);
    return 0;
}
