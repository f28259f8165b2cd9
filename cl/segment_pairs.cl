/*
 * segment_pairs.cl - panoptic quality's joint histogram: for every pixel of
 * a batch of images, the pair (ground-truth segment, predicted segment) it
 * belongs to, counted per image.
 *
 * The host gives each image its two id maps (RGB-decoded PNGs, row-major)
 * and two sorted id tables (the segments the JSON lists, plus VOID); the
 * kernel counts into a dense (n_gt + 1) x (n_pred + 1) matrix per image,
 * index n_gt (n_pred) standing for every id missing from the table. Each
 * work-item takes SPAN consecutive pixels of one image, follows them as
 * runs of one (gt, pred) pair (segment maps are mostly long runs), looks a
 * run's ids up by binary search when the pair changes and adds the run's
 * length with one atomic add. Counts are 32-bit: an image has fewer than
 * 2^32 pixels. The host turns the matrix into the sorted pair list of
 * src/panoptic/pq_pairs.c.
 *
 * Per image (2 x uint4 at img): first pixel, pixels, gt table offset, gt
 * table length, pred table offset, pred table length, count offset, first
 * work-item. Work-items are numbered across the batch; each finds its image
 * by binary search on the first work-items.
 */

#ifndef SPAN
#define SPAN 256
#endif

inline uint id_index(__global const uint *tab, uint n, uint id)
{
    uint lo = 0, hi = n;
    while (lo < hi) {
        const uint mid = lo + (hi - lo) / 2;
        if (tab[mid] < id) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo < n && tab[lo] == id ? lo : n;
}

__kernel void segment_pairs(__global const uint *gt, __global const uint *pred,
                            __global const uint4 *img, const uint n_imgs,
                            __global const uint *tabs, const uint n_items,
                            __global uint *counts)
{
    const uint item = get_global_id(0);
    if (item >= n_items) {
        return;
    }
    /* the last image whose first work-item is <= item */
    uint lo = 0, hi = n_imgs;
    while (hi - lo > 1) {
        const uint mid = lo + (hi - lo) / 2;
        if (img[2 * mid + 1].w <= item) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    const uint4 a = img[2 * lo], b = img[2 * lo + 1];
    const uint first = (item - b.w) * SPAN;
    if (first >= a.y) {
        return;
    }
    const uint end = min(a.y - first, (uint)SPAN) + first;
    __global const uint *g = gt + a.x, *p = pred + a.x;
    __global const uint *gtab = tabs + a.z, *ptab = tabs + b.x;
    const uint ng = a.w, np = b.y;
    __global uint *c = counts + b.z;
    uint i = first;
    while (i < end) {
        const uint gi = g[i], pi = p[i];
        const uint s = i;
        for (i++; i < end && g[i] == gi && p[i] == pi; i++) {
        }
        const uint r = id_index(gtab, ng, gi), q = id_index(ptab, np, pi);
        atomic_add(&c[r * (np + 1) + q], i - s);
    }
}
