/*
 * The subcommands that turn real programs into traces: xheap record (an
 * LD_PRELOAD library, workloads/record/) and xheap import-mtrace (glibc
 * mtrace logs, workloads/mtrace.h). drivers/cli/xheap.c lists them.
 */
#ifndef XHEAP_RECORD_H
#define XHEAP_RECORD_H

#include <stdio.h>

int  cmd_record(int argc, char **argv);
void cmd_record_help(FILE *f);

int  cmd_import_mtrace(int argc, char **argv);
void cmd_import_mtrace_help(FILE *f);

#endif
