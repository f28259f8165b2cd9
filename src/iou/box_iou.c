/*
 * box_iou.c - pycocotools' bbIou in its exact order of operations (this file
 * must be compiled without floating-point contraction).
 */
#include <math.h>

#include "maskeval.h"

double maskeval_box_iou(const double dt[4], const double gt[4], int gt_crowd)
{
    double ga = gt[2] * gt[3], da = dt[2] * dt[3], w, h, i, u;
    w = fmin(dt[2] + dt[0], gt[2] + gt[0]) - fmax(dt[0], gt[0]);
    if (w <= 0) {
        return 0.0;
    }
    h = fmin(dt[3] + dt[1], gt[3] + gt[1]) - fmax(dt[1], gt[1]);
    if (h <= 0) {
        return 0.0;
    }
    i = w * h;
    u = gt_crowd ? da : da + ga - i;
    return i / u;
}
