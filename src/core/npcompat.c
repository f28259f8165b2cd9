/*
 * npcompat.c - numpy's arithmetic where results depend on it, bit for bit:
 * np.linspace, and float64 summation (so means of the precision / recall
 * arrays and semantic metrics equal np.mean's).
 *
 * numpy sums a contiguous array pairwise: below 8 elements left to right;
 * up to 128 with eight interleaved accumulators combined as
 * ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7)) plus the tail left to right; above
 * that it splits at half (rounded down to a multiple of 8) and recurses.
 * numpy < 2.3 ran this on buffered chunks of 8192 elements added left to
 * right; numpy >= 2.3 (checked against 2.4.6) sums the whole array at once.
 */
#include <math.h>

#include "core/npcompat.h"

static double pairwise(const double *a, size_t n)
{
    if (n < 8) {
        double res = -0.0;
        for (size_t i = 0; i < n; i++) {
            res += a[i];
        }
        return res;
    }
    if (n <= 128) {
        double r[8], res;
        size_t i;
        for (i = 0; i < 8; i++) {
            r[i] = a[i];
        }
        for (i = 8; i < n - (n % 8); i += 8) {
            r[0] += a[i + 0];
            r[1] += a[i + 1];
            r[2] += a[i + 2];
            r[3] += a[i + 3];
            r[4] += a[i + 4];
            r[5] += a[i + 5];
            r[6] += a[i + 6];
            r[7] += a[i + 7];
        }
        res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++) {
            res += a[i];
        }
        return res;
    }
    {
        size_t n2 = n / 2;
        n2 -= n2 % 8;
        return pairwise(a, n2) + pairwise(a + n2, n - n2);
    }
}

double maskeval_np_sum(const double *a, size_t n, size_t block)
{
    double sum = 0.0;
    if (block == 0) {
        return sum + pairwise(a, n);
    }
    for (size_t i = 0; i < n; i += block) {
        sum += pairwise(a + i, n - i < block ? n - i : block);
    }
    return sum;
}

void maskeval_linspace(double start, double stop, size_t num, double *out)
{
    /* numpy: step = (stop - start) / (num - 1); y = arange(num) * step + start;
     * the last value is forced to stop. */
    if (num == 0) {
        return;
    }
    if (num == 1) {
        out[0] = start;
        return;
    }
    {
        double step = (stop - start) / (double)(num - 1);
        for (size_t i = 0; i < num; i++) {
            double y = (double)i * step;
            out[i] = y + start;
        }
        out[num - 1] = stop;
    }
}

/* np.nanmean: NaNs count as 0 in numpy's pairwise sum, divided by the
 * number of non-NaN values; NaN if there is none. */
double maskeval_np_nanmean(double *v, size_t n)
{
    size_t cnt = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(v[i])) {
            v[i] = 0;
        } else {
            cnt++;
        }
    }
    return cnt == 0 ? NAN : maskeval_np_sum(v, n, 0) / (double)cnt;
}
