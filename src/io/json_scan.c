/*
 * json_scan.c - structural JSON scanning (see json_scan.h). Strings are
 * skipped with memchr-style searches for the closing quote, which is what
 * dominates COCO results files (RLE strings).
 */
#include "io/json_scan.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/threadpool.h"

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

/* Whether any byte of x is zero (exact as a yes/no answer). */
#define HAS_ZERO_BYTE(x) (((x) - 0x0101010101010101ULL) & ~(x) & 0x8080808080808080ULL)

/* The first position from p on (at most len) that may hold a quote or a
 * bracket, 8 bytes at a time: polygon coordinates and boxes are long runs
 * of bytes that are neither. '[' ']' '{' '}' are the bytes c with
 * (c & 0xd9) == 0x59 (so are 'Y' '_' 'y' and DEL, which the caller then
 * looks at and passes). */
static size_t skip_plain(const char *buf, size_t len, size_t p)
{
    while (len - p >= 8) {
        uint64_t x, brackets, quotes;
        memcpy(&x, buf + p, 8);
        brackets = (x & 0xd9d9d9d9d9d9d9d9ULL) ^ 0x5959595959595959ULL;
        quotes = x ^ 0x2222222222222222ULL;
        if (HAS_ZERO_BYTE(brackets) | HAS_ZERO_BYTE(quotes)) {
            break;
        }
        p += 8;
    }
    return p;
}

/* Where and why a scan stopped (what may be NULL). */
typedef struct scan_err {
    size_t off;
    const char *what;
} scan_err;

/* The span of the value at pos (after whitespace), without a context so
 * that scanning threads can use it; 0 and *e on a syntax error. */
static int span_core(const char *buf, size_t len, size_t pos, maskeval_json_span *out,
                     scan_err *e)
{
    size_t p = maskeval_json_skip_ws(buf, len, pos), start = p;
    e->what = NULL;
    if (p >= len) {
        e->off = p;
        return 0;
    }
    if (buf[p] == '"') {
        p = skip_string(buf, len, p);
        if (p == UNTERMINATED) {
            e->off = len;
            return 0;
        }
    } else if (buf[p] == '{' || buf[p] == '[') {
        /* Track nesting with the kind of each open bracket (cJSON's nesting
         * limit applies, so a fixed stack is enough). */
        char stack[MAX_DEPTH];
        size_t depth = 0;
        for (; p < len; p++) {
            char c;
            p = skip_plain(buf, len, p);
            if (p >= len) {
                break;
            }
            c = buf[p];
            if (c == '"') {
                p = skip_string(buf, len, p);
                if (p == UNTERMINATED) {
                    break;
                }
                p--;
            } else if (c == '{' || c == '[') {
                if (depth == MAX_DEPTH) {
                    e->off = p;
                    e->what = "nesting deeper than 1000 levels";
                    return 0;
                }
                stack[depth++] = c == '{' ? '}' : ']';
            } else if (c == '}' || c == ']') {
                if (stack[depth - 1] != c) {
                    e->off = p;
                    return 0;
                }
                if (--depth == 0) {
                    p++;
                    break;
                }
            }
        }
        if (depth != 0) {
            e->off = len;
            return 0;
        }
    } else {
        /* number or literal: up to the next delimiter */
        while (p < len && buf[p] != ',' && buf[p] != ']' && buf[p] != '}' && !is_ws(buf[p])) {
            p++;
        }
        if (p == start) {
            e->off = p;
            e->what = "expected a value";
            return 0;
        }
    }
    out->off = start;
    out->len = p - start;
    return 1;
}

maskeval_status maskeval_json_value_span(maskeval_ctx *ctx, const char *name, const char *buf,
                                         size_t len, size_t pos, maskeval_json_span *out)
{
    scan_err e;
    if (span_core(buf, len, pos, out, &e)) {
        return MASKEVAL_OK;
    }
    return maskeval_json_syntax_error(ctx, name, buf, len, e.off, e.what);
}

/* The element loop of an array from the value starting at p (after '[' or
 * ','). Appends spans to *v until the array's ']' (*closed = 1) or, when
 * stop is not SIZE_MAX, until the next element would start at or beyond
 * stop (*at: that element's start). 0 on a syntax error (*e) or when out of
 * memory (e->off = SIZE_MAX). */
