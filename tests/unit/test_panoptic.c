/*
 * test_panoptic.c - the panoptic primitives against their definitions:
 * boundary-iou-api's band width d, the band of every segment of a label map
 * against a brute-force Chebyshev-window test, the binary column-major band
 * against the same, and the joint (gt, pred) histogram (dense and hashed
 * paths) against a plain count.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <spng.h>
#include <stdio.h>

#include "instance/instance.h"
#include "io/dataset.h"
#include "io/png_labels.h"
#include "panoptic/panoptic.h"
#include "rle/rle.h"
#include "raster/band.h"
#include "test_main.h"

static const maskeval_alloc alloc = {malloc, realloc, free};

static uint64_t rng_state;
static uint32_t rnd(void)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(rng_state >> 33);
}

/* spec semantic_panoptic.md 6.2.6: (h, w, ratio) -> d, ties to even */
START_TEST(test_band_width_table)
{
    static const struct {
        uint32_t h, w;
        double r;
        uint32_t d;
    } t[] = {{5, 5, 0.02, 1},        {427, 640, 0.02, 15},  {480, 640, 0.02, 16},
             {375, 500, 0.02, 12},   {45, 60, 0.02, 2},     {3, 4, 0.5, 2},
             {1024, 2048, 0.005, 11}, {1024, 2048, 0.02, 46}, {100, 100, 0.05, 7},
             {20, 30, 0.02, 1},      {1, 1, 1e-9, 1}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        ck_assert_uint_eq(maskeval_band_width(t[i].h, t[i].w, t[i].r), t[i].d);
    }
}
END_TEST

/* band(p) iff some pixel within distance d is outside the image or differs */
static int brute_band(const uint32_t *ids, uint32_t h, uint32_t w, uint32_t d, uint32_t r,
                      uint32_t c)
{
    for (int64_t y = (int64_t)r - d; y <= (int64_t)r + d; y++) {
        for (int64_t x = (int64_t)c - d; x <= (int64_t)c + d; x++) {
            if (y < 0 || x < 0 || y >= h || x >= w || ids[y * w + x] != ids[r * w + c]) {
                return 1;
            }
        }
    }
    return 0;
}

START_TEST(test_band_labels_brute)
{
    rng_state = 1000 + (uint64_t)_i;
    for (int rep = 0; rep < 40; rep++) {
        const uint32_t h = 1 + rnd() % 40, w = 1 + rnd() % 50, d = 1 + rnd() % 6;
        const uint32_t nlab = 1 + rnd() % 4;
        uint32_t *ids = malloc((size_t)h * w * sizeof(uint32_t));
        uint32_t *run = malloc((size_t)w * sizeof(uint32_t));
        uint8_t *band = malloc((size_t)h * w);
        /* blobs: random rectangles painted over a background */
        for (size_t p = 0; p < (size_t)h * w; p++) {
            ids[p] = 0;
        }
        for (int k = 0; k < 6; k++) {
            const uint32_t y0 = rnd() % h, x0 = rnd() % w, y1 = y0 + rnd() % (h - y0 + 1),
                           x1 = x0 + rnd() % (w - x0 + 1), v = rnd() % nlab;
            for (uint32_t y = y0; y < y1; y++) {
                for (uint32_t x = x0; x < x1; x++) {
                    ids[y * w + x] = v;
                }
            }
        }
        maskeval_band_labels(ids, h, w, d, run, band);
        for (uint32_t r = 0; r < h; r++) {
            for (uint32_t c = 0; c < w; c++) {
                ck_assert_msg(band[r * w + c] == brute_band(ids, h, w, d, r, c),
                              "%ux%u d=%u at (%u, %u)", h, w, d, r, c);
            }
        }
        /* the same mask as a binary column-major image: only the mask's pixels */
        {
            uint8_t *m = malloc((size_t)h * w), *b = malloc((size_t)h * w);
            uint32_t *run2 = malloc((size_t)h * sizeof(uint32_t));
            const uint32_t fg = ids[0];
            uint32_t *bin = malloc((size_t)h * w * sizeof(uint32_t));
            for (uint32_t r = 0; r < h; r++) {
                for (uint32_t c = 0; c < w; c++) {
                    m[(size_t)c * h + r] = ids[r * w + c] == fg;
                    bin[r * w + c] = ids[r * w + c] == fg;
                }
            }
            maskeval_band_mask_colmajor(m, h, w, d, run2, b);
            for (uint32_t r = 0; r < h; r++) {
                for (uint32_t c = 0; c < w; c++) {
                    const int want = bin[r * w + c] && brute_band(bin, h, w, d, r, c);
                    ck_assert_msg(b[(size_t)c * h + r] == want, "binary %ux%u d=%u at (%u, %u)",
                                  h, w, d, r, c);
                }
            }
            free(m);
            free(b);
            free(run2);
            free(bin);
        }
        free(ids);
        free(run);
        free(band);
    }
}
END_TEST

