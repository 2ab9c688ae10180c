/*
 * The rubric's claims that rest on a number, written from the number
 * ({{claim:NAME}} in docs/rubric.md.in). A sentence such as "the fallback
 * fails too" is true or false depending on what was measured, so it is not
 * in the template: each claim here reads the run's experiments and says
 * what they show, including when they contradict what the thread expected.
 * "not measured in this run" when the experiment is missing.
 */
#include "drivers/report/docs_claims.h"

#include <math.h>
#include <string.h>

#include "drivers/report/run_json.h"

#define NOT_MEASURED "not measured in this run"
#define MIB          (1024.0 * 1024.0)
#define THP_SHMEM    "/sys/kernel/mm/transparent_hugepage/shmem_enabled"

static const json_t *named(const json_t *exps, const char *name)
{
    const json_t *x;
    size_t i;

    json_array_foreach(exps, i, x)
        if (strcmp(rstr(x, "name"), name) == 0 &&
            (!json_is_string(json_object_get(x, "status")) ||
             strcmp(rstr(x, "status"), "complete") == 0))
            return x;
    return NULL;
}

/* The share of RUN's allocations that failed, in percent. */
static double failed_pct(const json_t *run)
{
    return 100 * metric(run, "failed") /
           (metric(run, "allocs") + metric(run, "reallocs"));
}

/* Q5: Jan's fallback to vmalloc, and whether it "fails too" once the
 * xenheap cannot spare vmalloc's own frame array. */
static void claim_q5(const json_t *exps, FILE *out)
{
    const json_t *x = named(exps, "q5-xenheap"), *run, *xm = NULL, *fb = NULL;
    double smallest = INFINITY;
    size_t i;

    json_array_foreach(x ? json_object_get(x, "runs") : NULL, i, run)
        if (ok_run(run))
            smallest = fmin(smallest, sweep(run, "xenheap"));
    json_array_foreach(x ? json_object_get(x, "runs") : NULL, i, run) {
        if (!ok_run(run) || sweep(run, "xenheap") != smallest)
            continue;
        if (strcmp(rstr(run, "backend"), "xmalloc") == 0)
            xm = run;
        if (strcmp(rstr(run, "backend"), "xvmalloc-fallback") == 0)
            fb = run;
    }
    if (!xm || !fb) {
        fputs(NOT_MEASURED, out);
        return;
    }
    fprintf(out, "with a %.0f MiB xenheap, `xmalloc` failed %.2f%% of the "
            "allocations and the fallback %.2f%%: ", smallest / MIB,
            failed_pct(xm), failed_pct(fb));
    if (failed_pct(fb) == 0 && failed_pct(xm) > 0)
        fputs("the fallback rescued every allocation in this workload. "
              "`vmalloc`'s frame array (8 bytes a page, `xmalloc`ed from the "
              "xenheap) can still make it fail once the xenheap cannot spare "
              "even that, but this run did not reach that point", out);
    else if (failed_pct(fb) < failed_pct(xm))
        fputs("the fallback rescued most allocations; the rest failed "
              "because `vmalloc` `xmalloc`s its frame array from the full "
              "xenheap first", out);
    else if (failed_pct(xm) > 0)
        fputs("the fallback fails too: `vmalloc` `xmalloc`s its frame array "
              "from the full xenheap first", out);
    else
        fputs("the xenheap never ran out, so the fallback was not tested", out);
}

