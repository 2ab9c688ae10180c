/* Scheduling what an answer compares: see rounds.h. */
#include "drivers/suite/rounds.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "drivers/measure/alternate.h"
#include "drivers/measure/baseline.h"
#include "drivers/measure/knobs.h"
#include "drivers/measure/stats.h"
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

/* The whole point's budget; each process has its share of it. */
static double point_budget(const struct config_point *pt, bool quick)
{
    double budget = quick ? ROUNDS_QUICK_BUDGET_S : ROUNDS_BUDGET_S;

    /* The point timeout ends one child: each stays well inside it. */
    if (pt->exp->run.point_timeout_s > 0 &&
        budget / ROUNDS_MIN_PROCS > pt->exp->run.point_timeout_s / 4)
        budget = pt->exp->run.point_timeout_s / 4 * ROUNDS_MIN_PROCS;
    return budget;
}

/* How every alternated child is run: SECONDS of budget, enough clean
 * rounds for its share of the repetitions, batch timing. */
static void budget_args(const struct config_point *pt, double seconds,
                        struct rounds_args *out)
{
    unsigned per_proc = (pt->repetitions + ROUNDS_MIN_PROCS - 1) /
                        ROUNDS_MIN_PROCS;
    unsigned min = per_proc > ROUNDS_MIN_CLEAN ? per_proc : ROUNDS_MIN_CLEAN;

    add(out, "--max-seconds=%g", seconds);
    add(out, "--min-rounds=%u", min);
    add(out, "--timing=batch");
}

/* Whether E's answer compares one backend's time under two or three
 * models: Q6's 64K and 16K pages against 4K, Q7's no directmap against
 * one. Q6's mixed workload answers with its waste, which is the same in
 * every repetition: it needs no rounds. */
static bool compares_models(const struct experiment *e)
{
    bool waste = e->workload && strcmp(e->workload->name, "mixed") == 0;

    return e->kind == EXP_REPLAY &&
           (e->question == 7 || (e->question == 6 && !waste));
}

int rounds_models_dim(const struct experiment *e)
{
    if (!compares_models(e))
        return ROUNDS_NO_DIM;
    for (size_t i = 0; i < e->n_backends; i++)
        if (!is_model(e->backends[i]))
            return ROUNDS_NO_DIM;
    if (e->question == 6 && e->n_page_sizes > 1 &&
        e->n_page_sizes <= ROUNDS_MAX_SIDES)
        return CONFIG_DIM_PAGE;
    for (size_t s = 0; e->question == 7 && s < e->n_sweeps; s++)
        if (e->sweeps[s].target == SWEEP_MODEL &&
            e->sweeps[s].n <= ROUNDS_MAX_SIDES)
            return (int)s;
    return ROUNDS_NO_DIM;
}

/* Knob ID of CFG as a side of --against writes it: @page_size=65536. */
static size_t side_knob(char *out, size_t len, unsigned id,
                        const struct heap_config *cfg)
{
    uint64_t v = knob_get(cfg, id);
    char text[32];

    if (knobs[id].type == KNOB_BOOL)
        snprintf(text, sizeof text, "%s", v ? "true" : "false");
    else if (knobs[id].type == KNOB_FLUSH || knobs[id].type == KNOB_PRESET)
        knob_text(id, cfg, text, sizeof text);
    else
        snprintf(text, sizeof text, "%llu", (unsigned long long)v);
    return (size_t)snprintf(out, len, "%c%s=%s", ALT_KNOB_SEP,
                            knobs[id].name, text);
}

/* --against=B@KNOB=V..,B@.. for PT's sides along DIM: each side the same
 * backend with the model knobs in which its point differs from PT. */
static bool model_sides(const struct config_point *pt,
                        const struct config_env *env, int dim,
                        struct rounds_args *out, struct rounds_sides *sides)
{
    const struct experiment *e = pt->exp;
    size_t n = dim == CONFIG_DIM_PAGE ? e->n_page_sizes : e->sweeps[dim].n;
    char list[sizeof out->v[0]], why[256];
    size_t at = 0;

