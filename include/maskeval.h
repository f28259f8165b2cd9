/*
 * maskeval.h - the public C API of maskeval.
 *
 * maskeval computes COCO-style detection / instance-segmentation metrics
 * bit-identical to pycocotools 2.0.11 and semantic-segmentation metrics from
 * confusion counts, on the CPU or through OpenCL.
 *
 * Conventions (the whole API follows them):
 *  - Every fallible call returns a maskeval_status; MASKEVAL_OK is 0. Details
 *    of the last failure are in maskeval_errmsg(ctx).
 *  - Objects returned by maskeval_*_create / _load / _evaluate are freed with
 *    the matching *_destroy, which accepts NULL.
 *  - Bulk outputs are copied into buffers the caller owns; a NULL buffer (or a
 *    too small capacity) reports the needed element count.
 *  - The library never prints. Warnings go to the options' log_fn.
 *  - A maskeval_ctx is not thread-safe: use one context per thread. Separate
 *    contexts are independent. Objects (ground truth, detections, results)
 *    are immutable once created and may be read from several threads.
 *    The library itself uses worker threads inside a call (options.threads).
 */
#ifndef MASKEVAL_H
#define MASKEVAL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library version; CMakeLists.txt reads these three lines. */
#define MASKEVAL_VERSION_MAJOR 0
#define MASKEVAL_VERSION_MINOR 2
#define MASKEVAL_VERSION_PATCH 0
#define MASKEVAL_VERSION_STR_(a, b, c) #a "." #b "." #c
#define MASKEVAL_VERSION_STR(a, b, c) MASKEVAL_VERSION_STR_(a, b, c)
#define MASKEVAL_VERSION_STRING                                                                   \
    MASKEVAL_VERSION_STR(MASKEVAL_VERSION_MAJOR, MASKEVAL_VERSION_MINOR, MASKEVAL_VERSION_PATCH)
/* Compile-time checks: #if MASKEVAL_VERSION_NUMBER >= 200 (0.2.0). */
#define MASKEVAL_VERSION_NUMBER                                                                   \
    (MASKEVAL_VERSION_MAJOR * 10000 + MASKEVAL_VERSION_MINOR * 100 + MASKEVAL_VERSION_PATCH)

#if defined(__GNUC__)
#define MASKEVAL_API __attribute__((visibility("default")))
#else
#define MASKEVAL_API
#endif

/* ------------------------------------------------------------------------ */
/* Status codes, context, options                                            */
/* ------------------------------------------------------------------------ */

typedef enum maskeval_status {
    MASKEVAL_OK = 0,
    MASKEVAL_ERR_INVALID_ARG = 1,      /* a caller error: bad parameter or option */
    MASKEVAL_ERR_NOMEM = 2,            /* an allocation failed */
    MASKEVAL_ERR_IO = 3,               /* a file could not be read or written */
    MASKEVAL_ERR_PARSE = 4,            /* malformed or inconsistent input data */
    MASKEVAL_ERR_BUFFER_TOO_SMALL = 5, /* the caller's buffer is too small */
    MASKEVAL_ERR_NO_DEVICE = 6,        /* no OpenCL device could be used */
    MASKEVAL_ERR_CL_BUILD = 7,         /* an OpenCL program failed to build */
    MASKEVAL_ERR_CL_RUNTIME = 8,       /* an OpenCL call failed at run time */
    MASKEVAL_ERR_UNSUPPORTED = 9,      /* valid input this build cannot handle */
    MASKEVAL_ERR_LIMIT = 10            /* input beyond a documented size limit */
} maskeval_status;

typedef enum maskeval_backend {
    MASKEVAL_BACKEND_AUTO = 0,   /* OpenCL on a GPU when one exists, else CPU */
    MASKEVAL_BACKEND_CPU = 1,    /* the exact CPU path */
    MASKEVAL_BACKEND_OPENCL = 2  /* OpenCL; fails with MASKEVAL_ERR_NO_DEVICE without one */
} maskeval_backend;

enum { MASKEVAL_LOG_DEBUG = 0, MASKEVAL_LOG_INFO = 1, MASKEVAL_LOG_WARNING = 2 };

typedef struct maskeval_options {
    size_t struct_size;          /* = sizeof(maskeval_options); lets the struct grow */
    maskeval_backend backend;    /* default MASKEVAL_BACKEND_AUTO */
    int device_index;            /* index into maskeval_device_list order; -1 = automatic */
    int threads;                 /* worker threads; 0 = all online CPUs */
    uint64_t max_device_mem;     /* cap on device memory used per batch; 0 = device limits */
    /* Receives warnings and notes; NULL drops them. msg is valid during the call. */
    void (*log_fn)(void *user, int level, const char *msg);
    void *log_user;
    /* Optional allocator for everything this context allocates (all three or none).
     * It is called from worker threads too, so it must be thread-safe. */
    void *(*malloc_fn)(size_t size);
    void *(*realloc_fn)(void *ptr, size_t size);
    void (*free_fn)(void *ptr);
    /* Called from the calling thread, at most about ten times a second, with
     * the running stage ("reading results", "IoU", ...) and its completed
     * fraction; NULL for none. */
    void (*progress_fn)(void *user, const char *stage, double fraction);
    void *progress_user;
    /* MASKEVAL_BACKEND_AUTO's device profile (written by `maskeval devices
     * --calibrate` / maskeval_device_calibrate); NULL: $MASKEVAL_PROFILE, else
     * $XDG_CACHE_HOME/maskeval/device-profile (~/.cache/...). Without one auto
     * uses the CPU path; with one it opens the GPU only for a stage the
     * profile predicts it to finish sooner, opening included (README "Devices").
     * The string must outlive the context. */
    const char *device_profile;
} maskeval_options;

typedef struct maskeval_ctx maskeval_ctx;

/* Fills *opts with the defaults (and sets struct_size). */
MASKEVAL_API void maskeval_options_init(maskeval_options *opts);

/*
 * Creates a context. opts may be NULL for the defaults. *out is set even when
 * creation fails (unless memory ran out, then it is NULL) so the caller can
 * read maskeval_errmsg(); always call maskeval_ctx_destroy(*out).
 * The OpenCL device (if any) is opened lazily, on the first call that needs it.
 */
MASKEVAL_API maskeval_status maskeval_ctx_create(const maskeval_options *opts,
                                                 maskeval_ctx **out /* out */);
MASKEVAL_API void maskeval_ctx_destroy(maskeval_ctx *ctx);

/*
 * For a process about to exit: with an OpenCL device open (or opening), it
 * returns 1 and leaves ctx as it is, so the driver's teardown (0.05-0.3 s
 * of releasing the context and its programs) is never paid; the caller must
 * not use ctx again and should flush its output and leave with _exit(), so
 * that the driver's atexit handlers do not run either. Otherwise it
 * destroys ctx like maskeval_ctx_destroy and returns 0.
 */
MASKEVAL_API int maskeval_ctx_release_for_exit(maskeval_ctx *ctx);

/* Message of the last failure on ctx ("" if none). Valid until the next call on ctx. */
MASKEVAL_API const char *maskeval_errmsg(const maskeval_ctx *ctx);
/* Static text for a status code. */
MASKEVAL_API const char *maskeval_strerror(maskeval_status st);
/* The last OpenCL build log ("" if none). Valid until the next call on ctx. */
MASKEVAL_API const char *maskeval_cl_build_log(const maskeval_ctx *ctx);
/* The version of the library linked, e.g. "0.2.0" (MASKEVAL_VERSION_STRING
 * is the one of the header compiled against). */
MASKEVAL_API const char *maskeval_version(void);

/* The kind of an encoded partial from its header: 1 COCO, 2 semantic, 3 panoptic, 0 not
 * a partial (or too short to tell). Decoding checks the rest. */
MASKEVAL_API int maskeval_partial_kind(const void *buf, size_t len);
/* maskeval's 64-bit content digest (digest v1, README "Partial files"). */
MASKEVAL_API uint64_t maskeval_digest(const void *data, size_t n);

/* ------------------------------------------------------------------------ */
/* Devices                                                                   */
/* ------------------------------------------------------------------------ */

