/*
 * fuzz_json_fast.c - the strict JSON parser of src/io/json_fast.c (the
 * elements of COCO files are parsed with it) and its decimal-to-double fast
 * path, against an independent reader with json.loads semantics
 * (fuzz_pyjson.h) and glibc's strtod.
 *
 * Input: a mode byte, then text.
 *  - mode bit 0 clear: a JSON document. maskeval_json_fast_parse must
 *    accept exactly what json.loads accepts, except Python's NaN / Infinity
 *    and lone surrogate escapes (refused by design) and nesting beyond 1000
 *    levels (MASKEVAL_JSON_FAST_DEPTH); invalid UTF-8 in a string is
 *    MASKEVAL_JSON_FAST_UTF8, and the model refuses it too (json.load on
 *    a file decodes strictly); an error offset lies within the text;
 *    an accepted document gives the same tree: types, member order, keys and
 *    strings byte for byte (a string value with an escaped NUL is cut there,
 *    as in cJSON: checked as a prefix; a key with one must not read as its
 *    prefix: "category_id\u0000x" is not "category_id"),
 *    numbers bit for bit equal to strtod's, valueint saturated as cJSON's.
 *  - mode bit 0 set: a number. With bit 1 set, each byte is mapped onto
 *    "0123456789.eE-+" first, so that most inputs are numbers. For valid
 *    RFC 8259 number text, maskeval_json_number_fast, when it answers, and
 *    maskeval_json_strtod must give strtod's double, bit for bit.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctx.h"
#include "fuzz_common.h"
#include "fuzz_pyjson.h"
#include "io/json_fast.h"

static const maskeval_alloc alloc = {malloc, realloc, free};

static void same_tree(const cJSON *a, const pj *b, const char *path)
{
    switch (b->type) {
    case PJ_NULL:
        FUZZ_CHECK(cJSON_IsNull(a), "%s: null", path);
        break;
    case PJ_TRUE:
        FUZZ_CHECK(cJSON_IsTrue(a), "%s: true", path);
        break;
    case PJ_FALSE:
        FUZZ_CHECK(cJSON_IsFalse(a), "%s: false", path);
        break;
    case PJ_NUM: {
        double v = b->num;
        int vi = v >= 2147483647.0 ? 2147483647 : v <= -2147483648.0 ? INT32_MIN : (int)v;
        FUZZ_CHECK(cJSON_IsNumber(a) && memcmp(&a->valuedouble, &v, sizeof(v)) == 0,
                   "%s: number %.17g, strtod %.17g", path, a->valuedouble, v);
        FUZZ_CHECK(a->valueint == vi, "%s: valueint %d, want %d", path, a->valueint, vi);
        break;
    }
    case PJ_STR: {
        const char *nul = memchr(b->s, 0, b->slen);
        size_t want = nul != NULL ? (size_t)(nul - b->s) : b->slen;
        FUZZ_CHECK(cJSON_IsString(a) && a->valuestring != NULL &&
                       strlen(a->valuestring) == want && memcmp(a->valuestring, b->s, want) == 0,
                   "%s: string differs", path);
        break;
    }
    default: {
        const cJSON *c = a->child;
        const pj *d = b->child;
        size_t k = 0;
        FUZZ_CHECK(b->type == PJ_ARR ? cJSON_IsArray(a) : cJSON_IsObject(a), "%s: container",
                   path);
        for (; c != NULL && d != NULL; c = c->next, d = d->next, k++) {
            char sub[64];
            snprintf(sub, sizeof(sub), "%.40s/%zu", path, k);
            if (b->type == PJ_OBJ) {
                const char *nul = memchr(d->key, 0, d->klen);
                FUZZ_CHECK(c->string != NULL, "%s: no key", sub);
                if (nul == NULL) {
                    FUZZ_CHECK(strlen(c->string) == d->klen &&
                                   memcmp(c->string, d->key, d->klen) == 0,
                               "%s: key differs", sub);
                } else {
                    /* a key holding U+0000 must not read as the C string
                     * before the NUL ("category_id\u0000x" is not
                     * "category_id"); json_fast gives it a key nothing
                     * looks up */
                    size_t cut = (size_t)(nul - d->key);
                    FUZZ_CHECK(!(strlen(c->string) == cut && memcmp(c->string, d->key, cut) == 0),
                               "%s: a key holding U+0000 reads as its prefix", sub);
                }
            }
            same_tree(c, d, sub);
        }
        FUZZ_CHECK(c == NULL && d == NULL, "%s: %s children", path, c != NULL ? "more" : "fewer");
        /* cJSON's list invariant: the first child's prev is the last child */
        if (a->child != NULL) {
            const cJSON *last = a->child;
            while (last->next != NULL) {
                last = last->next;
            }
            FUZZ_CHECK(a->child->prev == last, "%s: child->prev is not the last child", path);
        }
    }
    }
}

