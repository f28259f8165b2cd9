/*
 * fuzz_pyjson.h - an independent JSON reader with Python's json.loads
 * semantics, as the oracle for what maskeval reads from COCO files:
 *  - strings keep every code point, NUL included (keys are compared with
 *    their length, so "category_id\u0000" is not "category_id"), lone
 *    surrogates included (encoded as 3 bytes that match no ASCII key);
 *  - objects keep every member; lookups take the LAST member of a name
 *    (dict semantics);
 *  - numbers: the double strtod gives ("C" locale, correctly rounded, as
 *    Python's float(); Python's ints are exact, so callers compare integers
 *    only where doubles are exact); NaN / Infinity / -Infinity are Python's
 *    extensions.
 * Parsing refuses what json.loads refuses (RFC 8259 syntax); nesting is
 * limited to 1100 levels (Python fails near 1000 anyway).
 */
#ifndef MASKEVAL_FUZZ_PYJSON_H
#define MASKEVAL_FUZZ_PYJSON_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

enum { PJ_NULL, PJ_FALSE, PJ_TRUE, PJ_NUM, PJ_STR, PJ_ARR, PJ_OBJ };

typedef struct pj {
    int type;
    double num;
    int is_int;          /* an integer literal (no fraction, no exponent) */
    char *s;             /* PJ_STR: decoded bytes (not NUL-terminated) */
    size_t slen;
    char *key;           /* member name in an object, decoded */
    size_t klen;
    struct pj *child, *next;
    size_t n;            /* PJ_ARR / PJ_OBJ: number of children */
} pj;

typedef struct pj_parser {
    const uint8_t *p;
    size_t n, i;
    int depth;
    int max_depth;  /* deepest nesting seen */
    int lone;       /* a lone surrogate escape was seen */
    int nonfinite;  /* NaN / Infinity / -Infinity was seen */
    int key_escape; /* a key has an escape or a raw control character (or failed to parse) */
} pj_parser;

static inline void pj_free(pj *v)
{
    while (v != NULL) {
        pj *next = v->next;
        pj_free(v->child);
        free(v->s);
        free(v->key);
        free(v);
        v = next;
    }
}

static inline void pj_ws(pj_parser *ps)
{
    while (ps->i < ps->n && (ps->p[ps->i] == ' ' || ps->p[ps->i] == '\t' ||
                             ps->p[ps->i] == '\n' || ps->p[ps->i] == '\r')) {
        ps->i++;
    }
}

static inline int pj_hex4(pj_parser *ps, unsigned *out)
{
    unsigned v = 0;
    if (ps->n - ps->i < 4) {
        return 0;
    }
    for (int k = 0; k < 4; k++) {
        uint8_t h = ps->p[ps->i++];
        v <<= 4;
        if (h >= '0' && h <= '9') {
            v |= h - '0';
        } else if (h >= 'a' && h <= 'f') {
            v |= h - 'a' + 10;
        } else if (h >= 'A' && h <= 'F') {
            v |= h - 'A' + 10;
        } else {
            return 0;
        }
    }
    *out = v;
    return 1;
}

