/*
 * json_util.c - cJSON helpers with pycocotools' view of the data.
 */
#include "io/json_util.h"

#include <math.h>
#include <string.h>

maskeval_status maskeval_json_parse(maskeval_ctx *ctx, const char *name, const char *buf,
                                    size_t len, cJSON **root)
{
    const char *end = NULL;
    cJSON *r;
    *root = NULL;
    r = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
    if (r == NULL) {
        size_t off = (end != NULL && end >= buf) ? (size_t)(end - buf) : 0, line = 1, col = 1;
        if (off > len) {
            off = len;
        }
        for (size_t i = 0; i < off; i++) {
            if (buf[i] == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        if (len == 0) {
            return maskeval_fail(ctx, MASKEVAL_ERR_PARSE, "%s: empty file, expected JSON", name);
        }
        if (off >= len) {
            return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                                 "%s: invalid JSON: unexpected end of input at line %zu "
                                 "(truncated file?)",
                                 name, line);
        }
        return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                             "%s: invalid JSON at line %zu, column %zu (byte %zu)", name, line,
                             col, off);
    }
    /* cJSON stops at the end of the first value; anything but whitespace
     * after it is an error, as for Python's json.load. */
    if (end != NULL) {
        size_t off = (size_t)(end - buf);
        while (off < len && (buf[off] == ' ' || buf[off] == '\t' || buf[off] == '\n' ||
                             buf[off] == '\r')) {
            off++;
        }
        if (off < len) {
            cJSON_Delete(r);
            return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                                 "%s: invalid JSON: extra data after the top-level value at "
                                 "byte %zu",
                                 name, off);
        }
    }
    *root = r;
    return MASKEVAL_OK;
}

const cJSON *maskeval_json_member(const cJSON *obj, const char *key)
{
    const cJSON *found = NULL, *it;
    if (obj == NULL || !cJSON_IsObject(obj)) {
        return NULL;
    }
    for (it = obj->child; it != NULL; it = it->next) {
        if (it->string != NULL && strcmp(it->string, key) == 0) {
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
    if (!maskeval_json_finite(item, &v) || floor(v) != v || fabs(v) > 9007199254740992.0) {
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
