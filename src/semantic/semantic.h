/*
 * semantic.h - the state of a semantic evaluation: the folded lookup tables,
 * the confusion counts and, for sharded runs, which items of the dataset it
 * holds. Shared by the evaluator (semantic_eval.c) and the partial codec
 * and merge (semantic_partial.c).
 */
#ifndef MASKEVAL_SEMANTIC_SEMANTIC_H
#define MASKEVAL_SEMANTIC_SEMANTIC_H

#include "core/ctx.h"
#include "semantic/confusion.h"

struct maskeval_semantic {
    maskeval_alloc alloc;
    uint32_t k;
    int64_t ignore;
    uint32_t *lut_g, *lut_p; /* 65536 entries; the first 256 serve 8-bit maps */
    maskeval_cm cm;
    uint64_t images;
    uint64_t max_pixels;     /* per PNG image; 0: the default */
    double decode_s, count_s;
    /* sharding (maskeval_semantic_set_shard); n_items = 0: not set */
    uint64_t dataset_digest;
    uint64_t n_items;
    uint8_t *held;           /* [n_items] */
    uint64_t n_held;
    char *tag;               /* caller's label, NULL for none */
    char name[256];          /* for merge messages: the file it was decoded from */
};

#endif
