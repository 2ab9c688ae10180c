/* Baselines in a process of their own: find the library, re-execute. */
#include <dlfcn.h>
#include <errno.h>
#include <gnu/libc-version.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backends/heap.h"
#include "drivers/measure/baseline.h"
#include "drivers/measure/args.h"
#include "drivers/measure/host.h"

#define MAX_DIRS  32

static const struct baseline baselines[] = {
    { "jemalloc", "libjemalloc.so.2",         "libjemalloc2" },
    { "mimalloc", "libmimalloc.so.2",         "libmimalloc2.0" },
    { "tcmalloc", "libtcmalloc_minimal.so.4", "libtcmalloc-minimal4" },
};

/* Where Debian and most distributions keep libraries, after the C
 * library's own directory (the multiarch one on Debian). */
static const char *const standard_dirs[] = {
    "/usr/local/lib", "/usr/lib", "/lib", "/usr/lib64", "/lib64",
};

const struct baseline *baseline_find(const char *backend)
{
    for (size_t i = 0; i < sizeof baselines / sizeof baselines[0]; i++)
        if (strcmp(baselines[i].backend, backend) == 0)
            return &baselines[i];
    return NULL;
}

/* The directory of the C library this process runs with. */
static void libc_dir(char *out, size_t len)
{
    Dl_info info;
    char buf[PATH_MAX];

    out[0] = '\0';
    if (!dladdr((void *)gnu_get_libc_version, &info) || !info.dli_fname ||
        info.dli_fname[0] != '/')
        return;
    snprintf(buf, sizeof buf, "%s", info.dli_fname);
    snprintf(out, len, "%s", dirname(buf));
}

struct dir_list {
    const char *dir[MAX_DIRS];
    size_t n;
    char store[MAX_DIRS][PATH_MAX];
};

static void add_dir(struct dir_list *l, const char *dir)
{
    if (!dir[0] || l->n == MAX_DIRS)
        return;
    snprintf(l->store[l->n], PATH_MAX, "%s", dir);
    l->dir[l->n] = l->store[l->n];
    l->n++;
}

/* The dynamic linker's search order, as far as a preload needs it. */
static void default_dirs(struct dir_list *l)
{
    const char *env = getenv("LD_LIBRARY_PATH");
    /* Room for the "/usr" prefix below. */
    char libc[PATH_MAX - 8], other[PATH_MAX];

    l->n = 0;
    if (env) {
        char *copy = strdup(env), *save = NULL;

        for (char *d = copy ? strtok_r(copy, ":", &save) : NULL; d;
             d = strtok_r(NULL, ":", &save))
            add_dir(l, d);
        free(copy);
    }
    libc_dir(libc, sizeof libc);
    add_dir(l, libc);
    /* /lib/x86_64-linux-gnu and /usr/lib/x86_64-linux-gnu: merged /usr or
     * not, the library may be in either. */
    if (strncmp(libc, "/usr/", 5) == 0)
        snprintf(other, sizeof other, "%s", libc + 4);
    else
        snprintf(other, sizeof other, "/usr%s", libc);
    if (libc[0])
        add_dir(l, other);
    for (size_t i = 0; i < sizeof standard_dirs / sizeof standard_dirs[0]; i++)
        add_dir(l, standard_dirs[i]);
    l->dir[l->n] = NULL;
}

int baseline_library(const struct baseline *b, const char *const *dirs,
                     char *out, size_t len)
{
    static struct dir_list found;

    if (!dirs) {
        default_dirs(&found);
        dirs = found.dir;
    }
    for (size_t i = 0; dirs[i]; i++) {
        snprintf(out, len, "%s/%s", dirs[i], b->soname);
        if (access(out, R_OK) == 0)
            return 0;
    }
    out[0] = '\0';
    return -1;
}

