/*
 * cl_program.c - building maskeval's embedded OpenCL programs.
 *
 * Sources are common.cl followed by the kernel file; each embedded source
 * starts with a #line directive, so build logs point into the .cl files.
 * Options: OpenCL C 1.2 and nothing that relaxes arithmetic (the kernels
 * only count, but no kernel may ever depend on fast-math). Extra options may
 * come from MASKEVAL_CL_BUILD_OPTIONS (for driver workarounds).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/cl_backend.h"
#include "backend/cl_sources.h"

maskeval_status maskeval_clprog_build(maskeval_ctx *ctx, maskeval_cl *cl, const char *src,
                                      size_t src_len, const char *file, const char *defines,
                                      cl_program *out)
{
    const char *srcs[2] = {maskeval_clsrc_common, src};
    size_t lens[2] = {maskeval_clsrc_common_len, src_len};
    const char *extra = getenv("MASKEVAL_CL_BUILD_OPTIONS");
    char opts[512];
    cl_int err = CL_SUCCESS, berr;
    cl_program prog;
    maskeval_status st = MASKEVAL_OK;

    *out = NULL;
    snprintf(opts, sizeof(opts), "-cl-std=CL1.2 %s %s", defines != NULL ? defines : "",
             extra != NULL ? extra : "");
    prog = clCreateProgramWithSource(cl->context, 2, srcs, lens, &err);
    MASKEVAL_CL_CHECK(err, "creating a program");
    berr = clBuildProgram(prog, 1, &cl->device, opts, NULL, NULL);
    if (berr != CL_SUCCESS) {
        size_t n = 0;
        char *log = NULL;
        clGetProgramBuildInfo(prog, cl->device, CL_PROGRAM_BUILD_LOG, 0, NULL, &n);
        log = maskeval_malloc(&ctx->alloc, n + 1);
        if (log != NULL) {
            if (clGetProgramBuildInfo(prog, cl->device, CL_PROGRAM_BUILD_LOG, n, log, NULL) !=
                CL_SUCCESS) {
                n = 0;
            }
            log[n] = '\0';
            maskeval_set_build_log(ctx, log);
        }
        {
            /* the first line of the log usually names the error */
            char first[256] = "";
            if (log != NULL) {
                size_t k = 0;
                while (log[k] != '\0' && log[k] != '\n' && k + 1 < sizeof(first)) {
                    first[k] = log[k];
                    k++;
                }
                first[k] = '\0';
            }
            st = maskeval_fail(ctx, MASKEVAL_ERR_CL_BUILD,
                               "opencl (%s): building %s failed: %s (%d)%s%s", cl->info.name, file,
                               maskeval_cl_errname(berr), (int)berr, first[0] ? ": " : "", first);
        }
        maskeval_free(&ctx->alloc, log);
        clReleaseProgram(prog);
        cl->broken = 1;
        return st;
    }
    *out = prog;
    return MASKEVAL_OK;
fail:
    return st;
}

maskeval_status maskeval_cl_set_args(maskeval_ctx *ctx, maskeval_cl *cl, cl_kernel k, int n,
                                     const size_t *sizes, const void *const *vals,
                                     const char *step)
{
    maskeval_status st = MASKEVAL_OK;
    for (int i = 0; i < n; i++) {
        MASKEVAL_CL_CHECK(clSetKernelArg(k, (cl_uint)i, sizes[i], vals[i]), step);
    }
fail:
    return st;
}
