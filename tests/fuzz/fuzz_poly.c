/*
 * fuzz_poly.c - polygon rasterization (src/raster/poly.c).
 *
 * Input: a size byte (+ size bytes), a vertex-count byte, then per
 * coordinate a tag byte choosing how the value is made: near the image with a
 * sub-pixel fraction, exactly on / one ulp beside a rounding boundary of
 * pycocotools' 1/5-pixel grid, raw double bits (NaN, inf, huge, tiny,
 * negative zero), a table of special values, or large integers.
 *
 * Checks, whenever maskeval_poly_rasterize succeeds:
 *  - the counts add up to h*w and only the first may be 0;
 *  - a second call reusing the scratch and output vectors gives the same;
 *  - the public maskeval_rle_from_polygon gives the same;
 *  - when every coordinate is within +-1e4, the image is small and the
 *    boundary is short enough to walk: maskeval_poly_rasterize_walk (the
 *    point-by-point reference) and an independent transliteration of
 *    pycocotools' rleFrPoly (below) give identical counts.
 * A status other than OK / MASKEVAL_ERR_LIMIT is a failure; LIMIT must come
 * exactly for non-finite or beyond-the-limit coordinates or images over
 * 2^32-1 pixels.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctx.h"
#include "fuzz_common.h"
#include "raster/poly.h"

#define MAX_VERTICES 40
#define WALK_COORD_LIMIT 1e4
#define WALK_MAX_PIXELS (1u << 20)
#define WALK_MAX_POINTS (1u << 16)
#define MAX_CROSSINGS (1u << 16)

static const maskeval_alloc alloc = {malloc, realloc, free};

static double special(uint8_t i)
{
    static const double v[] = {0.0,
                               -0.0,
                               0.5,
                               -0.5,
                               0.1,
                               0.2,
                               0.3,
                               0.7,
                               0.9,
                               2.5,
                               4.9,
                               1e-300,
                               -1e-300,
                               4.9406564584124654e-324,
                               1.0 / 3.0,
                               1e4,
                               -1e4,
                               1e6,
                               -1e6,
                               1000000.0000000001,
                               -1000000.0000000001,
                               999999.99999999988,
                               1e7,
                               1e300,
                               -1e300,
                               429496729.5,
                               2147483647.0,
                               -2147483648.0,
                               0.09999999999999999,
                               0.30000000000000004,
                               HUGE_VAL,
                               -HUGE_VAL,
                               NAN};
    return v[i % (sizeof(v) / sizeof(v[0]))];
}

static double pick_coord(fuzz_in *in)
{
    uint8_t tag = fuzz_u8(in);
    switch (tag & 7) {
    case 0:
    case 1:
    case 2: { /* near the image, 1/256-pixel fractions */
        int8_t i = (int8_t)fuzz_u8(in);
        return (double)i + fuzz_u8(in) / 256.0;
    }
    case 3: { /* on a rounding boundary of (int)(5x + .5), nudged by -2..2 ulps */
        int16_t k = (int16_t)fuzz_u16(in);
        double x = ((double)k - 0.5) / 5.0;
        int nudge = (int)((tag >> 3) % 5) - 2;
        for (; nudge < 0; nudge++) {
            x = nextafter(x, -INFINITY);
        }
        for (; nudge > 0; nudge--) {
            x = nextafter(x, INFINITY);
        }
        return x;
    }
    case 4: /* anything */
        return fuzz_f64_bits(in);
    case 5:
        return special(fuzz_u8(in));
    case 6: /* up to +-8.4e6 in 1/256 steps: around the 1e6 limit */
        return (double)(int32_t)fuzz_u32(in) / 256.0;
    default: /* coarse integers up to +-1e6 */
        return (double)(int16_t)fuzz_u16(in) * 31.0;
    }
}

/* x86-64 cvttsd2si, what pycocotools' (int) casts compile to: out of range
 * and NaN give INT_MIN (in C that is undefined, so the reference spells it). */
static int x86_int(double v)
{
    if (!(v > -2147483649.0 && v < 2147483648.0)) {
        return INT32_MIN;
    }
    return (int)v;
}

static int cmp_u32(const void *pa, const void *pb)
{
    uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
    return a < b ? -1 : a > b;
}

/*
 * pycocotools 2.0.11 maskApi.c rleFrPoly, transliterated: same operations
 * in the same order (the harness is built with -ffp-contract=off), int
 * arithmetic where it cannot overflow for the inputs it is given, and the
 * uint32 products of the original. Returns the number of counts in *out
 * (malloc'd).
 */
