/* Alternation: see alternate.h. */
#include "drivers/measure/alternate.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/measure/args.h"
#include "drivers/measure/baseline.h"
#include "drivers/measure/knobs.h"
#include "drivers/measure/replay_internal.h"

#define DEFAULT_MIN_ROUNDS  6      /* the fewest with a 95% median interval */
#define DEFAULT_MAX_SECONDS 10.0
#define SPIN_CALIBRATION    (1u << 22)   /* iterations per timing: ~ms */
#define SPIN_TIMINGS        7            /* the fastest of these counts */
#define BUSY_BUDGETS        3    /* budgets spent waiting for clean rounds */
#define BUSY_ROUNDS         2    /* or min_rounds' time as many times, */
#define BUSY_MAX_S          30.0 /* up to this: a quarter of the suite's
                                    default point timeout. The longest
                                    rounds of the suite (q6-threshold's
                                    100000 B xvmalloc, full) took ~10 s at
                                    load 12 on 2 CPUs, so a few s quiet */

void alternate_init(struct alternate *a)
{
    memset(a, 0, sizeof(*a));
    a->min_rounds = DEFAULT_MIN_ROUNDS;
    a->max_rounds = ALT_MAX_ROUNDS;
    a->max_seconds = DEFAULT_MAX_SECONDS;
    a->seed = 1;
}

int alternate_add(struct alternate *a, const char *backend,
                  const struct heap_config *cfg, double delay_ns)
{
    struct alt_side *s;

    if (a->n_sides == ALT_MAX_SIDES)
        return -1;
    s = &a->side[a->n_sides++];
    memset(s, 0, sizeof(*s));
    snprintf(s->backend, sizeof(s->backend), "%s", backend);
    snprintf(s->label, sizeof(s->label), "%s", backend);
    s->cfg = *cfg;
    s->delay_ns = delay_ns;
    return 0;
}

void alternate_free(struct alternate *a)
{
    for (unsigned i = 0; i < a->n_sides; i++)
        free(a->side[i].ns);
    free(a->rounds);
    a->rounds = NULL;
    a->n_sides = 0;
}

/* ---- the delay spin ---- */

double alternate_spin_speed(void)
{
    double best = INFINITY;

    for (int i = 0; i < SPIN_TIMINGS; i++) {
        uint64_t t0 = clock_ns();

        replay_spin(SPIN_CALIBRATION);
        best = fmin(best, (double)(clock_ns() - t0) / SPIN_CALIBRATION);
    }
    return best;
}

/* Each delay as the whole number of iterations closest to it (at least
 * one), and the delay that number really is at the measured speed. */
static void resolve_delays(struct alternate *a)
{
    bool any = false;

    for (unsigned i = 0; i < a->n_sides; i++)
        any |= a->side[i].delay_ns > 0;
    if (!any)
        return;
    a->ns_per_iter = alternate_spin_speed();
    for (unsigned i = 0; i < a->n_sides; i++) {
        struct alt_side *s = &a->side[i];

        if (s->delay_ns <= 0)
            continue;
        s->delay_iters = (unsigned)fmax(1, lround(s->delay_ns /
                                                  a->ns_per_iter));
        s->injected_ns = s->delay_iters * a->ns_per_iter;
    }
}

/* ---- the rounds ---- */

/* splitmix64, for the orders: seeded, so a run can be repeated exactly. */
static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* A fresh random order of the sides (Fisher-Yates). */
static void draw_order(uint8_t *order, unsigned n, uint64_t *state)
{
    for (unsigned i = 0; i < n; i++)
        order[i] = (uint8_t)i;
    for (unsigned i = n - 1; i > 0; i--) {
        unsigned j = (unsigned)(next_random(state) % (i + 1));
        uint8_t t = order[i];

        order[i] = order[j];
        order[j] = t;
    }
}

/* The engine's model is the side's: its heap, and the page size the
 * replayer touches blocks by. */
static void use_side(struct engine *e, const struct alt_side *s)
{
    e->backend = s->backend;
    e->cfg = &s->cfg;
    e->page = s->cfg.page_size;
    e->delay_iters = s->delay_iters;
}

static void median_interval(double *v, unsigned n, struct stats_interval *ci)
{
    if (n == 0 || stats_median_ci(v, n, STATS_LEVEL95, ci) != 0)
        *ci = (struct stats_interval){ NAN, NAN, NAN, 0 };
}

/* Paired differences and ratios of side I against side 0 over the clean
 * rounds: each round's two passes are one pair. */