/* joint histogram == plain counting, sorted by (g, p); both counting paths */
START_TEST(test_joint_histogram)
{
    pq_scratch s;
    rng_state = 77 + (uint64_t)_i;
    memset(&s, 0, sizeof(s));
    for (int rep = 0; rep < 20; rep++) {
        /* many distinct ids force the hashed path (n_g * n_p > 2^22) */
        const int many = rep % 4 == 3;
        const size_t n = many ? 40000 : 1 + rnd() % 3000;
        const uint32_t ng = many ? 20000 : 1 + rnd() % 30, np = many ? 20000 : 1 + rnd() % 30;
        uint32_t *g = malloc(n * sizeof(uint32_t)), *p = malloc(n * sizeof(uint32_t));
        size_t n_pairs = 0, n_ids = 0;
        uint64_t total = 0, ptotal = 0;
        for (size_t i = 0; i < n; i++) {
            g[i] = (rnd() % ng) * 4099u % (1u << 24);
            p[i] = (rnd() % np) * 65537u % (1u << 24);
        }
        ck_assert_int_eq(maskeval_pq_joint(&alloc, g, p, n, &s, &n_pairs, &n_ids), MASKEVAL_OK);
        for (size_t k = 0; k < n_pairs; k++) {
            uint64_t want = 0;
            if (k > 0) {
                ck_assert(s.pairs[k - 1].g < s.pairs[k].g ||
                          (s.pairs[k - 1].g == s.pairs[k].g && s.pairs[k - 1].p < s.pairs[k].p));
            }
            if (!many) {
                for (size_t i = 0; i < n; i++) {
                    want += g[i] == s.pairs[k].g && p[i] == s.pairs[k].p;
                }
                ck_assert_uint_eq(s.pairs[k].n, want);
            }
            ck_assert_uint_eq(maskeval_pq_pair_count(s.pairs, n_pairs, s.pairs[k].g, s.pairs[k].p),
                              s.pairs[k].n);
            total += s.pairs[k].n;
        }
        ck_assert_uint_eq(total, n);
        for (size_t k = 0; k < n_ids; k++) {
            ptotal += s.pred_hist[k].n;
            if (k > 0) {
                ck_assert_uint_lt(s.pred_hist[k - 1].id, s.pred_hist[k].id);
            }
        }
        ck_assert_uint_eq(ptotal, n);
        ck_assert_uint_eq(maskeval_pq_pair_count(s.pairs, n_pairs, 1u << 24, 0), 0);
        free(g);
        free(p);
    }
    maskeval_pq_scratch_free(&alloc, &s);
}
END_TEST

/* An RGB (bpp 3) or RGBA (4) PNG of ids written by libspng with the filter
 * choice given; the caller frees it. Alpha varies where the ids do not. */
