/*
 * semantic_files.c - the label maps of `maskeval semantic`.
 *
 * Both folders are walked recursively. Entries whose name starts with '.'
 * are skipped, symbolic links to folders are not followed (a warning names
 * them; no cycles can arise), symbolic links to files are. A file counts
 * when its name ends in <suffix>.png; its stem is the name without that
 * ending and its key the relative folder, '/', the stem.
 *
 * Pairing: when both trees are flat (every file at the top: the layout of
 * old) or both are nested, files pair by key (relative path and stem); when
 * exactly one side is flat, by stem alone, and then stems must be unique on
 * each side. The pairs are sorted bytewise by the ground truth's key, the
 * order --shard positions refer to.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "semantic_files.h"

#define MAX_DEPTH 128
#define SHOW_FIRST 3

typedef struct entry {
    char *key;  /* rel/stem */
    char *stem; /* points into key */
    char *path; /* root/rel/name */
    int depth;
} entry;

typedef struct elist {
    entry *v;
    size_t n, cap;
    size_t dirs; /* folders with at least one label map */
} elist;

static char *join3(const char *a, const char *sep, const char *b)
{
    const size_t na = strlen(a), ns = strlen(sep), nb = strlen(b);
    char *s = malloc(na + ns + nb + 1);
    if (s != NULL) {
        memcpy(s, a, na);
        memcpy(s + na, sep, ns);
        memcpy(s + na + ns, b, nb + 1);
    }
    return s;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int oom(void)
{
    fprintf(stderr, "maskeval: out of memory\n");
    return -1;
}

/* Walks root/rel (rel "" at the top). */
static int walk(const char *root, const char *rel, const char *dirpath, const char *tail,
                const char *what, int depth, int quiet, elist *out)
{
    DIR *d = opendir(dirpath);
    struct dirent *e;
    char **names = NULL;
    size_t n = 0, cap = 0, tail_len = strlen(tail);
    int rc = 0, counted = 0;
    if (d == NULL) {
        if (depth == 0) {
            fprintf(stderr, "maskeval: %s: cannot open %s folder: %s\n", dirpath, what,
                    strerror(errno));
        } else {
            fprintf(stderr, "maskeval: %s: cannot open folder: %s\n", dirpath, strerror(errno));
        }
        return -1;
    }
    if (depth > MAX_DEPTH) {
        closedir(d);
        fprintf(stderr, "maskeval: %s: folders nested more than %d deep\n", dirpath, MAX_DEPTH);
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') {
            continue; /* ".", ".." and hidden entries */
        }
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 64;
            char **v = realloc(names, nc * sizeof(char *));
            if (v == NULL) {
                rc = oom();
                break;
            }
            names = v;
            cap = nc;
        }
        if ((names[n] = strdup(e->d_name)) == NULL) {
            rc = oom();
            break;
        }
        n++;
    }
    closedir(d);
    if (rc == 0 && n > 1) { /* (an empty folder has names == NULL: not for qsort) */
        qsort(names, n, sizeof(char *), cmp_name);
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const char *name = names[i];
        const size_t len = strlen(name);
        char *path = join3(dirpath, "/", name);
        struct stat lsb, sb;
        if (path == NULL) {
            rc = oom();
            break;
        }
        if (lstat(path, &lsb) != 0) {
            memset(&lsb, 0, sizeof(lsb));
        }
        if (S_ISDIR(lsb.st_mode)) {
            char *sub = rel[0] ? join3(rel, "/", name) : strdup(name);
            rc = sub == NULL ? oom() : walk(root, sub, path, tail, what, depth + 1, quiet, out);
            free(sub);
            free(path);
            continue;
        }
        if (S_ISLNK(lsb.st_mode) && stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            if (!quiet) {
                fprintf(stderr, "maskeval: warning: %s: a symbolic link to a folder, not "
                                "followed\n", path);
            }
            free(path);
            continue;
        }
        if (len <= tail_len || strcmp(name + len - tail_len, tail) != 0) {
            free(path);
            continue;
        }
        if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
            /* a label map that cannot be read is an error, never a silent skip */
            const int err = errno;
            const int dangling = S_ISLNK(lsb.st_mode) && err == ENOENT;
            fprintf(stderr, "maskeval: %s: %s\n", path,
                    dangling                  ? "dangling symbolic link"
                    : stat(path, &sb) != 0    ? strerror(err)
                                              : "not a regular file");
            free(path);
            rc = -1;
            break;
        }
        if (out->n == out->cap) {
            size_t nc = out->cap ? out->cap * 2 : 64;
            entry *v = realloc(out->v, nc * sizeof(entry));
            if (v == NULL) {
                free(path);
                rc = oom();
                break;
            }
            out->v = v;
            out->cap = nc;
        }
        {
            entry *en = &out->v[out->n];
            char *stem = strndup(name, len - tail_len);
            en->key = stem == NULL ? NULL : rel[0] ? join3(rel, "/", stem) : strdup(stem);
            free(stem);
            if (en->key == NULL) {
                free(path);
                rc = oom();
                break;
            }
            en->stem = en->key + (rel[0] ? strlen(rel) + 1 : 0);
            en->path = path;
            en->depth = depth;
            out->n++;
            if (!counted) {
                counted = 1;
                out->dirs++;
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        free(names[i]);
    }
    free(names);
    (void)root;
    return rc;
}

