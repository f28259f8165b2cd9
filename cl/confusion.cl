/*
 * confusion.cl - per-class confusion counts of (ground truth, prediction)
 * label maps.
 *
 * Each label first goes through a lookup table (the host folds
 * reduce-zero-label, label maps and the ignore index into it): SKIP drops
 * the pixel, any value >= K becomes K ("out of range"), so counts land in a
 * (K+1) x (K+1) matrix. Work-items read 16 labels at a time with vector
 * loads (consecutive work-items read consecutive chunks, so the loads
 * coalesce) and stride over the maps; since label maps are piecewise
 * constant, a chunk with one label on each side is counted as one step, and
 * each work-item keeps a running (cell, count) that it adds only when the
 * cell changes. Three ways to add a run:
 *   confusion_local  - into a work-group histogram in local memory, flushed
 *                      once per group (small K);
 *   confusion_global - straight into the global histogram (larger K);
 *   confusion_hash   - into an open-addressing hash table of (key, count)
 *                      (K too large for a dense matrix).
 * 8-bit lookup tables are copied into local memory first.
 * All counts are 32-bit integer atomics: order-independent, so exact. The
 * host adds each batch (< 2^31 pixels) into 64-bit totals.
 */

#ifndef LABEL_T
#define LABEL_T uchar
#endif
#ifndef LUT_LOCAL
#define LUT_LOCAL 1
#endif
#define SKIP 0xffffffffu
#define CHUNK 16

#define VEC_T_(t) t##16
#define VEC_T_X(t) VEC_T_(t)
#define VEC_T VEC_T_X(LABEL_T)

#if LUT_LOCAL
#define LUT_G(v) llut[(v)]
#define LUT_P(v) llut[256 + (v)]
#else
#define LUT_G(v) lut_g[(v)]
#define LUT_P(v) lut_p[(v)]
#endif

/* Loads the 8-bit lookup tables into local memory (all work-items). */
#define LOAD_LUTS()                                                                                \
    do {                                                                                           \
        if (LUT_LOCAL) {                                                                           \
            for (uint i_ = get_local_id(0); i_ < 512; i_ += get_local_size(0)) {                  \
                llut[i_] = i_ < 256 ? lut_g[i_] : lut_p[i_ - 256];                                 \
            }                                                                                      \
            barrier(CLK_LOCAL_MEM_FENCE);                                                          \
        }                                                                                          \
    } while (0)

/* cnt pixels of one (gt, pred) pair: extend the running cell or add it and
 * start a new one. */
#define STEPN(graw, praw, cnt, ADD)                                                                \
    do {                                                                                           \
        const uint g_ = LUT_G(graw);                                                               \
        if (g_ != SKIP) {                                                                          \
            const uint key_ = min(g_, k) * k1 + min(LUT_P(praw), k);                               \
            if (run > 0 && key_ == cur) {                                                          \
                run += (cnt);                                                                      \
            } else {                                                                               \
                if (run > 0) {                                                                     \
                    ADD(cur, run);                                                                 \
                }                                                                                  \
                cur = key_;                                                                        \
                run = (cnt);                                                                       \
            }                                                                                      \
        }                                                                                          \
    } while (0)
#define STEP(graw, praw, ADD) STEPN(graw, praw, 1u, ADD)

/* All chunks of this work-item, then (work-item 0) the tail. */
#define WALK(ADD)                                                                                  \
    do {                                                                                           \
        uint cur = 0, run = 0;                                                                     \
        const ulong chunks = n / CHUNK;                                                            \
        for (ulong c = get_global_id(0); c < chunks; c += get_global_size(0)) {                    \
            const VEC_T gv = vload16(c, gt), pv = vload16(c, pred);                                \
            if (all(gv == (VEC_T)(gv.s0)) && all(pv == (VEC_T)(pv.s0))) {                          \
                /* one label on both sides: the common case of label maps */                       \
                STEPN(gv.s0, pv.s0, (uint)CHUNK, ADD);                                             \
            } else {                                                                               \
                const LABEL_T *ga = (const LABEL_T *)&gv, *pa = (const LABEL_T *)&pv;              \
                for (int i = 0; i < CHUNK; i++) {                                                  \
                    STEP(ga[i], pa[i], ADD);                                                       \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
        if (get_global_id(0) == 0) {                                                               \
            for (ulong q = chunks * CHUNK; q < n; q++) {                                           \
                STEP(gt[q], pred[q], ADD);                                                         \
            }                                                                                      \
        }                                                                                          \
        if (run > 0) {                                                                             \
            ADD(cur, run);                                                                         \
        }                                                                                          \
    } while (0)

#define ADD_LOCAL(key, cnt) atomic_add(&lh[key], cnt)
#define ADD_GLOBAL(key, cnt) atomic_add(&hist[key], cnt)

__kernel void confusion_local(__global const LABEL_T *gt, __global const LABEL_T *pred,
                              const ulong n, __global const uint *lut_g,
                              __global const uint *lut_p, const uint k, __global uint *hist,
                              __local uint *llut, __local uint *lh)
{
    const uint k1 = k + 1, bins = k1 * k1;
    for (uint i = get_local_id(0); i < bins; i += get_local_size(0)) {
        lh[i] = 0;
    }
    LOAD_LUTS();
    barrier(CLK_LOCAL_MEM_FENCE);
    WALK(ADD_LOCAL);
    barrier(CLK_LOCAL_MEM_FENCE);
    for (uint i = get_local_id(0); i < bins; i += get_local_size(0)) {
        if (lh[i] != 0) {
            atomic_add(&hist[i], lh[i]);
        }
    }
}

__kernel void confusion_global(__global const LABEL_T *gt, __global const LABEL_T *pred,
                               const ulong n, __global const uint *lut_g,
                               __global const uint *lut_p, const uint k, __global uint *hist,
                               __local uint *llut)
{
    const uint k1 = k + 1;
    LOAD_LUTS();
    WALK(ADD_GLOBAL);
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

#define ADD_HASH(key, cnt) hash_add(keys, counts, mask, key, cnt)

__kernel void confusion_hash(__global const LABEL_T *gt, __global const LABEL_T *pred,
                             const ulong n, __global const uint *lut_g,
                             __global const uint *lut_p, const uint k, __global uint *keys,
                             __global uint *counts, const uint mask, __local uint *llut)
{
    const uint k1 = k + 1;
    LOAD_LUTS();
    WALK(ADD_HASH);
}
