/*
 * json_fast.c - strict JSON into cJSON nodes in an arena (see json_fast.h).
 */
#define _GNU_SOURCE /* strtod_l, newlocale */
#include "io/json_fast.h"

#include <locale.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK ((size_t)256 * 1024)
#define MAX_DEPTH 1000

void maskeval_json_arena_init(maskeval_json_arena *ar, const maskeval_alloc *a)
{
    memset(ar, 0, sizeof(*ar));
    ar->a = a;
}

void maskeval_json_arena_reset(maskeval_json_arena *ar)
{
    for (size_t i = 0; i < ar->nbig; i++) {
        maskeval_free(ar->a, ar->big[i]);
    }
    ar->nbig = 0;
    ar->used = 0;
}

void maskeval_json_arena_release(maskeval_json_arena *ar)
{
    maskeval_json_arena_reset(ar);
    maskeval_free(ar->a, ar->big);
    maskeval_free(ar->a, ar->block);
    memset(ar, 0, sizeof(*ar));
}

static void *arena_alloc(maskeval_json_arena *ar, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (ar->block == NULL) {
        ar->block = maskeval_malloc(ar->a, BLOCK);
        if (ar->block == NULL) {
            return NULL;
        }
        ar->cap = BLOCK;
        ar->used = 0;
    }
    if (ar->used + n <= ar->cap) {
        void *p = ar->block + ar->used;
        ar->used += n;
        return p;
    }
    if (ar->nbig == ar->capbig) {
        void *q = ar->big;
        if (maskeval_grow(ar->a, &q, &ar->capbig, ar->nbig + 1, sizeof(void *)) != MASKEVAL_OK) {
            return NULL;
        }
        ar->big = q;
    }
    ar->big[ar->nbig] = maskeval_malloc(ar->a, n);
    return ar->big[ar->nbig] != NULL ? ar->big[ar->nbig++] : NULL;
}

/* The "C" locale for strtod_l, created once. */
static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void make_c_locale(void)
{
    c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

typedef struct parser {
    maskeval_json_arena *ar;
    const char *s;
    size_t len, pos;
    maskeval_json_fast_err err;
} parser;

static int fail(parser *p, maskeval_json_fast_err e)
{
    if (p->err == MASKEVAL_JSON_FAST_OK) {
        p->err = e;
    }
    return 0;
}

static void skip_ws(parser *p)
{
    while (p->pos < p->len) {
        char c = p->s[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
            break;
        }
        p->pos++;
    }
}

static cJSON *new_node(parser *p, int type)
{
    cJSON *n = arena_alloc(p->ar, sizeof(cJSON));
    if (n == NULL) {
        fail(p, MASKEVAL_JSON_FAST_NOMEM);
        return NULL;
    }
    memset(n, 0, sizeof(*n));
    n->type = type;
    return n;
}

static int hex4(const char *s, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9') {
            v |= (unsigned)(c - '0');
        } else if (c >= 'a' && c <= 'f') {
            v |= (unsigned)(c - 'a' + 10);
        } else if (c >= 'A' && c <= 'F') {
            v |= (unsigned)(c - 'A' + 10);
        } else {
            return 0;
        }
    }
    *out = v;
    return 1;
}

