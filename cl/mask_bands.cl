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
 * pieces (a column holds at most its runs plus as many eroded intervals)
 * and, at its end, a table of where each box column's intervals start, so
 * that a lookup searches one column's intervals, and each column's vertical
 * erosion: where every column of a window holds at most one run (most
 * of most masks), the erosion at its centre is the window's [max start,
 * min end), without any search, and such columns answer the general path's
 * lookups at once. Once done, the rest of the slot is padded with (UINT_MAX,
 * UINT_MAX), which pair_intersect stops at. The band's pixel count goes to band_area (NONE
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

/* First index i in [lo, hi) with v[i].y > x, else hi. */
inline uint first_end_after_in(__global const uint2 *v, uint lo, uint hi, uint x)
{
    while (lo < hi) {
        const uint mid = lo + (hi - lo) / 2;
        if (v[mid].y <= x) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/* The vertical erosion of column col: the first of its intervals [*vs, *ve)
 * that ends after row x; 0 if none. tab[j]: the first interval that ends
 * after the top of box column c0 + j (cw columns), so a column's search
 * covers its own intervals only. */
inline int col_vert(__global const uint2 *a, uint n, uint h, uint d, uint col, uint x,
                    __global const uint *tab, __global const uint *vsa,
                    __global const uint *vea, __global const uint *pm, uint c0, uint cw,
                    uint *vs, uint *ve)
{
    uint rs, re;
    if (col < c0 || col - c0 >= cw) {
        return 0; /* outside the box: no runs */
    }
    const uint j = col - c0, lo = tab[j], hi = j + 1 < cw ? min(tab[j + 1] + 1, n) : n;
    if (pm[j + 1] == pm[j]) { /* at most one run: its erosion, if any, is known */
        *vs = vsa[j];
        *ve = vea[j];
        return vea[j] > x;
    }
    while (x < h) {
        const uint cs = col * h, ce = cs + h;
        uint k = first_end_after_in(a, lo, hi, cs + x);
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
                     uint re, __global const uint *tab, uint c0, uint cw,
                     __global const uint *vsa, __global const uint *vea,
                     __global const uint *pm, __global const uint *vh,
                     __global uint2 *out, uint at, uint end, uint *area)
{
    const uint base = c * h;
    const uint j = c - c0;
    uint from = rs; /* start of the band piece being built */
    if (j >= d && cw - j > d && pm[j + d + 1] == pm[j - d]) {
        /* one run per column of the window, which lies inside the box: the
         * erosion is [max vs, min ve) over it */
        if (exceeds_2d(re - rs, d)) {
            /* van Herk / Gil-Werman: the window is a block's suffix and the
             * next block's prefix (vh: prefix max, suffix max, prefix min,
             * suffix min, cw each) */
            const uint lo = max(vh[cw + j - d], vh[j + d]);
            const uint hi = min(vh[3 * cw + j - d], vh[2 * cw + j + d]);
            if (lo < hi) {
                if (lo > from) {
                    if (at < end) {
                        out[at] = (uint2)(base + from, base + lo);
                    }
                    at++;
                    *area += lo - from;
                }
                from = hi;
            }
        }
    } else if (exceeds_2d(re - rs, d) && c >= d && w - c > d) {
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
                if (!col_vert(a, n, h, d, cc, x, tab, vsa, vea, pm, c0, cw, &vs, &ve)) {
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
    /* the column table at the slot's end (the band's pieces never reach it):
     * the mask's box columns c0 .. c0 + cw - 1 */
    const uint c0 = n > 0 ? a[0].x / h : 0, cw = n > 0 ? (a[n - 1].y - 1) / h - c0 + 1 : 0;
    const uint scratch = n > 0 ? 4 * cw + 2 : 0;
    if (end - at < scratch) {
        band_area[m] = NONE;
        return;
    }
    const uint lim = end - scratch;
    __global uint *tab = (__global uint *)(band + lim);
    __global uint *vsa = tab + cw, *vea = vsa + cw, *pm = vea + cw, *vh = pm + cw + 1;
    pm[0] = 0;
    for (uint j = 0, k = 0; j < cw; j++) {
        const uint cs = (c0 + j) * h, ce = cs + h;
        uint runs = 0, rs = 0, re = 0;
        while (k < n && a[k].y <= cs) {
            k++;
        }
        tab[j] = k;
        /* the column's runs, touching pieces merged: one, or the general path */
        for (uint q = k; q < n && a[q].x < ce; q++) {
            const uint s0 = max(a[q].x, cs) - cs, e0 = min(a[q].y, ce) - cs;
            if (runs > 0 && s0 == re) {
                re = e0;
            } else {
                runs++;
                rs = s0;
                re = e0;
            }
        }
        pm[j + 1] = pm[j] + (runs > 1); /* columns of several runs before j + 1 */
        vsa[j] = runs == 1 && exceeds_2d(re - rs, d) ? rs + d : NONE;
        vea[j] = runs == 1 && exceeds_2d(re - rs, d) ? re - d : 0;
    }
    /* blocks of 2d + 1 columns: prefix and suffix max of vsa, min of vea */
    if (cw > 2 * d) {
        const uint k = 2 * d + 1;
        for (uint b0 = 0; b0 < cw; b0 += k) {
            const uint b1 = min(b0 + k, cw);
            uint mx = 0, mn = NONE;
            for (uint j = b0; j < b1; j++) {
                mx = max(mx, vsa[j]);
                mn = min(mn, vea[j]);
                vh[j] = mx;
                vh[2 * cw + j] = mn;
            }
            mx = 0;
            mn = NONE;
            for (uint j = b1; j-- > b0;) {
                mx = max(mx, vsa[j]);
                mn = min(mn, vea[j]);
                vh[cw + j] = mx;
                vh[3 * cw + j] = mn;
            }
        }
    }
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
                    at = run_band(a, n, h, w, d, pc, prs, pre, tab, c0, cw, vsa, vea, pm, vh, band, at,
                                   lim, &area);
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
        at = run_band(a, n, h, w, d, pc, prs, pre, tab, c0, cw, vsa, vea, pm, vh, band, at,
                                   lim, &area);
    }
    /* more pieces than the slot holds cannot happen (see above); if it did,
     * NONE tells the host */
    band_area[m] = at > lim ? NONE : area;
    for (; at < end; at++) {
        band[at] = (uint2)(NONE, NONE);
    }
}