    if (config_point_at(e, env, pt->index, dim) != 0)
        return false;
    for (size_t k = 1; k < n; k++) {
        struct config_point side;
        size_t j = config_point_moved(e, env, pt->index, dim, k);

        if (config_point(e, env, j, &side, why, sizeof why) != 0)
            return false;
        sides->point[sides->n++] = j;
        at += (size_t)snprintf(list + at, at < sizeof list ? sizeof list - at
                               : 0, "%s%s", k > 1 ? "," : "", pt->backend);
        for (unsigned id = 0; id < KNOB_MODEL_N && at < sizeof list; id++)
            if (knob_get(&side.model, id) != knob_get(&pt->model, id))
                at += side_knob(list + at, sizeof list - at, id,
                                &side.model);
    }
    if (at >= sizeof list - sizeof "--against=")
        return false;   /* too many knobs differ to say: not alternated */
    add(out, "--against=%s", list);
    return true;
}

bool rounds_alternate_args(const struct config_point *pt,
                           const struct config_env *env,
                           struct rounds_args *out,
                           struct rounds_sides *sides)
{
    const struct experiment *e = pt->exp;
    int dim = rounds_models_dim(e);

    out->n = 0;
    sides->n = 0;
    if (e->kind != EXP_REPLAY || pt->threads != 1)
        return false;
    if (dim != ROUNDS_NO_DIM) {
        if (!model_sides(pt, env, dim, out, sides)) {
            out->n = 0;
            sides->n = 0;
            return false;
        }
        /* The spread between processes is what a ratio's interval is
         * made of: each process stops at its clean rounds, and the
         * budget buys more processes (rounds_schedule). Rounds of a
         * long trace (Q7 without a directmap) would eat it otherwise. */
        budget_args(pt, 0, out);
        return true;
    }
    /* Q1: a difference of two models on the same requests */
    if (e->question != 1 || e->n_backends != 2 ||
        !is_model(e->backends[0]) || !is_model(e->backends[1]) ||
        strcmp(pt->backend, e->backends[0]) != 0)
        return false;
    add(out, "--against=%s", e->backends[1]);
    add(out, "--until=%g,%g", ROUNDS_Q1_TARGET_NS, ROUNDS_Q1_TARGET_PCT);
    budget_args(pt, point_budget(pt, env->quick) / ROUNDS_MIN_PROCS, out);
    return true;
}

/* A baseline cannot share a process; nor can Q6's and Q7's models when
 * rounds_models_dim finds no coordinate it can alternate (a preloaded
 * backend, more models than ROUNDS_MAX_SIDES). */
bool rounds_across(const struct experiment *e)
{
    for (size_t i = 0; i < e->n_backends; i++)
        if (baseline_find(e->backends[i]))
            return true;
    return compares_models(e) && rounds_models_dim(e) == ROUNDS_NO_DIM;
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

/* ---- an alternated point in several processes ---- */

/* Clean rounds read from one child, at most. */
#define ALT_MAX_ROUNDS_SUITE 2000
#define OTHER_SIDES (ROUNDS_MAX_SIDES - 1)

/* One process's clean rounds: side 0's ns/op, and each other side's paired
 * difference (side - side 0) and ratio (side / side 0). */
struct proc {
    size_t n, sides;             /* rounds; sides besides side 0 */
    double a[ALT_MAX_ROUNDS_SUITE];
    double d[OTHER_SIDES][ALT_MAX_ROUNDS_SUITE];
    double q[OTHER_SIDES][ALT_MAX_ROUNDS_SUITE];
};

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;

    return (a > b) - (a < b);
}

