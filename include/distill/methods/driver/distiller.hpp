#ifndef DISTILL_METHODS_DRIVER_DISTILLER_HPP
#define DISTILL_METHODS_DRIVER_DISTILLER_HPP

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "distill/augment/dsa.hpp"
#include "distill/data/dataset.hpp"
#include "distill/methods/config/settings.hpp"
#include "distill/methods/driver/checkpoint.hpp"
#include "distill/methods/method.hpp"
#include "distill/train/sgd.hpp"
#include "distill/methods/trajectory_matching/unroll.hpp"
#include "distill/train/evaluate.hpp"
#include "distill/train/experts.hpp"
#include "distill/train/metrics.hpp"

namespace distill {

/// One finished outer iteration, as the driver reports it.
struct IterationRecord {
  Index iteration = 0, iterations = 0;  ///< 1-based count done, and the planned total
  double loss = 0, lr = 0, seconds = 0;
  bool skipped = false;
  nlohmann::json info;
};

/// One evaluation of the set under the protocol (periodic or final).
struct EvaluationRecord {
  Index iteration = 0;
  bool final = false;
  EvalResult result;
  double seconds = 0;
};

struct DistillerOptions {
  std::string out_dir;  ///< checkpoint, synthetic set, best set and metrics go here (must exist)
  bool resume = false;  ///< continue from out_dir's checkpoint (a fresh start when there is none)
  std::string eval_arch;  ///< evaluation network; empty: the experts' architecture
  std::function<void(const IterationRecord&)> on_iteration;  ///< may throw to stop the run
  std::function<void(const EvaluationRecord&)> on_evaluation;
  std::function<void(Index run, Index epoch)> on_eval_epoch;  ///< progress of evaluations
  /// Called with out_dir whenever its files are current: at the start, after every checkpoint
  /// and at the end. Programs pass report::refresh (report.html, rewritten from the files), so
  /// the driver needs nothing of the layer above it. May throw to stop the run.
  std::function<void(const std::string& out_dir)> on_files_written;
  /// The ranks of the job (null: one process). Every rank runs the driver; evaluation runs
  /// and, where the method's State distributes (method.hpp, Sharding), its work are split
  /// over them; rank 0 alone writes out_dir's files and calls on_files_written.
  const Communicator* comm = nullptr;
};

struct DistillResult {
  SyntheticSet set;  ///< the set after the last iteration
  Index iterations = 0;
  EvalResult final_evaluation;  ///< empty when final_eval_runs = 0
  double best_accuracy = -1;
  Index best_iteration = -1;
  double seconds = 0;  ///< wall time of this invocation
};

/// The one driver of every method (docs/design.md §4): owns the synthetic set (images, hard labels,
/// optional label logits, step size), its optimisers (SGD on images with lr_img and momentum
/// 0.5, on the step size with lr_lr and momentum 0.5, on label logits with the label policy's
/// lr and momentum), and the loop: iterations, the method's gradient, the updates, periodic
/// evaluation under the protocol, atomic checkpoints and the JSON-lines metrics.
///
/// Files in out_dir: checkpoint.safetensors (every checkpoint_every iterations and at the end),
/// synthetic.safetensors (the final set), best.safetensors (the best periodic evaluation),
/// metrics.jsonl (and what options.on_files_written writes from them, e.g. report.html). An
/// existing checkpoint is never overwritten by a fresh start: without
/// `resume` the run stops with an error instead. A non-finite loss, gradient, image or step
/// size stops the run with an error naming the iteration, before anything of that iteration is
/// written, so the last checkpoint stays the last good state.
///
/// @tparam Method a method policy (TrajectoryMatching aliases MTT, TESLA, DATM, DATM_CLR);
///                see TrajectoryMatching for the members a method provides
/// @tparam Net    the network type the method distils with (float)
template <class Method, class Net>
class Distiller {
  static_assert(MethodChecks<Method, Net>::check(), "");

 public:
  Distiller(Method method, DistillSettings settings, Net& net, const DatasetSplits<float>& data,
            const ExpertSet& experts, Dsa<float> augment, DistillerOptions options)
      : method_(std::move(method)), settings_(std::move(settings)), net_(net), data_(data),
        experts_(experts), augment_(std::move(augment)), options_(std::move(options)) {
    validate(settings_, "settings");
    DISTILL_CHECK(!options_.out_dir.empty(), "Distiller: no output directory");
  }

  static std::string checkpoint_path(const std::string& dir) { return checkpoint_file(dir); }
  static std::string synthetic_path(const std::string& dir) { return dir + "/synthetic.safetensors"; }
  static std::string best_path(const std::string& dir) { return dir + "/best.safetensors"; }
  static std::string metrics_path(const std::string& dir) { return dir + "/metrics.jsonl"; }

  DistillResult run();

 private:
  Checkpoint start_or_resume(typename Method::template State<Net>& state, MetricsLog& log);
  EvalResult evaluate(const SyntheticSet& set, Index runs);
  std::string eval_arch() const;
  /// Tells options.on_files_written that out_dir's files are current.
  void files_written() const;
  const Communicator& comm() const { return options_.comm ? *options_.comm : single_process(); }
  /// Whether this rank writes the files (rank 0).
  bool writer() const { return comm().rank() == 0; }
  /// Every class's rows of the set and of the image velocity, from the class's owner.
  void share_class_rows(SyntheticSet& set, Sgd<float>& image_opt) const;

  Method method_;
  DistillSettings settings_;
  Net& net_;
  const DatasetSplits<float>& data_;
  const ExpertSet& experts_;
  Dsa<float> augment_;  // a copy (a few options), so a temporary may be passed
  DistillerOptions options_;
  Dsa<float> eval_augment_;
};

}  // namespace distill

#include "distill/methods/driver/distiller_impl.hpp"

#endif  // DISTILL_METHODS_DRIVER_DISTILLER_HPP
