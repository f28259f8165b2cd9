/*
 * json_util.h - reading COCO JSON with cJSON: parsing with a located error
 * message, Python-like member lookup and typed field readers.
 */
#ifndef MASKEVAL_IO_JSON_UTIL_H
#define MASKEVAL_IO_JSON_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "core/ctx.h"

/* Parses len bytes of JSON. On failure the message names the file, the line
 * and the column ("gt.json: invalid JSON at line 3, column 17"). */
maskeval_status maskeval_json_parse(maskeval_ctx *ctx, const char *name, const char *buf,
                                    size_t len, cJSON **root /* out */);

/* Member `key` of an object, the LAST one when a key repeats (Python's json
 * keeps the last value). NULL when absent or when obj is not an object. */
const cJSON *maskeval_json_member(const cJSON *obj, const char *key);

/* A finite JSON number. */
int maskeval_json_finite(const cJSON *item, double *out);

/* An integer-valued JSON number that a double holds exactly (|v| <= 2^53),
 * as pycocotools compares ids (1 == 1.0). */
int maskeval_json_int(const cJSON *item, int64_t *out);

/* A [x, y, width, height] array of 4 finite numbers. */
int maskeval_json_box(const cJSON *item, double out[4]);

/* A short description of an item's JSON type ("string", "array", ...). */
const char *maskeval_json_type(const cJSON *item);

/* Number of elements of an array (cJSON_GetArraySize is int-limited). */
size_t maskeval_json_count(const cJSON *arr);

#endif
