/*
 * json_util.c - cJSON helpers with pycocotools' view of the data.
 */
#include "io/json_util.h"

#include <math.h>
#include <string.h>

const cJSON *maskeval_json_member(const cJSON *obj, const char *key)
{
    const cJSON *found = NULL, *it;
    if (obj == NULL || !cJSON_IsObject(obj)) {
        return NULL;
    }
    for (it = obj->child; it != NULL; it = it->next) {
        if (it->string != NULL && it->string[0] == key[0] && strcmp(it->string, key) == 0) {
            found = it;
        }
    }
    return found;
}

int maskeval_json_finite(const cJSON *item, double *out)
{
    if (item == NULL || !cJSON_IsNumber(item) || !isfinite(item->valuedouble)) {
        return 0;
    }
    *out = item->valuedouble;
    return 1;
}

int maskeval_json_int(const cJSON *item, int64_t *out)
{
    double v;
    /* |v| < 2^53: from 2^53 on, distinct integers in the file (2^53 and
     * 2^53 + 1) read as the same double, so such an id cannot be trusted */
    if (!maskeval_json_finite(item, &v) || floor(v) != v || fabs(v) >= 9007199254740992.0) {
        return 0;
    }
    *out = (int64_t)v;
    return 1;
}

int maskeval_json_box(const cJSON *item, double out[4])
{
    size_t k = 0;
    if (!cJSON_IsArray(item) || maskeval_json_count(item) != 4) {
        return 0;
    }
    for (const cJSON *c = item->child; c != NULL; c = c->next, k++) {
        if (!maskeval_json_finite(c, &out[k])) {
            return 0;
        }
    }
    return 1;
}

const char *maskeval_json_int_type(const cJSON *item)
{
    double v;
    if (maskeval_json_finite(item, &v) && floor(v) == v) {
        return "a number of magnitude 2^53 or more (not exact as a double)";
    }
    return maskeval_json_type(item);
}

const char *maskeval_json_type(const cJSON *item)
{
    if (item == NULL) {
        return "missing";
    }
    switch (item->type & 0xff) {
    case cJSON_False:
    case cJSON_True:
        return "boolean";
    case cJSON_NULL:
        return "null";
    case cJSON_Number:
        return "number";
    case cJSON_String:
        return "string";
    case cJSON_Array:
        return "array";
    case cJSON_Object:
        return "object";
    default:
        return "invalid";
    }
}

size_t maskeval_json_count(const cJSON *arr)
{
    size_t n = 0;
    for (const cJSON *it = arr != NULL ? arr->child : NULL; it != NULL; it = it->next) {
        n++;
    }
    return n;
}
