/*
 * ctx.c - context internals every module uses: the per-context allocator,
 * the error message buffer, worker contexts and logging. The public
 * lifecycle (create, destroy) is in src/context.c.
 */
#include "core/ctx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>


void maskeval_ctx_worker(const maskeval_ctx *ctx, maskeval_ctx *w)
{
    w->opts = ctx->opts;
    w->alloc = ctx->alloc;
    w->threads = ctx->threads;
    w->errmsg[0] = '\0';
    w->cl_build_log = NULL;
    w->backend = NULL;
    w->warm = NULL;
    w->stage = NULL;
    w->stage_lo = 0.0;
    w->stage_hi = 1.0;
    w->opts.progress_fn = NULL; /* progress is reported by the calling thread only */
}

void maskeval_progress_window(maskeval_ctx *ctx, const char *stage, double lo, double hi)
{
    ctx->stage = stage;
    ctx->stage_lo = lo;
    ctx->stage_hi = hi;
    maskeval_progress_report(ctx, 0.0);
}

void maskeval_progress_report(const maskeval_ctx *ctx, double fraction)
{
    if (ctx->opts.progress_fn != NULL) {
        ctx->opts.progress_fn(ctx->opts.progress_user, ctx->stage != NULL ? ctx->stage : "working",
                              ctx->stage_lo + (ctx->stage_hi - ctx->stage_lo) * fraction);
    }
}

void maskeval_ctx_adopt(maskeval_ctx *ctx, maskeval_ctx *w, maskeval_status st)
{
    if (st != MASKEVAL_OK && w->errmsg[0] != '\0') {
        memcpy(ctx->errmsg, w->errmsg, sizeof(ctx->errmsg));
    }
    if (w->cl_build_log != NULL && w->cl_build_log != ctx->cl_build_log) {
        maskeval_free(&ctx->alloc, ctx->cl_build_log);
        ctx->cl_build_log = w->cl_build_log;
    }
    w->cl_build_log = NULL;
    if (ctx->backend == NULL) {
        ctx->backend = w->backend;
    }
    w->backend = NULL;
}

const char *maskeval_errmsg(const maskeval_ctx *ctx)
{
    return ctx != NULL ? ctx->errmsg : "no context (out of memory?)";
}

const char *maskeval_cl_build_log(const maskeval_ctx *ctx)
{
    return (ctx != NULL && ctx->cl_build_log != NULL) ? ctx->cl_build_log : "";
}

void maskeval_set_build_log(maskeval_ctx *ctx, const char *log)
{
    size_t n;
    maskeval_free(&ctx->alloc, ctx->cl_build_log);
    ctx->cl_build_log = NULL;
    if (log == NULL) {
        return;
    }
    n = strlen(log);
    ctx->cl_build_log = maskeval_malloc(&ctx->alloc, n + 1);
    if (ctx->cl_build_log != NULL) {
        memcpy(ctx->cl_build_log, log, n + 1);
    }
}

void *maskeval_malloc(const maskeval_alloc *a, size_t n)
{
    return a->malloc_fn(n == 0 ? 1 : n);
}

void *maskeval_calloc(const maskeval_alloc *a, size_t count, size_t size)
{
    size_t n;
    void *p;
    if (!maskeval_mul_ok(count, size, &n)) {
        return NULL;
    }
    p = maskeval_malloc(a, n);
    if (p != NULL) {
        memset(p, 0, n);
    }
    return p;
}

void *maskeval_realloc(const maskeval_alloc *a, void *p, size_t n)
{
    return a->realloc_fn(p, n == 0 ? 1 : n);
}

maskeval_status maskeval_grow(const maskeval_alloc *a, void **p, size_t *cap, size_t need,
                              size_t elem)
{
    size_t ncap = *cap, bytes;
    void *np;
    if (need <= *cap) {
        return MASKEVAL_OK;
    }
    if (ncap < 16) {
        ncap = 16;
    }
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2) {
            ncap = need;
            break;
        }
        ncap *= 2;
    }
    if (!maskeval_mul_ok(ncap, elem, &bytes)) {
        return MASKEVAL_ERR_NOMEM;
    }
    np = maskeval_realloc(a, *p, bytes);
    if (np == NULL) {
        return MASKEVAL_ERR_NOMEM;
    }
    *p = np;
    *cap = ncap;
    return MASKEVAL_OK;
}

void maskeval_free(const maskeval_alloc *a, void *p)
{
    if (p != NULL) {
        a->free_fn(p);
    }
}

maskeval_status maskeval_vfail(maskeval_ctx *ctx, maskeval_status st, const char *fmt,
                               va_list ap)
{
    if (ctx != NULL) {
        vsnprintf(ctx->errmsg, sizeof(ctx->errmsg), fmt, ap);
    }
    return st;
}

maskeval_status maskeval_fail(maskeval_ctx *ctx, maskeval_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    maskeval_vfail(ctx, st, fmt, ap);
    va_end(ap);
    return st;
}

maskeval_status maskeval_nomem(maskeval_ctx *ctx, const char *what)
{
    return maskeval_fail(ctx, MASKEVAL_ERR_NOMEM, "out of memory while %s", what);
}

void maskeval_log(maskeval_ctx *ctx, int level, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    if (ctx == NULL || ctx->opts.log_fn == NULL) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    ctx->opts.log_fn(ctx->opts.log_user, level, buf);
}

double maskeval_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
