/*
 * bench.toml's keys: the tables every section is read against, the
 * defaults of [run], and config_keys for the documentation checks.
 */
#include "drivers/suite/config_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/measure/counters.h"
#include "drivers/measure/replay.h"

static const enum kind kind_of_knob[] = {
    [KNOB_PAGE] = V_PAGE, [KNOB_SIZE] = V_SIZE, [KNOB_COUNT] = V_COUNT,
    [KNOB_BOOL] = V_BOOL, [KNOB_FLUSH] = V_FLUSH, [KNOB_PRESET] = V_ARCH,
    [KNOB_BOOTSCRUB] = V_BOOTSCRUB,
};

static struct key model_key[MK_N];

static void make_model_keys(void)
{
    for (unsigned i = 0; i < MK_N; i++)
        model_key[i] = (struct key){ knobs[i].name,
                                     kind_of_knob[knobs[i].type],
                                     knobs[i].min, knobs[i].max };
}

const struct key *model_key_table(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;

    pthread_once(&once, make_model_keys);
    return model_key;
}

const struct key run_keys[RK_N] = {
    [RK_REPETITIONS]       = { "repetitions", V_COUNT, 1, MAX_REPETITIONS },
    [RK_WARMUP]            = { "warmup", V_COUNT, 0, MAX_WARMUP },
    [RK_THREADS]           = { "threads", V_COUNTS, 1, GEN_MAX_THREADS },
    [RK_FLUSH_PEERS]       = { "flush_peers", V_COUNTS, 0,
                               REPLAY_MAX_PEERS },
    [RK_PIN]               = { "pin", V_PIN, 0, 0 },
    [RK_COUNTERS]          = { "counters", V_EVENTS, 0, 0 },
    [RK_SEED]              = { "seed", V_COUNT, 0, INT64_MAX },
    [RK_QUICK_SCALE]       = { "quick_scale", V_FRACTION, 0, 0 },
    [RK_QUICK_REPETITIONS] = { "quick_repetitions", V_COUNT, 1,
                               MAX_REPETITIONS },
    [RK_POINT_TIMEOUT]     = { "point_timeout", V_DURATION, 0, 0 },
    [RK_BUDGET]            = { "budget", V_DURATION, 0, 0 },
    [RK_QUICK_BUDGET]      = { "quick_budget", V_DURATION, 0, 0 },
};

/* Keys of [run] that describe the whole suite, not one experiment. */
bool suite_only(int k)
{
    return k == RK_BUDGET || k == RK_QUICK_BUDGET;
}

const struct key access_keys[AK_N] = {
    [AK_WORKING_SET] = { "working_set", V_SIZE, 0, 0 },
    [AK_BLOCK]       = { "block", V_SIZE, 0, 0 },
    [AK_ACCESSES]    = { "accesses", V_COUNT, 1, UINT32_MAX },
    [AK_PATTERN]     = { "pattern", V_PATTERN, 0, 0 },
    [AK_WRITE]       = { "write", V_BOOL, 0, 0 },
};

const struct key workload_keys[WK_N] = {
    [WK_NAME]       = { "name", V_COUNT, 0, 0 },
    [WK_TRACE]      = { "trace", V_COUNT, 0, 0 },
    [WK_EVENTS]     = { "events", V_COUNT, 2, INT64_MAX },
    [WK_CROSS_FREE] = { "cross_free", V_COUNT, 0, 100 },
};

const char *const experiment_names[] = {
    "name", "question", "title", "description", "kind", "enabled", "quick",
    "workload", "access", "backends", "page_sizes", "model", "run", "sweep",
    NULL,
};

void run_defaults(struct run_config *r)
{
    memset(r, 0, sizeof *r);
    r->repetitions = RUN_REPETITIONS;
    r->warmup = RUN_WARMUP;
    r->pin = RUN_PIN;
    r->seed = RUN_SEED;
    r->quick_scale = RUN_QUICK_SCALE;
    r->quick_repetitions = RUN_QUICK_REPETITIONS;
    r->point_timeout_s = RUN_POINT_TIMEOUT_S;
    r->budget_s = RUN_BUDGET_S;
    r->quick_budget_s = RUN_QUICK_BUDGET_S;
}

/* The part of the defaults that needs memory; -1 when there is none. */
int run_alloc_defaults(struct run_config *r)
{
    r->threads = (struct config_counts){ .n = 1, .v = { 1 } };
    r->flush_peers = (struct config_counts){ .n = 1, .v = { 0 } };
    r->counters = strdup(COUNTERS_DEFAULT);
    return r->counters ? 0 : -1;
}

void run_free(struct run_config *r)
{
    free(r->counters);
    r->counters = NULL;
}

int run_copy(struct run_config *to, const struct run_config *from)
{
    *to = *from;
    to->counters = strdup(from->counters);
    return to->counters ? 0 : -1;
}

const char *const *config_keys(const char *section)
{
    static const char *model[MK_N + 1], *run[RK_N + 1], *access_k[AK_N + 1],
                      *workload[WK_N + 1];

    if (strcmp(section, "experiment") == 0)
        return experiment_names;
#define FILL(arr, keys, n) \
    do { for (size_t i = 0; i < (n); i++) arr[i] = keys[i].name; \
         arr[n] = NULL; return arr; } while (0)
    if (strcmp(section, "model") == 0)
        FILL(model, model_keys, MK_N);
    if (strcmp(section, "run") == 0)
        FILL(run, run_keys, RK_N);
    if (strcmp(section, "access") == 0)
        FILL(access_k, access_keys, AK_N);
    if (strcmp(section, "workload") == 0)
        FILL(workload, workload_keys, WK_N);
#undef FILL
    return NULL;
}
