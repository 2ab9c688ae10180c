/*
 * xheap docs: the allocator rubric (docs/rubric.md.in) rendered with the
 * numbers and figures of one results folder. See docs/README.md.
 */
#ifndef XHEAP_DOCS_H
#define XHEAP_DOCS_H

#include <stdio.h>

int  cmd_docs(int argc, char **argv);
void cmd_docs_help(FILE *f);

#endif