/* A string at p->pos (the opening quote) into a NUL-terminated arena copy. */
static char *parse_string(parser *p)
{
    size_t start = ++p->pos, end = start, escapes = 0;
    char *out, *o;
    /* find the end and whether there are escapes */
    while (end < p->len && p->s[end] != '"') {
        unsigned char c = (unsigned char)p->s[end];
        if (c < 0x20) {
            p->pos = end;
            fail(p, MASKEVAL_JSON_FAST_SYNTAX); /* raw control character */
            return NULL;
        }
        if (c == '\\') {
            escapes++;
            end++;
        }
        end++;
    }
    if (end >= p->len) {
        p->pos = p->len;
        fail(p, MASKEVAL_JSON_FAST_SYNTAX);
        return NULL;
    }
    out = arena_alloc(p->ar, end - start + 1);
    if (out == NULL) {
        fail(p, MASKEVAL_JSON_FAST_NOMEM);
        return NULL;
    }
    if (escapes == 0) {
        memcpy(out, p->s + start, end - start);
        out[end - start] = '\0';
        p->pos = end + 1;
        return out;
    }
    o = out;
    for (size_t i = start; i < end; i++) {
        char c = p->s[i];
        unsigned cp, lo;
        if (c != '\\') {
            *o++ = c;
            continue;
        }
        c = p->s[++i];
        switch (c) {
        case '"':
        case '\\':
        case '/':
            *o++ = c;
            break;
        case 'b':
            *o++ = '\b';
            break;
        case 'f':
            *o++ = '\f';
            break;
        case 'n':
            *o++ = '\n';
            break;
        case 'r':
            *o++ = '\r';
            break;
        case 't':
            *o++ = '\t';
            break;
        case 'u':
            if (i + 4 >= end || !hex4(p->s + i + 1, &cp)) {
                p->pos = i;
                fail(p, MASKEVAL_JSON_FAST_SYNTAX);
                return NULL;
            }
            i += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                /* a surrogate pair: \uD8xx\uDCxx */
                if (i + 6 >= end || p->s[i + 1] != '\\' || p->s[i + 2] != 'u' ||
                    !hex4(p->s + i + 3, &lo) || lo < 0xDC00 || lo > 0xDFFF) {
                    p->pos = i;
                    fail(p, MASKEVAL_JSON_FAST_SYNTAX);
                    return NULL;
                }
                i += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                p->pos = i;
                fail(p, MASKEVAL_JSON_FAST_SYNTAX);
                return NULL;
            }
            if (cp < 0x80) {
                *o++ = (char)cp;
            } else if (cp < 0x800) {
                *o++ = (char)(0xC0 | (cp >> 6));
                *o++ = (char)(0x80 | (cp & 0x3F));
            } else if (cp < 0x10000) {
                *o++ = (char)(0xE0 | (cp >> 12));
                *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
                *o++ = (char)(0x80 | (cp & 0x3F));
            } else {
                *o++ = (char)(0xF0 | (cp >> 18));
                *o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
                *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
                *o++ = (char)(0x80 | (cp & 0x3F));
            }
            break;
        default:
            p->pos = i;
            fail(p, MASKEVAL_JSON_FAST_SYNTAX);
            return NULL;
        }
    }
    *o = '\0';
    p->pos = end + 1;
    return out;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* RFC 8259 number syntax, then the correctly rounded value. */
static cJSON *parse_number(parser *p)
{
    size_t i = p->pos, start = i;
    int simple = 1; /* an integer of at most 15 digits: exact without strtod */
    double v;
    cJSON *n;
    if (i < p->len && p->s[i] == '-') {
        i++;
    }
    if (i >= p->len || !is_digit(p->s[i])) {
        p->pos = i;
        fail(p, MASKEVAL_JSON_FAST_SYNTAX);
        return NULL;
    }
    if (p->s[i] == '0') {
        i++;
    } else {
        while (i < p->len && is_digit(p->s[i])) {
            i++;
        }
    }
    if (i < p->len && p->s[i] == '.') {
        simple = 0;
        i++;
        if (i >= p->len || !is_digit(p->s[i])) {
            p->pos = i;
            fail(p, MASKEVAL_JSON_FAST_SYNTAX);
            return NULL;
        }
        while (i < p->len && is_digit(p->s[i])) {
            i++;
        }
    }
    if (i < p->len && (p->s[i] == 'e' || p->s[i] == 'E')) {
        simple = 0;
        i++;
        if (i < p->len && (p->s[i] == '+' || p->s[i] == '-')) {
            i++;
        }
        if (i >= p->len || !is_digit(p->s[i])) {
            p->pos = i;
            fail(p, MASKEVAL_JSON_FAST_SYNTAX);
            return NULL;
        }
        while (i < p->len && is_digit(p->s[i])) {
            i++;
        }
    }
    if (simple && i - start - (p->s[start] == '-') <= 15) {
        int64_t x = 0;
        for (size_t j = start + (p->s[start] == '-'); j < i; j++) {
            x = x * 10 + (p->s[j] - '0');
        }
        v = p->s[start] == '-' ? -(double)x : (double)x;
    } else {
        char local[64], *buf = local, *end = NULL;
        size_t nlen = i - start;
        if (nlen >= sizeof(local)) {
            buf = arena_alloc(p->ar, nlen + 1);
            if (buf == NULL) {
                fail(p, MASKEVAL_JSON_FAST_NOMEM);
                return NULL;
            }
        }
        memcpy(buf, p->s + start, nlen);
        buf[nlen] = '\0';
        pthread_once(&c_locale_once, make_c_locale);
        v = strtod_l(buf, &end, c_locale);
    }
    n = new_node(p, cJSON_Number);
    if (n == NULL) {
        return NULL;
    }
    n->valuedouble = v;
    /* as cJSON: valueint saturates */
    n->valueint = v >= 2147483647.0 ? 2147483647 : v <= -2147483648.0 ? (-2147483647 - 1) : (int)v;
    p->pos = i;
    return n;
}

