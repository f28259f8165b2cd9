/*
 * json_scan.c - structural JSON scanning (see json_scan.h). Strings are
 * skipped with memchr-style searches for the closing quote, which is what
 * dominates COCO results files (RLE strings).
 */
#include "io/json_scan.h"

#include <string.h>

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

size_t maskeval_json_skip_ws(const char *buf, size_t len, size_t pos)
{
    while (pos < len && is_ws(buf[pos])) {
        pos++;
    }
    return pos;
}

maskeval_status maskeval_json_syntax_error(maskeval_ctx *ctx, const char *name, const char *buf,
                                           size_t len, size_t off, const char *what)
{
    size_t line = 1, col = 1;
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
    if (off >= len) {
        return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                             "%s: invalid JSON: unexpected end of input at line %zu (truncated "
                             "file?)",
                             name, line);
    }
    return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                         "%s: invalid JSON at line %zu, column %zu (byte %zu)%s%s", name, line, col,
                         off, what != NULL ? ": " : "", what != NULL ? what : "");
}

#define UNTERMINATED ((size_t)-1)
#define MAX_DEPTH 1000

/* Position just after the string whose opening quote is at pos, or
 * UNTERMINATED. */
static size_t skip_string(const char *buf, size_t len, size_t pos)
{
    pos++;
    while (pos < len) {
        const char *q = memchr(buf + pos, '"', len - pos);
        size_t k, bs = 0;
        if (q == NULL) {
            return UNTERMINATED;
        }
        k = (size_t)(q - buf);
        /* the quote is escaped if an odd number of backslashes precede it */
        while (k > pos + bs && buf[k - 1 - bs] == '\\') {
            bs++;
        }
        if (bs % 2 == 0) {
            return k + 1;
        }
        pos = k + 1;
    }
    return UNTERMINATED;
}

maskeval_status maskeval_json_value_span(maskeval_ctx *ctx, const char *name, const char *buf,
                                         size_t len, size_t pos, maskeval_json_span *out)
{
    size_t p = maskeval_json_skip_ws(buf, len, pos), start = p;
    if (p >= len) {
        return maskeval_json_syntax_error(ctx, name, buf, len, p, NULL);
    }
    if (buf[p] == '"') {
        p = skip_string(buf, len, p);
        if (p == UNTERMINATED) {
            return maskeval_json_syntax_error(ctx, name, buf, len, len, NULL);
        }
    } else if (buf[p] == '{' || buf[p] == '[') {
        /* Track nesting with the kind of each open bracket (cJSON's nesting
         * limit applies, so a fixed stack is enough). */
        char stack[MAX_DEPTH];
        size_t depth = 0;
        for (; p < len; p++) {
            char c = buf[p];
            if (c == '"') {
                p = skip_string(buf, len, p);
                if (p == UNTERMINATED) {
                    break;
                }
                p--;
            } else if (c == '{' || c == '[') {
                if (depth == MAX_DEPTH) {
                    return maskeval_json_syntax_error(ctx, name, buf, len, p,
                                                      "nesting deeper than 1000 levels");
                }
                stack[depth++] = c == '{' ? '}' : ']';
            } else if (c == '}' || c == ']') {
                if (stack[depth - 1] != c) {
                    return maskeval_json_syntax_error(ctx, name, buf, len, p, NULL);
                }
                if (--depth == 0) {
                    p++;
                    break;
                }
            }
        }
        if (depth != 0) {
            return maskeval_json_syntax_error(ctx, name, buf, len, len, NULL);
        }
    } else {
        /* number or literal: up to the next delimiter */
        while (p < len && buf[p] != ',' && buf[p] != ']' && buf[p] != '}' && !is_ws(buf[p])) {
            p++;
        }
        if (p == start) {
            return maskeval_json_syntax_error(ctx, name, buf, len, p, "expected a value");
        }
    }
    out->off = start;
    out->len = p - start;
    return MASKEVAL_OK;
}