/* Q1: George's "one precious conditional", from the answer's interval. */
static void claim_q1(const json_t *exps, FILE *out)
{
    const json_t *x = named(exps, "q1-small");
    const json_t *a = x ? json_object_get(x, "answer") : NULL;
    const json_t *ci = json_object_get(a, "ci95");
    double lo = jnum(json_array_get(ci, 0)), hi = jnum(json_array_get(ci, 1));

    if (isnan(lo) || isnan(hi)) {
        fputs(NOT_MEASURED, out);
        return;
    }
    if (json_is_false(json_object_get(a, "resolvable")))
        fprintf(out, "no cost this machine can resolve: xvmalloc minus "
                "xmalloc measured %+.2f ns per call (95%% interval %.2f .. "
                "%.2f), below the %.2f ns the run's own injected delays "
                "showed it can tell apart", jnum(json_object_get(a, "value")),
                lo, hi, jnum(json_object_get(a, "below_ns")));
    else if (lo <= 0 && hi >= 0)
        fprintf(out, "no cost this run can resolve: the 95%% interval of "
                "xvmalloc minus xmalloc, %.2f .. %.2f ns per call, contains "
                "0, so any cost is below %.2f ns", lo, hi, fmax(-lo, hi));
    else if (lo > 0)
        fprintf(out, "a measurable cost of %.2f .. %.2f ns per call (95%% "
                "interval)", lo, hi);
    else
        fprintf(out, "xvmalloc measured cheaper than xmalloc (%.2f .. %.2f "
                "ns per call), which its design rules out (it is xmalloc "
                "behind a size check): this run's noise, not a finding", lo,
                hi);
}

/* Q4: whether whole-page xmalloc fragments memory more than vmalloc. */
static void claim_q4(const json_t *exps, FILE *out)
{
    const json_t *x = named(exps, "q4-aging");
    const json_t *xm = NULL, *vm = NULL, *run;
    size_t i;

    json_array_foreach(x ? json_object_get(x, "runs") : NULL, i, run) {
        if (!ok_run(run))
            continue;
        if (strcmp(rstr(run, "backend"), "xmalloc") == 0)
            xm = run;
        if (strcmp(rstr(run, "backend"), "vmalloc") == 0)
            vm = run;
    }
    if (!xm || !vm) {
        fputs(NOT_MEASURED, out);
        return;
    }
    fprintf(out, "after aging, the highest order still had at least half "
            "the time is %d with `xmalloc` and %d with `vmalloc`: ",
            probe_best_order(xm), probe_best_order(vm));
    if (probe_best_order(xm) < probe_best_order(vm))
        fputs("whole-page `xmalloc` left memory more fragmented, as George "
              "wrote", out);
    else if (probe_best_order(xm) == probe_best_order(vm))
        fputs("no difference at this size of run, so the claim that "
              "whole-page `xmalloc` fragments memory more is not borne out "
              "here", out);
    else
        fputs("`vmalloc` left memory more fragmented here, against the "
              "claim", out);
    if (probe_fill_failures(xm) != probe_fill_failures(vm))
        fprintf(out, "; but the fills differ (%.0f fill allocations failed "
                "with `xmalloc`, %.0f with `vmalloc`), so the two did not age "
                "the same memory", probe_fill_failures(xm),
                probe_fill_failures(vm));
}

/* Q9: measured only where the directmap got huge pages. */
static void claim_q9(const json_t *exps, FILE *out)
{
    const json_t *x = named(exps, "q9-access"), *run;
    size_t i;

    if (!x) {
        fputs(NOT_MEASURED, out);
        return;
    }
    json_array_foreach(json_object_get(x, "runs"), i, run)
        if (strstr(rstr(json_object_get(run, "metrics"), "huge"), "refused")) {
            fputs("not measured: the host refused huge pages for the "
                  "directmap, so both sides were 4K mappings. To measure it, "
                  "as root: `echo advise > " THP_SHMEM "`, then rerun", out);
            return;
        }
    fputs(rstr(json_object_get(x, "answer"), "text")[0]
          ? rstr(json_object_get(x, "answer"), "text") : NOT_MEASURED, out);
}

static const struct claim {
    const char *name;
    void (*write)(const json_t *exps, FILE *out);
} claims[] = {
    { "q1", claim_q1 }, { "q4", claim_q4 }, { "q5", claim_q5 },
    { "q9", claim_q9 },
};

int docs_claim(const char *name, const json_t *exps, FILE *out)
{
    for (size_t i = 0; i < sizeof claims / sizeof claims[0]; i++)
        if (strcmp(claims[i].name, name) == 0) {
            if (out)
                claims[i].write(exps, out);
            return 0;
        }
    return -1;
}