typedef struct maskeval_device_info {
    char name[256];
    char vendor[128];
    char driver[128];       /* driver version string */
    char platform[128];
    int is_gpu;
    uint32_t compute_units;
    uint64_t global_mem;    /* bytes */
    uint64_t max_alloc;     /* bytes */
} maskeval_device_info;

/*
 * Lists the OpenCL devices maskeval can use, in selection order (index = the
 * value for options.device_index). Writes up to cap entries into info and the
 * total into *count. A build without OpenCL, or a machine without any OpenCL
 * platform, reports 0 devices and MASKEVAL_OK.
 */
MASKEVAL_API maskeval_status maskeval_device_list(maskeval_ctx *ctx, maskeval_device_info *info,
                                                  size_t cap, size_t *count /* out */);

/*
 * Describes the backend the context uses for its computations ("cpu" or
 * "opencl: <device name>"), opening the device if that has not happened yet.
 */
/*
 * Measures an OpenCL device against the CPU path, on this machine, and
 * writes the profile MASKEVAL_BACKEND_AUTO decides by: the first GPU (or the
 * device options.device_index names), its opening time (context and every
 * kernel) and, for mask-pair intersections, Boundary AP bands, confusion
 * counts and panoptic segment pairs, the throughput of both paths with the
 * context's threads (synthetic workloads; the device's counts must equal the
 * CPU's). path: NULL for the options' / $MASKEVAL_PROFILE / the cache file.
 * summary (may be NULL) gets a few lines for a person. Takes a few seconds.
 */
MASKEVAL_API maskeval_status maskeval_device_calibrate(maskeval_ctx *ctx, const char *path,
                                                       char *summary, size_t cap);

MASKEVAL_API maskeval_status maskeval_backend_describe(maskeval_ctx *ctx, char *buf, size_t cap);

/*
 * Starts opening the context's backend (OpenCL device discovery, context,
 * kernel builds: 0.1-0.4 s of driver work) on a background thread, so that it
 * overlaps loading the inputs. The first call that needs the backend waits
 * for it and returns its error, if any. Does nothing for the CPU backend or
 * when the backend is already open; the options' log_fn may be called from
 * that thread. Box IoU never opens a device, so there is no point warming up
 * before a bbox evaluation.
 */
MASKEVAL_API maskeval_status maskeval_backend_warm_up(maskeval_ctx *ctx);

/* ------------------------------------------------------------------------ */
/* Masks: COCO run-length encoding                                           */
/* ------------------------------------------------------------------------ */

/*
 * COCO RLE: a binary h x w mask flattened column-major (pixel (r, c) is at
 * c*h + r) as alternating run lengths, starting with a (possibly empty) run of
 * zeros. The compressed string form is pycocotools' (characters '0'..'o').
 */

/* Run-length encodes a column-major mask (nonzero = foreground). Writes at most
 * cap counts and the needed number into *len. */
MASKEVAL_API maskeval_status maskeval_rle_encode(const uint8_t *mask, uint32_t h, uint32_t w,
                                                 uint32_t *counts /* out */, size_t cap,
                                                 size_t *len /* out */);

/* Converts counts to the compressed string. Writes at most cap bytes including
 * the terminating NUL; *len receives the string length without the NUL. */
MASKEVAL_API maskeval_status maskeval_rle_to_string(const uint32_t *counts, size_t n,
                                                    char *str /* out */, size_t cap,
                                                    size_t *len /* out */);

/* Decodes a compressed string (length len, no NUL needed). Fails with
 * MASKEVAL_ERR_PARSE on an invalid character, a truncated value or a count
 * outside [0, 2^32). Writes at most cap counts; *n receives the count. */
MASKEVAL_API maskeval_status maskeval_rle_from_string(maskeval_ctx *ctx, const char *str,
                                                      size_t len, uint32_t *counts /* out */,
                                                      size_t cap, size_t *n /* out */);

/* Rasterizes one polygon [x0,y0,x1,y1,...] (n_coords values, even, >= 6) the
 * way pycocotools' frPyObjects does, at image size h x w. */
MASKEVAL_API maskeval_status maskeval_rle_from_polygon(maskeval_ctx *ctx, const double *xy,
                                                       size_t n_coords, uint32_t h, uint32_t w,
                                                       uint32_t *counts /* out */, size_t cap,
                                                       size_t *n /* out */);

/* Area (number of foreground pixels) and pycocotools toBbox [x, y, w, h]. */
MASKEVAL_API uint32_t maskeval_rle_area(const uint32_t *counts, size_t n);
MASKEVAL_API void maskeval_rle_bbox(const uint32_t *counts, size_t n, uint32_t h, uint32_t w,
                                    double bbox[4] /* out */);

/* pycocotools IoU of one detection mask and one ground-truth mask (same size
 * required; -1 otherwise), with the crowd rule and the box pre-filter. */
MASKEVAL_API double maskeval_rle_iou(const uint32_t *dt, size_t dt_n, const uint32_t *gt,
                                     size_t gt_n, uint32_t h, uint32_t w, int gt_crowd);

/* pycocotools box IoU of [x, y, w, h] boxes, in its exact order of operations. */
MASKEVAL_API double maskeval_box_iou(const double dt[4], const double gt[4], int gt_crowd);

/*
 * Many masks at once, as compressed strings (what pycocotools.mask offers).
 * A maskeval_rles is a list of compressed strings back to back in one
 * buffer: string i is str[off[i] .. off[i + 1]) (maskeval_rles_strings; the
 * pointers stay valid until the list changes). The maskeval_rles_* calls that
 * produce masks append to one; those that read masks take such a buffer and
 * offsets (n + 1 of them) from anywhere.
 */
typedef struct maskeval_rles maskeval_rles;

MASKEVAL_API maskeval_status maskeval_rles_create(maskeval_ctx *ctx, maskeval_rles **out);
MASKEVAL_API void maskeval_rles_destroy(maskeval_rles *r);
MASKEVAL_API void maskeval_rles_clear(maskeval_rles *r);
MASKEVAL_API size_t maskeval_rles_count(const maskeval_rles *r);
MASKEVAL_API const char *maskeval_rles_strings(const maskeval_rles *r,
                                               const uint64_t **off /* out */);

/* Layout of dense masks: column-major (pycocotools' Fortran-order H x W x N:
 * pixel (y, x) at x*h + y) or row-major (numpy's C-order N x H x W); any
 * nonzero byte is foreground, unless MASKEVAL_MASK_RAW_VALUES asks for
 * pycocotools' rleEncode, where a run also ends where a nonzero value
 * changes (1 then 2). */
enum { MASKEVAL_MASK_COL_MAJOR = 0u, MASKEVAL_MASK_ROW_MAJOR = 1u, MASKEVAL_MASK_RAW_VALUES = 2u };

/* Encodes n masks of h x w bytes each, back to back, on the context's
 * threads; area[i] and bbox[4 i..] (pycocotools' area and toBbox) are
 * filled when not NULL. */
MASKEVAL_API maskeval_status maskeval_rles_encode(maskeval_ctx *ctx, maskeval_rles *r,
                                                  const uint8_t *masks, size_t n, uint32_t h,
                                                  uint32_t w, unsigned layout,
                                                  uint32_t *area /* out */,
                                                  double *bbox /* out */);
/* pycocotools' frPoly: polygon i is xy[poly_off[i] .. poly_off[i + 1]) (x, y
 * pairs; an odd last coordinate is ignored), each one mask of h x w. */
MASKEVAL_API maskeval_status maskeval_rles_polygons(maskeval_ctx *ctx, maskeval_rles *r,
                                                    const double *xy, const uint64_t *poly_off,
                                                    size_t n, uint32_t h, uint32_t w);
/* annToRLE of polygon annotations: group i is polygons [group_off[i],
 * group_off[i + 1]) of poly_off at h[i] x w[i], rasterized and merged into
 * one string (frPyObjects + merge). */
MASKEVAL_API maskeval_status maskeval_rles_polygon_groups(maskeval_ctx *ctx, maskeval_rles *r,
                                                          const double *xy,
                                                          const uint64_t *poly_off,
                                                          const uint64_t *group_off,
                                                          size_t n_groups, const uint32_t *h,
                                                          const uint32_t *w);
