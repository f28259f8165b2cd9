/*
 * rle_string.c - pycocotools' compressed RLE strings.
 *
 * Each count (from the 4th on: its difference to the count two before) is a
 * signed value written as 5-bit groups, least significant first, one
 * character per group ('0' + group); bit 0x20 marks "more groups follow" and
 * bit 0x10 of the last group is the sign. pycocotools does not validate the
 * input (it hangs or reads out of bounds on bad strings); this decoder rejects
 * anything that is not a valid encoding of counts in [0, 2^32).
 */
#include <string.h>

#include "core/ctx.h"
#include "rle/rle.h"

/* 7 groups carry 35 bits: enough for every difference of two uint32 values. */
#define MAX_GROUPS 7

/* Reads the value starting at s[*p]; advances *p. */
static maskeval_rle_strerr read_value(const char *s, size_t len, size_t *p, int64_t *out)
{
    size_t start = *p;
    int64_t x = 0;
    int k = 0, more = 1;
    while (more) {
        unsigned char ch;
        int c;
        if (*p >= len) {
            *p = start;
            return MASKEVAL_RLE_STR_TRUNCATED;
        }
        ch = (unsigned char)s[*p];
        if (ch < 48 || ch > 111) {
            return MASKEVAL_RLE_STR_BAD_CHAR;
        }
        if (k == MAX_GROUPS) {
            *p = start;
            return MASKEVAL_RLE_STR_TOO_LONG;
        }
        c = ch - 48;
        x |= (int64_t)(c & 0x1f) << (5 * k);
        more = c & 0x20;
        (*p)++;
        k++;
        if (!more && (c & 0x10)) {
            x |= (int64_t)(-((uint64_t)1 << (5 * k))); /* sign-extend */
        }
    }
    *out = x;
    return MASKEVAL_RLE_STR_OK;
}

/* read_value where more than MAX_GROUPS bytes remain: no bounds checks,
 * same results and error positions. */
static inline maskeval_rle_strerr read_value_fast(const char *s, size_t *p, int64_t *out)
{
    const unsigned char *u = (const unsigned char *)s + *p;
    unsigned c = (unsigned)u[0] - 48;
    int64_t x;
    int k;
    if (c > 63) {
        return MASKEVAL_RLE_STR_BAD_CHAR;
    }
    if (!(c & 0x20)) { /* one group: most counts of a typical mask */
        *p += 1;
        *out = (c & 0x10) ? (int64_t)c - 32 : (int64_t)c;
        return MASKEVAL_RLE_STR_OK;
    }
    x = c & 0x1f;
    for (k = 1;; k++) {
        c = (unsigned)u[k] - 48;
        if (k == MAX_GROUPS && c <= 63) {
            return MASKEVAL_RLE_STR_TOO_LONG;
        }
        if (c > 63) {
            *p += (size_t)k;
            return MASKEVAL_RLE_STR_BAD_CHAR;
        }
        x |= (int64_t)(c & 0x1f) << (5 * k);
        if (!(c & 0x20)) {
            break;
        }
    }
    k++;
    if (c & 0x10) {
        x |= (int64_t)(-((uint64_t)1 << (5 * k)));
    }
    *p += (size_t)k;
    *out = x;
    return MASKEVAL_RLE_STR_OK;
}

/* The value of a one-character group c - 48 (< 32: no continuation bit),
 * sign-extended from its bit 0x10. */
#define SINGLE_VALUE(c) ((int64_t)(c) - (int64_t)(((c) & 0x10u) << 1))

/* Adds value xv (read at byte startpos) as count m: undoes the delta
 * (counts[m-2] is the base from the 4th count on), checks the range and
 * emits it; the last two counts are kept here. */
#define DECODE_PUT(EMIT, xv, startpos)                                                             \
    do {                                                                                           \
        int64_t x_ = (xv);                                                                         \
        if (m > 2) {                                                                               \
            x_ += prev2;                                                                           \
        }                                                                                          \
        if (x_ < 0 || x_ > (int64_t)UINT32_MAX) {                                                  \
            *where = (startpos);                                                                   \
            *index = m;                                                                            \
            return x_ < 0 ? MASKEVAL_RLE_STR_NEGATIVE : MASKEVAL_RLE_STR_OVERFLOW;                 \
        }                                                                                          \
        prev2 = prev1;                                                                             \
        prev1 = (uint32_t)x_;                                                                      \
        EMIT((uint32_t)x_);                                                                        \
        m++;                                                                                       \
    } while (0)

