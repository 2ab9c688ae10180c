/*
 * A calibration as data: the units, their published defaults, the line
 * through the cross-CPU round trips, calibration.json and the files that
 * override it.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/measure/calibrate.h"

static const struct {
    const char *name, *what;
} units[CU_N] = {
    [CU_NULL_SYSCALL] = { "null_syscall", "a system call that does nothing "
                          "(getppid), subtracted from the flush round trip" },
    [CU_PTE_WRITE]    = { "pte_write", "one 8-byte page-table entry written" },
    [CU_PT_FRAME]     = { "pt_frame", "one 4K page-table frame zeroed, as "
                          "alloc_xen_pagetable's caller clears it" },
    [CU_INVLPG]       = { "invlpg", "local invalidation of one 4K TLB entry "
                          "(INVLPG)" },
    [CU_FULL_FLUSH]   = { "full_flush", "local full TLB flush (CR3 write, "
                          "no global pages)" },
    [CU_FLUSH_IPI]    = { "flush_ipi", "one cross-CPU flush round trip: IPI "
                          "to every other online CPU, handler, wait" },
};

/*
 * Published figures for the ring-0 units, used where this machine cannot
 * measure them. Both are for the instruction alone, not the TLB refills
 * that follow it.
 */
#define DEFAULT_INVLPG_NS 100.0
#define DEFAULT_INVLPG_SOURCE                                               \
    "default: Linux arch/x86/mm/tlb.c, the comment above "                  \
    "tlb_single_page_flush_ceiling (2014): \"Each single flush is about "   \
    "100 ns\""
#define DEFAULT_FULL_FLUSH_NS 140.0
#define DEFAULT_FULL_FLUSH_SOURCE                                           \
    "default: the x86 flush_tlb_range patch on LKML, May 2012 "             \
    "(lkml.iu.edu/hypermail/linux/kernel/1205.0/00700.html): INVLPG, "      \
    "assumed 140 ns, \"can compete with cr3 rewriting\"; the CR3 write "    \
    "taken equal to it"

const char *calib_unit_name(enum calib_unit u)
{
    return units[u].name;
}

const char *calib_unit_what(enum calib_unit u)
{
    return units[u].what;
}

static void set_unknown(struct calib_value *v, const char *why)
{
    v->known = false;
    v->value = v->spread = NAN;
    v->n = 0;
    snprintf(v->source, sizeof v->source, "%s", why);
}

void calib_init(struct calibration *c)
{
    memset(c, 0, sizeof *c);
    for (int u = 0; u < CU_N; u++)
        set_unknown(&c->unit[u], "not measured");
    c->fit_base = c->fit_per_target = NAN;
    snprintf(c->fit_how, sizeof c->fit_how, "no measured point");
    snprintf(c->kvm_status, sizeof c->kvm_status, "not run");
    c->kvm_invlpg_ns = c->kvm_full_flush_ns = c->kvm_exit_ns = NAN;
}

static void set_default(struct calib_value *v, double ns, const char *source)
{
    if (v->known)
        return;
    v->known = true;
    v->value = ns;
    v->spread = NAN;
    v->n = 0;
    snprintf(v->source, sizeof v->source, "%s", source);
}

void calib_apply_defaults(struct calibration *c)
{
    set_default(&c->unit[CU_INVLPG], DEFAULT_INVLPG_NS, DEFAULT_INVLPG_SOURCE);
    set_default(&c->unit[CU_FULL_FLUSH], DEFAULT_FULL_FLUSH_NS,
                DEFAULT_FULL_FLUSH_SOURCE);
}

/* ---- the round-trip line ------------------------------------------- */

void calib_fit(struct calibration *c)
{
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    unsigned n = 0;

    for (unsigned i = 0; i < c->n_points; i++) {
        double x = c->point[i].targets, y = c->point[i].v.value;

        if (!c->point[i].v.known)
            continue;
        sx += x, sy += y, sxx += x * x, sxy += x * y;
        n++;
    }
    c->fit_known = n > 0;
    if (n == 0) {
        c->fit_base = c->fit_per_target = NAN;
        snprintf(c->fit_how, sizeof c->fit_how, "no measured point");
        return;
    }
    if (n == 1 || n * sxx - sx * sx <= 0) {
        /* One CPU count says nothing about the slope: flat, a lower bound
         * for larger machines, and said so. */
        c->fit_base = sy / n;
        c->fit_per_target = 0;
        snprintf(c->fit_how, sizeof c->fit_how, "one measured CPU count: "
                 "extrapolated flat (no per-CPU increment known), a lower "
                 "bound for more CPUs");
        return;
    }
    c->fit_per_target = (n * sxy - sx * sy) / (n * sxx - sx * sx);
    c->fit_base = (sy - c->fit_per_target * sx) / n;
    snprintf(c->fit_how, sizeof c->fit_how, "least-squares line through %u "
             "measured CPU counts: %.1f ns + %.1f ns per CPU interrupted",
             n, c->fit_base, c->fit_per_target);
}