/* frUncompressedRLE: counts[off[i] .. off[i + 1]) to string i. */
MASKEVAL_API maskeval_status maskeval_rles_counts(maskeval_ctx *ctx, maskeval_rles *r,
                                                  const uint32_t *counts, const uint64_t *off,
                                                  size_t n);
/* merge(intersect): one string appended, of size *out_h x *out_w (0 x 0
 * when the sizes h[i] x w[i] differ, or n = 0, as pycocotools). */
MASKEVAL_API maskeval_status maskeval_rles_merge(maskeval_ctx *ctx, maskeval_rles *r,
                                                 const char *str, const uint64_t *off, size_t n,
                                                 const uint32_t *h, const uint32_t *w,
                                                 int intersect, uint32_t *out_h, uint32_t *out_w);
/* area (uint32) and toBbox (4 doubles) of each string (either may be NULL).
 * Strings whose counts do not sum to h x w are refused. */
MASKEVAL_API maskeval_status maskeval_rles_info(maskeval_ctx *ctx, const char *str,
                                                const uint64_t *off, size_t n, const uint32_t *h,
                                                const uint32_t *w, uint32_t *area /* out */,
                                                double *bbox /* out */);
/* decode: n masks of h x w, column-major, into out (n*h*w bytes of 0/1). */
MASKEVAL_API maskeval_status maskeval_rles_decode(maskeval_ctx *ctx, const char *str,
                                                  const uint64_t *off, size_t n, uint32_t h,
                                                  uint32_t w, uint8_t *out /* out */);
/* pycocotools' iou of nd detection and ng ground-truth masks: out[g*nd + d]
 * (a column-major nd x ng matrix), -1 for overlapping boxes of masks of
 * different sizes; iscrowd may be NULL. */
MASKEVAL_API maskeval_status maskeval_rles_iou(maskeval_ctx *ctx, const char *dt,
                                               const uint64_t *dt_off, size_t nd,
                                               const uint32_t *dt_h, const uint32_t *dt_w,
                                               const char *gt, const uint64_t *gt_off, size_t ng,
                                               const uint32_t *gt_h, const uint32_t *gt_w,
                                               const uint8_t *iscrowd, double *out /* out */);
/* The same for [x, y, w, h] boxes (bbIou). */
MASKEVAL_API void maskeval_box_iou_matrix(const double *dt, size_t nd, const double *gt,
                                          size_t ng, const uint8_t *iscrowd,
                                          double *out /* out */);

/* ------------------------------------------------------------------------ */
/* COCO ground truth and results                                             */
/* ------------------------------------------------------------------------ */

typedef struct maskeval_gt maskeval_gt;
typedef struct maskeval_dets maskeval_dets;

typedef enum maskeval_iou_type {
    MASKEVAL_IOU_SEGM = 0,     /* pixel IoU between masks */
    MASKEVAL_IOU_BBOX = 1,     /* box IoU */
    MASKEVAL_IOU_KEYPOINTS = 2 /* object keypoint similarity (pycocotools' computeOks) */
} maskeval_iou_type;

/* What a load prepares. Segmentations are only read (and validated) with
 * MASKEVAL_LOAD_SEGM, boxes of ground truth only with MASKEVAL_LOAD_BBOX.
 * MASKEVAL_LOAD_LVIS reads an LVIS file as lvis-api does: every image needs
 * "neg_category_ids" and "not_exhaustive_category_ids" (arrays of ids),
 * every category a "frequency" of "r", "c" or "f"; an annotation's "ignore"
 * (default 0) is honoured and "iscrowd" never read (no crowds).
 * MASKEVAL_LOAD_KEYPOINTS (arrays only, with MASKEVAL_LOAD_BBOX) keeps each
 * annotation's keypoints for iou_type KEYPOINTS. */
enum {
    MASKEVAL_LOAD_SEGM = 1u,
    MASKEVAL_LOAD_BBOX = 2u,
    MASKEVAL_LOAD_LVIS = 4u,
    MASKEVAL_LOAD_KEYPOINTS = 8u
};

/*
 * Loads a COCO ground-truth file (an object with "images", "categories" and
 * optionally "annotations"). name is used in error messages (for the _file
 * variant it is the path). Invalid input fails with MASKEVAL_ERR_PARSE and a
 * message naming the file and the element, e.g.
 *   "gt.json: annotations[17] (id 4021): segmentation[0]: polygon has 5 coordinates ..."
 */
MASKEVAL_API maskeval_status maskeval_gt_load_file(maskeval_ctx *ctx, const char *path,
                                                   unsigned flags, maskeval_gt **out /* out */);
MASKEVAL_API maskeval_status maskeval_gt_load_buffer(maskeval_ctx *ctx, const char *name,
                                                     const char *json, size_t len, unsigned flags,
                                                     maskeval_gt **out /* out */);
MASKEVAL_API void maskeval_gt_destroy(maskeval_gt *gt);

/* Counts of images, categories and annotations as loaded. */
MASKEVAL_API void maskeval_gt_counts(const maskeval_gt *gt, size_t *n_images,
                                     size_t *n_categories, size_t *n_annotations);
/* The distinct image ids and category ids, ascending: writes at most cap
 * and returns how many there are. */
MASKEVAL_API size_t maskeval_gt_image_ids(const maskeval_gt *gt, int64_t *out, size_t cap);
MASKEVAL_API size_t maskeval_gt_category_ids(const maskeval_gt *gt, int64_t *out, size_t cap);
/* Name of a category id, or NULL if the id is unknown. Owned by gt. */
MASKEVAL_API const char *maskeval_gt_category_name(const maskeval_gt *gt, int64_t category_id);
/* 1 if image_id is an image of gt, else 0. */
MASKEVAL_API int maskeval_gt_has_image(const maskeval_gt *gt, int64_t image_id);

/*
 * Loads a results file (a JSON array) against gt with pycocotools' loadRes
 * semantics: the first result decides whether results are boxes (it has a
 * non-empty "bbox": every result then needs one and its area is w*h) or masks
 * (compressed RLE "segmentation"; area and box from the mask). The load uses
 * the flags gt was loaded with.
 */
MASKEVAL_API maskeval_status maskeval_dets_load_file(maskeval_ctx *ctx, const maskeval_gt *gt,
                                                     const char *path,
                                                     maskeval_dets **out /* out */);
MASKEVAL_API maskeval_status maskeval_dets_load_buffer(maskeval_ctx *ctx, const maskeval_gt *gt,
                                                       const char *name, const char *json,
                                                       size_t len, maskeval_dets **out /* out */);
MASKEVAL_API void maskeval_dets_destroy(maskeval_dets *dets);
MASKEVAL_API size_t maskeval_dets_count(const maskeval_dets *dets);

/*
 * Ground truth and detections from column arrays in memory (the Python
 * package builds them from its dicts). Values are taken as given - "area"
 * and boxes are never recomputed, crowd flags are pycocotools' iscrowd - and
 * masks are compressed RLE strings (pycocotools' counts, no NUL needed) of
 * their image's size, back to back in one buffer: mask i is
 * rle[rle_off[i] .. rle_off[i + 1]). Ids of images and of categories must be
 * unique; a repeated annotation id behaves as in the JSON loader (the last
 * one wins). flags are MASKEVAL_LOAD_SEGM and/or MASKEVAL_LOAD_BBOX (LVIS
 * fields are not taken from arrays); heights/widths, masks and boxes are read
 * only where the flags need them. Errors name the element by its index.
 */
typedef struct maskeval_gt_arrays {
    size_t struct_size;           /* = sizeof(maskeval_gt_arrays) */
    size_t n_images;
    const int64_t *image_ids;
    const uint32_t *heights, *widths;
    size_t n_categories;
    const int64_t *category_ids;
    const char *category_names;   /* n_categories NUL-terminated names back to back, or NULL */
    size_t n_annotations;
    const int64_t *ann_ids, *ann_image_ids, *ann_category_ids;
    const uint8_t *ann_iscrowd;   /* NULL: none */
    const double *ann_area;
    const double *ann_bbox;       /* [4 n] x, y, w, h */
    const char *ann_rle;
    const uint64_t *ann_rle_off;  /* [n + 1] */
    /* MASKEVAL_LOAD_KEYPOINTS: n_keypoints (k) per annotation as x, y, v
     * triples, [3 k n], and pycocotools' keypoint "ignore" per annotation
     * ((num_keypoints == 0) or iscrowd; NULL: iscrowd), which ann_iscrowd
     * does not replace: a crowd may match several detections, an ignored
     * non-crowd only one. Without keypoints, ann_ignore (when given) is
     * Boundary AP's: boundary-iou-api's `ignore or iscrowd`, read when the
     * evaluation has a dilation ratio. */
    size_t n_keypoints;
    const double *ann_keypoints;
    const uint8_t *ann_ignore;
} maskeval_gt_arrays;