/* Decodes s, calling EMIT(count) for each count. Eight characters that are
 * all one-group values ('0'..'O', most values of a typical mask) are taken
 * at once: their loads do not wait on each other's lengths. (Taking the
 * leading one-group values of any 8, or 4 when 8 fail, measured slower.) */
#define DECODE_LOOP(EMIT)                                                                          \
    do {                                                                                           \
        size_t p = 0, m = 0;                                                                       \
        uint32_t prev2 = 0, prev1 = 0;                                                             \
        while (p < len) {                                                                          \
            size_t start = p;                                                                      \
            int64_t x;                                                                             \
            maskeval_rle_strerr e;                                                                 \
            if (len - p >= 8) {                                                                    \
                const unsigned char *u_ = (const unsigned char *)s + p;                            \
                const unsigned c0 = u_[0] - 48u, c1 = u_[1] - 48u, c2 = u_[2] - 48u,               \
                               c3 = u_[3] - 48u, c4 = u_[4] - 48u, c5 = u_[5] - 48u,               \
                               c6 = u_[6] - 48u, c7 = u_[7] - 48u;                                 \
                if ((c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7) < 32u) {                               \
                    DECODE_PUT(EMIT, SINGLE_VALUE(c0), p);                                         \
                    DECODE_PUT(EMIT, SINGLE_VALUE(c1), p + 1);                                     \
                    DECODE_PUT(EMIT, SINGLE_VALUE(c2), p + 2);                                     \
                    DECODE_PUT(EMIT, SINGLE_VALUE(c3), p + 3);                                     \
                    DECODE_PUT(EMIT, SINGLE_VALUE(c4), p + 4);                                     \
                    DECODE_PUT(EMIT, SINGLE_VALUE(c5), p + 5);                                     \
                    DECODE_PUT(EMIT, SINGLE_VALUE(c6), p + 6);                                     \
                    DECODE_PUT(EMIT, SINGLE_VALUE(c7), p + 7);                                     \
                    p += 8;                                                                        \
                    continue;                                                                      \
                }                                                                                  \
            }                                                                                      \
            e = len - p > MAX_GROUPS ? read_value_fast(s, &p, &x) : read_value(s, len, &p, &x);    \
            if (e != MASKEVAL_RLE_STR_OK) {                                                        \
                *where = p;                                                                        \
                *index = m;                                                                        \
                return e;                                                                          \
            }                                                                                      \
            DECODE_PUT(EMIT, x, start);                                                            \
        }                                                                                          \
        n_out = m;                                                                                 \
    } while (0)

maskeval_rle_strerr maskeval_rle_str_decode(const char *s, size_t len, uint32_t *counts,
                                            size_t *n, size_t *where, size_t *index)
{
    size_t n_out = 0, k = 0;
#define EMIT_STORE(v) (counts[k++] = (v))
    DECODE_LOOP(EMIT_STORE);
#undef EMIT_STORE
    *n = n_out;
    return MASKEVAL_RLE_STR_OK;
}

maskeval_rle_strerr maskeval_rle_str_scan(const char *s, size_t len, uint32_t h, uint32_t w,
                                          maskeval_rle_stats *st, size_t *where, size_t *index)
{
    size_t n_out = 0;
    maskeval_rle_acc acc;
    maskeval_rle_acc_init(&acc, h, w);
#define EMIT_ACC(v) maskeval_rle_acc_count(&acc, (v))
    DECODE_LOOP(EMIT_ACC);
#undef EMIT_ACC
    (void)n_out;
    maskeval_rle_acc_finish(&acc, st);
    return MASKEVAL_RLE_STR_OK;
}

/* Writes the foreground runs of a validated string as [start, end) pairs. */
static maskeval_rle_strerr str_intervals(const char *s, size_t len, uint32_t *iv, size_t *count,
                                         size_t *where, size_t *index)
{
    size_t n_out = 0, k = 0;
    uint64_t pos = 0;
    int one = 0;
#define EMIT_IV(v)                                                                                 \
    do {                                                                                           \
        uint32_t v_ = (v);                                                                         \
        if (one && v_ > 0) {                                                                       \
            iv[2 * k] = (uint32_t)pos;                                                             \
            iv[2 * k + 1] = (uint32_t)(pos + v_);                                                  \
            k++;                                                                                   \
        }                                                                                          \
        pos += v_;                                                                                 \
        one = !one;                                                                                \
    } while (0)
    DECODE_LOOP(EMIT_IV);
#undef EMIT_IV
    (void)n_out;
    *count = k;
    return MASKEVAL_RLE_STR_OK;
}