double calib_flush_round_trip(const struct calibration *c, unsigned targets,
                              bool *extrapolated)
{
    *extrapolated = false;
    if (targets == 0)
        return 0;
    for (unsigned i = 0; i < c->n_points; i++)
        if (c->point[i].targets == targets && c->point[i].v.known)
            return c->point[i].v.value;
    *extrapolated = true;
    if (!c->fit_known)
        return NAN;
    return c->fit_base + c->fit_per_target * targets;
}

/* ---- calibration.json ---------------------------------------------- */

static json_t *number_or_null(double x)
{
    return isfinite(x) ? json_real(x) : json_null();
}

static json_t *value_json(const struct calib_value *v)
{
    return json_pack("{s:o, s:o, s:I, s:s, s:s, s:s}",
                     "value", number_or_null(v->known ? v->value : NAN),
                     "spread", number_or_null(v->spread),
                     "n", (json_int_t)v->n,
                     "spread_kind", "MAD",
                     "unit", CALIB_UNIT_OF_MEASURE,
                     "source", v->source);
}

static json_t *flush_ipi_json(const struct calibration *c)
{
    json_t *o = value_json(&c->unit[CU_FLUSH_IPI]);
    json_t *pts = json_array();

    for (unsigned i = 0; i < c->n_points; i++) {
        json_t *p = value_json(&c->point[i].v);

        json_object_set_new(p, "targets", json_integer(c->point[i].targets));
        json_array_append_new(pts, p);
    }
    json_object_set_new(o, "points", pts);
    json_object_set_new(o, "fit", json_pack("{s:o, s:o, s:s}",
                        "base_ns", number_or_null(c->fit_base),
                        "per_target_ns", number_or_null(c->fit_per_target),
                        "how", c->fit_how));
    return o;
}

json_t *calib_json(const struct calibration *c)
{
    json_t *root = json_object(), *u = json_object();

    json_object_set_new(root, "version", json_integer(1));
    json_object_set_new(root, "online_cpus", json_integer(c->online_cpus));
    json_object_set_new(root, "quick", json_boolean(c->quick));
    for (int i = 0; i < CU_N; i++) {
        json_t *v = i == CU_FLUSH_IPI ? flush_ipi_json(c)
                                      : value_json(&c->unit[i]);

        json_object_set_new(v, "what", json_string(units[i].what));
        json_object_set_new(u, units[i].name, v);
    }
    json_object_set_new(root, "units", u);
    json_object_set_new(root, "kvm_probe", json_pack("{s:s, s:o, s:o, s:o}",
                        "status", c->kvm_status,
                        "guest_invlpg_ns", number_or_null(c->kvm_invlpg_ns),
                        "guest_full_flush_ns",
                        number_or_null(c->kvm_full_flush_ns),
                        "exit_round_trip_ns", number_or_null(c->kvm_exit_ns)));
    return root;
}

void calib_print(const struct calibration *c, FILE *f)
{
    for (int i = 0; i < CU_N; i++) {
        const struct calib_value *v = &c->unit[i];

        if (v->known)
            fprintf(f, "%-13s %10.1f ns  MAD %-8.1f n %-5u %s\n",
                    units[i].name, v->value, v->spread, v->n, v->source);
        else
            fprintf(f, "%-13s %10s     %-12s %-7s %s\n", units[i].name,
                    "unknown", "", "", v->source);
    }
    for (unsigned i = 0; i < c->n_points; i++)
        fprintf(f, "  flush round trip, %3u other CPU%s %10.1f ns  MAD %.1f\n",
                c->point[i].targets, c->point[i].targets == 1 ? ": " : "s:",
                c->point[i].v.value, c->point[i].v.spread);
    fprintf(f, "  beyond: %s\n", c->fit_how);
    fprintf(f, "kvm probe: %s\n", c->kvm_status);
}

/* ---- calibration files --------------------------------------------- */

/* The line of KEY's first appearance in TEXT as a JSON key: jansson keeps
 * no positions of values, so a fault in one is placed by its key. */
static int line_of_key(const char *text, const char *key)
{
    char quoted[96];
    const char *p;
    int line = 1;

    snprintf(quoted, sizeof quoted, "\"%s\"", key);
    p = text ? strstr(text, quoted) : NULL;
    if (!p)
        return 1;
    for (const char *q = text; q < p; q++)
        line += *q == '\n';
    return line;
}

struct file_ctx {
    const char *path;
    char *text;
    char *why;
    size_t len;
};