static void *encode_ids(const uint32_t *ids, uint32_t h, uint32_t w, unsigned bpp, int filters,
                        size_t *len)
{
    spng_ctx *c = spng_ctx_new(SPNG_CTX_ENCODER);
    struct spng_ihdr ihdr;
    uint8_t *px = malloc((size_t)h * w * bpp);
    void *png;
    int e = 0;
    ck_assert_ptr_nonnull(c);
    ck_assert_ptr_nonnull(px);
    for (size_t i = 0; i < (size_t)h * w; i++) {
        px[i * bpp] = (uint8_t)ids[i];
        px[i * bpp + 1] = (uint8_t)(ids[i] >> 8);
        px[i * bpp + 2] = (uint8_t)(ids[i] >> 16);
        if (bpp == 4) {
            px[i * bpp + 3] = (uint8_t)(i % 7 == 0 ? 255 : i % 3);
        }
    }
    memset(&ihdr, 0, sizeof(ihdr));
    ihdr.width = w;
    ihdr.height = h;
    ihdr.bit_depth = 8;
    ihdr.color_type = bpp == 3 ? SPNG_COLOR_TYPE_TRUECOLOR : SPNG_COLOR_TYPE_TRUECOLOR_ALPHA;
    ck_assert_int_eq(spng_set_option(c, SPNG_ENCODE_TO_BUFFER, 1), 0);
    ck_assert_int_eq(spng_set_option(c, SPNG_FILTER_CHOICE, filters), 0);
    ck_assert_int_eq(spng_set_ihdr(c, &ihdr), 0);
    ck_assert_int_eq(spng_encode_image(c, px, (size_t)h * w * bpp, SPNG_FMT_PNG,
                                       SPNG_ENCODE_FINALIZE),
                     0);
    png = spng_get_png_buffer(c, len, &e);
    ck_assert_int_eq(e, 0);
    spng_ctx_free(c);
    free(px);
    return png;
}

/* A segment map: rectangles of random ids over a background, and with
 * noisy = 1 single pixels of other ids too. */
static void random_map(uint32_t *ids, uint32_t h, uint32_t w, int noisy)
{
    const uint32_t n_rect = 1 + rnd() % 12;
    for (size_t i = 0; i < (size_t)h * w; i++) {
        ids[i] = 0x1a2b3c;
    }
    for (uint32_t r = 0; r < n_rect; r++) {
        const uint32_t y0 = rnd() % h, x0 = rnd() % w, y1 = y0 + 1 + rnd() % (h - y0),
                       x1 = x0 + 1 + rnd() % (w - x0);
        /* half of them differ from the background in B alone: the change
         * is in a pixel's last byte */
        const uint32_t id = r % 2 ? (0x1a2b3cu & 0xffffu) | (rnd() % 256) << 16 : rnd() % (1u << 24);
        for (uint32_t y = y0; y < y1; y++) {
            for (uint32_t x = x0; x < x1; x++) {
                ids[(size_t)y * w + x] = id;
            }
        }
    }
    for (size_t i = 0; noisy && i < (size_t)h * w / 20; i++) {
        ids[rnd() % ((size_t)h * w)] = rnd() % 4 == 0 ? 0 : rnd() % (1u << 24);
    }
}

/* PNGs with every filter (and libspng's adaptive choice), RGB and RGBA:
 * the fast decode gives the ids written, and maskeval_pq_joint_rows on the
 * files the same histogram as maskeval_pq_joint on those ids */
