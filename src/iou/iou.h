/*
 * iou.h - pycocotools' IoU arithmetic: boxes (bbIou) and masks from integer
 * pixel counts (rleIou's final division).
 */
#ifndef MASKEVAL_IOU_IOU_H
#define MASKEVAL_IOU_IOU_H

#include <stddef.h>
#include <stdint.h>

/*
 * IoU of masks from their intersection and areas: 0 when they do not
 * intersect, intersection / detection area against a crowd, else
 * intersection / union, each one correctly rounded double division.
 */
static inline double maskeval_iou_from_counts(uint64_t inter, uint32_t dt_area, uint32_t gt_area,
                                              int gt_crowd)
{
    uint64_t u;
    if (inter == 0) {
        return 0.0;
    }
    u = gt_crowd ? (uint64_t)dt_area : (uint64_t)dt_area + gt_area - inter;
    return (double)inter / (double)u;
}

/*
 * pycocotools' computeOks before its exponential, for one ground truth
 * (keypoints gk[3k], box gbox, JSON area) and one detection (dk[3k]), with
 * vars[i] = (2 sigma_i)^2: writes -e_i for the keypoints the ground truth
 * has visible (v > 0), or for all k against the box enlarged twice its size
 * when none is, in keypoint order, and returns how many it wrote (oks.c;
 * compiled without floating-point contraction).
 */
size_t maskeval_oks_terms(const double *gk, const double gbox[4], double garea, const double *dk,
                          const double *vars, size_t k, double *neg_e);

/* Visible keypoints of a ground truth (v > 0), or k when none is: the
 * number of terms maskeval_oks_terms writes. */
size_t maskeval_oks_n_terms(const double *gk, size_t k);

#endif
