/*
 * xheap compare DIR_A DIR_B: which differences between two results folders
 * (docs/results.md) are real. See docs/compare.md.
 */
#ifndef XHEAP_COMPARE_H
#define XHEAP_COMPARE_H

#include <stdio.h>

int cmd_compare(int argc, char **argv);
void cmd_compare_help(FILE *f);

#endif
