/*
 * panoptic.h - Panoptic Quality (panopticapi's pq_compute) and Boundary PQ
 * (boundary-iou-api's panoptic evaluation): the data model shared by the
 * loader (pq_load.c), the per-image pixel pass (pq_pairs.c, pq_image.c) and
 * the accumulation in panopticapi's order (pq_eval.c).
 */
#ifndef MASKEVAL_PANOPTIC_PANOPTIC_H
#define MASKEVAL_PANOPTIC_PANOPTIC_H

#include <stddef.h>
#include <stdint.h>

#include "core/ctx.h"
#include "io/png_labels.h"

/* panopticapi's OFFSET and VOID: ids are < 2^24 (three bytes of RGB) */
#define MASKEVAL_PQ_VOID 0u

typedef struct pq_cat {
    int64_t id;
    char *name;
    int isthing; /* isthing == 1 in the JSON */
} pq_cat;

typedef struct pq_seg {
    int64_t id;
    int64_t cat_id;
    int32_t cat;   /* index into the categories; -1: not a GT category */
    int crowd;     /* GT: iscrowd == 1 */
    double area;   /* GT: the JSON area (panopticapi never recounts it) */
} pq_seg;

typedef struct pq_img {
    char *gt_path, *pred_path;
    char *label;            /* the image id as the user wrote it, for messages */
    size_t gt_off, n_gt;    /* GT segments, segments_info order */
    size_t pr_off, n_pr;    /* predicted segments, segments_info order */
} pq_img;

typedef struct pq_data {
    uint64_t gt_digest;     /* maskeval_digest of the GT JSON file's bytes */
    pq_cat *cats;
    size_t n_cats;
    int64_t max_cat_id;     /* boundary-iou-api's BOUNDARY_ID is max_cat_id + 1 */
    pq_img *imgs;           /* GT annotations order */
    size_t n_imgs;
    pq_seg *segs;
    size_t n_segs;
} pq_data;

/* Loads both JSON files and pairs every GT annotation with its prediction
 * (the last prediction of an image id wins, as panopticapi's dict does).
 * gt_dir / pred_dir NULL: the JSON path with every ".json" removed
 * (panopticapi's str.replace). */
maskeval_status maskeval_pq_load(maskeval_ctx *ctx, const char *gt_json, const char *gt_dir,
                                 const char *pred_json, const char *pred_dir, pq_data *out);
void maskeval_pq_data_free(const maskeval_alloc *a, pq_data *d);

/* ---- the pixel pass ---------------------------------------------------- */

typedef struct pq_pair {
    uint32_t g, p; /* raw ids */
    uint64_t n;    /* pixels */
} pq_pair;

typedef struct pq_idcount {
    uint32_t id;
    uint64_t n;
} pq_idcount;

/* Per-worker scratch of the joint histogram (grown on demand). */
typedef struct pq_scratch {
    uint64_t *hkeys, *hvals; /* pair table: (gt << 32 | pred) + 1 -> pixels */
    size_t hcap;
    pq_pair *pairs;
    size_t pairs_cap;
    pq_idcount *pred_hist;
    size_t pred_hist_cap;
    uint32_t *pos; /* maskeval_pq_joint_rows: the change positions of two rows */
    size_t pos_cap;
} pq_scratch;

void maskeval_pq_scratch_free(const maskeval_alloc *a, pq_scratch *s);

/* The joint histogram of (gt id, pred id) over npix pixels, sorted by
 * (g, p) - the order of panopticapi's np.unique on gt * 2^24 + pred - and
 * the per-id pixel counts of pred, sorted by id. Both live in s. */
maskeval_status maskeval_pq_joint(const maskeval_alloc *a, const uint32_t *gt,
                                  const uint32_t *pred, size_t npix, pq_scratch *s,
                                  size_t *n_pairs, size_t *n_pred_ids);

/* The same from two PNGs of one size row by row (maskeval_png_rows, png_labels.h),
 * without id maps: each row's runs of equal pixels are found by comparing
 * it with itself one pixel on, and the runs between the changes of either
 * row are counted. */
struct maskeval_png_rows;
maskeval_status maskeval_pq_joint_rows(const maskeval_alloc *a, struct maskeval_png_rows *g,
                                       struct maskeval_png_rows *p, pq_scratch *s,
                                       size_t *n_pairs, size_t *n_pred_ids);

