/*
 * json_fast.c - strict JSON into cJSON nodes in an arena (see json_fast.h).
 */
#define _GNU_SOURCE /* strtod_l, newlocale */
#include "io/json_fast.h"

#include <float.h>
#include <locale.h>
#include <stdint.h>
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

/* Whether long double arithmetic really rounds to 64 bits here: not under
 * an x87 precision control set to double, nor under emulators that compute
 * x87 in double (valgrind). */
static int ld_exact;
static pthread_once_t ld_once = PTHREAD_ONCE_INIT;

static void check_long_double(void)
{
    volatile uint64_t a = ((uint64_t)1 << 53) + 1;
    volatile long double one = 1.0L;
    long double x = (long double)a / one;
    ld_exact = x - 9007199254740992.0L == 1.0L;
}

double maskeval_json_strtod(const char *s, char **end)
{
    pthread_once(&c_locale_once, make_c_locale);
    return strtod_l(s, end, c_locale);
}

/*
 * Correctly rounded decimal to double without strtod for the common case: a
 * significand of at most 19 digits (exact in a uint64 and in the 64-bit
 * significand of x87 long double) scaled by 10^e, |e| <= 27 (10^27 is exact
 * in long double: 5^27 < 2^64). One long double multiply or divide rounds
 * once to 64 bits; rounding that to 53 bits gives the correctly rounded
 * double unless the long double landed exactly on a midpoint between two
 * doubles (low 11 bits 10000000000b), where the first rounding may have
 * created the tie: those go to strtod. Results are far from the subnormal
 * range (>= 1e-27), so no other bits are lost. Only where long double is the
 * x87 format; elsewhere every non-integer goes to strtod.
 */
/* The value of 8 ASCII digits at s, or -1 when one is not a digit. Byte
 * lanes become pairs (10a + b), then 16-bit lanes fours (100p + q), then the
 * two 32-bit halves 10000u + v; no lane overflows into the next. */
static int64_t eight_digits(const char *s)
{
    uint64_t x, lo, hi;
    memcpy(&x, s, 8);
    /* every byte 0x30..0x39: high nibble 3, and adding 6 keeps it 3 */
    if (((x & 0xF0F0F0F0F0F0F0F0u) | (((x + 0x0606060606060606u) & 0xF0F0F0F0F0F0F0F0u) >> 4)) !=
        0x3333333333333333u) {
        return -1;
    }
    x -= 0x3030303030303030u;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    /* the first digit is the high byte: the same steps on the reversed lanes */
    x = __builtin_bswap64(x);
#endif
    x = (x * 10 + (x >> 8)) & 0x00FF00FF00FF00FFu;
    x = (x * 100 + (x >> 16)) & 0x0000FFFF0000FFFFu;
    lo = x & 0xFFFFFFFFu;
    hi = x >> 32;
    return (int64_t)(lo * 10000 + hi);
}

int maskeval_json_number_fast(const char *s, size_t len, double *out)
{
#if LDBL_MANT_DIG == 64 && FLT_RADIX == 2
    static const long double pow10[28] = {
        1e0L,  1e1L,  1e2L,  1e3L,  1e4L,  1e5L,  1e6L,  1e7L,  1e8L,  1e9L,
        1e10L, 1e11L, 1e12L, 1e13L, 1e14L, 1e15L, 1e16L, 1e17L, 1e18L, 1e19L,
        1e20L, 1e21L, 1e22L, 1e23L, 1e24L, 1e25L, 1e26L, 1e27L};
    size_t i = 0;
    int neg = 0, digits = 0, e = 0, eneg = 0, ev = 0;
    uint64_t m = 0;
    long double q;
    uint64_t bits;
    if (i < len && s[i] == '-') {
        neg = 1;
        i++;
    }
    while (i < len && s[i] == '0') {
        i++; /* leading zeros of the integer part */
    }
    for (int64_t v; digits <= 11 && len - i >= 8 && (v = eight_digits(s + i)) >= 0; i += 8) {
        m = m * 100000000u + (uint64_t)v;
        digits += 8;
    }
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
        if (++digits > 19) {
            return 0;
        }
        m = m * 10 + (uint64_t)(s[i] - '0');
    }
    if (i < len && s[i] == '.') {
        i++;
        while (m == 0 && i < len && s[i] == '0') {
            e--; /* leading zeros of the fraction: not significant */
            i++;
        }
        for (int64_t v; digits <= 11 && len - i >= 8 && (v = eight_digits(s + i)) >= 0; i += 8) {
            m = m * 100000000u + (uint64_t)v;
            digits += 8;
            e -= 8;
        }
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
            if (++digits > 19) {
                return 0;
            }
            m = m * 10 + (uint64_t)(s[i] - '0');
            e--;
        }
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-')) {
            eneg = s[i] == '-';
            i++;
        }
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
            if (ev > 1000) {
                return 0;
            }
            ev = ev * 10 + (s[i] - '0');
        }
        e += eneg ? -ev : ev;
    }
    if (i != len) {
        return 0;
    }
    if (m == 0) {
        *out = neg ? -0.0 : 0.0;
        return 1;
    }
    if (e < -27 || e > 27) {
        return 0;
    }
#if FLT_EVAL_METHOD == 0
    if (m <= ((uint64_t)1 << 53) && e >= -22 && e <= 22) {
        /* both operands exact doubles (10^22 < 2^53 * 2^22): one IEEE
         * divide or multiply, correctly rounded (Clinger's fast path) */
        static const double p10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                       1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                       1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
        const double d = e < 0 ? (double)m / p10[-e] : (double)m * p10[e];
        *out = neg ? -d : d;
        return 1;
    }
