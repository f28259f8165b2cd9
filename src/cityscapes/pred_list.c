/*
 * pred_list.c - cityscapesScripts' prediction text files (readPredInfo):
 * lines read with Python's universal newlines, split on single spaces into
 * exactly three fields, a relative mask path that must stay inside the
 * prediction root, int(float(label)) and float(confidence).
 */
#include "cityscapes/cs_instance.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const class_labels_doc = "24 25 26 27 28 31 32 33";

int cs_class_of_label(long label)
{
    static const long ids[8] = {24, 25, 26, 27, 28, 31, 32, 33};
    for (int c = 0; c < 8; c++) {
        if (ids[c] == label) {
            return c;
        }
    }
    return -1;
}

void cs_pred_list_free(const maskeval_alloc *a, cs_pred_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        maskeval_free(a, l->v[i].path);
    }
    maskeval_free(a, l->v);
    memset(l, 0, sizeof(*l));
}

char *cs_abspath(const maskeval_alloc *a, const char *path)
{
    char cwd[4096];
    size_t cap, n = 0, plen = strlen(path);
    char *joined = NULL, *out = NULL;
    if (path[0] != '/') {
        if (getcwd(cwd, sizeof(cwd)) == NULL) {
            return NULL;
        }
    } else {
        cwd[0] = '\0';
    }
    cap = strlen(cwd) + plen + 3;
    joined = maskeval_malloc(a, cap);
    out = maskeval_malloc(a, cap);
    if (joined == NULL || out == NULL) {
        maskeval_free(a, joined);
        maskeval_free(a, out);
        return NULL;
    }
    snprintf(joined, cap, "%s/%s", cwd, path);
    /* components separated by '/', folded onto out */
    for (const char *p = joined; *p != '\0';) {
        const char *q = p;
        size_t len;
        while (*q != '\0' && *q != '/') {
            q++;
        }
        len = (size_t)(q - p);
        if (len == 0 || (len == 1 && p[0] == '.')) {
            /* nothing */
        } else if (len == 2 && p[0] == '.' && p[1] == '.') {
            while (n > 0 && out[n - 1] != '/') {
                n--;
            }
            if (n > 0) {
                n--; /* the separator */
            }
        } else {
            out[n++] = '/';
            memcpy(out + n, p, len);
            n += len;
        }
        p = *q == '/' ? q + 1 : q;
    }
    if (n == 0) {
        out[n++] = '/';
    }
    out[n] = '\0';
    maskeval_free(a, joined);
    return out;
}

static int py_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r' ||
           (c >= 0x1c && c <= 0x1f);
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* digits with single underscores between them; returns the length, 0 if none */
static size_t digitpart(const char *s, size_t n, size_t i, char *buf, size_t *bn)
{
    size_t j = i;
    if (j >= n || !is_digit(s[j])) {
        return 0;
    }
    while (j < n) {
        if (is_digit(s[j])) {
            buf[(*bn)++] = s[j++];
        } else if (s[j] == '_' && j + 1 < n && is_digit(s[j + 1])) {
            j++;
        } else {
            break;
        }
    }
    return j - i;
}

static int word_ci(const char *s, size_t n, const char *w)
{
    size_t k = strlen(w);
    if (n != k) {
        return 0;
    }
    for (size_t i = 0; i < k; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z') {
            c = (char)(c - 'A' + 'a');
        }
        if (c != w[i]) {
            return 0;
        }
    }
    return 1;
}