static void side_interval(struct alternate *a, unsigned i)
{
    struct alt_side *s = &a->side[i];
    double d[a->clean ? a->clean : 1], q[a->clean ? a->clean : 1];

    for (unsigned k = 0; k < a->clean; k++) {
        d[k] = s->ns[k] - a->side[0].ns[k];
        q[k] = a->side[0].ns[k] > 0 ? s->ns[k] / a->side[0].ns[k] : NAN;
    }
    median_interval(d, a->clean, &s->diff);
    median_interval(q, a->clean, &s->ratio);
}

/* Whether every difference's interval is as narrow as asked. */
static bool narrow_enough(struct alternate *a)
{
    double base = stats_median(a->side[0].ns, a->clean);
    double want = fmax(a->target_ns, a->target_rel * base);

    if (want <= 0 || a->clean < a->min_rounds)
        return false;
    for (unsigned i = 1; i < a->n_sides; i++) {
        side_interval(a, i);
        if (!(a->side[i].diff.hi - a->side[i].diff.lo <= want) ||
            a->side[i].diff.level < STATS_LEVEL95)
            return false;
    }
    return true;
}

/* One round: every side once, in a fresh order. The round is clean when
 * no side lost the CPU; then its values join the paired samples. */
static int one_round(struct engine *e, struct alternate *a,
                     struct replay_report *r, uint64_t *state)
{
    struct alt_round *rd = &a->rounds[a->tried++];
    struct replay_rep rep;
    bool delays = a->ns_per_iter > 0;

    draw_order(rd->order, a->n_sides, state);
    rd->clean = true;
    for (unsigned j = 0; j < a->n_sides; j++) {
        unsigned i = rd->order[j];
        int st;

        use_side(e, &a->side[i]);
        st = replay_batch_pass(e, delays, a->tried == 1 && i == 0, &rep, r);
        if (st != REPLAY_OK)
            return st;
        rd->ns[i] = rep.ns_per_op;
        rd->cpu_share[i] = rep.cpu_share;
        rd->nivcsw[i] = (uint32_t)rep.nivcsw;
        rd->wait_share[i] = rep.wait_share;
        rd->clean &= !rep.contaminated;
        if (i == 0 && a->tried == 1)
            r->reps[0] = rep;   /* failed, flushes, counters of side 0 */
    }
    if (!rd->clean)
        return REPLAY_OK;
    for (unsigned i = 0; i < a->n_sides; i++)
        a->side[i].ns[a->clean] = rd->ns[i];
    a->clean++;
    return REPLAY_OK;
}

/* Side 0's clean rounds become R's repetitions: the replay JSON and the
 * suite read them as they read any run's. */
static int side0_reps(struct alternate *a, struct replay_report *r)
{
    struct replay_rep first = r->reps[0];
    struct replay_rep *reps = calloc(a->clean ? a->clean : 1, sizeof(*reps));

    if (!reps)
        return fail(r, REPLAY_FAILED, "out of memory");
    for (unsigned t = 0, k = 0; t < a->tried; t++) {
        if (!a->rounds[t].clean)
            continue;
        reps[k] = first;
        reps[k].cpu_share = a->rounds[t].cpu_share[0];
        reps[k].nivcsw = a->rounds[t].nivcsw[0];
        reps[k].ns_per_op = a->side[0].ns[k];
        reps[k].time_ns = (uint64_t)llround(a->side[0].ns[k] *
                                            (double)r->trace.events);
        reps[k++].contaminated = false;
    }
    free(r->reps);
    r->reps = reps;
    r->n_reps = r->repetitions = a->clean;
    r->excluded = a->tried - a->clean;
    return REPLAY_OK;
}

int alternate_passes(struct engine *e, struct alternate *a,
                     struct replay_report *r)
{
    const char *backend0 = e->backend;
    const struct heap_config *cfg0 = e->cfg;
    uint64_t state = a->seed, t0;
    struct replay_rep rep;
    double busy_s;
    int st = REPLAY_OK;