static void document(const uint8_t *text, size_t len)
{
    maskeval_json_arena ar;
    cJSON *root = NULL;
    size_t off = (size_t)-1;
    maskeval_json_fast_err e;
    pj_parser info;
    pj *ref = pj_parse_ex(text, len, &info);

    maskeval_json_arena_init(&ar, &alloc);
    e = maskeval_json_fast_parse(&ar, (const char *)text, len, &root, &off);
    FUZZ_CHECK(e == MASKEVAL_JSON_FAST_OK || e == MASKEVAL_JSON_FAST_SYNTAX ||
                   e == MASKEVAL_JSON_FAST_DEPTH || e == MASKEVAL_JSON_FAST_UTF8,
               "status %d", (int)e);
    FUZZ_CHECK((e == MASKEVAL_JSON_FAST_OK) == (root != NULL), "status %d with root %p", (int)e,
               (void *)root);
    FUZZ_CHECK(off <= len, "error offset %zu beyond %zu bytes", off, len);
    if (e == MASKEVAL_JSON_FAST_OK) {
        FUZZ_CHECK(ref != NULL, "accepted what json.loads refuses");
        FUZZ_CHECK(!info.nonfinite && !info.lone, "accepted NaN / a lone surrogate");
        same_tree(root, ref, "$");
    } else if (ref != NULL && !info.nonfinite && !info.lone) {
        FUZZ_CHECK(e == MASKEVAL_JSON_FAST_DEPTH && info.max_depth >= 1000,
                   "refused valid JSON (status %d at byte %zu, depth %d)", (int)e, off,
                   info.max_depth);
    }
    pj_free(ref);
    maskeval_json_arena_release(&ar);
}

static void number(const uint8_t *p, size_t n, int map)
{
    static const char alphabet[] = "0123456789.eE-+";
    char text[128];
    pj_parser info;
    pj *ref;
    double want, fast = 0, slow;
    char *end = NULL;
    if (n == 0 || n >= sizeof(text)) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        text[i] = map ? alphabet[p[i] % 15] : (char)p[i];
    }
    text[n] = '\0';
    ref = pj_parse_ex((const uint8_t *)text, n, &info);
    if (ref == NULL || ref->type != PJ_NUM || info.nonfinite || text[0] == ' ' ||
        text[n - 1] == ' ' || memchr(text, '\n', n) != NULL || memchr(text, '\t', n) != NULL ||
        memchr(text, '\r', n) != NULL) {
        pj_free(ref);
        return; /* not RFC 8259 number text: outside the functions' contract */
    }
    want = strtod(text, NULL);
    if (maskeval_json_number_fast(text, n, &fast)) {
        FUZZ_CHECK(memcmp(&fast, &want, sizeof(want)) == 0, "number_fast(\"%s\") = %.17g (%a), strtod %.17g (%a)",
                   text, fast, fast, want, want);
    }
    slow = maskeval_json_strtod(text, &end);
    FUZZ_CHECK(memcmp(&slow, &want, sizeof(want)) == 0 && end == text + n,
               "maskeval_json_strtod(\"%s\") = %.17g, strtod %.17g", text, slow, want);
    pj_free(ref);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0 || size > 1 << 16) {
        return -1;
    }
    if (data[0] & 1) {
        number(data + 1, size - 1, (data[0] & 2) != 0);
    } else {
        document(data + 1, size - 1);
    }
    return 0;
}