static cJSON *parse_value(parser *p, int depth);

static int literal(parser *p, const char *word)
{
    size_t n = strlen(word);
    if (p->pos + n <= p->len && memcmp(p->s + p->pos, word, n) == 0) {
        p->pos += n;
        return 1;
    }
    return 0;
}

static cJSON *parse_container(parser *p, int depth, int object)
{
    cJSON *node = new_node(p, object ? cJSON_Object : cJSON_Array), *last = NULL;
    const char close = object ? '}' : ']';
    if (node == NULL) {
        return NULL;
    }
    if (depth >= MAX_DEPTH) {
        fail(p, MASKEVAL_JSON_FAST_DEPTH);
        return NULL;
    }
    p->pos++; /* '{' or '[' */
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == close) {
        p->pos++;
        return node;
    }
    for (;;) {
        char *key = NULL;
        cJSON *child;
        skip_ws(p);
        if (object) {
            if (p->pos >= p->len || p->s[p->pos] != '"') {
                fail(p, MASKEVAL_JSON_FAST_SYNTAX);
                return NULL;
            }
            key = parse_string(p);
            if (key == NULL) {
                return NULL;
            }
            skip_ws(p);
            if (p->pos >= p->len || p->s[p->pos] != ':') {
                fail(p, MASKEVAL_JSON_FAST_SYNTAX);
                return NULL;
            }
            p->pos++;
        }
        child = parse_value(p, depth + 1);
        if (child == NULL) {
            return NULL;
        }
        child->string = key;
        if (last == NULL) {
            node->child = child;
            child->prev = child; /* cJSON keeps the tail in child->prev */
        } else {
            last->next = child;
            child->prev = last;
            node->child->prev = child;
        }
        last = child;
        skip_ws(p);
        if (p->pos < p->len && p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->len && p->s[p->pos] == close) {
            p->pos++;
            return node;
        }
        fail(p, MASKEVAL_JSON_FAST_SYNTAX);
        return NULL;
    }
}

static cJSON *parse_value(parser *p, int depth)
{
    char c;
    skip_ws(p);
    if (p->pos >= p->len) {
        fail(p, MASKEVAL_JSON_FAST_SYNTAX);
        return NULL;
    }
    c = p->s[p->pos];
    switch (c) {
    case '{':
        return parse_container(p, depth, 1);
    case '[':
        return parse_container(p, depth, 0);
    case '"': {
        cJSON *n = new_node(p, cJSON_String);
        if (n == NULL) {
            return NULL;
        }
        n->valuestring = parse_string(p);
        return n->valuestring != NULL ? n : NULL;
    }
    case 't':
        if (literal(p, "true")) {
            return new_node(p, cJSON_True);
        }
        break;
    case 'f':
        if (literal(p, "false")) {
            return new_node(p, cJSON_False);
        }
        break;
    case 'n':
        if (literal(p, "null")) {
            return new_node(p, cJSON_NULL);
        }
        break;
    default:
        if (c == '-' || is_digit(c)) {
            return parse_number(p);
        }
    }
    fail(p, MASKEVAL_JSON_FAST_SYNTAX);
    return NULL;
}

maskeval_json_fast_err maskeval_json_fast_parse(maskeval_json_arena *ar, const char *text,
                                                size_t len, cJSON **root, size_t *err_off)
{
    parser p = {ar, text, len, 0, MASKEVAL_JSON_FAST_OK};
    cJSON *r = parse_value(&p, 0);
    if (r != NULL) {
        skip_ws(&p);
        if (p.pos != len) {
            r = NULL;
            fail(&p, MASKEVAL_JSON_FAST_SYNTAX);
        }
    }
    *root = r;
    *err_off = p.pos;
    return r != NULL ? MASKEVAL_JSON_FAST_OK : p.err;
}