    if (a->n_sides < 2)
        return fail(r, REPLAY_BAD_INPUT, "alternation needs two sides");
    for (unsigned i = 0; i < a->n_sides; i++)
        if (!(a->side[i].ns = calloc(a->max_rounds, sizeof(double))))
            return fail(r, REPLAY_FAILED, "out of memory");
    if (!(a->rounds = calloc(a->max_rounds, sizeof(*a->rounds))))
        return fail(r, REPLAY_FAILED, "out of memory");
    resolve_delays(a);
    /* One unmeasured pass of every side: caches, page tables, the code.
     * It takes what a round takes: a machine too busy for clean rounds
     * gives up after BUSY_BUDGETS budgets, or where that is longer after
     * BUSY_ROUNDS times what min_rounds rounds take, up to BUSY_MAX_S (a
     * long trace's rounds would otherwise never reach min_rounds). */
    t0 = clock_ns();
    for (unsigned i = 0; i < a->n_sides && st == REPLAY_OK; i++) {
        use_side(e, &a->side[i]);
        st = replay_batch_pass(e, a->ns_per_iter > 0, false, &rep, r);
    }
    busy_s = fmax(BUSY_BUDGETS * a->max_seconds,
                  fmin(BUSY_ROUNDS * a->min_rounds * 1e-9 *
                       (double)(clock_ns() - t0), BUSY_MAX_S));
    t0 = clock_ns();
    while (st == REPLAY_OK) {
        a->seconds = (double)(clock_ns() - t0) * 1e-9;
        if (a->tried == a->max_rounds) {
            a->stopped = "rounds";
            break;
        }
        if (narrow_enough(a)) {
            a->reached = true;
            a->stopped = "target";
            break;
        }
        if (a->clean >= a->min_rounds && a->seconds > a->max_seconds) {
            a->stopped = "budget";
            break;
        }
        /* A machine too busy for MIN_ROUNDS clean rounds: the answer says
         * so, rather than the run going on for ever. */
        if (a->seconds > busy_s) {
            a->stopped = "budget, too few clean rounds";
            break;
        }
        st = one_round(e, a, r, &state);
    }
    e->backend = backend0;
    e->cfg = cfg0;
    e->page = cfg0->page_size;
    e->delay_iters = 0;
    for (unsigned i = 1; i < a->n_sides; i++)
        side_interval(a, i);
    return st == REPLAY_OK ? side0_reps(a, r) : st;
}

/* ---- JSON ---- */

static json_t *num_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *interval_json(const struct stats_interval *ci, unsigned n)
{
    return json_pack("{s:o, s:o, s:o, s:f, s:I}", "estimate",
                     num_or_null(ci->estimate), "ci_low", num_or_null(ci->lo),
                     "ci_high", num_or_null(ci->hi), "level", ci->level,
                     "n", (json_int_t)n);
}

/* A side: its backend and model (every knob, as the run's "config" has
 * them), its clean rounds, and against side 0 its paired difference and
 * ratio. */
static json_t *side_json(const struct alternate *a, unsigned i)
{
    const struct alt_side *s = &a->side[i];
    json_t *ns = json_array(), *cfg = json_object();
    json_t *o;

    for (unsigned k = 0; k < a->clean; k++)
        json_array_append_new(ns, json_real(s->ns[k]));
    knobs_json(cfg, &s->cfg, KNOB_N);
    o = json_pack("{s:s, s:s, s:o, s:o, s:o, s:I, s:o}", "backend",
                  s->backend, "side", s->label, "config", cfg,
                  "ns_per_op", ns, "median",
                  num_or_null(a->clean ? stats_median(s->ns, a->clean) : NAN),
                  "delay_iters", (json_int_t)s->delay_iters,
                  "injected_ns", s->delay_iters ? json_real(s->injected_ns)
                                                : json_null());
    if (i > 0) {
        json_object_set_new(o, "difference", interval_json(&s->diff,
                                                           a->clean));
        json_object_set_new(o, "ratio", interval_json(&s->ratio, a->clean));
    }
    return o;
}

static json_t *rounds_json(const struct alternate *a)
{
    json_t *all = json_array();

    for (unsigned k = 0; k < a->tried; k++) {
        const struct alt_round *rd = &a->rounds[k];
        json_t *order = json_array(), *ns = json_array(),
               *share = json_array(), *sw = json_array(),
               *wait = json_array();

        for (unsigned i = 0; i < a->n_sides; i++) {
            json_array_append_new(order, json_integer(rd->order[i]));
            json_array_append_new(ns, json_real(rd->ns[i]));
            json_array_append_new(share, json_real(rd->cpu_share[i]));
            json_array_append_new(sw, json_integer(rd->nivcsw[i]));
            json_array_append_new(wait, rd->wait_share[i] >= 0 ?
                                  json_real(rd->wait_share[i]) : json_null());
        }
        json_array_append_new(all, json_pack(
            "{s:o, s:o, s:o, s:o, s:o, s:b}", "order", order, "ns_per_op",
            ns, "cpu_share", share, "involuntary_switches", sw,
            "run_queue_share", wait, "clean", rd->clean));
    }
    return all;
}

