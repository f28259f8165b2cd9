/*
 * backend.c - choosing and opening the backend a context uses.
 */
#include "backend/backend.h"
#include "backend/cost_model.h"
#include "semantic/confusion.h"

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifdef MASKEVAL_HAVE_OPENCL
#include "backend/cl_backend.h"
#endif

static maskeval_status open_cpu(maskeval_ctx *ctx, maskeval_backend_state *be)
{
    be->ops = &maskeval_backend_cpu_ops;
    snprintf(be->desc, sizeof(be->desc), "cpu (%d threads)", ctx->threads);
    return MASKEVAL_OK;
}

#ifdef MASKEVAL_HAVE_OPENCL
/*
 * Whether this machine has a GPU an OpenCL driver could drive: one of the
 * device nodes GPU drivers create (NVIDIA, AMD's KFD and DRM render nodes,
 * WSL's dxg, Mali, Adreno). Enumerating OpenCL platforms loads every
 * installed ICD, PoCL included (~50 ms, ~65 MB resident), which a machine
 * with no GPU pays for nothing: --backend auto asks this first.
 */
static int gpu_node_present(void)
{
    static const char *const nodes[] = {"/dev/nvidiactl", "/dev/nvidia0", "/dev/kfd", "/dev/dxg",
                                        "/dev/mali0",     "/dev/kgsl-3d0"};
    struct stat sb;
    DIR *dri;
    int found = 0;
    for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
        if (stat(nodes[i], &sb) == 0 && S_ISCHR(sb.st_mode)) {
            return 1;
        }
    }
    dri = opendir("/dev/dri");
    if (dri != NULL) {
        const struct dirent *e;
        while (!found && (e = readdir(dri)) != NULL) {
            found = strncmp(e->d_name, "renderD", 7) == 0;
        }
        closedir(dri);
    }
    return found;
}

/* MASKEVAL_AUTO_ANY_DEVICE=1: auto also considers a first device that is
 * not a GPU (PoCL on the CPU: how the tests run the model end to end, and
 * for OpenCL-only CPU setups). */
static int any_device(void)
{
    const char *e = getenv("MASKEVAL_AUTO_ANY_DEVICE");
    return e != NULL && strcmp(e, "1") == 0;
}

/*
 * auto: whether the stage's workload goes to the first GPU. Only on a
 * machine with a GPU device node, and only with a valid profile whose
 * model predicts the device (opening included) to finish first.
 */
static int auto_wants_device(maskeval_ctx *ctx, int work, double units)
{
    char path[4096], err[4200];
    maskeval_profile prof;
    double tc, td;
    int dev;
    if (work < 0 || work >= MASKEVAL_WORK_KINDS || (!any_device() && !gpu_node_present())) {
        return 0;
    }
    if (!maskeval_profile_path(ctx->opts.device_profile, path, sizeof(path))) {
        return 0;
    }
    if (maskeval_profile_read(path, &prof, err, sizeof(err)) != MASKEVAL_OK) {
        maskeval_log(ctx, MASKEVAL_LOG_INFO,
                     "backend auto: %s; using the CPU path (a profile from 'maskeval devices "
                     "--calibrate' lets auto use the GPU where it pays)",
                     err);
        return 0;
    }
    dev = maskeval_cost_prefers_device(&prof, ctx->threads, (maskeval_work)work, units, &tc, &td);
    maskeval_log(ctx, MASKEVAL_LOG_INFO,
                 "backend auto: %s stage of %.3g units: cpu %.3g s (%d threads) vs %s %.3g s "
                 "(%.3g s to open): %s",
                 maskeval_work_name((maskeval_work)work), units, tc, ctx->threads, prof.device,
                 td, prof.open_s, dev ? "device" : "cpu");
    return dev;
}

/*
 * Selection: an explicit device index wins (and means OpenCL); otherwise
 * --backend opencl takes the first device (GPUs are listed first), and auto
 * takes the first GPU when auto_wants_device says so (else, or when there is
 * no GPU, the CPU path); on a machine without a GPU device node auto does not
 * look at OpenCL at all.
 */
