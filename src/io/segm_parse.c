/*
 * segm_parse.c - COCO segmentation values to RLE counts, with validation
 * pycocotools does not do: masks must have their image's size and counts
 * must add up to h*w (pycocotools can hang on inconsistent counts).
 */
#include "io/segm_parse.h"

#include <string.h>

#include "io/json_util.h"
#include "raster/poly.h"
#include "rle/rle.h"

void maskeval_segm_scratch_free(const maskeval_alloc *a, maskeval_segm_scratch *s)
{
    maskeval_u32vec_free(a, &s->counts);
    maskeval_u32vec_free(a, &s->acc);
    maskeval_u32vec_free(a, &s->poly);
    maskeval_u32vec_free(a, &s->idx);
}

static maskeval_status parse_polygons(maskeval_ctx *ctx, const cJSON *segm, uint32_t h,
                                      uint32_t w, maskeval_segm_scratch *s, const char *file,
                                      const char *where)
{
    const maskeval_alloc *a = &ctx->alloc;
    size_t ip = 0;
    maskeval_status st;
    double xy[64];
    double *coords = NULL;
    size_t coords_cap = 0;

    if (segm->child == NULL) {
        return maskeval_fail(ctx, MASKEVAL_ERR_PARSE, "%s: %s: segmentation: empty polygon list",
                             file, where);
    }
    s->counts.n = 0;
    for (const cJSON *poly = segm->child; poly != NULL; poly = poly->next, ip++) {
        size_t n = 0, j = 0;
        double *dst;
        if (!cJSON_IsArray(poly)) {
            return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                                 "%s: %s: segmentation[%zu]: expected a polygon (array of "
                                 "numbers), got %s",
                                 file, where, ip, maskeval_json_type(poly));
        }
        n = maskeval_json_count(poly);
        if (n % 2 != 0) {
            return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                                 "%s: %s: segmentation[%zu]: odd number of coordinates (%zu)", file,
                                 where, ip, n);
        }
        if (n < 6) {
            return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                                 "%s: %s: segmentation[%zu]: polygon has %zu coordinates; at "
                                 "least 3 points are needed (pycocotools misreads 4 numbers as a "
                                 "box and rasterizes fewer as nothing)",
                                 file, where, ip, n);
        }
        dst = xy;
        if (n > sizeof(xy) / sizeof(xy[0])) {
            void *p = coords;
            if (maskeval_grow(a, &p, &coords_cap, n, sizeof(double)) != MASKEVAL_OK) {
                st = maskeval_nomem(ctx, "reading a polygon");
                goto done;
            }
            coords = p;
            dst = coords;
        }
        for (const cJSON *c = poly->child; c != NULL; c = c->next, j++) {
            if (!maskeval_json_finite(c, &dst[j])) {
                st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                                   "%s: %s: segmentation[%zu][%zu]: expected a finite number, got "
                                   "%s",
                                   file, where, ip, j, maskeval_json_type(c));
                goto done;
            }
        }
        {
            maskeval_u32vec *out = ip == 0 ? &s->counts : &s->poly;
            st = maskeval_poly_rasterize(a, dst, n / 2, h, w, &s->idx, out);
        }
        if (st == MASKEVAL_ERR_LIMIT) {
            st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                               "%s: %s: segmentation[%zu]: coordinate beyond +-%.0f pixels", file,
                               where, ip, MASKEVAL_POLY_COORD_LIMIT);
            goto done;
        }
        if (st == MASKEVAL_OK && ip > 0) {
            st = maskeval_rle_merge_into(a, &s->counts, s->poly.v, s->poly.n, 0, &s->acc);
        }
        if (st != MASKEVAL_OK) {
            st = maskeval_nomem(ctx, "rasterizing a polygon");
            goto done;
        }
    }
    maskeval_rle_stats_of(s->counts.v, s->counts.n, h, w, &s->stats);
    st = MASKEVAL_OK;
done:
    maskeval_free(a, coords);
    return st;
}

