/*
 * cl_sources.h - the OpenCL sources embedded at build time (cl/embed.cmake
 * turns each cl/<stem>.cl into maskeval_clsrc_<stem>[], NUL-terminated and
 * starting with a #line directive naming the file).
 */
#ifndef MASKEVAL_BACKEND_CL_SOURCES_H
#define MASKEVAL_BACKEND_CL_SOURCES_H

#include <stddef.h>

extern const char maskeval_clsrc_common[];
extern const size_t maskeval_clsrc_common_len;
extern const char maskeval_clsrc_pair_intersect[];
extern const size_t maskeval_clsrc_pair_intersect_len;
extern const char maskeval_clsrc_mask_bands[];
extern const size_t maskeval_clsrc_mask_bands_len;
extern const char maskeval_clsrc_segment_pairs[];
extern const size_t maskeval_clsrc_segment_pairs_len;
extern const char maskeval_clsrc_confusion[];
extern const size_t maskeval_clsrc_confusion_len;

#endif
