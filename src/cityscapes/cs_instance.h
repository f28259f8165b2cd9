/*
 * cs_instance.h - internals of the Cityscapes instance-level evaluation:
 * the prediction text files (pred_list.c), the per-image assignment of
 * predictions to ground-truth instances (instance_match.c) and the AP
 * arithmetic (instance_ap.c).
 */
#ifndef MASKEVAL_CITYSCAPES_CS_INSTANCE_H
#define MASKEVAL_CITYSCAPES_CS_INSTANCE_H

#include <stddef.h>
#include <stdint.h>

#include "core/ctx.h"

/* One line of a prediction text file, after the reference's dict update:
 * a mask named twice keeps its first position and its last label and score. */
typedef struct cs_pred_entry {
    char *path;   /* absolute, normalised like os.path.abspath */
    long label;   /* int(float(field 2)), a Cityscapes label id (-1..33) */
    double conf;  /* float(field 3) */
    size_t line;  /* the (last) line that named it, 1-based */
} cs_pred_entry;

typedef struct cs_pred_list {
    cs_pred_entry *v;
    size_t n, cap;
} cs_pred_list;

/* Reads txt (named `shown` in messages) whose masks must lie under root_abs. */
maskeval_status cs_pred_list_read(maskeval_ctx *ctx, const char *txt, const char *root_abs,
                                  cs_pred_list *out);
void cs_pred_list_free(const maskeval_alloc *a, cs_pred_list *l);

/* os.path.abspath: joined to the working directory when relative, then
 * normalised lexically ("." and empty parts dropped, ".." folded, no
 * symlinks followed). Allocated with a; NULL when out of memory. */
char *cs_abspath(const maskeval_alloc *a, const char *path);

/* Python's float(): optional surrounding whitespace, underscores between
 * digits, inf/infinity/nan; 0 when Python would raise ValueError. */
int cs_py_float(const char *s, size_t n, double *out);

/* Class index (0..7) of a Cityscapes label id, -1 for the others. */
int cs_class_of_label(long label);

/* The per-class records instance_match.c builds and instance_ap.c reads. */
typedef struct cs_gt {
    uint32_t inst_id;
    uint64_t pixels;
} cs_gt;

typedef struct cs_pred {
    uint64_t pixels, void_inter;
    double conf;
    size_t link0, n_links; /* into the class's links */
} cs_pred;

typedef struct cs_link {
    size_t gt;       /* into the class's gts */
    size_t pred;     /* into the class's preds */
    uint64_t inter;
} cs_link;

typedef struct cs_class_data {
    cs_gt *gts;
    size_t n_gts, cap_gts;
    cs_pred *preds;
    size_t n_preds, cap_preds;
    cs_link *links;
    size_t n_links, cap_links;
} cs_class_data;

/* AP of one class at one threshold (the reference's evaluateMatches), its
 * dot product in the order of ddot_kernel (maskeval_ddot_kernel). */
maskeval_status cs_class_ap(maskeval_ctx *ctx, const cs_class_data *d, double threshold,
                            uint64_t min_region_size, int ddot_kernel, double *ap);

/* np.dot of two float64 vectors through OpenBLAS's x86-64 ddot with the
 * SkylakeX or the Haswell micro-kernel (single-threaded path). */
double cs_openblas_ddot(int kernel, size_t n, const double *x, const double *y);

#endif