static maskeval_status open_backend(maskeval_ctx *ctx, maskeval_backend_state *be, int work,
                                    double units)
{
    maskeval_cl_device *devs = NULL;
    maskeval_cl *cl = NULL;
    size_t n = 0, pick = 0;
    maskeval_backend want = ctx->opts.backend;
    maskeval_status st;

    if (want == MASKEVAL_BACKEND_CPU || (want == MASKEVAL_BACKEND_AUTO &&
                                         ctx->opts.device_index < 0 &&
                                         !auto_wants_device(ctx, work, units))) {
        return open_cpu(ctx, be);
    }
    st = maskeval_cl_devices(ctx, &devs, &n);
    if (st != MASKEVAL_OK) {
        return st;
    }
    if (ctx->opts.device_index >= 0) {
        if ((size_t)ctx->opts.device_index >= n) {
            st = maskeval_fail(ctx, MASKEVAL_ERR_NO_DEVICE,
                               "OpenCL device %d does not exist (%zu device%s found; see "
                               "'maskeval devices')",
                               ctx->opts.device_index, n, n == 1 ? "" : "s");
            goto done;
        }
        pick = (size_t)ctx->opts.device_index;
    } else if (n == 0 || (want == MASKEVAL_BACKEND_AUTO && !devs[0].info.is_gpu && !any_device())) {
        if (want == MASKEVAL_BACKEND_AUTO) {
            st = open_cpu(ctx, be);
            goto done;
        }
        st = maskeval_fail(ctx, MASKEVAL_ERR_NO_DEVICE,
                           "--backend opencl: no OpenCL device found (install a driver, e.g. "
                           "Debian's pocl-opencl-icd for the CPU, or use --backend cpu)");
        goto done;
    }
    st = maskeval_cl_open(ctx, &devs[pick], &cl);
    if (st != MASKEVAL_OK) {
        goto done;
    }
    be->ops = &maskeval_backend_cl_ops;
    be->impl = cl;
    snprintf(be->desc, sizeof(be->desc), "opencl: %s (%s, %s)", devs[pick].info.name,
             devs[pick].info.platform, devs[pick].info.driver);
done:
    maskeval_free(&ctx->alloc, devs);
    return st;
}
#else
static maskeval_status open_backend(maskeval_ctx *ctx, maskeval_backend_state *be, int work,
                                    double units)
{
    (void)work;
    (void)units;
    if (ctx->opts.backend == MASKEVAL_BACKEND_OPENCL || ctx->opts.device_index >= 0) {
        return maskeval_fail(ctx, MASKEVAL_ERR_UNSUPPORTED,
                             "this build of maskeval has no OpenCL backend "
                             "(configure with -DMASKEVAL_OPENCL=ON)");
    }
    return open_cpu(ctx, be);
}
#endif

/*
 * Warm-up: opening an OpenCL device (context, queues, kernel builds) costs
 * 0.1-0.4 s of mostly single-threaded driver work, which can overlap file
 * loading. The thread opens the backend with a worker copy of the context
 * (its own error buffer); the first call that needs the backend joins it
 * and takes the backend, or its error.
 */
struct maskeval_backend_warm {
    pthread_t thread;
    maskeval_ctx w;
    maskeval_backend_state *be;
    maskeval_status st;
};

static void *warm_main(void *arg)
{
    struct maskeval_backend_warm *wm = arg;
    wm->be = maskeval_calloc(&wm->w.alloc, 1, sizeof(*wm->be));
    if (wm->be == NULL) {
        wm->st = maskeval_nomem(&wm->w, "opening the backend");
        return NULL;
    }
    wm->st = open_backend(&wm->w, wm->be, -1, 0);
    if (wm->st != MASKEVAL_OK) {
        maskeval_free(&wm->w.alloc, wm->be);
        wm->be = NULL;
    }
    return NULL;
}

static maskeval_status warm_join(maskeval_ctx *ctx)
{
    struct maskeval_backend_warm *wm = ctx->warm;
    maskeval_status st;
    ctx->warm = NULL;
    pthread_join(wm->thread, NULL);
    st = wm->st;
    if (st == MASKEVAL_OK) {
        ctx->backend = wm->be;
    }
    maskeval_ctx_adopt(ctx, &wm->w, st);
    maskeval_free(&ctx->alloc, wm);
    return st;
}

maskeval_status maskeval_backend_warm_up(maskeval_ctx *ctx)
{
    struct maskeval_backend_warm *wm;
    if (ctx == NULL) {
        return MASKEVAL_ERR_INVALID_ARG;
    }
    /* auto decides at the first stage, by its workload: nothing to overlap */
    if (ctx->backend != NULL || ctx->warm != NULL ||
        (ctx->opts.backend != MASKEVAL_BACKEND_OPENCL && ctx->opts.device_index < 0)) {
        return MASKEVAL_OK; /* open, opening, or nothing worth overlapping */
    }
    wm = maskeval_calloc(&ctx->alloc, 1, sizeof(*wm));
    if (wm == NULL) {
        return MASKEVAL_OK; /* it will be opened on first use */
    }
    maskeval_ctx_worker(ctx, &wm->w);
    if (pthread_create(&wm->thread, NULL, warm_main, wm) != 0) {
        maskeval_free(&ctx->alloc, wm);
        return MASKEVAL_OK;
    }
    ctx->warm = wm;
    return MASKEVAL_OK;
}

