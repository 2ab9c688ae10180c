/*
 * Pricing Xen's counted mapping work: each count times its unit, the
 * source of the unit beside it. Nothing here measures; a unit nobody knows
 * leaves its line unknown and the total incomplete rather than guessed.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "drivers/measure/calibrate.h"

static int read_count(const json_t *mapping, const char *key, double *out,
                      char *why, size_t len)
{
    json_t *v = json_object_get(mapping, key);

    if (json_is_object(v) && strcmp(key, "pt_frames") == 0)
        v = json_object_get(v, "allocated");   /* freeing zeroes nothing */
    if (!v || json_is_null(v)) {
        *out = 0;
        return 0;
    }
    if (!json_is_number(v) || json_number_value(v) < 0) {
        snprintf(why, len, "mapping.%s: want a count, 0 or more", key);
        return -1;
    }
    *out = json_number_value(v);
    return 0;
}

int mapping_counts_from_json(const json_t *mapping, unsigned cpus_counted,
                             struct mapping_counts *m, char *why, size_t len)
{
    json_t *cpus;

    memset(m, 0, sizeof *m);
    if (!json_is_object(mapping)) {
        snprintf(why, len, "mapping: want an object");
        return -1;
    }
    if (read_count(mapping, "flushes", &m->flushes, why, len) ||
        read_count(mapping, "full_flushes", &m->full_flushes, why, len) ||
        read_count(mapping, "pte_writes", &m->pte_writes, why, len) ||
        read_count(mapping, "pt_frames", &m->pt_frames, why, len) ||
        read_count(mapping, "flush_ipis", &m->flush_ipis, why, len))
        return -1;
    /* The replay's "flushes" count every flush, full ones included
     * (docs/replay.md); here flushes are the single-entry ones, priced as
     * INVLPG, and full_flushes the rest, priced as a CR3 write. */
    m->flushes = m->flushes > m->full_flushes ? m->flushes - m->full_flushes
                                              : 0;
    cpus = json_object_get(mapping, "cpus");
    if (cpus && (!json_is_integer(cpus) || json_integer_value(cpus) < 1)) {
        snprintf(why, len, "mapping.cpus: want a number of CPUs, 1 or more");
        return -1;
    }
    m->cpus_counted = cpus ? (unsigned)json_integer_value(cpus) : cpus_counted;
    return 0;
}

static void price_line(struct price_line *l, const char *name, double count,
                       double unit_ns, bool known, const char *source)
{
    l->name = name;
    l->count = count;
    l->known = known || count == 0;
    l->unit_ns = known ? unit_ns : NAN;
    l->ns = count == 0 ? 0 : known ? count * unit_ns : NAN;
    l->source = source;
}

static void simple_line(struct price *p, enum price_part part,
                        const char *name, double count,
                        const struct calib_value *v)
{
    price_line(&p->line[part], name, count, v->value, v->known, v->source);
}

/*
 * The broadcasts are the counted flush IPIs divided by the CPUs they went
 * to. Counted for one CPU there were none to count: every flush and full
 * flush is then taken as one broadcast, as flush_area_all makes one under
 * the x86 rules.
 */
static double broadcasts(const struct mapping_counts *m)
{
    if (m->cpus_counted > 1)
        return m->flush_ipis / (m->cpus_counted - 1);
    return m->flushes + m->full_flushes;
}

static void ipi_line(const struct calibration *c,
                     const struct mapping_counts *m, struct price *p)
{
    unsigned targets = p->cpus - 1;
    bool extra;
    double rt = calib_flush_round_trip(c, targets, &extra);
    double count = targets ? broadcasts(m) : 0;

    price_line(&p->line[PP_FLUSH_IPI], "flush_broadcasts", count, rt,
               isfinite(rt), c->unit[CU_FLUSH_IPI].source);
    if (targets == 0)
        snprintf(p->ipi_how, sizeof p->ipi_how, "1 CPU: no other CPU to "
                 "interrupt");
    else if (!isfinite(rt))
        snprintf(p->ipi_how, sizeof p->ipi_how, "no round trip known for %u "
                 "other CPUs: %.400s", targets, c->unit[CU_FLUSH_IPI].source);
    else if (extra)
        snprintf(p->ipi_how, sizeof p->ipi_how, "round trip to %u other "
                 "CPUs extrapolated: %.400s", targets, c->fit_how);
    else
        snprintf(p->ipi_how, sizeof p->ipi_how, "round trip to %u other "
                 "CPU%s measured", targets, targets == 1 ? "" : "s");
}

void calib_price(const struct calibration *c, const struct mapping_counts *m,
                 unsigned cpus, struct price *out)
{
    memset(out, 0, sizeof *out);
    out->cpus = cpus ? cpus : m->cpus_counted ? m->cpus_counted : 1;
    simple_line(out, PP_INVLPG, "flushes", m->flushes, &c->unit[CU_INVLPG]);
    simple_line(out, PP_FULL_FLUSH, "full_flushes", m->full_flushes,
                &c->unit[CU_FULL_FLUSH]);
    simple_line(out, PP_PTE_WRITE, "pte_writes", m->pte_writes,
                &c->unit[CU_PTE_WRITE]);
    simple_line(out, PP_PT_FRAME, "pt_frames", m->pt_frames,
                &c->unit[CU_PT_FRAME]);
    ipi_line(c, m, out);
    out->complete = true;
    for (int i = 0; i < PP_N; i++) {
        if (out->line[i].known)
            out->total_ns += out->line[i].ns;
        else
            out->complete = false;
    }
}

static json_t *num(double x)
{
    return isfinite(x) ? json_real(x) : json_null();
}

json_t *price_json(const struct price *p)
{
    json_t *o = json_object(), *lines = json_object();

    for (int i = 0; i < PP_N; i++) {
        const struct price_line *l = &p->line[i];

        json_object_set_new(lines, l->name, json_pack("{s:o, s:o, s:o, s:s}",
                            "count", num(l->count), "unit_ns", num(l->unit_ns),
                            "ns", num(l->ns), "source", l->source));
    }
    json_object_set_new(o, "cpus", json_integer(p->cpus));
    json_object_set_new(o, "parts", lines);
    json_object_set_new(o, "total_ns", num(p->total_ns));
    json_object_set_new(o, "complete", json_boolean(p->complete));
    json_object_set_new(o, "ipi", json_string(p->ipi_how));
    return o;
}