MASKEVAL_API maskeval_status maskeval_gt_from_arrays(maskeval_ctx *ctx,
                                                     const maskeval_gt_arrays *in, unsigned flags,
                                                     maskeval_gt **out /* out */);

/* Detections of gt's images (an unknown image id is an error). bbox may be
 * NULL with masks (then toBbox of each mask). */
typedef struct maskeval_dets_arrays {
    size_t struct_size;           /* = sizeof(maskeval_dets_arrays) */
    size_t n;
    const int64_t *image_ids, *category_ids;
    const double *scores, *areas;
    const double *bbox;           /* [4 n] */
    const char *rle;
    const uint64_t *rle_off;      /* [n + 1] */
    /* ground truth with MASKEVAL_LOAD_KEYPOINTS: the ground truth's
     * n_keypoints per detection, [3 k n] (x, y, score triples; scores unread) */
    const double *keypoints;
} maskeval_dets_arrays;

MASKEVAL_API maskeval_status maskeval_dets_from_arrays(maskeval_ctx *ctx, const maskeval_gt *gt,
                                                       const maskeval_dets_arrays *in,
                                                       maskeval_dets **out /* out */);

/* ------------------------------------------------------------------------ */
/* COCO evaluation                                                           */
/* ------------------------------------------------------------------------ */

/* pycocotools' Params. NULL arrays mean the pycocotools defaults. */
typedef struct maskeval_coco_params {
    size_t struct_size;           /* = sizeof(maskeval_coco_params) */
    maskeval_iou_type iou_type;
    int use_cats;                 /* 1 (default); 0 pools all categories per image */
    const double *iou_thrs;       /* default np.linspace(.5, .95, 10) */
    size_t n_iou_thrs;
    const int64_t *max_dets;      /* default {1, 10, 100} ({20} for keypoints); at least
                                     3 (1 for keypoints), each >= 1 */
    size_t n_max_dets;
    const double *area_rng;       /* 4 pairs lo,hi for all/small/medium/large;
                                     default {0,1e10, 0,1024, 1024,9216, 9216,1e10};
                                     keypoints: all/medium/large and a 4th (not
                                     summarized), default {0,1e10, 1024,9216,
                                     9216,1e10, 0,1e10} */
    const int64_t *img_ids;       /* default: every GT image */
    size_t n_img_ids;
    const int64_t *cat_ids;       /* default: every GT category */
    size_t n_cat_ids;
    /* 1: partials (maskeval_coco_evaluate_images) also keep, per detection,
     * area range and IoU threshold, the matched GT id (0: none, as
     * pycocotools' dtMatches) and that match's IoU. Default 0. Not part of
     * the parameters a merge compares. */
    int keep_matches;
    /* 1: lvis-api's LVISEval instead of COCOeval (gt loaded with
     * MASKEVAL_LOAD_LVIS; README "LVIS"): federated filtering by
     * neg_category_ids / not_exhaustive_category_ids, ground truth and
     * detections of area <= 0 dropped, no crowds, no maxDets axis (M = 1),
     * the 13 results with APr / APc / APf. max_dets must then be NULL. */
    int lvis;
    /* LVIS: detections kept per image, all categories, at load (LVISResults'
     * max_dets, and the "@300" of the AR keys); default 300, -1: no cap. */
    int64_t lvis_max_dets;
    /* LVIS: Dave et al. 2021's variants (README "LVIS"): MASKEVAL_LVIS_AP_FIXED
     * keeps the top lvis_dets_per_cat detections of each category instead of
     * a per-image cap (lvis_max_dets is then -1) and, for segm, ignores the
     * results' boxes; MASKEVAL_LVIS_AP_POOLED does the same and also pools
     * the categories of each frequency group into one curve (AP-pool). */
    int lvis_ap;
    int64_t lvis_dets_per_cat;    /* default 10000 */
    /* Recall thresholds (pycocotools' recThrs, used verbatim, any finite
     * values); default np.linspace(0, 1, 101). */
    const double *rec_thrs;
    size_t n_rec_thrs;
    /* > 0 with iou_type SEGM: Boundary AP (boundary-iou-api's COCOeval with
     * iouType 'boundary'): every mask's boundary band at this dilation ratio
     * (0.02 there), and for non-crowd ground truth the IoU used is
     * min(mask IoU, band IoU). 0 (default): mask AP. */
    double boundary_dilation_ratio;
    /* iou_type KEYPOINTS: pycocotools' kpt_oks_sigmas, one per keypoint
     * (default its 17 COCO person sigmas), and the exponential OKS uses.
     * pycocotools takes np.exp, which on CPUs with AVX512F is numpy's own
     * SIMD routine and differs from the C library's exp in the last bit
     * for about 5% of arguments; oks_exp (NULL: the C library's exp), when
     * given, is called once per evaluation from the calling thread with
     * every OKS term, to replace x[0..n) by exp(x) in place (the Python
     * package passes np.exp, so its OKS equal pycocotools' bit for bit). */
    const double *kpt_oks_sigmas;
    size_t n_kpt_oks_sigmas;
    void (*oks_exp)(void *user, double *x, size_t n);
    void *oks_exp_user;
} maskeval_coco_params;

enum { MASKEVAL_LVIS_AP_STANDARD = 0, MASKEVAL_LVIS_AP_FIXED = 1, MASKEVAL_LVIS_AP_POOLED = 2 };

MASKEVAL_API void maskeval_coco_params_init(maskeval_coco_params *p);

typedef struct maskeval_coco_result maskeval_coco_result;

/*
 * Runs pycocotools' evaluate(), accumulate() and summarize() on gt and dets.
 * The result holds the 12 statistics and the precision / recall / scores
 * arrays; read them with the accessors below.
 */
MASKEVAL_API maskeval_status maskeval_coco_evaluate(maskeval_ctx *ctx, const maskeval_gt *gt,
                                                    const maskeval_dets *dets,
                                                    const maskeval_coco_params *params,
                                                    maskeval_coco_result **out /* out */);
MASKEVAL_API void maskeval_coco_result_destroy(maskeval_coco_result *res);

/* The 12 pycocotools statistics, in its order (AP, AP50, AP75, APs, APm, APl,
 * AR1, AR10, AR100, ARs, ARm, ARl); -1 where pycocotools reports -1. For
 * keypoints the 10 of _summarizeKps (AP, AP50, AP75, APm, APl, AR, AR50,
 * AR75, ARm, ARl, all at maxDets 20), then two NaN. */
MASKEVAL_API void maskeval_coco_result_stats(const maskeval_coco_result *res,
                                             double stats[12] /* out */);
/* How many of those summarize() computes: 12, 10 for keypoints, 0 for LVIS. */
MASKEVAL_API size_t maskeval_coco_result_n_stats(const maskeval_coco_result *res);

/* The 12 summary lines exactly as pycocotools prints them (for an LVIS
 * result the 13 lines of lvis-api's print_results()), each ending in
 * "\n". Writes at most cap bytes including a NUL; *len gets the length. */
MASKEVAL_API maskeval_status maskeval_coco_result_summary(const maskeval_coco_result *res,
                                                          char *buf, size_t cap,
                                                          size_t *len /* out */);

typedef enum maskeval_coco_array {
    MASKEVAL_ARRAY_PRECISION = 0, /* [T][R][K][A][M] */
    MASKEVAL_ARRAY_RECALL = 1,    /* [T][K][A][M] */
    MASKEVAL_ARRAY_SCORES = 2     /* [T][R][K][A][M] */
} maskeval_coco_array;

/* Dimensions T (IoU thresholds), R (recall thresholds), K (categories),
 * A (area ranges), M (maxDets). */
MASKEVAL_API void maskeval_coco_result_dims(const maskeval_coco_result *res, size_t dims[5]);