START_TEST(test_joint_rows_png)
{
    static const int filters[] = {SPNG_FILTER_CHOICE_NONE, SPNG_FILTER_CHOICE_SUB,
                                  SPNG_FILTER_CHOICE_UP,   SPNG_FILTER_CHOICE_AVG,
                                  SPNG_FILTER_CHOICE_PAETH, SPNG_FILTER_CHOICE_ALL};
    static const uint32_t sizes[][2] = {{1, 1}, {1, 9}, {7, 1}, {3, 5}, {17, 33}, {64, 100},
                                        {120, 161}};
    pq_scratch s, t;
    rng_state = 991 + (uint64_t)_i;
    memset(&s, 0, sizeof(s));
    memset(&t, 0, sizeof(t));
    for (size_t f = 0; f < sizeof filters / sizeof filters[0]; f++) {
        for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++) {
            const uint32_t h = sizes[z][0], w = sizes[z][1];
            const unsigned gbpp = (_i + z) % 2 ? 4 : 3, pbpp = (_i + f) % 3 ? 3 : 4;
            uint32_t *g = malloc((size_t)h * w * sizeof(uint32_t)),
                     *p = malloc((size_t)h * w * sizeof(uint32_t));
            size_t glen = 0, plen = 0, n1 = 0, i1 = 0, n2 = 0, i2 = 0;
            void *gpng, *ppng;
            maskeval_id_img gi, pi;
            maskeval_png_rows gr, pr;
            char err[256];
            ck_assert_ptr_nonnull(g);
            ck_assert_ptr_nonnull(p);
            random_map(g, h, w, (int)(z % 2));
            random_map(p, h, w, (int)(f % 2));
            gpng = encode_ids(g, h, w, gbpp, filters[f], &glen);
            ppng = encode_ids(p, h, w, pbpp, filters[f], &plen);
            ck_assert_int_eq(maskeval_png_decode_ids(&alloc, "g.png", 0, gpng, glen, &gi, err,
                                                     sizeof err),
                             MASKEVAL_OK);
            ck_assert_int_eq(memcmp(gi.ids, g, (size_t)h * w * sizeof(uint32_t)), 0);
            ck_assert_int_eq(maskeval_png_decode_ids(&alloc, "p.png", 0, ppng, plen, &pi, err,
                                                     sizeof err),
                             MASKEVAL_OK);
            ck_assert_int_eq(memcmp(pi.ids, p, (size_t)h * w * sizeof(uint32_t)), 0);
            ck_assert_int_eq(maskeval_png_rows_open(&alloc, gpng, glen, 0, &gr), 1);
            ck_assert_int_eq(maskeval_png_rows_open(&alloc, ppng, plen, 0, &pr), 1);
            ck_assert_int_eq(maskeval_pq_joint_rows(&alloc, &gr, &pr, &s, &n1, &i1), MASKEVAL_OK);
            ck_assert_int_eq(maskeval_pq_joint(&alloc, g, p, (size_t)h * w, &t, &n2, &i2),
                             MASKEVAL_OK);
            ck_assert_uint_eq(n1, n2);
            ck_assert_uint_eq(i1, i2);
            ck_assert_int_eq(memcmp(s.pairs, t.pairs, n1 * sizeof(pq_pair)), 0);
            for (size_t k = 0; k < i1; k++) { /* fields: pq_idcount has padding */
                ck_assert_uint_eq(s.pred_hist[k].id, t.pred_hist[k].id);
                ck_assert_uint_eq(s.pred_hist[k].n, t.pred_hist[k].n);
            }
            maskeval_png_rows_free(&alloc, &gr);
            /* a smaller bound than the image: refused here, worded by decode_ids */
            if (h * w > 1) {
                ck_assert_int_eq(maskeval_png_rows_open(&alloc, gpng, glen, (uint64_t)h * w - 1,
                                                        &gr),
                                 0);
            }
            maskeval_png_rows_free(&alloc, &gr);
            maskeval_png_rows_free(&alloc, &pr);
            maskeval_id_img_free(&alloc, &gi);
            maskeval_id_img_free(&alloc, &pi);
            free(gpng);
            free(ppng);
            free(g);
            free(p);
        }
    }
    maskeval_pq_scratch_free(&alloc, &s);
    maskeval_pq_scratch_free(&alloc, &t);
}
END_TEST

/* Boundary AP's band mask sets against tests/data/boundary/bands.json, bands
 * that boundary-iou-api's mask_to_boundary (OpenCV) produced */