static int by_stem;

static const char *match_key(const entry *e)
{
    return by_stem ? e->stem : e->key;
}

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(match_key(a), match_key(b));
}

static int cmp_gt_key(const void *a, const void *b)
{
    return strcmp(((const entry *)a)->key, ((const entry *)b)->key);
}

static int all_flat(const elist *l)
{
    for (size_t i = 0; i < l->n; i++) {
        if (l->v[i].depth > 0) {
            return 0;
        }
    }
    return 1;
}

/* Duplicate stems (only possible when pairing by stem): name the first few. */
static int check_unique(const elist *l, const char *what, const char *option)
{
    size_t dups = 0;
    for (size_t i = 1; i < l->n; i++) {
        if (strcmp(match_key(&l->v[i - 1]), match_key(&l->v[i])) == 0) {
            if (dups < SHOW_FIRST) {
                fprintf(stderr, "maskeval: %s: duplicate %s stem '%s': %s and %s\n", option,
                        what, match_key(&l->v[i]), l->v[i - 1].path, l->v[i].path);
            }
            dups++;
        }
    }
    if (dups > 0) {
        fprintf(stderr,
                "maskeval: %zu duplicate stem%s in %s: one side is a flat folder, so files pair "
                "by stem alone, which must then be unique (or nest both sides alike to pair by "
                "relative path)\n",
                dups, dups == 1 ? "" : "s", option);
        return -1;
    }
    return 0;
}

