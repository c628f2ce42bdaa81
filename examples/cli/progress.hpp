#ifndef DISTILL_EXAMPLES_CLI_PROGRESS_HPP
#define DISTILL_EXAMPLES_CLI_PROGRESS_HPP

#include <string>

#include "distill/core/tensor.hpp"
#include "distill/core/timer.hpp"

namespace distill::cli {

/// One-line progress bar on stderr with rate and ETA; redraws at most a few times a second,
/// and only on a terminal: a redirected log gets the printed lines, not hundreds of bars.
class Progress {
 public:
  Progress(std::string label, Index total, std::string unit);
  void update(Index done);
  /// Ends the bar's line, so that the next printed line starts on its own.
  void finish();

 private:
  std::string label_;
  Index total_;
  std::string unit_;
  Timer timer_;
  double last_ = -1;
  bool drawn_;
};

}  // namespace distill::cli

#endif  // DISTILL_EXAMPLES_CLI_PROGRESS_HPP
