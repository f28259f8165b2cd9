/*
 * fuzz_dataset.h - consistency checks of loaded ground truth and results
 * (the internal struct-of-arrays form of src/io/dataset.h):
 *  - images and categories sorted by id without repeats, names readable;
 *  - annotation image indices in range, aliases pointing at an annotation
 *    with the same id (the last one), counted duplicates;
 *  - every stored mask decodes (wherever its string lives: in the input
 *    buffer or the side pool), has its image's h*w pixels, and its stored
 *    area / runs / box are those of the decoded counts.
 */
#ifndef MASKEVAL_FUZZ_DATASET_H
#define MASKEVAL_FUZZ_DATASET_H

#include <math.h>
#include <string.h>

#include "fuzz_common.h"
#include "io/dataset.h"
#include "rle/rle.h"

static inline void fuzz_check_mask(const maskeval_maskset *ms, size_t i, uint32_t h, uint32_t w,
                                   const char *what)
{
    const maskeval_alloc a = {malloc, realloc, free};
    maskeval_u32vec c = {0};
    maskeval_rle_stats st;
    const char *s = maskeval_maskset_str(ms, i);
    size_t where = 0, index = 0, n = 0;
    uint32_t *tmp;
    FUZZ_CHECK(ms->len[i] > 0, "%s %zu: empty mask string", what, i);
    if (ms->off[i] & MASKEVAL_MASK_EXTRA) {
        FUZZ_CHECK((ms->off[i] & ~MASKEVAL_MASK_EXTRA) + ms->len[i] <= ms->extra_len,
                   "%s %zu: string beyond the side pool", what, i);
    }
    /* a strict decode: the stored string must be a valid encoding */
    tmp = fuzz_xmalloc(((size_t)ms->len[i] + 1) * sizeof(uint32_t));
    FUZZ_CHECK(maskeval_rle_str_decode(s, ms->len[i], tmp, &n, &where, &index) ==
                   MASKEVAL_RLE_STR_OK,
               "%s %zu: stored string does not decode (byte %zu)", what, i, where);
    free(tmp);
    FUZZ_CHECK(maskeval_maskset_decode(&a, ms, i, &c) == MASKEVAL_OK, "%s %zu: decode", what, i);
    FUZZ_CHECK(c.n == n, "%s %zu: decode_raw gives %zu counts, decode %zu", what, i, c.n, n);
    maskeval_rle_stats_of(c.v, c.n, h, w, &st);
    FUZZ_CHECK(st.total == (uint64_t)h * w, "%s %zu: %llu pixels in a %ux%u image", what, i,
               (unsigned long long)st.total, h, w);
    FUZZ_CHECK(st.area == ms->area[i] && st.runs == ms->runs[i],
               "%s %zu: stored area %u runs %u, decoded %u %u", what, i, ms->area[i], ms->runs[i],
               st.area, st.runs);
    FUZZ_CHECK(memcmp(st.box, ms->box + 4 * i, sizeof(st.box)) == 0, "%s %zu: stored box", what,
               i);
    maskeval_u32vec_free(&a, &c);
}

static inline void fuzz_check_gt(const maskeval_gt *gt)
{
    size_t ni = 0, nc = 0, na = 0, dups = 0;
    maskeval_gt_counts(gt, &ni, &nc, &na);
    FUZZ_CHECK(ni == gt->n_img && nc == gt->n_cat && na == gt->n_ann, "gt counts");
    for (size_t i = 0; i < gt->n_img; i++) {
        FUZZ_CHECK(i == 0 || gt->img_id[i - 1] < gt->img_id[i], "image ids not strictly sorted");
        /* 0 x 0: no size in the file, which only bbox-only loads accept */
        FUZZ_CHECK((gt->img_h[i] > 0 && gt->img_w[i] > 0 &&
                    (uint64_t)gt->img_h[i] * gt->img_w[i] <= UINT32_MAX) ||
                       (gt->img_h[i] == 0 && gt->img_w[i] == 0 &&
                        !(gt->flags & MASKEVAL_LOAD_SEGM)),
                   "image %zu is %ux%u", i, gt->img_h[i], gt->img_w[i]);
        FUZZ_CHECK(maskeval_gt_find_image(gt, gt->img_id[i]) == (int32_t)i, "find_image");
    }
    for (size_t k = 0; k < gt->n_cat; k++) {
        const char *name = maskeval_gt_category_name(gt, gt->cat_id[k]);
        FUZZ_CHECK(k == 0 || gt->cat_id[k - 1] < gt->cat_id[k], "category ids not strictly sorted");
        FUZZ_CHECK(name != NULL, "category %lld has no name", (long long)gt->cat_id[k]);
        (void)strlen(name);
    }
    for (size_t i = 0; i < gt->n_ann; i++) {
        int32_t img = gt->ann_img[i], al = gt->ann_alias[i];
        FUZZ_CHECK(img >= -1 && img < (int32_t)gt->n_img, "annotation %zu: image index %d", i,
                   img);
        if (img >= 0) {
            FUZZ_CHECK(maskeval_gt_find_image(gt, gt->img_id[img]) == img, "annotation image");
        }
        FUZZ_CHECK(al >= 0 && (size_t)al < gt->n_ann && gt->ann_id[al] == gt->ann_id[i] &&
                       (size_t)al >= i,
                   "annotation %zu: alias %d", i, al);
        FUZZ_CHECK(gt->ann_alias[al] == al, "alias of the alias");
        dups += (size_t)al != i;
        FUZZ_CHECK(gt->ann_crowd[i] <= 1, "crowd flag");
        if ((gt->flags & MASKEVAL_LOAD_SEGM) && img >= 0) {
            fuzz_check_mask(&gt->masks, i, gt->img_h[img], gt->img_w[img], "annotation");
        }
    }
    FUZZ_CHECK(dups == gt->n_dup_ids, "%zu annotations with repeated ids, recorded %zu", dups,
               gt->n_dup_ids);
}

static inline void fuzz_check_dets(const maskeval_gt *gt, const maskeval_dets *d)
{
    FUZZ_CHECK(d->gt == gt && d->flags == gt->flags, "dets header");
    FUZZ_CHECK(maskeval_dets_count(d) == d->n, "dets count");
    for (size_t i = 0; i < d->n; i++) {
        int32_t img = d->img[i];
        FUZZ_CHECK(img >= 0 && (size_t)img < gt->n_img, "result %zu: image index %d", i, img);
        /* area = w*h of finite boxes may overflow to +-inf, as in pycocotools */
        FUZZ_CHECK(isfinite(d->score[i]) && !isnan(d->area[i]), "result %zu: score / area", i);
        for (int j = 0; j < 4; j++) {
            FUZZ_CHECK(isfinite(d->bbox[4 * i + j]), "result %zu: box", i);
        }
        if (d->flags & MASKEVAL_LOAD_SEGM) {
            fuzz_check_mask(&d->masks, i, gt->img_h[img], gt->img_w[img], "result");
            if (!d->bbox_branch) {
                FUZZ_CHECK(d->area[i] == (double)d->masks.area[i], "result %zu: area %.17g, mask %u",
                           i, d->area[i], d->masks.area[i]);
            }
        }
    }
}

#endif
