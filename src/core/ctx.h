/*
 * ctx.h - the context internals shared by every module: the allocator,
 * the error-message setter, logging and overflow-checked size arithmetic.
 */
#ifndef MASKEVAL_CORE_CTX_H
#define MASKEVAL_CORE_CTX_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "maskeval.h"

#define MASKEVAL_ERRMSG_CAP 4096

/* The allocator a context (and every object made from it) uses. */
typedef struct maskeval_alloc {
    void *(*malloc_fn)(size_t);
    void *(*realloc_fn)(void *, size_t);
    void (*free_fn)(void *);
} maskeval_alloc;

struct maskeval_backend_state;

struct maskeval_ctx {
    maskeval_options opts;
    maskeval_alloc alloc;
    int threads;                      /* resolved worker count, >= 1 */
    char errmsg[MASKEVAL_ERRMSG_CAP];
    char *cl_build_log;               /* owned, NULL when empty */
    struct maskeval_backend_state *backend; /* opened lazily by maskeval_backend_get() */
    struct maskeval_backend_warm *warm;     /* backend being opened in the background */
    const char *stage;                /* label for progress reports */
    double stage_lo, stage_hi;        /* the part of the stage the next loops cover */
};

/* Names the stage that the following parallel loops report progress for:
 * they cover the part [lo, hi] of it (a stage made of several loops, or of
 * chunks, reports one fraction that only grows). Reports the start at once,
 * so a stage whose first step is serial is named while it runs. */
void maskeval_progress_window(maskeval_ctx *ctx, const char *stage, double lo, double hi);
static inline void maskeval_progress_stage(maskeval_ctx *ctx, const char *stage)
{
    maskeval_progress_window(ctx, stage, 0.0, 1.0);
}
/* Reports a fraction in [0, 1] of the current window (calling thread only). */
void maskeval_progress_report(const maskeval_ctx *ctx, double fraction);

void *maskeval_malloc(const maskeval_alloc *a, size_t n);
void *maskeval_calloc(const maskeval_alloc *a, size_t count, size_t size);
void *maskeval_realloc(const maskeval_alloc *a, void *p, size_t n);
/* Grows an array of elem-sized items to hold at least need items (amortised doubling). */
maskeval_status maskeval_grow(const maskeval_alloc *a, void **p, size_t *cap, size_t need,
                              size_t elem);
void maskeval_free(const maskeval_alloc *a, void *p);

/* Records a failure on ctx (printf-style, truncated to the buffer) and returns st. */
maskeval_status maskeval_fail(maskeval_ctx *ctx, maskeval_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
maskeval_status maskeval_vfail(maskeval_ctx *ctx, maskeval_status st, const char *fmt,
                               va_list ap)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 0)))
#endif
    ;
/* Shorthand for an allocation failure while doing `what`. */
maskeval_status maskeval_nomem(maskeval_ctx *ctx, const char *what);

/* A context for a worker thread: ctx's options and allocator, its own
 * (empty) error buffer, no backend and no build log. */
void maskeval_ctx_worker(const maskeval_ctx *ctx, maskeval_ctx *w);

/* Takes back what worker context w produced: its message when st failed,
 * its OpenCL build log, and the backend it opened when ctx has none (w may
 * have been given ctx->backend to share). w holds neither afterwards. */
void maskeval_ctx_adopt(maskeval_ctx *ctx, maskeval_ctx *w, maskeval_status st);

/* Passes a message to the caller's log_fn (if any). */
void maskeval_log(maskeval_ctx *ctx, int level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Replaces the stored OpenCL build log (copied; NULL clears it). */
void maskeval_set_build_log(maskeval_ctx *ctx, const char *log);

/* a*b without overflow; returns 0 and leaves *out unchanged on overflow. */
static inline int maskeval_mul_ok(size_t a, size_t b, size_t *out)
{
    if (a != 0 && b > SIZE_MAX / a) {
        return 0;
    }
    *out = a * b;
    return 1;
}

/* Monotonic wall clock in seconds. */
double maskeval_now(void);

/* A growable uint32 array (scratch buffers for masks). */
typedef struct maskeval_u32vec {
    uint32_t *v;
    size_t n, cap;
} maskeval_u32vec;

static inline maskeval_status maskeval_u32vec_reserve(const maskeval_alloc *a,
                                                      maskeval_u32vec *vec, size_t need)
{
    void *p = vec->v;
    maskeval_status st;
    if (need <= vec->cap) {
        return MASKEVAL_OK; /* the common case, without a call */
    }
    st = maskeval_grow(a, &p, &vec->cap, need, sizeof(uint32_t));
    vec->v = p;
    return st;
}

static inline void maskeval_u32vec_free(const maskeval_alloc *a, maskeval_u32vec *vec)
{
    maskeval_free(a, vec->v);
    vec->v = NULL;
    vec->n = vec->cap = 0;
}

#endif
