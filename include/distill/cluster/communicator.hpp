#ifndef DISTILL_CLUSTER_COMMUNICATOR_HPP
#define DISTILL_CLUSTER_COMMUNICATOR_HPP

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "distill/core/error.hpp"
#include "distill/core/tensor.hpp"

namespace distill {

/// The processes a job runs on, and the few collectives the library needs from them: who am
/// I (rank, size), one rank's bytes to all (broadcast), every rank's bytes to every rank in rank
/// order (all_gather), wait for all (barrier), and end the job (abort). SingleProcess is the
/// default and needs no MPI; MpiCommunicator (cluster/mpi_communicator.hpp, with
/// DISTILL_ENABLE_MPI) runs on MPI_COMM_WORLD.
///
/// Work is split into shards with a fixed owner each (owner_round_robin, owner_block), and
/// results are combined in shard order, never in arrival order (sum_in_shard_order): a value
/// is then formed by the same operations in the same order whatever the number of ranks, so
/// a K-rank job gives one process's bits.
class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  /// `bytes` bytes at `data` on rank `root` copied to `data` on every rank.
  virtual void broadcast(void* data, std::size_t bytes, int root) const = 0;
  /// Every rank's bytes (their sizes may differ), on every rank, in rank order.
  virtual std::vector<std::vector<unsigned char>> all_gather(const void* data, std::size_t bytes) const = 0;
  virtual void barrier() const = 0;
  /// Ends the whole job with `code` after printing one line naming this rank and `message`.
  [[noreturn]] virtual void abort(int code, const std::string& message) const = 0;
};

/// One process: rank 0 of 1; the collectives copy or do nothing.
class SingleProcess final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void broadcast(void*, std::size_t, int root) const override {
    DISTILL_CHECK(root == 0, "broadcast: root " << root << " is not a rank of a single process");
  }
  std::vector<std::vector<unsigned char>> all_gather(const void* data, std::size_t bytes) const override {
    const auto* p = static_cast<const unsigned char*>(data);
    return {std::vector<unsigned char>(p, p + bytes)};
  }
  void barrier() const override {}
  [[noreturn]] void abort(int, const std::string& message) const override { detail::throw_error(message); }
};

/// The communicator of a process that is not part of a larger job.
inline const Communicator& single_process() {
  static const SingleProcess one;
  return one;
}

/// Shard s of n belongs to rank s mod size: experts and evaluation runs, which cost the same.
inline int owner_round_robin(Index shard, int size) { return int(shard % Index(size)); }

/// Shard s of n belongs to the rank whose block [⌊r·n/size⌋, ⌊(r + 1)·n/size⌋) holds it: the
/// classes of distribution matching, so that a rank's classes are contiguous.
inline int owner_block(Index shard, Index n, int size) {
  for (int r = size - 1; r > 0; --r)
    if (Index(r) * n / Index(size) <= shard) return r;
  return 0;
}

/// Every rank's values, concatenated in rank order, on every rank.
template <class T>
std::vector<std::vector<T>> all_gather_values(const Communicator& comm, const std::vector<T>& mine) {
  static_assert(std::is_trivially_copyable<T>::value, "all_gather_values: plain values only");
  const auto parts = comm.all_gather(mine.data(), mine.size() * sizeof(T));
  std::vector<std::vector<T>> out(parts.size());
  for (std::size_t r = 0; r < parts.size(); ++r) {
    DISTILL_CHECK(parts[r].size() % sizeof(T) == 0, "all_gather_values: rank " << r << " sent " << parts[r].size()
                                                                                << " bytes, not whole values");
    out[r].resize(parts[r].size() / sizeof(T));
    if (!parts[r].empty()) std::memcpy(out[r].data(), parts[r].data(), parts[r].size());
  }
  return out;
}

/// Shards' results keyed by shard index, exchanged so that every rank holds every shard's:
/// each rank passes the shards it owns as (index, values) pairs; the result has one entry per
/// shard of [0, shards), each from its owner. A shard that no rank sent is an error.
template <class T>
std::vector<std::vector<T>> exchange_shards(const Communicator& comm, Index shards,
                                            const std::vector<std::pair<Index, std::vector<T>>>& mine) {
  // One message per rank: [count, (index, length, values…)…] as T-sized words would need T to
  // hold an index, so the header travels apart as Index values.
  std::vector<Index> header;
  std::vector<T> values;
  for (const auto& [index, v] : mine) {
    header.push_back(index);
    header.push_back(Index(v.size()));
    values.insert(values.end(), v.begin(), v.end());
  }
  const auto headers = all_gather_values(comm, header);
  const auto bodies = all_gather_values(comm, values);
  std::vector<std::vector<T>> out(static_cast<std::size_t>(shards));
  std::vector<bool> seen(static_cast<std::size_t>(shards), false);
  for (std::size_t r = 0; r < headers.size(); ++r) {
    std::size_t at = 0;
    for (std::size_t h = 0; h + 1 < headers[r].size(); h += 2) {
      const Index index = headers[r][h], length = headers[r][h + 1];
      DISTILL_CHECK(index >= 0 && index < shards && !seen[std::size_t(index)],
                    "exchange_shards: rank " << r << " sent shard " << index << " of " << shards);
      DISTILL_CHECK(at + std::size_t(length) <= bodies[r].size(), "exchange_shards: rank " << r << " sent too few values");
      seen[std::size_t(index)] = true;
      out[std::size_t(index)].assign(bodies[r].begin() + std::ptrdiff_t(at), bodies[r].begin() + std::ptrdiff_t(at + std::size_t(length)));
      at += std::size_t(length);
    }
  }
  for (Index s = 0; s < shards; ++s)
    DISTILL_CHECK(seen[std::size_t(s)], "exchange_shards: no rank sent shard " << s << " of " << shards);
  return out;
}

/// Σ_s shards[s], element by element, adding in shard order (((v_0 + v_1) + v_2) + …) on every
/// rank: the sum one process forms, whichever rank computed which shard.
template <class T>
std::vector<T> sum_in_shard_order(const std::vector<std::vector<T>>& shards) {
  DISTILL_CHECK(!shards.empty(), "sum_in_shard_order: no shards");
  std::vector<T> sum = shards.front();
  for (std::size_t s = 1; s < shards.size(); ++s) {
    DISTILL_CHECK(shards[s].size() == sum.size(), "sum_in_shard_order: shard " << s << " has " << shards[s].size()
                                                                             << " values, shard 0 " << sum.size());
    for (std::size_t i = 0; i < sum.size(); ++i) sum[i] += shards[s][i];
  }
  return sum;
}

}  // namespace distill

#endif  // DISTILL_CLUSTER_COMMUNICATOR_HPP
