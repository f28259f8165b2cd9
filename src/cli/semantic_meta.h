/*
 * semantic_meta.h - what a semantic report shows besides the counts: the
 * class names and the parameters of the run. One run and `maskeval merge`
 * render the report from the same string (a partial's tag), so a merged
 * --json is byte for byte the one-process one.
 */
#ifndef MASKEVAL_CLI_SEMANTIC_META_H
#define MASKEVAL_CLI_SEMANTIC_META_H

#include <stdint.h>

#include "class_names.h"
#include "cli.h"

#define CLI_SEM_META_PREFIX "maskeval-semantic-meta/1 "

typedef struct cli_sem_run_info {
    const sem_opts *o;
    const cli_class_names *names; /* n == 0: none */
    const char *pairing;          /* "flat", "relative path" or "stem" */
} cli_sem_run_info;

/* The tag for a run (malloc'd), or NULL after printing an error. */
char *cli_sem_meta_encode(const cli_sem_run_info *info);

#endif
