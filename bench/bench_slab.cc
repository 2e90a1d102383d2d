// SPDX-License-Identifier: MIT
//
// bench_slab - kmem's object allocators (kmem_cache_alloc/kmem_cache_free,
// kmalloc/kfree) against malloc, mimalloc and DPDK's rte_mempool, all in
// one run of one process, so their ratios are taken under the same load.
//
// A thin Google Benchmark harness: every timed loop is a C function in
// slab_ops.c / dpdk_ops.c (declared in slab_ops.h); this file only
// registers them.  Names are SCENARIO/ALLOCATOR[/size:S][/batch:B]:
//
//   pair         100 x (allocate S bytes, write a byte, free), S = 64, 256
//   pair_resident  as pair (S = 64) while the thread holds 4096 objects of
//                that size, allocated before the loop and freed after it
//   batch        1000 allocations of S bytes (each written), then 1000 frees
//                in allocation order
//   mixed_pair   as pair, the sizes from a fixed log-uniform 8..8192 sequence
//   mixed_resident  as mixed_pair while the thread holds 4096 objects of the
//                mixed sizes (~5 MB)
//   mixed_batch  as batch, with the mixed sizes
//   xfer         producer/consumer, 2 threads: thread 0 allocates 64 B and
//                pushes the pointer on a lock-free SPSC ring, thread 1 pops
//                and frees it (objects always freed by another thread)
//   xfer_mixed   the same with the mixed sizes
//
// The *_resident scenarios exist because in pair and mixed_pair nothing else
// is allocated, so every free empties the page its object came from, and
// mimalloc answers that with its page-retire path (for the mixed sizes,
// ~30x its usual cost): there they flatter kmem.
//
// ALLOCATOR is one of
//   kmem_cache   kmem_cache_alloc/kmem_cache_free on a cache of S-byte
//                objects (fixed sizes only)
//   kmalloc      kmalloc(GFP_KERNEL)/kfree
//   malloc       malloc/free: glibc's in bench_slab, jemalloc's or tcmalloc's
//                in bench_slab_jemalloc / bench_slab_tcmalloc
//   mimalloc     mi_malloc/mi_free (libmimalloc loaded with dlopen, so that
//                it does not replace malloc)
//   dpdk         rte_mempool_get/rte_mempool_put, per-lcore cache of 256
//                (fixed sizes only; only when the EAL could be started)
//
// pair/batch/mixed_* run at 1 and 2 threads, xfer at 2, all in real (wall)
// time; each runs for --benchmark_min_time, 0.25 s unless given (the whole
// default run takes 30-45 s).  Counters: per_op, the wall time one thread
// spends per allocate+free (xfer: per object transferred), so it reads the
// same at 1 and 2 threads when the allocator scales; ops, the operations per
// iteration (cpu_time / ops is the CPU time per operation).
// bench/slab_ratios.py turns the JSON output into ratios; the context also
// carries kmem's slab memory overhead for 1,000,000 objects of 64 bytes and
// 200,000 of 256 bytes.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "bench.h"
#include "peers.h"
#include "slab_ops.h"

