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

typedef struct diff_job {
    const char *a, *b, *ta, *tb;
    size_t la, lb;
    maskeval_report_format fmt;
    int quiet;
    char err[1024];
} diff_job;

static int write_diff(FILE *f, void *arg)
{
    diff_job *d = arg;
    return maskeval_report_diff(f, d->fmt, d->quiet, d->a, d->ta, d->la, d->b, d->tb, d->lb,
                                d->err, sizeof(d->err));
}

int cmd_diff(int argc, char **argv)
{
    const char *files[2] = {NULL, NULL}, *json = NULL;
    void *text[2] = {NULL, NULL};
    size_t len[2] = {0, 0}, nf = 0, out_len = 0;
    char *out = NULL;
    FILE *mem;
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
    if (cli_read_file(files[0], &text[0], &len[0]) != 0 ||
        cli_read_file(files[1], &text[1], &len[1]) != 0) {
        goto done;
    }
    d.a = files[0];
    d.b = files[1];
    d.ta = text[0];
    d.tb = text[1];
    d.la = len[0];
    d.lb = len[1];
    /* rendered in memory first: incomparable files print nothing on stdout */
    mem = open_memstream(&out, &out_len);
    if (mem == NULL) {
        fprintf(stderr, "maskeval: diff: out of memory\n");
        goto done;
    }
    if (write_diff(mem, &d) != 0) {
        fclose(mem);
        fprintf(stderr, "maskeval: diff: %s\n", d.err[0] != '\0' ? d.err : "cannot compare");
        goto done;
    }
    if (fclose(mem) != 0) {
        fprintf(stderr, "maskeval: diff: out of memory\n");
        goto done;
    }
    if (fwrite(out, 1, out_len, stdout) != out_len) {
        goto done; /* reported by cli_finish_stdout */
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
    free(out);
    free(text[0]);
    free(text[1]);
    return rc;
}
