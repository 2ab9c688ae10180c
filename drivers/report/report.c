/*
 * Renders a results folder: each figure's CSV through its gnuplot script
 * (PNG, SVG, and a text version), then report.txt from results.json and
 * the text figures. Text is wrapped to REPORT_WIDTH columns everywhere,
 * since the report is pasted into mail as it is.
 */
#include "drivers/report/report.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "backends/lock.h"
#include "drivers/measure/args.h"
#include "drivers/measure/stats.h"
#include "drivers/report/gnuplot.h"

#define RESULTS_FORMAT    "xheap-results 1"
#define FEW_REPETITIONS   5     /* fewer, and a 95% interval means little */
#define FEW_CORES         4     /* fewer, and scaling curves are too short */
/* A process this much slower than the fastest of its point ran at the
 * machine's other speed: processes of one point differ by 2 to 5% here,
 * and a second mode sits 25 to 50% above the first, with ASLR on or off
 * (the host's doing: the same binary and trace show both). */
#define SLOW_PROCESS      1.2
#define MAX_FIGURES       64
#define MAX_CAVEATS       24
#define MAX_NAMES         32    /* unsupported counters, failed experiments */
#define MAX_SERIES        64    /* series in one figure's CSV */
#define MAX_REPS          256   /* repetitions of one run read */
#define NAME_LEN          64
#define TEXT_LEN          512
#define HEAD_INDENT       11    /* "Revision:  " */
#define ANSWER_INDENT     4     /* "Q1  " */
#define MACHINE_INDENT    12    /* "Page size:  " */
#define THP_SHMEM_KNOB    "/sys/kernel/mm/transparent_hugepage/shmem_enabled"

/* One figure of this folder, and what became of it. */
struct figure {
    char name[NAME_LEN];
    char caption[TEXT_LEN];
    bool drawn;              /* png, svg and txt all made */
    char why[TEXT_LEN];      /* why not drawn */
};

struct render {
    const char *dir;
    json_t *root;
    const char *plots;       /* the scripts' folder; NULL when not found */
    char plots_buf[PATH_MAX];
    char no_plots[TEXT_LEN]; /* why there are no plots at all */
    size_t n_fig;
    struct figure fig[MAX_FIGURES];
    int rc;                  /* the worst failure so far */
    char *why;
    size_t len;
};

/* Keeps the first message of the most serious failure. */
static void failed(struct render *r, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void failed(struct render *r, int rc, const char *fmt, ...)
{
    va_list ap;

    if (r->rc != 0 && r->rc <= rc)
        return;
    r->rc = rc;
    va_start(ap, fmt);
    vsnprintf(r->why, r->len, fmt, ap);
    va_end(ap);
}

static bool file_nonempty(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
}

/* ---- Text: columns, wrapping, numbers ---- */

/* Columns of the first N bytes of UTF-8 text: one per code point. */
static size_t cols(const char *s, size_t n)
{
    size_t c = 0;

    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xc0) != 0x80;
    return c;
}

/* The bytes of S that make its first C columns. */
static size_t bytes_for(const char *s, size_t c)
{
    size_t i = 0;

    while (s[i] && c > 0) {
        i++;
        while (((unsigned char)s[i] & 0xc0) == 0x80)
            i++;
        c--;
    }
    return i;
}

/* Control characters in JSON text (a newline in an answer) are spaces. */
static bool blank(char c)
{
    return c == ' ' || (unsigned char)c < 0x20;
}

static void spaces(FILE *f, size_t n)
{
    while (n-- > 0)
        fputc(' ', f);
}

/*
 * LABEL, then TEXT word by word, wrapped at REPORT_WIDTH; continuation
 * lines start at column INDENT, as does the text when LABEL is shorter.
 * A word wider than a line is cut.
 */
static void wrap(FILE *f, const char *label, size_t indent, const char *text)
{
    size_t col = cols(label, strlen(label));
    bool space = col > indent;   /* the next word needs a space first */
    const char *p = text;

    fputs(label, f);
    for (; col < indent; col++)
        fputc(' ', f);
    for (;;) {
        size_t n = 0, w;

        while (*p && blank(*p))
            p++;
        if (!*p)
            break;
        while (p[n] && !blank(p[n]))
            n++;
        w = cols(p, n);
        if (space && col + 1 + w > REPORT_WIDTH) {
            fputc('\n', f);
            spaces(f, indent);
            col = indent;
            space = false;
        }
        if (space) {
            fputc(' ', f);
            col++;
        }
        while (col + w > REPORT_WIDTH) {
            size_t b = bytes_for(p, REPORT_WIDTH - col);

            fwrite(p, 1, b, f);
            fputc('\n', f);
            spaces(f, indent);
            col = indent;
            p += b;
            n -= b;
            w = cols(p, n);
        }
        fwrite(p, 1, n, f);
        col += w;
        p += n;
        space = true;
    }
    fputc('\n', f);
}

static void heading(FILE *f, const char *title)
{
    fprintf(f, "\n%s\n", title);
    for (size_t i = 0; i < strlen(title); i++)
        fputc('=', f);
    fputc('\n', f);
}

/* A measured number as a reader wants it: 3 digits, no exponent below 1e6. */
static void num(char *out, size_t len, double v)
{
    double a = fabs(v);

    if (!isfinite(v))
        snprintf(out, len, "n/a");
    else if (a >= 1000 && a < 1e6)
        snprintf(out, len, "%.0f", v);
    else
        snprintf(out, len, "%.3g", v);
}

/* "s" unless N is one: "1 run", "2 runs". */
static const char *plural(size_t n)
{
    return n == 1 ? "" : "s";
}

/* Appends to OUT (of LEN bytes) what FMT says, cutting when full. */
static void append(char *out, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void append(char *out, size_t len, const char *fmt, ...)
{
    size_t used = strlen(out);
    va_list ap;

    if (used + 1 >= len)
        return;
    va_start(ap, fmt);
    vsnprintf(out + used, len - used, fmt, ap);
    va_end(ap);
}

/* snprintf for text that may be cut: a message, a caption. */
static void say(char *out, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void say(char *out, size_t len, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(out, len, fmt, ap);
    va_end(ap);
}

/* ---- JSON access ---- */

static const char *jstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static bool jnum(const json_t *o, const char *key, double *v)
{
    json_t *x = json_object_get(o, key);

    if (!json_is_number(x))
        return false;
    *v = json_number_value(x);
    return true;
}

/* A small set of names, for lists said once each. */
struct names {
    size_t n;
    char v[MAX_NAMES][NAME_LEN];
};

static void names_add(struct names *s, const char *name)
{
    if (!name || !*name)
        return;
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i], name) == 0)
            return;
    if (s->n < MAX_NAMES)
        snprintf(s->v[s->n++], NAME_LEN, "%s", name);
}

/* The keys of an object, or the strings of an array. */
static void names_add_all(struct names *s, const json_t *x)
{
    const char *key;
    json_t *v;
    size_t i;

    if (json_is_object(x)) {
        json_object_foreach((json_t *)x, key, v)
            names_add(s, key);
    } else if (json_is_array(x)) {
        json_array_foreach(x, i, v)
            names_add(s, json_string_value(v));
    }
}

static void names_join(const struct names *s, char *out, size_t len)
{
    out[0] = 0;
    for (size_t i = 0; i < s->n; i++)
        append(out, len, "%s%s", i ? ", " : "", s->v[i]);
}