size_t maskeval_rle_str_intervals(const char *s, size_t len, uint32_t *iv)
{
    size_t k = 0, where, index;
    (void)str_intervals(s, len, iv, &k, &where, &index);
    return k;
}

const char *maskeval_rle_strerr_text(maskeval_rle_strerr e)
{
    switch (e) {
    case MASKEVAL_RLE_STR_OK:
        return "ok";
    case MASKEVAL_RLE_STR_BAD_CHAR:
        return "invalid character";
    case MASKEVAL_RLE_STR_TRUNCATED:
        return "truncated value (string ends inside a count)";
    case MASKEVAL_RLE_STR_TOO_LONG:
        return "value longer than 7 characters";
    case MASKEVAL_RLE_STR_NEGATIVE:
        return "negative count";
    case MASKEVAL_RLE_STR_OVERFLOW:
        return "count does not fit in 32 bits";
    }
    return "unknown error";
}

size_t maskeval_rle_str_bound(size_t n)
{
    return n * MAX_GROUPS;
}

/* Writes the characters of count i (a delta from the 4th count on). */
static size_t encode_count(const uint32_t *counts, size_t i, char *out)
{
    int64_t x = counts[i];
    size_t p = 0;
    int more = 1;
    if (i > 2) {
        x -= counts[i - 2];
    }
    while (more) {
        int c = (int)(x & 0x1f);
        x >>= 5; /* arithmetic shift: floor division by 32 */
        more = (c & 0x10) ? x != -1 : x != 0;
        if (more) {
            c |= 0x20;
        }
        out[p++] = (char)(c + 48);
    }
    return p;
}

size_t maskeval_rle_str_encode(const uint32_t *counts, size_t n, char *out)
{
    size_t p = 0;
    for (size_t i = 0; i < n; i++) {
        p += encode_count(counts, i, out + p);
    }
    return p;
}

maskeval_status maskeval_rle_to_string(const uint32_t *counts, size_t n, char *str, size_t cap,
                                       size_t *len)
{
    size_t p = 0;
    if ((counts == NULL && n != 0) || (str == NULL && cap != 0) || len == NULL) {
        return MASKEVAL_ERR_INVALID_ARG;
    }
    for (size_t i = 0; i < n; i++) {
        char buf[MAX_GROUPS];
        size_t k = encode_count(counts, i, buf);
        for (size_t j = 0; j < k; j++, p++) {
            if (p < cap) {
                str[p] = buf[j];
            }
        }
    }
    if (p < cap) {
        str[p] = '\0';
    }
    *len = p;
    return p < cap ? MASKEVAL_OK : MASKEVAL_ERR_BUFFER_TOO_SMALL;
}

maskeval_status maskeval_rle_from_string(maskeval_ctx *ctx, const char *str, size_t len,
                                         uint32_t *counts, size_t cap, size_t *n)
{
    /* Decoding needs room for at most len counts; decode into the caller's
     * buffer when it is big enough, else into scratch to learn the size. */
    maskeval_rle_strerr e;
    size_t where = 0, index = 0, m = 0;
    uint32_t *buf = counts;
    if (ctx == NULL || (str == NULL && len != 0) || n == NULL) {
        return MASKEVAL_ERR_INVALID_ARG;
    }
    if (cap < len) {
        buf = maskeval_calloc(&ctx->alloc, len, sizeof(uint32_t));
        if (buf == NULL) {
            return maskeval_nomem(ctx, "decoding an RLE string");
        }
    }
    e = maskeval_rle_str_decode(str, len, buf, &m, &where, &index);
    if (e == MASKEVAL_RLE_STR_OK && buf != counts) {
        if (m <= cap) {
            memcpy(counts, buf, m * sizeof(uint32_t));
        }
    }
    if (buf != counts) {
        maskeval_free(&ctx->alloc, buf);
    }
    if (e != MASKEVAL_RLE_STR_OK) {
        return maskeval_fail(ctx, MASKEVAL_ERR_PARSE, "RLE string: %s at byte %zu (count %zu)",
                             maskeval_rle_strerr_text(e), where, index);
    }
    *n = m;
    return m <= cap ? MASKEVAL_OK : MASKEVAL_ERR_BUFFER_TOO_SMALL;
}
