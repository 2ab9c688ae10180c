/*
 * drivers/cli: the xheap command. xheap.c dispatches to one cmd_*.c per
 * subcommand; each parses its options and calls the room that does the
 * work. cli may use every other room (suite, report, measure) and backends/
 * and workloads/; nothing includes cli.
 */
#ifndef XHEAP_CLI_H
#define XHEAP_CLI_H

#include <stdio.h>

#include "drivers/measure/args.h"

/* Subcommands: argv[0] is the subcommand's name. Each returns an exit status. */
int cmd_backends(int argc, char **argv);
int cmd_gen(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_calibrate(int argc, char **argv);

/* Their help texts, as `xheap help CMD` and `xheap CMD --help` print them. */
void cmd_backends_help(FILE *f);
void cmd_gen_help(FILE *f);
void cmd_replay_help(FILE *f);
void cmd_calibrate_help(FILE *f);

#endif