static size_t ref_fr_poly(const double *xy, size_t k, uint32_t h, uint32_t w, uint32_t **out)
{
    const double scale = 5;
    size_t j, m = 0;
    int *x, *y, *u, *v;
    uint32_t *a, *b;
    double xd, yd;
    x = fuzz_xmalloc(sizeof(int) * (k + 1));
    y = fuzz_xmalloc(sizeof(int) * (k + 1));
    for (j = 0; j < k; j++) {
        x[j] = (int)(scale * xy[j * 2 + 0] + .5);
    }
    x[k] = x[0];
    for (j = 0; j < k; j++) {
        y[j] = (int)(scale * xy[j * 2 + 1] + .5);
    }
    y[k] = y[0];
    for (j = 0; j < k; j++) {
        unsigned ax = (unsigned)abs(x[j] - x[j + 1]), ay = (unsigned)abs(y[j] - y[j + 1]);
        m += (ax > ay ? ax : ay) + 1;
    }
    u = fuzz_xmalloc(sizeof(int) * m);
    v = fuzz_xmalloc(sizeof(int) * m);
    m = 0;
    for (j = 0; j < k; j++) {
        int xs = x[j], xe = x[j + 1], ys = y[j], ye = y[j + 1], dx, dy, t, d;
        int flip;
        double s;
        dx = abs(xe - xs);
        dy = abs(ys - ye);
        flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
        if (flip) {
            t = xs;
            xs = xe;
            xe = t;
            t = ys;
            ys = ye;
            ye = t;
        }
        if (dx >= dy) {
            s = dx == 0 ? NAN : (double)(ye - ys) / dx; /* 0/0 in the original */
            for (d = 0; d <= dx; d++) {
                t = flip ? dx - d : d;
                u[m] = t + xs;
                v[m] = x86_int(ys + s * t + .5);
                m++;
            }
        } else {
            s = (double)(xe - xs) / dy;
            for (d = 0; d <= dy; d++) {
                t = flip ? dy - d : d;
                v[m] = t + ys;
                u[m] = x86_int(xs + s * t + .5);
                m++;
            }
        }
    }
    free(x);
    free(y);
    k = m;
    m = 0;
    x = fuzz_xmalloc(sizeof(int) * (k + 1));
    y = fuzz_xmalloc(sizeof(int) * (k + 1));
    for (j = 1; j < k; j++) {
        if (u[j] != u[j - 1]) {
            xd = (double)(u[j] < u[j - 1] ? u[j] : u[j] - 1);
            xd = (xd + .5) / scale - .5;
            if (floor(xd) != xd || xd < 0 || xd > w - 1) {
                continue;
            }
            yd = (double)(v[j] < v[j - 1] ? v[j] : v[j - 1]);
            yd = (yd + .5) / scale - .5;
            if (yd < 0) {
                yd = 0;
            } else if (yd > h) {
                yd = h;
            }
            yd = ceil(yd);
            x[m] = (int)xd;
            y[m] = (int)yd;
            m++;
        }
    }
    k = m;
    a = fuzz_xmalloc(sizeof(uint32_t) * (k + 1));
    for (j = 0; j < k; j++) {
        a[j] = (uint32_t)x[j] * h + (uint32_t)y[j]; /* (uint)(x*(int)h + y), wrapped */
    }
    a[k++] = h * w;
    free(u);
    free(v);
    free(x);
    free(y);
    qsort(a, k, sizeof(uint32_t), cmp_u32);
    {
        uint32_t p = 0;
        for (j = 0; j < k; j++) {
            uint32_t t = a[j];
            a[j] -= p;
            p = t;
        }
    }
    b = fuzz_xmalloc(sizeof(uint32_t) * k);
    j = m = 0;
    b[m++] = a[j++];
    while (j < k) {
        if (a[j] > 0) {
            b[m++] = a[j++];
        } else {
            j++;
            if (j < k) {
                b[m - 1] += a[j++];
            }
        }
    }
    free(a);
    *out = b;
    return m;
}

