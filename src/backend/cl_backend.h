/*
 * cl_backend.h - the OpenCL backend's internals: device discovery
 * (cl_device.c), error names (cl_errors.c), program builds (cl_program.c)
 * and the kernels' host side (backend_cl.c, cl_confusion.c, cl_segment_pairs.c).
 */
#ifndef MASKEVAL_BACKEND_CL_BACKEND_H
#define MASKEVAL_BACKEND_CL_BACKEND_H

#define CL_USE_DEPRECATED_OPENCL_1_2_APIS
#include <CL/cl.h>

#include "backend/backend.h"

typedef struct maskeval_cl_device {
    cl_platform_id platform;
    cl_device_id device;
    maskeval_device_info info;
} maskeval_cl_device;

/* Every device of every platform, GPUs first (then platform and device
 * order). A missing platform or ICD gives an empty list, not an error.
 * *list is allocated with ctx's allocator (NULL when empty). */
maskeval_status maskeval_cl_devices(maskeval_ctx *ctx, maskeval_cl_device **list, size_t *n);

/* "CL_OUT_OF_RESOURCES" etc. */
const char *maskeval_cl_errname(cl_int err);

enum { MASKEVAL_CL_SLOTS = 2 }; /* double buffering */

typedef struct maskeval_cl {
    cl_context context;
    cl_device_id device;
    cl_command_queue queue[MASKEVAL_CL_SLOTS];
    maskeval_device_info info;
    cl_program prog_pair;
    cl_kernel k_pair, k_decode;
    cl_program prog_band;     /* mask_bands.cl, built on first use */
    cl_kernel k_band;
    cl_program prog_seg;      /* segment_pairs.cl, built on first use */
    cl_kernel k_seg;
    void *seg_cache;          /* segment_pairs' buffers (cl_segment_pairs.c) */
    cl_program prog_conf[2];  /* uchar / ushort labels, built on first use */
    cl_kernel k_conf[2][3];   /* [label type][local, global, hash] */
    uint64_t budget;          /* device bytes one batch may use (all slots) */
    void *conf_cache;         /* confusion kernels' buffers (cl_confusion.c) */
    uint64_t local_mem;
    size_t max_wg;
    int broken;               /* a runtime error happened: refuse further work */
} maskeval_cl;

/* Records a failed OpenCL call: "opencl (<device>): <step>: <call>: <ERRNAME> (<code>)",
 * marks the backend broken and returns MASKEVAL_ERR_CL_RUNTIME (or NOMEM for
 * allocation failures on the device). */
maskeval_status maskeval_cl_fail(maskeval_ctx *ctx, maskeval_cl *cl, cl_int err,
                                 const char *call, const char *step);

#define MASKEVAL_CL_CHECK(call, step)                                                              \
    do {                                                                                           \
        cl_int e_ = (call);                                                                        \
        if (e_ != CL_SUCCESS) {                                                                    \
            st = maskeval_cl_fail(ctx, cl, e_, #call, step);                                       \
            goto fail;                                                                             \
        }                                                                                          \
    } while (0)

/* Builds a program from common.cl + the given source with the defines
 * (e.g. "-DLABEL_T=uchar"); on failure the build log goes to the context
 * (maskeval_cl_build_log) and the message names the device and the file. */
maskeval_status maskeval_clprog_build(maskeval_ctx *ctx, maskeval_cl *cl, const char *src,
                                      size_t src_len, const char *file, const char *defines,
                                      cl_program *out);

/* Sets kernel arguments 0..n-1 (sizes[i] bytes at vals[i]); a failure is
 * reported as the step. */
maskeval_status maskeval_cl_set_args(maskeval_ctx *ctx, maskeval_cl *cl, cl_kernel k, int n,
                                     const size_t *sizes, const void *const *vals,
                                     const char *step);

/* Opens device `index` of maskeval_cl_devices() order. */
maskeval_status maskeval_cl_open(maskeval_ctx *ctx, const maskeval_cl_device *dev,
                                 maskeval_cl **out);
void maskeval_cl_close(maskeval_ctx *ctx, maskeval_cl *cl);

/* inter[p] for every pair, through decode_masks and pair_intersect.cl. */
maskeval_status maskeval_cl_intersect(maskeval_ctx *ctx, maskeval_cl *cl,
                                      const maskeval_pair_set *ps, uint64_t *inter);

/* Boundary AP: per pair the intersection of the masks' boundary bands, and
 * the band areas of the masks in some pair, through decode_masks,
 * mask_bands.cl and pair_intersect. */
maskeval_status maskeval_cl_band_intersect(maskeval_ctx *ctx, maskeval_cl *cl,
                                           const maskeval_pair_set *ps, double ratio,
                                           uint64_t *inter, uint32_t *dt_area, uint32_t *gt_area);

/* Panoptic quality's joint histograms (cl_segment_pairs.c). */
maskeval_status maskeval_cl_segment_pairs(maskeval_ctx *ctx, maskeval_cl *cl,
                                          const maskeval_seg_maps *items, size_t n_items);
/* Frees the buffers maskeval_cl_segment_pairs keeps between calls. */
void maskeval_cl_segment_pairs_release(maskeval_ctx *ctx, maskeval_cl *cl);

struct maskeval_cm;
struct maskeval_labels;
/* Adds the confusion counts of the label maps to cm (cl_confusion.c). All
 * items share the label width and lookup tables. */
maskeval_status maskeval_cl_confusion(maskeval_ctx *ctx, maskeval_cl *cl, struct maskeval_cm *cm,
                                      const struct maskeval_labels *items, size_t n_items);

/* Frees the buffers maskeval_cl_confusion keeps between calls. */
void maskeval_cl_confusion_release(maskeval_ctx *ctx, maskeval_cl *cl);

extern const maskeval_backend_ops maskeval_backend_cl_ops;

#endif