struct maskeval_seg_maps;
/* The same from the segment_pairs primitive's dense counts (backend.h),
 * made against maskeval_pq_id_tables' tables. The gt ids outside the table
 * become one pair of gt id UINT32_MAX (no segment has it: PNG ids are
 * < 2^24). *pred_outside: some pixel has a pred id outside the table, and
 * nothing is filled (maskeval_pq_joint names that id). */
maskeval_status maskeval_pq_joint_dense(const maskeval_alloc *a,
                                        const struct maskeval_seg_maps *m, pq_scratch *s,
                                        size_t *n_pairs, size_t *n_pred_ids, int *pred_outside);

/* The count of (g, p) in a sorted pair list, 0 when absent. */
uint64_t maskeval_pq_pair_count(const pq_pair *pairs, size_t n, uint32_t g, uint32_t p);

/* ---- one image ---------------------------------------------------------- */

typedef struct pq_tp {
    uint32_t cat;
    double iou;
} pq_tp;

/* What one image adds to the per-category statistics, in panopticapi's
 * order: true positives in (gt id, pred id) order. */
typedef struct pq_record {
    pq_tp *tp;
    size_t n_tp;
    uint32_t *fp, *fn; /* category indices */
    size_t n_fp, n_fn;
} pq_record;

void maskeval_pq_record_free(const maskeval_alloc *a, pq_record *r);

typedef struct pq_image_opts {
    double dilation_ratio; /* > 0: Boundary PQ */
    uint64_t max_image_pixels;
} pq_image_opts;

typedef struct pq_worker {
    pq_scratch mask, band; /* joint histograms of the segment maps and the boundary maps */
    maskeval_png_rows gr, pr; /* the rows of the two files, buffers kept between images */
    uint32_t *bmap_g, *bmap_p, *run;
    uint8_t *band_g, *band_p;
    size_t bcap;
} pq_worker;

void maskeval_pq_worker_free(const maskeval_alloc *a, pq_worker *w);

/* ---- the result (pq_eval.c) and its partial files (pq_partial.c) ---- */

typedef struct pq_cat_stat {
    double iou;
    uint64_t tp, fp, fn;
    double pq, sq, rq;
} pq_cat_stat;

/* The result: per-image records and the statistics over the held ones. */
struct maskeval_panoptic {
    maskeval_alloc alloc;
    pq_data data;           /* a decoded partial has categories and n_imgs only */
    uint32_t chunks;
    double ratio;
    pq_record *recs;        /* [n_imgs] */
    uint8_t *held;          /* [n_imgs] */
    size_t n_held;
    pq_cat_stat *stat;
    maskeval_pq_summary group[3];
};

/* An empty result for n_imgs images and n_cats categories (data unset). */
maskeval_status maskeval_pq_result_new(maskeval_ctx *ctx, size_t n_imgs, size_t n_cats,
                                       maskeval_panoptic **out);
/* Recomputes the statistics from the held images' records. */
maskeval_status maskeval_pq_finalize(maskeval_ctx *ctx, maskeval_panoptic *r);

/* Reads image i's two PNGs and evaluates it. Errors name the file or the
 * image and segment. */
maskeval_status maskeval_pq_image(const maskeval_alloc *a, const pq_data *d, size_t i,
                                  const pq_image_opts *o, pq_worker *w, pq_record *rec, char *err,
                                  size_t errcap);

/* The same in steps, for a device that counts the pairs of many images at
 * once: read the PNGs; the sorted id tables to count them against (the
 * listed ids a PNG can hold, < 2^24, and VOID; gids / pids have room for
 * n_gt + 1 / n_pr + 1); evaluate from the maps and the device's counts
 * (dense NULL: count on the CPU). */
struct maskeval_id_img;
maskeval_status maskeval_pq_read(const maskeval_alloc *a, const pq_data *d, size_t i,
                                 const pq_image_opts *o, struct maskeval_id_img *g,
                                 struct maskeval_id_img *p, char *err, size_t errcap);
void maskeval_pq_id_tables(const pq_data *d, size_t i, uint32_t *gids, uint32_t *ng,
                           uint32_t *pids, uint32_t *np);
maskeval_status maskeval_pq_eval(const maskeval_alloc *a, const pq_data *d, size_t i,
                                 const pq_image_opts *o, pq_worker *w,
                                 const struct maskeval_id_img *gimg,
                                 const struct maskeval_id_img *pimg,
                                 const struct maskeval_seg_maps *dense, pq_record *rec, char *err,
                                 size_t errcap);

#endif
