/*
 * json_fast.h - a strict JSON parser (RFC 8259) that builds cJSON nodes in
 * an arena, for the elements of large COCO files.
 *
 * Why not cJSON's own parser there: cJSON calls localeconv() for every
 * number, and glibc's localeconv() rewrites one process-wide struct on each
 * call, so parsing threads contend for it; measured on a 16-core machine,
 * 2M calls per thread took 0.035 s on one thread and 4.8 s on sixteen, and
 * parsing the results stopped scaling beyond two threads. This parser reads
 * numbers with strtod_l in the "C" locale (correctly rounded, like Python's
 * float()), writes the same cJSON node layout, so the rest of maskeval reads
 * trees from either parser alike, and never calls cJSON's allocator: trees
 * live in the arena and are dropped by resetting it (no cJSON_Delete).
 */
#ifndef MASKEVAL_IO_JSON_FAST_H
#define MASKEVAL_IO_JSON_FAST_H

#include <cjson/cJSON.h>

#include "core/ctx.h"

typedef struct maskeval_json_arena {
    const maskeval_alloc *a;
    char *block;
    size_t used, cap;
    void **big; /* allocations larger than what is left in the block */
    size_t nbig, capbig;
} maskeval_json_arena;

void maskeval_json_arena_init(maskeval_json_arena *ar, const maskeval_alloc *a);
/* Frees everything allocated since init or the last reset; keeps the block. */
void maskeval_json_arena_reset(maskeval_json_arena *ar);
void maskeval_json_arena_release(maskeval_json_arena *ar);

typedef enum maskeval_json_fast_err {
    MASKEVAL_JSON_FAST_OK = 0,
    MASKEVAL_JSON_FAST_SYNTAX, /* *err_off: the offending byte */
    MASKEVAL_JSON_FAST_DEPTH,  /* nesting deeper than 1000 */
    MASKEVAL_JSON_FAST_UTF8,   /* *err_off: the first byte of an invalid UTF-8 sequence */
    MASKEVAL_JSON_FAST_NOMEM
} maskeval_json_fast_err;

/* Parses exactly one value spanning text[0..len) (surrounding whitespace
 * allowed). */
maskeval_json_fast_err maskeval_json_fast_parse(maskeval_json_arena *ar, const char *text,
                                                size_t len, cJSON **root, size_t *err_off);

/* Decodes the JSON string token text[0..len) (quotes included) into the
 * arena: *out (NUL-terminated) and its length *out_len, which counts any
 * U+0000 inside. */
maskeval_json_fast_err maskeval_json_fast_string(maskeval_json_arena *ar, const char *text,
                                                 size_t len, const char **out, size_t *out_len,
                                                 size_t *err_off);

/* Correctly rounded decimal-to-double, as Python's float() and strtod in
 * the "C" locale: the fast path for JSON number text s[0..len) (valid RFC
 * 8259 syntax) returns 1 and sets *out, or returns 0 where it cannot be sure,
 * and then maskeval_json_strtod (NUL-terminated text) decides. */
int maskeval_json_number_fast(const char *s, size_t len, double *out);
double maskeval_json_strtod(const char *s, char **end);

#endif
