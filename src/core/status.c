/*
 * status.c - static text for status codes and the library version.
 */
#include "maskeval.h"

const char *maskeval_strerror(maskeval_status st)
{
    switch (st) {
    case MASKEVAL_OK:
        return "success";
    case MASKEVAL_ERR_INVALID_ARG:
        return "invalid argument";
    case MASKEVAL_ERR_NOMEM:
        return "out of memory";
    case MASKEVAL_ERR_IO:
        return "input/output error";
    case MASKEVAL_ERR_PARSE:
        return "invalid input data";
    case MASKEVAL_ERR_BUFFER_TOO_SMALL:
        return "buffer too small";
    case MASKEVAL_ERR_NO_DEVICE:
        return "no usable OpenCL device";
    case MASKEVAL_ERR_CL_BUILD:
        return "OpenCL program build failed";
    case MASKEVAL_ERR_CL_RUNTIME:
        return "OpenCL runtime error";
    case MASKEVAL_ERR_UNSUPPORTED:
        return "unsupported input";
    case MASKEVAL_ERR_LIMIT:
        return "input exceeds a size limit";
    }
    return "unknown status";
}

const char *maskeval_version(void)
{
    return MASKEVAL_VERSION_STRING;
}
