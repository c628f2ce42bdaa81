// The collectives of a distributed run on this job's ranks (mpirun -np K bench_exchange):
// exchange_shards of the image gradients of one iteration (trajectory matching's segments, or
// distribution matching's class rows) at the sizes of CIFAR-10 IPC 1, 10 and 50, and a
// barrier. Rank 0 prints one line per size: bytes per rank, the median time of 20 exchanges,
// and the rate; the scaling model of docs/cluster.md starts from these figures.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "distill/cluster/mpi_communicator.hpp"

int main(int argc, char** argv) {
  using namespace distill;
  MpiSession session(&argc, &argv);
  const MpiCommunicator comm;
  const auto now = [] { return std::chrono::steady_clock::now(); };
  for (const Index ipc : {1, 10, 50}) {
    const Index values = ipc * 10 * 3 * 32 * 32;  // one gradient of a CIFAR-10 set
    // Every rank sends one shard of `values` doubles (a segment's packed gradient).
    std::vector<std::pair<Index, std::vector<double>>> mine = {{comm.rank(), std::vector<double>(values, 1.0)}};
    std::vector<double> times;
    for (int rep = 0; rep < 21; ++rep) {
      comm.barrier();
      const auto t0 = now();
      const auto all = exchange_shards(comm, comm.size(), mine);
      const auto sum = sum_in_shard_order(all);
      times.push_back(std::chrono::duration<double>(now() - t0).count());
      if (sum.size() != std::size_t(values)) return 1;
    }
    times.erase(times.begin());  // the first exchange sets up the connections
    std::sort(times.begin(), times.end());
    const double median = times[times.size() / 2];
    const double bytes = double(values) * sizeof(double);
    if (comm.rank() == 0)
      std::printf("ranks=%d ipc=%ld bytes_per_rank=%.0f exchange_and_sum_ms=%.3f gbytes_per_s=%.2f\n", comm.size(),
                  long(ipc), bytes, 1e3 * median, bytes * comm.size() / median / 1e9);
  }
  std::vector<double> barrier;
  for (int rep = 0; rep < 101; ++rep) {
    const auto t0 = now();
    comm.barrier();
    barrier.push_back(std::chrono::duration<double>(now() - t0).count());
  }
  std::sort(barrier.begin(), barrier.end());
  if (comm.rank() == 0) std::printf("ranks=%d barrier_us=%.1f\n", comm.size(), 1e6 * barrier[barrier.size() / 2]);
  return 0;
}
