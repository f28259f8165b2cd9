/*
 * threadpool.h - a parallel for-loop over indices on the context's threads.
 */
#ifndef MASKEVAL_CORE_THREADPOOL_H
#define MASKEVAL_CORE_THREADPOOL_H

#include <stddef.h>

#include "core/ctx.h"

/* One unit of work. worker is in [0, workers) and lets tasks use per-worker
 * scratch space. On failure a task writes a message into err (errcap bytes)
 * and returns a status other than MASKEVAL_OK. */
typedef maskeval_status (*maskeval_task_fn)(void *arg, size_t index, int worker, char *err,
                                            size_t errcap);

/* Number of workers maskeval_parallel_for will use for n items. */
int maskeval_parallel_workers(const maskeval_ctx *ctx, size_t n);

/*
 * Runs fn(arg, i, worker, ...) for every i in [0, n), indices handed out in
 * increasing order. After a failure no new index is started; the failure with
 * the smallest index is reported (deterministic whatever the thread count),
 * its message copied into ctx's error buffer.
 */
maskeval_status maskeval_parallel_for(maskeval_ctx *ctx, size_t n, maskeval_task_fn fn,
                                      void *arg);

#endif
