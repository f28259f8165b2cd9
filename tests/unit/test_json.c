/*
 * test_json.c - the strict element parser (json_fast.c) and the structural
 * scanner: same trees as cJSON on valid JSON, correctly rounded numbers, and
 * every RFC 8259 violation refused at the right byte.
 */
#include <cjson/cJSON.h>
#include <float.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/json_fast.h"
#include "io/json_scan.h"
#include "maskeval.h"
#include "test_main.h"

static const maskeval_alloc alloc = {malloc, realloc, free};

static int same_tree(const cJSON *a, const cJSON *b)
{
    if ((a->type & 0xff) != (b->type & 0xff)) {
        return 0;
    }
    if ((a->string == NULL) != (b->string == NULL) ||
        (a->string != NULL && strcmp(a->string, b->string) != 0)) {
        return 0;
    }
    if (cJSON_IsNumber(a) && memcmp(&a->valuedouble, &b->valuedouble, sizeof(double)) != 0) {
        return 0;
    }
    if (cJSON_IsString(a) && strcmp(a->valuestring, b->valuestring) != 0) {
        return 0;
    }
    a = a->child;
    b = b->child;
    while (a != NULL && b != NULL) {
        if (!same_tree(a, b)) {
            return 0;
        }
        a = a->next;
        b = b->next;
    }
    return a == NULL && b == NULL;
}

START_TEST(test_same_as_cjson)
{
    static const char *docs[] = {
        "{\"image_id\":42,\"category_id\":18,\"bbox\":[258.15,41.29,348.26,243.78],"
        "\"score\":0.236,\"segmentation\":{\"size\":[480,640],\"counts\":\"abc\\\\de\"}}",
        "[1, -0, 0.5, 1e-7, 1E+300, -2.5e-310, 12345678901234567890, 3.141592653589793238462]",
        "{\"a\": [true, false, null, {}, [], \"\\u00e9\\u20ac\\ud83d\\ude00\\n\\t\\\"\"]}",
        "  {\"dup\": 1, \"dup\": 2}  ",
        "\"\"",
        "0",
    };
    maskeval_json_arena ar;
    maskeval_json_arena_init(&ar, &alloc);
    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        cJSON *ref = cJSON_Parse(docs[i]), *got = NULL;
        size_t off;
        ck_assert_ptr_nonnull(ref);
        ck_assert_int_eq(maskeval_json_fast_parse(&ar, docs[i], strlen(docs[i]), &got, &off),
                         MASKEVAL_JSON_FAST_OK);
        ck_assert_msg(same_tree(ref, got), "document %zu differs", i);
        cJSON_Delete(ref);
        maskeval_json_arena_reset(&ar);
    }
    maskeval_json_arena_release(&ar);
}
END_TEST

START_TEST(test_numbers_correctly_rounded)
{
    /* random decimal strings against strtod (glibc: correctly rounded) */
    unsigned seed = 7;
    maskeval_json_arena ar;
    maskeval_json_arena_init(&ar, &alloc);
    for (int it = 0; it < 200000; it++) {
        char s[64];
        int k = 0, digits = 1 + rand_r(&seed) % 25;
        cJSON *got = NULL;
        size_t off;
        double want;
        if (rand_r(&seed) % 2) {
            s[k++] = '-';
        }
        s[k++] = (char)('1' + rand_r(&seed) % 9);
        for (int d = 1; d < digits; d++) {
            s[k++] = (char)('0' + rand_r(&seed) % 10);
            if (d == digits / 2 && d < digits - 1 && rand_r(&seed) % 2) {
                s[k++] = '.';
            }
        }
        if (rand_r(&seed) % 3 == 0) {
            k += sprintf(s + k, "e%d", rand_r(&seed) % 640 - 330);
        }
        s[k] = '\0';
        want = strtod(s, NULL);
        ck_assert_int_eq(maskeval_json_fast_parse(&ar, s, (size_t)k, &got, &off),
                         MASKEVAL_JSON_FAST_OK);
        ck_assert_msg(memcmp(&got->valuedouble, &want, sizeof(double)) == 0, "%s: %a vs %a", s,
                      got->valuedouble, want);
        maskeval_json_arena_reset(&ar);
    }
    maskeval_json_arena_release(&ar);
}
END_TEST

/* One candidate for the fast path: it either declines or agrees with
 * strtod to the bit. Returns whether it took the string. */
