/*
 * backend.h - where the heavy, data-parallel stages run: the CPU path or
 * OpenCL. Both produce identical integer counts; every division and
 * threshold comparison stays on the host in double.
 */
#ifndef MASKEVAL_BACKEND_BACKEND_H
#define MASKEVAL_BACKEND_BACKEND_H

#include "core/ctx.h"

struct maskeval_plan;

typedef struct maskeval_backend_state maskeval_backend_state;

typedef struct maskeval_backend_ops {
    const char *name;
    /* Fills plan->ious (pycocotools' IoU matrices of every cell). */
    maskeval_status (*plan_ious)(maskeval_ctx *ctx, maskeval_backend_state *be,
                                 struct maskeval_plan *plan);
    void (*close)(maskeval_ctx *ctx, maskeval_backend_state *be);
} maskeval_backend_ops;

struct maskeval_backend_state {
    const maskeval_backend_ops *ops;
    void *impl;
    char desc[320];
};

/* The context's backend, opened on first use according to its options. */
maskeval_status maskeval_backend_get(maskeval_ctx *ctx, maskeval_backend_state **out);
void maskeval_backend_close(maskeval_ctx *ctx);

/* The CPU implementation of each stage (also used by OpenCL where the device
 * does not help, e.g. bbox IoU). */
maskeval_status maskeval_cpu_plan_ious(maskeval_ctx *ctx, struct maskeval_plan *plan);

extern const maskeval_backend_ops maskeval_backend_cpu_ops;

#endif
