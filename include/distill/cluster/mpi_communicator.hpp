#ifndef DISTILL_CLUSTER_MPI_COMMUNICATOR_HPP
#define DISTILL_CLUSTER_MPI_COMMUNICATOR_HPP

#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "distill/cluster/communicator.hpp"
#include "distill/core/error.hpp"

namespace distill {

/// The processes of an MPI job (MPI_COMM_WORLD). Construct one MpiSession per process first;
/// the library's threads never call MPI, so MPI_THREAD_FUNNELED is all it asks for. Link
/// distill::mpi (CMake: DISTILL_ENABLE_MPI, on when MPI is found).
class MpiCommunicator final : public Communicator {
 public:
  MpiCommunicator() {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }

  void broadcast(void* data, std::size_t bytes, int root) const override {
    auto* p = static_cast<unsigned char*>(data);
    for (std::size_t at = 0; at < bytes;) {  // MPI counts are int
      const int n = int(std::min<std::size_t>(bytes - at, INT_MAX));
      check(MPI_Bcast(p + at, n, MPI_BYTE, root, MPI_COMM_WORLD), "MPI_Bcast");
      at += std::size_t(n);
    }
  }

  std::vector<std::vector<unsigned char>> all_gather(const void* data, std::size_t bytes) const override {
    DISTILL_CHECK(bytes <= std::size_t(INT_MAX), "all_gather: " << bytes << " bytes in one message (at most "
                                                                << INT_MAX << ")");
    const int mine = int(bytes);
    std::vector<int> counts(std::size_t(size_), 0), offsets(std::size_t(size_), 0);
    check(MPI_Allgather(&mine, 1, MPI_INT, counts.data(), 1, MPI_INT, MPI_COMM_WORLD), "MPI_Allgather");
    long long total = 0;
    for (int r = 0; r < size_; ++r) {
      offsets[std::size_t(r)] = int(total);
      total += counts[std::size_t(r)];
    }
    DISTILL_CHECK(total <= INT_MAX, "all_gather: " << total << " bytes in all (at most " << INT_MAX << ")");
    std::vector<unsigned char> all(std::size_t(total > 0 ? total : 1));
    check(MPI_Allgatherv(data, mine, MPI_BYTE, all.data(), counts.data(), offsets.data(), MPI_BYTE, MPI_COMM_WORLD),
          "MPI_Allgatherv");
    std::vector<std::vector<unsigned char>> out(static_cast<std::size_t>(size_));
    for (int r = 0; r < size_; ++r)
      out[std::size_t(r)].assign(all.begin() + offsets[std::size_t(r)],
                                 all.begin() + offsets[std::size_t(r)] + counts[std::size_t(r)]);
    return out;
  }

  void barrier() const override { check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier"); }

  /// An empty message prints nothing (the caller has reported the cause itself).
  [[noreturn]] void abort(int code, const std::string& message) const override {
    if (!message.empty()) std::fprintf(stderr, "distill: rank %d of %d: %s\n", rank_, size_, message.c_str());
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, code);
    std::_Exit(code);
  }

 private:
  void check(int status, const char* call) const {
    if (status == MPI_SUCCESS) return;
    char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    MPI_Error_string(status, text, &length);
    detail::throw_error(std::string(call) + " failed on rank " + std::to_string(rank_) + ": " +
                        std::string(text, std::size_t(length)));
  }

  int rank_ = 0, size_ = 1;
};

/// MPI_Init_thread at construction, MPI_Finalize at destruction: one per process, before any
/// MpiCommunicator. `launched_by_mpi()` says whether the process was started by mpirun or a
/// scheduler's launcher, so a program can use MPI only then.
class MpiSession {
 public:
  MpiSession(int* argc, char*** argv) {
    int provided = 0;
    MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  }
  ~MpiSession() {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Finalize();
  }
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

  static bool launched_by_mpi() {
    for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE", "MPI_LOCALNRANKS"})
      if (std::getenv(v)) return true;
    return false;
  }
  /// The rank among this node's processes (OpenMPI's OMPI_COMM_WORLD_LOCAL_RANK, else an MPI
  /// split by shared memory): which GPU of the node this rank takes.
  static int node_local_rank() {
    if (const char* v = std::getenv("OMPI_COMM_WORLD_LOCAL_RANK")) return std::atoi(v);
    MPI_Comm node;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
    int r = 0;
    MPI_Comm_rank(node, &r);
    MPI_Comm_free(&node);
    return r;
  }
};

}  // namespace distill

#endif  // DISTILL_CLUSTER_MPI_COMMUNICATOR_HPP
