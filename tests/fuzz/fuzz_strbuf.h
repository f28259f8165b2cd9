/*
 * fuzz_strbuf.h - a growable string for building JSON in the harnesses.
 */
#ifndef MASKEVAL_FUZZ_STRBUF_H
#define MASKEVAL_FUZZ_STRBUF_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct fuzz_sb {
    char *s;
    size_t n, cap;
} fuzz_sb;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static inline void fuzz_sb_printf(fuzz_sb *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        int w;
        size_t room = b->cap - b->n;
        va_start(ap, fmt);
        w = vsnprintf(b->s != NULL ? b->s + b->n : NULL, room, fmt, ap);
        va_end(ap);
        if (w < 0) {
            abort();
        }
        if ((size_t)w < room) {
            b->n += (size_t)w;
            return;
        }
        b->cap = (b->cap + (size_t)w + 1) * 2;
        b->s = realloc(b->s, b->cap);
        if (b->s == NULL) {
            abort();
        }
    }
}

/* Appends s[0..len) as a JSON string literal. */
static inline void fuzz_sb_json_str(fuzz_sb *b, const char *s, size_t len)
{
    fuzz_sb_printf(b, "\"");
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            fuzz_sb_printf(b, "\\%c", c);
        } else if (c < 0x20) {
            fuzz_sb_printf(b, "\\u%04x", c);
        } else {
            fuzz_sb_printf(b, "%c", c);
        }
    }
    fuzz_sb_printf(b, "\"");
}

static inline void fuzz_sb_free(fuzz_sb *b)
{
    free(b->s);
    memset(b, 0, sizeof(*b));
}

#endif