static int fast_agrees(const char *s)
{
    double want = strtod(s, NULL), got;
    if (!maskeval_json_number_fast(s, strlen(s), &got)) {
        return 0;
    }
    ck_assert_msg(memcmp(&got, &want, sizeof(double)) == 0, "%s: fast %a, strtod %a", s, got,
                  want);
    return 1;
}

START_TEST(test_number_fast_path)
{
    /* the forms COCO files hold (float32 and float64 values printed with
     * 9, 17 or shortest digits), values next to midpoints between doubles
     * cut to 19 digits (the hardest inputs the fast path accepts), exact
     * midpoints, and plain random digit strings */
    unsigned seed = 11;
    long taken = 0, total = 0;
    static const char *fixed[] = {"9007199254740993", "9007199254740993.0", "0.1", "1e-27",
                                  "1e27", "123456789012345678.9", "0.30000000000000004",
                                  "2.2250738585072014e-308", "-0.0", "0e5", "1.7976931348623157e308",
                                  "18446744073709551615", "1844674407370955161.5",
                                  /* 8-digit blocks: whole, cut by '.', after fraction
                                   * zeros, 19 digits in blocks, 2^53 and one above */
                                  "12345678", "1234567.8", "12345678.12345678",
                                  "0.0000000012345678", "0.00000000123456789012",
                                  "1234567812345678123", "9007199254740992",
                                  "9007199254740992.1", "4503599627370497.5",
                                  "99999999.99999999", "1e22", "1e23", "12345678e-22",
                                  "0.00000000000000000000001"};
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        fast_agrees(fixed[i]);
    }
    for (int it = 0; it < 2000000; it++) {
        char s[64];
        uint64_t r = ((uint64_t)rand_r(&seed) << 33) ^ ((uint64_t)rand_r(&seed) << 11) ^
                     (uint64_t)rand_r(&seed);
        double d = (double)(r % 100000000) / (double)(1 + rand_r(&seed) % 100000);
        switch (it % 6) {
        case 0:
            snprintf(s, sizeof(s), "%.9g", (double)(float)d);
            break;
        case 1:
            snprintf(s, sizeof(s), "%.17g", (double)(float)d);
            break;
        case 2:
            snprintf(s, sizeof(s), "%.17g", d);
            break;
        case 3: {
            /* the midpoint above d, exact in long double, cut to 19 digits */
            long double m = (long double)d + ((long double)nextafter(d, INFINITY) - d) / 2;
            snprintf(s, sizeof(s), "%.18Le", m);
            break;
        }
        case 4:
            snprintf(s, sizeof(s), "%.*f", (int)(r % 12), d);
            break;
        default: {
            int k = 0, digits = 1 + (int)(r % 19);
            s[k++] = (char)('1' + rand_r(&seed) % 9);
            for (int j = 1; j < digits; j++) {
                s[k++] = (char)('0' + rand_r(&seed) % 10);
            }
            k += snprintf(s + k, sizeof(s) - (size_t)k, "e%d", (int)(r % 55) - 27);
            break;
        }
        }
        taken += fast_agrees(s);
        total++;
    }
    /* the path must really be exercised where long double is x87 */
#if LDBL_MANT_DIG == 64
    ck_assert_msg(taken > total / 2, "fast path took only %ld of %ld", taken, total);
#endif
}
END_TEST

START_TEST(test_refusals)
{
    static const struct {
        const char *doc;
        size_t at;
    } bad[] = {
        {"01", 1},            /* leading zero */
        {"[1,]", 3},          /* trailing comma */
        {"{\"a\":1,}", 7},    /* trailing comma in an object */
        {"NaN", 0},           /* Python accepts it; JSON does not */
        {"-Infinity", 1},     /* likewise */
        {"1.", 2},            /* fraction without digits */
        {".5", 0},            /* no integer part */
        {"+1", 0},            /* no plus sign */
        {"1e", 2},            /* exponent without digits */
        {"0x10", 1},          /* hexadecimal */
        {"\"a\tb\"", 2},      /* raw control character in a string */
        {"\"\\x\"", 2},       /* unknown escape */
        {"\"\\ud800\"", 6},   /* lone high surrogate */
        {"\"\\udc00\"", 6},   /* lone low surrogate */
        {"\"abc", 4},         /* unterminated string */
        {"[1 2]", 3},         /* missing comma */
        {"{1:2}", 1},         /* key not a string */
        {"{\"a\" 1}", 5},     /* missing colon */
        {"tru", 0},           /* truncated literal */
        {"[1] x", 4},         /* trailing garbage */
        {"", 0},              /* nothing */
    };
    maskeval_json_arena ar;
    maskeval_json_arena_init(&ar, &alloc);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cJSON *got = NULL;
        size_t off = 999;
        ck_assert_msg(maskeval_json_fast_parse(&ar, bad[i].doc, strlen(bad[i].doc), &got, &off) ==
                          MASKEVAL_JSON_FAST_SYNTAX,
                      "accepted %s", bad[i].doc);
        ck_assert_ptr_null(got);
        ck_assert_msg(off == bad[i].at, "%s: error at %zu, want %zu", bad[i].doc, off, bad[i].at);
        maskeval_json_arena_reset(&ar);
    }
    maskeval_json_arena_release(&ar);
}
END_TEST

