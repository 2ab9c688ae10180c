/*
 * The rubric's sentences that rest on a measured number ({{claim:NAME}}):
 * written from the run, so that the rubric cannot contradict its numbers.
 */
#ifndef XHEAP_DOCS_CLAIMS_H
#define XHEAP_DOCS_CLAIMS_H

#include <stdio.h>

#include <jansson.h>

/* Writes claim NAME (q1, q4, q5, q9) from the run's experiments EXPS;
 * -1 when no claim has that name. OUT NULL only checks the name. */
int docs_claim(const char *name, const json_t *exps, FILE *out);

#endif
