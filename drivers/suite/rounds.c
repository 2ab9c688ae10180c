/* Scheduling what an answer compares: see rounds.h. */
#include "drivers/suite/rounds.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "drivers/measure/baseline.h"
#include "workloads/gen.h"

static void add(struct rounds_args *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void add(struct rounds_args *a, const char *fmt, ...)
{
    va_list ap;

    if (a->n == ROUNDS_MAX_ARGS)
        return;
    va_start(ap, fmt);
    vsnprintf(a->v[a->n++], sizeof a->v[0], fmt, ap);
    va_end(ap);
}

static bool is_model(const char *backend)
{
    return !baseline_find(backend) && strcmp(backend, "glibc") != 0;
}

/* Q1 is the question whose answer is a difference of two models on the
 * same requests: xvmalloc - xmalloc. */
bool rounds_alternate_args(const struct config_point *pt, bool quick,
                           struct rounds_args *out)
{
    const struct experiment *e = pt->exp;
    double budget = quick ? ROUNDS_QUICK_BUDGET_S : ROUNDS_BUDGET_S;
    unsigned min = pt->repetitions > ROUNDS_MIN_CLEAN ? pt->repetitions
                                                      : ROUNDS_MIN_CLEAN;

    out->n = 0;
    if (e->kind != EXP_REPLAY || e->question != 1 || e->n_backends != 2 ||
        !is_model(e->backends[0]) || !is_model(e->backends[1]) ||
        strcmp(pt->backend, e->backends[0]) != 0 || pt->threads != 1)
        return false;
    /* The point's own timeout ends the child: stay well inside it. */
    if (e->run.point_timeout_s > 0 && budget > e->run.point_timeout_s / 4)
        budget = e->run.point_timeout_s / 4;
    add(out, "--against=%s", e->backends[1]);
    add(out, "--until=%g,%g", ROUNDS_Q1_TARGET_NS, ROUNDS_Q1_TARGET_PCT);
    add(out, "--max-seconds=%g", budget);
    add(out, "--min-rounds=%u", min);
    add(out, "--timing=batch");
    return true;
}

bool rounds_across(const struct experiment *e)
{
    for (size_t i = 0; i < e->n_backends; i++)
        if (baseline_find(e->backends[i]))
            return true;
    return false;
}

/* ---- the resolution ---- */

int rounds_resolution_trace(const char *path, char *why, size_t len)
{
    const struct gen_workload *w = gen_find("pairs");
    struct gen_params p;
    FILE *f;
    int rc;

    if (!w) {
        snprintf(why, len, "no pairs workload");
        return -1;
    }
    gen_params_defaults(&p);
    p.events = ROUNDS_RES_EVENTS;
    if (gen_set(&p, "size", "64", why, len) != 0 ||
        gen_check(w, &p, why, len) != 0)
        return -1;
    if (!(f = fopen(path, "w"))) {
        snprintf(why, len, "%.900s: cannot write", path);
        return -1;
    }
    rc = gen_write(w, &p, f);
    if (fclose(f) != 0 || rc != 0) {
        snprintf(why, len, "%.900s: cannot write the trace", path);
        return -1;
    }
    return 0;
}

void rounds_resolution_args(bool quick, struct rounds_args *out)
{
    out->n = 0;
    add(out, "--delays=%s", ROUNDS_RES_DELAYS);
    add(out, "--max-seconds=%g", quick ? ROUNDS_RES_QUICK_S
                                       : ROUNDS_RES_BUDGET_S);
    add(out, "--min-rounds=%u", ROUNDS_MIN_CLEAN);
    add(out, "--timing=batch");
    add(out, "--counters=none");
}

static double num(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);

    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* One delay: what was injected, what was measured, and the verdicts. */
static json_t *delay_json(const json_t *side, unsigned clean, bool *detected)
{
    const json_t *d = json_object_get(side, "difference");
    double inj = num(side, "injected_ns"), est = num(d, "estimate");
    double lo = num(d, "ci_low"), hi = num(d, "ci_high");
    bool recovered;

    *detected = clean >= ROUNDS_MIN_CLEAN && lo > 0;
    recovered = *detected && fabs(est - inj) <= ROUNDS_RECOVERED * inj;
    return json_pack("{s:f, s:o, s:o, s:o, s:I, s:b, s:b}", "injected_ns", inj,
                     "estimate", isnan(est) ? json_null() : json_real(est),
                     "ci_low", isnan(lo) ? json_null() : json_real(lo),
                     "ci_high", isnan(hi) ? json_null() : json_real(hi),
                     "n", (json_int_t)clean, "detected", *detected,
                     "recovered", recovered);
}

/*
 * The resolution is the smallest injected delay detected (its interval
 * excludes 0) with every larger one detected too: a lucky small one below
 * a missed larger one is noise, not resolution. Whether the detected
 * delays come out at their injected size is kept beside it ("recovered"):
 * a spin overlaps with the work around it, so a small one shows smaller.
 */
json_t *rounds_resolution_read(const char *json_path, char *why, size_t len)
{
    json_error_t err;
    json_t *j = json_load_file(json_path, 0, &err), *alt, *sides, *out,
           *delays = json_array();
    double resolution = NAN, recovered_from = NAN;
    unsigned clean;
    size_t i, n;

    alt = json_object_get(j, "alternation");
    sides = json_object_get(alt, "sides");
    if (!json_is_array(sides) || json_array_size(sides) < 2) {
        snprintf(why, len, "%.900s: no alternation in it", json_path);
        json_decref(j);
        json_decref(delays);
        return NULL;
    }
    clean = (unsigned)json_integer_value(json_object_get(alt, "rounds_clean"));
    n = json_array_size(sides);
    for (i = 1; i < n; i++) {
        bool detected;

        json_array_append_new(delays, delay_json(json_array_get(sides, i),
                                                 clean, &detected));
    }
    for (i = json_array_size(delays); i-- > 0;) {   /* the largest first */
        const json_t *d = json_array_get(delays, i);

        if (!json_is_true(json_object_get(d, "detected")))
            break;
        resolution = num(d, "injected_ns");
        if (json_is_true(json_object_get(d, "recovered")))
            recovered_from = resolution;
    }
    out = json_pack("{s:o, s:o, s:o, s:I, s:I, s:b, s:o, s:s}",
                    "resolution_ns", isnan(resolution) ? json_null()
                                                       : json_real(resolution),
                    "recovered_from_ns", isnan(recovered_from) ? json_null()
                                                  : json_real(recovered_from),
                    "largest_delay_ns", json_real(num(json_array_get(sides,
                                                  n - 1), "injected_ns")),
                    "rounds_clean", (json_int_t)clean,
                    "rounds_tried", json_integer_value(json_object_get(alt,
                                                          "rounds_tried")),
                    "reliable", clean >= ROUNDS_MIN_CLEAN,
                    "delays", delays,
                    "how", "the null backend against itself plus a spin of "
                    "known length after every event, alternated in one "
                    "process; the smallest delay whose 95% interval "
                    "excludes 0, every larger one too");
    json_decref(j);
    return out;
}

/* ---- orders across processes ---- */

static uint64_t mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void rounds_order(size_t *order, size_t n, uint64_t seed, unsigned k)
{
    uint64_t state = mix(seed * 0x9e3779b97f4a7c15ull + k + 1);

    for (size_t i = 0; i < n; i++)
        order[i] = i;
    for (size_t i = n ? n - 1 : 0; i > 0; i--) {
        size_t j;

        state = mix(state + 0x9e3779b97f4a7c15ull);
        j = (size_t)(state % (i + 1));
        size_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
}