/* ---- gnuplot's messages ---- */

/* The last line with text in PATH: gnuplot's error message. */
static void last_line(const char *path, char *out, size_t len)
{
    FILE *f = fopen(path, "r");
    char line[TEXT_LEN];

    out[0] = 0;
    if (!f)
        return;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (line[strspn(line, " \t^")])
            snprintf(out, len, "%s", line);
    }
    fclose(f);
}

/* ---- The CSV convention (docs/figures.md) ---- */

/* Splits LINE at commas in place; returns the number of fields. */
static size_t split(char *line, char **field, size_t max)
{
    size_t n = 0;
    char *p = line;

    for (;;) {
        char *comma = strchr(p, ',');

        if (n < max)
            field[n] = p;
        n++;
        if (!comma)
            return n;
        *comma = 0;
        p = comma + 1;
    }
}

static bool is_number(const char *s)
{
    char *end;

    if (!*s)
        return false;
    strtod(s, &end);
    return *end == 0;
}

static int check_header(char **field, size_t n, char *why, size_t len)
{
    char want[NAME_LEN + 4];

    if (n < 4 || (n - 1) % 3 != 0) {
        snprintf(why, len, "%zu columns; expected x, then value,lo,hi for "
                 "each series", n);
        return -1;
    }
    for (size_t i = 1; i < n; i += 3) {
        if (!*field[i]) {
            snprintf(why, len, "column %zu has no name", i + 1);
            return -1;
        }
        for (size_t k = 1; k <= 2; k++) {
            snprintf(want, sizeof(want), "%.*s_%s", NAME_LEN - 1, field[i],
                     k == 1 ? "lo" : "hi");
            if (strcmp(field[i + k], want) != 0) {
                snprintf(why, len, "column %zu is '%s'; expected '%s'",
                         i + k + 1, field[i + k], want);
                return -1;
            }
        }
    }
    return 0;
}

/* Checks PATH against the convention, x a number unless LABEL_X; -1 with
 * "NAME:LINE: fault" in WHY. */
static int check_csv(const char *path, const char *name, bool label_x,
                     char *why, size_t len)
{
    enum { MAX_FIELDS = 1 + 3 * MAX_SERIES };
    FILE *f = fopen(path, "r");
    char *line = NULL, *field[MAX_FIELDS], fault[TEXT_LEN] = "";
    size_t cap = 0, n, cols_hdr = 0;
    unsigned lineno = 0;

    if (!f) {
        snprintf(why, len, "%s: %s", name, strerror(errno));
        return -1;
    }
    while (!fault[0] && getline(&line, &cap, f) > 0) {
        line[strcspn(line, "\r\n")] = 0;
        lineno++;
        n = split(line, field, MAX_FIELDS);
        if (n > MAX_FIELDS)
            snprintf(fault, sizeof(fault), "%zu columns, more than %d", n,
                     MAX_FIELDS);
        else if (lineno == 1) {
            cols_hdr = n;
            check_header(field, n, fault, sizeof(fault));
        } else if (n != cols_hdr)
            snprintf(fault, sizeof(fault), "%zu fields; the header has %zu",
                     n, cols_hdr);
        else if (!*field[0])
            snprintf(fault, sizeof(fault), "no x value");
        else if (!label_x && !is_number(field[0]))
            snprintf(fault, sizeof(fault), "x '%s' is not a number",
                     field[0]);
        else
            for (size_t i = 1; i < n && !fault[0]; i++)
                if (!is_number(field[i]))
                    snprintf(fault, sizeof(fault), "column %zu: '%s' is not "
                             "a number (write NaN for a missing point)",
                             i + 1, field[i]);
    }
    if (!fault[0] && lineno == 0)
        snprintf(fault, sizeof(fault), "empty; expected a header line");
    free(line);
    fclose(f);
    if (fault[0]) {
        say(why, len, "%s:%u: %s", name, lineno ? lineno : 1, fault);
        return -1;
    }
    return 0;
}

/* ---- Drawing ---- */

/* Copies a text figure: blank lines at either end and trailing spaces
 * dropped, no line wider than REPORT_WIDTH. */
static void copy_text_figure(FILE *out, const char *path)
{
    FILE *f = fopen(path, "r");
    char line[4 * REPORT_WIDTH];
    size_t blanks = 0;
    bool started = false;

    if (!f)
        return;
    while (fgets(line, sizeof(line), f)) {
        char *p = line + strspn(line, "\f");   /* a form feed starts a page */
        size_t n = strcspn(p, "\r\n"), fit = bytes_for(p, REPORT_WIDTH);

        while (n > 0 && p[n - 1] == ' ')
            n--;
        p[n < fit ? n : fit] = 0;
        if (!*p) {
            blanks += started;
            continue;
        }
        for (; blanks > 0; blanks--)
            fputc('\n', out);
        fprintf(out, "%s\n", p);
        started = true;
    }
    fclose(f);
}

/* The text figure as report.txt shows it: gnuplot's dumb terminal starts
 * with a form feed and pads every line to its width. */
static int tidy_text(const char *from, const char *to, char *why, size_t len)
{
    struct out_file o;

    if (out_open(&o, to, why, len) != 0)
        return -1;
    copy_text_figure(o.f, from);
    return out_commit(&o, why, len);
}

static const char *const formats[][2] = {   /* gnuplot's fmt, the file's */
    { "png", "png" }, { "svg", "svg" }, { "dumb", "txt" },
};

/* One format of figure F: written to F.tmp.EXT, renamed to F.EXT. */
static int draw_format(struct render *r, struct figure *f, size_t i)
{
    const char *fmt = formats[i][0], *ext = formats[i][1];
    char script[PATH_MAX], base[PATH_MAX], tmp[PATH_MAX], final[PATH_MAX];
    char log[PATH_MAX], csv[PATH_MAX], msg[TEXT_LEN];
    const struct gnuplot_var vars[] = {
        { "csv", csv }, { "out", base }, { "fmt", fmt },
    };
    int st;

    snprintf(script, sizeof(script), "%s/%s.gp", r->plots, f->name);
    snprintf(base, sizeof(base), "%s/plots/%s.tmp", r->dir, f->name);
    say(tmp, sizeof(tmp), "%s.%s", base, ext);
    snprintf(final, sizeof(final), "%s/plots/%s.%s", r->dir, f->name, ext);
    snprintf(log, sizeof(log), "%s/plots/%s.log", r->dir, f->name);
    snprintf(csv, sizeof(csv), "%s/%s.csv", r->dir, f->name);

    st = gnuplot_run(script, vars, sizeof(vars) / sizeof(vars[0]), log);
    if (st == 0 && !file_nonempty(tmp))
        snprintf(f->why, sizeof(f->why), "gnuplot wrote no %s", ext);
    else if (st == 0 && strcmp(ext, "txt") == 0)
        tidy_text(tmp, final, f->why, sizeof(f->why));
    else if (st == 0 && rename(tmp, final) != 0)
        say(f->why, sizeof(f->why), "%s: %s", final, strerror(errno));
    else if (st == GNUPLOT_TIMED_OUT)
        snprintf(f->why, sizeof(f->why), "gnuplot ran past %.0f s on %s",
                 GNUPLOT_TIMEOUT_S, fmt);
    else if (st != 0) {
        last_line(log, msg, sizeof(msg));
        say(f->why, sizeof(f->why), "gnuplot failed on %s: %s", fmt,
            msg[0] ? msg : "no message");
    }
    unlink(log);
    unlink(tmp);   /* gone already unless something failed */
    if (f->why[0]) {
        failed(r, REPORT_FAILED, "%s: %s", script, f->why);
        return -1;
    }
    return 0;
}

