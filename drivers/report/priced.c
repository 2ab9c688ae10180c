/*
 * Each run's Xen mapping work priced with the run folder's calibration
 * (priced.h). Nothing here measures or guesses: a count the run lacks
 * leaves the price absent with the reason, a unit nobody knows leaves the
 * total incomplete (calib_price says which).
 */
#include "drivers/report/priced.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "drivers/report/run_json.h"

const char *const priced_keys[] = { "flushes", "full_flushes", "flush_ipis",
                                    "pte_writes", "pt_frames", "cpus", NULL };

static json_t *num(double x)
{
    return isfinite(x) ? json_real(x) : json_null();
}

static const char *kind_of(const char *source)
{
    if (strncmp(source, "measured", 8) == 0)
        return "measured here";
    if (strncmp(source, "default", 7) == 0)
        return "default";
    if (strncmp(source, "file", 4) == 0)
        return "file";
    return "unknown";
}

/* The spread of the round trip to TARGETS other CPUs: its point's MAD, or
 * past the points the whole unit's (the fit has no spread of its own). */
static double ipi_spread(const struct calibration *c, unsigned targets)
{
    for (unsigned i = 0; i < c->n_points; i++)
        if (c->point[i].targets == targets && c->point[i].v.known)
            return c->point[i].v.spread;
    return c->unit[CU_FLUSH_IPI].spread;
}

/* Sum of count x MAD over the lines: the units' spreads added, not
 * combined as if independent, so that the interval is not too narrow. */
static double price_spread(const struct calibration *c, const struct price *p)
{
    static const enum calib_unit unit_of[PP_N] = {
        [PP_INVLPG] = CU_INVLPG, [PP_FULL_FLUSH] = CU_FULL_FLUSH,
        [PP_PTE_WRITE] = CU_PTE_WRITE, [PP_PT_FRAME] = CU_PT_FRAME,
        [PP_FLUSH_IPI] = CU_FLUSH_IPI,
    };
    double s = 0;

    for (int i = 0; i < PP_N; i++) {
        double mad = i == PP_FLUSH_IPI ? ipi_spread(c, p->cpus - 1)
                                       : c->unit[unit_of[i]].spread;

        if (p->line[i].count > 0 && isfinite(mad))
            s += p->line[i].count * mad;
    }
    return s;
}

static json_t *at_cpus(const struct calibration *c,
                       const struct mapping_counts *m, unsigned cpus)
{
    struct price p;

    calib_price(c, m, cpus, &p);
    return json_pack("{s:I, s:o, s:o, s:b, s:s}", "cpus", (json_int_t)cpus,
                     "total_ns", num(p.total_ns),
                     "spread_ns", num(price_spread(c, &p)),
                     "complete", p.complete, "ipi", p.ipi_how);
}

static json_t *by_cpus(const struct calibration *c,
                       const struct mapping_counts *m)
{
    json_t *a = json_array();
    unsigned most = c->online_cpus ? c->online_cpus : 1;

    for (unsigned k = 1; k <= most && k <= CALIB_MAX_POINTS + 1; k++)
        json_array_append_new(a, at_cpus(c, m, k));
    if (most < PRICED_LARGE_CPUS)
        json_array_append_new(a, at_cpus(c, m, PRICED_LARGE_CPUS));
    return a;
}

static void absent(json_t *metrics, const char *why)
{
    json_object_set_new(metrics, "priced_ns", json_pack(
        "{s:n, s:s}", "total_ns", "why", why));
}

void priced_run(json_t *run, const json_t *mapping,
                const struct calibration *c)
{
    json_t *metrics = json_object_get(run, "metrics"), *o;
    struct mapping_counts m;
    struct price p;
    char why[512], sources[CALIB_SOURCE * 2], kinds[64];
    double events = metric(run, "events"), allocs = metric(run, "allocs");
    size_t at = 0;

    if (!metrics)
        return;
    why[0] = 0;
    for (const char *const *k = priced_keys; *k; k++)
        if (!json_object_get(mapping, *k) && at < sizeof why)
            at += (size_t)snprintf(why + at, sizeof why - at, "%s%s",
                                   at ? ", " : "the run's mapping object "
                                   "lacks ", *k);
    if (why[0]) {
        snprintf(why + at, sizeof why - at, ": Xen's counts were not "
                 "recorded, so nothing is priced");
        absent(metrics, why);
        return;
    }
    if (mapping_counts_from_json(mapping, 1, &m, why, sizeof why) != 0) {
        absent(metrics, why);
        return;
    }
    calib_price(c, &m, 0, &p);
    o = price_json(&p);
    priced_sources(c, true, sources, sizeof sources);
    json_object_set_new(o, "calibration_cited", json_string(sources));
    priced_sources(c, false, sources, sizeof sources);
    json_object_set_new(o, "spread_ns", num(price_spread(c, &p)));
    json_object_set_new(o, "per_op_ns", num(events > 0 ? p.total_ns / events
                                                       : NAN));
    json_object_set_new(o, "per_op_spread_ns", num(events > 0 ?
                        price_spread(c, &p) / events : NAN));
    json_object_set_new(o, "per_alloc_ns", num(allocs > 0 ?
                        p.total_ns / allocs : NAN));
    json_object_set_new(o, "calibration", json_string(sources));
    priced_source_kinds(c, kinds, sizeof kinds);
    json_object_set_new(o, "calibration_kinds", json_string(kinds));
    json_object_set_new(o, "by_cpus", by_cpus(c, &m));
    json_object_set_new(metrics, "priced_ns", o);
}

