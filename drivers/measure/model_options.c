/* The model knobs of xheap replay and xheap access, parsed once. */
#include <limits.h>
#include <stdint.h>

#include "backends/faults.h"
#include "drivers/measure/args.h"
#include "drivers/measure/model_options.h"

#define MAX_ORDER_LIMIT 40   /* 2^40 bytes is the trace format's limit */

static int parse_unsigned(const char *cmd, const char *opt, const char *arg,
                          uint64_t hi, unsigned lo, unsigned *out)
{
    uint64_t v;
    int rc = parse_range_arg(cmd, opt, arg, lo, hi, &v);

    if (rc == 0)
        *out = (unsigned)v;
    return rc;
}

/* A call number for the fault plans: 0 (none) or more. */
static int parse_call(const char *cmd, const char *opt, const char *arg,
                      uint64_t *out)
{
    if (parse_u64(arg, out))
        return bad_option_value(cmd, opt, arg, "a call number, 0 for none");
    return 0;
}

int model_option(const char *cmd, int c, const char *arg,
                 struct heap_config *cfg)
{
    switch (c) {
    case MODEL_OPT_PAGE_SIZE:
        if (parse_page_size(arg, &cfg->page_size))
            return bad_option_value(cmd, "--page-size", arg, PAGE_SIZES_ACCEPTED);
        return 0;
    case MODEL_OPT_MEMORY:
        return parse_bytes_arg(cmd, "--memory", arg, &cfg->memory_bytes);
    case MODEL_OPT_XENHEAP:
        return parse_bytes_arg(cmd, "--xenheap", arg, &cfg->xenheap_bytes);
    case MODEL_OPT_VMAP_SIZE:
        return parse_bytes_arg(cmd, "--vmap-size", arg, &cfg->vmap_bytes);
    case MODEL_OPT_MAX_ORDER:
        return parse_unsigned(cmd, "--max-order", arg, MAX_ORDER_LIMIT, 0,
                              &cfg->max_order);
    case MODEL_OPT_NO_DIRECTMAP: cfg->directmap = false; return 0;
    case MODEL_OPT_NO_SCRUB:     cfg->scrub = false; return 0;
    case MODEL_OPT_HUGEPAGES:    cfg->hugepages = true; return 0;
    case MODEL_OPT_FLUSH:
        if (flush_policy_parse(arg, &cfg->flush))
            return bad_option_value(cmd, "--flush", arg, "page, range or lazy");
        return 0;
    case MODEL_OPT_LAZY_MAX_PAGES:
        return parse_unsigned(cmd, "--lazy-max-pages", arg, UINT_MAX, 1,
                              &cfg->lazy_max_pages);
    case MODEL_OPT_IDLE_SCRUB_EVERY:
        return parse_unsigned(cmd, "--idle-scrub-every", arg, UINT_MAX, 0,
                              &cfg->idle_scrub_every);
    case MODEL_OPT_XENHEAP_BITS:
        return parse_unsigned(cmd, "--xenheap-bits", arg, 64, 0,
                              &cfg->xenheap_bits);
    case MODEL_OPT_MAX_MAP_COUNT:
        return parse_unsigned(cmd, "--max-map-count", arg, MAP_COUNT_MAX, 0,
                              &cfg->max_map_count);
    case MODEL_OPT_FAIL_MAP_AT:
        return parse_call(cmd, "--fail-map-at", arg, &cfg->fail_map_at);
    case MODEL_OPT_FAIL_MAP_EVERY:
        return parse_call(cmd, "--fail-map-every", arg, &cfg->fail_map_every);
    case MODEL_OPT_FAIL_UNMAP_AT:
        return parse_call(cmd, "--fail-unmap-at", arg, &cfg->fail_unmap_at);
    case MODEL_OPT_FAIL_UNMAP_EVERY:
        return parse_call(cmd, "--fail-unmap-every", arg,
                          &cfg->fail_unmap_every);
    }
    return -1;
}
