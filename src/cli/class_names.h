/*
 * class_names.h - class names for `maskeval semantic` (--class-names).
 */
#ifndef MASKEVAL_CLI_CLASS_NAMES_H
#define MASKEVAL_CLI_CLASS_NAMES_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"

typedef struct cli_class_names {
    char **names; /* n names, UTF-8, no control characters */
    uint32_t n;
    char *source;    /* "cityscapes", "ade20k", "voc" or the file as given */
    int builtin;     /* source is a built-in table */
    uint64_t digest; /* of the file's bytes (files only) */
} cli_class_names;

/* The built-in table called key ("cityscapes", "ade20k", "voc") and its size; NULL if none. */
const char *const *cli_builtin_class_names(const char *key, uint32_t *n);

/* spec: a built-in key or a file (a JSON array of strings when its first
 * non-blank byte is '[', else one name per line). Exactly k names. Returns 0 or
 * -1 with the message in err. */
int cli_class_names_load(const char *spec, uint32_t k, cli_class_names *out, char *err,
                         size_t err_cap);
void cli_class_names_free(cli_class_names *c);

#endif
