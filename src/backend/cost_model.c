/*
 * cost_model.c - the device profile file and the auto backend's model (see
 * cost_model.h). The file is text, one "key value" per line:
 *
 *   maskeval-device-profile 1
 *   device <name | platform | driver>
 *   threads 16
 *   open_s 0.312
 *   pairs <cpu units/s> <device units/s>
 *   bands ...
 *   confusion ...
 *   segments ...
 */
#include "backend/cost_model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const work_names[MASKEVAL_WORK_KINDS] = {"pairs", "bands", "confusion",
                                                             "segments"};

const char *maskeval_work_name(maskeval_work kind)
{
    return (unsigned)kind < MASKEVAL_WORK_KINDS ? work_names[kind] : "?";
}

int maskeval_profile_path(const char *opt, char *buf, size_t cap)
{
    const char *env = getenv("MASKEVAL_PROFILE"), *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    int n;
    if (opt != NULL && opt[0] != '\0') {
        n = snprintf(buf, cap, "%s", opt);
    } else if (env != NULL && env[0] != '\0') {
        n = snprintf(buf, cap, "%s", env);
    } else if (xdg != NULL && xdg[0] == '/') {
        n = snprintf(buf, cap, "%s/maskeval/device-profile", xdg);
    } else if (home != NULL && home[0] == '/') {
        n = snprintf(buf, cap, "%s/.cache/maskeval/device-profile", home);
    } else {
        return 0;
    }
    return n > 0 && (size_t)n < cap;
}

static int positive(double x)
{
    return x > 0 && x < 1e300;
}

maskeval_status maskeval_profile_read(const char *path, maskeval_profile *p, char *err,
                                      size_t errcap)
{
    FILE *f = fopen(path, "r");
    char line[1024];
    int version = 0, have_open = 0, have[MASKEVAL_WORK_KINDS] = {0}, lineno = 0;
    memset(p, 0, sizeof(*p));
    if (f == NULL) {
        snprintf(err, errcap, "%s: %s", path, strerror(errno));
        return MASKEVAL_ERR_IO;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        char key[64];
        int off = 0;
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '\0' || line[0] == '#') {
            continue;
        }
        if (sscanf(line, "%63s %n", key, &off) != 1) {
            continue;
        }
        if (strcmp(key, "maskeval-device-profile") == 0) {
            version = atoi(line + off);
        } else if (strcmp(key, "device") == 0) {
            snprintf(p->device, sizeof(p->device), "%s", line + off);
        } else if (strcmp(key, "threads") == 0) {
            p->threads = atoi(line + off);
        } else if (strcmp(key, "open_s") == 0) {
            have_open = sscanf(line + off, "%lf", &p->open_s) == 1 && p->open_s >= 0;
        } else {
            int k = 0;
            while (k < MASKEVAL_WORK_KINDS && strcmp(key, work_names[k]) != 0) {
                k++;
            }
            if (k == MASKEVAL_WORK_KINDS) {
                continue; /* a later version's key */
            }
            if (sscanf(line + off, "%lf %lf", &p->cpu_rate[k], &p->dev_rate[k]) != 2 ||
                !positive(p->cpu_rate[k]) || !positive(p->dev_rate[k])) {
                fclose(f);
                snprintf(err, errcap, "%s: line %d: '%s' needs two rates above 0", path, lineno,
                         key);
                return MASKEVAL_ERR_PARSE;
            }
            have[k] = 1;
        }
    }
    fclose(f);
    if (version != 1 || !have_open || p->threads < 1) {
        snprintf(err, errcap,
                 "%s: not a maskeval device profile (version 1 with threads and open_s); "
                 "rerun 'maskeval devices --calibrate'",
                 path);
        return MASKEVAL_ERR_PARSE;
    }
    for (int k = 0; k < MASKEVAL_WORK_KINDS; k++) {
        if (!have[k]) {
            snprintf(err, errcap, "%s: no '%s' rates; rerun 'maskeval devices --calibrate'", path,
                     work_names[k]);
            return MASKEVAL_ERR_PARSE;
        }
    }
    return MASKEVAL_OK;
}

/* mkdir -p of path's directory */
static void make_parent(const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s", path);
    for (char *s = dir + 1; *s != '\0'; s++) {
        if (*s == '/') {
            *s = '\0';
            (void)mkdir(dir, 0777);
            *s = '/';
        }
    }
}

maskeval_status maskeval_profile_write(const char *path, const maskeval_profile *p, char *err,
                                       size_t errcap)
{
    char tmp[4200];
    FILE *f;
    int ok;
    snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
    make_parent(path);
    f = fopen(tmp, "w");
    if (f == NULL) {
        snprintf(err, errcap, "%s: %s", tmp, strerror(errno));
        return MASKEVAL_ERR_IO;
    }
    fprintf(f, "maskeval-device-profile 1\n");
    fprintf(f, "# written by 'maskeval devices --calibrate'; rates in work units per second\n");
    fprintf(f, "# (cost_model.h): <kind> <cpu path> <device>\n");
    fprintf(f, "device %s\n", p->device);
    fprintf(f, "threads %d\n", p->threads);
    fprintf(f, "open_s %.6g\n", p->open_s);
    for (int k = 0; k < MASKEVAL_WORK_KINDS; k++) {
        fprintf(f, "%s %.6g %.6g\n", work_names[k], p->cpu_rate[k], p->dev_rate[k]);
    }
    ok = !ferror(f);
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        snprintf(err, errcap, "%s: %s", path, strerror(errno));
        remove(tmp);
        return MASKEVAL_ERR_IO;
    }
    return MASKEVAL_OK;
}

int maskeval_cost_prefers_device(const maskeval_profile *p, int threads, maskeval_work kind,
                                 double units, double *t_cpu, double *t_dev)
{
    const double cpu = p->cpu_rate[kind] * (double)(threads > 0 ? threads : 1) /
                       (double)(p->threads > 0 ? p->threads : 1);
    *t_cpu = units / cpu;
    *t_dev = p->open_s + units / p->dev_rate[kind];
    return *t_dev < *t_cpu;
}
