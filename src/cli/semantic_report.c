/*
 * semantic_report.c - what `maskeval semantic`, `maskeval merge` and
 * maskeval-mpi print and write for a semantic evaluation, from the counts
 * alone: the run's class names and parameters from its tag, --strict, the
 * report library's writers (text, json, csv, md) and the gates.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "semantic_meta.h"

static int write_json(FILE *f, void *arg)
{
    return maskeval_report_semantic_json(f, arg);
}

/* stdout in the chosen format, then --json FILE, then the gates: 0, -1
 * (reported) or CLI_GATE_FAILED (reported). */
static int sem_outputs(const maskeval_report_semantic *out, const char *json, int quiet,
                       const cli_report_opts *report)
{
    const maskeval_report_format fmt =
        report != NULL && report->have_format ? report->format : MASKEVAL_FORMAT_TEXT;
    void *arg = (void *)out;
    cli_outputs outs;
    char reason[512];
    int rc;

    if (fmt == MASKEVAL_FORMAT_JSON || (json != NULL && strcmp(json, "-") == 0)) {
        if (cli_write_atomic("-", write_json, arg) != 0) {
            return -1;
        }
    } else {
        rc = fmt == MASKEVAL_FORMAT_CSV  ? maskeval_report_semantic_csv(stdout, out)
             : fmt == MASKEVAL_FORMAT_MD ? maskeval_report_semantic_md(stdout, out)
                                         : maskeval_report_semantic_text(stdout, out, quiet);
        if (rc != 0 || fflush(stdout) != 0 || ferror(stdout)) {
            fprintf(stderr, "maskeval: cannot write to stdout: %s\n", strerror(errno));
            return -1;
        }
    }
    cli_outputs_init(&outs);
    if (json != NULL && strcmp(json, "-") != 0 &&
        cli_outputs_add(&outs, json, write_json, arg) != 0) {
        cli_outputs_abort(&outs);
        return -1;
    }
    if (cli_outputs_commit(&outs) != 0) {
        return -1;
    }
    if (report != NULL && maskeval_gates_check(&report->gates, maskeval_report_semantic_stat, out,
                                               reason, sizeof(reason)) != 0) {
        fprintf(stderr, "maskeval: gate failed: %s\n", reason);
        return CLI_GATE_FAILED;
    }
    return 0;
}

int cli_semantic_report(maskeval_ctx *ctx, const maskeval_semantic *sem, const char *json,
                        int quiet, int strict, const char *tag, const cli_report_opts *report,
                        maskeval_semantic_summary *sum_out)
{
    maskeval_semantic_summary sum;
    maskeval_class_metrics *cls = NULL;
    maskeval_status st;
    int rc = CLI_ERR_INPUT;
    cJSON *meta = NULL;
    const cJSON *params = NULL, *jnames = NULL;
    const char **names = NULL;

    if (tag != NULL && strncmp(tag, CLI_SEM_META_PREFIX, strlen(CLI_SEM_META_PREFIX)) == 0) {
        meta = cJSON_Parse(tag + strlen(CLI_SEM_META_PREFIX));
        params = cJSON_GetObjectItemCaseSensitive(meta, "params");
        jnames = cJSON_GetObjectItemCaseSensitive(meta, "names");
        if (meta == NULL || !cJSON_IsObject(params) ||
            (jnames != NULL && !cJSON_IsArray(jnames))) {
            fprintf(stderr, "maskeval: the run's parameters (a partial's tag) are malformed\n");
            cJSON_Delete(meta);
            return CLI_ERR_INPUT;
        }
        if (jnames != NULL) {
            const cJSON *it;
            size_t n = 0;
            names = calloc((size_t)cJSON_GetArraySize(jnames) + 1, sizeof(char *));
            if (names == NULL) {
                fprintf(stderr, "maskeval: out of memory\n");
                cJSON_Delete(meta);
                return CLI_ERR_INPUT;
            }
            cJSON_ArrayForEach(it, jnames)
            {
                names[n++] = cJSON_IsString(it) ? it->valuestring : "?";
            }
        }
    }

    st = maskeval_semantic_summarize(sem, &sum);
    if (st == MASKEVAL_OK && names != NULL &&
        (uint32_t)cJSON_GetArraySize(jnames) != sum.num_classes) {
        fprintf(stderr, "maskeval: %d class names for %u classes in the run's parameters\n",
                cJSON_GetArraySize(jnames), sum.num_classes);
        goto done;
    }
    if (st == MASKEVAL_OK) {
        cls = calloc((size_t)sum.num_classes, sizeof(*cls));
        st = cls == NULL ? MASKEVAL_ERR_NOMEM
                         : maskeval_semantic_classes(sem, cls, (size_t)sum.num_classes);
    }
    if (st != MASKEVAL_OK) {
        if (st == MASKEVAL_ERR_NOMEM) {
            fprintf(stderr, "maskeval: out of memory\n");
        } else {
            cli_report(ctx, st);
        }
        goto done;
    }
    if (strict && (sum.invalid_pred_pixels > 0 || sum.invalid_gt_pixels > 0)) {
        fprintf(stderr,
                "maskeval: --strict: %llu predicted pixels outside [0, %u) and %llu "
                "ground-truth pixels >= %u that are not the ignore index\n",
                (unsigned long long)sum.invalid_pred_pixels, sum.num_classes,
                (unsigned long long)sum.invalid_gt_pixels, sum.num_classes);
        goto done;
    }
    {
        const maskeval_report_semantic out = {sem, &sum, cls, names, params};
        const int r = sem_outputs(&out, json, quiet, report);
        if (r != 0) {
            rc = r < 0 ? CLI_ERR_INPUT : r;
            goto done;
        }
    }
    if (sum_out != NULL) {
        *sum_out = sum;
    }
    rc = CLI_OK;
done:
    free(cls);
    free(names);
    cJSON_Delete(meta);
    return rc;
}
