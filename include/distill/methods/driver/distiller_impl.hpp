#ifndef DISTILL_METHODS_DRIVER_DISTILLER_IMPL_HPP
#define DISTILL_METHODS_DRIVER_DISTILLER_IMPL_HPP

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

#include "distill/augment/multi_formation.hpp"
#include "distill/core/timer.hpp"
#include "distill/data/file_io.hpp"
#include "distill/methods/driver/distiller.hpp"
#include "distill/train/sgd.hpp"

namespace distill {

namespace detail {

template <class Scalar>
bool all_finite(const Tensor<Scalar>& t) {
  for (Index i = 0; i < t.size(); ++i)
    if (!std::isfinite(t[i])) return false;
  return true;
}

}  // namespace detail

template <class Method, class Net>
std::string Distiller<Method, Net>::eval_arch() const {
  const std::string arch = options_.eval_arch.empty() ? experts_.arch : options_.eval_arch;
  return arch.empty() ? "ConvNet" : arch;
}

template <class Method, class Net>
void Distiller<Method, Net>::files_written() const {
  if (writer() && options_.on_files_written) options_.on_files_written(options_.out_dir);
}

template <class Method, class Net>
void Distiller<Method, Net>::share_class_rows(SyntheticSet& set, Sgd<float>& image_opt) const {
  const Communicator& w = comm();
  const Index classes = set.classes, d = set.images.shape().sample_size();
  Vector<float> velocity = image_opt.velocity();
  const bool moving = velocity.size() == set.images.size();
  std::vector<std::pair<Index, std::vector<float>>> mine;
  for (Index c = 0; c < classes; ++c) {
    if (owner_block(c, classes, w.size()) != w.rank()) continue;
    std::vector<float> rows;
    for (Index j = 0; j < set.size(); ++j) {
      if (set.labels[std::size_t(j)] != c) continue;
      rows.insert(rows.end(), set.images.data() + j * d, set.images.data() + (j + 1) * d);
      if (moving) rows.insert(rows.end(), velocity.data() + j * d, velocity.data() + (j + 1) * d);
    }
    mine.emplace_back(c, std::move(rows));
  }
  const auto all = exchange_shards(w, classes, mine);
  for (Index c = 0; c < classes; ++c) {
    const float* at = all[std::size_t(c)].data();
    for (Index j = 0; j < set.size(); ++j) {
      if (set.labels[std::size_t(j)] != c) continue;
      std::copy(at, at + d, set.images.data() + j * d);
      at += d;
      if (moving) {
        std::copy(at, at + d, velocity.data() + j * d);
        at += d;
      }
    }
  }
  if (moving) image_opt.set_velocity(velocity);
}

template <class Method, class Net>
EvalResult Distiller<Method, Net>::evaluate(const SyntheticSet& stored, Index runs) {
  const SyntheticSet set = decoded_set(stored);
  EvalConfig cfg;
  cfg.arch = eval_arch();
  cfg.runs = runs;
  cfg.epochs = settings_.eval_epochs;
  cfg.lr = set.lr;
  cfg.seed = settings_.seed;
  cfg.on_epoch = options_.on_eval_epoch;
  const Labels<float> labels = set.has_soft_labels() ? Labels<float>{nullptr, set.label_logits.cview()}
                                                     : Labels<float>{&set.labels, {}};
  // On the distillation network's backend: a GPU run evaluates on the GPU.
  return evaluate_set<typename Net::backend_type>(cfg, set.images.cview(), labels, set.classes, data_.test,
                                                  eval_augment_, {}, comm());
}

template <class Method, class Net>
Checkpoint Distiller<Method, Net>::start_or_resume(typename Method::template State<Net>& state, MetricsLog& log) {
  const std::string path = checkpoint_path(options_.out_dir);
  const bool exists = regular_file_exists(path);
  comm().barrier();  // every rank has looked before rank 0 writes a first checkpoint
  if (exists) {
    DISTILL_CHECK(options_.resume, path << " exists: pass --resume to continue that run, or choose another output "
                                           "directory");
    Checkpoint c = load_checkpoint(path, settings_.declared);
    check_resumable(c.settings, settings_, path);
    c.settings = settings_;
    log.write({{"event", "resume"}, {"iteration", c.iteration}, {"settings", to_json(settings_)}});
    return c;
  }
  Checkpoint c;
  c.settings = settings_;
  c.set.classes = data_.train.classes;
  c.set.dataset = experts_.dataset.empty() ? settings_.dataset : experts_.dataset;
  c.set.preprocessing = experts_.preprocessing;
  c.set.lr = settings_.lr_teacher;
  state.initialize(c.set, settings_.ipc, settings_.seed);
  c.set.info["method"] = settings_.method;
  if (Index(data_.train.class_names.size()) == data_.train.classes)
    c.set.info["class_names"] = nlohmann::json(data_.train.class_names).dump();
  // The experts' absolute path, so a report rendered from another directory still finds them.
  std::error_code ec;
  const std::string experts_dir = std::filesystem::is_directory(experts_.directory, ec)
                                      ? std::filesystem::absolute(experts_.directory).lexically_normal().string()
                                      : experts_.directory;
  log.write({{"event", "start"}, {"settings", to_json(settings_)}, {"images", c.set.size()},
             {"experts", experts_dir}, {"experts_count", experts_.size()}});
  if (writer()) save_checkpoint(path, c);
  return c;
}

template <class Method, class Net>
DistillResult Distiller<Method, Net>::run() {
  Timer wall;
  MetricsLog log;  // rank 0's; the others log nothing
  if (writer()) log.open(metrics_path(options_.out_dir));
  using State = typename Method::template State<Net>;
  static_assert(MethodChecks<Method, Net>::template check_state<State>(), "");
  DISTILL_CHECK(!settings_.clamp_pixels || experts_.preprocessing.has_pixel_box(),
                "field 'clamp_pixels': the data are ZCA-whitened, where pixels have no range to clamp to");
  State state(method_, net_, experts_, data_.train, augment_);
  Sharding sharding = Sharding::kReplicated;
  if constexpr (detail::HasDistribute<State>::value) sharding = state.distribute(comm());
  const bool by_class = sharding == Sharding::kClasses;
  std::vector<std::vector<double>> class_losses;  // this rank's classes' terms, in step order
  Checkpoint c = start_or_resume(state, log);
  const std::string ckpt = checkpoint_path(options_.out_dir);
  files_written();  // from the start: the initial images and the settings

  Sgd<float> image_opt(float(settings_.lr_img), float(settings_.image_momentum));
  Sgd<double> lr_opt(settings_.lr_lr, settings_.lr_momentum);
  Sgd<float> label_opt(float(method_.label_lr()), float(method_.label_momentum()));
  if (c.image_velocity.size()) image_opt.set_velocity(c.image_velocity);
  if (c.lr_velocity.size()) lr_opt.set_velocity(c.lr_velocity);
  if (c.label_velocity.size()) label_opt.set_velocity(c.label_velocity);

  // Nothing of a failing iteration is written, so the checkpoint on disk is the last good state.
  auto stop = [&](Index it, const std::string& what) {
    DISTILL_CHECK(false, "iteration " << it << ": " << what << "; stopped, the last good checkpoint is " << ckpt);
  };

  SyntheticGradients<float> grads;
  Vector<double> alpha(1), alpha_grad(1);
  const Index total = settings_.iterations;
  while (c.iteration < total) {
    const Index it = c.iteration + 1;
    Timer timer;
    StepReport report;
    report.skipped = true;
    const Index steps = state.steps_per_iteration();
    class_losses.assign(std::size_t(c.set.classes), {});
    for (Index step = 0; step < steps; ++step) {
      const StepReport r = state.iterate(c.iteration, step, settings_.seed, c.set, grads);
      if (!std::isfinite(r.loss)) stop(it, "the loss is " + std::to_string(r.loss));
      if (!detail::all_finite(grads.images) || !detail::all_finite(grads.label_logits) || !std::isfinite(grads.lr))
        stop(it, "a gradient is not finite");
      report.loss += r.loss;
      for (const auto& [cls, term] : r.class_losses) class_losses.at(std::size_t(cls)).push_back(term);
      report.skipped = report.skipped && r.skipped;
      if (step == 0) report.info = r.info;  // per-iteration draws (expert, stage) are reported at step 0
      if (r.skipped) continue;
      image_opt.step(c.set.images.vec(), grads.images.vec());
      if (Method::kLearnsLr && settings_.lr_lr > 0) {
        alpha[0] = c.set.lr;
        alpha_grad[0] = grads.lr;
        lr_opt.step(alpha, alpha_grad);
        c.set.lr = alpha[0];
      }
      if (Method::kLearnsLabels) label_opt.step(c.set.label_logits.vec(), grads.label_logits.vec());
      if (!detail::all_finite(c.set.images) || !detail::all_finite(c.set.label_logits))
        stop(it, "the update made the images or labels non-finite");
      if (!(c.set.lr > 0) || !std::isfinite(c.set.lr))
        stop(it, "the learned step size became " + std::to_string(c.set.lr) + " (lower lr_lr)");
    }
    if (settings_.clamp_pixels) c.set.preprocessing.clamp_to_pixel_range(c.set.images.view());
    const bool evaluating = settings_.eval_every > 0 && it % settings_.eval_every == 0 && it < total;
    const bool checkpointing = it % settings_.checkpoint_every == 0 || it == total;
    if (by_class) {
      // A class's rows are read only by its owner until the set is evaluated or written: the
      // rows travel then, not every iteration.
      if (evaluating || checkpointing) share_class_rows(c.set, image_opt);
      // The loss as one process adds it: every class's terms, in class order.
      std::vector<std::pair<Index, std::vector<double>>> mine;
      for (Index k = 0; k < c.set.classes; ++k)
        if (owner_block(k, c.set.classes, comm().size()) == comm().rank()) mine.emplace_back(k, class_losses[std::size_t(k)]);
      report.loss = 0;
      for (const auto& terms : exchange_shards(comm(), c.set.classes, mine))
        for (const double t : terms) report.loss += t;
    }
    c.iteration = it;
    IterationRecord rec;
    rec.iteration = it;
    rec.iterations = total;
    rec.loss = report.loss;
    rec.lr = c.set.lr;
    rec.seconds = timer.seconds();
    rec.skipped = report.skipped;
    rec.info = report.info;
    log.write({{"event", "iteration"}, {"iteration", it}, {"loss", report.loss}, {"skipped", report.skipped},
               {"lr", c.set.lr}, {"seconds", rec.seconds}, {"info", report.info}});

    if (evaluating) {
      Timer et;
      const EvalResult r = evaluate(c.set, settings_.eval_runs);
      log.write({{"event", "evaluate"}, {"iteration", it}, {"arch", eval_arch()}, {"accuracies", r.accuracies},
                 {"mean", r.mean}, {"std", r.std}, {"seconds", et.seconds()}});
      if (r.mean > c.best_accuracy) {
        c.best_accuracy = r.mean;
        c.best_iteration = it;
        SyntheticSet best = c.set;
        best.info["iteration"] = std::to_string(it);
        best.info["accuracy"] = std::to_string(r.mean);
        if (writer()) save_synthetic_set(best_path(options_.out_dir), best);
      }
      if (options_.on_evaluation) options_.on_evaluation({it, false, r, et.seconds()});
    }
    if (checkpointing) {
      c.image_velocity = image_opt.velocity();
      c.lr_velocity = lr_opt.velocity();
      c.label_velocity = label_opt.velocity();
      if (writer()) save_checkpoint(ckpt, c);
      files_written();
    }
    if (options_.on_iteration) options_.on_iteration(rec);
  }

  DistillResult result;
  result.set = c.set;
  result.set.info["iteration"] = std::to_string(c.iteration);
  result.set.info["settings"] = to_json(settings_).dump();
  if (writer()) save_synthetic_set(synthetic_path(options_.out_dir), result.set);
  result.iterations = c.iteration;
  result.best_accuracy = c.best_accuracy;
  result.best_iteration = c.best_iteration;
  if (settings_.final_eval_runs > 0) {
    Timer et;
    result.final_evaluation = evaluate(c.set, settings_.final_eval_runs);
    const EvalResult& r = result.final_evaluation;
    log.write({{"event", "final_evaluate"}, {"iteration", c.iteration}, {"arch", eval_arch()},
               {"accuracies", r.accuracies}, {"mean", r.mean}, {"std", r.std}, {"seconds", et.seconds()}});
    if (options_.on_evaluation) options_.on_evaluation({c.iteration, true, r, et.seconds()});
  }
  result.seconds = wall.seconds();
  files_written();
  return result;
}

}  // namespace distill

#endif  // DISTILL_METHODS_DRIVER_DISTILLER_IMPL_HPP
