/*
 * common.cl - definitions shared by every maskeval kernel. Prepended to each
 * program. All arithmetic in maskeval kernels is integer: counts only, no
 * floating point, so results never depend on the device.
 */
#pragma OPENCL FP_CONTRACT OFF

#ifndef WG_SIZE
#define WG_SIZE 256
#endif

/* First index i in [0, n) with v[i].y > x (intervals sorted by start, disjoint). */
inline uint me_first_end_after(__global const uint2 *v, uint n, uint x)
{
    uint lo = 0, hi = n;
    while (lo < hi) {
        uint mid = lo + (hi - lo) / 2;
        if (v[mid].y <= x) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}
