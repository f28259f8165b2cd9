/*
 * mask_bands.cl - Boundary IoU's boundary band of each decoded mask (see
 * src/raster/band.h for the definition and the CPU path, maskeval_band_runs):
 * a mask pixel (r, c) survives the erosion iff every pixel within Chebyshev
 * distance d is inside the image and inside the mask; the band is the rest
 * of the mask.
 *
 * One work-item per mask, on the foreground intervals decode_masks wrote
 * (pair_intersect.cl). In column-major order a mask is, per column, a list
 * of vertical runs; the vertical erosion shrinks each run by d at both ends
 * (V), and (r, c) survives iff r lies in V of every column c-d..c+d. For
 * each run of column c the kernel walks r upwards: it looks up, by binary
 * search in the interval list, the V interval holding r (or the next one)
 * in each of the 2d other columns, jumps r to the furthest next start where
 * one misses, and otherwise emits the eroded interval up to the nearest V
 * end. The band pieces (the run minus the eroded intervals) go out as
 * [start, end) pixel intervals, sorted and disjoint, in the form
 * pair_intersect reads; the mask's slot has room for 2 (runs + box columns)
 * pieces (a column holds at most its runs plus as many eroded intervals),
 * and the rest of it is padded with (UINT_MAX, UINT_MAX), which
 * pair_intersect stops at. The band's pixel count goes to band_area (NONE
 * if the slot were ever too small).
 *
 * Per-mask input (uint4 at minfo_at): image height, image width, d, unused;
 * band slot offsets (band_off[n_masks + 1], in intervals) at bandoff_at.
 */

#define NONE 0xffffffffu

/* len > 2d, without overflow for any d */
inline int exceeds_2d(uint len, uint d)
{
    return len > 0 && (len - 1) / 2 >= d;
}

/* The vertical erosion of column col: the first of its intervals [*vs, *ve)
 * that ends after row x; 0 if none. */
inline int col_vert(__global const uint2 *a, uint n, uint h, uint d, uint col, uint x, uint *vs,
                    uint *ve)
{
    uint rs, re;
    while (x < h) {
        const uint cs = col * h, ce = cs + h;
        uint k = me_first_end_after(a, n, cs + x);
        if (k >= n || a[k].x >= ce) {
            return 0;
        }
        /* the run may begin with pieces touching it from above */
        uint k0 = k;
        while (k0 > 0 && a[k0].x > cs && a[k0 - 1].y == a[k0].x) {
            k0--;
        }
        rs = max(a[k0].x, cs) - cs;
        uint e = a[k].y;
        while (e < ce && k + 1 < n && a[k + 1].x == e) {
            e = a[++k].y;
        }
        re = min(e, ce) - cs;
        if (exceeds_2d(re - rs, d) && re - d > x) {
            *vs = rs + d;
            *ve = re - d;
            return 1;
        }
        x = re;
    }
    return 0;
}

/* Band pieces of the run [rs, re) of column c into out. */
inline uint run_band(__global const uint2 *a, uint n, uint h, uint w, uint d, uint c, uint rs,
                     uint re, __global uint2 *out, uint at, uint end, uint *area)
{
    const uint base = c * h;
    uint from = rs; /* start of the band piece being built */
    if (exceeds_2d(re - rs, d) && c >= d && w - c > d) {
        uint x = rs + d;
        const uint b = re - d;
        while (x < b) {
            uint hi = b, next = x;
            int miss = 0;
            for (uint cc = c - d; cc <= c + d; cc++) {
                uint vs, ve;
                if (cc == c) {
                    continue;
                }
                if (!col_vert(a, n, h, d, cc, x, &vs, &ve)) {
                    next = b; /* nothing from x down survives */
                    miss = 1;
                    break;
                }
                if (vs > x) {
                    next = max(next, vs);
                    miss = 1;
                } else {
                    hi = min(hi, ve);
                }
            }
            if (miss) {
                x = next;
                continue;
            }
            /* rows [x, hi) survive */
            if (x > from) {
                if (at < end) {
                    out[at] = (uint2)(base + from, base + x);
                }
                at++;
                *area += x - from;
            }
            from = hi;
            x = hi;
        }
    }
    if (re > from) {
        if (at < end) {
            out[at] = (uint2)(base + from, base + re);
        }
        at++;
        *area += re - from;
    }
    return at;
}

__kernel void mask_bands(__global const uint2 *iv, __global const uint *in, const uint ivoff_at,
                         const uint bandoff_at, const uint minfo_at, const uint n_masks,
                         __global uint2 *band, __global uint *band_area)
{
    const uint m = get_global_id(0);
    if (m >= n_masks) {
        return;
    }
    __global const uint2 *a = iv + in[ivoff_at + m];
    const uint n = in[ivoff_at + m + 1] - in[ivoff_at + m];
    const uint4 info = ((__global const uint4 *)(in + minfo_at))[m];
    const uint h = info.x, w = info.y, d = info.z;
    uint at = in[bandoff_at + m];
    const uint end = in[bandoff_at + m + 1];
    uint area = 0;
    /* the runs column by column, touching pieces merged */
    int have = 0;
    uint pc = 0, prs = 0, pre = 0;
    for (uint k = 0; k < n; k++) {
        uint s = a[k].x;
        const uint e = a[k].y;
        while (s < e) {
            const uint c = s / h, cs = c * h;
            const uint stop = min(e, cs + h);
            if (have && pc == c && pre == s - cs) {
                pre = stop - cs;
            } else {
                if (have) {
                    at = run_band(a, n, h, w, d, pc, prs, pre, band, at, end, &area);
                }
                have = 1;
                pc = c;
                prs = s - cs;
                pre = stop - cs;
            }
            s = stop;
        }
    }
    if (have) {
        at = run_band(a, n, h, w, d, pc, prs, pre, band, at, end, &area);
    }
    /* more pieces than the slot holds cannot happen (see above); if it did,
     * NONE tells the host */
    band_area[m] = at > end ? NONE : area;
    for (; at < end; at++) {
        band[at] = (uint2)(NONE, NONE);
    }
}