START_TEST(test_string_every_position)
{
    /* the string scanner reads 8 bytes at a time: a quote, an escape, a
     * control character or a UTF-8 byte at every position of strings of
     * every length up to 40 must be handled as one byte at a time would */
    static const char specials[] = {'\t', '\x1f', '\\', '\xc3'};
    maskeval_json_arena ar;
    maskeval_json_arena_init(&ar, &alloc);
    for (size_t len = 0; len <= 40; len++) {
        for (size_t pos = 0; pos < len; pos++) {
            for (size_t k = 0; k < sizeof(specials); k++) {
                char doc[64], want[64];
                size_t n = 0, off = 999, w = 0;
                cJSON *got = NULL;
                maskeval_json_fast_err e;
                doc[n++] = '"';
                for (size_t i = 0; i < len; i++) {
                    char c = i == pos ? specials[k] : (char)('a' + i % 26);
                    doc[n++] = c;
                    if (c == '\\') {
                        doc[n++] = 'n'; /* an escape: "\n" */
                        want[w++] = '\n';
                    } else if (c == '\xc3') {
                        doc[n++] = '\xa9'; /* U+00E9 */
                        want[w++] = c;
                        want[w++] = '\xa9';
                    } else {
                        want[w++] = c;
                    }
                }
                doc[n++] = '"';
                want[w] = '\0';
                e = maskeval_json_fast_parse(&ar, doc, n, &got, &off);
                if ((unsigned char)specials[k] < 0x20) {
                    ck_assert_int_eq(e, MASKEVAL_JSON_FAST_SYNTAX);
                    ck_assert_uint_eq(off, pos + 1);
                } else {
                    ck_assert_int_eq(e, MASKEVAL_JSON_FAST_OK);
                    ck_assert_str_eq(got->valuestring, want);
                }
                /* and cut short: unterminated */
                e = maskeval_json_fast_parse(&ar, doc, n - 1, &got, &off);
                ck_assert_int_eq(e, MASKEVAL_JSON_FAST_SYNTAX);
                maskeval_json_arena_reset(&ar);
            }
        }
    }
    maskeval_json_arena_release(&ar);
}
END_TEST

/* A ~20 MB array of COCO-like objects whose strings hold ",{" (so some
 * guessed element starts of the parallel scan fall inside strings), plus
 * nested arrays and long elements. */
static char *big_array(unsigned seed, int trap, size_t *len)
{
    size_t cap = (size_t)(trap ? 32 : 24) << 20, n = 0;
    char *b = malloc(cap + 256);
    b[n++] = '[';
    for (int i = 0; n < cap - 200000; i++) { /* room for the longest element */
        int kind = rand_r(&seed) % 10;
        if (i > 0) {
            n += (size_t)sprintf(b + n, kind == 0 ? ",\n  " : ",");
        }
        if (trap && i == 1000) {
            /* 8 MB of ",{" inside one string: guesses there are wrong */
            n += (size_t)sprintf(b + n, "{\"trap\": \"");
            for (size_t j = 0; j < ((size_t)8 << 20); j += 2) {
                b[n++] = ',';
                b[n++] = '{';
            }
            n += (size_t)sprintf(b + n, "\"}");
        } else if (kind < 2) {
            n += (size_t)sprintf(b + n, "{\"name\": \"a,{\\\"b\\\",{x\", \"v\": [1, {\"c\": [2, 3]}]}");
        } else if (kind < 3) {
            size_t k = 1000 + (size_t)(rand_r(&seed) % 100000);
            n += (size_t)sprintf(b + n, "{\"counts\": \"");
            for (size_t j = 0; j < k; j++) {
                char ch = (char)(j % 7 == 0 ? ',' : j % 7 == 3 ? '{' : '0' + rand_r(&seed) % 64);
                b[n++] = ch == '\\' ? 'a' : ch;
            }
            n += (size_t)sprintf(b + n, "\"}");
        } else {
            n += (size_t)sprintf(b + n, "{\"image_id\": %d, \"score\": 0.%d}", i,
                                 rand_r(&seed) % 1000);
        }
    }
    b[n++] = ']';
    b[n] = '\0';
    *len = n;
    return b;
}

