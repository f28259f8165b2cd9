/*
 * pair_intersect.cl - pixel intersections of (detection, ground truth) mask
 * pairs, for pycocotools' mask IoU.
 *
 * The host uploads the masks of a batch as their compressed COCO RLE strings
 * (the most compact form: about 1.5 bytes per run) with pairs of mask
 * indices. decode_masks expands each string, one work-item per mask, into
 * its foreground runs as half-open intervals [start, end) of column-major
 * pixel indices, sorted and disjoint. pair_intersect then counts each pair's
 * intersection, one work-item per pair: it binary-searches both interval
 * lists to the window of pixel indices covered by the columns where the two
 * mask boxes overlap (both masks are empty outside their boxes) and merges
 * from there. The host divides the counts (in double) as pycocotools does.
 */

/* Upload layout (uint words): string bytes at 0, then str_off[n_masks + 1]
 * (byte offsets) at stroff_at, iv_off[n_masks + 1] (interval offsets) at
 * ivoff_at, and the pairs (uint4: mask a, mask b, lo, hi) at pairs_at. */

__kernel void decode_masks(__global const uint *in, const uint stroff_at, const uint ivoff_at,
                           const uint n_masks, __global uint2 *iv)
{
    const uint m = get_global_id(0);
    if (m >= n_masks) {
        return;
    }
    __global const uchar *str = (__global const uchar *)in;
    uint p = in[stroff_at + m];
    const uint end = in[stroff_at + m + 1];
    uint out = in[ivoff_at + m], idx = 0, one = 0;
    uint prev2 = 0, prev1 = 0, pos = 0;
    while (p < end) {
        long x = 0;
        int k = 0, more = 1;
        while (more) {
            const int c = (int)str[p++] - 48;
            x |= (long)(c & 0x1f) << (5 * k);
            more = c & 0x20;
            k++;
            if (!more && (c & 0x10)) {
                x |= -((long)1 << (5 * k)); /* sign-extend */
            }
        }
        if (idx > 2) {
            x += prev2;
        }
        const uint cnt = (uint)x;
        prev2 = prev1;
        prev1 = cnt;
        idx++;
        if (one && cnt > 0) {
            iv[out++] = (uint2)(pos, pos + cnt);
        }
        pos += cnt;
        one = !one;
    }
}

__kernel void pair_intersect(__global const uint2 *iv, __global const uint *in,
                             const uint ivoff_at, const uint pairs_at, const uint n_pairs,
                             __global uint *inter)
{
    const uint gid = get_global_id(0);
    if (gid >= n_pairs) {
        return;
    }
    __global const uint *iv_off = in + ivoff_at;
    const uint4 p = ((__global const uint4 *)(in + pairs_at))[gid];
    __global const uint2 *a = iv + iv_off[p.x];
    __global const uint2 *b = iv + iv_off[p.y];
    const uint na = iv_off[p.x + 1] - iv_off[p.x];
    const uint nb = iv_off[p.y + 1] - iv_off[p.y];
    const uint lo = p.z, hi = p.w;
    uint i = me_first_end_after(a, na, lo);
    uint j = me_first_end_after(b, nb, lo);
    uint count = 0;
    while (i < na && j < nb) {
        const uint2 x = a[i], y = b[j];
        if (x.x >= hi || y.x >= hi) {
            break;
        }
        const uint s = max(x.x, y.x), e = min(min(x.y, y.y), hi);
        if (e > s) {
            count += e - s;
        }
        if (x.y <= y.y) {
            i++;
        } else {
            j++;
        }
    }
    inter[gid] = count;
}