#endif
    pthread_once(&ld_once, check_long_double);
    if (!ld_exact) {
        return 0;
    }
    q = e < 0 ? (long double)m / pow10[-e] : (long double)m * pow10[e];
    memcpy(&bits, &q, sizeof(bits)); /* x87: the 64-bit significand first */
    if ((bits & 0x7FF) == 0x400) {
        return 0;
    }
    *out = neg ? -(double)q : (double)q;
    return 1;
#else
    (void)s;
    (void)len;
    (void)out;
    return 0;
#endif
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

/*
 * Length of the well-formed UTF-8 sequence at s (n bytes available), or 0:
 * the Unicode standard's table of well-formed byte sequences (Table 3-7),
 * which is what Python's strict decoder accepts - no overlong forms, no
 * encoded surrogates, nothing above U+10FFFF.
 */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    const unsigned c = s[0];
    unsigned lo = 0x80, hi = 0xBF;
    size_t len;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        lo = c == 0xE0 ? 0xA0 : 0x80;
        hi = c == 0xED ? 0x9F : 0xBF;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        lo = c == 0xF0 ? 0x90 : 0x80;
        hi = c == 0xF4 ? 0x8F : 0xBF;
    } else {
        return 0;
    }
    if (n < len || s[1] < lo || s[1] > hi) {
        return 0;
    }
    for (size_t i = 2; i < len; i++) {
        if (s[i] < 0x80 || s[i] > 0xBF) {
            return 0;
        }
    }
    return len;
}

/* A string at p->pos (the opening quote) into a NUL-terminated arena copy. */
static char *parse_string(parser *p, size_t *out_len)
{
    size_t start = ++p->pos, end = start, escapes = 0;
    char *out, *o;
    /* find the end and whether there are escapes; 8 bytes at a time while
     * none of them is '"', '\\' or a control character (exact SWAR tests:
     * a byte is zero / below n iff the expression's high bit is set
     * somewhere), resuming after each escape (COCO RLE strings hold many
     * backslashes: '\\' is one of their 64 characters) */
    for (;;) {
        unsigned char c;
        for (;;) {
            const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
            uint64_t x, q, b;
            if (end + 8 > p->len) {
                break;
            }
            memcpy(&x, p->s + end, 8);
            q = x ^ (ones * '"');
            b = x ^ (ones * '\\');
            if (((((q - ones) & ~q) | ((b - ones) & ~b) | ((x - ones * 0x20) & ~x)) | x) & high) {
                break; /* also at any byte >= 0x80: UTF-8 is checked one sequence at a time */
            }
            end += 8;
        }
        if (end >= p->len) {
            break;
        }
        c = (unsigned char)p->s[end];
        if (c == '"') {
            break;
        }
        if (c < 0x20) {
            p->pos = end;
            fail(p, MASKEVAL_JSON_FAST_SYNTAX); /* raw control character */
            return NULL;
        }
        if (c >= 0x80) {
            const size_t n = utf8_len((const unsigned char *)p->s + end, p->len - end);
            if (n == 0) {
                p->pos = end;
                fail(p, MASKEVAL_JSON_FAST_UTF8); /* json.load would raise UnicodeDecodeError */
                return NULL;
            }
            end += n;
            continue;
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
        *out_len = end - start;
        return out;
    }
    o = out;
    for (size_t i = start; i < end; i++) {
        char c;
        unsigned cp, lo;
        const char *bs = memchr(p->s + i, '\\', end - i);
        /* the plain bytes up to the next escape in one copy */
        size_t plain = bs != NULL ? (size_t)(bs - (p->s + i)) : end - i;
        memcpy(o, p->s + i, plain);
        o += plain;
        i += plain;
        if (i >= end) {
            break;
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
    *out_len = (size_t)(o - out);
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
    } else if (!maskeval_json_number_fast(p->s + start, i - start, &v)) {
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
        v = maskeval_json_strtod(buf, &end);
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

/* The key of members whose decoded key holds U+0000: no lookup matches it. */
static char nul_key[] = "\x01(a key holding U+0000)";

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
        size_t key_len = 0, key_raw;
        cJSON *child;
        skip_ws(p);
        if (object) {
            if (p->pos >= p->len || p->s[p->pos] != '"') {
                fail(p, MASKEVAL_JSON_FAST_SYNTAX);
                return NULL;
            }
            key_raw = p->pos;
            key = parse_string(p, &key_len);
            if (key == NULL) {
                return NULL;
            }
            /* only an escape (the text is longer than the key) can put a
             * NUL into a key: raw control characters are refused */
            if (p->pos - key_raw - 2 != key_len && strlen(key) != key_len) {
                /* "image_id\u0000x" is another key for Python; as a C
                 * string it would read "image_id": make it match nothing */
                key = nul_key;
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
        size_t vlen;
        n->valuestring = parse_string(p, &vlen);
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

maskeval_json_fast_err maskeval_json_fast_string(maskeval_json_arena *ar, const char *text,
                                                 size_t len, const char **out, size_t *out_len,
                                                 size_t *err_off)
{
    parser p = {ar, text, len, 0, MASKEVAL_JSON_FAST_OK};
    char *str = NULL;
    *out = NULL;
    *out_len = 0;
    if (len == 0 || text[0] != '"') {
        fail(&p, MASKEVAL_JSON_FAST_SYNTAX);
    } else {
        str = parse_string(&p, out_len);
        if (str != NULL && p.pos != len) {
            str = NULL;
            fail(&p, MASKEVAL_JSON_FAST_SYNTAX);
        }
    }
    *out = str;
    *err_off = p.pos;
    return str != NULL ? MASKEVAL_JSON_FAST_OK : p.err;
}