int maskeval_backend_undecided(const maskeval_ctx *ctx)
{
    return ctx->backend == NULL && ctx->warm == NULL &&
           ctx->opts.backend == MASKEVAL_BACKEND_AUTO && ctx->opts.device_index < 0;
}

maskeval_status maskeval_backend_get(maskeval_ctx *ctx, maskeval_backend_state **out)
{
    return maskeval_backend_get_for(ctx, -1, 0, out);
}

maskeval_status maskeval_backend_get_for(maskeval_ctx *ctx, int work, double units,
                                         maskeval_backend_state **out)
{
    maskeval_backend_state *be;
    maskeval_status st;
    if (ctx->warm != NULL) {
        st = warm_join(ctx);
        if (st != MASKEVAL_OK) {
            return st;
        }
    }
    if (ctx->backend != NULL) {
        *out = ctx->backend;
        return MASKEVAL_OK;
    }
    be = maskeval_calloc(&ctx->alloc, 1, sizeof(*be));
    if (be == NULL) {
        return maskeval_nomem(ctx, "opening the backend");
    }
    st = open_backend(ctx, be, work, units);
    if (st != MASKEVAL_OK) {
        maskeval_free(&ctx->alloc, be);
        return st;
    }
    ctx->backend = be;
    *out = be;
    return MASKEVAL_OK;
}

int maskeval_ctx_release_for_exit(maskeval_ctx *ctx)
{
    if (ctx != NULL &&
        (ctx->warm != NULL ||
         (ctx->backend != NULL && ctx->backend->ops != &maskeval_backend_cpu_ops))) {
        return 1;
    }
    maskeval_ctx_destroy(ctx);
    return 0;
}

void maskeval_backend_close(maskeval_ctx *ctx)
{
    if (ctx->warm != NULL) {
        (void)warm_join(ctx); /* an error of an unused warm-up is not one */
    }
    if (ctx->backend == NULL) {
        return;
    }
    if (ctx->backend->ops->close != NULL) {
        ctx->backend->ops->close(ctx, ctx->backend);
    }
    maskeval_free(&ctx->alloc, ctx->backend);
    ctx->backend = NULL;
}

maskeval_status maskeval_backend_describe(maskeval_ctx *ctx, char *buf, size_t cap)
{
    maskeval_backend_state *be = NULL;
    maskeval_status st;
    if (ctx == NULL || buf == NULL || cap == 0) {
        return MASKEVAL_ERR_INVALID_ARG;
    }
    st = maskeval_backend_get(ctx, &be);
    if (st != MASKEVAL_OK) {
        return st;
    }
    snprintf(buf, cap, "%s", be->desc);
    return MASKEVAL_OK;
}

maskeval_status maskeval_device_list(maskeval_ctx *ctx, maskeval_device_info *info, size_t cap,
                                     size_t *count)
{
    if (ctx == NULL || count == NULL || (info == NULL && cap != 0)) {
        return MASKEVAL_ERR_INVALID_ARG;
    }
    *count = 0;
#ifdef MASKEVAL_HAVE_OPENCL
    {
        maskeval_cl_device *devs = NULL;
        size_t n = 0;
        maskeval_status st = maskeval_cl_devices(ctx, &devs, &n);
        if (st != MASKEVAL_OK) {
            return st;
        }
        for (size_t i = 0; i < n && i < cap; i++) {
            info[i] = devs[i].info;
        }
        *count = n;
        maskeval_free(&ctx->alloc, devs);
    }
#else
    (void)info;
    (void)cap;
#endif
    return MASKEVAL_OK;
}

maskeval_status maskeval_backend_confusion(maskeval_ctx *ctx, struct maskeval_cm *cm,
                                           const struct maskeval_labels *items, size_t n_items)
{
    maskeval_backend_state *be = NULL;
    double px = 0;
    maskeval_status st;
    for (size_t i = 0; i < n_items; i++) {
        px += (double)items[i].n;
    }
    st = maskeval_backend_get_for(ctx, MASKEVAL_WORK_CONFUSION, px, &be);
    if (st != MASKEVAL_OK) {
        return st;
    }
    return be->ops->confusion(ctx, be, cm, items, n_items);
}