/* Copies an array (C order) into out (cap doubles); *n gets its size. */
MASKEVAL_API maskeval_status maskeval_coco_result_array(const maskeval_coco_result *res,
                                                        maskeval_coco_array which, double *out,
                                                        size_t cap, size_t *n /* out */);

/* Parameters as evaluated: category ids of the K axis ({-1} with use_cats=0),
 * IoU and recall thresholds, maxDets (sorted), area ranges (4 pairs). */
MASKEVAL_API const int64_t *maskeval_coco_result_cat_ids(const maskeval_coco_result *res);
MASKEVAL_API const double *maskeval_coco_result_iou_thrs(const maskeval_coco_result *res);
MASKEVAL_API const double *maskeval_coco_result_rec_thrs(const maskeval_coco_result *res);
MASKEVAL_API const int64_t *maskeval_coco_result_max_dets(const maskeval_coco_result *res);
MASKEVAL_API const double *maskeval_coco_result_area_rng(const maskeval_coco_result *res);

/* AP of category index k (0 <= k < K): the numpy mean of
 * precision[:, :, k, area=all, maxDets=last] over entries > -1. Returns 0 and
 * leaves *ap untouched when there are none (pycocotools would report nan). */
MASKEVAL_API int maskeval_coco_result_category_ap(const maskeval_coco_result *res, size_t k,
                                                  double *ap /* out */);

/* The 12 statistics of category index k alone: what pycocotools' summarize()
 * prints after evaluating with params.catIds = [that category] (the same
 * slices of precision / recall restricted to k, the same numpy means; -1
 * where a slice has no entry). */
MASKEVAL_API void maskeval_coco_result_category_stats(const maskeval_coco_result *res, size_t k,
                                                      double stats[12] /* out */);

/* Digests of the ground-truth file and of the resolved parameters the result
 * was computed from (the ones partial files carry): two results with equal
 * digests evaluated the same ground truth with the same parameters. */
MASKEVAL_API void maskeval_coco_result_digests(const maskeval_coco_result *res,
                                               uint64_t *gt_digest, uint64_t *params_digest);

/* Images evaluated, ground-truth annotations and detections that entered evaluation. */
MASKEVAL_API void maskeval_coco_result_counts(const maskeval_coco_result *res, size_t *n_images,
                                              size_t *n_gt, size_t *n_dt);

/* The IoU type and use_cats the result was computed with. */
MASKEVAL_API maskeval_iou_type maskeval_coco_result_iou_type(const maskeval_coco_result *res);
/* Boundary AP's dilation ratio, 0 for mask or box AP. */
MASKEVAL_API double maskeval_coco_result_dilation_ratio(const maskeval_coco_result *res);
/* "segm", "bbox" or "boundary" (pycocotools' / boundary-iou-api's iouType). */
MASKEVAL_API const char *maskeval_coco_result_iou_name(const maskeval_coco_result *res);
MASKEVAL_API int maskeval_coco_result_use_cats(const maskeval_coco_result *res);

/* Which numpy's np.mean the statistics reproduce. pycocotools and lvis-api
 * take np.mean of up to T*R*K entries: numpy >= 2.3 sums them pairwise in one
 * pass; numpy < 2.3 (every 1.x) summed 8192-element chunks pairwise and
 * added the chunk sums left to right, so the last bit of a statistic can
 * differ once more than 8192 entries (9 or more categories) take part. */
typedef enum maskeval_numpy_compat {
    MASKEVAL_NUMPY_2_3 = 0,   /* numpy >= 2.3 (default) */
    MASKEVAL_NUMPY_LEGACY = 1 /* numpy < 2.3 */
} maskeval_numpy_compat;
/* Recomputes the 12 statistics, per-category statistics and AP the way
 * that numpy does (the arrays do not change). */
MASKEVAL_API maskeval_status maskeval_coco_result_set_numpy_compat(maskeval_ctx *ctx,
                                                                   maskeval_coco_result *res,
                                                                   maskeval_numpy_compat mode);
MASKEVAL_API maskeval_numpy_compat maskeval_coco_result_numpy_compat(const maskeval_coco_result *res);
/* LVIS results (params.lvis): the 13 values of lvis-api's get_results(), in
 * its order: AP, AP50, AP75, APs, APm, APl, APr, APc, APf, AR@N, ARs@N,
 * ARm@N, ARl@N (N = lvis_max_dets); -1 where lvis-api reports -1.
 * MASKEVAL_ERR_INVALID_ARG for a COCO result. */
MASKEVAL_API int maskeval_coco_result_is_lvis(const maskeval_coco_result *res);
MASKEVAL_API maskeval_status maskeval_lvis_result_stats(const maskeval_coco_result *res,
                                                        double stats[13] /* out */);
/* The 13 values of category index k alone (lvis-api with cat_ids = [it]:
 * the frequency groups other than its own are -1). */
MASKEVAL_API maskeval_status maskeval_lvis_result_category_stats(const maskeval_coco_result *res,
                                                                 size_t k, double stats[13]);
/* 'r', 'c' or 'f' for category index k of an LVIS result, else 0. */
MASKEVAL_API char maskeval_lvis_result_frequency(const maskeval_coco_result *res, size_t k);
/* The per-image cap the result was computed with (300 by default, -1: none). */
MASKEVAL_API int64_t maskeval_lvis_result_max_dets(const maskeval_coco_result *res);
/* MASKEVAL_LVIS_AP_* the result was computed with, and its per-category cap. */
MASKEVAL_API int maskeval_lvis_result_ap_mode(const maskeval_coco_result *res,
                                              int64_t *dets_per_cat /* out, may be NULL */);
/* AP-pool (MASKEVAL_LVIS_AP_POOLED): AP-pooled-all, -r, -c, -f; -1 for a pool
 * without ground truth. MASKEVAL_ERR_INVALID_ARG for other results. */
MASKEVAL_API maskeval_status maskeval_lvis_result_pooled(const maskeval_coco_result *res,
                                                         double pooled[4] /* out */);

/* The ground truth's name of category index k, or NULL if it has none
 * (always NULL for the pooled K axis of use_cats = 0). Owned by res. */
MASKEVAL_API const char *maskeval_coco_result_category_name(const maskeval_coco_result *res,
                                                            size_t k);

/* Wall-clock seconds per stage of the evaluation: 0 = grouping into
 * (image, category) cells, 1 = IoU, 2 = matching, 3 = accumulate + summarize. */
MASKEVAL_API void maskeval_coco_result_timing(const maskeval_coco_result *res,
                                              double seconds[4] /* out */);

/*
 * maskeval_dets_load_file + maskeval_coco_evaluate in `passes` passes over
 * the images (pass i = the images at positions p % passes == i, as
 * maskeval_coco_evaluate_images), each streaming the results file (plain or
 * gzip) and loading only its images' results, so that memory holds about
 * 1/passes of them at a time; the records merge, and the result is the same
 * bytes as one pass. passes <= 1 is one pass. A file the streaming split
 * does not expect (invalid JSON, an element without an integer image_id, an
 * unknown image) is evaluated in one pass, whose loader then reports it.
 * Not for LVIS Fixed AP / AP-pool (their cap spans all images).
 */
/* How many passes keep an evaluation of the results file within `available`
 * more bytes (a budget less what the process holds already): one streaming
 * read counts the results; what no pass count shrinks (every result's
 * records, twice while they merge, and the accumulated arrays) must fit, else
 * MASKEVAL_ERR_LIMIT with the sizes in the message. */
MASKEVAL_API maskeval_status maskeval_coco_passes_for_budget(maskeval_ctx *ctx,
                                                             const maskeval_gt *gt,
                                                             const char *results_path,
                                                             const maskeval_coco_params *params,
                                                             uint64_t available,
                                                             uint32_t *passes /* out */);
MASKEVAL_API maskeval_status maskeval_coco_evaluate_file_passes(maskeval_ctx *ctx,
                                                                const maskeval_gt *gt,
                                                                const char *results_path,
                                                                const maskeval_coco_params *params,
                                                                uint32_t passes,
                                                                maskeval_coco_result **out);

/* ------------------------------------------------------------------------ */
/* COCO partial evaluations: sharding and merging                            */
/* ------------------------------------------------------------------------ */