namespace {

constexpr unsigned kPairsPerIteration = 100;
constexpr unsigned kBatch = BENCH_SLAB_MAX_BATCH;
constexpr unsigned kXferPerIteration = 100;
constexpr unsigned kResident = BENCH_MIXED_LEN;

// per_op: per-thread wall time per operation (see bench_page_alloc.cc);
// ops: operations per iteration, for CPU time per operation (cpu_time / ops).
void SetOpCounters(benchmark::State& state, double ops_per_iteration) {
  state.counters["per_op"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * ops_per_iteration,
      benchmark::Counter::kIsRate | benchmark::Counter::kAvgThreads |
          benchmark::Counter::kInvert);
  state.counters["ops"] = benchmark::Counter(ops_per_iteration, benchmark::Counter::kAvgThreads);
}

// Around the timed loop (outside the timing): DPDK registers the thread.
struct ThreadScope {
  explicit ThreadScope(const bench_alloc_ops* ops) : ops_(ops) {
    if (ops_->thread_enter) ops_->thread_enter();
  }
  ~ThreadScope() {
    if (ops_->thread_exit) ops_->thread_exit();
  }
  ThreadScope(const ThreadScope&) = delete;
  ThreadScope& operator=(const ThreadScope&) = delete;
  const bench_alloc_ops* ops_;
};

// Each thread walks the mixed sequence from its own place.
unsigned StartPos(const benchmark::State& state) {
  return static_cast<unsigned>(state.thread_index()) * 1031u;
}

void BM_pair(benchmark::State& state, const bench_alloc_ops* ops, unsigned size) {
  ThreadScope scope(ops);
  for (auto _ : state) ops->pairs(size, kPairsPerIteration);
  SetOpCounters(state, kPairsPerIteration);
}

void BM_batch(benchmark::State& state, const bench_alloc_ops* ops, unsigned size) {
  ThreadScope scope(ops);
  for (auto _ : state) ops->batch(size, kBatch);
  SetOpCounters(state, kBatch);
}

void BM_mixed_pair(benchmark::State& state, const bench_alloc_ops* ops) {
  ThreadScope scope(ops);
  unsigned pos = StartPos(state);
  for (auto _ : state) ops->mixed_pairs(&pos, kPairsPerIteration);
  SetOpCounters(state, kPairsPerIteration);
}

void BM_mixed_batch(benchmark::State& state, const bench_alloc_ops* ops) {
  ThreadScope scope(ops);
  unsigned pos = StartPos(state);
  for (auto _ : state) ops->mixed_batch(&pos, kBatch);
  SetOpCounters(state, kBatch);
}

// Pairs while the thread holds kResident objects of the same sizes
// (size 0: the mixed ones), allocated before the loop and freed after it.
void BM_resident(benchmark::State& state, const bench_alloc_ops* ops, unsigned size) {
  ThreadScope scope(ops);
  std::vector<void*> live(kResident);
  unsigned pos = StartPos(state) + 17;
  ops->hold(live.data(), size, &pos, kResident);
  pos = StartPos(state);
  if (size) {
    for (auto _ : state) ops->pairs(size, kPairsPerIteration);
  } else {
    for (auto _ : state) ops->mixed_pairs(&pos, kPairsPerIteration);
  }
  ops->release(live.data(), size, kResident);
  SetOpCounters(state, kPairsPerIteration);
}

// Both threads run the same number of iterations, so the consumer frees
// exactly what the producer allocated.  size 0: the mixed sizes.
void BM_xfer(benchmark::State& state, const bench_alloc_ops* ops, unsigned size) {
  ThreadScope scope(ops);
  unsigned pos = 0;
  if (state.thread_index() == 0) {
    // Before the loop's start barrier: thread 1 cannot be using the ring yet.
    bench_ring_reset();
    for (auto _ : state) ops->produce(size, &pos, kXferPerIteration);
  } else {
    for (auto _ : state) ops->consume(size, kXferPerIteration);
  }
  SetOpCounters(state, kXferPerIteration);
}

std::string Name(const char* scenario, const bench_alloc_ops* ops, const char* args = "") {
  return std::string(scenario) + "/" + ops->name + args;
}

void Register(const bench_alloc_ops* ops) {
  for (unsigned size : {64u, 256u}) {
    const std::string sz = "/size:" + std::to_string(size);
    benchmark::RegisterBenchmark(Name("pair", ops, sz.c_str()).c_str(), BM_pair, ops, size)
        ->UseRealTime()->Threads(1)->Threads(2);
  }
  {
    const std::string r = "/size:64/resident:" + std::to_string(kResident);
    benchmark::RegisterBenchmark(Name("pair_resident", ops, r.c_str()).c_str(), BM_resident, ops,
                                 64u)
        ->UseRealTime()->Threads(1)->Threads(2);
  }
  for (unsigned size : {64u, 256u}) {
    const std::string sz = "/size:" + std::to_string(size) + "/batch:" + std::to_string(kBatch);
    benchmark::RegisterBenchmark(Name("batch", ops, sz.c_str()).c_str(), BM_batch, ops, size)
        ->UseRealTime()->Threads(1)->Threads(2);
  }
  if (ops->mixed_pairs) {
    benchmark::RegisterBenchmark(Name("mixed_pair", ops).c_str(), BM_mixed_pair, ops)
        ->UseRealTime()->Threads(1)->Threads(2);
    const std::string b = "/batch:" + std::to_string(kBatch);
    benchmark::RegisterBenchmark(Name("mixed_batch", ops, b.c_str()).c_str(), BM_mixed_batch,
                                 ops)
        ->UseRealTime()->Threads(1)->Threads(2);
    const std::string r = "/resident:" + std::to_string(kResident);
    benchmark::RegisterBenchmark(Name("mixed_resident", ops, r.c_str()).c_str(), BM_resident,
                                 ops, 0u)
        ->UseRealTime()->Threads(1)->Threads(2);
  }
  benchmark::RegisterBenchmark(Name("xfer", ops, "/size:64").c_str(), BM_xfer, ops, 64u)
      ->UseRealTime()->Threads(2);
  if (ops->mixed_pairs)
    benchmark::RegisterBenchmark(Name("xfer_mixed", ops).c_str(), BM_xfer, ops, 0u)
        ->UseRealTime()->Threads(2);
}

void AddOverheadContext(unsigned size, unsigned long nobj) {
  bench_overhead o;
  char buf[512];
  const std::string key = "overhead_" + std::to_string(size);
  int ret = bench_slab_overhead(size, nobj, &o);
  if (ret) {
    std::snprintf(buf, sizeof(buf), "failed (%s)", std::strerror(-ret));
    benchmark::AddCustomContext(key, buf);
    return;
  }
  std::snprintf(buf, sizeof(buf),
                "%.2f%% for %lu objects of %u B: %llu slabs x %u page(s) = %.1f MiB + "
                "memmap %.2f MiB for %.1f MiB live; stride %u B, %u objects/slab, "
                "active_objs %llu, num_objs %llu",
                o.overhead_pct, o.nobj, o.size, (unsigned long long)o.num_slabs,
                o.pagesperslab, o.slab_bytes / 1048576.0, o.memmap_bytes / 1048576.0,
                o.live_bytes / 1048576.0, o.objsize, o.objperslab,
                (unsigned long long)o.active_objs, (unsigned long long)o.num_objs);
  benchmark::AddCustomContext(key, buf);
  std::snprintf(buf, sizeof(buf), "%.4f", o.overhead_pct);
  benchmark::AddCustomContext(key + "_pct", buf);
}

}  // namespace

