/*
 * labelgen.h - synthetic label maps for the confusion tests and benchmarks:
 * piecewise-constant scenes (rectangles over a background, like real
 * segmentation maps) or per-pixel noise, with a fixed seed.
 */
#ifndef MASKEVAL_TEST_LABELGEN_H
#define MASKEVAL_TEST_LABELGEN_H

#include <stdint.h>
#include <stdlib.h>

/* xorshift64*: fast, deterministic, no libc state */
static inline uint64_t lg_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

/* Writes w*h labels (row-major) into out (bytes 1 or 2) drawn from [0, vmax]. */
static inline void lg_scene(void *out, int bytes, uint32_t w, uint32_t h, uint32_t vmax,
                            int piecewise, uint64_t seed)
{
    uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
    size_t n = (size_t)w * h;
    if (!piecewise) {
        for (size_t i = 0; i < n; i++) {
            uint32_t v = (uint32_t)(lg_next(&s) % ((uint64_t)vmax + 1));
            if (bytes == 1) {
                ((uint8_t *)out)[i] = (uint8_t)v;
            } else {
                ((uint16_t *)out)[i] = (uint16_t)v;
            }
        }
        return;
    }
    {
        uint32_t bg = (uint32_t)(lg_next(&s) % ((uint64_t)vmax + 1));
        for (size_t i = 0; i < n; i++) {
            if (bytes == 1) {
                ((uint8_t *)out)[i] = (uint8_t)bg;
            } else {
                ((uint16_t *)out)[i] = (uint16_t)bg;
            }
        }
        for (int r = 0; r < 24; r++) {
            uint32_t x0 = (uint32_t)(lg_next(&s) % w), y0 = (uint32_t)(lg_next(&s) % h);
            uint32_t rw = 1 + (uint32_t)(lg_next(&s) % (w / 3 + 1));
            uint32_t rh = 1 + (uint32_t)(lg_next(&s) % (h / 3 + 1));
            uint32_t v = (uint32_t)(lg_next(&s) % ((uint64_t)vmax + 1));
            for (uint32_t y = y0; y < y0 + rh && y < h; y++) {
                for (uint32_t x = x0; x < x0 + rw && x < w; x++) {
                    if (bytes == 1) {
                        ((uint8_t *)out)[(size_t)y * w + x] = (uint8_t)v;
                    } else {
                        ((uint16_t *)out)[(size_t)y * w + x] = (uint16_t)v;
                    }
                }
            }
        }
    }
}

/* Copies a scene and flips a fraction of pixels (as blobs) to other labels. */
static inline void lg_perturb(const void *src, void *dst, int bytes, uint32_t w, uint32_t h,
                              uint32_t vmax, uint64_t seed)
{
    uint64_t s = seed * 0xD1B54A32D192ED03ull + 7;
    size_t n = (size_t)w * h;
    for (size_t i = 0; i < n * (size_t)bytes; i++) {
        ((uint8_t *)dst)[i] = ((const uint8_t *)src)[i];
    }
    for (int r = 0; r < 12; r++) {
        uint32_t x0 = (uint32_t)(lg_next(&s) % w), y0 = (uint32_t)(lg_next(&s) % h);
        uint32_t rw = 1 + (uint32_t)(lg_next(&s) % (w / 4 + 1));
        uint32_t rh = 1 + (uint32_t)(lg_next(&s) % (h / 4 + 1));
        uint32_t v = (uint32_t)(lg_next(&s) % ((uint64_t)vmax + 1));
        for (uint32_t y = y0; y < y0 + rh && y < h; y++) {
            for (uint32_t x = x0; x < x0 + rw && x < w; x++) {
                if (bytes == 1) {
                    ((uint8_t *)dst)[(size_t)y * w + x] = (uint8_t)v;
                } else {
                    ((uint16_t *)dst)[(size_t)y * w + x] = (uint16_t)v;
                }
            }
        }
    }
}

#endif