static double median_sorting(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The median of N values of V, V left as it was. */
static double median_of(const double *v, size_t n)
{
    static double copy[ALT_MAX_ROUNDS_SUITE];

    if (n == 0)
        return NAN;
    memcpy(copy, v, n * sizeof *copy);
    return median_sorting(copy, n);
}

/* A process counts when it kept ROUNDS_MIN_CLEAN clean rounds: one that
 * a busy machine left with one or two has a median that is noise. */
static bool good(const struct proc *p)
{
    return p->n >= ROUNDS_MIN_CLEAN;
}

static unsigned good_ones(const struct proc *p, size_t k)
{
    unsigned n = 0;

    for (size_t i = 0; i < k; i++)
        n += good(&p[i]);
    return n;
}

/* Which per-round value of a side an interval is taken over. */
enum paired { PAIRED_DIFF, PAIRED_RATIO };

static const double *paired_of(const struct proc *p, size_t side,
                               enum paired what)
{
    return what == PAIRED_RATIO ? p->q[side] : p->d[side];
}

/*
 * The interval of side SIDE's paired difference (or ratio) over
 * processes: each process's median is one observation, and the 95%
 * interval is Student's on their mean (K - 1 degrees of freedom).
 * Decision: not a bootstrap. With three to eight processes a percentile
 * bootstrap over processes is known to be too narrow (it sees (K-1)/K of
 * the variance and a handful of distinct resamples); here it gave
 * [1.55..2.77] and [0.35..1.36] for the same point in two runs. Student's
 * interval on cluster summaries is the textbook answer for few clusters,
 * and the process medians are near normal (each the median of 6 or more
 * rounds).
 */
static void over_processes(const struct proc *p, size_t k, size_t side,
                           enum paired what, struct stats_interval *ci)
{
    double m[ROUNDS_MAX_PROCS], sum = 0, sq = 0, half;
    size_t n = 0;

    for (size_t i = 0; i < k; i++)
        if (good(&p[i])) {
            m[n] = median_of(paired_of(&p[i], side, what), p[i].n);
            sum += m[n++];
        }
    ci->estimate = n ? sum / (double)n : NAN;
    ci->lo = ci->hi = NAN;
    ci->level = STATS_LEVEL95;
    if (n < 2)
        return;
    for (size_t i = 0; i < n; i++)
        sq += (m[i] - ci->estimate) * (m[i] - ci->estimate);
    half = stats_t975((double)(n - 1)) * sqrt(sq / (double)(n - 1)) /
           sqrt((double)n);
    ci->lo = ci->estimate - half;
    ci->hi = ci->estimate + half;
}

/* The clean rounds one child measured, from its JSON: every side. */
static int read_proc(const json_t *j, struct proc *p)
{
    const json_t *sides = json_object_get(json_object_get(j, "alternation"),
                                          "sides");
    const json_t *a = json_object_get(json_array_get(sides, 0), "ns_per_op");
    size_t n = json_array_size(sides);

    p->n = 0;
    p->sides = n > 1 ? n - 1 : 0;
    if (!json_is_array(a) || n < 2 || n > ROUNDS_MAX_SIDES)
        return -1;
    for (size_t i = 1; i < n; i++)
        if (json_array_size(json_object_get(json_array_get(sides, i),
                                            "ns_per_op")) !=
            json_array_size(a))
            return -1;
    for (size_t r = 0; r < json_array_size(a) && p->n < ALT_MAX_ROUNDS_SUITE;
         r++) {
        double a0 = json_number_value(json_array_get(a, r));

        p->a[p->n] = a0;
        for (size_t i = 1; i < n; i++) {
            double b = json_number_value(json_array_get(json_object_get(
                json_array_get(sides, i), "ns_per_op"), r));

            p->d[i - 1][p->n] = b - a0;
            p->q[i - 1][p->n] = a0 > 0 ? b / a0 : NAN;
        }
        p->n++;
    }
    return 0;
}

static double jnum_at(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);

    return json_is_number(v) ? json_number_value(v) : 0;
}

static json_t *num_or_null(double v)
{
    return isnan(v) ? json_null() : json_real(v);
}

/* An interval over processes as the JSON of a side has it; N: the rounds
 * behind it, none without one. */
