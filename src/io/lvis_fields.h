/*
 * lvis_fields.h - reading and querying the LVIS-only ground-truth fields
 * (MASKEVAL_LOAD_LVIS; spec lvis.md 1.1).
 */
#ifndef MASKEVAL_IO_LVIS_FIELDS_H
#define MASKEVAL_IO_LVIS_FIELDS_H

#include <cjson/cJSON.h>

#include "io/dataset.h"

/* winner[m]: the index in the file's array of the entry that sorted entry m
 * of gt (images or categories) came from (the last with its id). */
maskeval_status maskeval_lvis_images(maskeval_ctx *ctx, maskeval_gt *gt, const cJSON *images,
                                     const char *file, const uint32_t *winner);
maskeval_status maskeval_lvis_categories(maskeval_ctx *ctx, maskeval_gt *gt, const cJSON *cats,
                                         const char *file, const uint32_t *winner);

/* Whether cat_id is in image img's neg_category_ids / not_exhaustive_category_ids. */
int maskeval_lvis_is_neg(const maskeval_gt *gt, int32_t img, int64_t cat_id);
int maskeval_lvis_is_not_exhaustive(const maskeval_gt *gt, int32_t img, int64_t cat_id);

#endif