static void draw(struct render *r, struct figure *f)
{
    char script[PATH_MAX];

    snprintf(script, sizeof(script), "%s/%s.gp", r->plots, f->name);
    if (access(script, R_OK) != 0) {
        say(f->why, sizeof(f->why), "no script %s", script);
        failed(r, REPORT_FAILED, "%s: %s", script, strerror(errno));
        return;
    }
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
        if (draw_format(r, f, i) != 0)
            return;
    f->drawn = true;
}

/* gnuplot gets paths as strings of one line (gnuplot_run). */
static bool one_line(const char *s)
{
    return !strpbrk(s, "\r\n");
}

/* A figure name is a file name: no paths, nothing gnuplot would parse. */
static bool good_name(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n >= NAME_LEN)
        return false;
    return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                  "0123456789_-") == n;
}

static bool listed(const struct render *r, const char *name)
{
    for (size_t i = 0; i < r->n_fig; i++)
        if (strcmp(r->fig[i].name, name) == 0)
            return true;
    return false;
}

/* Adds NAME when its CSV is in DIR and passes the convention's checks. */
static void add_figure(struct render *r, const char *name, bool label_x,
                       const char *caption)
{
    struct figure *f;
    char csv[PATH_MAX], shown[NAME_LEN + 8];

    if (r->n_fig == MAX_FIGURES || listed(r, name))
        return;
    snprintf(csv, sizeof(csv), "%s/%s.csv", r->dir, name);
    if (access(csv, F_OK) != 0)
        return;
    f = &r->fig[r->n_fig++];
    memset(f, 0, sizeof(*f));
    snprintf(f->name, sizeof(f->name), "%s", name);
    snprintf(f->caption, sizeof(f->caption), "%s", caption);
    snprintf(shown, sizeof(shown), "%s.csv", name);
    if (check_csv(csv, shown, label_x, f->why, sizeof(f->why)) != 0)
        failed(r, REPORT_BAD_INPUT, "%s/%s (the figure is left out)", r->dir,
               f->why);
}

/* The known figures in order, then any other an experiment names. */
static void list_figures(struct render *r)
{
    json_t *exps = json_object_get(r->root, "experiments"), *e;
    size_t i, n_known;
    const struct report_figure *known = report_figures(&n_known);

    for (i = 0; i < n_known; i++)
        add_figure(r, known[i].name, known[i].label_x, known[i].caption);
    json_array_foreach(exps, i, e) {
        const char *name = jstr(e, "figure"), *title = jstr(e, "title");

        if (name && good_name(name))
            add_figure(r, name, true, title ? title : name);
    }
}

static void draw_all(struct render *r)
{
    char plots[PATH_MAX];

    if (r->n_fig == 0)
        return;
    if (gnuplot_probe(r->no_plots, sizeof(r->no_plots)) != 0)
        return;
    if (!r->plots) {
        snprintf(r->no_plots, sizeof(r->no_plots), "the gnuplot scripts were "
                 "not found (set XHEAP_PLOTS to the plots/ folder)");
        failed(r, REPORT_FAILED, "%s", r->no_plots);
        return;
    }
    if (!one_line(r->dir) || !one_line(r->plots)) {
        snprintf(r->no_plots, sizeof(r->no_plots), "%s: a newline in the "
                 "path; gnuplot cannot be given it", r->dir);
        failed(r, REPORT_FAILED, "%s", r->no_plots);
        return;
    }
    snprintf(plots, sizeof(plots), "%s/plots", r->dir);
    if (mkdir(plots, 0755) != 0 && errno != EEXIST) {
        say(r->no_plots, sizeof(r->no_plots), "%s: %s", plots,
            strerror(errno));
        failed(r, REPORT_FAILED, "%s", r->no_plots);
        return;
    }
    for (size_t i = 0; i < r->n_fig; i++)
        if (!r->fig[i].why[0])
            draw(r, &r->fig[i]);
}

/* ---- report.txt: the header ---- */

static size_t count_status(const json_t *exps, const char *status)
{
    size_t i, n = 0;
    json_t *e;

    json_array_foreach(exps, i, e) {
        const char *s = jstr(e, "status");

        n += s && strcmp(s, status) == 0;
    }
    return n;
}

/* The folder's own name, as results/ lists it. */
static void run_name(const char *dir, char *out, size_t len)
{
    char real[PATH_MAX], *slash;

    if (!realpath(dir, real))
        snprintf(real, sizeof(real), "%s", dir);
    slash = strrchr(real, '/');
    say(out, len, "%s", slash && slash[1] ? slash + 1 : real);
}

static void write_header(struct render *r, FILE *f, size_t n_caveats)
{
    json_t *exps = json_object_get(r->root, "experiments");
    const char *status = jstr(r->root, "status");
    const char *started = jstr(r->root, "started");
    const char *finished = jstr(r->root, "finished");
    const char *rev = jstr(r->root, "git_revision");
    const char *cmd = jstr(r->root, "command");
    size_t m = json_array_size(exps), done = count_status(exps, "complete");
    size_t skipped = count_status(exps, "skipped");
    char text[TEXT_LEN];

    fputs("xheap-bench: Xen's allocators, modelled and measured\n\n", f);
    run_name(r->dir, text, sizeof(text));
    wrap(f, "Run:", HEAD_INDENT, text);
    snprintf(text, sizeof(text), "%s%s%s", started ? started : "unknown",
             finished ? " to " : ", not finished",
             finished ? finished : "");
    wrap(f, "Date:", HEAD_INDENT, text);
    wrap(f, "Revision:", HEAD_INDENT, rev ? rev : "unknown");
    if (status && strcmp(status, "complete") == 0) {
        snprintf(text, sizeof(text), "complete, %zu experiment%s", m,
                 plural(m));
        if (skipped)
            append(text, sizeof(text), " (%zu skipped)", skipped);
    } else
        snprintf(text, sizeof(text), "INCOMPLETE: %zu of %zu experiment%s "
                 "finished", done, m, plural(m));
    wrap(f, "Status:", HEAD_INDENT, text);
    wrap(f, "Command:", HEAD_INDENT, cmd ? cmd : "unknown");
    if (n_caveats) {
        snprintf(text, sizeof(text), "%zu, listed at the end", n_caveats);
        wrap(f, "Caveats:", HEAD_INDENT, text);
    }
}

/* ---- Results that contradict the design ---- */

/* The question an experiment answers, 1..9; 0 for none. */
static unsigned question_of(const json_t *e)
{
    json_int_t q = json_integer_value(json_object_get(e, "question"));

    return q >= 1 && q <= 9 ? (unsigned)q : 0;
}

/* The samples KEY of RUN (ns_per_op: its repetitions; paired_diff_ns: an
 * alternated point's per-process paired differences, xvmalloc - xmalloc
 * within each process, answers.c); returns how many. */
static size_t samples_of(const json_t *run, const char *key, double *out)
{
    json_t *a = json_object_get(json_object_get(run, "samples"), key), *v;
    size_t i, n = 0;

    json_array_foreach(a, i, v)
        if (n < MAX_REPS && json_is_number(v))
            out[n++] = json_number_value(v);
    return n;
}