static json_t *interval_json(const struct stats_interval *ci, size_t n,
                             unsigned procs)
{
    return json_pack("{s:o, s:o, s:o, s:f, s:I, s:I}",
                     "estimate", num_or_null(ci->estimate),
                     "ci_low", num_or_null(ci->lo),
                     "ci_high", num_or_null(ci->hi),
                     "level", STATS_LEVEL95,
                     "n", (json_int_t)(isnan(ci->lo) ? 0 : n),
                     "processes", (json_int_t)procs);
}

/* Side I's median ns/op in process P (side 0 + its paired difference). */
static double side_median(const struct proc *p, size_t i)
{
    static double b[ALT_MAX_ROUNDS_SUITE];

    if (i == 0)
        return median_of(p->a, p->n);
    for (size_t r = 0; r < p->n; r++)
        b[r] = p->a[r] + p->d[i - 1][r];
    return median_sorting(b, p->n);
}

/* Side I of the combined result: its per-process medians as its ns/op,
 * and besides side 0 its difference and ratio over the processes, each
 * child's own interval kept in "processes". */
static void combine_side(json_t *side, json_t **js, const struct proc *p,
                         size_t k, size_t i, size_t rounds)
{
    json_t *ns = json_array(), *procs = json_array();
    double m[ROUNDS_MAX_PROCS];
    struct stats_interval d, q;
    size_t n = 0;

    for (size_t c = 0; c < k; c++) {
        const json_t *child = json_array_get(json_object_get(json_object_get(
            js[c], "alternation"), "sides"), i);

        if (i > 0)
            json_array_append_new(procs, json_pack("{s:O?, s:O?}",
                "difference", json_object_get(child, "difference"),
                "ratio", json_object_get(child, "ratio")));
        if (!good(&p[c]))
            continue;
        m[n] = side_median(&p[c], i);
        json_array_append_new(ns, json_real(m[n++]));
    }
    json_object_set_new(side, "ns_per_op", ns);
    json_object_set_new(side, "median", n ? json_real(median_sorting(m, n))
                                          : json_null());
    if (i == 0) {
        json_decref(procs);
        return;
    }
    over_processes(p, k, i - 1, PAIRED_DIFF, &d);
    over_processes(p, k, i - 1, PAIRED_RATIO, &q);
    json_object_set_new(side, "difference", interval_json(&d, rounds,
                                                          good_ones(p, k)));
    json_object_set_new(side, "ratio", interval_json(&q, rounds,
                                                     good_ones(p, k)));
    json_object_set_new(side, "processes", procs);
}

/*
 * The combined result, shaped as one child's: the first child's JSON with
 * "repetitions" one per process (its median: the process is the sample),
 * the rounds counted over all, and every side's difference and ratio over
 * the processes (over_processes); each side's "processes" keeps each
 * child's own intervals.
 */