static int element_loop(const maskeval_alloc *a, const char *buf, size_t len, size_t p,
                        size_t stop, maskeval_json_span **v, size_t *count, size_t *cap,
                        size_t *at, int *closed, scan_err *e)
{
    *closed = 0;
    for (;;) {
        maskeval_json_span sp;
        if (!span_core(buf, len, p, &sp, e)) {
            return 0;
        }
        if (*count == *cap) {
            void *q = *v;
            if (maskeval_grow(a, &q, cap, *count + 1, sizeof(**v)) != MASKEVAL_OK) {
                e->off = SIZE_MAX;
                return 0;
            }
            *v = q;
        }
        (*v)[(*count)++] = sp;
        p = maskeval_json_skip_ws(buf, len, sp.off + sp.len);
        if (p < len && buf[p] == ',') {
            p = maskeval_json_skip_ws(buf, len, p + 1);
            if (p >= stop) {
                *at = p;
                return 1;
            }
            continue;
        }
        if (p < len && buf[p] == ']') {
            *closed = 1;
            *at = p;
            return 1;
        }
        e->off = p;
        e->what = "expected ',' or ']'";
        return 0;
    }
}

/*
 * Large arrays are scanned speculatively on all threads. Chunk i starts at
 * a guessed element start g[i] (a ',' then '{' after an even split point)
 * and scans elements until the next one would start at or past g[i+1]. If
 * chunk 0 (which starts at the true first element) stops exactly at g[1],
 * g[1] is a true element start, and so on by induction: when every chunk
 * ends exactly where the next begins and the last one reaches ']', the spans
 * are those of the serial scan. Anything else (a wrong guess, a syntax
 * error) falls back to the serial scan, which also words the error.
 */
#define SPEC_MIN ((size_t)16 << 20)
#define SPEC_CHUNK ((size_t)4 << 20)

typedef struct spec_chunk {
    size_t start, stop; /* stop: the next chunk's start, or SIZE_MAX */
    maskeval_json_span *v;
    size_t n, cap;
    int ok, closed;
} spec_chunk;

typedef struct spec_job {
    const maskeval_alloc *a;
    const char *buf;
    size_t len;
    spec_chunk *c;
} spec_job;

static maskeval_status spec_scan(void *arg, size_t i, int worker, char *err, size_t errcap)
{
    spec_job *job = arg;
    spec_chunk *c = &job->c[i];
    size_t at = 0;
    scan_err e;
    (void)worker;
    (void)err;
    (void)errcap;
    /* a chunk that started inside a string may read garbage as one huge
     * value: scanning far past its end means the guess was wrong (or an
     * element is huge), and the serial scan takes over */
    size_t lim = job->len;
    if (c->stop != SIZE_MAX && c->stop + (c->stop - c->start) + SPEC_CHUNK < lim) {
        lim = c->stop + (c->stop - c->start) + SPEC_CHUNK;
    }
    c->ok = element_loop(job->a, job->buf, lim, c->start, c->stop, &c->v, &c->n, &c->cap, &at,
                         &c->closed, &e) &&
            (c->closed ? c->stop == SIZE_MAX : at == c->stop);
    return MASKEVAL_OK;
}

/* A guessed element start at or after from: the first ',' followed by
 * whitespace and '{' (COCO arrays hold objects); SIZE_MAX if none. */
static size_t guess_start(const char *buf, size_t len, size_t from)
{
    while (from < len) {
        const char *q = memchr(buf + from, ',', len - from);
        size_t p;
        if (q == NULL) {
            return SIZE_MAX;
        }
        p = maskeval_json_skip_ws(buf, len, (size_t)(q - buf) + 1);
        if (p < len && buf[p] == '{') {
            return p;
        }
        from = (size_t)(q - buf) + 1;
    }
    return SIZE_MAX;
}

/* Appends n spans to *v. */
static int append_spans(const maskeval_alloc *a, maskeval_json_span **v, size_t *count,
                        size_t *cap, const maskeval_json_span *src, size_t n)
{
    void *q = *v;
    if (n == 0) {
        return 1;
    }
    if (maskeval_grow(a, &q, cap, *count + n, sizeof(**v)) != MASKEVAL_OK) {
        return 0;
    }
    *v = q;
    memcpy(*v + *count, src, n * sizeof(**v));
    *count += n;
    return 1;
}

