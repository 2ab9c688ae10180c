/* xheap backends: every registered backend, one line each. */
#include <getopt.h>
#include <string.h>

#include "backends/heap.h"
#include "drivers/cli/cli.h"

void cmd_backends_help(FILE *f)
{
    fputs("usage: xheap backends\n"
          "\n"
          "Lists the allocators under test: name, then what it is.\n", f);
}

int cmd_backends(int argc, char **argv)
{
    static const struct option options[] = {
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const struct backend *const *list;
    size_t n, width = 0;
    int c;

    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", options, NULL)) != -1) {
        if (c != 'h')
            return bad_option("backends", c, argv);
        cmd_backends_help(stdout);
        return 0;
    }
    if (optind < argc)
        return usage_error("backends", "unexpected argument '%s'", argv[optind]);

    list = backend_list(&n);
    for (size_t i = 0; i < n; i++)
        if (strlen(list[i]->name) > width)
            width = strlen(list[i]->name);
    for (size_t i = 0; i < n; i++)
        printf("%-*s  %s\n", (int)width, list[i]->name, list[i]->summary);
    return 0;
}
