/*
 * backend.c - choosing and opening the backend a context uses.
 */
#include "backend/backend.h"

#include <stdio.h>
#include <string.h>

#include "eval/eval.h"

maskeval_status maskeval_backend_get(maskeval_ctx *ctx, maskeval_backend_state **out)
{
    maskeval_backend_state *be = NULL;
    if (ctx->backend != NULL) {
        *out = ctx->backend;
        return MASKEVAL_OK;
    }
    if (ctx->opts.backend == MASKEVAL_BACKEND_OPENCL) {
        return maskeval_fail(ctx, MASKEVAL_ERR_UNSUPPORTED,
                             "this build of maskeval has no OpenCL backend yet");
    }
    be = maskeval_calloc(&ctx->alloc, 1, sizeof(*be));
    if (be == NULL) {
        return maskeval_nomem(ctx, "opening the backend");
    }
    be->ops = &maskeval_backend_cpu_ops;
    snprintf(be->desc, sizeof(be->desc), "cpu (%d threads)", ctx->threads);
    ctx->backend = be;
    *out = be;
    return MASKEVAL_OK;
}

void maskeval_backend_close(maskeval_ctx *ctx)
{
    if (ctx->backend == NULL) {
        return;
    }
    if (ctx->backend->ops->close != NULL) {
        ctx->backend->ops->close(ctx, ctx->backend);
    }
    maskeval_free(&ctx->alloc, ctx->backend);
    ctx->backend = NULL;
}

maskeval_status maskeval_backend_describe(maskeval_ctx *ctx, char *buf, size_t cap)
{
    maskeval_backend_state *be = NULL;
    maskeval_status st;
    if (ctx == NULL || buf == NULL || cap == 0) {
        return MASKEVAL_ERR_INVALID_ARG;
    }
    st = maskeval_backend_get(ctx, &be);
    if (st != MASKEVAL_OK) {
        return st;
    }
    snprintf(buf, cap, "%s", be->desc);
    return MASKEVAL_OK;
}

maskeval_status maskeval_device_list(maskeval_ctx *ctx, maskeval_device_info *info, size_t cap,
                                     size_t *count)
{
    (void)info;
    (void)cap;
    if (ctx == NULL || count == NULL) {
        return MASKEVAL_ERR_INVALID_ARG;
    }
    *count = 0;
    return MASKEVAL_OK;
}

maskeval_status maskeval_plan_ious(maskeval_ctx *ctx, maskeval_plan *plan)
{
    maskeval_backend_state *be = NULL;
    maskeval_status st = maskeval_backend_get(ctx, &be);
    if (st != MASKEVAL_OK) {
        return st;
    }
    plan->ious = maskeval_calloc(&ctx->alloc, plan->n_ious, sizeof(double));
    if (plan->ious == NULL) {
        return maskeval_nomem(ctx, "allocating IoU matrices");
    }
    return be->ops->plan_ious(ctx, be, plan);
}