START_TEST(test_bands_recorded)
{
    FILE *f = fopen(MASKEVAL_TEST_DATA "/boundary/bands.json", "rb");
    char *text;
    long n;
    cJSON *root, *vecs;
    maskeval_ctx *ctx = NULL;
    size_t checked = 0;
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    text = malloc((size_t)n + 1);
    ck_assert_uint_eq(fread(text, 1, (size_t)n, f), (size_t)n);
    text[n] = '\0';
    fclose(f);
    root = cJSON_Parse(text);
    ck_assert_ptr_nonnull(root);
    vecs = cJSON_GetObjectItemCaseSensitive(root, "vectors");
    ck_assert_int_eq(maskeval_ctx_create(NULL, &ctx), MASKEVAL_OK);
    for (const cJSON *v = vecs->child; v != NULL; v = v->next) {
        const cJSON *size = cJSON_GetObjectItemCaseSensitive(v, "size");
        const char *mask = cJSON_GetObjectItemCaseSensitive(v, "mask")->valuestring;
        const char *band = cJSON_GetObjectItemCaseSensitive(v, "band")->valuestring;
        const double ratio = cJSON_GetObjectItemCaseSensitive(v, "ratio")->valuedouble;
        const uint32_t h = (uint32_t)cJSON_GetArrayItem(size, 0)->valueint;
        const uint32_t w = (uint32_t)cJSON_GetArrayItem(size, 1)->valueint;
        const uint32_t d = (uint32_t)cJSON_GetObjectItemCaseSensitive(v, "d")->valueint;
        const size_t len = strlen(mask);
        uint32_t *counts = malloc((len + 1) * sizeof(uint32_t));
        size_t nc = 0, where, index;
        maskeval_rle_stats stats;
        maskeval_maskset ms;
        maskeval_bandset out;
        maskeval_bytevec side = {0};
        size_t first[2] = {0, 1};
        const int32_t img_of[1] = {0};
        ck_assert_uint_eq(maskeval_band_width(h, w, ratio), d);
        ck_assert_int_eq(maskeval_rle_str_decode(mask, len, counts, &nc, &where, &index), 0);
        maskeval_rle_stats_of(counts, nc, h, w, &stats);
        ck_assert_int_eq(maskeval_maskset_init(&alloc, &ms, 1), MASKEVAL_OK);
        ck_assert_int_eq(maskeval_maskset_store(&alloc, &ms, 0, &stats, counts, nc, NULL, 0, NULL,
                                                0, NULL, &side),
                         MASKEVAL_OK);
        ck_assert_int_eq(maskeval_maskset_finish(&alloc, &ms, NULL, first, &side, 1), MASKEVAL_OK);
        ck_assert_int_eq(maskeval_mask_bands(ctx, &ms, 1, img_of, &h, &w, ratio, &out),
                         MASKEVAL_OK);
        {
            /* the recorded band string, decoded, == the band's counts */
            const size_t blen = strlen(band);
            uint32_t *want = malloc((blen + 1) * sizeof(uint32_t));
            size_t nw = 0;
            ck_assert_int_eq(maskeval_rle_str_decode(band, blen, want, &nw, &where, &index), 0);
            /* the band's intervals as counts, background first */
            uint32_t *got = malloc((2 * (size_t)out.len[0] + 2) * sizeof(uint32_t));
            const uint32_t *r = maskeval_bandset_runs(&out, 0);
            size_t ng = 0;
            uint64_t pos = 0;
            for (uint32_t k = 0; k < out.len[0]; k++) {
                if (ng > 0 && r[2 * k] == pos) {
                    got[ng - 1] += r[2 * k + 1] - r[2 * k]; /* touching: one run */
                } else {
                    got[ng++] = (uint32_t)(r[2 * k] - pos);
                    got[ng++] = r[2 * k + 1] - r[2 * k];
                }
                pos = r[2 * k + 1];
            }
            if ((uint64_t)h * w > pos) {
                got[ng++] = (uint32_t)((uint64_t)h * w - pos);
            }
            ck_assert_msg(ng == nw && memcmp(got, want, nw * 4) == 0, "%s: band differs",
                          cJSON_GetObjectItemCaseSensitive(v, "name")->valuestring);
            free(got);
            free(want);
        }
        ck_assert_uint_eq(out.area[0],
                          (uint32_t)cJSON_GetObjectItemCaseSensitive(v, "band_area")->valueint);
        maskeval_maskset_free(&alloc, &ms);
        maskeval_bandset_free(&alloc, &out);
        free(counts);
        checked++;
    }
    ck_assert_uint_ge(checked, 100);
    maskeval_ctx_destroy(ctx);
    cJSON_Delete(root);
    free(text);
}
END_TEST

static Suite *panoptic_suite(void)
{
    Suite *s = suite_create("panoptic");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_band_width_table);
    tcase_add_loop_test(tc, test_band_labels_brute, 0, 5);
    tcase_add_loop_test(tc, test_joint_histogram, 0, 3);
    tcase_add_loop_test(tc, test_joint_rows_png, 0, 4);
    tcase_add_test(tc, test_bands_recorded);
    suite_add_tcase(s, tc);
    return s;
}

MASKEVAL_TEST_MAIN(panoptic_suite)