/* The array's elements from its first element at `first`, scanned in
 * parallel chunks; chunks whose guess proved wrong are rescanned serially
 * from the last known element start, so the result (spans or the first
 * syntax error) is the serial scan's. */
static maskeval_status spec_array(maskeval_ctx *ctx, const char *name, const char *buf,
                                  size_t len, size_t first, maskeval_json_span **spans, size_t *n)
{
    const maskeval_alloc *a = &ctx->alloc;
    size_t want = (len - first) / SPEC_CHUNK, nc = 0, count = 0, cap = 0, cursor = first;
    maskeval_json_span *v = NULL;
    maskeval_status st = MASKEVAL_OK;
    spec_chunk *c;
    spec_job job;
    int done = 0;
    if (want > (size_t)ctx->threads * 8) {
        want = (size_t)ctx->threads * 8;
    }
    c = maskeval_calloc(a, want + 1, sizeof(*c));
    if (c == NULL) {
        return maskeval_nomem(ctx, "scanning JSON");
    }
    c[nc++].start = first;
    for (size_t i = 1; i < want; i++) {
        size_t g = guess_start(buf, len, first + (len - first) / want * i);
        if (g != SIZE_MAX && g > c[nc - 1].start) {
            c[nc++].start = g;
        }
    }
    for (size_t i = 0; i < nc; i++) {
        c[i].stop = i + 1 < nc ? c[i + 1].start : SIZE_MAX;
    }
    job.a = a;
    job.buf = buf;
    job.len = len;
    job.c = c;
    if (maskeval_parallel_for(ctx, nc, spec_scan, &job) != MASKEVAL_OK) {
        ctx->errmsg[0] = '\0'; /* cannot fail; if it did, every chunk is redone below */
        for (size_t i = 0; i < nc; i++) {
            c[i].ok = 0;
        }
    }
    for (size_t i = 0; i < nc && !done; i++) {
        if (c[i].start == cursor && c[i].ok) {
            /* started at a true element start and ended where chunk i+1 begins */
            if (!append_spans(a, &v, &count, &cap, c[i].v, c[i].n)) {
                st = maskeval_nomem(ctx, "scanning JSON");
                break;
            }
            done = c[i].closed;
            cursor = c[i].stop;
        } else if (cursor < c[i].stop) {
            /* the guess was wrong: scan serially from the last true start */
            size_t at = 0;
            int closed = 0;
            scan_err e;
            if (!element_loop(a, buf, len, cursor, c[i].stop, &v, &count, &cap, &at, &closed,
                              &e)) {
                st = e.off == SIZE_MAX ? maskeval_nomem(ctx, "scanning JSON")
                                       : maskeval_json_syntax_error(ctx, name, buf, len, e.off,
                                                                    e.what);
                break;
            }
            done = closed;
            cursor = at;
        }
    }
    for (size_t i = 0; i < nc; i++) {
        maskeval_free(a, c[i].v);
    }
    maskeval_free(a, c);
    if (st != MASKEVAL_OK) {
        maskeval_free(a, v);
        return st;
    }
    *spans = v;
    *n = count;
    return MASKEVAL_OK;
}

