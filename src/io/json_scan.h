/*
 * json_scan.h - a structural scan of JSON text: the spans of an array's
 * elements or an object's members, found without building a tree, so that
 * large COCO files can be parsed element by element on several threads and
 * never exist as one cJSON tree.
 */
#ifndef MASKEVAL_IO_JSON_SCAN_H
#define MASKEVAL_IO_JSON_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "core/ctx.h"

typedef struct maskeval_json_span {
    size_t off, len; /* a value's text: buf[off .. off+len) */
} maskeval_json_span;

typedef struct maskeval_json_member_span {
    maskeval_json_span key;   /* the key's characters, without the quotes */
    maskeval_json_span value;
} maskeval_json_member_span;

/* Offset of the first non-whitespace byte at or after pos. */
size_t maskeval_json_skip_ws(const char *buf, size_t len, size_t pos);

/* The span of the value starting at pos (after whitespace). Only structure
 * is checked (brackets balance, strings end); cJSON validates the rest when
 * the span is parsed. Fails with a located syntax error naming the file. */
maskeval_status maskeval_json_value_span(maskeval_ctx *ctx, const char *name, const char *buf,
                                         size_t len, size_t pos, maskeval_json_span *out);

/* The elements of the array whose '[' is at pos; *n elements in a new
 * array *spans (ctx's allocator). */
maskeval_status maskeval_json_array_spans(maskeval_ctx *ctx, const char *name, const char *buf,
                                          size_t len, size_t pos, maskeval_json_span **spans,
                                          size_t *n);

/* The members of the object whose '{' is at pos, in file order. */
maskeval_status maskeval_json_object_spans(maskeval_ctx *ctx, const char *name, const char *buf,
                                           size_t len, size_t pos,
                                           maskeval_json_member_span **members, size_t *n);

/* Records "<name>: invalid JSON at line L, column C (byte B)[: what]". */
maskeval_status maskeval_json_syntax_error(maskeval_ctx *ctx, const char *name, const char *buf,
                                           size_t len, size_t off, const char *what);

/* Where offset off of the JSON text buf lies, for messages, NUL-terminated
 * in out[0..cap). With element NULL, the walk starts at the document's
 * first byte and names the element as the loaders do ("result 17: bbox[2]",
 * "annotations[5]: segmentation.counts", "images[3]: height", "info"; empty
 * at the top level). With an element name, it starts at start (the
 * element's first byte) and gives "<element>: <path inside>", so text
 * outside the element (which other threads may be rewriting) is never read.
 * Reads the text before off as structurally valid JSON (what the scan
 * checked). */
void maskeval_json_path_at(const char *buf, size_t len, size_t start, size_t off,
                           const char *element, char *out, size_t cap);

#endif