/*
 * A partial holds per-image evaluation records (pycocotools' evalImgs,
 * compact) for some of the images: per (image, category) cell the detection
 * scores, the match status per area range and IoU threshold and the
 * non-ignored GT counts, plus the resolved parameters of the whole
 * evaluation, the category names and a digest of the ground-truth file.
 * maskeval_coco_evaluate() is maskeval_coco_evaluate_images() of every image
 * followed by maskeval_coco_accumulate(); partials of disjoint image sets
 * merge into exactly the records one process makes, so a sharded run gives
 * bit-identical results.
 */
typedef struct maskeval_coco_partial maskeval_coco_partial;

/*
 * Matches the images at positions p of the sorted, unique image-id list
 * (params.img_ids, or every GT image) with p % shard_count == shard_index,
 * and keeps their records. shard_count = 1 evaluates every image.
 */
MASKEVAL_API maskeval_status maskeval_coco_evaluate_images(
    maskeval_ctx *ctx, const maskeval_gt *gt, const maskeval_dets *dets,
    const maskeval_coco_params *params, uint32_t shard_index, uint32_t shard_count,
    maskeval_coco_partial **out /* out */);

/* Merges n partials made from the same ground truth and parameters whose
 * images are disjoint (an image held twice is an error), in any order. */
MASKEVAL_API maskeval_status maskeval_coco_partial_merge(maskeval_ctx *ctx,
                                                         const maskeval_coco_partial *const *parts,
                                                         size_t n,
                                                         maskeval_coco_partial **out /* out */);

/*
 * A partial laid out as pycocotools' accumulate(p) reads the evalImgs of
 * another evaluation's parameters: the K indices k_index (output order, each
 * below the source's K, distinct), the image positions img_index (ascending,
 * each below the source's image count), per output area range the source's
 * range area_index[a], the maxDets values max_dets (any order; each at most
 * the source's largest) and the recall thresholds rec_thrs (NULL: the
 * source's). Accumulating it gives accumulate(p)'s arrays for those lists
 * (the Python package maps p's ids to these positions as pycocotools does).
 * The source must hold every image and not be LVIS; the result is for
 * maskeval_coco_accumulate only (it is not encoded).
 */
typedef struct maskeval_coco_select {
    size_t struct_size;           /* = sizeof(maskeval_coco_select) */
    const size_t *k_index;
    size_t n_k;
    const size_t *img_index;
    size_t n_img;
    size_t area_index[4];
    const int64_t *max_dets;
    size_t n_max_dets;
    const double *rec_thrs;
    size_t n_rec_thrs;
} maskeval_coco_select;

MASKEVAL_API maskeval_status maskeval_coco_partial_select(maskeval_ctx *ctx,
                                                          const maskeval_coco_partial *src,
                                                          const maskeval_coco_select *sel,
                                                          maskeval_coco_partial **out /* out */);

/* accumulate() and summarize() of a partial that holds every image (a merge
 * of all shards); a partial that misses images is refused. */
MASKEVAL_API maskeval_status maskeval_coco_accumulate(maskeval_ctx *ctx,
                                                      const maskeval_coco_partial *p,
                                                      maskeval_coco_result **out /* out */);

/* The partial file format (README "Partial files"): writes at most cap
 * bytes; *len gets the encoded size (a NULL buf queries it). */
MASKEVAL_API maskeval_status maskeval_coco_partial_encode(maskeval_ctx *ctx,
                                                          const maskeval_coco_partial *p,
                                                          void *buf, size_t cap,
                                                          size_t *len /* out */);
/* Decodes and validates an encoded partial; name (e.g. the file) appears in
 * this and later merge messages. A truncated, corrupt or foreign file or
 * another format version fails with MASKEVAL_ERR_PARSE. */
MASKEVAL_API maskeval_status maskeval_coco_partial_decode(maskeval_ctx *ctx, const char *name,
                                                          const void *buf, size_t len,
                                                          maskeval_coco_partial **out /* out */);
MASKEVAL_API void maskeval_coco_partial_destroy(maskeval_coco_partial *p);

typedef struct maskeval_coco_partial_info {
    size_t n_images;        /* images of the whole evaluation */
    size_t n_held;          /* images this partial holds */
    size_t n_cells;         /* (image, category) records */
    uint64_t n_detections;  /* detections in the records */
    uint64_t gt_digest;     /* digest of the ground-truth file */
    uint64_t params_digest; /* digest of the resolved parameters */
    int has_matches;        /* match identities kept (params.keep_matches) */
} maskeval_coco_partial_info;

MASKEVAL_API void maskeval_coco_partial_get_info(const maskeval_coco_partial *p,
                                                 maskeval_coco_partial_info *info /* out */);

/*
 * One record cell, pycocotools' evalImgs entry of (image, category):
 * n_dt detections in descending score; status[(d * 4 + a) * T + t] is
 * 0 (false positive), 1 (true positive) or 2 (ignored) for area range a and
 * IoU threshold t; match_gt / match_iou likewise (NULL without
 * keep_matches). Cells are numbered 0..n_cells-1 in (image, category) order.
 */
typedef struct maskeval_coco_record {
    int64_t image_id;
    int64_t category_id;    /* -1 with use_cats = 0 */
    uint32_t n_dt;
    uint32_t n_gt_not_ignored[4];
    const double *scores;
    const uint8_t *status;
    const int64_t *match_gt;
    const double *match_iou;
} maskeval_coco_record;

MASKEVAL_API maskeval_status maskeval_coco_partial_record(const maskeval_coco_partial *p,
                                                          size_t cell,
                                                          maskeval_coco_record *rec /* out */);

/* ------------------------------------------------------------------------ */
/* TIDE error analysis (tidecv 1.0.1)                                        */
/* ------------------------------------------------------------------------ */

/*
 * tidecv's decomposition of detection errors, bit for bit: greedy matching
 * at pos_thresh across all classes of an image (top max_dets detections per
 * image by score), crowd ground truth as class-specific ignore regions, the
 * six main error types with their dAP (each fixed alone, clamped at 0), the
 * two special ones (not clamped), and TIDE's own 101-point AP. Every AP and
 * dAP is in percent (0-100), as tidecv prints them. Images are walked in
 * the order of the ground truth's "images" array. It is not COCO's AP: see
 * README "TIDE" for what differs and why.
 */
typedef struct maskeval_tide_params {
    size_t struct_size;          /* = sizeof(maskeval_tide_params) */
    maskeval_iou_type iou_type;  /* bbox: TIDE.BOX, segm: TIDE.MASK */
    double pos_thresh;           /* 0.5 */
    double bg_thresh;            /* 0.1 */
    uint32_t max_dets;           /* 100: per image, all classes together */
    int range;                   /* 1 (default): also the AP at 0.5, 0.55, ..., 0.95
                                    (tidecv's evaluate_range) */
} maskeval_tide_params;

MASKEVAL_API void maskeval_tide_params_init(maskeval_tide_params *p);

/* Error types in tidecv's order. */
typedef enum maskeval_tide_error {
    MASKEVAL_TIDE_CLS = 0,
    MASKEVAL_TIDE_LOC,
    MASKEVAL_TIDE_BOTH,
    MASKEVAL_TIDE_DUPE,
    MASKEVAL_TIDE_BKG,
    MASKEVAL_TIDE_MISS,
    MASKEVAL_TIDE_N_ERRORS
} maskeval_tide_error;

#define MASKEVAL_TIDE_MAX_RANGE 10

typedef struct maskeval_tide_summary {
    double ap;                                /* mAP at pos_thresh */
    double dap[MASKEVAL_TIDE_N_ERRORS];       /* main errors, max(fixed - ap, 0); NaN where
                                                 tidecv divides by zero (nothing left) */
    double false_pos, false_neg;              /* special errors, fixed - ap */
    uint64_t counts[MASKEVAL_TIDE_N_ERRORS];  /* errors of each type */
    size_t n_range;                           /* 10 with range, else 0 */
    double range_thr[MASKEVAL_TIDE_MAX_RANGE];
    double range_ap[MASKEVAL_TIDE_MAX_RANGE];
    double range_mean;                        /* sum / n, as tidecv's summarize */
    size_t n_images, n_classes;               /* images walked; classes averaged at pos_thresh */
    uint64_t n_gt, n_ignore_regions, n_dets_used; /* detections within the per-image cap */
    double seconds;
} maskeval_tide_summary;

