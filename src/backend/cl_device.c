/*
 * cl_device.c - OpenCL device discovery and opening.
 *
 * Every platform is asked for CL_DEVICE_TYPE_ALL; a platform without
 * devices (CL_DEVICE_NOT_FOUND) is skipped, and no platform at all (no ICD)
 * is an empty list. GPUs come first so that "the first device" is the one a
 * user wants; PoCL's CPU device is a working fallback.
 */
#include <stdio.h>
#include <string.h>

#include "backend/cl_backend.h"
#include "backend/cl_sources.h"

static void info_string(cl_device_id d, cl_device_info what, char *buf, size_t cap)
{
    if (clGetDeviceInfo(d, what, cap, buf, NULL) != CL_SUCCESS) {
        snprintf(buf, cap, "?");
    }
    buf[cap - 1] = '\0';
}

static void fill_info(cl_platform_id p, cl_device_id d, maskeval_device_info *info)
{
    cl_device_type type = 0;
    cl_uint cu = 0;
    cl_ulong mem = 0, alloc = 0;
    memset(info, 0, sizeof(*info));
    info_string(d, CL_DEVICE_NAME, info->name, sizeof(info->name));
    info_string(d, CL_DEVICE_VENDOR, info->vendor, sizeof(info->vendor));
    info_string(d, CL_DRIVER_VERSION, info->driver, sizeof(info->driver));
    if (clGetPlatformInfo(p, CL_PLATFORM_NAME, sizeof(info->platform), info->platform, NULL) !=
        CL_SUCCESS) {
        snprintf(info->platform, sizeof(info->platform), "?");
    }
    info->platform[sizeof(info->platform) - 1] = '\0';
    clGetDeviceInfo(d, CL_DEVICE_TYPE, sizeof(type), &type, NULL);
    clGetDeviceInfo(d, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof(cu), &cu, NULL);
    clGetDeviceInfo(d, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof(mem), &mem, NULL);
    clGetDeviceInfo(d, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof(alloc), &alloc, NULL);
    info->is_gpu = (type & CL_DEVICE_TYPE_GPU) != 0;
    info->compute_units = cu;
    info->global_mem = mem;
    info->max_alloc = alloc;
}

maskeval_status maskeval_cl_devices(maskeval_ctx *ctx, maskeval_cl_device **list, size_t *n)
{
    cl_uint np = 0;
    cl_platform_id *plats = NULL;
    maskeval_cl_device *all = NULL;
    size_t count = 0, cap = 0;
    maskeval_status st = MASKEVAL_OK;

    *list = NULL;
    *n = 0;
    if (clGetPlatformIDs(0, NULL, &np) != CL_SUCCESS || np == 0) {
        return MASKEVAL_OK; /* no ICD or no platform */
    }
    plats = maskeval_calloc(&ctx->alloc, np, sizeof(cl_platform_id));
    if (plats == NULL) {
        return maskeval_nomem(ctx, "listing OpenCL platforms");
    }
    if (clGetPlatformIDs(np, plats, NULL) != CL_SUCCESS) {
        goto done;
    }
    for (int pass = 0; pass < 2; pass++) { /* GPUs, then the others */
        for (cl_uint p = 0; p < np; p++) {
            cl_uint nd = 0;
            cl_device_id devs[64];
            if (clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, 64, devs, &nd) != CL_SUCCESS) {
                continue;
            }
            if (nd > 64) {
                nd = 64;
            }
            for (cl_uint d = 0; d < nd; d++) {
                cl_device_type type = 0;
                clGetDeviceInfo(devs[d], CL_DEVICE_TYPE, sizeof(type), &type, NULL);
                if (((type & CL_DEVICE_TYPE_GPU) != 0) != (pass == 0)) {
                    continue;
                }
                if (count == cap) {
                    void *q = all;
                    if (maskeval_grow(&ctx->alloc, &q, &cap, count + 1, sizeof(*all)) !=
                        MASKEVAL_OK) {
                        st = maskeval_nomem(ctx, "listing OpenCL devices");
                        goto done;
                    }
                    all = q;
                }
                all[count].platform = plats[p];
                all[count].device = devs[d];
                fill_info(plats[p], devs[d], &all[count].info);
                count++;
            }
        }
    }
done:
    maskeval_free(&ctx->alloc, plats);
    if (st != MASKEVAL_OK) {
        maskeval_free(&ctx->alloc, all);
        return st;
    }
    *list = all;
    *n = count;
    return MASKEVAL_OK;
}

