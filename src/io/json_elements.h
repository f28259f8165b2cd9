/*
 * json_elements.h - parsing the elements of a large JSON array in parallel:
 * each element is parsed on its own (json_fast.c, into a per-thread arena),
 * handed to a callback and dropped, so no tree of the whole file ever exists.
 */
#ifndef MASKEVAL_IO_JSON_ELEMENTS_H
#define MASKEVAL_IO_JSON_ELEMENTS_H

#include <cjson/cJSON.h>

#include "core/ctx.h"
#include "io/json_fast.h"
#include "io/json_scan.h"

/*
 * Called for element `index` (parsed as item) by task `task` with a worker
 * context wctx (own error buffer). slot/slot_cap is the element's own text,
 * which the callback may overwrite (the tree does not point into it).
 */
typedef maskeval_status (*maskeval_element_fn)(void *arg, maskeval_ctx *wctx, size_t task,
                                               size_t index, const cJSON *item, char *slot,
                                               size_t slot_cap);

typedef struct maskeval_elements {
    const char *name;
    /* how messages name element i: "<array_key>[i]", or "result i" when
     * NULL (the top-level results array) */
    const char *array_key;
    char *buf;
    size_t len;
    const maskeval_json_span *spans;
    size_t n;
    size_t ntasks;
    size_t *first; /* [ntasks + 1]: task t handles elements first[t] .. first[t+1]-1 */
} maskeval_elements;

/* Splits n elements into tasks (deterministic for given n and threads). */
maskeval_status maskeval_elements_plan(maskeval_ctx *ctx, maskeval_elements *e);
void maskeval_elements_free(maskeval_ctx *ctx, maskeval_elements *e);
/* Parses every element and calls fn; the first failing element (by index)
 * decides the error. */
maskeval_status maskeval_elements_parse(maskeval_ctx *ctx, maskeval_elements *e,
                                        maskeval_element_fn fn, void *arg);

/* Parses one span of buf into ar (errors located in the whole file). The
 * tree lives until the arena is reset; never cJSON_Delete it. */
maskeval_status maskeval_json_parse_span(maskeval_ctx *ctx, const char *name, const char *buf,
                                         size_t len, maskeval_json_span span,
                                         maskeval_json_arena *ar, cJSON **root);

/* maskeval_json_parse_span for element `index` of an array: errors inside
 * it name it as maskeval_elements.array_key does and read no text outside
 * the span (other threads may be rewriting it). */
maskeval_status maskeval_json_parse_element(maskeval_ctx *ctx, const char *name,
                                            const char *array_key, size_t index,
                                            const char *buf, size_t len, maskeval_json_span span,
                                            maskeval_json_arena *ar, cJSON **root);

#endif