int main(int argc, char** argv) {
  // 0.25 s per benchmark unless --benchmark_min_time is given.
  std::vector<char*> args(argv, argv + argc);
  static char default_min_time[] = "--benchmark_min_time=0.25";
  bool has_min_time = false;
  for (int i = 1; i < argc; i++)
    if (std::strncmp(argv[i], "--benchmark_min_time", 20) == 0) has_min_time = true;
  if (!has_min_time) args.insert(args.begin() + 1, default_min_time);
  args.push_back(nullptr);
  argc = static_cast<int>(args.size()) - 1;
  argv = args.data();

  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

  // DPDK first: its trial rte_eal_init() runs in a forked child.
  char why[256], desc[512];
  const bool dpdk = bench_dpdk_init(why, sizeof(why)) == 0;
  if (dpdk) {
    bench_dpdk_describe(desc, sizeof(desc));
    benchmark::AddCustomContext("dpdk", desc);
  } else {
    std::fprintf(stderr, "bench_slab: DPDK rows skipped: %s\n", why);
    benchmark::AddCustomContext("dpdk", std::string("unavailable: ") + why);
  }

  if (bench_slab_init() != 0) return 1;
  bench_kmem_describe(desc, sizeof(desc));
  benchmark::AddCustomContext("kmem", desc);
  const std::string malloc_name = bench_malloc_name();
  benchmark::AddCustomContext("malloc", malloc_name);

  // mimalloc through mi_malloc/mi_free, unless it already is this binary's malloc.
  bool mimalloc = false;
  if (malloc_name == "mimalloc") {
    benchmark::AddCustomContext("mimalloc", "is this binary's malloc (see the malloc rows)");
  } else if (bench_mi_load(why, sizeof(why)) == 0) {
    mimalloc = true;
    benchmark::AddCustomContext("mimalloc", std::string("mi_malloc/mi_free, mimalloc ") +
                                                bench_mi_version() + " (dlopen, RTLD_LOCAL)");
  } else {
    std::fprintf(stderr, "bench_slab: mimalloc rows skipped: %s\n", why);
    benchmark::AddCustomContext("mimalloc", std::string("unavailable: ") + why);
  }

  std::snprintf(desc, sizeof(desc), "log-uniform %d..%d B, %d sizes, mean %.0f B",
                BENCH_MIXED_MIN, BENCH_MIXED_MAX, BENCH_MIXED_LEN, bench_mixed_mean());
  benchmark::AddCustomContext("mixed_sizes", desc);
  // 1,000,000 x 64 B = 61 MiB; 256 B objects: 200,000 (49 MiB of the 256 MiB direct map).
  AddOverheadContext(64, 1000000);
  AddOverheadContext(256, 200000);

  Register(&bench_kmem_cache_ops);
  Register(&bench_kmalloc_ops);
  Register(&bench_malloc_ops);
  if (mimalloc) Register(&bench_mimalloc_ops);
  if (dpdk) Register(&bench_dpdk_ops);

  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