/* Equal JSON values, or both absent. */
static bool same(const json_t *a, const json_t *b)
{
    return (!a && !b) || (a && b && json_equal((json_t *)a, (json_t *)b));
}

/* The run of X for BACKEND at the same point as RUN (sweep and workload). */
static const json_t *twin(const json_t *x, const json_t *run,
                          const char *backend)
{
    const json_t *r;
    size_t i;

    json_array_foreach(json_object_get(x, "runs"), i, r) {
        const char *b = jstr(r, "backend");

        if (b && strcmp(b, backend) == 0 && !json_object_get(r, "error") &&
            same(json_object_get(r, "sweep"), json_object_get(run, "sweep"))
            && same(json_object_get(r, "workload"),
                    json_object_get(run, "workload")))
            return r;
    }
    return NULL;
}

/*
 * xvmalloc is xmalloc behind a size check: on requests xmalloc's pool
 * serves, it does the same work and one comparison more, so it cannot be
 * cheaper. An interval of xvmalloc - xmalloc wholly below zero is the
 * machine's noise (code layout, frequency, a busy host), and says how far
 * the other Q1 numbers of the run can be trusted. Fills OUT with the worst
 * such point of experiment X and returns true, or returns false.
 */
static bool contradicts_design(const json_t *x, char *out, size_t len)
{
    double a[MAX_REPS], b[MAX_REPS], worst = 0;
    const json_t *run, *other;
    size_t i;

    out[0] = 0;
    if (question_of(x) != 1)
        return false;
    json_array_foreach(json_object_get(x, "runs"), i, run) {
        struct stats_interval ci;
        const char *bk = jstr(run, "backend");
        size_t na, nb;
        double size;

        if (!bk || strcmp(bk, "xmalloc") != 0 || json_object_get(run, "error")
            || !(other = twin(x, run, "xvmalloc")))
            continue;
        /* Paired within each process where the point alternated (what
         * the answer's interval rests on), else side against side. */
        if ((na = samples_of(run, "paired_diff_ns", a)) >= 2) {
            if (stats_median_ci(a, na, STATS_LEVEL95, &ci) != 0)
                continue;
        } else {
            na = samples_of(run, "ns_per_op", a);
            nb = samples_of(other, "ns_per_op", b);
            if (!na || !nb || stats_boot_median_diff(a, na, b, nb,
                    STATS_LEVEL95, STATS_BOOT_RESAMPLES, STATS_BOOT_SEED,
                    &ci) != 0)
                continue;
        }
        if (ci.hi >= 0 || ci.estimate >= worst)
            continue;
        worst = ci.estimate;
        say(out, len, "%s: xvmalloc measured %.1f ns/op cheaper than "
            "xmalloc [95%% CI %.1f..%.1f]", jstr(x, "name") ?
            jstr(x, "name") : "Q1", -ci.estimate, ci.lo, ci.hi);
        if (jnum(json_object_get(run, "sweep"), "size", &size))
            append(out, len, " at %.0f B", size);
    }
    return out[0] != 0;
}

/* ---- report.txt: the answers ---- */

/* "(q1_small_cost.png)": the figure a reader should open. */
static void figure_ref(const struct render *r, const json_t *e, char *out,
                       size_t len)
{
    const char *name = jstr(e, "figure");
    char path[PATH_MAX];

    out[0] = 0;
    if (!name || !good_name(name))
        return;
    snprintf(path, sizeof(path), "%s/plots/%s.png", r->dir, name);
    if (file_nonempty(path)) {
        snprintf(out, len, " (%s.png)", name);
        return;
    }
    snprintf(path, sizeof(path), "%s/%s.csv", r->dir, name);
    if (access(path, F_OK) == 0)
        snprintf(out, len, " (%s.csv)", name);
}

/* Units written against the number: 15%, 2.3x. */
static bool attached(const char *unit)
{
    return strcmp(unit, "%") == 0 || strcmp(unit, "x") == 0;
}

/* " [95% CI a..b unit]" from the answer's ci95, when it has one. */
static void interval(const json_t *ans, char *out, size_t len)
{
    json_t *ci = json_object_get(ans, "ci95");
    const char *unit = jstr(ans, "unit");
    char a[32], b[32];

    out[0] = 0;
    if (!json_is_array(ci) || json_array_size(ci) != 2 ||
        !json_is_number(json_array_get(ci, 0)) ||
        !json_is_number(json_array_get(ci, 1)))
        return;
    num(a, sizeof(a), json_number_value(json_array_get(ci, 0)));
    num(b, sizeof(b), json_number_value(json_array_get(ci, 1)));
    snprintf(out, len, " [95%% CI %s..%s%s%s]", a, b,
             unit && *unit && !attached(unit) ? " " : "", unit ? unit : "");
}

/* The answer line's text: the answer, or why there is none. */
static void answer_text(const struct render *r, const json_t *e, char *out,
                        size_t len)
{
    const json_t *ans = json_object_get(e, "answer");
    const char *text = jstr(ans, "text"), *unit = jstr(ans, "unit");
    const char *status = jstr(e, "status"), *title = jstr(e, "title");
    char ci[TEXT_LEN], ref[TEXT_LEN], v[32];
    double value;

    if (!json_is_object(ans)) {
        snprintf(out, len, "%s%snot measured (%s)", title ? title : "",
                 title ? ": " : "", status && strcmp(status, "complete") != 0
                 ? status : "no answer");
        return;
    }
    interval(ans, ci, sizeof(ci));
    if (text && *text && json_integer_value(json_object_get(ans,
                                                            "host_len")) > 0) {
        /* host time, its interval, then Xen's work priced (answers.c) */
        int host = (int)json_integer_value(json_object_get(ans, "host_len"));

        snprintf(out, len, "%.*s%s%s", host, text, ci, text + strnlen(text,
                 (size_t)host));
        ci[0] = 0;
    } else if (text && *text)
        snprintf(out, len, "%s", text);
    else if (jnum(ans, "value", &value)) {
        num(v, sizeof(v), value);
        snprintf(out, len, "%s%s%s", v, unit && !attached(unit) ? " " : "",
                 unit ? unit : "");
    } else
        snprintf(out, len, "no answer text");
    figure_ref(r, e, ref, sizeof(ref));
    append(out, len, "%s%s", ci, ref);
    if (contradicts_design(e, ci, sizeof(ci)))
        append(out, len, " NOISE, not a finding: %s, which the design rules "
               "out (see Caveats).", ci);
    if (status && strcmp(status, "complete") != 0)
        append(out, len, " (%s)", status);
}

/* The instrument's resolution (issue 11; drivers/suite/rounds.h): what
 * "not resolvable here" in the answers is measured against. */
static void write_resolution(const struct render *r, FILE *f)
{
    const json_t *res = json_object_get(r->root, "resolution"), *d;
    char text[TEXT_LEN];
    double x, rec;
    size_t i;

    if (!json_is_object(res))
        return;
    if (!jnum(res, "resolution_ns", &x)) {
        snprintf(text, sizeof(text), "not measured here: %s",
                 jstr(res, "error") ? jstr(res, "error")
                 : "no injected delay was told apart from none");
    } else {
        snprintf(text, sizeof(text), "differences below %.2g ns are not "
                 "resolvable here (the null backend against itself plus a "
                 "known delay per event:", x);
        json_array_foreach(json_object_get(res, "delays"), i, d) {
            double inj, est;

            if (jnum(d, "injected_ns", &inj) && jnum(d, "estimate", &est))
                append(text, sizeof(text), "%s %.2g ns read %+.2g", i ? ";"
                       : "", inj, est);
        }
        append(text, sizeof(text), ")");
        if (jnum(res, "recovered_from_ns", &rec))
            append(text, sizeof(text), "; sizes come out within 50%% from "
                   "%.2g ns", rec);
    }
    wrap(f, "Resolution:", ANSWER_INDENT, text);
}