maskeval_status maskeval_json_array_spans(maskeval_ctx *ctx, const char *name, const char *buf,
                                          size_t len, size_t pos, maskeval_json_span **spans,
                                          size_t *n)
{
    maskeval_json_span *v = NULL;
    size_t cap = 0, count = 0, p = maskeval_json_skip_ws(buf, len, pos);
    maskeval_status st = MASKEVAL_OK;

    *spans = NULL;
    *n = 0;
    if (p >= len || buf[p] != '[') {
        return maskeval_json_syntax_error(ctx, name, buf, len, p, "expected an array");
    }
    p = maskeval_json_skip_ws(buf, len, p + 1);
    if (p < len && buf[p] == ']') {
        return MASKEVAL_OK;
    }
    for (;;) {
        maskeval_json_span s;
        st = maskeval_json_value_span(ctx, name, buf, len, p, &s);
        if (st != MASKEVAL_OK) {
            break;
        }
        if (count == cap) {
            void *q = v;
            if (maskeval_grow(&ctx->alloc, &q, &cap, count + 1, sizeof(*v)) != MASKEVAL_OK) {
                st = maskeval_nomem(ctx, "scanning JSON");
                break;
            }
            v = q;
        }
        v[count++] = s;
        p = maskeval_json_skip_ws(buf, len, s.off + s.len);
        if (p < len && buf[p] == ',') {
            p++;
            continue;
        }
        if (p < len && buf[p] == ']') {
            break;
        }
        st = maskeval_json_syntax_error(ctx, name, buf, len, p, "expected ',' or ']'");
        break;
    }
    if (st != MASKEVAL_OK) {
        maskeval_free(&ctx->alloc, v);
        return st;
    }
    *spans = v;
    *n = count;
    return MASKEVAL_OK;
}

maskeval_status maskeval_json_object_spans(maskeval_ctx *ctx, const char *name, const char *buf,
                                           size_t len, size_t pos,
                                           maskeval_json_member_span **members, size_t *n)
{
    maskeval_json_member_span *v = NULL;
    size_t cap = 0, count = 0, p = maskeval_json_skip_ws(buf, len, pos);
    maskeval_status st = MASKEVAL_OK;

    *members = NULL;
    *n = 0;
    if (p >= len || buf[p] != '{') {
        return maskeval_json_syntax_error(ctx, name, buf, len, p, "expected an object");
    }
    p = maskeval_json_skip_ws(buf, len, p + 1);
    if (p < len && buf[p] == '}') {
        return MASKEVAL_OK;
    }
    for (;;) {
        maskeval_json_member_span m;
        size_t kend;
        if (p >= len || buf[p] != '"') {
            st = maskeval_json_syntax_error(ctx, name, buf, len, p, "expected a key");
            break;
        }
        kend = skip_string(buf, len, p);
        if (kend == UNTERMINATED) {
            st = maskeval_json_syntax_error(ctx, name, buf, len, len, NULL);
            break;
        }
        m.key.off = p + 1;
        m.key.len = kend > p + 1 ? kend - p - 2 : 0;
        p = maskeval_json_skip_ws(buf, len, kend);
        if (p >= len || buf[p] != ':') {
            st = maskeval_json_syntax_error(ctx, name, buf, len, p, "expected ':'");
            break;
        }
        st = maskeval_json_value_span(ctx, name, buf, len, p + 1, &m.value);
        if (st != MASKEVAL_OK) {
            break;
        }
        if (count == cap) {
            void *q = v;
            if (maskeval_grow(&ctx->alloc, &q, &cap, count + 1, sizeof(*v)) != MASKEVAL_OK) {
                st = maskeval_nomem(ctx, "scanning JSON");
                break;
            }
            v = q;
        }
        v[count++] = m;
        p = maskeval_json_skip_ws(buf, len, m.value.off + m.value.len);
        if (p < len && buf[p] == ',') {
            p = maskeval_json_skip_ws(buf, len, p + 1);
            continue;
        }
        if (p < len && buf[p] == '}') {
            break;
        }
        st = maskeval_json_syntax_error(ctx, name, buf, len, p, "expected ',' or '}'");
        break;
    }
    if (st != MASKEVAL_OK) {
        maskeval_free(&ctx->alloc, v);
        return st;
    }
    *members = v;
    *n = count;
    return MASKEVAL_OK;
}
