// SPDX-License-Identifier: MIT
//
// bench_atomic - the cost of kmem's atomic-section helpers
// (<linux/preempt.h>, <linux/irqflags.h>, <linux/spinlock.h>,
// <linux/might_sleep.h>) against pthread_mutex, pthread_spin and a raw
// pthread_sigmask pair, in one run of one process.
//
// A thin Google Benchmark harness over atomic_ops.c.  Names are
// atomic/OP; each iteration is one pair (enter + leave).  "nested" rows run
// inside an outer local_irq_save() held across the whole run.  The
// "contended" rows run the lock pairs in 2 threads on one shared lock.
// bench/atomic_ratios.py turns the JSON output into ratios against the
// uncontended pthread_mutex pair.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>

#include "atomic_ops.h"

namespace {

using PairFn = void (*)();

void BM_pair(benchmark::State& state, PairFn fn) {
  for (auto _ : state) fn();
}

void BM_nested(benchmark::State& state, PairFn fn) {
  bench_atomic_irq_off();
  for (auto _ : state) fn();
  bench_atomic_irq_on();
}

void Register(const char* name, PairFn fn, bool contended = false) {
  benchmark::RegisterBenchmark((std::string("atomic/") + name).c_str(), BM_pair, fn);
  if (contended)
    benchmark::RegisterBenchmark((std::string("atomic/contended/") + name).c_str(), BM_pair, fn)
        ->Threads(2)
        ->UseRealTime();
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  if (bench_atomic_init() != 0) {
    std::fprintf(stderr, "bench_atomic: kmem_init failed\n");
    return 1;
  }

  Register("call", bench_atomic_call);
  Register("mutex_pair", bench_atomic_mutex_pair, true);
  Register("pthread_spin_pair", bench_atomic_pthread_spin_pair, true);
  Register("sigmask_pair", bench_atomic_sigmask_pair);
  Register("preempt_pair", bench_atomic_preempt_pair);
  Register("irqsave_pair", bench_atomic_irqsave_pair);
  benchmark::RegisterBenchmark("atomic/nested/irqsave_pair", BM_nested, bench_atomic_irqsave_pair);
  Register("spin_pair", bench_atomic_spin_pair, true);
  Register("spin_irqsave_pair", bench_atomic_spin_irqsave_pair, true);
  benchmark::RegisterBenchmark("atomic/nested/spin_irqsave_pair", BM_nested,
                               bench_atomic_spin_irqsave_pair);
  Register("spin_bh_pair", bench_atomic_spin_bh_pair);
  Register("might_sleep", bench_atomic_might_sleep);
  Register("kmalloc_kernel", bench_atomic_kmalloc_kernel);
  Register("kmalloc_atomic_in_section", bench_atomic_kmalloc_atomic_in_section);
  Register("kmalloc_kernel_in_section", bench_atomic_kmalloc_kernel_in_section);

  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
