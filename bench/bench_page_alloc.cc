// SPDX-License-Identifier: MIT
//
// bench_page_alloc - kmem's alloc_pages()/__free_pages() against the ways a
// program gets memory without it: mmap/munmap and malloc/free.
//
// A thin Google Benchmark harness: every timed operation is a C function in
// page_alloc_ops.c (declared in bench.h); this file only registers them.
//
// Families (order N means 4096 << N bytes for every allocator):
//   BM_kmem_pair            alloc_pages(GFP_KERNEL, N) + __free_pages
//   BM_kmem_pair_touch      the same, writing one byte per 4 KiB page
//   BM_mmap_pair            mmap + munmap, nothing touched (no page faults)
//   BM_mmap_pair_touch      mmap, one byte written per page (a fault and a
//                           zeroed page each), munmap: fresh memory
//   BM_malloc_pair_touch    malloc + free, one byte written per 4 KiB page
//   BM_kmem_batch_touch     B order-0 allocations (each written), then B frees,
//                           B = 64 and 512.  64 stays within the per-CPU list
//                           (pcp high is ~300 pages), so in steady state it
//                           is the fast path with 64 pages live; 512 goes past
//                           it, so every round empties the list (refills of
//                           pcp batch pages from the buddy lists, under the
//                           zone lock) and overfills it (flushes of a batch).
//   BM_malloc_batch_touch   the same with malloc(4096)/free
// each at 1 and 2 threads, timed in real (wall) time.
//
// Counters: per_pair is the wall time one thread spends per pair (for the
// batches, per allocation + free), so it reads the same at 1 and 2 threads
// when the operation scales; the Time column is wall time per iteration over
// all threads (throughput).  bench/ratios.py turns the JSON output into ratios.
#include <benchmark/benchmark.h>

#include "bench.h"

namespace {

// Per-thread wall time per pair: the runner sums the counter over threads,
// divides by the (per-thread) real time, then by the thread count; kInvert
// turns pairs/s into seconds per pair (printed as e.g. "15.2ns").
void SetPairCounters(benchmark::State& state, double pairs_per_iteration) {
  state.counters["per_pair"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * pairs_per_iteration,
      benchmark::Counter::kIsRate | benchmark::Counter::kAvgThreads |
          benchmark::Counter::kInvert);
}

size_t BytesOf(const benchmark::State& state) {
  return size_t{4096} << state.range(0);
}

void BM_kmem_pair(benchmark::State& state) {
  const auto order = static_cast<unsigned>(state.range(0));
  for (auto _ : state) bench_kmem_pair(order);
  SetPairCounters(state, 1);
}

void BM_kmem_pair_touch(benchmark::State& state) {
  const auto order = static_cast<unsigned>(state.range(0));
  for (auto _ : state) bench_kmem_pair_touch(order);
  SetPairCounters(state, 1);
}

void BM_mmap_pair(benchmark::State& state) {
  const size_t size = BytesOf(state);
  for (auto _ : state) bench_mmap_pair(size);
  SetPairCounters(state, 1);
}

void BM_mmap_pair_touch(benchmark::State& state) {
  const size_t size = BytesOf(state);
  for (auto _ : state) bench_mmap_pair_touch(size);
  SetPairCounters(state, 1);
}

void BM_malloc_pair_touch(benchmark::State& state) {
  const size_t size = BytesOf(state);
  for (auto _ : state) bench_malloc_pair(size);
  SetPairCounters(state, 1);
}

void BM_kmem_batch_touch(benchmark::State& state) {
  const auto order = static_cast<unsigned>(state.range(0));
  const auto blocks = static_cast<unsigned>(state.range(1));
  for (auto _ : state) bench_kmem_batch_touch(order, blocks);
  SetPairCounters(state, blocks);
}

void BM_malloc_batch_touch(benchmark::State& state) {
  const size_t size = BytesOf(state);
  const auto blocks = static_cast<unsigned>(state.range(1));
  for (auto _ : state) bench_malloc_batch(size, blocks);
  SetPairCounters(state, blocks);
}

// Pairs: orders 0..3.
void RegisterPair(const char* name, void (*fn)(benchmark::State&)) {
  benchmark::RegisterBenchmark(name, fn)
      ->ArgName("order")
      ->DenseRange(0, 3)
      ->UseRealTime()
      ->Threads(1)
      ->Threads(2);
}

// Batches: order 0, 64 and BENCH_MAX_BATCH blocks.
void RegisterBatch(const char* name, void (*fn)(benchmark::State&)) {
  benchmark::RegisterBenchmark(name, fn)
      ->ArgNames({"order", "blocks"})
      ->Args({0, 64})
      ->Args({0, BENCH_MAX_BATCH})
      ->UseRealTime()
      ->Threads(1)
      ->Threads(2);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  if (bench_kmem_init() != 0) return 1;

  char desc[256];
  bench_kmem_describe(desc, sizeof(desc));
  benchmark::AddCustomContext("kmem", desc);
  benchmark::AddCustomContext("malloc", bench_malloc_name());

  RegisterPair("BM_kmem_pair", BM_kmem_pair);
  RegisterPair("BM_kmem_pair_touch", BM_kmem_pair_touch);
  RegisterPair("BM_mmap_pair", BM_mmap_pair);
  RegisterPair("BM_mmap_pair_touch", BM_mmap_pair_touch);
  RegisterPair("BM_malloc_pair_touch", BM_malloc_pair_touch);
  RegisterBatch("BM_kmem_batch_touch", BM_kmem_batch_touch);
  RegisterBatch("BM_malloc_batch_touch", BM_malloc_batch_touch);

  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