static void write_answers(struct render *r, FILE *f)
{
    json_t *exps = json_object_get(r->root, "experiments"), *e;
    char label[64], text[2 * TEXT_LEN];
    bool others = false;
    size_t i;

    heading(f, "Answers");
    write_resolution(r, f);
    for (unsigned q = 1; q <= 9; q++) {
        bool any = false;

        snprintf(label, sizeof(label), "Q%u", q);
        json_array_foreach(exps, i, e) {
            if (question_of(e) != q)
                continue;
            answer_text(r, e, text, sizeof(text));
            wrap(f, label, ANSWER_INDENT, text);
            any = true;
        }
        if (!any)
            wrap(f, label, ANSWER_INDENT, "not measured (no experiment in "
                 "this run)");
    }
    json_array_foreach(exps, i, e) {
        const char *name = jstr(e, "name");

        if (question_of(e) != 0)
            continue;
        if (!others)
            heading(f, "Also measured");
        others = true;
        snprintf(label, sizeof(label), "%s:", name ? name : "?");
        answer_text(r, e, text, sizeof(text));
        wrap(f, label, ANSWER_INDENT, text);
    }
}

/* ---- report.txt: the figures ---- */

static void write_figures(struct render *r, FILE *f)
{
    char path[PATH_MAX], label[NAME_LEN + 8];

    heading(f, "Figures");
    if (r->n_fig == 0) {
        wrap(f, "", 0, "No figure data in this run.");
        return;
    }
    if (r->no_plots[0]) {
        snprintf(path, sizeof(path), "No plots: %s. The data of each "
                 "figure is in its CSV file beside results.json.",
                 r->no_plots);
        wrap(f, "", 0, path);
    } else
        wrap(f, "", 0, "Text versions of plots/*.png: medians only; the PNG "
             "and SVG files also draw the 95% intervals.");
    for (size_t i = 0; i < r->n_fig; i++) {
        struct figure *g = &r->fig[i];

        snprintf(label, sizeof(label), "%s.%s:", g->name,
                 g->drawn ? "png" : "csv");
        fputc('\n', f);
        wrap(f, label, 2, g->caption);
        if (g->drawn) {
            snprintf(path, sizeof(path), "%s/plots/%s.txt", r->dir, g->name);
            copy_text_figure(f, path);
        } else if (g->why[0]) {
            wrap(f, "  not drawn:", 4, g->why);
        }
    }
}

/* ---- report.txt: the machine ---- */

/* A JSON value as one line of text. */
static void value_text(const char *key, const json_t *v, char *out, size_t len)
{
    if (json_is_string(v))
        snprintf(out, len, "%s", json_string_value(v));
    else if (json_is_integer(v))
        snprintf(out, len, "%" JSON_INTEGER_FORMAT "%s", json_integer_value(v),
                 strcmp(key, "page_size") == 0 ? " bytes" : "");
    else if (json_is_real(v))
        snprintf(out, len, "%g", json_real_value(v));
    else if (json_is_boolean(v))
        snprintf(out, len, "%s", json_is_true(v) ? "yes" : "no");
    else if (json_is_null(v))
        snprintf(out, len, "unknown");
    else if (json_is_object(v) && jstr(v, "summary"))
        snprintf(out, len, "%s", jstr(v, "summary"));
    else {
        char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);

        snprintf(out, len, "%s", s ? s : "?");
        free(s);
    }
}

/* perf: {"available", "paranoid", "hardware", "unsupported": {event: why}
 * or [event]}. "hardware" says why a cycles counter could not be opened:
 * perf_event_paranoid is the reason only when it forbade the open, not on
 * a machine (most virtual ones) that has no hardware counters at all. */
static void perf_text(const json_t *perf, char *out, size_t len)
{
    json_t *avail = json_object_get(perf, "available");
    const char *hw = jstr(perf, "hardware");
    bool forbidden = hw && strncmp(hw, "forbidden", 9) == 0;
    struct names un = { 0 };
    char list[TEXT_LEN];
    double paranoid;

    if (!json_is_object(perf)) {
        value_text("perf", perf, out, len);
        return;
    }
    out[0] = 0;
    if (json_is_boolean(avail))
        append(out, len, "%s", json_is_true(avail) ? "available" :
               "not available");
    if (json_is_false(avail) && hw && !forbidden)
        append(out, len, "%sno hardware counters (%s)", out[0] ? ": " : "",
               hw);
    else if (jnum(perf, "paranoid", &paranoid))
        append(out, len, "%sperf_event_paranoid %.0f", out[0] ? ", " : "",
               paranoid);
    names_add_all(&un, json_object_get(perf, "unsupported"));
    names_join(&un, list, sizeof(list));
    if (un.n)
        append(out, len, "%sunsupported: %s", out[0] ? "; " : "", list);
    if (!out[0])
        value_text("perf", perf, out, len);
}

static void write_machine(struct render *r, FILE *f)
{
    static const char *const shown[][2] = {
        { "cpu", "CPU:" }, { "cores", "Cores:" }, { "kernel", "Kernel:" },
        { "page_size", "Page size:" }, { "thp", "THP:" },
        { "thp_shmem", "THP shmem:" }, { "perf", "Perf:" },
        { "hwloc", "Topology:" }, { "virtual", "Virtual:" },
        { "hypervisor", "Hypervisor:" }, { "max_map_count", "Map limit:" },
        { "host", "Host:" },
    };
    const size_t n_shown = sizeof(shown) / sizeof(shown[0]);
    json_t *m = json_object_get(r->root, "machine"), *v;
    char text[2 * TEXT_LEN], label[NAME_LEN + 2];
    const char *key;

    heading(f, "Machine");
    if (!json_is_object(m) || json_object_size(m) == 0) {
        wrap(f, "", 0, "results.json does not describe the machine.");
        return;
    }
    for (size_t i = 0; i < n_shown; i++) {
        v = json_object_get(m, shown[i][0]);
        if (!v)
            continue;
        if (strcmp(shown[i][0], "perf") == 0)
            perf_text(v, text, sizeof(text));
        else
            value_text(shown[i][0], v, text, sizeof(text));
        if (strcmp(shown[i][0], "max_map_count") == 0)
            append(text, sizeof(text), " mappings (vm.max_map_count)");
        wrap(f, shown[i][1], MACHINE_INDENT, text);
    }
    json_object_foreach(m, key, v) {   /* what a later version adds */
        size_t i;

        for (i = 0; i < n_shown && strcmp(shown[i][0], key) != 0; i++)
            ;
        if (i < n_shown)
            continue;
        snprintf(label, sizeof(label), "%.*s:", NAME_LEN - 1, key);
        value_text(key, v, text, sizeof(text));
        wrap(f, label, MACHINE_INDENT, text);
    }
}

/* ---- report.txt: the caveats ---- */

