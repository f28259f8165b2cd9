/*
 * threadpool.c - maskeval_parallel_for: pthreads with an atomic work counter.
 * Threads are started per call; the calls are few and coarse (per image or
 * per category), so a persistent pool would not pay for itself.
 */
#include "core/threadpool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

typedef struct pool_run {
    maskeval_task_fn fn;
    void *arg;
    size_t n;
    const maskeval_ctx *ctx;  /* for progress reports (worker 0 only) */
    double last_report;
    atomic_size_t done;
    atomic_size_t next;
    atomic_int stop;
    pthread_mutex_t lock; /* guards the error fields below */
    size_t err_index;
    maskeval_status err_status;
    char err_msg[MASKEVAL_ERRMSG_CAP];
} pool_run;

typedef struct pool_worker {
    pool_run *run;
    int id;
} pool_worker;

static void run_items(pool_run *run, int worker)
{
    char msg[MASKEVAL_ERRMSG_CAP];
    for (;;) {
        size_t i;
        maskeval_status st;
        if (atomic_load(&run->stop)) {
            return;
        }
        i = atomic_fetch_add(&run->next, 1);
        if (i >= run->n) {
            return;
        }
        msg[0] = '\0';
        st = run->fn(run->arg, i, worker, msg, sizeof(msg));
        atomic_fetch_add(&run->done, 1);
        if (worker == 0 && run->ctx->opts.progress_fn != NULL) {
            double now = maskeval_now();
            if (now - run->last_report >= 0.1) {
                run->last_report = now;
                maskeval_progress_report(run->ctx,
                                         (double)atomic_load(&run->done) / (double)run->n);
            }
        }
        if (st != MASKEVAL_OK) {
            pthread_mutex_lock(&run->lock);
            if (run->err_status == MASKEVAL_OK || i < run->err_index) {
                run->err_status = st;
                run->err_index = i;
                memcpy(run->err_msg, msg, sizeof(msg));
            }
            pthread_mutex_unlock(&run->lock);
            atomic_store(&run->stop, 1);
            return;
        }
    }
}

static void *worker_main(void *p)
{
    pool_worker *w = p;
    run_items(w->run, w->id);
    return NULL;
}

int maskeval_parallel_workers(const maskeval_ctx *ctx, size_t n)
{
    int t = ctx->threads < 1 ? 1 : ctx->threads;
    if ((size_t)t > n) {
        t = n > 0 ? (int)n : 1;
    }
    return t;
}

maskeval_status maskeval_parallel_for(maskeval_ctx *ctx, size_t n, maskeval_task_fn fn,
                                      void *arg)
{
    enum { MAX_THREADS = 256 };
    pool_run run;
    pthread_t tids[MAX_THREADS];
    pool_worker workers[MAX_THREADS];
    int nthreads = maskeval_parallel_workers(ctx, n), started = 0, i;

    if (n == 0) {
        return MASKEVAL_OK;
    }
    if (nthreads > MAX_THREADS) {
        nthreads = MAX_THREADS;
    }
    run.fn = fn;
    run.arg = arg;
    run.n = n;
    run.ctx = ctx;
    run.last_report = maskeval_now();
    atomic_init(&run.done, 0);
    atomic_init(&run.next, 0);
    atomic_init(&run.stop, 0);
    run.err_index = 0;
    run.err_status = MASKEVAL_OK;
    run.err_msg[0] = '\0';
    if (pthread_mutex_init(&run.lock, NULL) != 0) {
        return maskeval_fail(ctx, MASKEVAL_ERR_NOMEM, "cannot create a mutex");
    }
    /* Worker 0 is the calling thread; a thread that cannot be started just
     * leaves its share to the others. */
    for (i = 1; i < nthreads; i++) {
        workers[i].run = &run;
        workers[i].id = i;
        if (pthread_create(&tids[i], NULL, worker_main, &workers[i]) != 0) {
            break;
        }
        started = i;
    }
    run_items(&run, 0);
    for (i = 1; i <= started; i++) {
        pthread_join(tids[i], NULL);
    }
    pthread_mutex_destroy(&run.lock);
    if (run.err_status != MASKEVAL_OK) {
        return maskeval_fail(ctx, run.err_status, "%s", run.err_msg);
    }
    return MASKEVAL_OK;
}
