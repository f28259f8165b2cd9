/*
 * cityscapes_files.c - ground truth and prediction lists for `maskeval
 * cityscapes-instances`: recursive folder walks and the reference's
 * fnmatch(<city>_<seq>_<frame>*.txt) pairing, with its errors on zero or
 * several matches.
 */
#include "cityscapes_files.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct name_list {
    char **v;
    size_t n, cap;
} name_list;

static int list_add(name_list *l, const char *dir, const char *name)
{
    size_t len = strlen(dir) + strlen(name) + 2;
    char *p = malloc(len);
    if (p == NULL) {
        return -1;
    }
    snprintf(p, len, "%s/%s", dir, name);
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        char **v = realloc(l->v, cap * sizeof(*v));
        if (v == NULL) {
            free(p);
            return -1;
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = p;
    return 0;
}

static void list_free(name_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i]);
    }
    free(l->v);
    memset(l, 0, sizeof(*l));
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

/* Files below dir whose name ends with suffix (any file when NULL). */
static int walk(const char *dir, const char *suffix, name_list *out, int depth)
{
    DIR *d;
    struct dirent *de;
    int rc = 0;
    if (depth > 64) {
        fprintf(stderr, "maskeval cityscapes-instances: %s: folders nested too deep\n", dir);
        return -1;
    }
    d = opendir(dir);
    if (d == NULL) {
        fprintf(stderr, "maskeval cityscapes-instances: %s: cannot open folder: %s\n", dir,
                strerror(errno));
        return -1;
    }
    while (rc == 0 && (de = readdir(d)) != NULL) {
        struct stat st;
        size_t len;
        char *path;
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
            continue;
        }
        len = strlen(dir) + strlen(de->d_name) + 2;
        path = malloc(len);
        if (path == NULL) {
            rc = -1;
            break;
        }
        snprintf(path, len, "%s/%s", dir, de->d_name);
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            rc = walk(path, suffix, out, depth + 1);
        } else if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode) && stat(path, &st) == 0 &&
                   S_ISDIR(st.st_mode)) {
            /* os.walk(followlinks=False): listed as a folder, not entered */
        } else if (suffix == NULL || ends_with(de->d_name, suffix)) {
            if (list_add(out, dir, de->d_name) != 0) {
                fprintf(stderr, "maskeval: out of memory\n");
                rc = -1;
            }
        }
        free(path);
    }
    closedir(d);
    return rc;
}

static int by_string(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s != NULL ? s + 1 : p;
}

/* getCsFileInfo: "<city>_<seq>_<frame>" from a name of 5 or 6 parts
 * (split on '_', the last part split on '.'). 0 or -1 (reported). */
static int core_name(const char *path, char *out, size_t cap)
{
    const char *b = base_name(path), *last = strrchr(b, '_');
    size_t parts = 1, k = 0;
    const char *third = NULL;
    for (const char *p = b; *p != '\0'; p++) {
        if (*p == '_') {
            parts++;
            k++;
            if (k == 3) {
                third = p;
            }
        }
    }
    if (last != NULL) {
        for (const char *p = last; *p != '\0'; p++) {
            parts += *p == '.';
        }
    } else {
        for (const char *p = b; *p != '\0'; p++) {
            parts += *p == '.';
        }
    }
    if ((parts != 5 && parts != 6) || third == NULL || (size_t)(third - b) >= cap) {
        fprintf(stderr,
                "maskeval cityscapes-instances: %s: found %zu part(s) in the file name, expected "
                "5 or 6 (<city>_<seq>_<frame>_<type>[_<type2>].<ext>)\n",
                path, parts);
        return -1;
    }
    memcpy(out, b, (size_t)(third - b));
    out[third - b] = '\0';
    return 0;
}

void cli_cs_pairs_free(cs_pairs *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->gt[i]);
        free(p->pred[i]);
    }
    free(p->gt);
    free(p->pred);
    memset(p, 0, sizeof(*p));
}

int cli_cs_pair_files(const char *gt_dir, const char *pred_dir, cs_pairs *out)
{
    name_list gts = {0}, preds = {0};
    int rc = -1;
    memset(out, 0, sizeof(*out));
    if (walk(gt_dir, "_gtFine_instanceIds.png", &gts, 0) != 0 || walk(pred_dir, NULL, &preds, 0) != 0) {
        goto done;
    }
    if (gts.n == 0) {
        fprintf(stderr,
                "maskeval cityscapes-instances: no *_gtFine_instanceIds.png below %s\n", gt_dir);
        goto done;
    }
    qsort(gts.v, gts.n, sizeof(*gts.v), by_string);
    if (preds.n > 0) {
        qsort(preds.v, preds.n, sizeof(*preds.v), by_string);
    }
    out->gt = calloc(gts.n, sizeof(*out->gt));
    out->pred = calloc(gts.n, sizeof(*out->pred));
    if (out->gt == NULL || out->pred == NULL) {
        fprintf(stderr, "maskeval: out of memory\n");
        goto done;
    }
    for (size_t i = 0; i < gts.n; i++) {
        char core[4096];
        const char *found = NULL;
        size_t k;
        if (core_name(gts.v[i], core, sizeof(core)) != 0) {
            goto done;
        }
        k = strlen(core);
        for (size_t j = 0; j < preds.n; j++) {
            const char *b = base_name(preds.v[j]);
            if (strlen(b) >= k + 4 && strncmp(b, core, k) == 0 && ends_with(b, ".txt")) {
                if (found != NULL) {
                    fprintf(stderr,
                            "maskeval cityscapes-instances: found multiple predictions for ground "
                            "truth %s: %s and %s (each must match exactly one %s*.txt)\n",
                            gts.v[i], found, preds.v[j], core);
                    goto done;
                }
                found = preds.v[j];
            }
        }
        if (found == NULL) {
            fprintf(stderr,
                    "maskeval cityscapes-instances: found no prediction for ground truth %s "
                    "(no %s*.txt below %s)\n",
                    gts.v[i], core, pred_dir);
            goto done;
        }
        out->gt[i] = strdup(gts.v[i]);
        out->pred[i] = strdup(found);
        out->n = i + 1;
        if (out->gt[i] == NULL || out->pred[i] == NULL) {
            fprintf(stderr, "maskeval: out of memory\n");
            goto done;
        }
    }
    rc = 0;
done:
    if (rc != 0) {
        cli_cs_pairs_free(out);
    }
    list_free(&gts);
    list_free(&preds);
    return rc;
}
