/*
 * cityscapes_files.h - finding the ground truth of `maskeval
 * cityscapes-instances` and pairing each file with its prediction text file
 * the way cityscapesScripts' getPrediction does (README "Cityscapes
 * instances").
 */
#ifndef MASKEVAL_CLI_CITYSCAPES_FILES_H
#define MASKEVAL_CLI_CITYSCAPES_FILES_H

#include <stddef.h>

typedef struct cs_pairs {
    char **gt, **pred; /* paths as found below the given folders, sorted by gt */
    size_t n;
} cs_pairs;

/* Every *_gtFine_instanceIds.png below gt_dir (recursively) and, for each,
 * the one file below pred_dir (recursively, symlinked folders not entered,
 * like os.walk) named <city>_<seq>_<frame>*.txt. 0, or -1 after printing
 * the error (no ground truth, a name that is not city_seq_frame_type,
 * no or several predictions). */
int cli_cs_pair_files(const char *gt_dir, const char *pred_dir, cs_pairs *out);
void cli_cs_pairs_free(cs_pairs *p);

#endif
