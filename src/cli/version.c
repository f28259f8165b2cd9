/*
 * version.c - `maskeval --version`: the library's version, the commit the
 * binary was built from and the build's options (gen/build_info.h, written
 * at every build by cmake/build_info.cmake).
 */
#include <stdio.h>

#include "build_info.h"
#include "cli.h"

void cli_print_version(FILE *f, const char *program)
{
    fprintf(f, "%s %s\ncommit: %s\nbuild: %s\n", program, maskeval_version(),
            MASKEVAL_BUILD_COMMIT, MASKEVAL_BUILD_OPTIONS);
}
