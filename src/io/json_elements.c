/*
 * json_elements.c - parallel element parsing into per-thread arenas.
 *
 * Every element of a large array is parsed on its own by the strict parser
 * of json_fast.c into the task's arena, handed to the callback, and dropped
 * by resetting the arena, so no tree of the whole file ever exists and no
 * allocation is made per node.
 */
#include "io/json_elements.h"

#include <stdio.h>
#include <string.h>

#include "core/threadpool.h"

static maskeval_status parse(maskeval_ctx *ctx, const char *name, int is_element,
                             const char *array_key, size_t index, const char *buf, size_t len,
                             maskeval_json_span span, maskeval_json_arena *ar, cJSON **root);

maskeval_status maskeval_json_parse_span(maskeval_ctx *ctx, const char *name, const char *buf,
                                         size_t len, maskeval_json_span span,
                                         maskeval_json_arena *ar, cJSON **root)
{
    return parse(ctx, name, 0, NULL, 0, buf, len, span, ar, root);
}

maskeval_status maskeval_json_parse_element(maskeval_ctx *ctx, const char *name,
                                            const char *array_key, size_t index,
                                            const char *buf, size_t len, maskeval_json_span span,
                                            maskeval_json_arena *ar, cJSON **root)
{
    return parse(ctx, name, 1, array_key, index, buf, len, span, ar, root);
}

static maskeval_status parse(maskeval_ctx *ctx, const char *name, int is_element,
                             const char *array_key, size_t index, const char *buf, size_t len,
                             maskeval_json_span span, maskeval_json_arena *ar, cJSON **root)
{
    size_t err = 0;
    maskeval_json_fast_err e = maskeval_json_fast_parse(ar, buf + span.off, span.len, root, &err);
    switch (e) {
    case MASKEVAL_JSON_FAST_OK:
        return MASKEVAL_OK;
    case MASKEVAL_JSON_FAST_NOMEM:
        return maskeval_nomem(ctx, "parsing JSON");
    case MASKEVAL_JSON_FAST_DEPTH:
        return maskeval_json_syntax_error(ctx, name, buf, len, span.off + err,
                                          "nesting deeper than 1000 levels");
    case MASKEVAL_JSON_FAST_UTF8: {
        char what[64];
        snprintf(what, sizeof(what), "invalid UTF-8 in a string (byte 0x%02x)",
                 (unsigned)(unsigned char)buf[span.off + err]);
        return maskeval_json_syntax_error(ctx, name, buf, len, span.off + err, what);
    }
    default:
        break;
    }
    if (err < span.len) {
        /* Python's json.dump writes these for non-finite floats (and
         * json.load reads them back), but they are not JSON */
        const char *at = buf + span.off + err, *tok = NULL;
        size_t left = len - (span.off + err);
        if (left >= 3 && memcmp(at, "NaN", 3) == 0) {
            tok = "NaN";
        } else if (left >= 8 && memcmp(at, "Infinity", 8) == 0) {
            tok = err > 0 && at[-1] == '-' ? "-Infinity" : "Infinity";
        }
        if (tok != NULL) {
            char where[256], element[96];
            if (is_element && array_key != NULL) {
                snprintf(element, sizeof(element), "%.60s[%zu]", array_key, index);
            } else if (is_element) {
                snprintf(element, sizeof(element), "result %zu", index);
            }
            maskeval_json_path_at(buf, len, span.off, span.off + err,
                                  is_element ? element : NULL, where, sizeof(where));
            return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                                 "%s: %s is %s, which is not valid JSON (Python's json.dump "
                                 "writes it for float('%s')); write finite numbers",
                                 name, where[0] != '\0' ? where : "the top-level value", tok,
                                 tok[0] == 'N' ? "nan" : tok[0] == '-' ? "-inf" : "inf");
        }
    }
    /* an element cut short by the end of the span: say where it began */
    return maskeval_json_syntax_error(ctx, name, buf, len,
                                      err >= span.len ? span.off + span.len : span.off + err, NULL);
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
    maskeval_json_arena ar;
    maskeval_status st = MASKEVAL_OK;
    (void)worker;

    maskeval_ctx_worker(job->ctx, &w);
    maskeval_json_arena_init(&ar, &job->ctx->alloc);
    for (size_t i = e->first[t]; i < e->first[t + 1] && st == MASKEVAL_OK; i++) {
        cJSON *item = NULL;
        st = maskeval_json_parse_element(&w, e->name, e->array_key, i, e->buf, e->len,
                                         e->spans[i], &ar, &item);
        if (st == MASKEVAL_OK) {
            st = job->fn(job->arg, &w, t, i, item, e->buf + e->spans[i].off, e->spans[i].len);
        }
        maskeval_json_arena_reset(&ar);
    }
    maskeval_json_arena_release(&ar);
    if (st != MASKEVAL_OK) {
        snprintf(err, errcap, "%s", w.errmsg);
    }
    return st;
}

maskeval_status maskeval_elements_parse(maskeval_ctx *ctx, maskeval_elements *e,
                                        maskeval_element_fn fn, void *arg)
{
    parse_job job = {ctx, e, fn, arg};
    return maskeval_parallel_for(ctx, e->ntasks, parse_task, &job);
}
