/* Reads the machine description from uname, sysconf, hwloc and host.h. */
#include "drivers/measure/machine.h"
#include "drivers/measure/host.h"

#include <errno.h>
#include <hwloc.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

static void copy_text(char *dst, const char *src)
{
    snprintf(dst, MACHINE_TEXT, "%s", src);
}

/* x86 says "model name"; Arm kernels give no name, only part numbers. */
static void probe_cpu(char *out)
{
    if (!host_cpuinfo("model name", out, MACHINE_TEXT) &&
        !host_cpuinfo("Hardware", out, MACHINE_TEXT) &&
        !host_cpuinfo("CPU part", out, MACHINE_TEXT))
        copy_text(out, "unknown");
}

/* x86 CPUs under a hypervisor set the "hypervisor" flag; elsewhere the
 * firmware's vendor string is the only hint, so say "cannot tell". */
static void probe_virtual(struct machine_info *m)
{
    int flag = host_cpu_flag("hypervisor");

    m->virtual_machine = flag < 0 ? -1 : flag;
    if (m->virtual_machine != 1 ||
        host_read_line(HOST_DMI_VENDOR, m->hypervisor, MACHINE_TEXT) != 0)
        m->hypervisor[0] = 0;
}

static int count_objs(hwloc_topology_t t, hwloc_obj_type_t type)
{
    int n = hwloc_get_nbobjs_by_type(t, type);

    return n < 0 ? 0 : n;
}

static void probe_hwloc(char *out)
{
    hwloc_topology_t t;

    copy_text(out, "unknown");
    if (hwloc_topology_init(&t) != 0)
        return;
    if (hwloc_topology_load(t) == 0) {
        int pk = count_objs(t, HWLOC_OBJ_PACKAGE);
        int co = count_objs(t, HWLOC_OBJ_CORE);
        int pu = count_objs(t, HWLOC_OBJ_PU);
        int nn = count_objs(t, HWLOC_OBJ_NUMANODE);

        snprintf(out, MACHINE_TEXT, "%d package%s, %d core%s, %d PU%s, "
                 "%d NUMA node%s", pk, pk == 1 ? "" : "s", co,
                 co == 1 ? "" : "s", pu, pu == 1 ? "" : "s", nn,
                 nn == 1 ? "" : "s");
    }
    hwloc_topology_destroy(t);
}

/* Whether this process can count CPU cycles: the test every hardware
 * counter depends on (VMs often expose no PMU). */
static void probe_perf(struct machine_info *m)
{
    struct perf_event_attr a;
    long fd;

    if (host_perf_paranoid(&m->perf_paranoid) != 0)
        m->perf_paranoid = -1;
    memset(&a, 0, sizeof a);
    a.size = sizeof a;
    a.type = PERF_TYPE_HARDWARE;
    a.config = PERF_COUNT_HW_CPU_CYCLES;
    a.disabled = 1;
    a.exclude_kernel = 1;
    fd = syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
    if (fd >= 0) {
        copy_text(m->perf_hw, "yes");
        close((int)fd);
    } else if (errno == EACCES || errno == EPERM) {
        snprintf(m->perf_hw, MACHINE_TEXT, "forbidden: "
                 "kernel.perf_event_paranoid is %ld", m->perf_paranoid);
    } else {
        snprintf(m->perf_hw, MACHINE_TEXT, "not supported (%s)",
                 strerror(errno));
    }
}

void machine_probe(struct machine_info *m)
{
    struct utsname u;

    memset(m, 0, sizeof(*m));
    if (gethostname(m->host, sizeof(m->host) - 1) != 0)
        copy_text(m->host, "unknown");
    m->host[strcspn(m->host, ".")] = 0;
    copy_text(m->kernel, uname(&u) == 0 ? u.release : "unknown");
    copy_text(m->arch, uname(&u) == 0 ? u.machine : "unknown");
    probe_cpu(m->cpu);
    host_thp_mode(m->thp, sizeof m->thp);
    host_thp_shmem_mode(m->thp_shmem, sizeof m->thp_shmem);
    m->cores = sysconf(_SC_NPROCESSORS_ONLN);
    m->page_size = sysconf(_SC_PAGESIZE);
    m->max_map_count = host_max_map_count();
    probe_virtual(m);
    probe_hwloc(m->hwloc);
    probe_perf(m);
}

json_t *machine_json(const struct machine_info *m)
{
    json_t *virt = m->virtual_machine < 0 ? json_null()
                   : json_boolean(m->virtual_machine);

    return json_pack("{s:s, s:s, s:s, s:I, s:s, s:I, s:s, s:s, s:o, s:o, s:s*,"
                     " s:s, s:{s:b, s:o, s:s}}",
                     "host", m->host,
                     "arch", m->arch,
                     "cpu", m->cpu,
                     "cores", (json_int_t)m->cores,
                     "kernel", m->kernel,
                     "page_size", (json_int_t)m->page_size,
                     "thp", m->thp,
                     "thp_shmem", m->thp_shmem,
                     "max_map_count", m->max_map_count < 0 ? json_null()
                                      : json_integer(m->max_map_count),
                     "virtual", virt,
                     "hypervisor", m->hypervisor[0] ? m->hypervisor : NULL,
                     "hwloc", m->hwloc,
                     "perf",
                       "available", strcmp(m->perf_hw, "yes") == 0,
                       "paranoid", m->perf_paranoid < 0 ? json_null()
                                   : json_integer(m->perf_paranoid),
                       "hardware", m->perf_hw);
}