static json_t *combine(json_t **js, const struct proc *p, size_t k)
{
    json_t *out = json_deep_copy(js[0]), *reps = json_array(), *alt, *side;
    double tried = 0, clean = 0, excluded = 0, seconds = 0;
    bool reached = true;
    size_t kept_rounds = 0, i;

    for (size_t c = 0; c < k; c++) {
        const json_t *ai = json_object_get(js[c], "alternation");
        json_t *rep = json_deep_copy(json_array_get(json_object_get(js[c],
                                     "repetitions"), 0));

        if (good(&p[c]))
            kept_rounds += p[c].n;
        if (rep && good(&p[c])) {
            json_object_set_new(rep, "ns_per_op",
                                json_real(median_of(p[c].a, p[c].n)));
            /* and its median paired difference (the first other side's:
             * Q1's xvmalloc - xmalloc), for xheap compare */
            if (p[c].sides)
                json_object_set_new(rep, "difference_ns", json_real(
                    median_of(p[c].d[0], p[c].n)));
            json_object_set_new(rep, "contaminated", json_false());
            json_array_append_new(reps, rep);
        } else {
            json_decref(rep);
        }
        tried += jnum_at(ai, "rounds_tried");
        clean += jnum_at(ai, "rounds_clean");
        excluded += jnum_at(ai, "rounds_excluded");
        seconds += jnum_at(ai, "seconds");
        reached &= json_is_true(json_object_get(ai, "target_reached"));
    }
    json_object_set_new(out, "repetitions", reps);
    json_object_set_new(out, "excluded_repetitions", json_real(excluded));
    alt = json_object_get(out, "alternation");
    json_object_del(alt, "rounds");
    json_object_set_new(alt, "rounds_tried", json_real(tried));
    json_object_set_new(alt, "rounds_clean", json_real(clean));
    json_object_set_new(alt, "rounds_excluded", json_real(excluded));
    json_object_set_new(alt, "seconds", json_real(seconds));
    json_object_set_new(alt, "target_reached", json_boolean(reached));
    json_object_set_new(alt, "processes_run", json_integer((json_int_t)k));
    json_object_set_new(alt, "interval", json_string(
        "Student's t over the processes' median paired differences (and "
        "ratios)"));
    json_array_foreach(json_object_get(alt, "sides"), i, side)
        combine_side(side, js, p, k, i, kept_rounds);
    /* side 1's children, where Q1's readers had them */
    json_object_set(alt, "processes", json_object_get(json_array_get(
        json_object_get(alt, "sides"), 1), "processes"));
    return out;
}

/* Whether the combined intervals are as narrow as JOB's target: Q1's on
 * the difference, else ROUNDS_RATIO_TARGET_PCT of every ratio. */
static bool narrow(const struct rounds_job *job)
{
    const struct proc *p = job->p;
    double meds[ROUNDS_MAX_PROCS], base;
    struct stats_interval ci;
    size_t n = 0;

    for (size_t i = 0; i < job->k; i++)
        if (good(&p[i]))
            meds[n++] = median_of(p[i].a, p[i].n);
    if (n == 0)
        return false;
    base = median_sorting(meds, n);
    if (!job->ratio) {
        over_processes(p, job->k, 0, PAIRED_DIFF, &ci);
        return ci.hi - ci.lo <= fmax(ROUNDS_Q1_TARGET_NS,
                                     ROUNDS_Q1_TARGET_PCT / 100 * base);
    }
    for (size_t s = 0; s < p[0].sides; s++) {
        over_processes(p, job->k, s, PAIRED_RATIO, &ci);
        if (!(ci.hi - ci.lo <= ROUNDS_RATIO_TARGET_PCT / 100 * ci.estimate))
            return false;
    }
    return true;
}

/*
 * Runs one child of a point: ARGV with its --json=... pointed at JSON.TK
 * (TAG, then K + 1) and its log at LOG.TK, beside the point's own files,
 * which the combined result takes. -1 when the child could not run or
 * failed (WHY says so); else 0, with *OUT its JSON, or NULL when that did
 * not load (WHY names PATH and the fault).
 */
static int child_json(char **argv, const char *json, const char *logp,
                      char tag, unsigned k, rounds_child_fn run, void *ctx,
                      json_t **out, char *path, size_t path_len, char *why,
                      size_t len)
{
    char log[4200], store[4300];
    json_error_t err;
    char **at = NULL, *saved;
    int rc;

    *out = NULL;
    for (char **a = argv; *a; a++)
        if (strncmp(*a, "--json=", 7) == 0)
            at = a;
    if (!at) {
        snprintf(why, len, "no --json among the arguments");
        return -1;
    }
    snprintf(path, path_len, "%s.%c%u", json, tag, k + 1);
    snprintf(log, sizeof log, "%s.%c%u", logp, tag, k + 1);
    snprintf(store, sizeof store, "--json=%s", path);
    saved = *at;
    *at = store;
    rc = run(ctx, argv, log, why, len);
    *at = saved;
    if (rc != 0)
        return -1;
    if (!(*out = json_load_file(path, 0, &err)))
        snprintf(why, len, "%.700s: %.160s", path, err.text);
    return 0;
}

