/*
 * semantic_files.h - finding and pairing the label maps of `maskeval
 * semantic`: both folders are searched recursively and files pair by
 * relative path and stem (README "Semantic segmentation").
 */
#ifndef MASKEVAL_CLI_SEMANTIC_FILES_H
#define MASKEVAL_CLI_SEMANTIC_FILES_H

#include <stddef.h>

typedef struct sem_pairs {
    char **key;          /* the ground truth's relative path without suffix: sort order */
    char **gt, **pred;   /* paths to open */
    size_t n;
    size_t n_pred;       /* prediction files found (== n once paired) */
    size_t gt_dirs, pred_dirs; /* folders holding at least one label map */
    const char *pairing; /* "flat", "relative path" or "stem" */
} sem_pairs;

/* Lists <stem><suffix>.png below gt and pred and pairs them, sorted by key
 * (bytewise). quiet: no warnings. 0, or -1 after printing the error. */
int cli_sem_pair_files(const char *gt, const char *pred, const char *gt_suffix,
                       const char *pred_suffix, int quiet, sem_pairs *out);
void cli_sem_pairs_free(sem_pairs *p);

#endif