int cli_sem_pair_files(const char *gt, const char *pred, const char *gt_suffix,
                       const char *pred_suffix, int quiet, sem_pairs *out)
{
    elist gl = {0}, pl = {0};
    char *gtail = join3(gt_suffix, "", ".png"), *ptail = join3(pred_suffix, "", ".png");
    size_t un_g = 0, un_p = 0, i, j, n = 0;
    int rc = -1;
    memset(out, 0, sizeof(*out));
    if (gtail == NULL || ptail == NULL) {
        oom();
        goto done;
    }
    if (walk(gt, "", gt, gtail, "ground-truth", 0, quiet, &gl) != 0 ||
        walk(pred, "", pred, ptail, "prediction", 0, quiet, &pl) != 0) {
        goto done;
    }
    if (gl.n == 0) {
        fprintf(stderr, "maskeval: %s: no ground-truth files (*%s, searched recursively)\n", gt,
                gtail);
        goto done;
    }
    {
        const int gflat = all_flat(&gl), pflat = all_flat(&pl);
        by_stem = gflat != pflat && pl.n > 0;
        out->pairing = by_stem ? "stem" : gflat && pflat ? "flat" : "relative path";
    }
    if (gl.n > 1) {
        qsort(gl.v, gl.n, sizeof(entry), cmp_entry);
    }
    if (pl.n > 1) {
        qsort(pl.v, pl.n, sizeof(entry), cmp_entry);
    }
    if (by_stem && (check_unique(&gl, "ground-truth", "--gt") != 0 ||
                    check_unique(&pl, "prediction", "--pred") != 0)) {
        goto done;
    }
    out->key = calloc(gl.n + 1, sizeof(char *));
    out->gt = calloc(gl.n + 1, sizeof(char *));
    out->pred = calloc(gl.n + 1, sizeof(char *));
    if (out->key == NULL || out->gt == NULL || out->pred == NULL) {
        oom();
        goto done;
    }
    /* both sorted by the match key: one merge pass finds the pairs */
    for (i = 0, j = 0; i < gl.n || j < pl.n;) {
        const int c = i == gl.n   ? 1
                      : j == pl.n ? -1
                                  : strcmp(match_key(&gl.v[i]), match_key(&pl.v[j]));
        if (c < 0) {
            if (un_g < SHOW_FIRST) {
                fprintf(stderr, "maskeval: %s: no prediction %s/%s%s for it\n", gl.v[i].path,
                        pred, match_key(&gl.v[i]), ptail);
            }
            un_g++;
            i++;
        } else if (c > 0) {
            if (un_p < SHOW_FIRST) {
                fprintf(stderr,
                        "maskeval: %s: unpaired prediction (no ground truth %s/%s%s)\n",
                        pl.v[j].path, gt, match_key(&pl.v[j]), gtail);
            }
            un_p++;
            j++;
        } else {
            /* hand the strings over to out */
            out->key[n] = gl.v[i].key;
            out->gt[n] = gl.v[i].path;
            out->pred[n] = pl.v[j].path;
            gl.v[i].key = gl.v[i].path = NULL;
            pl.v[j].path = NULL;
            n++;
            i++;
            j++;
        }
    }
    out->n = n;
    if (un_g > 0 || un_p > 0) {
        fprintf(stderr,
                "maskeval: unpaired label maps (pairing by %s): %zu of %zu ground-truth files "
                "have no prediction, %zu of %zu predictions no ground truth%s\n",
                out->pairing, un_g, gl.n, un_p, pl.n,
                un_g > SHOW_FIRST || un_p > SHOW_FIRST ? " (the first 3 of each named above)"
                                                       : "");
        goto done;
    }
    if (by_stem) {
        /* the shard order is the ground truth's relative path, whatever the pairing */
        entry *t = malloc(n * sizeof(entry) + 1);
        if (t == NULL) {
            oom();
            goto done;
        }
        for (i = 0; i < n; i++) {
            t[i].key = out->key[i];
            t[i].path = out->gt[i];
            t[i].stem = out->pred[i];
        }
        if (n > 1) {
            qsort(t, n, sizeof(entry), cmp_gt_key);
        }
        for (i = 0; i < n; i++) {
            out->key[i] = t[i].key;
            out->gt[i] = t[i].path;
            out->pred[i] = t[i].stem;
        }
        free(t);
    }
    out->n_pred = pl.n;
    out->gt_dirs = gl.dirs;
    out->pred_dirs = pl.dirs;
    rc = 0;
done:
    if (rc != 0) {
        cli_sem_pairs_free(out);
    }
    for (i = 0; i < gl.n; i++) {
        free(gl.v[i].key);
        free(gl.v[i].path);
    }
    for (j = 0; j < pl.n; j++) {
        free(pl.v[j].key);
        free(pl.v[j].path);
    }
    free(gl.v);
    free(pl.v);
    free(gtail);
    free(ptail);
    by_stem = 0;
    return rc;
}

void cli_sem_pairs_free(sem_pairs *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->key[i]);
        free(p->gt[i]);
        free(p->pred[i]);
    }
    free(p->key);
    free(p->gt);
    free(p->pred);
    memset(p, 0, sizeof(*p));
}
