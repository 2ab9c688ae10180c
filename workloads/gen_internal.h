/*
 * Internals of the workload generators (gen.h), shared by their files:
 *
 *   gen.c            the table of workloads, gen_write, random numbers and
 *                    the emit helpers every workload writes with
 *   gen_options.c    options: gen_set, gen_check, sizes in pages, help
 *   gen_lifetimes.c  size and lifetime distributions: small, odd-contig,
 *                    large, mixed, threshold, short-lived, long-lived
 *   gen_basic.c      pairs, pages and churn
 *   gen_aging.c      aging
 *   gen_vmalloc.c    the patterns of Linux's lib/test_vmalloc.c
 */
#ifndef XHEAP_GEN_INTERNAL_H
#define XHEAP_GEN_INTERNAL_H

#include "workloads/gen.h"
#include "workloads/trace.h"

#define GEN_MAX_LIVE         (1u << 24)  /* churn keeps an id array this long */

/* Rates (rng_chance) are in events per RATE_SCALE. */
#define RATE_SCALE           1024

/* mixed: each class's size range, from the workload it names. */
struct mix_state {
    uint64_t min[GEN_CLASSES], max[GEN_CLASSES];
    unsigned total;
};

extern const struct gen_knob small_knobs[], odd_contig_knobs[],
                             large_knobs[];

/* gen.c: random numbers */
uint64_t rng_below(struct gen_rng *r, uint64_t n);
uint64_t rng_range(struct gen_rng *r, uint64_t lo, uint64_t hi);
bool rng_chance(struct gen_rng *r, unsigned rate);
bool rng_percent(struct gen_rng *r, uint64_t pct);
unsigned ilog2(uint64_t x);
uint64_t rng_log_uniform(struct gen_rng *r, uint64_t lo, uint64_t hi);
uint64_t div_round_up(uint64_t a, uint64_t b);

/* gen.c: events */
uint64_t emit_alloc_id(struct gen_out *o, uint64_t id, uint64_t size,
                       unsigned flags, unsigned align_log2);
uint64_t emit_alloc(struct gen_out *o, uint64_t size, unsigned flags,
                    unsigned align_log2);
void emit_op(struct gen_out *o, enum trace_op op, uint64_t id,
             uint64_t size);
void emit_free(struct gen_out *o, uint64_t id);
uint64_t budget(const struct gen_out *o, const struct gen_params *p);

/* gen_options.c */
void gen_note(struct gen_params *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
const char *gen_size_text(uint64_t bytes, char buf[32]);
int parse_opt(enum gen_opt o, const char *text, struct gen_params *p,
              char *why, size_t len);
const struct gen_knob *knob_of(const struct gen_knob *k,
                               enum gen_opt o);

/* gen_lifetimes.c */
int emit_small(struct gen_out *o, const struct gen_params *p);
int emit_odd_contig(struct gen_out *o, const struct gen_params *p);
int emit_large(struct gen_out *o, const struct gen_params *p);
int emit_short_lived(struct gen_out *o, const struct gen_params *p);
int emit_long_lived(struct gen_out *o, const struct gen_params *p);
int emit_threshold(struct gen_out *o, const struct gen_params *p);
int check_threshold(const struct gen_params *p, char *why, size_t len);
int emit_mixed(struct gen_out *o, const struct gen_params *p);
int mix_ranges(const struct gen_params *p, struct mix_state *m,
               char *why, size_t len);

/* gen_basic.c */
int emit_pairs(struct gen_out *o, const struct gen_params *p);
int emit_pages(struct gen_out *o, const struct gen_params *p);
int emit_churn(struct gen_out *o, const struct gen_params *p);

/* gen_aging.c */
int emit_aging(struct gen_out *o, const struct gen_params *p);
int check_aging(const struct gen_params *p, char *why, size_t len);
void fit_aging(struct gen_params *p);

/* gen_vmalloc.c */
int emit_fix_size(struct gen_out *o, const struct gen_params *p);
int emit_full_fit(struct gen_out *o, const struct gen_params *p);
int check_full_fit(const struct gen_params *p, char *why, size_t len);
void fit_full_fit(struct gen_params *p);
int emit_long_busy_list(struct gen_out *o, const struct gen_params *p);
int check_long_busy_list(const struct gen_params *p, char *why,
                         size_t len);
void fit_long_busy_list(struct gen_params *p);
int emit_random_size(struct gen_out *o, const struct gen_params *p);
int emit_fix_align(struct gen_out *o, const struct gen_params *p);
int emit_random_size_align(struct gen_out *o,
                           const struct gen_params *p);
int check_fix_align(const struct gen_params *p, char *why, size_t len);
int check_random_size_align(const struct gen_params *p, char *why,
                            size_t len);

#endif
