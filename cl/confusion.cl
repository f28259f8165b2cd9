/*
 * confusion.cl - per-class confusion counts of (ground truth, prediction)
 * label maps.
 *
 * Each label first goes through a lookup table (the host folds
 * reduce-zero-label, label maps and the ignore index into it): SKIP drops
 * the pixel, any value >= K becomes K ("out of range"), so counts land in a
 * (K+1) x (K+1) matrix. Label maps are piecewise constant, so each work-item
 * walks a contiguous tile and adds one count per run of equal (gt, pred)
 * pairs instead of one per pixel. Three ways to add a run:
 *   confusion_local  - into a work-group histogram in local memory, flushed
 *                      once per group (small K);
 *   confusion_global - straight into the global histogram (larger K);
 *   confusion_hash   - into an open-addressing hash table of (key, count)
 *                      (K too large for a dense matrix).
 * All counts are 32-bit integer atomics: order-independent, so exact. The
 * host adds each batch (< 2^31 pixels) into 64-bit totals.
 */

#ifndef LABEL_T
#define LABEL_T uchar
#endif
#ifndef TILE
#define TILE 64
#endif
#define SKIP 0xffffffffu

/* Pixels [start, end) of one tile; calls ADD(key, count) per run. */
#define WALK_TILE(start, end, ADD)                                                                 \
    do {                                                                                           \
        uint cur = 0, run = 0;                                                                     \
        for (ulong q = (start); q < (end); q++) {                                                  \
            const uint g = lut_g[gt[q]];                                                           \
            if (g == SKIP) {                                                                       \
                continue; /* an ignored pixel does not break a run */                             \
            }                                                                                      \
            const uint key = min(g, k) * k1 + min(lut_p[pred[q]], k);                              \
            if (run > 0 && key == cur) {                                                           \
                run++;                                                                             \
            } else {                                                                               \
                if (run > 0) {                                                                     \
                    ADD(cur, run);                                                                 \
                }                                                                                  \
                cur = key;                                                                         \
                run = 1;                                                                           \
            }                                                                                      \
        }                                                                                          \
        if (run > 0) {                                                                             \
            ADD(cur, run);                                                                         \
        }                                                                                          \
    } while (0)

#define ADD_LOCAL(key, n) atomic_add(&lh[key], n)
#define ADD_GLOBAL(key, n) atomic_add(&hist[key], n)

__kernel void confusion_local(__global const LABEL_T *gt, __global const LABEL_T *pred,
                              const ulong n, __global const uint *lut_g,
                              __global const uint *lut_p, const uint k,
                              __global uint *hist, __local uint *lh)
{
    const uint k1 = k + 1, bins = k1 * k1;
    const ulong tiles = (n + TILE - 1) / TILE;
    for (uint i = get_local_id(0); i < bins; i += get_local_size(0)) {
        lh[i] = 0;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    for (ulong t = get_global_id(0); t < tiles; t += get_global_size(0)) {
        const ulong s = t * TILE, e = min(s + TILE, n);
        WALK_TILE(s, e, ADD_LOCAL);
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    for (uint i = get_local_id(0); i < bins; i += get_local_size(0)) {
        if (lh[i] != 0) {
            atomic_add(&hist[i], lh[i]);
        }
    }
}

__kernel void confusion_global(__global const LABEL_T *gt, __global const LABEL_T *pred,
                               const ulong n, __global const uint *lut_g,
                               __global const uint *lut_p, const uint k,
                               __global uint *hist)
{
    const uint k1 = k + 1;
    const ulong tiles = (n + TILE - 1) / TILE;
    for (ulong t = get_global_id(0); t < tiles; t += get_global_size(0)) {
        const ulong s = t * TILE, e = min(s + TILE, n);
        WALK_TILE(s, e, ADD_GLOBAL);
    }
}

/* Open addressing with linear probing; 0xffffffff marks an empty slot. The
 * one key that can equal it (both labels out of range with K = 65535) is
 * counted in counts[mask + 1]. The table has room for every run of the
 * batch, so an insert always finds a slot. */
inline void hash_add(__global uint *keys, __global uint *counts, const uint mask, uint key,
                     uint n)
{
    if (key == SKIP) {
        atomic_add(&counts[mask + 1], n);
        return;
    }
    uint slot = (key * 2654435761u) & mask;
    for (;;) {
        const uint prev = atomic_cmpxchg(&keys[slot], SKIP, key);
        if (prev == SKIP || prev == key) {
            atomic_add(&counts[slot], n);
            return;
        }
        slot = (slot + 1) & mask;
    }
}

#define ADD_HASH(key, n) hash_add(keys, counts, mask, key, n)

__kernel void confusion_hash(__global const LABEL_T *gt, __global const LABEL_T *pred,
                             const ulong n, __global const uint *lut_g,
                             __global const uint *lut_p, const uint k, __global uint *keys,
                             __global uint *counts, const uint mask)
{
    const uint k1 = k + 1;
    const ulong tiles = (n + TILE - 1) / TILE;
    for (ulong t = get_global_id(0); t < tiles; t += get_global_size(0)) {
        const ulong s = t * TILE, e = min(s + TILE, n);
        WALK_TILE(s, e, ADD_HASH);
    }
}
