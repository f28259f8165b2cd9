/*
 * json_util.h - reading COCO JSON trees (cJSON nodes): Python-like member
 * lookup and typed field readers.
 */
#ifndef MASKEVAL_IO_JSON_UTIL_H
#define MASKEVAL_IO_JSON_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "core/ctx.h"

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
/* What an item that maskeval_json_int refused is: its type, or "an
 * integer of magnitude 2^53 or more". */
const char *maskeval_json_int_type(const cJSON *item);

/* Number of elements of an array (cJSON_GetArraySize is int-limited). */
size_t maskeval_json_count(const cJSON *arr);

#endif
