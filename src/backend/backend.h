/*
 * backend.h - where the heavy, data-parallel stages run: the CPU path or
 * OpenCL. Both produce identical integer counts; every division and
 * threshold comparison stays on the host in double.
 */
#ifndef MASKEVAL_BACKEND_BACKEND_H
#define MASKEVAL_BACKEND_BACKEND_H

#include "core/ctx.h"

struct maskeval_plan;
struct maskeval_cm;
struct maskeval_labels;

typedef struct maskeval_backend_state maskeval_backend_state;

typedef struct maskeval_backend_ops {
    const char *name;
    /* Fills plan->ious (pycocotools' IoU matrices of every cell). */
    maskeval_status (*plan_ious)(maskeval_ctx *ctx, maskeval_backend_state *be,
                                 struct maskeval_plan *plan);
    /* Adds the confusion counts of label-map pairs (same label width and
     * lookup tables) to cm. */
    maskeval_status (*confusion)(maskeval_ctx *ctx, maskeval_backend_state *be,
                                 struct maskeval_cm *cm, const struct maskeval_labels *items,
                                 size_t n_items);
    void (*close)(maskeval_ctx *ctx, maskeval_backend_state *be);
} maskeval_backend_ops;

struct maskeval_backend_state {
    const maskeval_backend_ops *ops;
    void *impl;
    char desc[640];
};

/* The context's backend, opened on first use according to its options. */
maskeval_status maskeval_backend_get(maskeval_ctx *ctx, maskeval_backend_state **out);
void maskeval_backend_close(maskeval_ctx *ctx);

/* Confusion counts with the context's backend. */
maskeval_status maskeval_backend_confusion(maskeval_ctx *ctx, struct maskeval_cm *cm,
                                           const struct maskeval_labels *items, size_t n_items);

/* The CPU implementation of each stage (also used by OpenCL where the device
 * does not help, e.g. bbox IoU). */
maskeval_status maskeval_cpu_plan_ious(maskeval_ctx *ctx, struct maskeval_plan *plan);

extern const maskeval_backend_ops maskeval_backend_cpu_ops;

#endif
