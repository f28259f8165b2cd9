/*
 * cli_util.c - option scanning, list parsing and atomic output for the CLI.
 */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "maskeval%s%s: ", cmd != NULL ? " " : "", cmd != NULL ? cmd : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'maskeval%s%s --help'.\n", cmd != NULL ? " " : "",
            cmd != NULL ? cmd : "");
    return CLI_ERR_USAGE;
}

void cli_args_init(cli_args *a, const char *cmd, int argc, char **argv)
{
    memset(a, 0, sizeof(*a));
    a->argc = argc;
    a->argv = argv;
    a->cmd = cmd;
    a->i = 0;
}

const char *cli_next(cli_args *a, int *bad)
{
    static char name[64];
    const char *arg, *eq;
    *bad = 0;
    if (a->i >= a->argc) {
        return NULL;
    }
    arg = a->argv[a->i++];
    a->inline_value = NULL;
    if (strcmp(arg, "-h") == 0) {
        arg = "--help"; /* every command takes -h */
    }
    if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
        *bad = cli_usage_error(a->cmd, "unexpected argument '%s'", arg);
        return NULL;
    }
    eq = strchr(arg, '=');
    if (eq != NULL) {
        size_t n = (size_t)(eq - arg);
        if (n >= sizeof(name)) {
            n = sizeof(name) - 1;
        }
        memcpy(name, arg, n);
        name[n] = '\0';
        a->inline_value = eq + 1;
        a->name = name;
    } else {
        a->name = arg;
    }
    return a->name;
}

const char *cli_value(cli_args *a)
{
    if (a->inline_value != NULL) {
        a->value = a->inline_value;
        return a->value;
    }
    if (a->i >= a->argc) {
        cli_usage_error(a->cmd, "option %s needs a value", a->name);
        return NULL;
    }
    a->value = a->argv[a->i++];
    return a->value;
}

int cli_flag_ok(cli_args *a)
{
    if (a->inline_value != NULL) {
        cli_usage_error(a->cmd, "option %s takes no value", a->name);
        return 0;
    }
    return 1;
}

int cli_parse_i64(const char *s, int64_t *out)
{
    char *end;
    long long v;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0') {
        return 0;
    }
    *out = (int64_t)v;
    return 1;
}

int cli_parse_u64_size(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v;
    uint64_t mul = 1;
    if (*s == '-') {
        return 0;
    }
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || end == s) {
        return 0;
    }
    if (*end == 'K' || *end == 'k') {
        mul = 1ull << 10;
        end++;
    } else if (*end == 'M' || *end == 'm') {
        mul = 1ull << 20;
        end++;
    } else if (*end == 'G' || *end == 'g') {
        mul = 1ull << 30;
        end++;
    }
    if (*end != '\0' || (v > 0 && mul > UINT64_MAX / v)) {
        return 0;
    }
    *out = (uint64_t)v * mul;
    return 1;
}

/* Splits s at commas into a malloc'd copy; returns the number of fields. */
static size_t split_commas(const char *s, char **copy, char ***fields)
{
    size_t n = 1, k = 0;
    char *c = strdup(s), **f;
    if (c == NULL) {
        return 0;
    }
    for (const char *p = s; *p; p++) {
        n += *p == ',';
    }
    f = calloc(n, sizeof(char *));
    if (f == NULL) {
        free(c);
        return 0;
    }
    f[k++] = c;
    for (char *p = c; *p; p++) {
        if (*p == ',') {
            *p = '\0';
            f[k++] = p + 1;
        }
    }
    *copy = c;
    *fields = f;
    return n;
}

int cli_parse_i64_list(const char *s, int64_t **out, size_t *n)
{
    char *copy = NULL, **f = NULL;
    size_t m = split_commas(s, &copy, &f);
    int64_t *v = m > 0 ? calloc(m, sizeof(int64_t)) : NULL;
    int ok = v != NULL;
    for (size_t i = 0; ok && i < m; i++) {
        ok = cli_parse_i64(f[i], &v[i]);
    }
    free(copy);
    free(f);
    if (!ok) {
        free(v);
        return 0;
    }
    *out = v;
    *n = m;
    return 1;
}

int cli_parse_f64_list(const char *s, double **out, size_t *n)
{
    char *copy = NULL, **f = NULL;
    size_t m = split_commas(s, &copy, &f);
    double *v = m > 0 ? calloc(m, sizeof(double)) : NULL;
    int ok = v != NULL;
    for (size_t i = 0; ok && i < m; i++) {
        char *end;
        errno = 0;
        v[i] = strtod(f[i], &end);
        ok = end != f[i] && *end == '\0' && isfinite(v[i]);
    }
    free(copy);
    free(f);
    if (!ok) {
        free(v);
        return 0;
    }
    *out = v;
    *n = m;
    return 1;
}

const char *cli_backend_name(const char *describe)
{
    return strncmp(describe, "cpu", 3) == 0 ? "cpu" : describe;
}

void cli_log(void *user, int level, const char *msg)
{
    (void)user;
    if (level >= MASKEVAL_LOG_WARNING) {
        fprintf(stderr, "maskeval: warning: %s\n", msg);
    } else if (level >= MASKEVAL_LOG_INFO && getenv("MASKEVAL_VERBOSE") != NULL) {
        fprintf(stderr, "maskeval: %s\n", msg);
    }
}

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void cli_report(const maskeval_ctx *ctx, maskeval_status st)
{
    fprintf(stderr, "maskeval: %s\n", maskeval_errmsg(ctx));
    if (st == MASKEVAL_ERR_CL_BUILD && maskeval_cl_build_log(ctx)[0] != '\0') {
        fprintf(stderr, "maskeval: OpenCL build log:\n%s\n", maskeval_cl_build_log(ctx));
    }
}

int cli_known(const char *name, const char *const *list)
{
    for (; *list != NULL; list++) {
        if (strcmp(name, *list) == 0) {
            return 1;
        }
    }
    return 0;
}

static int left_device_open;

void cli_ctx_done(maskeval_ctx *ctx)
{
    if (maskeval_ctx_release_for_exit(ctx)) {
        left_device_open = 1;
    }
}

int cli_exit_fast(void)
{
    return left_device_open;
}
