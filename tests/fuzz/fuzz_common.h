/*
 * fuzz_common.h - helpers shared by the libFuzzer harnesses: an input reader
 * in the spirit of FuzzedDataProvider, the once-per-process context, and the
 * check that turns a broken invariant into a crash libFuzzer records.
 */
#ifndef MASKEVAL_FUZZ_COMMON_H
#define MASKEVAL_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maskeval.h"

/* libFuzzer's entry points (defined by each harness). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A broken invariant: print where and abort (libFuzzer saves the input). */
#define FUZZ_CHECK(cond, ...)                                                                      \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(fuzz_err(), "\n%s:%d: invariant failed: %s\n  ", __FILE__, __LINE__, #cond);    \
            fprintf(fuzz_err(), __VA_ARGS__);                                                      \
            fputc('\n', fuzz_err());                                                               \
            fflush(fuzz_err());                                                                    \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* Where invariant failures are printed: the original stderr, even when a
 * harness has pointed the `stderr` stream at /dev/null (cli_args). */
static FILE *fuzz_err_stream;
static inline FILE *fuzz_err(void)
{
    return fuzz_err_stream != NULL ? fuzz_err_stream : stderr;
}

/* ---- input reader ------------------------------------------------------------ */

typedef struct fuzz_in {
    const uint8_t *p;
    size_t n;
} fuzz_in;

static inline uint8_t fuzz_u8(fuzz_in *in)
{
    uint8_t v;
    if (in->n == 0) {
        return 0;
    }
    v = in->p[0];
    in->p++;
    in->n--;
    return v;
}

static inline uint16_t fuzz_u16(fuzz_in *in)
{
    uint16_t lo = fuzz_u8(in);
    return (uint16_t)(lo | (uint16_t)fuzz_u8(in) << 8);
}

static inline uint32_t fuzz_u32(fuzz_in *in)
{
    uint32_t lo = fuzz_u16(in);
    return lo | (uint32_t)fuzz_u16(in) << 16;
}

static inline uint64_t fuzz_u64(fuzz_in *in)
{
    uint64_t lo = fuzz_u32(in);
    return lo | (uint64_t)fuzz_u32(in) << 32;
}

static inline double fuzz_f64_bits(fuzz_in *in)
{
    uint64_t b = fuzz_u64(in);
    double d;
    memcpy(&d, &b, sizeof(d));
    return d;
}

/* FNV-1a: lets a harness pick options from the whole input when the input
 * itself has to stay a plain file of some format (JSON). */
static inline uint64_t fuzz_hash(const uint8_t *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}

/* ---- the context ------------------------------------------------------------- */

/* One context per process: CPU backend, one thread (deterministic, and
 * libFuzzer runs one input at a time anyway). The library still splits
 * element parsing into several tasks, so the multi-task paths run. */
static inline maskeval_ctx *fuzz_ctx(void)
{
    static maskeval_ctx *ctx;
    if (ctx == NULL) {
        maskeval_options o;
        maskeval_options_init(&o);
        o.backend = MASKEVAL_BACKEND_CPU;
        o.threads = 1;
        if (maskeval_ctx_create(&o, &ctx) != MASKEVAL_OK) {
            fprintf(stderr, "cannot create a maskeval context: %s\n", maskeval_errmsg(ctx));
            abort();
        }
    }
    return ctx;
}

static inline void *fuzz_xmalloc(size_t n)
{
    void *p = malloc(n != 0 ? n : 1);
    if (p == NULL) {
        abort();
    }
    return p;
}

#endif
