/*
 * oks.c - pycocotools' object keypoint similarity (COCOeval.computeOks) up to
 * its exponential, in its exact order of operations (this file must be
 * compiled without floating-point contraction):
 *
 *   e = (dx**2 + dy**2) / vars / (area + np.spacing(1)) / 2
 *
 * where dx is the detection's x minus the ground truth's for its visible
 * keypoints, or, when a ground truth has none visible, the distance outside
 * the box [x - w, x + 2w] (np.max((0, x0 - xd)) + np.max((0, xd - x1)), NaN
 * propagating as np.max does). The caller takes exp(-e), sums it as np.sum
 * does and divides by the number of terms.
 */
#include "iou/iou.h"

/* np.max((0, v)): numpy's maximum keeps the first operand unless the
 * second is greater, and propagates NaN. */
static double max0(double v)
{
    return 0.0 >= v ? 0.0 : v;
}

size_t maskeval_oks_n_terms(const double *gk, size_t k)
{
    size_t n = 0;
    for (size_t i = 0; i < k; i++) {
        n += gk[3 * i + 2] > 0;
    }
    return n > 0 ? n : k;
}

size_t maskeval_oks_terms(const double *gk, const double gbox[4], double garea, const double *dk,
                          const double *vars, size_t k, double *neg_e)
{
    const double eps = 2.220446049250313e-16; /* np.spacing(1) */
    const double a = garea + eps;
    size_t n = 0, visible = 0;

    for (size_t i = 0; i < k; i++) {
        visible += gk[3 * i + 2] > 0;
    }
    if (visible > 0) {
        for (size_t i = 0; i < k; i++) {
            if (gk[3 * i + 2] > 0) {
                const double dx = dk[3 * i] - gk[3 * i], dy = dk[3 * i + 1] - gk[3 * i + 1];
                neg_e[n++] = -((dx * dx + dy * dy) / vars[i] / a / 2);
            }
        }
        return n;
    }
    {
        const double x0 = gbox[0] - gbox[2], x1 = gbox[0] + gbox[2] * 2;
        const double y0 = gbox[1] - gbox[3], y1 = gbox[1] + gbox[3] * 2;
        for (size_t i = 0; i < k; i++) {
            const double xd = dk[3 * i], yd = dk[3 * i + 1];
            const double dx = max0(x0 - xd) + max0(xd - x1), dy = max0(y0 - yd) + max0(yd - y1);
            neg_e[n++] = -((dx * dx + dy * dy) / vars[i] / a / 2);
        }
    }
    return n;
}