static maskeval_status parse_rle(maskeval_ctx *ctx, const cJSON *segm, uint32_t h, uint32_t w,
                                 unsigned allowed, maskeval_segm_scratch *s, const char *file,
                                 const char *where, const char **str, size_t *str_len)
{
    const cJSON *size = maskeval_json_member(segm, "size");
    const cJSON *counts = maskeval_json_member(segm, "counts");
    int64_t rh, rw;
    uint64_t total;

    if (size == NULL || counts == NULL) {
        return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                             "%s: %s: segmentation: an RLE needs \"size\" and \"counts\"", file,
                             where);
    }
    if (!cJSON_IsArray(size) || maskeval_json_count(size) != 2 ||
        !maskeval_json_int(size->child, &rh) || !maskeval_json_int(size->child->next, &rw)) {
        return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                             "%s: %s: segmentation.size: expected [height, width] integers", file,
                             where);
    }
    if (h == 0 && w == 0 && rh >= 1 && rw >= 1 && (uint64_t)rh * (uint64_t)rw <= UINT32_MAX) {
        h = (uint32_t)rh; /* image of unknown size (bbox only): the RLE's own */
        w = (uint32_t)rw;
    }
    if (rh != (int64_t)h || rw != (int64_t)w) {
        return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                             "%s: %s: segmentation.size: mask is %lldx%lld but its image is "
                             "%ux%u (pycocotools would silently give IoU -1 or 0)",
                             file, where, (long long)rh, (long long)rw, h, w);
    }
    if (cJSON_IsString(counts)) {
        size_t len = strlen(counts->valuestring), at = 0, index = 0;
        maskeval_rle_strerr e;
        if (!(allowed & MASKEVAL_SEGM_CRLE)) {
            return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                                 "%s: %s: segmentation.counts: compressed RLE not accepted here",
                                 file, where);
        }
        e = maskeval_rle_str_scan(counts->valuestring, len, h, w, &s->stats, &at, &index);
        if (e != MASKEVAL_RLE_STR_OK) {
            if (e == MASKEVAL_RLE_STR_BAD_CHAR && at == 1 && len >= 3 &&
                counts->valuestring[0] == 'b' &&
                (counts->valuestring[1] == '\'' || counts->valuestring[1] == '"') &&
                counts->valuestring[len - 1] == counts->valuestring[1]) {
                /* str(bytes): pycocotools' encode() gives bytes, written with str() */
                return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                                     "%s: %s: segmentation.counts: looks like a Python bytes repr "
                                     "\"b'...'\"; decode the bytes (counts.decode('ascii')) "
                                     "before writing JSON",
                                     file, where);
            }
            if (e == MASKEVAL_RLE_STR_BAD_CHAR) {
                unsigned char ch = (unsigned char)counts->valuestring[at];
                return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                                     "%s: %s: segmentation.counts: invalid character %s%c%s"
                                     "(0x%02x) at byte %zu",
                                     file, where, ch >= 32 && ch < 127 ? "'" : "",
                                     ch >= 32 && ch < 127 ? ch : ' ',
                                     ch >= 32 && ch < 127 ? "' " : "", ch, at);
            }
            return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                                 "%s: %s: segmentation.counts: %s at byte %zu (count %zu)", file,
                                 where, maskeval_rle_strerr_text(e), at, index);
        }
        s->counts.n = 0;
        *str = counts->valuestring;
        *str_len = len;
    } else if (cJSON_IsArray(counts)) {
        size_t n = maskeval_json_count(counts), j = 0;
        if (!(allowed & MASKEVAL_SEGM_URLE)) {
            return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                                 "%s: %s: segmentation.counts: uncompressed RLE (a list of counts) "
                                 "is not accepted in mask results; pycocotools' loadRes needs "
                                 "compressed RLE strings there",
                                 file, where);
        }
        if (maskeval_u32vec_reserve(&ctx->alloc, &s->counts, n + 1) != MASKEVAL_OK) {
            return maskeval_nomem(ctx, "reading an RLE");
        }
        for (const cJSON *c = counts->child; c != NULL; c = c->next, j++) {
            int64_t v;
            if (!maskeval_json_int(c, &v) || v < 0 || v > (int64_t)UINT32_MAX) {
                return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                                     "%s: %s: segmentation.counts[%zu]: expected an integer in "
                                     "[0, 2^32)",
                                     file, where, j);
            }
            s->counts.v[j] = (uint32_t)v;
        }
        s->counts.n = n;
    } else {
        return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                             "%s: %s: segmentation.counts: expected a string or an array, got %s",
                             file, where, maskeval_json_type(counts));
    }
    if (*str == NULL) {
        maskeval_rle_stats_of(s->counts.v, s->counts.n, h, w, &s->stats);
    }
    total = s->stats.total;
    if (total != (uint64_t)h * w) {
        return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                             "%s: %s: segmentation.counts: counts add up to %llu, not "
                             "height*width = %llu",
                             file, where, (unsigned long long)total,
                             (unsigned long long)((uint64_t)h * w));
    }
    return MASKEVAL_OK;
}

maskeval_status maskeval_segm_parse(maskeval_ctx *ctx, const cJSON *segm, uint32_t h, uint32_t w,
                                    unsigned allowed, maskeval_segm_scratch *s, const char *file,
                                    const char *where, const char **str, size_t *str_len)
{
    *str = NULL;
    *str_len = 0;
    if (cJSON_IsArray(segm)) {
        if (!(allowed & MASKEVAL_SEGM_POLY)) {
            return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                                 "%s: %s: segmentation: polygons are not accepted in mask results; "
                                 "pycocotools' loadRes needs compressed RLE there",
                                 file, where);
        }
        return parse_polygons(ctx, segm, h, w, s, file, where);
    }
    if (cJSON_IsObject(segm)) {
        return parse_rle(ctx, segm, h, w, allowed, s, file, where, str, str_len);
    }
    return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                         "%s: %s: segmentation: expected a polygon list or an RLE object, got %s",
                         file, where, maskeval_json_type(segm));
}