int cs_py_float(const char *s, size_t n, double *out)
{
    char buf[512];
    size_t bn = 0, i = 0, k;
    int neg = 0, digits = 0;
    while (n > 0 && py_space(s[0])) {
        s++;
        n--;
    }
    while (n > 0 && py_space(s[n - 1])) {
        n--;
    }
    if (n == 0 || n >= sizeof(buf) - 8) {
        return 0;
    }
    if (s[0] == '+' || s[0] == '-') {
        neg = s[0] == '-';
        buf[bn++] = s[0];
        i++;
    }
    if (word_ci(s + i, n - i, "inf") || word_ci(s + i, n - i, "infinity")) {
        *out = neg ? -INFINITY : INFINITY;
        return 1;
    }
    if (word_ci(s + i, n - i, "nan")) {
        *out = neg ? -NAN : NAN;
        return 1;
    }
    k = digitpart(s, n, i, buf, &bn);
    digits += k > 0;
    i += k;
    if (i < n && s[i] == '.') {
        buf[bn++] = s[i++];
        k = digitpart(s, n, i, buf, &bn);
        digits += k > 0;
        i += k;
    }
    if (!digits) {
        return 0;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        buf[bn++] = s[i++];
        if (i < n && (s[i] == '+' || s[i] == '-')) {
            buf[bn++] = s[i++];
        }
        k = digitpart(s, n, i, buf, &bn);
        if (k == 0) {
            return 0;
        }
        i += k;
    }
    if (i != n) {
        return 0;
    }
    buf[bn] = '\0';
    errno = 0;
    *out = strtod(buf, NULL); /* correctly rounded, like Python's dtoa */
    return 1;
}

static maskeval_status add_entry(maskeval_ctx *ctx, cs_pred_list *l, char *path, long label,
                                 double conf, size_t line)
{
    for (size_t i = 0; i < l->n; i++) {
        if (strcmp(l->v[i].path, path) == 0) {
            /* a dict key set again: first position, last values */
            maskeval_free(&ctx->alloc, path);
            l->v[i].label = label;
            l->v[i].conf = conf;
            l->v[i].line = line;
            return MASKEVAL_OK;
        }
    }
    {
        void *p = l->v;
        if (maskeval_grow(&ctx->alloc, &p, &l->cap, l->n + 1, sizeof(*l->v)) != MASKEVAL_OK) {
            maskeval_free(&ctx->alloc, path);
            return maskeval_nomem(ctx, "reading a prediction list");
        }
        l->v = p;
    }
    l->v[l->n].path = path;
    l->v[l->n].label = label;
    l->v[l->n].conf = conf;
    l->v[l->n].line = line;
    l->n++;
    return MASKEVAL_OK;
}

/* One line (without its line break). */
static maskeval_status parse_line(maskeval_ctx *ctx, const char *txt, const char *dir_abs,
                                  const char *root_abs, const char *s, size_t n, size_t line,
                                  cs_pred_list *out)
{
    const char *f[3];
    size_t fl[3], nf = 0, start = 0;
    double lab, conf;
    char *rel = NULL, *joined = NULL, *abs = NULL;
    maskeval_status st = MASKEVAL_OK;
    size_t cap;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == ' ') {
            if (nf < 3) {
                f[nf] = s + start;
                fl[nf] = i - start;
            }
            nf++;
            start = i + 1;
        }
    }
    if (nf != 3) {
        return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                             "%s: line %zu: expected 3 fields separated by single spaces "
                             "(relPathToMask labelId confidence), found %zu",
                             txt, line, nf);
    }
    if (fl[0] > 0 && f[0][0] == '/') {
        return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                             "%s: line %zu: the mask path must be relative to the text file",
                             txt, line);
    }
    if (memchr(f[0], '\0', fl[0]) != NULL) {
        return maskeval_fail(ctx, MASKEVAL_ERR_PARSE, "%s: line %zu: NUL byte in the mask path",
                             txt, line);
    }
    if (!cs_py_float(f[1], fl[1], &lab)) {
        return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                             "%s: line %zu: label id '%.*s' is not a number", txt, line,
                             (int)(fl[1] > 64 ? 64 : fl[1]), f[1]);
    }
    if (isnan(lab) || isinf(lab)) {
        return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                             "%s: line %zu: label id '%.*s' is not finite", txt, line,
                             (int)(fl[1] > 64 ? 64 : fl[1]), f[1]);
    }
    lab = trunc(lab);
    if (lab < -1 || lab > 33) {
        return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                             "%s: line %zu: %.0f is not a Cityscapes label id (-1..33; the "
                             "instance classes are %s)",
                             txt, line, lab, class_labels_doc);
    }
    if (!cs_py_float(f[2], fl[2], &conf)) {
        return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                             "%s: line %zu: confidence '%.*s' is not a number", txt, line,
                             (int)(fl[2] > 64 ? 64 : fl[2]), f[2]);
    }
    if (isnan(conf)) {
        return maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                             "%s: line %zu: confidence is NaN (not supported)", txt, line);
    }
    cap = strlen(dir_abs) + fl[0] + 2;
    rel = maskeval_malloc(&ctx->alloc, fl[0] + 1);
    joined = maskeval_malloc(&ctx->alloc, cap);
    if (rel == NULL || joined == NULL) {
        st = maskeval_nomem(ctx, "reading a prediction list");
        goto done;
    }
    memcpy(rel, f[0], fl[0]);
    rel[fl[0]] = '\0';
    snprintf(joined, cap, "%s/%s", dir_abs, rel);
    abs = cs_abspath(&ctx->alloc, joined);
    if (abs == NULL) {
        st = maskeval_nomem(ctx, "reading a prediction list");
        goto done;
    }
    if (strncmp(abs, root_abs, strlen(root_abs)) != 0) {
        st = maskeval_fail(ctx, MASKEVAL_ERR_PARSE,
                           "%s: line %zu: mask %s points outside of the prediction folder %s",
                           txt, line, abs, root_abs);
        goto done;
    }
    st = add_entry(ctx, out, abs, (long)lab, conf, line);
    abs = NULL;
