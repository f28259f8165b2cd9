/*
 * digest.c - digest v1: four lanes over 8-byte little-endian words, each
 * lane h = rotl(h ^ (w * P1), 31) * P2, seeded from the length; the tail is
 * zero-padded into one last word; the lanes are combined and finished with
 * the splitmix64 finalizer. Simple, fast (several GB/s) and stable across
 * platforms; it detects accidental differences, not forgery.
 */
#include <string.h>

#include "core/digest.h"
#include "core/threadpool.h"

#define P1 0x9E3779B185EBCA87ull
#define P2 0xC2B2AE3D27D4EB4Full
#define BLOCK ((size_t)1 << 20)

static uint64_t rd64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) {
        v = (v << 8) | p[i];
    }
    return v;
}

static uint64_t rotl(uint64_t v, int r)
{
    return (v << r) | (v >> (64 - r));
}

static uint64_t lane(uint64_t h, uint64_t w)
{
    return rotl(h ^ (w * P1), 31) * P2;
}

static uint64_t fmix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

uint64_t maskeval_digest64(const void *data, size_t n)
{
    const unsigned char *p = data;
    uint64_t h[4];
    size_t i = 0;
    unsigned char tail[8];
    for (int l = 0; l < 4; l++) {
        h[l] = fmix((uint64_t)n + (uint64_t)l * P1);
    }
    for (; i + 32 <= n; i += 32) {
        h[0] = lane(h[0], rd64(p + i));
        h[1] = lane(h[1], rd64(p + i + 8));
        h[2] = lane(h[2], rd64(p + i + 16));
        h[3] = lane(h[3], rd64(p + i + 24));
    }
    for (int l = 0; i + 8 <= n; i += 8, l++) {
        h[l] = lane(h[l], rd64(p + i));
    }
    memset(tail, 0, sizeof(tail));
    if (i < n) {
        memcpy(tail, p + i, n - i);
        h[3] = lane(h[3], rd64(tail) ^ 0x80);
    }
    return fmix(rotl(h[0], 1) + rotl(h[1], 7) + rotl(h[2], 12) + rotl(h[3], 18));
}

typedef struct digest_job {
    const unsigned char *data;
    size_t n;
    unsigned char *out; /* [n_blocks * 8 + 8] little-endian */
} digest_job;

static void wr64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        p[i] = (unsigned char)(v >> (8 * i));
    }
}

static maskeval_status digest_block(void *arg, size_t b, int worker, char *err, size_t errcap)
{
    digest_job *job = arg;
    const size_t off = b * BLOCK, len = job->n - off < BLOCK ? job->n - off : BLOCK;
    (void)worker;
    (void)err;
    (void)errcap;
    wr64(job->out + 8 * b, maskeval_digest64(job->data + off, len));
    return MASKEVAL_OK;
}

maskeval_status maskeval_digest_blocks(maskeval_ctx *ctx, const void *data, size_t n,
                                       uint64_t *out)
{
    const size_t nb = (n + BLOCK - 1) / BLOCK;
    digest_job job;
    maskeval_status st;
    job.data = data;
    job.n = n;
    job.out = maskeval_calloc(&ctx->alloc, nb + 1, 8);
    if (job.out == NULL) {
        return maskeval_nomem(ctx, "computing a digest");
    }
    st = maskeval_parallel_for(ctx, nb, digest_block, &job);
    if (st == MASKEVAL_OK) {
        wr64(job.out + 8 * nb, (uint64_t)n);
        *out = maskeval_digest64(job.out, 8 * (nb + 1));
    }
    maskeval_free(&ctx->alloc, job.out);
    return st;
}
