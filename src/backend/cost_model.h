/*
 * cost_model.h - how --backend auto chooses: a measured profile of the
 * machine's first GPU against the CPU path (written by `maskeval devices
 * --calibrate`, calibrate.c), and the workload of the stage that first needs
 * a backend.
 *
 * For a stage of `units` work units of one kind the model predicts
 *   t_cpu = units / (cpu_rate * threads / profile threads)
 *   t_dev = open_s + units / dev_rate
 * and auto opens the device only when t_dev < t_cpu. open_s is what opening
 * the device and building every kernel cost when calibrated; the rates were
 * measured on synthetic workloads (calibrate.c) with the primitives
 * themselves, transfers included. Without a profile, auto stays on the CPU.
 */
#ifndef MASKEVAL_BACKEND_COST_MODEL_H
#define MASKEVAL_BACKEND_COST_MODEL_H

#include "core/ctx.h"

/* Work kinds and their units. */
typedef enum maskeval_work {
    MASKEVAL_WORK_PAIRS = 0,  /* mask IoU: per pair, the runs of both masks */
    MASKEVAL_WORK_BANDS,      /* Boundary AP: the same units, bands and both intersections */
    MASKEVAL_WORK_CONFUSION,  /* semantic confusion counts: pixels */
    MASKEVAL_WORK_SEGMENTS,   /* panoptic segment pairs: pixels */
    MASKEVAL_WORK_KINDS
} maskeval_work;

typedef struct maskeval_profile {
    char device[640];   /* "name | platform | driver" of the profiled device */
    int threads;        /* threads the CPU rates were measured with */
    double open_s;      /* opening the device and building all kernels */
    double cpu_rate[MASKEVAL_WORK_KINDS], dev_rate[MASKEVAL_WORK_KINDS]; /* units per second */
} maskeval_profile;

/* The profile file: opts path, else $MASKEVAL_PROFILE, else
 * $XDG_CACHE_HOME/maskeval/device-profile (or ~/.cache/...). 0 if none can
 * be named (no HOME). */
int maskeval_profile_path(const char *opt, char *buf, size_t cap);

/* Reads a profile. MASKEVAL_ERR_IO when the file is missing,
 * MASKEVAL_ERR_PARSE (message in err) when it is not a valid profile. */
maskeval_status maskeval_profile_read(const char *path, maskeval_profile *p, char *err,
                                      size_t errcap);
/* Writes one atomically (temporary file, then rename), creating the
 * directory if needed. */
maskeval_status maskeval_profile_write(const char *path, const maskeval_profile *p, char *err,
                                       size_t errcap);

/* The model: 1 if the device is predicted faster for this stage; the two
 * predictions in *t_cpu and *t_dev. */
int maskeval_cost_prefers_device(const maskeval_profile *p, int threads, maskeval_work kind,
                                 double units, double *t_cpu, double *t_dev);

const char *maskeval_work_name(maskeval_work kind);

#endif
