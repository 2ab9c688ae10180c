# perf counters (drivers/measure/counters.c): libpfm4 names the events perf's
# generic names do not cover.
DEPS_BUILD += libpfm4-dev
LDLIBS     += -lpfm

# The malloc-family baselines (drivers/measure/baseline.c preloads their libraries;
# backends/system.c checks they serve malloc). Runtime libraries only.
DEPS_BUILD += libjemalloc2 libmimalloc2.0 libtcmalloc-minimal4