void priced_collect(json_t *run, const char *json_path,
                    const struct calibration *c)
{
    json_error_t err;
    json_t *j = json_load_file(json_path, 0, &err);

    if (!j) {
        absent(json_object_get(run, "metrics"), "the run's JSON could not "
               "be read again for its mapping counts");
        return;
    }
    priced_run(run, json_object_get(j, "mapping"), c);
    json_decref(j);
}

/* Appends "KIND (unit, unit)" for each unit whose source is of KIND. */
static size_t list_kind(const struct calibration *c, const char *kind,
                        bool cite, char *out, size_t len, size_t at)
{
    bool first = true;

    for (int u = 0; u < CU_N; u++) {
        const char *src = c->unit[u].source;

        if (u == CU_NULL_SYSCALL || strcmp(kind_of(src), kind) != 0 ||
            at >= len)
            continue;
        if (first && !cite && strcmp(kind, "file") == 0)
            /* "file: PATH (ITS SOURCE)": the file named once */
            at += (size_t)snprintf(out + at, len - at, "%sfile %.*s (",
                                   at ? "; " : "",
                                   (int)strcspn(src + 6, " "), src + 6);
        else if (first)
            at += (size_t)snprintf(out + at, len - at, "%s%s (",
                                   at ? "; " : "", kind);
        else
            at += (size_t)snprintf(out + at, len - at, ", ");
        if (at < len)
            at += (size_t)snprintf(out + at, len - at, "%s",
                                   calib_unit_name(u));
        if (cite && at < len) {
            const char *colon = strchr(src, ':');

            at += (size_t)snprintf(out + at, len - at, ": %.200s",
                                   colon ? colon + 2 : src);
        }
        first = false;
    }
    if (!first && at < len)
        at += (size_t)snprintf(out + at, len - at, ")");
    return at;
}

void priced_sources(const struct calibration *c, bool cite, char *out,
                    size_t len)
{
    size_t at = 0;

    out[0] = 0;
    at = list_kind(c, "measured here", false, out, len, at);
    at = list_kind(c, "default", cite, out, len, at);
    at = list_kind(c, "file", cite, out, len, at);
    list_kind(c, "unknown", true, out, len, at);
}

void priced_source_kinds(const struct calibration *c, char *out, size_t len)
{
    static const char *const kinds[] = { "measured here", "default", "file",
                                         "unknown" };
    static const char *const shortly[] = { "measured", "default", "file",
                                           "unknown" };
    size_t at = 0;

    out[0] = 0;
    for (int k = 0; k < 4; k++)
        for (int u = 1; u < CU_N; u++)
            if (strcmp(kind_of(c->unit[u].source), kinds[k]) == 0) {
                if (at < len)
                    at += (size_t)snprintf(out + at, len - at, "%s%s",
                                           at ? "+" : "", shortly[k]);
                break;
            }
}

json_t *priced_calibration_json(const struct calibration *c,
                                const char *file, const char *user_file)
{
    json_t *units = json_object();
    char sources[CALIB_SOURCE * 2], kinds[64];

    for (int u = 0; u < CU_N; u++)
        json_object_set_new(units, calib_unit_name(u), json_pack(
            "{s:o, s:o, s:s}", "value",
            num(c->unit[u].known ? c->unit[u].value : NAN),
            "spread", num(c->unit[u].spread), "source", c->unit[u].source));
    priced_sources(c, true, sources, sizeof sources);
    priced_source_kinds(c, kinds, sizeof kinds);
    return json_pack("{s:s, s:s*, s:s, s:s, s:I, s:s, s:o}", "file", file,
                     "user_file", user_file, "sources", sources,
                     "kinds", kinds, "online_cpus",
                     (json_int_t)c->online_cpus, "fit", c->fit_how,
                     "units", units);
}
