/*
 * context.c - the public context lifecycle: options, create, destroy. The
 * one place that closes a context's backend, so that core/ never depends on
 * backend/.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/backend.h"
#include "core/ctx.h"

void maskeval_options_init(maskeval_options *opts)
{
    if (opts == NULL) {
        return;
    }
    memset(opts, 0, sizeof(*opts));
    opts->struct_size = sizeof(*opts);
    opts->backend = MASKEVAL_BACKEND_AUTO;
    opts->device_index = -1;
}

static const maskeval_alloc default_alloc = {malloc, realloc, free};

maskeval_status maskeval_ctx_create(const maskeval_options *opts, maskeval_ctx **out)
{
    maskeval_options o;
    maskeval_ctx *ctx;
    maskeval_alloc alloc = default_alloc;

    if (out == NULL) {
        return MASKEVAL_ERR_INVALID_ARG;
    }
    *out = NULL;
    maskeval_options_init(&o);
    if (opts != NULL) {
        /* Copy only the prefix the caller's struct has (older callers). */
        size_t n = opts->struct_size;
        if (n == 0 || n > sizeof(o)) {
            n = sizeof(o);
        }
        memcpy(&o, opts, n);
        o.struct_size = sizeof(o);
    }
    if (o.malloc_fn != NULL || o.realloc_fn != NULL || o.free_fn != NULL) {
        if (o.malloc_fn == NULL || o.realloc_fn == NULL || o.free_fn == NULL) {
            return MASKEVAL_ERR_INVALID_ARG;
        }
        alloc.malloc_fn = o.malloc_fn;
        alloc.realloc_fn = o.realloc_fn;
        alloc.free_fn = o.free_fn;
    }
    ctx = alloc.malloc_fn(sizeof(*ctx));
    if (ctx == NULL) {
        return MASKEVAL_ERR_NOMEM;
    }
    memset(ctx, 0, sizeof(*ctx));
    ctx->opts = o;
    ctx->alloc = alloc;
    ctx->stage_hi = 1.0;
    *out = ctx;

    if (o.backend != MASKEVAL_BACKEND_AUTO && o.backend != MASKEVAL_BACKEND_CPU &&
        o.backend != MASKEVAL_BACKEND_OPENCL) {
        return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG, "unknown backend %d",
                             (int)o.backend);
    }
    if (o.threads < 0) {
        return maskeval_fail(ctx, MASKEVAL_ERR_INVALID_ARG, "threads must be >= 0 (got %d)",
                             o.threads);
    }
    if (o.threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        ctx->threads = n > 0 ? (int)(n < 256 ? n : 256) : 1;
    } else {
        ctx->threads = o.threads;
    }
    return MASKEVAL_OK;
}

void maskeval_ctx_destroy(maskeval_ctx *ctx)
{
    if (ctx == NULL) {
        return;
    }
    maskeval_backend_close(ctx);
    maskeval_free(&ctx->alloc, ctx->cl_build_log);
    ctx->alloc.free_fn(ctx);
}