static int fault(struct file_ctx *fc, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fault(struct file_ctx *fc, const char *key, const char *fmt, ...)
{
    char msg[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(fc->why, fc->len, "%s:%d: %s", fc->path,
             line_of_key(fc->text, key), msg);
    return -1;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    char *buf = NULL;
    size_t n = 0, cap = 0;

    if (!f)
        return NULL;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            char *nb = realloc(buf, cap = cap * 2 + 8192);

            if (!nb)
                break;
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);

        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    if (buf)
        buf[n] = '\0';
    return buf;
}

/* A unit object of the file: {"value": ns, "spread"?, "n"?, "source"?}. */
static int read_value(struct file_ctx *fc, const char *key, json_t *o,
                      struct calib_value *out)
{
    json_t *v = json_object_get(o, "value"), *s = json_object_get(o, "spread");
    json_t *n = json_object_get(o, "n"), *src = json_object_get(o, "source");

    if (!json_is_object(o))
        return fault(fc, key, "unit \"%s\" is not an object", key);
    if (!json_is_number(v) || !isfinite(json_number_value(v)) ||
        json_number_value(v) < 0)
        return fault(fc, key, "unit \"%s\": \"value\" must be a number of "
                     "nanoseconds, 0 or more", key);
    if (s && !json_is_null(s) && !json_is_number(s))
        return fault(fc, key, "unit \"%s\": \"spread\" must be a number", key);
    if (n && (!json_is_integer(n) || json_integer_value(n) < 0))
        return fault(fc, key, "unit \"%s\": \"n\" must be a count", key);
    if (src && !json_is_string(src))
        return fault(fc, key, "unit \"%s\": \"source\" must be a string", key);
    out->known = true;
    out->value = json_number_value(v);
    out->spread = json_is_number(s) ? json_number_value(s) : NAN;
    out->n = n ? (unsigned)json_integer_value(n) : 0;
    if (src)
        snprintf(out->source, sizeof out->source, "file: %s (%s)", fc->path,
                 json_string_value(src));
    else
        snprintf(out->source, sizeof out->source, "file: %s", fc->path);
    return 0;
}

/* flush_ipi may carry its points; without, its value stands for every CPU
 * count (flat), unless "fit" gives a per-target increment. */
static int read_flush_ipi(struct file_ctx *fc, json_t *o,
                          struct calibration *c)
{
    json_t *pts = json_object_get(o, "points"), *fit = json_object_get(o, "fit");
    struct calibration next = *c;
    size_t i;
    json_t *p;

    if (read_value(fc, "flush_ipi", o, &next.unit[CU_FLUSH_IPI]))
        return -1;
    next.n_points = 0;
    if (pts && !json_is_array(pts))
        return fault(fc, "points", "\"points\" must be an array");
    json_array_foreach(pts, i, p) {
        json_t *t = json_object_get(p, "targets");

        if (next.n_points == CALIB_MAX_POINTS)
            return fault(fc, "points", "more than %d points",
                         CALIB_MAX_POINTS);
        if (!json_is_integer(t) || json_integer_value(t) < 1)
            return fault(fc, "points", "point %zu: \"targets\" must be a "
                         "number of CPUs, 1 or more", i + 1);
        next.point[next.n_points].targets = (unsigned)json_integer_value(t);
        if (read_value(fc, "points", p, &next.point[next.n_points].v))
            return -1;
        next.n_points++;
    }
    calib_fit(&next);
    if (next.n_points == 0) {
        json_t *k = json_object_get(o, "targets");
        json_t *slope = fit ? json_object_get(fit, "per_target_ns") : NULL;
        unsigned at = json_is_integer(k) ? (unsigned)json_integer_value(k) : 1;
        double per = json_is_number(slope) ? json_number_value(slope) : 0;

        next.fit_known = true;
        next.fit_per_target = per;
        next.fit_base = next.unit[CU_FLUSH_IPI].value - per * at;
        snprintf(next.fit_how, sizeof next.fit_how, "from %s: %.1f ns at %u "
                 "CPU%s, %.1f ns per further CPU", fc->path,
                 next.unit[CU_FLUSH_IPI].value, at, at == 1 ? "" : "s", per);
    }
    *c = next;
    return 0;
}

int calib_load_file(struct calibration *c, const char *path,
                    char *why, size_t len)
{
    struct file_ctx fc = { path, NULL, why, len };
    struct calibration next = *c;
    json_error_t err;
    json_t *root, *u, *o;
    const char *key;
    int rc = -1;

    fc.text = slurp(path);
    if (!fc.text) {
        snprintf(why, len, "%s:1: cannot read: %s", path, strerror(errno));
        return -1;
    }
    root = json_loads(fc.text, 0, &err);
    if (!root) {
        snprintf(why, len, "%s:%d: not JSON: %s", path, err.line > 0 ? err.line : 1,
                 err.text);
        free(fc.text);
        return -1;
    }
    u = json_object_get(root, "units");
    if (!json_is_object(u)) {
        fault(&fc, "units", "no \"units\" object (the layout of "
              "calibration.json)");
        goto out;
    }
    json_object_foreach(u, key, o) {
        int i;

        for (i = 0; i < CU_N && strcmp(key, units[i].name); i++)
            ;
        if (i == CU_N) {
            fault(&fc, key, "unknown unit \"%s\" (known: null_syscall, "
                  "pte_write, pt_frame, invlpg, full_flush, flush_ipi)", key);
            goto out;
        }
        if (i == CU_FLUSH_IPI ? read_flush_ipi(&fc, o, &next)
                              : read_value(&fc, key, o, &next.unit[i]))
            goto out;
    }
    *c = next;
    rc = 0;
out:
    json_decref(root);
    free(fc.text);
    return rc;
}