static maskeval_ctx *ctx_threads(int threads)
{
    maskeval_options o;
    maskeval_ctx *ctx = NULL;
    maskeval_options_init(&o);
    o.threads = threads;
    ck_assert_int_eq(maskeval_ctx_create(&o, &ctx), MASKEVAL_OK);
    return ctx;
}

START_TEST(test_parallel_array_scan)
{
    /* the speculative parallel scan of large arrays must find exactly the
     * serial scan's elements, and on broken input the same error; with
     * trap = 1 an 8 MB string of ",{" makes some guesses wrong, so chunks
     * are rescanned serially */
    maskeval_ctx *one = ctx_threads(1), *many = ctx_threads(4);
    for (int trap = 0; trap <= 1; trap++) {
        size_t len;
        char *b = big_array(3 + (unsigned)trap, trap, &len);
        for (int variant = 0; variant < 5; variant++) {
            maskeval_json_span *s1 = NULL, *s2 = NULL;
            size_t n1 = 0, n2 = 0, at = len / 2 + (size_t)variant * 977;
            char saved = b[at];
            maskeval_status e1, e2;
            if (variant == 1) {
                b[at] = '"'; /* breaks string structure from the middle on */
            } else if (variant == 2) {
                b[at] = ']';
            } else if (variant == 3) {
                b[at] = '\0'; /* length stays: a NUL is just another byte */
            } else if (variant == 4) {
                len -= 7; /* truncated */
            }
            e1 = maskeval_json_array_spans(one, "f.json", b, len, 0, &s1, &n1);
            e2 = maskeval_json_array_spans(many, "f.json", b, len, 0, &s2, &n2);
            ck_assert_int_eq(e1, e2);
            if (variant == 0) {
                ck_assert_int_eq(e1, MASKEVAL_OK);
            }
            if (e1 == MASKEVAL_OK) {
                ck_assert_uint_gt(n1, 1000);
                ck_assert_uint_eq(n1, n2);
                ck_assert_int_eq(memcmp(s1, s2, n1 * sizeof(*s1)), 0);
            } else {
                ck_assert_str_eq(maskeval_errmsg(one), maskeval_errmsg(many));
            }
            free(s1);
            free(s2);
            b[at] = saved;
            if (variant == 4) {
                len += 7;
            }
        }
        free(b);
    }
    maskeval_ctx_destroy(one);
    maskeval_ctx_destroy(many);
}
END_TEST

START_TEST(test_depth_limit)
{
    char *doc = malloc(2 * 1001 + 1);
    cJSON *got = NULL;
    size_t off;
    maskeval_json_arena ar;
    maskeval_json_arena_init(&ar, &alloc);
    for (int i = 0; i < 1001; i++) {
        doc[i] = '[';
        doc[1001 + i] = ']';
    }
    ck_assert_int_eq(maskeval_json_fast_parse(&ar, doc, 2002, &got, &off),
                     MASKEVAL_JSON_FAST_DEPTH);
    /* 1000 levels are fine */
    ck_assert_int_eq(maskeval_json_fast_parse(&ar, doc + 1, 2000, &got, &off),
                     MASKEVAL_JSON_FAST_OK);
    maskeval_json_arena_release(&ar);
    free(doc);
}
END_TEST

static Suite *json_suite(void)
{
    Suite *s = suite_create("json");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_same_as_cjson);
    tcase_add_test(tc, test_numbers_correctly_rounded);
    tcase_add_test(tc, test_number_fast_path);
    tcase_add_test(tc, test_refusals);
    tcase_add_test(tc, test_string_every_position);
    tcase_add_test(tc, test_depth_limit);
    tcase_add_test(tc, test_parallel_array_scan);
    suite_add_tcase(s, tc);
    return s;
}

MASKEVAL_TEST_MAIN(json_suite)
