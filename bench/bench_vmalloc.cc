// SPDX-License-Identifier: MIT
//
// bench_vmalloc - kmem's vmalloc/vfree (and vzalloc/vfree) of a large buffer
// against mmap/munmap, malloc/free and mi_malloc/mi_free, in one run of one
// process.
//
// A thin Google Benchmark harness over vmalloc_ops.c.  Names are
// vm/ALLOCATOR/TOUCH/mib:64, ALLOCATOR one of vmalloc, vzalloc, mmap,
// malloc, mimalloc, TOUCH one of
//   none     allocate + free, nothing written (the cost of the region itself)
//   seq      one byte written in every 4 KiB page, upwards
//   random   the same pages written in a fixed shuffled order
// Every iteration is one whole cycle (allocate, write, free), 1 thread, real
// time.  Counters:
//   per_page     wall time per 4 KiB page of the buffer
//   uffd_faults  kmem_vmalloc_stats() faults per cycle (vmalloc: each one a
//                userfaultfd round trip that maps a window of pages)
//   uffd_mmaps   kmem_vmalloc_stats() mmaps per cycle
//   minflt       kernel minor faults per cycle (getrusage, whole process)
//   cpu_per_page process CPU time (user + system, every thread: kmem's fault
//                handler included) per page; on a loaded machine steadier
//                than wall time, but blind to time spent waiting for a wakeup
//   per_fault    wall time per fault: per userfaultfd fault for vmalloc and
//                vzalloc, per kernel minor fault for the others (absent when
//                none)
// The CPU column Google Benchmark prints means little for vmalloc: its pages
// are mapped by kmem's fault-handling thread, whose CPU time the benchmark
// thread's does not include (cpu_per_page does).
// --kmem_defaults (ours, taken out before Google Benchmark sees the
// arguments) runs kmem on its default options instead of direct_mb=64,
// highmem_mb=256: a 64 MiB vmalloc is then more than HighMem can promise
// beside its watermarks and takes the rest from Normal.
// bench/vmalloc_ratios.py turns the JSON output into ratios.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>

#include "peers.h"
#include "vmalloc_ops.h"

namespace {

constexpr size_t kMiB = size_t{1} << 20;
constexpr size_t kBufferMiB = 64;

using CycleFn = void (*)(size_t, bench_vm_touch);

void BM_vm(benchmark::State& state, CycleFn fn, bench_vm_touch touch, bool is_vmalloc) {
  const size_t size = static_cast<size_t>(state.range(0)) * kMiB;
  const double pages = static_cast<double>(size / BENCH_VM_PAGE);
  bench_vm_counts before, after;

  bench_vm_read_counts(&before);
  for (auto _ : state) fn(size, touch);
  bench_vm_read_counts(&after);

  const double iters = static_cast<double>(state.iterations());
  const double uffd = static_cast<double>(after.uffd_faults - before.uffd_faults);
  const double minflt = static_cast<double>(after.minflt - before.minflt);
  const double faults = is_vmalloc ? uffd : minflt;
  using benchmark::Counter;
  state.counters["per_page"] = Counter(iters * pages, Counter::kIsRate | Counter::kInvert);
  state.counters["uffd_faults"] = Counter(uffd, Counter::kAvgIterations);
  state.counters["uffd_mmaps"] =
      Counter(static_cast<double>(after.uffd_mmaps - before.uffd_mmaps), Counter::kAvgIterations);
  state.counters["minflt"] = Counter(minflt, Counter::kAvgIterations);
  // Process CPU time (all threads, the fault handler's included) per page.
  state.counters["cpu_per_page"] =
      Counter(static_cast<double>(after.cpu_ns - before.cpu_ns) * 1e-9 / (iters * pages));
  if (faults > 0)
    state.counters["per_fault"] = Counter(faults, Counter::kIsRate | Counter::kInvert);
}

void Register(const char* alloc, CycleFn fn) {
  static const struct {
    const char* name;
    bench_vm_touch touch;
  } touches[] = {
      {"none", BENCH_VM_UNTOUCHED},
      {"seq", BENCH_VM_SEQUENTIAL},
      {"random", BENCH_VM_RANDOM},
  };
  const bool is_vmalloc = std::string(alloc) == "vmalloc" || std::string(alloc) == "vzalloc";
  for (const auto& t : touches) {
    const std::string name = std::string("vm/") + alloc + "/" + t.name;
    benchmark::RegisterBenchmark(name.c_str(), BM_vm, fn, t.touch, is_vmalloc)
        ->ArgName("mib")
        ->Arg(static_cast<int64_t>(kBufferMiB))
        ->UseRealTime()
        ->Unit(benchmark::kMicrosecond);
  }
}

}  // namespace

int main(int argc, char** argv) {
  bool defaults = false;
  int n = 1;
  for (int i = 1; i < argc; i++) {
    if (std::string(argv[i]) == "--kmem_defaults")
      defaults = true;
    else
      argv[n++] = argv[i];
  }
  argc = n;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  if (bench_vm_init(kBufferMiB * kMiB, defaults) != 0) return 1;

  char desc[512], why[256];
  bench_vm_describe(desc, sizeof(desc));
  benchmark::AddCustomContext("vmalloc", desc);
  const bool mimalloc = bench_mi_load(why, sizeof(why)) == 0;
  if (mimalloc) {
    benchmark::AddCustomContext("mimalloc", std::string("mi_malloc/mi_free, mimalloc ") +
                                                bench_mi_version() + " (dlopen, RTLD_LOCAL)");
  } else {
    std::fprintf(stderr, "bench_vmalloc: mimalloc rows skipped: %s\n", why);
    benchmark::AddCustomContext("mimalloc", std::string("unavailable: ") + why);
  }

  Register("vmalloc", bench_vm_vmalloc);
  Register("vzalloc", bench_vm_vzalloc);
  Register("mmap", bench_vm_mmap);
  Register("malloc", bench_vm_malloc);
  if (mimalloc) Register("mimalloc", bench_vm_mimalloc);

  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