maskeval_status maskeval_cl_fail(maskeval_ctx *ctx, maskeval_cl *cl, cl_int err,
                                 const char *call, const char *step)
{
    const char *fn = call;
    char name[64];
    size_t k = 0;
    /* Keep just the function name of the failed call. */
    while (fn[k] != '\0' && fn[k] != '(' && k + 1 < sizeof(name)) {
        name[k] = fn[k];
        k++;
    }
    name[k] = '\0';
    if (cl != NULL) {
        cl->broken = 1;
    }
    maskeval_fail(ctx, MASKEVAL_ERR_CL_RUNTIME, "opencl (%s): %s: %s failed: %s (%d)",
                  cl != NULL ? cl->info.name : "?", step, name, maskeval_cl_errname(err),
                  (int)err);
    return (err == CL_MEM_OBJECT_ALLOCATION_FAILURE || err == CL_OUT_OF_HOST_MEMORY)
               ? MASKEVAL_ERR_NOMEM
               : MASKEVAL_ERR_CL_RUNTIME;
}

maskeval_status maskeval_cl_open(maskeval_ctx *ctx, const maskeval_cl_device *dev,
                                 maskeval_cl **out)
{
    maskeval_cl *cl = maskeval_calloc(&ctx->alloc, 1, sizeof(*cl));
    maskeval_status st = MASKEVAL_OK;
    cl_context_properties props[3];
    cl_int err = CL_SUCCESS;
    cl_ulong local = 0;
    size_t wg = 0;

    *out = NULL;
    if (cl == NULL) {
        return maskeval_nomem(ctx, "opening the OpenCL device");
    }
    cl->device = dev->device;
    cl->info = dev->info;
    props[0] = CL_CONTEXT_PLATFORM;
    props[1] = (cl_context_properties)dev->platform;
    props[2] = 0;
    cl->context = clCreateContext(props, 1, &dev->device, NULL, NULL, &err);
    MASKEVAL_CL_CHECK(err, "creating a context");
    for (int s = 0; s < MASKEVAL_CL_SLOTS; s++) {
        cl->queue[s] = clCreateCommandQueue(cl->context, dev->device, 0, &err);
        MASKEVAL_CL_CHECK(err, "creating a command queue");
    }
    MASKEVAL_CL_CHECK(clGetDeviceInfo(dev->device, CL_DEVICE_LOCAL_MEM_SIZE, sizeof(local),
                                      &local, NULL),
                      "querying the device");
    MASKEVAL_CL_CHECK(clGetDeviceInfo(dev->device, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof(wg), &wg,
                                      NULL),
                      "querying the device");
    cl->local_mem = local;
    cl->max_wg = wg;
    /* A batch may use half the device memory (the rest is the driver's and
     * other users'), no buffer beyond the largest allocation, and no more
     * than the caller's cap. */
    cl->budget = dev->info.global_mem / 2;
    if (ctx->opts.max_device_mem != 0 && ctx->opts.max_device_mem < cl->budget) {
        cl->budget = ctx->opts.max_device_mem;
    }
    st = maskeval_clprog_build(ctx, cl, maskeval_clsrc_pair_intersect,
                               maskeval_clsrc_pair_intersect_len, "pair_intersect.cl", "",
                               &cl->prog_pair);
    if (st != MASKEVAL_OK) {
        goto fail;
    }
    cl->k_pair = clCreateKernel(cl->prog_pair, "pair_intersect", &err);
    MASKEVAL_CL_CHECK(err, "creating kernel pair_intersect");
    cl->k_decode = clCreateKernel(cl->prog_pair, "decode_masks", &err);
    MASKEVAL_CL_CHECK(err, "creating kernel decode_masks");
    *out = cl;
    return MASKEVAL_OK;
fail:
    maskeval_cl_close(ctx, cl);
    return st;
}

void maskeval_cl_close(maskeval_ctx *ctx, maskeval_cl *cl)
{
    if (cl == NULL) {
        return;
    }
    /* Release calls cannot fail the caller; ignore their status. */
    maskeval_cl_confusion_release(ctx, cl);
    maskeval_cl_segment_pairs_release(ctx, cl);
    if (cl->k_seg != NULL) {
        clReleaseKernel(cl->k_seg);
    }
    if (cl->prog_seg != NULL) {
        clReleaseProgram(cl->prog_seg);
    }
    for (int t = 0; t < 2; t++) {
        for (int v = 0; v < 3; v++) {
            if (cl->k_conf[t][v] != NULL) {
                clReleaseKernel(cl->k_conf[t][v]);
            }
        }
        if (cl->prog_conf[t] != NULL) {
            clReleaseProgram(cl->prog_conf[t]);
        }
    }
    if (cl->k_band != NULL) {
        clReleaseKernel(cl->k_band);
    }
    if (cl->prog_band != NULL) {
        clReleaseProgram(cl->prog_band);
    }
    if (cl->k_pair != NULL) {
        clReleaseKernel(cl->k_pair);
    }
    if (cl->k_decode != NULL) {
        clReleaseKernel(cl->k_decode);
    }
    if (cl->prog_pair != NULL) {
        clReleaseProgram(cl->prog_pair);
    }
    for (int s = 0; s < MASKEVAL_CL_SLOTS; s++) {
        if (cl->queue[s] != NULL) {
            clReleaseCommandQueue(cl->queue[s]);
        }
    }
    if (cl->context != NULL) {
        clReleaseContext(cl->context);
    }
    maskeval_free(&ctx->alloc, cl);
}
