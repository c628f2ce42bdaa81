// The ranks of a `distill` process (world.hpp).
#include "world.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#if defined(DISTILL_ENABLE_MPI)
#include "distill/cluster/mpi_communicator.hpp"
#endif

namespace distill::cli {

namespace {

const Communicator* current = nullptr;
int error_fd = 2;  // a rank's error stream, kept when its stderr goes to /dev/null

#if defined(DISTILL_ENABLE_MPI)
std::unique_ptr<MpiSession> session;
std::unique_ptr<MpiCommunicator> mpi;
#endif

}  // namespace

const Communicator& world() { return current ? *current : single_process(); }

void join_world(int* argc, char*** argv) {
#if defined(DISTILL_ENABLE_MPI)
  if (!MpiSession::launched_by_mpi()) return;
  session = std::make_unique<MpiSession>(argc, argv);
  mpi = std::make_unique<MpiCommunicator>();
  current = mpi.get();
  // The GPU of this rank: the node's ranks take its devices in turn (cuda::Context).
  if (!std::getenv("DISTILL_CUDA_DEVICE"))
    ::setenv("DISTILL_CUDA_DEVICE", std::to_string(MpiSession::node_local_rank()).c_str(), 1);
  if (mpi->rank() != 0) {
    error_fd = ::dup(2);
    const int null = ::open("/dev/null", O_WRONLY);
    if (null >= 0) {
      std::fflush(stdout);
      std::fflush(stderr);
      ::dup2(null, 1);
      ::dup2(null, 2);
      ::close(null);
    }
  }
#else
  (void)argc;
  (void)argv;
#endif
}

void fail(const std::string& message) {
  std::fflush(stdout);
  const Communicator& w = world();
  const std::string line = w.size() > 1 ? "\ndistill: rank " + std::to_string(w.rank()) + " of " +
                                              std::to_string(w.size()) + ": error: " + message + "\n"
                                        : "\ndistill: error: " + message + "\n";
  if (::write(error_fd, line.data(), line.size()) < 0) std::fputs(line.c_str(), stderr);
  if (w.size() > 1) w.abort(1, "");
  std::exit(1);
}

void leave_world() {
#if defined(DISTILL_ENABLE_MPI)
  mpi.reset();
  current = nullptr;
  session.reset();
#endif
}

}  // namespace distill::cli
