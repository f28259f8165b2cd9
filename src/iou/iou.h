/*
 * iou.h - pycocotools' IoU arithmetic: boxes (bbIou) and masks from integer
 * pixel counts (rleIou's final division).
 */
#ifndef MASKEVAL_IOU_IOU_H
#define MASKEVAL_IOU_IOU_H

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

#endif
