/*
 * report_opts.c - the report options every result-producing command takes:
 * --format, --plot, --plot-per-category, --min-ap and --min STAT=VALUE.
 */
#include <string.h>

#include "cli.h"

const char *const cli_report_help =
    "  --format text|json|csv|md  what stdout shows (default text: the summary and table;\n"
    "                         json: the --json document; csv / md: per-category tables)\n"
    "  --plot FILE.svg        COCO: PR curves per IoU threshold, all categories\n"
    "  --plot-per-category    COCO: with --plot, add a small chart per category\n"
    "  --numpy-compat 2.3|legacy  COCO: the np.mean the statistics reproduce: numpy >= 2.3\n"
    "                         (default) or numpy < 2.3 (8192-element chunks; every 1.x)\n"
    "  --min-ap X             exit 3 (after writing every output) when AP < X\n"
    "  --min STAT=X[,...]     the same for any reported statistic (COCO: AP AP50 AP75 APs\n"
    "                         APm APl AR1 AR10 AR100 ARs ARm ARl; semantic: aAcc mIoU mAcc\n"
    "                         mDice mFscore mPrecision mRecall fwIoU); repeatable\n";

int cli_report_option(cli_args *a, cli_report_opts *r, const char *name,
                      const char *const *stat_names)
{
    const char *v;
    char err[512], spec[64];
    if (strcmp(name, "--plot-per-category") == 0) {
        if (!cli_flag_ok(a)) {
            return -CLI_ERR_USAGE;
        }
        r->plot_per_category = 1;
        return 1;
    }
    if (strcmp(name, "--format") != 0 && strcmp(name, "--plot") != 0 &&
        strcmp(name, "--min-ap") != 0 && strcmp(name, "--min") != 0 &&
        strcmp(name, "--numpy-compat") != 0) {
        return 0;
    }
    if ((v = cli_value(a)) == NULL) {
        return -CLI_ERR_USAGE;
    }
    if (strcmp(name, "--format") == 0) {
        if (!maskeval_report_parse_format(v, &r->format)) {
            return -cli_usage_error(a->cmd, "--format must be text, json, csv or md (got '%s')",
                                    v);
        }
        r->have_format = 1;
    } else if (strcmp(name, "--plot") == 0) {
        r->plot = v;
    } else if (strcmp(name, "--numpy-compat") == 0) {
        if (strcmp(v, "2.3") == 0) {
            r->numpy_compat = MASKEVAL_NUMPY_2_3;
        } else if (strcmp(v, "legacy") == 0) {
            r->numpy_compat = MASKEVAL_NUMPY_LEGACY;
        } else {
            return -cli_usage_error(a->cmd, "--numpy-compat must be 2.3 or legacy (got '%s')", v);
        }
        r->have_numpy_compat = 1;
    } else {
        if (strcmp(name, "--min-ap") == 0) {
            if (strlen(v) > sizeof(spec) - 4) {
                return -cli_usage_error(a->cmd, "--min-ap needs a number (got '%s')", v);
            }
            snprintf(spec, sizeof(spec), "AP=%s", v);
            v = spec;
        }
        if (maskeval_gates_add(&r->gates, v, stat_names, err, sizeof(err)) != 0) {
            return -cli_usage_error(a->cmd, "%s: %s", name, err);
        }
    }
    return 1;
}

int cli_report_check(const char *cmd, const cli_report_opts *r, const char *json, int coco)
{
    if (r->have_format && r->format == MASKEVAL_FORMAT_JSON && json != NULL &&
        strcmp(json, "-") == 0) {
        return cli_usage_error(cmd, "--format json and --json - both write JSON to stdout: "
                                    "give one");
    }
    if (json != NULL && strcmp(json, "-") == 0 && r->have_format &&
        r->format != MASKEVAL_FORMAT_TEXT) {
        return cli_usage_error(cmd, "--json - and --format %s both write to stdout",
                               r->format == MASKEVAL_FORMAT_CSV ? "csv" : "md");
    }
    if (!coco && r->have_numpy_compat) {
        return cli_usage_error(cmd, "--numpy-compat is for COCO statistics");
    }
    if (!coco && (r->plot != NULL || r->plot_per_category)) {
        return cli_usage_error(cmd, "--plot draws COCO PR curves");
    }
    if (r->plot_per_category && r->plot == NULL) {
        return cli_usage_error(cmd, "--plot-per-category needs --plot FILE.svg");
    }
    return 0;
}
