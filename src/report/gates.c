/*
 * gates.c - metric gates (--min STAT=VALUE): a CI job fails, with one line
 * saying why, when a statistic is below its threshold.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

int maskeval_gates_add(maskeval_gates *g, const char *spec, const char *const *names,
                       char *err, size_t cap)
{
    const char *p = spec;
    if (*p == '\0') {
        snprintf(err, cap, "expected STAT=VALUE");
        return -1;
    }
    while (*p != '\0') {
        const char *comma = strchr(p, ','), *eq;
        size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p), nlen;
        char item[128], *end;
        double v;
        int known = 0;
        if (len == 0 || len >= sizeof(item)) {
            snprintf(err, cap, "expected STAT=VALUE in '%s'", spec);
            return -1;
        }
        memcpy(item, p, len);
        item[len] = '\0';
        eq = strchr(item, '=');
        if (eq == NULL || eq == item) {
            snprintf(err, cap, "expected STAT=VALUE, got '%s'", item);
            return -1;
        }
        nlen = (size_t)(eq - item);
        if (nlen >= sizeof(g->g[0].stat)) {
            snprintf(err, cap, "unknown statistic '%.*s'", (int)nlen, item);
            return -1;
        }
        for (const char *const *n = names; *n != NULL; n++) {
            known |= strlen(*n) == nlen && strncmp(*n, item, nlen) == 0;
        }
        if (!known) {
            size_t used = (size_t)snprintf(err, cap, "unknown statistic '%.*s' (one of:",
                                           (int)nlen, item);
            for (const char *const *n = names; *n != NULL && used < cap; n++) {
                used += (size_t)snprintf(err + used, cap - used, " %s", *n);
            }
            if (used < cap) {
                snprintf(err + used, cap - used, ")");
            }
            return -1;
        }
        v = strtod(eq + 1, &end);
        if (eq[1] == '\0' || *end != '\0' || !isfinite(v)) {
            snprintf(err, cap, "%.*s: the threshold must be a number (got '%s')", (int)nlen, item,
                     eq + 1);
            return -1;
        }
        if (g->n >= MASKEVAL_MAX_GATES) {
            snprintf(err, cap, "more than %d gates", MASKEVAL_MAX_GATES);
            return -1;
        }
        memcpy(g->g[g->n].stat, item, nlen);
        g->g[g->n].stat[nlen] = '\0';
        g->g[g->n].min = v;
        g->n++;
        p += len + (comma != NULL);
        if (comma != NULL && *p == '\0') {
            snprintf(err, cap, "expected STAT=VALUE after the last ','");
            return -1;
        }
    }
    return 0;
}

int maskeval_gates_check(const maskeval_gates *g, maskeval_stat_lookup lookup,
                         const void *result, char *reason, size_t cap)
{
    for (size_t i = 0; i < g->n; i++) {
        char have[40], want[40];
        double v;
        if (!lookup(result, g->g[i].stat, &v)) {
            snprintf(reason, cap, "%s is not reported by this evaluation", g->g[i].stat);
            return 1;
        }
        cli_format_double(g->g[i].min, want, sizeof(want));
        if (isnan(v) || v == -1) {
            snprintf(reason, cap, "%s could not be measured (%s), so it is not >= %s",
                     g->g[i].stat, isnan(v) ? "nan" : "-1: nothing to average", want);
            return 1;
        }
        if (!(v >= g->g[i].min)) {
            cli_format_double(v, have, sizeof(have));
            snprintf(reason, cap, "%s = %s < %s", g->g[i].stat, have, want);
            return 1;
        }
    }
    return 0;
}