/* True when this process is the child a re-execution for BACKEND made. */
static bool is_child(const char *backend)
{
    const char *mark = getenv(BASELINE_ENV);
    size_t n = strlen(backend);

    return mark && strncmp(mark, backend, n) == 0 && mark[n] == ':' &&
           strtol(mark + n + 1, NULL, 10) == (long)getpid();
}

/* In the child: the preload did its work; programs it starts get the
 * user's LD_PRELOAD back. */
static void restore_preload(void)
{
    const char *saved = getenv(BASELINE_SAVED_ENV);

    if (saved && saved[0])
        setenv("LD_PRELOAD", saved, 1);
    else
        unsetenv("LD_PRELOAD");
}

/* True when the library already serves malloc here (preloaded by hand). */
static bool already_served(const char *backend)
{
    struct heap_config cfg;
    char why[256];
    struct heap *h;

    heap_config_defaults(&cfg);
    h = heap_create(backend, &cfg, why, sizeof why);
    heap_destroy(h);
    return h != NULL;
}

static void exec_child(const char *lib, const char *backend, int argc,
                       char **argv)
{
    const char *old = getenv("LD_PRELOAD");
    char *preload = NULL, mark[64], **args = calloc((size_t)argc + 2,
                                                     sizeof *args);

    if (!args || asprintf(&preload, "%s%s%s", lib, old ? ":" : "",
                          old ? old : "") < 0)
        _exit(EXIT_RUN_FAILED);
    snprintf(mark, sizeof mark, "%s:%ld", backend, (long)getpid());
    setenv(BASELINE_SAVED_ENV, old ? old : "", 1);
    setenv(BASELINE_ENV, mark, 1);
    setenv("LD_PRELOAD", preload, 1);
    args[0] = program_invocation_name;
    for (int i = 0; i < argc; i++)
        args[i + 1] = argv[i];
    execv(HOST_SELF_EXE, args);
    fprintf(stderr, "xheap: cannot re-execute %s for %s: %s\n", HOST_SELF_EXE,
            backend, strerror(errno));
    _exit(EXIT_RUN_FAILED);
}

static int wait_child(pid_t pid, const char *backend)
{
    int status;

    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            fprintf(stderr, "xheap: waiting for the %s run: %s\n", backend,
                    strerror(errno));
            return EXIT_RUN_FAILED;
        }
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    fprintf(stderr, "xheap: the %s run died of signal %d (%s)\n", backend,
            WTERMSIG(status), strsignal(WTERMSIG(status)));
    return EXIT_RUN_FAILED;
}

int baseline_reexec(const char *backend, int argc, char **argv)
{
    const struct baseline *b = backend ? baseline_find(backend) : NULL;
    char lib[PATH_MAX];
    pid_t pid, parent;

    if (!b)
        return -1;
    if (is_child(backend)) {
        restore_preload();
        return -1;
    }
    if (already_served(backend))
        return -1;
    if (dlsym(RTLD_DEFAULT, "__asan_init")) {
        fprintf(stderr, "xheap: backend %s cannot run in an AddressSanitizer "
                "build: its malloc would have to come before ASan's\n",
                backend);
        return EXIT_USAGE;
    }
    if (baseline_library(b, NULL, lib, sizeof lib) != 0) {
        fprintf(stderr, "xheap: backend %s needs %s, which is not installed: "
                "apt-get install %s\n", backend, b->soname, b->package);
        return EXIT_USAGE;
    }
    fflush(NULL);
    parent = getpid();
    pid = fork();
    /* The preloaded run dies with this replay, as the replay dies with
     * xheap run: nothing is left measuring when either is killed. */
    if (pid == 0 && (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 ||
                     getppid() != parent))
        _exit(EXIT_RUN_FAILED);
    if (pid < 0) {
        fprintf(stderr, "xheap: cannot start the %s run: %s\n", backend,
                strerror(errno));
        return EXIT_RUN_FAILED;
    }
    if (pid == 0)
        exec_child(lib, backend, argc, argv);
    return wait_child(pid, backend);
}