done:
    maskeval_free(&ctx->alloc, rel);
    maskeval_free(&ctx->alloc, joined);
    maskeval_free(&ctx->alloc, abs);
    return st;
}

maskeval_status cs_pred_list_read(maskeval_ctx *ctx, const char *txt, const char *root_abs,
                                  cs_pred_list *out)
{
    FILE *f = NULL;
    char *buf = NULL, *dir = NULL;
    size_t cap = 0, n = 0, line = 0;
    maskeval_status st = MASKEVAL_OK;

    memset(out, 0, sizeof(*out));
    f = fopen(txt, "rb");
    if (f == NULL) {
        st = maskeval_fail(ctx, MASKEVAL_ERR_IO, "%s: cannot open: %s", txt, strerror(errno));
        goto done;
    }
    for (;;) {
        size_t got;
        if (n == cap) {
            void *p = buf;
            if (maskeval_grow(&ctx->alloc, &p, &cap, n + 65536, 1) != MASKEVAL_OK) {
                st = maskeval_nomem(ctx, "reading a prediction list");
                goto done;
            }
            buf = p;
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            break;
        }
    }
    if (ferror(f)) {
        st = maskeval_fail(ctx, MASKEVAL_ERR_IO, "%s: read error: %s", txt, strerror(errno));
        goto done;
    }
    dir = cs_abspath(&ctx->alloc, txt);
    if (dir == NULL) {
        st = maskeval_nomem(ctx, "reading a prediction list");
        goto done;
    }
    *strrchr(dir, '/') = '\0'; /* os.path.dirname; "/" stays "" + "/" below */
    for (size_t i = 0; i < n && st == MASKEVAL_OK;) {
        size_t j = i, next;
        while (j < n && buf[j] != '\n' && buf[j] != '\r') {
            j++;
        }
        /* Python's universal newlines: \n, \r\n and a lone \r end a line */
        next = j + (j < n && buf[j] == '\r' && j + 1 < n && buf[j + 1] == '\n' ? 2 : j < n ? 1 : 0);
        line++;
        st = parse_line(ctx, txt, dir, root_abs, buf + i, j - i, line, out);
        i = next;
    }
done:
    if (f != NULL) {
        fclose(f);
    }
    maskeval_free(&ctx->alloc, buf);
    maskeval_free(&ctx->alloc, dir);
    if (st != MASKEVAL_OK) {
        cs_pred_list_free(&ctx->alloc, out);
    }
    return st;
}