json_t *alternate_json(const struct alternate *a)
{
    json_t *sides = json_array();

    for (unsigned i = 0; i < a->n_sides; i++)
        json_array_append_new(sides, side_json(a, i));
    return json_pack("{s:o, s:I, s:I, s:I, s:I, s:f, s:f, s:f, s:f, s:b, "
                     "s:s, s:o, s:o, s:s}",
                     "sides", sides, "rounds_tried", (json_int_t)a->tried,
                     "rounds_clean", (json_int_t)a->clean,
                     "rounds_excluded", (json_int_t)(a->tried - a->clean),
                     "min_rounds", (json_int_t)a->min_rounds,
                     "target_ns", a->target_ns, "target_rel", a->target_rel,
                     "max_seconds", a->max_seconds, "seconds", a->seconds,
                     "target_reached", a->reached,
                     "stopped_by", a->stopped ? a->stopped : "error",
                     "spin_ns_per_iter", a->ns_per_iter > 0
                         ? json_real(a->ns_per_iter) : json_null(),
                     "rounds", rounds_json(a),
                     "clean_rule", "a round is left out when a side had "
                     "the CPU less than 98% of its time and waited for one "
                     "more than 2% (clean.h)");
}

/* ---- options ---- */

static int bad(const char *opt, const char *arg, const char *want)
{
    return bad_option_value("replay", opt, arg, want);
}

int alternate_option(int c, const char *arg, struct alternate **ap)
{
    struct alternate *a = *ap;
    char *end;
    uint64_t n;

    if (c < ALTERNATE_OPTIONS_FIRST || c > ALTERNATE_OPTIONS_FIRST + 5)
        return -1;
    if (!a) {
        if (!(a = *ap = malloc(sizeof(*a))))
            return usage_error("replay", "out of memory");
        alternate_init(a);
    }
    switch (c - ALTERNATE_OPTIONS_FIRST) {
    case 0: a->against_arg = arg; return 0;
    case 1: a->delays_arg = arg; return 0;
    case 2:
        errno = 0;
        a->target_ns = strtod(arg, &end);
        if (errno || end == arg || *end != ',' || a->target_ns < 0)
            return bad("--until", arg, "NS,PCT such as 1,5");
        a->target_rel = strtod(end + 1, &end) / 100;
        if (errno || *end || a->target_rel < 0 || a->target_rel >= 1)
            return bad("--until", arg, "NS,PCT such as 1,5");
        return 0;
    case 3:
        errno = 0;
        a->max_seconds = strtod(arg, &end);
        if (errno || end == arg || *end || !(a->max_seconds >= 0) ||
            a->max_seconds > 86400)
            return bad("--max-seconds", arg, "0 .. 86400");
        return 0;
    case 4:
        if (parse_u64(arg, &n) || n < 1 || n > ALT_MAX_ROUNDS)
            return bad("--min-rounds", arg, "1 .. 2000");
        a->min_rounds = (unsigned)n;
        return 0;
    case 5:
        if (parse_u64(arg, &n) || n < 1 || n > ALT_MAX_ROUNDS)
            return bad("--max-rounds", arg, "1 .. 2000");
        a->max_rounds = (unsigned)n;
        return 0;
    }
    return -1;
}

/* The knob of the table (knobs.h) named NAME as bench.toml names it
 * ("page_size"; "page-size" too); -1 when none is. */
static int knob_named(const char *name)
{
    char want[40];
    size_t i;

    for (i = 0; name[i] && i < sizeof(want) - 1; i++)
        want[i] = name[i] == '-' ? '_' : name[i];
    want[i] = 0;
    for (unsigned id = 0; id < KNOB_N; id++)
        if (strcmp(knobs[id].name, want) == 0)
            return (int)id;
    return -1;
}

/* SETTING ("directmap=false") over CFG, parsed by the knob table as its
 * command-line option would be; the one line of a refusal names SIDE. A
 * flag's knob (directmap, scrub, hugepages) takes true or false here. */
