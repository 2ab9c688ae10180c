/*
 * xheap calibrate: a quick run writes every unit with a source; the KVM
 * probe's verdict follows the CPU flags and its own timings; priced costs
 * are counts times units; a calibration file overrides units and a bad one
 * is refused with its file and line; the host's TLB flushes are counted
 * where tracefs can be read, or the reason is given.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "tests/check.h"
#include "drivers/cli/cli.h"
#include "drivers/measure/calibrate.h"
#include "drivers/measure/host_tlb.h"
#include "drivers/measure/kvm_probe.h"

#define FIX_DIR     "tests/fixtures/calibrate"   /* make test runs from the root */
#define FIX_CALIB   FIX_DIR "/calibration.json"
#define FIX_MAPPING FIX_DIR "/mapping.json"
#define KVM_DEV     "/dev/kvm"
#define MUNMAPS     200

static char tmp[] = "/tmp/xheap-test-calibrate-XXXXXX";

static char *in_tmp(const char *name)
{
    static char path[4][512];
    static int next;
    char *p = path[next++ % 4];

    snprintf(p, sizeof path[0], "%s/%s", tmp, name);
    return p;
}

/* Runs xheap calibrate ARGS..., its stderr (and stdout) into ERR_FILE
 * (and ERR_FILE.out) when ERR_FILE is not NULL. */