maskeval_status maskeval_json_array_spans(maskeval_ctx *ctx, const char *name, const char *buf,
                                          size_t len, size_t pos, maskeval_json_span **spans,
                                          size_t *n)
{
    maskeval_json_span *v = NULL;
    size_t cap = 0, count = 0, at = 0, p = maskeval_json_skip_ws(buf, len, pos);
    int closed = 0;
    scan_err e;

    *spans = NULL;
    *n = 0;
    if (p >= len || buf[p] != '[') {
        return maskeval_json_syntax_error(ctx, name, buf, len, p, "expected an array");
    }
    p = maskeval_json_skip_ws(buf, len, p + 1);
    if (p < len && buf[p] == ']') {
        return MASKEVAL_OK;
    }
    if (len - p >= SPEC_MIN && ctx->threads > 1) {
        return spec_array(ctx, name, buf, len, p, spans, n);
    }
    if (!element_loop(&ctx->alloc, buf, len, p, SIZE_MAX, &v, &count, &cap, &at, &closed, &e)) {
        maskeval_free(&ctx->alloc, v);
        if (e.off == SIZE_MAX) {
            return maskeval_nomem(ctx, "scanning JSON");
        }
        return maskeval_json_syntax_error(ctx, name, buf, len, e.off, e.what);
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

/* One level of the path to an offset: an array index or an object key. */
typedef struct path_frame {
    int is_obj, want_key;
    size_t index, key_off, key_len;
} path_frame;

#define PATH_DEPTH 32

static size_t append_text(char *out, size_t cap, size_t n, const char *s, size_t len)
{
    for (size_t i = 0; i < len && n + 1 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        out[n++] = c >= 32 && c < 127 ? (char)c : '?';
    }
    out[n < cap ? n : cap - 1] = '\0';
    return n;
}

/* "<pre><v><post>" */
static size_t append_index(char *out, size_t cap, size_t n, const char *pre, size_t v,
                           const char *post)
{
    char t[64];
    int k = snprintf(t, sizeof(t), "%s%zu%s", pre, v, post);
    return append_text(out, cap, n, t, k > 0 ? (size_t)k : 0);
}

void maskeval_json_path_at(const char *buf, size_t len, size_t start, size_t off,
                           const char *element, char *out, size_t cap)
{
    path_frame f[PATH_DEPTH];
    size_t depth = 0, p = element != NULL ? start : 0, n = 0, rest; /* depth may exceed PATH_DEPTH: frames kept up to it */

    if (cap == 0) {
        return;
    }
    out[0] = '\0';
    if (off > len) {
        off = len;
    }
    while (p < off) {
        char c = buf[p];
        path_frame *top = depth > 0 && depth <= PATH_DEPTH ? &f[depth - 1] : NULL;
        if (c == '"') {
            size_t e = skip_string(buf, len, p);
            if (e == UNTERMINATED || e > off) {
                break; /* off is inside this string */
            }
            if (top != NULL && top->is_obj && top->want_key) {
                top->key_off = p + 1;
                top->key_len = e - p - 2;
                top->want_key = 0;
            }
            p = e;
            continue;
        }
        if (c == '{' || c == '[') {
            if (depth < PATH_DEPTH) {
                f[depth].is_obj = c == '{';
                f[depth].want_key = 1;
                f[depth].index = 0;
                f[depth].key_off = f[depth].key_len = 0;
            }
            depth++;
        } else if ((c == '}' || c == ']') && depth > 0) {
            depth--;
        } else if (c == ',' && top != NULL) {
            top->index++;
            top->want_key = 1;
        }
        p++;
    }
    if (depth > PATH_DEPTH) {
        depth = PATH_DEPTH;
    }
    if (element != NULL) {
        n = append_text(out, cap, n, element, strlen(element));
        rest = 0;
    } else if (depth == 0 || (f[0].is_obj && f[0].want_key)) {
        return;
    } else if (!f[0].is_obj) {
        /* the element: "result N" of a results array, or "key" / "key[N]"
         * of the ground truth's object; then the path inside it */
        n = append_index(out, cap, n, "result ", f[0].index, "");
        rest = 1;
    } else {
        n = append_text(out, cap, n, buf + f[0].key_off, f[0].key_len < 40 ? f[0].key_len : 40);
        rest = 1;
        if (depth > 1 && !f[1].is_obj) {
            n = append_index(out, cap, n, "[", f[1].index, "]");
            rest = 2;
        }
    }
    for (size_t d = rest; d < depth; d++) {
        if (f[d].is_obj && f[d].want_key) {
            break; /* off is at a key, not inside a member's value */
        }
        if (d == rest) {
            n = append_text(out, cap, n, ": ", 2);
        }
        if (!f[d].is_obj) {
            n = append_index(out, cap, n, "[", f[d].index, "]");
        } else {
            if (d != rest) {
                n = append_text(out, cap, n, ".", 1);
            }
            n = append_text(out, cap, n, buf + f[d].key_off, f[d].key_len < 40 ? f[d].key_len : 40);
        }
    }
}
