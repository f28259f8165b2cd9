/*
 * bytes.h - little-endian writers and bounds-checked readers for maskeval's
 * binary formats (partial files). A writer with a NULL buffer only counts;
 * a reader that runs past its end sets a flag instead of reading. Also the
 * byte search of the word-at-a-time scans (PNG rows, label maps).
 */
#ifndef MASKEVAL_CORE_BYTES_H
#define MASKEVAL_CORE_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The index of the lowest-addressed nonzero byte of x (x != 0), as loaded
 * from memory by memcpy. */
static inline unsigned maskeval_first_byte(uint64_t x)
{
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return (unsigned)__builtin_ctzll(x) / 8;
#elif defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return (unsigned)__builtin_clzll(x) / 8;
#else
    unsigned char b[8];
    unsigned k = 0;
    memcpy(b, &x, 8);
    while (b[k] == 0) {
        k++;
    }
    return k;
#endif
}

typedef struct maskeval_wbuf {
    uint8_t *p;    /* NULL: count only */
    size_t cap, len;
} maskeval_wbuf;

static inline void maskeval_put_bytes(maskeval_wbuf *w, const void *src, size_t n)
{
    if (w->p != NULL && w->len + n <= w->cap && n > 0) {
        memcpy(w->p + w->len, src, n);
    }
    w->len += n;
}

static inline void maskeval_put_u64(maskeval_wbuf *w, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++) {
        b[i] = (uint8_t)(v >> (8 * i));
    }
    maskeval_put_bytes(w, b, 8);
}

static inline void maskeval_put_u32(maskeval_wbuf *w, uint32_t v)
{
    uint8_t b[4];
    for (int i = 0; i < 4; i++) {
        b[i] = (uint8_t)(v >> (8 * i));
    }
    maskeval_put_bytes(w, b, 4);
}

static inline void maskeval_put_f64(maskeval_wbuf *w, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    maskeval_put_u64(w, u);
}

typedef struct maskeval_rbuf {
    const uint8_t *p;
    size_t len, pos;
    int short_read;  /* set once a read ran past the end */
} maskeval_rbuf;

/* Whether n more bytes remain (n counted in elements of size elem). */
static inline int maskeval_rbuf_has(const maskeval_rbuf *r, uint64_t count, size_t elem)
{
    return !r->short_read && count <= (r->len - r->pos) / (elem > 0 ? elem : 1);
}

static inline const uint8_t *maskeval_get_bytes(maskeval_rbuf *r, size_t n)
{
    const uint8_t *q;
    if (r->short_read || n > r->len - r->pos) {
        r->short_read = 1;
        return NULL;
    }
    q = r->p + r->pos;
    r->pos += n;
    return q;
}

static inline uint64_t maskeval_get_u64(maskeval_rbuf *r)
{
    const uint8_t *b = maskeval_get_bytes(r, 8);
    uint64_t v = 0;
    for (int i = 7; b != NULL && i >= 0; i--) {
        v = (v << 8) | b[i];
    }
    return v;
}

static inline uint32_t maskeval_get_u32(maskeval_rbuf *r)
{
    const uint8_t *b = maskeval_get_bytes(r, 4);
    uint32_t v = 0;
    for (int i = 3; b != NULL && i >= 0; i--) {
        v = (v << 8) | b[i];
    }
    return v;
}

static inline double maskeval_get_f64(maskeval_rbuf *r)
{
    uint64_t u = maskeval_get_u64(r);
    double v;
    memcpy(&v, &u, 8);
    return v;
}

#endif
