// The one C++ file of the shim: hands the C microbenchmarks of cases.c to
// Google Benchmark, with frames, maps, flushes, failed and bytes as user
// counters averaged per iteration, and runs them with Google Benchmark's
// own flags and output (so its compare.py reads the JSON).
#include <benchmark/benchmark.h>

#include "drivers/gbench/gbench.h"

namespace {

using benchmark::Counter;

Counter per_iteration(double total)
{
    return Counter(total, Counter::kAvgIterations);
}

void run_case(benchmark::State &state, const gbench_case *c)
{
    char why[512];
    const uint64_t size = static_cast<uint64_t>(state.range(0));
    void *ctx = c->setup(c, size, state.threads(), why, sizeof why);
    gbench_counters before, after;

    if (!ctx) {
        state.SkipWithError(why);
        return;
    }
    c->counters(ctx, state.thread_index(), &before);
    for (auto _ : state)
        c->run(ctx);
    c->counters(ctx, state.thread_index(), &after);

    const double iterations = static_cast<double>(state.iterations());
    state.counters["frames"] = per_iteration(after.frames - before.frames);
    state.counters["maps"] = per_iteration(after.maps - before.maps);
    state.counters["flushes"] = per_iteration(after.flushes - before.flushes);
    state.counters["failed"] = per_iteration(after.failed - before.failed);
    state.counters["bytes"] = per_iteration(static_cast<double>(size) *
                                            iterations);
    state.SetBytesProcessed(static_cast<int64_t>(size) * state.iterations());
}

}  // namespace

extern "C" int gbench_run(int argc, char **argv)
{
    size_t n_cases, n_sizes;
    const gbench_case *cases = gbench_cases(&n_cases);
    const uint64_t *sizes = gbench_sizes(&n_sizes);

    for (size_t i = 0; i < n_cases; i++) {
        benchmark::internal::Benchmark *b =
            benchmark::RegisterBenchmark(cases[i].name, run_case, &cases[i]);

        for (size_t s = 0; s < n_sizes; s++)
            b->Arg(static_cast<int64_t>(sizes[s]));
        b->ThreadRange(1, gbench_max_threads())->UseRealTime();
    }
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 2;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    for (size_t i = 0; i < n_cases; i++)
        cases[i].teardown(&cases[i]);
    return 0;
}