static int calibrate_argv(const char *err_file, char **argv)
{
    int argc = 0, saved[3] = { -1, -1, -1 }, rc;
    char out_file[600];

    while (argv[argc])
        argc++;
    fflush(stdout);
    fflush(stderr);
    for (int fd = 1; err_file && fd <= 2; fd++) {
        int f;

        snprintf(out_file, sizeof out_file, "%s%s", err_file,
                 fd == 1 ? ".out" : "");
        f = open(out_file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        assert_true(f >= 0);
        saved[fd] = dup(fd);
        dup2(f, fd);
        close(f);
    }
    rc = cmd_calibrate(argc, argv);
    fflush(stdout);
    fflush(stderr);
    for (int fd = 1; err_file && fd <= 2; fd++) {
        dup2(saved[fd], fd);
        close(saved[fd]);
    }
    return rc;
}

static int calibrate(const char *err_file, const char *a1, const char *a2,
                     const char *a3, const char *a4, const char *a5)
{
    char *argv[8] = { "calibrate", (char *)a1, (char *)a2, (char *)a3,
                      (char *)a4, (char *)a5, NULL };

    return calibrate_argv(err_file, argv);
}

static json_t *load(const char *path)
{
    json_error_t e;
    json_t *j = json_load_file(path, 0, &e);

    if (!j)
        fail_msg("%s:%d: %s", path, e.line, e.text);
    return j;
}

static const char *unit_source(json_t *root, const char *unit)
{
    json_t *u = json_object_get(json_object_get(root, "units"), unit);

    assert_non_null(u);
    return json_string_value(json_object_get(u, "source"));
}

static bool starts(const char *s, const char *prefix)
{
    return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* ---- a quick run --------------------------------------------------- */

static void test_quick_run_writes_every_unit(void **state)
{
    char *out = in_tmp("quick.json");
    json_t *root, *units, *u, *probe;
    const char *key, *status;

    assert_int_equal(calibrate(NULL, "--quick", "--out", out, NULL, NULL), 0);
    root = load(out);
    units = json_object_get(root, "units");
    assert_int_equal(json_object_size(units), CU_N);
    json_object_foreach(units, key, u) {
        const char *src = json_string_value(json_object_get(u, "source"));
        json_t *v = json_object_get(u, "value");

        assert_non_null(src);
        assert_string_equal(json_string_value(json_object_get(u, "unit")), "ns");
        assert_non_null(json_object_get(u, "spread"));
        assert_true(json_is_integer(json_object_get(u, "n")));
        if (json_is_number(v)) {
            assert_true(starts(src, "measured: ") || starts(src, "default: "));
            assert_true(json_number_value(v) >= 0);
        } else {
            assert_true(json_is_null(v));
            assert_true(starts(src, "not measured: "));
        }
    }
    /* Measured on any machine: the floor and the stores. */
    assert_true(starts(unit_source(root, "null_syscall"), "measured: "));
    assert_true(starts(unit_source(root, "pte_write"), "measured: "));
    assert_true(starts(unit_source(root, "pt_frame"), "measured: "));
    /* The ring-0 units: measured only when the probe found the machine
     * suitable, else the defaults, never the probe's numbers. */
    probe = json_object_get(root, "kvm_probe");
    status = json_string_value(json_object_get(probe, "status"));
    assert_non_null(status);
    if (starts(status, "suitable")) {
        assert_true(starts(unit_source(root, "invlpg"), "measured: "));
    } else {
        assert_true(starts(unit_source(root, "invlpg"), "default: "));
        assert_true(starts(unit_source(root, "full_flush"), "default: "));
    }
    print_message("kvm probe: %s\n", status);
    json_decref(root);
}

/* With one CPU there is no other to interrupt: said, not crashed. */
static void test_one_cpu_has_no_round_trip(void **state)
{
    pid_t pid = fork();
    int status;

    assert_true(pid >= 0);
    if (pid == 0) {
        static struct calibration c;
        cpu_set_t one;
        json_t *j;

        CPU_ZERO(&one);
        CPU_SET(sched_getcpu(), &one);
        if (sched_setaffinity(0, sizeof one, &one))
            _exit(3);
        calib_init(&c);
        calib_measure(&c, true, NULL);
        j = calib_json(&c);
        _exit(!j || c.unit[CU_FLUSH_IPI].known || c.n_points != 0 ||
              !strstr(c.unit[CU_FLUSH_IPI].source, "1 CPU") ||
              !c.unit[CU_NULL_SYSCALL].known);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- the KVM probe ------------------------------------------------- */

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_cpu_flags(void **state)
{
    char *with = in_tmp("cpuinfo-vmx"), *without = in_tmp("cpuinfo-none");
    char *other = in_tmp("cpuinfo-vmxflags");

    write_file(with, "processor\t: 0\nflags\t\t: fpu vme pae svm lm\n");
    write_file(without, "processor\t: 0\nflags\t\t: fpu vme pae hypervisor lm\n");
    /* "vmx flags" lists VMX features; it is not the CPU's vmx flag. */
    write_file(other, "flags\t\t: fpu lm\nvmx flags\t: vnmi ept\n");
    assert_int_equal(kvm_probe_native(with), 1);
    assert_int_equal(kvm_probe_native(without), 0);
    assert_int_equal(kvm_probe_native(other), 0);
    assert_int_equal(kvm_probe_native(in_tmp("absent")), -1);
}

/* The verdict's two tests: flags, then timings. */
static void check_verdict(const struct kvm_probe_result *r)
{
    bool fast = r->invlpg_ns <= KVM_PROBE_TRAP_NS &&
                r->full_flush_ns <= KVM_PROBE_TRAP_NS;

    assert_true(r->ran);
    assert_true(isfinite(r->invlpg_ns) && r->invlpg_ns > 0);
    assert_true(isfinite(r->full_flush_ns) && r->full_flush_ns > 0);
    assert_true(r->rounds > 0);
    if (!r->native)
        assert_true(starts(r->status, "unsuitable here: no vmx or svm"));
    else if (!fast)
        assert_true(starts(r->status, "unsuitable here: the instructions trap"));
    else
        assert_true(r->suitable && starts(r->status, "suitable"));
    assert_int_equal(r->suitable, r->native && fast);
}

static void test_probe_verdict_here(void **state)
{
    struct kvm_probe_result r;
    char *claims_vmx = in_tmp("cpuinfo-claims-vmx");

    if (access(KVM_DEV, R_OK | W_OK) != 0) {
        print_message("%s: absent or not ours: probe check skipped\n", KVM_DEV);
        skip();
    }
    /* With this machine's own flags. */
    assert_int_equal(kvm_probe_run(KVM_DEV, "/proc/cpuinfo", true, &r), 0);
    print_message("probe: %s\n", r.status);
    assert_int_equal(r.native, kvm_probe_native("/proc/cpuinfo") == 1);
    check_verdict(&r);
    /* Told the CPU virtualises natively, the probe must still judge by
     * its timings: where they trap (this paravirtual KVM), unsuitable. */
    write_file(claims_vmx, "flags\t\t: fpu pae vmx lm\n");
    assert_int_equal(kvm_probe_run(KVM_DEV, claims_vmx, true, &r), 0);
    assert_true(r.native);
    check_verdict(&r);
    print_message("probe, flags claiming vmx: %s\n", r.status);
}

static void test_probe_without_device(void **state)
{
    struct kvm_probe_result r;

    assert_int_equal(kvm_probe_run(in_tmp("no-kvm"), "/proc/cpuinfo", true, &r),
                     -1);
    assert_false(r.ran);
    assert_false(r.suitable);
    assert_true(starts(r.status, "not run: "));
}

/* ---- pricing ------------------------------------------------------- */

static void load_fixture(struct calibration *c, struct mapping_counts *m)
{
    char why[512];
    json_t *mapping = load(FIX_MAPPING);

    calib_init(c);
    if (calib_load_file(c, FIX_CALIB, why, sizeof why))
        fail_msg("%s", why);
    if (mapping_counts_from_json(mapping, 1, m, why, sizeof why))
        fail_msg("%s", why);
    json_decref(mapping);
}

static void test_priced_is_counts_times_units(void **state)
{
    static struct calibration c;
    struct mapping_counts m;
    struct price p;
    double sum = 0;

    load_fixture(&c, &m);
    assert_int_equal(m.cpus_counted, 4);
    assert_true(m.pt_frames == 3);   /* the frames allocated, each zeroed */
    calib_price(&c, &m, 0, &p);
    assert_int_equal(p.cpus, 4);
    assert_true(p.complete);
    /* counts x units from the fixture, by hand */
    assert_true(p.line[PP_INVLPG].ns == 10 * 150.0);
    assert_true(p.line[PP_FULL_FLUSH].ns == 2 * 300.0);
    assert_true(p.line[PP_PTE_WRITE].ns == 40 * 2.0);
    assert_true(p.line[PP_PT_FRAME].ns == 3 * 100.0);
    /* 36 IPIs to 3 other CPUs: 12 broadcasts at the 3-CPU point */
    assert_true(p.line[PP_FLUSH_IPI].count == 12);
    assert_true(p.line[PP_FLUSH_IPI].ns == 12 * 2000.0);
    for (int i = 0; i < PP_N; i++) {
        assert_true(p.line[i].ns == p.line[i].count * p.line[i].unit_ns);
        assert_true(starts(p.line[i].source, "file: " FIX_CALIB));
        sum += p.line[i].ns;
    }
    assert_true(p.total_ns == sum);
    assert_non_null(strstr(p.line[PP_INVLPG].source, "(measured: a Xen host)"));
}

static void test_priced_for_a_larger_machine(void **state)
{
    static struct calibration c;
    struct mapping_counts m;
    struct price p;
    json_t *j;

    load_fixture(&c, &m);
    /* The fixture's points lie on 500 + 500 k. */
    assert_true(c.fit_known);
    assert_true(fabs(c.fit_base - 500) < 1e-9);
    assert_true(fabs(c.fit_per_target - 500) < 1e-9);
    calib_price(&c, &m, 64, &p);
    assert_int_equal(p.cpus, 64);
    assert_true(p.line[PP_FLUSH_IPI].count == 12);
    assert_true(fabs(p.line[PP_FLUSH_IPI].unit_ns - (500 + 500 * 63.0)) < 1e-6);
    assert_true(p.line[PP_FLUSH_IPI].ns ==
                p.line[PP_FLUSH_IPI].count * p.line[PP_FLUSH_IPI].unit_ns);
    assert_non_null(strstr(p.ipi_how, "extrapolated"));
    /* the local parts do not depend on the CPUs */
    assert_true(p.line[PP_INVLPG].ns == 10 * 150.0);
    j = price_json(&p);
    assert_int_equal(json_integer_value(json_object_get(j, "cpus")), 64);
    assert_true(json_is_true(json_object_get(j, "complete")));
    json_decref(j);
    /* One CPU: nothing to interrupt, nothing priced for it. */
    calib_price(&c, &m, 1, &p);
    assert_true(p.line[PP_FLUSH_IPI].ns == 0);
}

static void test_unknown_unit_leaves_price_incomplete(void **state)
{
    static struct calibration c;
    struct mapping_counts m = { .flushes = 5, .flush_ipis = 5,
                                .cpus_counted = 2 };
    struct price p;

    calib_init(&c);
    calib_apply_defaults(&c);        /* invlpg known, no round trip */
    calib_price(&c, &m, 0, &p);
    assert_false(p.complete);
    assert_false(p.line[PP_FLUSH_IPI].known);
    assert_true(isnan(p.line[PP_FLUSH_IPI].ns));
    assert_true(p.total_ns == 5 * p.line[PP_INVLPG].unit_ns);
    assert_true(starts(p.line[PP_INVLPG].source, "default: "));
}

/* ---- calibration files --------------------------------------------- */

static void test_file_overrides_units(void **state)
{
    char *out = in_tmp("override.json");
    json_t *root, *ipi;

    assert_int_equal(calibrate(NULL, "--quick", "--calibration", FIX_CALIB,
                               "--out", out), 0);
    root = load(out);
    ipi = json_object_get(json_object_get(root, "units"), "flush_ipi");
    assert_true(json_number_value(json_object_get(json_object_get(
        json_object_get(root, "units"), "invlpg"), "value")) == 150);
    assert_true(starts(unit_source(root, "invlpg"), "file: " FIX_CALIB));
    assert_true(starts(unit_source(root, "flush_ipi"), "file: " FIX_CALIB));
    assert_int_equal(json_array_size(json_object_get(ipi, "points")), 3);
    /* A unit the file does not name stays measured. */
    assert_true(starts(unit_source(root, "null_syscall"), "measured: "));
    json_decref(root);
}

/* The command line prices a replay's counts for a larger machine. */
static void test_price_on_the_command_line(void **state)
{
    char *argv[] = { "calibrate", "--quick", "--calibration", FIX_CALIB,
                     "--price", FIX_MAPPING, "--cpus", "64", "--out",
                     in_tmp("priced.json"), NULL };
    char *log = in_tmp("price.txt"), text[8192] = "", path[600];
    FILE *f;
    size_t n;

    assert_int_equal(calibrate_argv(log, argv), 0);
    snprintf(path, sizeof path, "%s.out", log);
    f = fopen(path, "r");
    assert_non_null(f);
    n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    /* 10x150 + 2x300 + 40x2 + 3x100 + 12 x (500 + 500 x 63) */
    assert_non_null(strstr(text, "priced for 64 CPUs"));
    assert_non_null(strstr(text, "total 386480 ns; IPIs: round trip to 63 "
                           "other CPUs extrapolated"));
    argv[1] = "--cpus";   /* --cpus without --price */
    argv[2] = "8";
    argv[3] = NULL;
    assert_int_equal(calibrate_argv(log, argv), 2);
}

/* Exit 2, and one line on stderr: "xheap calibrate: FILE:LINE: ...". */
static void check_refused(const char *file, int line)
{
    char *err = in_tmp("stderr.txt"), *out = in_tmp("refused.json");
    char text[1024] = "", want[600];
    FILE *f;
    size_t n;

    assert_int_equal(calibrate(err, "--quick", "--calibration", file,
                               "--out", out), 2);
    f = fopen(err, "r");
    assert_non_null(f);
    n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    snprintf(want, sizeof want, "xheap calibrate: %s:%d: ", file, line);
    if (!starts(text, want))
        fail_msg("want '%s...', got '%s'", want, text);
    assert_non_null(strchr(text, '\n'));
    assert_true(strchr(text, '\n')[1] == '\0');   /* one line */
    assert_int_equal(access(out, F_OK), -1);      /* nothing written */
}

static void test_malformed_file_refused(void **state)
{
    check_refused(FIX_DIR "/bad-syntax.json", 3);
    check_refused(FIX_DIR "/bad-value.json", 4);
    check_refused(FIX_DIR "/absent.json", 1);
}

/* ---- the host's TLB flushes ---------------------------------------- */

static void munmap_touched_pages(unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        volatile char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

        assert_true(p != MAP_FAILED);
        p[0] = 1;
        munmap((void *)p, 4096);
    }
}

/* Here, as the machine is: counts or a specific reason. */
static void test_host_tlb_here(void **state)
{
    struct host_tlb h;
    json_t *why, *j;

    if (host_tlb_open(&h, NULL)) {
        assert_false(h.available);
        assert_true(strlen(h.why) > 10);
        j = host_tlb_json(&h, &why);
        assert_true(json_is_null(j));
        assert_string_equal(json_string_value(why), h.why);
        json_decref(why);
        print_message("host TLB flushes: %s\n", h.why);
        return;
    }
    host_tlb_start(&h);
    munmap_touched_pages(MUNMAPS);
    host_tlb_stop(&h);
    host_tlb_close(&h);
    assert_true(h.count[HTR_LOCAL_SHOOTDOWN] +
                h.count[HTR_LOCAL_MM_SHOOTDOWN] >= MUNMAPS);
}

/*
 * The counting itself, wherever root may mount tracefs: in a child with a
 * mount namespace of its own, so the host's mounts are untouched.
 */
static void test_host_tlb_counts_flushes(void **state)
{
    pid_t pid;
    int status;

    if (geteuid() != 0) {
        print_message("not root: tracefs counting check skipped\n");
        skip();
    }
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct host_tlb h;
        uint64_t local;

        if (unshare(CLONE_NEWNS) ||
            mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
            _exit(77);
        if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL) &&
            errno != EBUSY)
            _exit(77);
        if (host_tlb_open(&h, "/sys/kernel/tracing"))
            _exit(strstr(h.why, "no tlb:tlb_flush") ? 77 : 2);
        host_tlb_start(&h);
        munmap_touched_pages(MUNMAPS);
        host_tlb_stop(&h);
        local = h.count[HTR_LOCAL_SHOOTDOWN] + h.count[HTR_LOCAL_MM_SHOOTDOWN];
        /* Nothing counted outside the region. */
        host_tlb_start(&h);
        host_tlb_stop(&h);
        host_tlb_close(&h);
        _exit(local >= MUNMAPS && local < 2 * MUNMAPS + 64 &&
              h.count[HTR_LOCAL_MM_SHOOTDOWN] < 16 ? 0 : 1);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77) {
        print_message("tracefs or tlb:tlb_flush not available in a private "
                      "mount namespace: check skipped\n");
        skip();
    }
    assert_int_equal(WEXITSTATUS(status), 0);
}

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw)
{
    return remove(path);
}

static int setup(void **state)
{
    return mkdtemp(tmp) ? 0 : -1;
}

static int teardown(void **state)
{
    return nftw(tmp, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quick_run_writes_every_unit),
        cmocka_unit_test(test_one_cpu_has_no_round_trip),
        cmocka_unit_test(test_cpu_flags),
        cmocka_unit_test(test_probe_verdict_here),
        cmocka_unit_test(test_probe_without_device),
        cmocka_unit_test(test_priced_is_counts_times_units),
        cmocka_unit_test(test_priced_for_a_larger_machine),
        cmocka_unit_test(test_unknown_unit_leaves_price_incomplete),
        cmocka_unit_test(test_file_overrides_units),
        cmocka_unit_test(test_malformed_file_refused),
        cmocka_unit_test(test_price_on_the_command_line),
        cmocka_unit_test(test_host_tlb_here),
        cmocka_unit_test(test_host_tlb_counts_flushes),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
