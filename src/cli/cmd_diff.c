/*
 * cmd_diff.c - `maskeval diff A.json B.json`: what changed between two
 * evaluations of the same ground truth with the same parameters.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void diff_help(FILE *f)
{
    fprintf(f, "usage: maskeval diff A.json B.json [--format text|md|csv|json] [--json OUT]\n"
               "\n"
               "Per-metric and per-category AP deltas (B - A) of two --json outputs of\n"
               "'maskeval coco' or 'maskeval merge', largest change first. Refuses files of\n"
               "different ground truth (their gt_digest), IoU type or parameters.\n"
               "\n"
               "options:\n"
               "  --format F     text (default), md, csv or json on stdout\n"
               "  --json OUT     also write the JSON form to OUT\n"
               "  --quiet        the 12 metrics only, no per-category rows (text, md)\n"
               "  -h, --help     this text\n"
               "\n"
               "exit status: 0 success, 1 unreadable or incomparable files, 2 usage error\n");
}

static int read_text(const char *path, char **out)
{
    FILE *f = fopen(path, "rb");
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    if (f == NULL || buf == NULL) {
        fprintf(stderr, "maskeval: diff: cannot read %s\n", path);
        if (f != NULL) {
            fclose(f);
        }
        free(buf);
        return -1;
    }
    for (;;) {
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (n + 1 < cap) {
            break;
        }
        if (cap > ((size_t)1 << 32)) {
            fprintf(stderr, "maskeval: diff: %s: larger than 4 GiB\n", path);
            fclose(f);
            free(buf);
            return -1;
        }
        char *grown = realloc(buf, cap * 2);
        if (grown == NULL) {
            fclose(f);
            free(buf);
            fprintf(stderr, "maskeval: diff: out of memory reading %s\n", path);
            return -1;
        }
        buf = grown;
        cap *= 2;
    }
    if (ferror(f)) {
        fprintf(stderr, "maskeval: diff: cannot read %s\n", path);
        fclose(f);
        free(buf);
        return -1;
    }
    fclose(f);
    buf[n] = '\0';
    *out = buf;
    return 0;
}

typedef struct diff_job {
    const char *a, *b, *ta, *tb;
    maskeval_report_format fmt;
    int quiet;
    char err[1024];
} diff_job;

static int write_diff(FILE *f, void *arg)
{
    diff_job *d = arg;
    return maskeval_report_diff(f, d->fmt, d->quiet, d->a, d->ta, d->b, d->tb, d->err,
                                sizeof(d->err));
}

int cmd_diff(int argc, char **argv)
{
    const char *files[2] = {NULL, NULL}, *json = NULL;
    char *text[2] = {NULL, NULL};
    size_t nf = 0;
    diff_job d;
    int rc = CLI_ERR_INPUT;
    memset(&d, 0, sizeof(d));
    d.fmt = MASKEVAL_FORMAT_TEXT;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            diff_help(stdout);
            return CLI_OK;
        }
        if (strcmp(a, "--quiet") == 0) {
            d.quiet = 1;
        } else if (strcmp(a, "--format") == 0 || strcmp(a, "--json") == 0) {
            if (i + 1 >= argc) {
                return cli_usage_error("diff", "%s needs a value", a);
            }
            if (a[2] == 'j') {
                json = argv[++i];
            } else if (!maskeval_report_parse_format(argv[++i], &d.fmt)) {
                return cli_usage_error("diff", "--format must be text, md, csv or json (got "
                                               "'%s')", argv[i]);
            }
        } else if (strncmp(a, "--", 2) == 0) {
            return cli_usage_error("diff", "unknown option %s", a);
        } else if (nf == 2) {
            return cli_usage_error("diff", "give two result files (a third: '%s')", a);
        } else {
            files[nf++] = a;
        }
    }
    if (nf != 2) {
        return cli_usage_error("diff", "give two result files: maskeval diff A.json B.json");
    }
    if ((rc = cli_output_check("diff", "--json", json, 0, files, 2)) != 0) {
        return rc;
    }
    rc = CLI_ERR_INPUT;
    if (read_text(files[0], &text[0]) != 0 || read_text(files[1], &text[1]) != 0) {
        goto done;
    }
    d.a = files[0];
    d.b = files[1];
    d.ta = text[0];
    d.tb = text[1];
    {
        /* refusals first, so that nothing is printed for incomparable files */
        FILE *null = fopen("/dev/null", "w");
        int ok = null != NULL && maskeval_report_diff(null, MASKEVAL_FORMAT_JSON, 0, d.a, d.ta,
                                                      d.b, d.tb, d.err, sizeof(d.err)) == 0;
        if (null != NULL) {
            fclose(null);
        }
        if (!ok) {
            fprintf(stderr, "maskeval: diff: %s\n", d.err[0] != '\0' ? d.err : "cannot compare");
            goto done;
        }
    }
    if (write_diff(stdout, &d) != 0) {
        fprintf(stderr, "maskeval: diff: %s\n", d.err);
        goto done;
    }
    if (json != NULL) {
        diff_job j = d;
        j.fmt = MASKEVAL_FORMAT_JSON;
        j.quiet = 0;
        if (cli_write_atomic(json, write_diff, &j) != 0) {
            goto done;
        }
    }
    rc = CLI_OK;
done:
    free(text[0]);
    free(text[1]);
    return rc;
}