/* Short names as tidecv prints them: "Cls", "Loc", "Both", "Dupe", "Bkg", "Miss". */
MASKEVAL_API const char *maskeval_tide_error_name(maskeval_tide_error e);

/*
 * Runs the analysis. gt must be loaded with MASKEVAL_LOAD_BBOX for bbox and
 * MASKEVAL_LOAD_SEGM for segm, and dets against gt. Fails (MASKEVAL_ERR_PARSE)
 * on ground truth whose image is not in "images" (tidecv raises there too)
 * and when there is nothing to average (no ground truth and no detection).
 */
MASKEVAL_API maskeval_status maskeval_tide_evaluate(maskeval_ctx *ctx, const maskeval_gt *gt,
                                                    const maskeval_dets *dets,
                                                    const maskeval_tide_params *params,
                                                    maskeval_tide_summary *out /* out */);

/* ------------------------------------------------------------------------ */
/* Semantic segmentation                                                     */
/* ------------------------------------------------------------------------ */

/*
 * Per-class confusion counts over a dataset, then mmsegmentation's IoUMetric
 * metrics. Ground-truth labels go through reduce_zero_label (0 -> 255,
 * 255 -> 255, v -> v - 1), then label_map; predictions through
 * pred_label_map. Pixels whose mapped ground truth equals ignore_index are
 * dropped. A prediction outside [0, K) counts only towards its pixel's
 * ground-truth class (a miss); a ground-truth value >= K (not ignored)
 * counts only towards the predicted class (a false positive). Counts are
 * exact 64-bit integers; results do not depend on the backend or the order
 * in which images are added.
 */
typedef struct maskeval_semantic maskeval_semantic;

typedef struct maskeval_semantic_params {
    size_t struct_size;            /* = sizeof(maskeval_semantic_params) */
    uint32_t num_classes;          /* K, 1..65535 */
    int64_t ignore_index;          /* default 255; -1: none */
    int reduce_zero_label;         /* mmseg's reduce_zero_label (ADE20K) */
    const int64_t *label_map;      /* (src, dst) pairs for ground truth; unmapped stay */
    size_t n_label_map;            /* number of pairs */
    const int64_t *pred_label_map; /* (src, dst) pairs for predictions */
    size_t n_pred_label_map;
    /* PNG images with more pixels are refused (MASKEVAL_ERR_LIMIT) before
     * decoding, against decompression bombs. 0: 2^28 (16384 x 16384);
     * at most 2^30. */
    uint64_t max_image_pixels;
} maskeval_semantic_params;

MASKEVAL_API void maskeval_semantic_params_init(maskeval_semantic_params *p);
MASKEVAL_API maskeval_status maskeval_semantic_create(maskeval_ctx *ctx,
                                                      const maskeval_semantic_params *p,
                                                      maskeval_semantic **out /* out */);
MASKEVAL_API void maskeval_semantic_destroy(maskeval_semantic *s);

/* Counts one pair of label maps of n_pixels labels each (1 or 2 bytes per
 * label, same layout for both). */
MASKEVAL_API maskeval_status maskeval_semantic_add(maskeval_ctx *ctx, maskeval_semantic *s,
                                                   const void *gt, const void *pred,
                                                   size_t n_pixels, int bytes_per_label);

/* Decodes and counts n pairs of PNG files (ground truth, prediction), on the
 * context's threads and backend. PNGs are read the way Pillow reads them
 * (gray, 16-bit gray, sub-byte gray scaled, palette indices); RGB and alpha
 * images are refused. Errors name the file. */
MASKEVAL_API maskeval_status maskeval_semantic_add_png(maskeval_ctx *ctx, maskeval_semantic *s,
                                                       const char *const *gt_paths,
                                                       const char *const *pred_paths, size_t n);

/*
 * Sharding: declares that s covers the items at positions p of a dataset of
 * n_items (in the caller's fixed order, e.g. sorted file names) with
 * p % shard_count == shard_index. dataset_digest identifies the dataset
 * (maskeval_digest of its item names, say); tag is caller metadata that
 * merged partials must share (NULL for none).
 */
MASKEVAL_API maskeval_status maskeval_semantic_set_shard(maskeval_ctx *ctx, maskeval_semantic *s,
                                                         uint64_t dataset_digest,
                                                         uint64_t n_items, uint32_t shard_index,
                                                         uint32_t shard_count, const char *tag);
/* n_items = 0 when no shard was declared; *tag NULL for none. */
MASKEVAL_API void maskeval_semantic_get_shard(const maskeval_semantic *s, uint64_t *n_items,
                                              uint64_t *n_held, const char **tag);

/* dst += src: same parameters, the same dataset and tag (or neither set),
 * disjoint items. The counts of shards merge exactly, in any order. */
MASKEVAL_API maskeval_status maskeval_semantic_merge(maskeval_ctx *ctx, maskeval_semantic *dst,
                                                     const maskeval_semantic *src);

/* A semantic evaluation as a partial file (README "Partial files"), and
 * back; decode errors (truncated, corrupt, another version) name `name`. */
MASKEVAL_API maskeval_status maskeval_semantic_encode(maskeval_ctx *ctx,
                                                      const maskeval_semantic *s, void *buf,
                                                      size_t cap, size_t *len /* out */);
MASKEVAL_API maskeval_status maskeval_semantic_decode(maskeval_ctx *ctx, const char *name,
                                                      const void *buf, size_t len,
                                                      maskeval_semantic **out /* out */);

typedef struct maskeval_semantic_summary {
    uint32_t num_classes;
    double aAcc, mIoU, mAcc, mDice, mPrecision, mRecall, mFscore, fwIoU; /* fractions; NaN if undefined */
    uint64_t images;
    uint64_t invalid_pred_pixels; /* non-ignored pixels predicted outside [0, K) */
    uint64_t invalid_gt_pixels;   /* ground truth >= K that is not the ignore index */
    double decode_seconds;        /* PNG decoding, summed over threads */
    double count_seconds;         /* counting, summed over threads / device calls */
} maskeval_semantic_summary;

typedef struct maskeval_class_metrics {
    double iou, acc, dice, precision, recall, fscore; /* NaN where the denominator is 0 */
    uint64_t intersect, union_, pred, label;
} maskeval_class_metrics;

MASKEVAL_API maskeval_status maskeval_semantic_summarize(const maskeval_semantic *s,
                                                       maskeval_semantic_summary *out);
/* Per-class metrics for classes 0..K-1 (cap >= K). */
MASKEVAL_API maskeval_status maskeval_semantic_classes(const maskeval_semantic *s,
                                                       maskeval_class_metrics *out, size_t cap);

/* The K x K confusion matrix (rows: ground truth, columns: prediction) when
 * K <= 4096; MASKEVAL_ERR_UNSUPPORTED above. */
MASKEVAL_API maskeval_status maskeval_semantic_confusion(const maskeval_semantic *s, uint64_t *out,
                                                         size_t cap);
/* The non-zero cells of the K x K matrix, sorted by (row, col): at most cap
 * entries are written, *n gets the number of cells. Works for every K. */
MASKEVAL_API maskeval_status maskeval_semantic_confusion_cells(const maskeval_semantic *s,
                                                               uint32_t *rows, uint32_t *cols,
                                                               uint64_t *counts, size_t cap,
                                                               size_t *n);

/* ---- panoptic quality ------------------------------------------------------
 *
 * panopticapi's pq_compute (PQ, SQ, RQ per category and over All / Things /
 * Stuff) from COCO panoptic JSON + RGB segment PNGs, and Boundary PQ
 * (boundary-iou-api's panoptic evaluation: the pair IoU is min(mask IoU,
 * boundary IoU)) when dilation_ratio > 0. panopticapi sums the per-category
 * IoUs in chunks, one per process: `chunks` reproduces the summation of a
 * run on that many processes bit for bit (README "Panoptic quality").
 */
