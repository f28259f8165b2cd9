/*
 * json_writer.c - the report library's streaming JSON writer for result files. Doubles
 * are written with the shortest of 15, 16 or 17 significant digits that
 * reads back to the same double, so outputs compare exactly.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

void cli_json_init(cli_json *j, FILE *f)
{
    memset(j, 0, sizeof(*j));
    j->f = f;
}

/* Writes the separator a new item needs at the current depth. */
static void item_start(cli_json *j)
{
    if (j->after_key) {
        j->after_key = 0;
        return;
    }
    if (j->depth > 0 && j->depth < 64) {
        if (j->count[j->depth] > 0) {
            fputs(j->depth == 1 ? ",\n " : ", ", j->f);
        }
        j->count[j->depth]++;
    }
}

static void open_container(cli_json *j, int ch)
{
    item_start(j);
    fputc(ch, j->f);
    j->depth++;
    if (j->depth < 64) {
        j->count[j->depth] = 0;
    }
}

void cli_json_begin_object(cli_json *j)
{
    open_container(j, '{');
}

void cli_json_end_object(cli_json *j)
{
    j->depth--;
    fputc('}', j->f);
    if (j->depth == 0) {
        fputc('\n', j->f);
    }
}

void cli_json_begin_array(cli_json *j)
{
    open_container(j, '[');
}

void cli_json_end_array(cli_json *j)
{
    j->depth--;
    fputc(']', j->f);
}

static void write_string(FILE *f, const char *s);

void cli_json_key(cli_json *j, const char *key)
{
    item_start(j);
    write_string(j->f, key);
    fputs(": ", j->f);
    j->after_key = 1;
}

void cli_format_double(double v, char *buf, size_t cap)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, cap, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) {
            break;
        }
    }
}

void cli_json_double(cli_json *j, double v)
{
    char buf[40];
    item_start(j);
    if (!isfinite(v)) {
        fputs("null", j->f);
        return;
    }
    cli_format_double(v, buf, sizeof(buf));
    fputs(buf, j->f);
}

void cli_json_int(cli_json *j, int64_t v)
{
    item_start(j);
    fprintf(j->f, "%" PRId64, v);
}

void cli_json_uint(cli_json *j, uint64_t v)
{
    item_start(j);
    fprintf(j->f, "%" PRIu64, v);
}

void cli_json_bool(cli_json *j, int v)
{
    item_start(j);
    fputs(v ? "true" : "false", j->f);
}

void cli_json_null(cli_json *j)
{
    item_start(j);
    fputs("null", j->f);
}

void cli_json_string(cli_json *j, const char *s)
{
    item_start(j);
    write_string(j->f, s);
}

static void write_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"':
            fputs("\\\"", f);
            break;
        case '\\':
            fputs("\\\\", f);
            break;
        case '\n':
            fputs("\\n", f);
            break;
        case '\r':
            fputs("\\r", f);
            break;
        case '\t':
            fputs("\\t", f);
            break;
        default:
            if (*p < 0x20) {
                fprintf(f, "\\u%04x", *p);
            } else {
                fputc(*p, f);
            }
        }
    }
    fputc('"', f);
}
