/*
 * json_elements.c - parallel element parsing with cJSON and per-thread
 * arenas.
 *
 * cJSON allocates every node and string separately; for a 500k-element
 * results file that is millions of malloc/free pairs. cJSON's allocation
 * hooks are process-wide, so maskeval installs hooks once that bump-allocate
 * from the calling thread's arena while it parses an element and fall back to
 * malloc/free otherwise (other cJSON users in the process see plain malloc).
 * An arena is reset after each element, whose tree is deleted before that.
 */
#include "io/json_elements.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/threadpool.h"

#define ARENA_BLOCK ((size_t)256 * 1024)

typedef struct arena {
    const maskeval_alloc *a;
    char *block;
    size_t used;
    void **big; /* allocations that did not fit the block */
    size_t nbig, capbig;
    int failed;
} arena;

static pthread_once_t hooks_once = PTHREAD_ONCE_INIT;
static void install_hooks(void);

static _Thread_local arena *current;
/* Outside arenas, the allocator of the maskeval call running on this thread. */
static _Thread_local const maskeval_alloc *scope;
static _Thread_local int scope_failed;

static void *hook_malloc(size_t n)
{
    arena *ar = current;
    if (ar == NULL) {
        void *p = scope != NULL ? scope->malloc_fn(n) : malloc(n);
        scope_failed |= p == NULL;
        return p;
    }
    n = (n + 15) & ~(size_t)15;
    if (ar->block != NULL && ar->used + n <= ARENA_BLOCK) {
        void *p = ar->block + ar->used;
        ar->used += n;
        return p;
    }
    if (ar->nbig == ar->capbig) {
        void *q = ar->big;
        if (maskeval_grow(ar->a, &q, &ar->capbig, ar->nbig + 1, sizeof(void *)) != MASKEVAL_OK) {
            ar->failed = 1;
            return NULL;
        }
        ar->big = q;
    }
    ar->big[ar->nbig] = maskeval_malloc(ar->a, n);
    if (ar->big[ar->nbig] == NULL) {
        ar->failed = 1;
        return NULL;
    }
    return ar->big[ar->nbig++];
}

static void hook_free(void *p)
{
    /* Inside an arena everything is released by arena_reset. */
    if (current == NULL) {
        if (scope != NULL) {
            if (p != NULL) {
                scope->free_fn(p);
            }
        } else {
            free(p);
        }
    }
}

void maskeval_json_scope_enter(const maskeval_alloc *a)
{
    pthread_once(&hooks_once, install_hooks);
    scope = a;
}

void maskeval_json_scope_leave(void)
{
    scope = NULL;
}

static void install_hooks(void)
{
    cJSON_Hooks h;
    h.malloc_fn = hook_malloc;
    h.free_fn = hook_free;
    cJSON_InitHooks(&h);
}

static void arena_reset(arena *ar)
{
    for (size_t i = 0; i < ar->nbig; i++) {
        maskeval_free(ar->a, ar->big[i]);
    }
    ar->nbig = 0;
    ar->used = 0;
    ar->failed = 0;
}

static void arena_release(arena *ar)
{
    arena_reset(ar);
    maskeval_free(ar->a, ar->big);
    maskeval_free(ar->a, ar->block);
    memset(ar, 0, sizeof(*ar));
}

maskeval_status maskeval_json_parse_span(maskeval_ctx *ctx, const char *name, const char *buf,
                                         size_t len, maskeval_json_span span, cJSON **root)
{
    const char *end = NULL;
    scope_failed = 0;
    *root = cJSON_ParseWithLengthOpts(buf + span.off, span.len, &end, 0);
    if (*root == NULL) {
        size_t off = (end != NULL && end >= buf) ? (size_t)(end - buf) : span.off;
        if ((current != NULL && current->failed) || scope_failed) {
            return maskeval_nomem(ctx, "parsing JSON");
        }
        /* cJSON stops at the end of the span when the element is cut short */
        return maskeval_json_syntax_error(ctx, name, buf, len, off >= span.off + span.len ? len : off,
                                          NULL);
    }
    return MASKEVAL_OK;
}

maskeval_status maskeval_elements_plan(maskeval_ctx *ctx, maskeval_elements *e)
{
    size_t t = (size_t)ctx->threads * 4;
    if (t > e->n) {
        t = e->n;
    }
    if (t == 0) {
        t = 1;
    }
    e->ntasks = t;
    e->first = maskeval_calloc(&ctx->alloc, t + 1, sizeof(size_t));
    if (e->first == NULL) {
        return maskeval_nomem(ctx, "planning the parse");
    }
    for (size_t k = 0; k <= t; k++) {
        e->first[k] = (size_t)((unsigned long long)e->n * k / t);
    }
    return MASKEVAL_OK;
}

void maskeval_elements_free(maskeval_ctx *ctx, maskeval_elements *e)
{
    maskeval_free(&ctx->alloc, e->first);
    e->first = NULL;
}

typedef struct parse_job {
    maskeval_ctx *ctx;
    maskeval_elements *e;
    maskeval_element_fn fn;
    void *arg;
} parse_job;

static maskeval_status parse_task(void *argp, size_t t, int worker, char *err, size_t errcap)
{
    parse_job *job = argp;
    maskeval_elements *e = job->e;
    maskeval_ctx w;
    arena ar;
    maskeval_status st = MASKEVAL_OK;
    (void)worker;

    maskeval_ctx_worker(job->ctx, &w);
    memset(&ar, 0, sizeof(ar));
    ar.a = &job->ctx->alloc;
    ar.block = maskeval_malloc(ar.a, ARENA_BLOCK);
    if (ar.block == NULL) {
        snprintf(err, errcap, "out of memory while parsing %s", e->name);
        return MASKEVAL_ERR_NOMEM;
    }
    for (size_t i = e->first[t]; i < e->first[t + 1] && st == MASKEVAL_OK; i++) {
        cJSON *item = NULL;
        current = &ar;
        st = maskeval_json_parse_span(&w, e->name, e->buf, e->len, e->spans[i], &item);
        if (st == MASKEVAL_OK) {
            st = job->fn(job->arg, &w, t, i, item, e->buf + e->spans[i].off, e->spans[i].len);
        }
        cJSON_Delete(item);
        current = NULL;
        arena_reset(&ar);
    }
    arena_release(&ar);
    if (st != MASKEVAL_OK) {
        snprintf(err, errcap, "%s", w.errmsg);
    }
    return st;
}

maskeval_status maskeval_elements_parse(maskeval_ctx *ctx, maskeval_elements *e,
                                        maskeval_element_fn fn, void *arg)
{
    parse_job job = {ctx, e, fn, arg};
    pthread_once(&hooks_once, install_hooks);
    return maskeval_parallel_for(ctx, e->ntasks, parse_task, &job);
}
