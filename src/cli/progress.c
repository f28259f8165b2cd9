/*
 * progress.c - the progress bar of the maskeval command.
 *
 * The library reports (stage, fraction of that stage) from the calling
 * thread; the command knows the stages of its run in order, with rough
 * shares of the time, and turns the reports into one fraction of the whole
 * run. That fraction never goes back (a stage reported out of order, or
 * twice, keeps the bar where it is), and the ETA is the whole run's:
 * elapsed * (1 - f) / f.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* Shares from --timing on the generated COCO-val-scale set (tests/bench/coco). */
const cli_stage cli_plan_coco_segm[] = {
    {"reading ground truth", 0.21},    {"reading results", 0.43},
    {"IoU: listing pairs", 0.04},      {"IoU: intersecting masks", 0.14},
    {"IoU: filling matrices", 0.02},   {"matching", 0.07},
    {"accumulating", 0.07},            {NULL, 0}};
const cli_stage cli_plan_coco_bbox[] = {
    {"reading ground truth", 0.18}, {"reading results", 0.47}, {"IoU: boxes", 0.06},
    {"matching", 0.14},             {"accumulating", 0.15},    {NULL, 0}};
const cli_stage cli_plan_semantic[] = {{"decoding label maps", 1.0}, {NULL, 0}};

#define BAR 20

void cli_progress_init(cli_progress_state *p, maskeval_options *lib, const cli_stage *plan,
                       int quiet)
{
    const char *delay = getenv("MASKEVAL_PROGRESS_DELAY");
    memset(p, 0, sizeof(*p));
    p->plan = plan;
    p->t0 = cli_now();
    p->delay = 1.0;
    if (delay != NULL && delay[0] != '\0') {
        char *end;
        double d = strtod(delay, &end);
        if (*end == '\0' && d >= 0) {
            p->delay = d;
        }
    }
    for (const cli_stage *s = plan; s->name != NULL; s++) {
        p->total += s->weight;
    }
    p->tty = !quiet && p->total > 0 && isatty(fileno(stderr));
    if (p->tty) {
        lib->progress_fn = cli_progress;
        lib->progress_user = p;
    }
}

void cli_progress(void *user, const char *stage, double fraction)
{
    cli_progress_state *p = user;
    double now = cli_now(), before = 0, f = p->fraction, elapsed = now - p->t0;
    char bar[BAR + 1], eta[32] = "";
    int fill;
    for (const cli_stage *s = p->plan; s->name != NULL; s++) {
        if (strcmp(s->name, stage) == 0) {
            double clamped = fraction < 0 ? 0 : fraction > 1 ? 1 : fraction;
            double here = (before + s->weight * clamped) / p->total;
            f = here > f ? here : f;
            break;
        }
        before += s->weight;
    }
    p->fraction = f;
    if (elapsed < p->delay) {
        return; /* only for runs that take a while */
    }
    fill = (int)(f * BAR + 0.5);
    for (int i = 0; i < BAR; i++) {
        bar[i] = i < fill ? '#' : ' ';
    }
    bar[BAR] = '\0';
    if (f >= 0.02) {
        snprintf(eta, sizeof(eta), "  ETA %.0f s", elapsed * (1 - f) / f + 0.5);
    }
    if (!p->shown) {
        cli_signals_progress_line(1);
        p->shown = 1;
    }
    /* \033[K: erase the rest of the line (the previous stage name was longer) */
    fprintf(stderr, "\rmaskeval: %s [%s] %3d%%%s\033[K", stage, bar, (int)(f * 100), eta);
    fflush(stderr);
}

void cli_progress_done(cli_progress_state *p)
{
    if (p->shown) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        cli_signals_progress_line(0);
        p->shown = 0;
    }
}