static int side_knob(const char *side, char *setting, struct heap_config *cfg)
{
    char *value = strchr(setting, '='), cmd[300];
    int id;

    if (value)
        *value++ = 0;
    if ((id = knob_named(setting)) < 0)
        return usage_error("replay", "--against %s: no model knob '%s' "
                           "(bench.toml's names: page_size, directmap, ...; "
                           "see 'xheap help replay')", side, setting);
    if (!value || !*value)
        return usage_error("replay", "--against %s: knob '%s' needs a value "
                           "(%s=VALUE)", side, setting, knobs[id].name);
    if (knobs[id].type == KNOB_BOOL) {
        if (strcmp(value, "true") != 0 && strcmp(value, "false") != 0)
            return usage_error("replay", "--against %s: bad value '%s' for "
                               "%s: want true or false", side, value,
                               knobs[id].name);
        knob_set(cfg, (unsigned)id, strcmp(value, "true") == 0);
        return 0;
    }
    snprintf(cmd, sizeof(cmd), "replay: --against %s", side);
    return knob_option(cmd, KNOB_OPT + id, value, cfg);
}

/* One side of --against, TEXT: "BACKEND" or "BACKEND@KNOB=VALUE@..". */
static int add_side(struct alternate *a, const char *text,
                    const struct heap_config *base)
{
    char buf[128], cmd[300], *knob, *next;
    struct heap_config cfg = *base;
    size_t n = strcspn(text, "@");
    int rc;

    snprintf(buf, sizeof(buf), "%s", text);
    buf[n] = 0;
    if (!backend_find(buf))
        return usage_error("replay", "--against: unknown backend '%s' "
                           "(see 'xheap backends')", buf);
    if (baseline_find(buf))
        return usage_error("replay", "--against: %s is preloaded into a "
                           "process of its own; it cannot alternate in "
                           "this one", buf);
    for (knob = text[n] ? buf + n + 1 : NULL; knob; knob = next) {
        if ((next = strchr(knob, ALT_KNOB_SEP)))
            *next++ = 0;
        if ((rc = side_knob(text, knob, &cfg)) != 0)
            return rc;
    }
    /* The ranges that depend on other knobs (memory in whole pages of the
     * side's page size ...), as the command line's own are checked. */
    snprintf(cmd, sizeof(cmd), "replay: --against %s", text);
    if ((rc = knobs_check_options(cmd, &cfg, KNOB_N)) != 0)
        return rc;
    if (alternate_add(a, buf, &cfg, 0) != 0)
        return usage_error("replay", "--against: at most %d sides",
                           ALT_MAX_SIDES);
    snprintf(a->side[a->n_sides - 1].label,
             sizeof(a->side[a->n_sides - 1].label), "%s", text);
    return 0;
}

static int add_against(struct alternate *a, const char *list,
                       const struct heap_config *cfg)
{
    char side[128];
    int rc;

    while (*list) {
        size_t n = strcspn(list, ",");

        if (n == 0 || n >= sizeof(side))
            return bad("--against", list, "sides separated by commas, each "
                       "BACKEND or BACKEND@KNOB=VALUE..");
        memcpy(side, list, n);
        side[n] = 0;
        if ((rc = add_side(a, side, cfg)) != 0)
            return rc;
        list += n + (list[n] == ALT_SIDE_SEP);
    }
    return 0;
}

static int add_delays(struct alternate *a, const char *backend,
                      const char *list, const struct heap_config *cfg)
{
    while (*list) {
        char *end;
        double ns;

        errno = 0;
        ns = strtod(list, &end);
        if (errno || end == list || (*end && *end != ',') || !(ns > 0) ||
            ns > 1e6)
            return bad("--delays", list, "nanoseconds above 0, by commas");
        if (alternate_add(a, backend, cfg, ns) != 0)
            return usage_error("replay", "--delays: at most %d sides",
                               ALT_MAX_SIDES - 1);
        list = end + (*end == ',');
    }
    return 0;
}

int alternate_finish_args(struct alternate *a, const char *backend,
                          const struct heap_config *cfg)
{
    int rc;

    if (!a->against_arg && !a->delays_arg)
        return usage_error("replay", "--until, --max-seconds and the rounds "
                           "need --against or --delays");
    if (a->min_rounds > a->max_rounds)
        return usage_error("replay", "--min-rounds %u is above --max-rounds "
                           "%u", a->min_rounds, a->max_rounds);
    alternate_add(a, backend, cfg, 0);
    if (a->against_arg && (rc = add_against(a, a->against_arg, cfg)) != 0)
        return rc;
    if (a->delays_arg &&
        (rc = add_delays(a, backend, a->delays_arg, cfg)) != 0)
        return rc;
    return 0;
}
