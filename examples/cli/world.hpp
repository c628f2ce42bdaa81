#ifndef DISTILL_EXAMPLES_CLI_WORLD_HPP
#define DISTILL_EXAMPLES_CLI_WORLD_HPP

#include <string>

#include "distill/cluster/communicator.hpp"

namespace distill::cli {

/// The ranks this process runs with: an MPI job's when the command was built with MPI and
/// started by mpirun or a scheduler's launcher, else a single process.
const Communicator& world();

/// Whether this process is rank 0, the one that prints progress and writes the reports.
inline bool lead_rank() { return world().rank() == 0; }

/// Joins an MPI job when started as one (a no-op otherwise): ranks other than 0 send their
/// standard output and error to /dev/null, keeping a copy of the error stream for fail().
void join_world(int* argc, char*** argv);

/// Ends the command with an error: one line on the error stream ("distill: error: …", with
/// the rank in a job of several), and, in a job, the whole job ends.
[[noreturn]] void fail(const std::string& message);

/// Leaves the MPI job at a normal exit.
void leave_world();

}  // namespace distill::cli

#endif  // DISTILL_EXAMPLES_CLI_WORLD_HPP