/* What the runs say about themselves, for the caveats. */
struct run_facts {
    size_t runs, failed_runs, error_runs, map_runs;
    double max_threads;
    size_t min_reps;         /* SIZE_MAX when no run has samples */
    bool failures_by_design; /* only Q4 and Q5, which count failures */
    size_t excluded, excluded_runs;   /* repetitions that lost the CPU */
    size_t oversubscribed;   /* runs with more threads than CPUs */
    double lock_yields;      /* their lock waiters' yields */
    double max_page;         /* the largest model page size */
    size_t procs, slow_procs, slow_points;   /* SLOW_PROCESS */
    double slowest;          /* the largest slow / fastest of a point */
    char huge_refused[TEXT_LEN];      /* why the directmap got no THP */
    struct names failed_exps, unsupported, unfinished;
    char first_error[TEXT_LEN];
};

/* A run's "excluded_repetitions": a count, or the list of them. */
static size_t excluded_of(const json_t *run)
{
    json_t *x = json_object_get(run, "excluded_repetitions");

    if (json_is_array(x))
        return json_array_size(x);
    return json_is_integer(x) && json_integer_value(x) > 0
           ? (size_t)json_integer_value(x) : 0;
}

/* Event counts that came back null were not counted: the counter is
 * unsupported here (a suite run keeps them in metrics.counters). */
static void scan_counters(struct run_facts *s, const json_t *counters)
{
    const char *key;
    json_t *v;

    json_object_foreach((json_t *)counters, key, v)
        if (json_is_null(v))
            names_add(&s->unsupported, key);
}

/* A point spread over processes: those that ran at the slower speed. */
static void scan_processes(struct run_facts *s, const json_t *run)
{
    const json_t *ns = json_object_get(json_object_get(run, "samples"),
                                       "ns_per_op"), *v;
    const char *unit = jstr(run, "sample_unit");
    double fastest = INFINITY, threads;
    size_t i, slow = 0;

    /* Threads add their own spread (a vCPU preempted holding a lock can
     * make one process ten times slower): only one-thread points show
     * the machine's two speeds alone. */
    if (!unit || strcmp(unit, "process") != 0 ||
        json_array_size(ns) < FEW_REPETITIONS ||
        (jnum(run, "threads", &threads) && threads > 1))
        return;
    json_array_foreach(ns, i, v)
        if (json_is_number(v) && json_number_value(v) > 0)
            fastest = fmin(fastest, json_number_value(v));
    json_array_foreach(ns, i, v)
        if (json_is_number(v) &&
            json_number_value(v) > SLOW_PROCESS * fastest) {
            slow++;
            s->slowest = fmax(s->slowest, json_number_value(v) / fastest);
        }
    s->procs += json_array_size(ns);
    s->slow_procs += slow;
    s->slow_points += slow > 0;
}

static void scan_run(struct run_facts *s, const json_t *e, const json_t *run)
{
    json_t *samples = json_object_get(run, "samples");
    json_t *metrics = json_object_get(run, "metrics");
    json_t *counters = json_object_get(run, "counters"), *v;
    const char *key, *err = jstr(run, "error");
    unsigned q = question_of(e);
    double x;

    s->runs++;
    if (jnum(run, "threads", &x) && x > s->max_threads)
        s->max_threads = x;
    json_object_foreach(samples, key, v)
        if (json_is_array(v) && json_array_size(v) < s->min_reps)
            s->min_reps = json_array_size(v);
    if (jnum(metrics, "failed", &x) && x > 0) {
        s->failed_runs++;
        names_add(&s->failed_exps, jstr(e, "name"));
        if (q != 4 && q != 5)
            s->failures_by_design = false;
    }
    if (jnum(metrics, "map_failures", &x) && x > 0)
        s->map_runs++;
    if (jnum(metrics, "lock_yields", &x)) {
        s->oversubscribed++;
        s->lock_yields += x;
    }
    if (err) {
        if (!s->error_runs++)
            snprintf(s->first_error, sizeof(s->first_error), "%s: %s",
                     jstr(run, "id") ? jstr(run, "id") : "?", err);
    }
    names_add_all(&s->unsupported, json_object_get(run,
                                                   "counters_unsupported"));
    scan_counters(s, counters);
    scan_counters(s, json_object_get(metrics, "counters"));
    names_add_all(&s->unsupported, json_object_get(metrics,
                                                   "counters_unsupported"));
    if (excluded_of(run)) {
        s->excluded += excluded_of(run);
        s->excluded_runs++;
    }
    if (jnum(run, "page_size", &x) && x > s->max_page)
        s->max_page = x;
    scan_processes(s, run);
    /* access runs: "directmap: refused: ... shmem_enabled is 'never' ..." */
    if (!s->huge_refused[0] && jstr(metrics, "huge") &&
        strstr(jstr(metrics, "huge"), "refused"))
        say(s->huge_refused, TEXT_LEN, "%s", jstr(metrics, "huge"));
}

static void scan_runs(const json_t *root, struct run_facts *s)
{
    json_t *exps = json_object_get(root, "experiments"), *e, *run;
    json_t *m = json_object_get(root, "machine");
    size_t i, j;

    memset(s, 0, sizeof(*s));
    s->min_reps = SIZE_MAX;
    s->failures_by_design = true;
    json_array_foreach(exps, i, e) {
        const char *status = jstr(e, "status");

        if (status && strcmp(status, "incomplete") == 0)
            names_add(&s->unfinished, jstr(e, "name"));
        json_array_foreach(json_object_get(e, "runs"), j, run)
            scan_run(s, e, run);
    }
    names_add_all(&s->unsupported, json_object_get(json_object_get(m, "perf"),
                                                   "unsupported"));
    names_add_all(&s->unsupported, json_object_get(m, "counters_unsupported"));
    names_add_all(&s->unsupported, json_object_get(root,
                                                   "counters_unsupported"));
}

/* The configured repetitions: [run] repetitions, or a flat key. */
static bool config_reps(const json_t *root, double *reps)
{
    json_t *c = json_object_get(root, "config");

    return jnum(json_object_get(c, "run"), "repetitions", reps) ||
           jnum(c, "repetitions", reps);
}

bool report_virtual_machine(const json_t *m, char *name, size_t len)
{
    json_t *v = json_object_get(m, "virtual");
    const char *hv = jstr(m, "hypervisor");
    const char *vs = json_string_value(v);
    bool yes = json_is_true(v) ||
               (vs && *vs && strcmp(vs, "none") != 0 && strcmp(vs, "no") != 0);

    if (name)
        name[0] = 0;
    if (hv && *hv && strcmp(hv, "none") != 0) {
        if (name)
            snprintf(name, len, " (%s)", hv);
        yes = yes || !json_is_false(v);
    } else if (vs && yes && name) {
        snprintf(name, len, " (%s)", vs);
    }
    return yes;
}

typedef char caveat_text[TEXT_LEN];