static inline void pj_utf8(char *o, size_t *k, unsigned cp)
{
    if (cp < 0x80) {
        o[(*k)++] = (char)cp;
    } else if (cp < 0x800) {
        o[(*k)++] = (char)(0xC0 | (cp >> 6));
        o[(*k)++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        o[(*k)++] = (char)(0xE0 | (cp >> 12));
        o[(*k)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[(*k)++] = (char)(0x80 | (cp & 0x3F));
    } else {
        o[(*k)++] = (char)(0xF0 | (cp >> 18));
        o[(*k)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
        o[(*k)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[(*k)++] = (char)(0x80 | (cp & 0x3F));
    }
}

/* Python's strict UTF-8 decoder on the sequence at p (n bytes left): the
 * sequence's length, or 0 where it raises UnicodeDecodeError. Written as
 * decode-then-check (shortest form, no surrogates, <= U+10FFFF), unlike the
 * library's table of byte ranges. */
static inline size_t pj_utf8_ok(const uint8_t *p, size_t n)
{
    size_t len = p[0] >= 0xF0 ? 4 : p[0] >= 0xE0 ? 3 : p[0] >= 0xC0 ? 2 : 0;
    unsigned cp;
    static const unsigned min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (len == 0 || p[0] >= 0xF8 || n < len) {
        return 0;
    }
    cp = p[0] & (0x7Fu >> len);
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if (cp < min_cp[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return 0;
    }
    return len;
}

/* A string at ps->i (the opening quote). */
static inline int pj_string(pj_parser *ps, char **out, size_t *len)
{
    size_t k = 0;
    char *o = fuzz_xmalloc(ps->n - ps->i + 1); /* decoding never grows the text */
    ps->i++;
    while (ps->i < ps->n) {
        uint8_t c = ps->p[ps->i++];
        if (c == '"') {
            *out = o;
            *len = k;
            return 1;
        }
        if (c < 0x20) {
            break;
        }
        if (c >= 0x80) {
            /* json.load(open(path)) decodes the file as UTF-8 first */
            size_t l = pj_utf8_ok(ps->p + ps->i - 1, ps->n - ps->i + 1);
            if (l == 0) {
                break;
            }
            memcpy(o + k, ps->p + ps->i - 1, l);
            k += l;
            ps->i += l - 1;
            continue;
        }
        if (c != '\\') {
            o[k++] = (char)c;
            continue;
        }
        if (ps->i >= ps->n) {
            break;
        }
        c = ps->p[ps->i++];
        if (c == 'u') {
            unsigned cp, lo;
            if (!pj_hex4(ps, &cp)) {
                break;
            }
            if (cp >= 0xD800 && cp <= 0xDBFF && ps->n - ps->i >= 6 && ps->p[ps->i] == '\\' &&
                ps->p[ps->i + 1] == 'u') {
                size_t save = ps->i;
                ps->i += 2;
                if (pj_hex4(ps, &lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                } else {
                    ps->i = save; /* Python keeps a lone high surrogate */
                }
            }
            if (cp >= 0xD800 && cp <= 0xDFFF) {
                ps->lone = 1;
            }
            pj_utf8(o, &k, cp); /* lone surrogates: 3 bytes, as Python's surrogatepass */
            continue;
        }
        switch (c) {
        case '"':
        case '\\':
        case '/':
            o[k++] = (char)c;
            break;
        case 'b':
            o[k++] = '\b';
            break;
        case 'f':
            o[k++] = '\f';
            break;
        case 'n':
            o[k++] = '\n';
            break;
        case 'r':
            o[k++] = '\r';
            break;
        case 't':
            o[k++] = '\t';
            break;
        default:
            free(o);
            return 0;
        }
    }
    free(o);
    return 0;
}

static inline int pj_lit(pj_parser *ps, const char *lit)
{
    size_t k = strlen(lit);
    if (ps->n - ps->i >= k && memcmp(ps->p + ps->i, lit, k) == 0) {
        ps->i += k;
        return 1;
    }
    return 0;
}

static inline size_t pj_digits(pj_parser *ps)
{
    size_t s = ps->i;
    while (ps->i < ps->n && ps->p[ps->i] >= '0' && ps->p[ps->i] <= '9') {
        ps->i++;
    }
    return ps->i - s;
}

static inline pj *pj_value(pj_parser *ps)
{
    pj *v;
    uint8_t c;
    pj_ws(ps);
    if (ps->i >= ps->n) {
        return NULL;
    }
    v = calloc(1, sizeof(*v));
    if (v == NULL) {
        abort();
    }
    c = ps->p[ps->i];
    if (c == '{' || c == '[') {
        uint8_t close = c == '{' ? '}' : ']';
        pj *last = NULL;
        v->type = c == '{' ? PJ_OBJ : PJ_ARR;
        if (++ps->depth > 1100) {
            goto fail;
        }
        if (ps->depth > ps->max_depth) {
            ps->max_depth = ps->depth;
        }
        ps->i++;
        pj_ws(ps);
        if (ps->i < ps->n && ps->p[ps->i] == close) {
            ps->i++;
            ps->depth--;
            return v;
        }
        for (;;) {
            char *key = NULL;
            size_t klen = 0;
            pj *child;
            if (v->type == PJ_OBJ) {
                size_t kstart;
                pj_ws(ps);
                kstart = ps->i;
                if (ps->i >= ps->n || ps->p[ps->i] != '"') {
                    goto fail;
                }
                if (!pj_string(ps, &key, &klen)) {
                    ps->key_escape = 1;
                    goto fail;
                }
                for (size_t q = kstart + 1; q + 1 < ps->i; q++) {
                    if (ps->p[q] == '\\' || ps->p[q] < 0x20) {
                        ps->key_escape = 1;
                    }
                }
                pj_ws(ps);
                if (ps->i >= ps->n || ps->p[ps->i] != ':') {
                    free(key);
                    goto fail;
                }
                ps->i++;
            }
            child = pj_value(ps);
            if (child == NULL) {
                free(key);
                goto fail;
            }
            child->key = key;
            child->klen = klen;
            if (last == NULL) {
                v->child = child;
            } else {
                last->next = child;
            }
            last = child;
            v->n++;
            pj_ws(ps);
            if (ps->i < ps->n && ps->p[ps->i] == ',') {
                ps->i++;
                continue;
            }
            if (ps->i < ps->n && ps->p[ps->i] == close) {
                ps->i++;
                ps->depth--;
                return v;
            }
            goto fail;
        }
    }
    if (c == '"') {
        v->type = PJ_STR;
        if (pj_string(ps, &v->s, &v->slen)) {
            return v;
        }
        goto fail;
    }
    if (pj_lit(ps, "true")) {
        v->type = PJ_TRUE;
        return v;
    }
    if (pj_lit(ps, "false")) {
        v->type = PJ_FALSE;
        return v;
    }
    if (pj_lit(ps, "null")) {
        v->type = PJ_NULL;
        return v;
    }
    v->type = PJ_NUM;
    if (pj_lit(ps, "NaN")) {
        v->num = NAN;
        ps->nonfinite = 1;
        return v;
    }
    if (pj_lit(ps, "Infinity")) {
        v->num = INFINITY;
        ps->nonfinite = 1;
        return v;
    }
    if (pj_lit(ps, "-Infinity")) {
        v->num = -INFINITY;
        ps->nonfinite = 1;
        return v;
    }
    {
        size_t start = ps->i;
        char buf[512], *text = buf;
        v->is_int = 1;
        if (ps->p[ps->i] == '-') {
            ps->i++;
        }
        if (ps->i < ps->n && ps->p[ps->i] == '0') {
            ps->i++;
        } else if (pj_digits(ps) == 0) {
            goto fail;
        }
        if (ps->i < ps->n && ps->p[ps->i] == '.') {
            ps->i++;
            v->is_int = 0;
            if (pj_digits(ps) == 0) {
                goto fail;
            }
        }
        if (ps->i < ps->n && (ps->p[ps->i] == 'e' || ps->p[ps->i] == 'E')) {
            ps->i++;
            v->is_int = 0;
            if (ps->i < ps->n && (ps->p[ps->i] == '+' || ps->p[ps->i] == '-')) {
                ps->i++;
            }
            if (pj_digits(ps) == 0) {
                goto fail;
            }
        }
        if (ps->i - start >= sizeof(buf)) {
            text = fuzz_xmalloc(ps->i - start + 1);
        }
        memcpy(text, ps->p + start, ps->i - start);
        text[ps->i - start] = '\0';
        v->num = strtod(text, NULL);
        if (text != buf) {
            free(text);
        }
        return v;
    }
fail:
    pj_free(v);
    return NULL;
}

/* The whole input as one value (whitespace around it), or NULL; *info (if
 * not NULL) tells what was seen. */
static inline pj *pj_parse_ex(const uint8_t *data, size_t size, pj_parser *info)
{
    pj_parser ps;
    pj *v;
    memset(&ps, 0, sizeof(ps));
    ps.p = data;
    ps.n = size;
    v = pj_value(&ps);
    if (v != NULL) {
        pj_ws(&ps);
        if (ps.i != size) {
            pj_free(v);
            v = NULL;
        }
    }
    if (info != NULL) {
        *info = ps;
    }
    return v;
}

static inline pj *pj_parse(const uint8_t *data, size_t size)
{
    return pj_parse_ex(data, size, NULL);
}

/* The last member named key (exact bytes, length included), or NULL. */
static inline const pj *pj_get(const pj *obj, const char *key)
{
    const pj *found = NULL;
    size_t k = strlen(key);
    if (obj == NULL || obj->type != PJ_OBJ) {
        return NULL;
    }
    for (const pj *c = obj->child; c != NULL; c = c->next) {
        if (c->klen == k && memcmp(c->key, key, k) == 0) {
            found = c;
        }
    }
    return found;
}

/* Whether the json.load checks are on: MASKEVAL_FUZZ_ALLOW_BAD_JSON=1 turns
 * them off. */
static inline int fuzz_strict_json(void)
{
    static int strict = -1;
    if (strict < 0) {
        strict = getenv("MASKEVAL_FUZZ_ALLOW_BAD_JSON") == NULL;
    }
    return strict;
}

/* MASKEVAL_FUZZ_SKIP_KNOWN=1: skip the json.load checks for documents whose
 * keys have escapes or raw control characters (the known findings of
 * README.md, which the fuzzer would otherwise report over and over); every
 * other check stays on. */
static inline int fuzz_skip_known_keys(const uint8_t *data, size_t size)
{
    static int skip = -1;
    pj_parser info;
    pj *v;
    if (skip < 0) {
        skip = getenv("MASKEVAL_FUZZ_SKIP_KNOWN") != NULL;
    }
    if (!skip) {
        return 0;
    }
    v = pj_parse_ex(data, size, &info);
    pj_free(v);
    return info.key_escape;
}

/* A number maskeval reads as an integer id: exact below 2^53. */
static inline int pj_int_ok(const pj *v)
{
    return v != NULL && v->type == PJ_NUM && fabs(v->num) <= 9007199254740992.0;
}

#endif