typedef struct maskeval_panoptic_params {
    size_t struct_size;      /* = sizeof(maskeval_panoptic_params) */
    const char *gt_json, *pred_json;
    const char *gt_dir, *pred_dir; /* NULL: the JSON path with ".json" removed */
    uint32_t chunks;         /* panopticapi's process count to reproduce; default 1 */
    double dilation_ratio;   /* > 0: Boundary PQ (boundary-iou-api's default 0.02) */
    uint64_t max_image_pixels; /* 0: 2^28, at most 2^30 */
    /* shard_count > 1: evaluate only the images (GT annotations) at positions
     * p with p % shard_count == shard_index; the result is then a partial to
     * encode and merge (README "Panoptic quality"). */
    uint32_t shard_index, shard_count;
} maskeval_panoptic_params;

typedef struct maskeval_panoptic maskeval_panoptic;

typedef struct maskeval_pq_class {
    int64_t id;
    const char *name; /* owned by the result */
    int isthing;
    double iou;       /* sum of the matched pairs' IoU */
    uint64_t tp, fp, fn;
    double pq, sq, rq; /* 0 when tp + fp + fn == 0 (panopticapi) */
} maskeval_pq_class;

typedef enum maskeval_pq_group {
    MASKEVAL_PQ_ALL = 0,
    MASKEVAL_PQ_THINGS = 1,
    MASKEVAL_PQ_STUFF = 2
} maskeval_pq_group;

typedef struct maskeval_pq_summary {
    double pq, sq, rq; /* means over the group's categories that occur; NaN when n == 0 */
    size_t n;
} maskeval_pq_summary;

MASKEVAL_API void maskeval_panoptic_params_init(maskeval_panoptic_params *p);
MASKEVAL_API maskeval_status maskeval_panoptic_evaluate(maskeval_ctx *ctx,
                                                        const maskeval_panoptic_params *p,
                                                        maskeval_panoptic **out /* out */);
MASKEVAL_API void maskeval_panoptic_destroy(maskeval_panoptic *r);
MASKEVAL_API size_t maskeval_panoptic_n_images(const maskeval_panoptic *r);
/* Categories in the GT file's order. */
MASKEVAL_API size_t maskeval_panoptic_n_classes(const maskeval_panoptic *r);
MASKEVAL_API maskeval_status maskeval_panoptic_class(const maskeval_panoptic *r, size_t i,
                                                     maskeval_pq_class *out);
MASKEVAL_API void maskeval_panoptic_summary(const maskeval_panoptic *r, maskeval_pq_group g,
                                            maskeval_pq_summary *out);
/* Images evaluated so far (a shard holds some), the chunk count and the
 * Boundary PQ dilation ratio (0: PQ) of the run. */
MASKEVAL_API size_t maskeval_panoptic_n_held(const maskeval_panoptic *r);
MASKEVAL_API uint32_t maskeval_panoptic_chunks(const maskeval_panoptic *r);
MASKEVAL_API double maskeval_panoptic_dilation_ratio(const maskeval_panoptic *r);
/* A panoptic evaluation as a partial file (per-image records), and back;
 * dst += src for shards of one run (same ground truth file, parameters and
 * categories, disjoint images). Statistics after a merge are those of one
 * process over the images held, bit for bit. */
MASKEVAL_API maskeval_status maskeval_panoptic_encode(maskeval_ctx *ctx,
                                                      const maskeval_panoptic *r, void *buf,
                                                      size_t cap, size_t *len /* out */);
MASKEVAL_API maskeval_status maskeval_panoptic_decode(maskeval_ctx *ctx, const char *name,
                                                      const void *buf, size_t len,
                                                      maskeval_panoptic **out /* out */);
MASKEVAL_API maskeval_status maskeval_panoptic_merge(maskeval_ctx *ctx, maskeval_panoptic *dst,
                                                     const maskeval_panoptic *src);
/* ------------------------------------------------------------------------ */
/* Cityscapes instance-level AP (cityscapesScripts 2.3.0,                    */
/* evalInstanceLevelSemanticLabeling)                                        */
/* ------------------------------------------------------------------------ */

/*
 * Images are added one at a time: a *_gtFine_instanceIds.png and its
 * prediction text file (lines "relPathToMask labelId confidence", paths
 * relative to the text file). Masks are PNGs whose Pillow-"L" conversion is
 * nonzero on the instance. AP per class and IoU threshold 0.50:0.05:0.95,
 * their means, and the NaN-skipping averages, computed the way the reference
 * computes them, floating-point order included (README "Cityscapes
 * instances").
 */
#define MASKEVAL_CSINST_CLASSES 8
#define MASKEVAL_CSINST_THRESHOLDS 10

typedef struct maskeval_csinst maskeval_csinst;

/* The reference's AP is np.dot, i.e. OpenBLAS's ddot, whose summation order
 * is that of the kernel OpenBLAS picks for the CPU at run time. maskeval
 * reproduces two: SKYLAKEX (AVX-512: Skylake-X, Cooper Lake, Sapphire Rapids,
 * AVX-512 Zen) and HASWELL (AVX2 + FMA without AVX-512: Haswell and later
 * Intel, Zen 1-3; OpenBLAS's "Zen" core uses the same kernel). */
typedef enum maskeval_ddot_kernel {
    MASKEVAL_DDOT_SKYLAKEX = 0,
    MASKEVAL_DDOT_HASWELL = 1
} maskeval_ddot_kernel;

typedef struct maskeval_csinst_params {
    size_t struct_size;        /* = sizeof(maskeval_csinst_params) */
    uint64_t min_region_size;  /* ground-truth instances below this many pixels are ignored (100) */
    uint64_t max_image_pixels; /* as in maskeval_semantic_params (0: 2^28) */
    int ddot_kernel;           /* maskeval_ddot_kernel whose order the AP's dot product follows
                                  (MASKEVAL_DDOT_SKYLAKEX) */
} maskeval_csinst_params;

typedef struct maskeval_csinst_result {
    /* ap[c][t]: class c (maskeval_csinst_class_name), threshold t; NaN: no
     * ground truth of the class */
    double ap[MASKEVAL_CSINST_CLASSES][MASKEVAL_CSINST_THRESHOLDS];
    double class_ap[MASKEVAL_CSINST_CLASSES];   /* mean over thresholds ("ap") */
    double class_ap50[MASKEVAL_CSINST_CLASSES];  /* at 0.5 ("ap50%") */
    double all_ap, all_ap50;                     /* "allAp", "allAp50%" (nanmean) */
    uint64_t images, gt_instances, predictions;  /* counted: images added, GT
                                                    instances of the 8 classes,
                                                    non-empty predicted masks of them */
} maskeval_csinst_result;

MASKEVAL_API void maskeval_csinst_params_init(maskeval_csinst_params *p);
MASKEVAL_API maskeval_status maskeval_csinst_create(maskeval_ctx *ctx,
                                                    const maskeval_csinst_params *p,
                                                    maskeval_csinst **out /* out */);
MASKEVAL_API void maskeval_csinst_destroy(maskeval_csinst *e);
/* Adds one image. pred_root: every mask path, made absolute and normalised,
 * must start with it (the reference's string-prefix test). On failure the
 * message names the file (and the line of the text file); nothing of the
 * image is kept. */
MASKEVAL_API maskeval_status maskeval_csinst_add(maskeval_ctx *ctx, maskeval_csinst *e,
                                                 const char *gt_png, const char *pred_txt,
                                                 const char *pred_root);
/* n images (gt_pngs[i] with pred_txts[i]) decoded on the context's threads
 * and kept in this order; on failure the first failing image (by index) is
 * reported and none of the n is kept. */
MASKEVAL_API maskeval_status maskeval_csinst_add_many(maskeval_ctx *ctx, maskeval_csinst *e,
                                                      const char *const *gt_pngs,
                                                      const char *const *pred_txts, size_t n,
                                                      const char *pred_root);
MASKEVAL_API maskeval_status maskeval_csinst_evaluate(maskeval_ctx *ctx, const maskeval_csinst *e,
                                                      maskeval_csinst_result *out);
/* "person", "rider", "car", "truck", "bus", "train", "motorcycle", "bicycle"; NULL past 7. */
MASKEVAL_API const char *maskeval_csinst_class_name(int c);
/* The thresholds as numpy's arange(0.5, 1.0, 0.05) makes them. */
MASKEVAL_API double maskeval_csinst_threshold(int t);

#ifdef __cplusplus
}
#endif

#endif /* MASKEVAL_H */