static void same_counts(const uint32_t *a, size_t na, const uint32_t *b, size_t nb,
                        const char *what)
{
    FUZZ_CHECK(na == nb, "%s: %zu counts vs %zu", what, na, nb);
    for (size_t i = 0; i < na; i++) {
        FUZZ_CHECK(a[i] == b[i], "%s: count %zu: %u vs %u", what, i, a[i], b[i]);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in in = {data, size};
    uint32_t h, w;
    size_t k;
    double xy[2 * MAX_VERTICES];
    int all_ok = 1, walkable = 1;
    maskeval_u32vec scratch = {0}, out = {0};
    maskeval_status st;
    uint8_t mode;

    if (size > 1024) {
        return -1;
    }
    mode = fuzz_u8(&in);
    switch (mode & 7) {
    case 6: /* medium */
        h = 1 + (fuzz_u16(&in) & 1023);
        w = 1 + (fuzz_u16(&in) & 1023);
        break;
    case 7: /* large, possibly beyond 2^32-1 pixels */
        h = 1 + (uint32_t)fuzz_u16(&in);
        w = 1 + (fuzz_u16(&in) & 0x1fff);
        if (mode & 8) {
            h = fuzz_u32(&in);
            h += h == 0;
        }
        if (mode & 16) {
            uint32_t t = h;
            h = w;
            w = t;
        }
        break;
    default: /* small */
        h = 1 + (fuzz_u8(&in) & 31);
        w = 1 + (fuzz_u8(&in) & 31);
        break;
    }
    k = 1 + fuzz_u8(&in) % MAX_VERTICES;
    for (size_t j = 0; j < 2 * k; j++) {
        xy[j] = pick_coord(&in);
        if (!(fabs(xy[j]) <= MASKEVAL_POLY_COORD_LIMIT)) {
            all_ok = 0;
        }
        if (!(fabs(xy[j]) <= WALK_COORD_LIMIT)) {
            walkable = 0;
        }
    }
    if ((uint64_t)h * w > UINT32_MAX) {
        all_ok = 0;
    }
    if (all_ok) {
        /* The cost is about one toggle per edge and image column crossed;
         * skip what would take long (a wide image and far vertices) to keep
         * the executions fast. */
        double crossings = 0;
        for (size_t j = 0; j < k; j++) {
            double dx = fabs(xy[2 * ((j + 1) % k)] - xy[2 * j]) + 2;
            crossings += dx < w ? dx : w;
        }
        if (crossings > (double)MAX_CROSSINGS) {
            return -1;
        }
    }

    st = maskeval_poly_rasterize(&alloc, xy, k, h, w, &scratch, &out);
    FUZZ_CHECK(st == MASKEVAL_OK || st == MASKEVAL_ERR_LIMIT, "status %d", (int)st);
    FUZZ_CHECK((st == MASKEVAL_OK) == all_ok, "status %d for %s input (h %u, w %u)", (int)st,
               all_ok ? "a valid" : "an out-of-range", h, w);

    if (k >= 3) {
        /* the public wrapper */
        size_t pn = 0;
        uint32_t *pc = fuzz_xmalloc(sizeof(uint32_t) * (out.n + 1));
        maskeval_status ps =
            maskeval_rle_from_polygon(fuzz_ctx(), xy, 2 * k, h, w, pc, out.n + 1, &pn);
        FUZZ_CHECK(ps == st, "maskeval_rle_from_polygon: status %d, internal %d", (int)ps,
                   (int)st);
        if (st == MASKEVAL_OK) {
            same_counts(out.v, out.n, pc, pn, "public wrapper");
        }
        free(pc);
    }

    if (st == MASKEVAL_OK) {
        uint64_t total = 0;
        maskeval_u32vec out2 = {0};
        for (size_t i = 0; i < out.n; i++) {
            total += out.v[i];
            FUZZ_CHECK(i == 0 || out.v[i] > 0, "count %zu is 0", i);
        }
        FUZZ_CHECK(out.n >= 1 && total == (uint64_t)h * w, "counts add up to %llu, h*w = %llu",
                   (unsigned long long)total, (unsigned long long)h * w);

        /* scratch reused, and an output that already holds counts: they
         * are replaced, not appended to */
        FUZZ_CHECK(maskeval_u32vec_reserve(&alloc, &out2, 7) == MASKEVAL_OK, "reserve");
        for (size_t i = 0; i < 7; i++) {
            out2.v[i] = 0xdeadbeef;
        }
        out2.n = 7;
        st = maskeval_poly_rasterize(&alloc, xy, k, h, w, &scratch, &out2);
        FUZZ_CHECK(st == MASKEVAL_OK, "second call: status %d", (int)st);
        same_counts(out.v, out.n, out2.v, out2.n, "reused buffers");
        maskeval_u32vec_free(&alloc, &out2);

        if (walkable && (uint64_t)h * w <= WALK_MAX_PIXELS) {
            uint64_t points = 0;
            for (size_t j = 0; j < k; j++) {
                size_t n1 = (j + 1) % k;
                int x0 = (int)(5 * xy[2 * j] + .5), y0 = (int)(5 * xy[2 * j + 1] + .5);
                int x1 = (int)(5 * xy[2 * n1] + .5), y1 = (int)(5 * xy[2 * n1 + 1] + .5);
                int dx = abs(x1 - x0), dy = abs(y1 - y0);
                points += (uint64_t)(dx > dy ? dx : dy) + 1;
            }
            if (points <= WALK_MAX_POINTS) {
                maskeval_u32vec ws = {0}, wo = {0};
                uint32_t *ref = NULL;
                size_t nref;
                st = maskeval_poly_rasterize_walk(&alloc, xy, k, h, w, &ws, &wo);
                FUZZ_CHECK(st == MASKEVAL_OK, "walk: status %d", (int)st);
                same_counts(out.v, out.n, wo.v, wo.n, "rasterize vs walk");
                nref = ref_fr_poly(xy, k, h, w, &ref);
                same_counts(out.v, out.n, ref, nref, "rasterize vs pycocotools rleFrPoly");
                free(ref);
                maskeval_u32vec_free(&alloc, &ws);
                maskeval_u32vec_free(&alloc, &wo);
            }
        }
    }
    maskeval_u32vec_free(&alloc, &scratch);
    maskeval_u32vec_free(&alloc, &out);
    return 0;
}