static size_t machine_caveats(const json_t *root, const struct run_facts *s,
                              caveat_text *out, size_t n)
{
    json_t *m = json_object_get(root, "machine");
    const char *shmem = jstr(m, "thp_shmem");
    char name[NAME_LEN + 4], list[TEXT_LEN];
    double cores = 0, host_page = 0;
    size_t k = 0;

    jnum(m, "page_size", &host_page);
    if (report_virtual_machine(m, name, sizeof(name)) && k < n)
        say(out[k++], TEXT_LEN, "A virtual machine%s: page-table updates "
            "and TLB flushes go through the hypervisor, so mapping costs "
            "(Q2, Q7, Q9) are not those of bare metal.", name);
    if (s->unsupported.n && k < n) {
        names_join(&s->unsupported, list, sizeof(list));
        say(out[k++], TEXT_LEN, "Counters unsupported here: %s. What "
            "they would show (TLB misses for Q9) is not measured; the "
            "times are.", list);
    }
    if (s->huge_refused[0] && k < n)
        say(out[k++], TEXT_LEN, "The host refused huge pages for the "
            "directmap (%s), so Q9 was not measured: it would compare 4K "
            "mappings with 4K mappings. To measure it, as root: echo advise "
            "> " THP_SHMEM_KNOB ", then rerun (xheap never changes it "
            "itself).", s->huge_refused);
    else if (shmem && (strcmp(shmem, "never") == 0 ||
                       strcmp(shmem, "deny") == 0) && k < n)
        say(out[k++], TEXT_LEN, "Shmem transparent huge pages are off "
            "(%s): the directmap is mapped with 4K pages, so Q9 cannot "
            "compare it with vmalloc's 4K mappings. To allow them, as "
            "root: echo advise > " THP_SHMEM_KNOB ".", shmem);
    if (s->max_page > host_page && host_page > 0 && k < n)
        say(out[k++], TEXT_LEN, "Model pages of up to %.0fK on a host "
            "with %.0fK pages are emulated: a model page is %.0f host "
            "pages. Placement, rounding and waste are those of the larger "
            "page; mapping times and TLB reach are not (each model page "
            "costs %.0f host mappings and TLB entries), so Q6's times at "
            "16K and 64K are not those of a machine with such pages.",
            s->max_page / 1024, host_page / 1024, s->max_page / host_page,
            s->max_page / host_page);
    jnum(m, "cores", &cores);
    if (cores > 0 && s->max_threads > cores && k < n)
        say(out[k++], TEXT_LEN, "Runs asked for up to %.0f threads on "
            "%.0f cores: beyond %.0f they share cores, which measures "
            "time-sharing, not parallelism.", s->max_threads, cores,
            cores);
    else if (cores > 0 && cores < FEW_CORES && k < n)
        say(out[k++], TEXT_LEN, "Only %.0f cores: thread scaling and "
            "cross-CPU flush costs stop at %.0f CPUs.", cores, cores);
    return k;
}

/* First of all: whether every answer is there. */
static size_t status_caveat(const json_t *root, const struct run_facts *s,
                            caveat_text *out, size_t n)
{
    json_t *exps = json_object_get(root, "experiments");
    const char *status = jstr(root, "status");
    char list[TEXT_LEN];

    if ((status && strcmp(status, "complete") == 0) || n == 0)
        return 0;
    names_join(&s->unfinished, list, sizeof(list));
    say(out[0], TEXT_LEN, "The run is INCOMPLETE: %zu of %zu "
        "experiments finished%s%s%s.", count_status(exps, "complete"),
        json_array_size(exps), list[0] ? " (cut short: " : "", list,
        list[0] ? ")" : "");
    return 1;
}

static size_t run_caveats(const json_t *root, const struct run_facts *s,
                          caveat_text *out, size_t n)
{
    const char *rev = jstr(root, "git_revision");
    bool quick = json_is_true(json_object_get(root, "quick")) ||
                 json_is_true(json_object_get(json_object_get(root, "config"),
                                              "quick"));
    char list[TEXT_LEN];
    double reps;
    size_t k = 0;

    if (s->min_reps == 0 && k < n)
        say(out[k++], TEXT_LEN, "Some runs kept no clean repetition (every "
            "one lost the CPU): they have no time, and their answers say "
            "\"unreliable on this machine\".");
    else if (s->min_reps != SIZE_MAX && s->min_reps < FEW_REPETITIONS && k < n)
        say(out[k++], TEXT_LEN, "Some runs have only %zu repetition%s "
            "(fewer than %d): their 95%% intervals are wide or missing.",
            s->min_reps, plural(s->min_reps), FEW_REPETITIONS);
    else if (s->min_reps == SIZE_MAX && config_reps(root, &reps) &&
             reps < FEW_REPETITIONS && k < n)
        say(out[k++], TEXT_LEN, "Only %.0f repetitions (fewer than %d): "
            "the 95%% intervals are wide or missing.", reps,
            FEW_REPETITIONS);
    if (quick && k < n)
        say(out[k++], TEXT_LEN, "A --quick run: shorter traces and fewer "
            "repetitions; rerun without --quick for numbers to quote.");
    if (s->failed_runs && k < n) {
        names_join(&s->failed_exps, list, sizeof(list));
        say(out[k++], TEXT_LEN, "Allocations failed in %zu of %zu run%s "
            "(%s)%s", s->failed_runs, s->runs, plural(s->runs), list,
            s->failures_by_design ? ": Q4 and Q5 measure failures, so "
            "this is expected there." : ": outside Q4 and Q5 a failure "
            "means the model ran out of memory; failed calls are in the "
            "timings.");
    }
    if (s->excluded && k < n)
        say(out[k++], TEXT_LEN, "%zu repetition%s in %zu run%s lost the CPU "
            "(CPU share or context switches) and %s excluded from the "
            "numbers: this machine was busy; a quiet one gives tighter "
            "intervals.", s->excluded, plural(s->excluded), s->excluded_runs,
            plural(s->excluded_runs), s->excluded == 1 ? "was" : "were");
    if (s->slow_procs && k < n)
        say(out[k++], TEXT_LEN, "%zu of %zu processes ran at least %.0f%% "
            "slower than the fastest process of their point (%zu point%s, "
            "up to %.0f%%): this machine gives processes two speeds (with "
            "ASLR on or off: the host's doing, not the code's). The intervals "
            "over processes include that spread, and another run may draw "
            "more or fewer slow processes: compare runs with `xheap "
            "compare`, not by eye.", s->slow_procs, s->procs,
            100 * (SLOW_PROCESS - 1), s->slow_points,
            plural(s->slow_points), 100 * (s->slowest - 1));
    if (s->oversubscribed && k < n)
        say(out[k++], TEXT_LEN, "In %zu run%s the replay threads outnumbered "
            "the CPUs they could use: the model's lock waiters then yield "
            "after %d spins (Xen's never do), %.0f times in all, so those "
            "times include the scheduler's.", s->oversubscribed,
            plural(s->oversubscribed), SPIN_BEFORE_YIELD, s->lock_yields);
    if (s->error_runs && k < n)
        say(out[k++], TEXT_LEN, "%zu run%s did not finish; the first: %s",
            s->error_runs, plural(s->error_runs), s->first_error);
    if (s->map_runs && k < n)
        say(out[k++], TEXT_LEN, "vm.max_map_count was hit in %zu run%s: "
            "raise it (sysctl vm.max_map_count=1048576) and rerun.",
            s->map_runs, plural(s->map_runs));
    if (rev && strstr(rev, "dirty") && k < n)
        say(out[k++], TEXT_LEN, "Built from a modified tree (%s): the "
            "revision alone does not reproduce it.", rev);
    return k;
}

/*
 * What Q2, Q7 and Q8 price, and with what (priced.h): the host's time is
 * Linux's cost, the priced part Xen's counted work times calibration.json's
 * units, each unit's source named: measured here, a published default with
 * its citation, or the user's file.
 */
