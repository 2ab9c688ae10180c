/*
 * libFuzzer target: the bench.toml loader (drivers/suite/config.h), through the
 * TOML shim (drivers/suite/toml/) and every check of the loader.
 *
 * Any bytes are loaded with config_parse. A refusal must be one printable
 * line that names the file. An accepted suite must then be usable as xheap run uses
 * it, on machines of several sizes and under --quick: every experiment is
 * found by its name; points are made (config_point) for a spread of its
 * indices, which the loader promises to have checked, each with an id
 * unique in its experiment; and the suite, its experiments and those points
 * turn into JSON that can be written out.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "drivers/suite/config.h"

#define FILE_NAME  "fuzz.toml"
#define WHY_LEN    1024
#define ID_LEN     4096
#define POINT_EDGE 8       /* points made at each end of an experiment */
#define POINT_MID  8       /* and spread over the middle */

/* Machines the points are made for: one core, two, a big one; quick too. */
static const struct config_env envs[] = {
    { .cores = 1 }, { .cores = 2, .quick = true }, { .cores = 96 },
};

static __attribute__((noreturn, format(printf, 1, 2)))
void bug(const char *fmt, ...)
{
    va_list ap;

    fputs("fuzz_config: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

/* Serialises J as results.json would; J must exist. */
static void check_json(json_t *j, const char *what)
{
    char *text;

    if (!j)
        bug("%s: no JSON", what);
    text = json_dumps(j, JSON_COMPACT);
    if (!text)
        bug("%s: JSON that cannot be written", what);
    free(text);
    json_decref(j);
}

/* The indices to try: both ends and a spread between. */
static size_t pick(size_t k, size_t n)
{
    if (k < POINT_EDGE)
        return k;
    if (k < 2 * POINT_EDGE)
        return n - 1 - (k - POINT_EDGE);
    return POINT_EDGE + (n - 2 * POINT_EDGE) * (k - 2 * POINT_EDGE + 1) /
                        (POINT_MID + 1);
}

static void check_point(const struct experiment *e,
                        const struct config_env *env, size_t i,
                        char ids[][ID_LEN], size_t nids)
{
    struct config_point pt;
    char why[WHY_LEN] = "";
    json_t *j;
    int len;

    if (config_point(e, env, i, &pt, why, sizeof why) != 0)
        bug("experiment '%s' point %zu of %zu (%u cores%s) was accepted "
            "at load, then fails: %s", e->name, i, config_points(e, env),
            env->cores, env->quick ? ", quick" : "", why);
    len = config_point_id(&pt, ids[nids], ID_LEN);
    if (len <= 0 || (size_t)len >= ID_LEN ||
        strlen(ids[nids]) != (size_t)len)
        bug("experiment '%s' point %zu: bad id (length %d)", e->name, i, len);
    for (size_t k = 0; k < nids; k++)
        if (!strcmp(ids[k], ids[nids]))
            bug("experiment '%s': two points have the id '%s'", e->name,
                ids[nids]);
    j = config_point_json(&pt);
    if (!j || strcmp(json_string_value(json_object_get(j, "id")) ?: "",
                     ids[nids]))
        bug("experiment '%s' point %zu: JSON without its id '%s'", e->name,
            i, ids[nids]);
    check_json(j, "config_point_json");
}

static void check_experiment(const struct suite_config *c,
                             const struct experiment *e)
{
    static char ids[2 * POINT_EDGE + POINT_MID][ID_LEN];

    if (!e->name || config_find(c, e->name) != e)
        bug("experiment '%s' is not found by its name",
            e->name ? e->name : "(null)");
    check_json(config_experiment_json(e), "config_experiment_json");
    for (size_t v = 0; v < sizeof envs / sizeof envs[0]; v++) {
        size_t n = config_points(e, &envs[v]), nids = 0, last = SIZE_MAX;

        if (!config_runs(e, &envs[v]))
            continue;
        for (size_t k = 0; k < 2 * POINT_EDGE + POINT_MID; k++) {
            size_t i = n <= 2 * POINT_EDGE + POINT_MID ? k : pick(k, n);

            if (i >= n || i == last)
                continue;
            check_point(e, &envs[v], i, ids, nids++);
            last = i;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct suite_config c;
    char why[WHY_LEN] = "";

    if (config_parse(FILE_NAME, (const char *)data, size, &c, why,
                     sizeof why) != 0) {
        if (strncmp(why, FILE_NAME ":", strlen(FILE_NAME ":")))
            bug("refusal '%s' does not name the file", why);
        if (strchr(why, '\n'))
            bug("refusal '%s' spans lines", why);
        for (const char *p = why; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                bug("refusal '%s' holds a control character", why);
        return 0;
    }
    check_json(config_json(&c), "config_json");
    for (size_t i = 0; i < c.n_experiments; i++)
        check_experiment(&c, &c.experiments[i]);
    config_free(&c);
    return 0;
}
