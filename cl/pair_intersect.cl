/*
 * pair_intersect.cl - pixel intersections of (detection, ground truth) mask
 * pairs, for pycocotools' mask IoU.
 *
 * Layout: every mask is the list of its foreground runs as half-open
 * intervals [start, end) of column-major pixel indices (COCO RLE order),
 * sorted and disjoint; the masks of a batch are concatenated (mask_off[m] ..
 * mask_off[m+1]). Intervals, offsets and pairs arrive in one buffer, so a
 * batch can use its memory budget whatever the mix. A pair also carries the window of pixel indices covered by
 * the columns where the two mask boxes overlap; both masks are empty outside
 * their boxes, so only intervals reaching into the window are visited.
 * One work-item per pair: binary search into the window, then a merge walk.
 * The host divides the counts (in double) exactly as pycocotools does.
 */

__kernel void pair_intersect(__global const uint *in,  /* one upload, three parts: */
                             const uint masks_at,        /* uint offset of mask_off[] */
                             const uint pairs_at,        /* uint offset (multiple of 4) of pairs */
                             const uint n_pairs,
                             __global uint *inter)       /* [n_pairs] out */
{
    const uint gid = get_global_id(0);
    if (gid >= n_pairs) {
        return;
    }
    __global const uint2 *iv = (__global const uint2 *)in;        /* intervals of all masks */
    __global const uint *mask_off = in + masks_at;                /* [n_masks + 1] */
    __global const uint4 *pairs = (__global const uint4 *)(in + pairs_at); /* (a, b, lo, hi) */
    const uint4 p = pairs[gid];
    __global const uint2 *a = iv + mask_off[p.x];
    __global const uint2 *b = iv + mask_off[p.y];
    const uint na = mask_off[p.x + 1] - mask_off[p.x];
    const uint nb = mask_off[p.y + 1] - mask_off[p.y];
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