/* One child of JOB: process number K + 1 of its point. */
static int one_process(struct rounds_job *job, rounds_child_fn run, void *ctx,
                       char *why, size_t len)
{
    char path[4200];

    if (child_json(job->argv, job->json, job->log, 'p', job->k, run, ctx,
                   &job->js[job->k], path, sizeof path, why, len) != 0)
        return -1;
    if (!job->js[job->k] || read_proc(job->js[job->k], &job->p[job->k]) != 0) {
        snprintf(why, len, "%.900s: no alternation in it", path);
        return -1;
    }
    job->k++;
    return 0;
}

static double seconds_now(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Whether JOB wants another process. One that has no good process yet
 * when ROUNDS_MIN_PROCS tried, or two once the experiment's budget is
 * spent, will not get five from the rest on this machine (each such
 * process runs to alternate.c's busy limit): its answer says it is
 * unreliable here. */
static bool wants_more(const struct rounds_job *job, bool over_budget)
{
    unsigned good = good_ones(job->p, job->k);

    if (job->failed || job->k == ROUNDS_MAX_PROCS ||
        (good == 0 && (job->k >= ROUNDS_MIN_PROCS ||
                       (over_budget && job->k >= 2))))
        return false;
    if (good < ROUNDS_MIN_PROCS)
        return true;
    return !over_budget && !narrow(job);
}

int rounds_schedule(struct rounds_job *jobs, size_t n, bool quick,
                    uint64_t seed, const volatile sig_atomic_t *stop,
                    rounds_child_fn run, void *ctx)
{
    double budget = (double)n * ROUNDS_EXPERIMENT_BUDGETS *
                    (quick ? ROUNDS_QUICK_BUDGET_S : ROUNDS_BUDGET_S);
    double t0 = seconds_now();

    /* --quick: Q6's and Q7's ratios stop at ROUNDS_MIN_PROCS good
     * processes (their target is the full suite's; the quick suite's two
     * minutes have no room for 21 more processes of q6-threshold) */
    if (quick && n && jobs[0].ratio)
        budget = 0;
    size_t order[64];
    unsigned round = 0;
    bool any = true;

    for (size_t i = 0; i < n; i++) {
        jobs[i].p = calloc(ROUNDS_MAX_PROCS, sizeof *jobs[i].p);
        if (!jobs[i].p) {
            snprintf(jobs[i].why, sizeof jobs[i].why, "out of memory");
            jobs[i].failed = true;
        }
    }
    while (any && !*stop) {
        bool over = seconds_now() - t0 > budget;

        any = false;
        rounds_order(order, n < 64 ? n : 64, seed, round++);
        for (size_t j = 0; j < n && j < 64; j++) {
            struct rounds_job *job = &jobs[order[j]];

            if (!wants_more(job, over))
                continue;
            any = true;
            if (one_process(job, run, ctx, job->why, sizeof job->why) != 0)
                job->failed = true;
        }
    }
    for (size_t i = 0; i < n; i++) {
        struct rounds_job *job = &jobs[i];
        json_t *out;

        if (job->failed || job->k == 0) {
            if (!job->why[0])
                snprintf(job->why, sizeof job->why, "not measured");
            job->failed = true;
        } else if (!(out = combine(job->js, job->p, job->k)) ||
                   json_dump_file(out, job->json, JSON_INDENT(1)) != 0) {
            snprintf(job->why, sizeof job->why, "%.900s: cannot write",
                     job->json);
            job->failed = true;
            json_decref(out);
        } else {
            json_decref(out);
        }
        for (unsigned k = 0; k < job->k; k++)
            json_decref(job->js[k]);
        free(job->p);
        job->p = NULL;
    }
    return 0;
}

/* ---- baselines across processes ---- */

unsigned rounds_across_count(const struct config_point *pt)
{
    unsigned n = pt->repetitions > ROUNDS_ACROSS_MIN ? pt->repetitions
                                                     : ROUNDS_ACROSS_MIN;

    return n < ROUNDS_ACROSS_MAX ? n : ROUNDS_ACROSS_MAX;
}

/* One process of JOB, its JSON beside the point's. */
static int one_rep(struct rounds_rep_job *job, rounds_child_fn run, void *ctx)
{
    char path[4200];

    if (child_json(job->argv, job->json, job->log, 'r', job->k, run, ctx,
                   &job->js[job->k], path, sizeof path, job->why,
                   sizeof job->why) != 0 || !job->js[job->k])
        return -1;
    job->k++;
    return 0;
}

/* The processes of one point as one child's JSON: the first's, with every
 * repetition, the exclusions summed and ns_per_op their clean median. */
static json_t *combine_reps(struct rounds_rep_job *job)
{
    json_t *out = json_deep_copy(job->js[0]), *reps = json_array();
    double clean[ROUNDS_ACROSS_MAX * 4], excluded = 0;
    size_t n = 0;

    for (unsigned k = 0; k < job->k; k++) {
        const json_t *rep;
        size_t i;

        excluded += jnum_at(job->js[k], "excluded_repetitions");
        json_array_foreach(json_object_get(job->js[k], "repetitions"), i, rep) {
            json_array_append(reps, (json_t *)rep);
            if (!json_is_true(json_object_get(rep, "contaminated")) &&
                n < sizeof clean / sizeof clean[0])
                clean[n++] = jnum_at(rep, "ns_per_op");
        }
    }
    json_object_set_new(out, "repetitions", reps);
    json_object_set_new(out, "excluded_repetitions", json_real(excluded));
    json_object_set_new(out, "processes", json_integer(job->k));
    if (n)
        json_object_set_new(out, "ns_per_op",
                            json_real(median_sorting(clean, n)));
    return out;
}

/* The clean repetitions JOB's processes kept. */
static unsigned clean_reps(const struct rounds_rep_job *job)
{
    unsigned n = 0;

    for (unsigned k = 0; k < job->k; k++) {
        const json_t *rep;
        size_t i;

        json_array_foreach(json_object_get(job->js[k], "repetitions"), i,
                           rep)
            n += !json_is_true(json_object_get(rep, "contaminated"));
    }
    return n;
}

int rounds_across_schedule(struct rounds_rep_job *jobs, size_t n,
                           unsigned rounds, uint64_t seed,
                           const volatile sig_atomic_t *stop,
                           rounds_child_fn run, void *ctx)
{
    size_t order[64];
    bool more = true;

    /* ROUNDS rounds, then more for the points short of ROUNDS_ACROSS_MIN
     * clean repetitions (a process that lost the CPU three times keeps
     * none), up to 2 x ROUNDS more. */
    for (unsigned r = 0; more && r < 3 * rounds && !*stop; r++) {
        more = false;
        rounds_order(order, n < 64 ? n : 64, seed, r);
        for (size_t j = 0; j < n && j < 64 && !*stop; j++) {
            struct rounds_rep_job *job = &jobs[order[j]];

            if (job->failed || job->k == ROUNDS_ACROSS_MAX ||
                (r >= rounds && clean_reps(job) >= ROUNDS_ACROSS_MIN))
                continue;
            more = true;
            if (one_rep(job, run, ctx) != 0)
                job->failed = true;
        }
        more |= r + 1 < rounds;
    }
    for (size_t i = 0; i < n; i++) {
        struct rounds_rep_job *job = &jobs[i];
        json_t *out = NULL;

        if (!job->failed && job->k == 0)
            snprintf(job->why, sizeof job->why, "not measured");
        if (job->k == 0 || job->failed)
            job->failed = true;
        else if (!(out = combine_reps(job)) ||
                 json_dump_file(out, job->json, JSON_INDENT(1)) != 0) {
            snprintf(job->why, sizeof job->why, "%.900s: cannot write",
                     job->json);
            job->failed = true;
        }
        json_decref(out);
        for (unsigned k = 0; k < job->k; k++)
            json_decref(job->js[k]);
    }
    return 0;
}