static size_t pricing_caveats(const json_t *root, caveat_text *out, size_t n)
{
    const json_t *cal = json_object_get(root, "calibration"), *u, *e, *run;
    const char *name, *user = jstr(cal, "user_file"), *why = NULL;
    char measured[TEXT_LEN] = "";
    size_t i, j, k = 0, unpriced = 0;
    bool asked = false;

    json_array_foreach(json_object_get(root, "experiments"), i, e) {
        double q = 0;

        jnum(e, "question", &q);
        asked = asked || q == 2 || q == 7 || q == 8;
    }
    if (!asked)
        return 0;
    if (!cal) {
        if (k < n)
            say(out[k++], TEXT_LEN, "Q2, Q7 and Q8 give host time only: "
                "what Linux's mmap/munmap cost this machine, not Xen's "
                "mapping work. These results have no calibration.json, so "
                "nothing was priced; a new xheap run prices it.");
        return k;
    }
    json_object_foreach((json_t *)json_object_get(cal, "units"), name, u)
        if (strncmp(jstr(u, "source") ? jstr(u, "source") : "", "measured",
                    8) == 0 && strcmp(name, "null_syscall") != 0)
            append(measured, sizeof(measured), "%s%s", measured[0] ? ", " : "",
                   name);
    if (k < n)
        say(out[k++], TEXT_LEN, "Q2, Q7 and Q8 put two numbers side by "
            "side. Host time (Linux mmap/munmap) is what this machine's "
            "Linux mapping calls cost: Linux's cost, not Xen's. Xen's work "
            "priced is the model's count of Xen's flushes, IPIs, entry "
            "writes and page-table frames times the units of "
            "calibration.json; measured here: %s%s%s. The Arm rules' TLBI "
            "and cache flushes are counted, not priced.",
            measured[0] ? measured : "none", user ? "; overridden from " : "",
            user ? user : "");
    json_object_foreach((json_t *)json_object_get(cal, "units"), name, u) {
        const char *src = jstr(u, "source");

        if (src && strncmp(src, "measured", 8) != 0 &&
            strcmp(name, "null_syscall") != 0 && k < n)
            say(out[k++], TEXT_LEN, "Priced with %s not measured here: %s",
                name, src);
    }
    json_array_foreach(json_object_get(root, "experiments"), i, e)
        json_array_foreach(json_object_get(e, "runs"), j, run) {
            const json_t *p = json_object_get(json_object_get(run, "metrics"),
                                              "priced_ns");

            if (p && !json_is_number(json_object_get(p, "total_ns"))) {
                unpriced++;
                why = why ? why : jstr(p, "why");
            }
        }
    if (unpriced && k < n)
        say(out[k++], TEXT_LEN, "%zu run%s not priced: %s", unpriced,
            plural(unpriced), why ? why : "no reason recorded");
    return k;
}

/* Results the design rules out: noise, said so, not findings. */
static size_t design_caveats(const json_t *root, caveat_text *out, size_t n)
{
    json_t *e;
    char what[TEXT_LEN];
    size_t i, k = 0;

    json_array_foreach(json_object_get(root, "experiments"), i, e)
        if (k < n && contradicts_design(e, what, sizeof(what)))
            say(out[k++], TEXT_LEN, "%s. xvmalloc is xmalloc behind a size "
                "check and cannot be cheaper: this is the machine's noise "
                "(code layout, frequency, other load), not a finding, and "
                "Q1 differences of that size mean nothing in this run.",
                what);
    return k;
}

static size_t caveats(const json_t *root, caveat_text *out, size_t n)
{
    struct run_facts s;
    size_t k;

    scan_runs(root, &s);
    k = status_caveat(root, &s, out, n);
    k += machine_caveats(root, &s, out + k, n - k);
    k += run_caveats(root, &s, out + k, n - k);
    k += pricing_caveats(root, out + k, n - k);
    return k + design_caveats(root, out + k, n - k);
}

static void write_caveats(FILE *f, caveat_text *c, size_t n)
{
    heading(f, "Caveats");
    if (n == 0)
        wrap(f, "", 0, "None found.");
    for (size_t i = 0; i < n; i++)
        wrap(f, "-", 2, c[i]);
}

/* ---- report_render ---- */

static int write_report(struct render *r)
{
    caveat_text cav[MAX_CAVEATS];
    size_t n_cav = caveats(r->root, cav, MAX_CAVEATS);
    struct out_file o;
    char path[PATH_MAX], why[TEXT_LEN];

    snprintf(path, sizeof(path), "%s/report.txt", r->dir);
    if (out_open(&o, path, why, sizeof(why)) != 0) {
        failed(r, REPORT_FAILED, "%s", why);
        return -1;
    }
    write_header(r, o.f, n_cav);
    write_answers(r, o.f);
    write_figures(r, o.f);
    write_machine(r, o.f);
    write_caveats(o.f, cav, n_cav);
    if (out_commit(&o, why, sizeof(why)) != 0) {
        failed(r, REPORT_FAILED, "%s", why);
        return -1;
    }
    return 0;
}

static json_t *load_results(const char *dir, char *why, size_t len)
{
    char path[PATH_MAX];
    json_error_t err;
    json_t *root;
    const char *format;
    struct stat st;

    if (stat(dir, &st) != 0) {
        snprintf(why, len, "%s: %s", dir, strerror(errno));
        return NULL;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(why, len, "%s: not a folder", dir);
        return NULL;
    }
    snprintf(path, sizeof(path), "%s/results.json", dir);
    root = json_load_file(path, 0, &err);
    if (!root) {
        if (err.line < 1)
            snprintf(why, len, "%s: %s", path, err.text);
        else
            snprintf(why, len, "%s:%d: %s", path, err.line, err.text);
        return NULL;
    }
    format = jstr(root, "format");
    if (!json_is_object(root) || !format || strcmp(format, RESULTS_FORMAT)) {
        snprintf(why, len, "%s: format '%s'; expected '%s'", path,
                 format ? format : "(none)", RESULTS_FORMAT);
    } else if (!json_is_array(json_object_get(root, "experiments"))) {
        snprintf(why, len, "%s: \"experiments\" is not a list", path);
    } else
        return root;
    json_decref(root);
    return NULL;
}

int report_render(const char *dir, char *why, size_t len)
{
    struct render *r = calloc(1, sizeof(*r));
    int rc;

    why[0] = 0;
    if (!r) {
        snprintf(why, len, "out of memory");
        return REPORT_FAILED;
    }
    r->dir = dir;
    r->why = why;
    r->len = len;
    if (strlen(dir) + NAME_LEN + 32 > PATH_MAX) {   /* every path fits */
        snprintf(why, len, "%.64s...: path too long", dir);
        free(r);
        return REPORT_BAD_INPUT;
    }
    r->root = load_results(dir, why, len);
    if (!r->root) {
        free(r);
        return REPORT_BAD_INPUT;
    }
    r->plots = gnuplot_scripts(r->plots_buf, sizeof(r->plots_buf));
    list_figures(r);
    draw_all(r);
    write_report(r);
    if (r->rc == 0 && r->no_plots[0])
        snprintf(why, len, "%s; report.txt has no plots", r->no_plots);
    rc = r->rc;
    json_decref(r->root);
    free(r);
    return rc;
}
