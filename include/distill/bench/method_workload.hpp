#ifndef DISTILL_BENCH_METHOD_WORKLOAD_HPP
#define DISTILL_BENCH_METHOD_WORKLOAD_HPP

// A generated workload for timing whole iterations of a method (`distill bench dm`): what the
// Distiller does per iteration, without evaluation, checkpoints or real data.

#include <memory>
#include <vector>

#include "distill/augment/dsa.hpp"
#include "distill/core/rng.hpp"
#include "distill/methods/config/settings.hpp"
#include "distill/methods/driver/run_method.hpp"
#include "distill/train/prepare_data.hpp"
#include "distill/train/sgd.hpp"

namespace distill::bench {

/// CIFAR-10-shaped data (300 standard-normal images per class, 10 classes), ConvNet-3 width
/// 128, and one generated expert of 20 epochs (a random walk of 0.001·N(0, 1) steps from a
/// fresh initialisation); the method's State initialised at `ipc` images per class. `Net` may
/// live on any backend (the State moves what it needs); the set and its optimiser are on the
/// host, as in the Distiller.
template <class Method, class Net = DistillNet>
class MethodWorkload {
 public:
  MethodWorkload(Method method, const DistillSettings& s, Index ipc)
      : method_(std::move(method)), image_opt_(float(s.lr_img), float(s.image_momentum)) {
    const Index classes = 10, per_class = 300;
    data_.train.classes = data_.test.classes = classes;
    data_.train.images.resize(Shape(classes * per_class, 3, 32, 32));
    Rng rng(5);
    for (Index i = 0; i < data_.train.images.size(); ++i) data_.train.images[i] = float(rng.normal());
    for (Index i = 0; i < classes * per_class; ++i) data_.train.labels.push_back(int(i % classes));
    experts_.directory = "(generated)";
    std::vector<Vector<float>> traj{net_.init_params(1)};
    for (Index e = 1; e <= 20; ++e) {
      traj.push_back(traj.back());
      for (Index i = 0; i < traj.back().size(); ++i) traj.back()[i] += 0.001f * float(rng.normal());
    }
    experts_.final_params.push_back(traj.back());
    experts_.checkpoints.push_back(traj);
    state_ = std::make_unique<State>(method_, net_, experts_, data_.train, dsa_);
    state_->initialize(syn_, ipc, 0);
  }

  Index steps_per_iteration() const { return state_->steps_per_iteration(); }

  /// Every step of iteration `it` and its image update; the summed loss.
  double iteration(Index it) {
    double loss = 0;
    for (Index step = 0; step < state_->steps_per_iteration(); ++step) {
      loss += state_->iterate(it, step, 0, syn_, grads_).loss;
      image_opt_.step(syn_.images.vec(), grads_.images.vec());
    }
    return loss;
  }

 private:
  using State = typename Method::template State<Net>;
  Method method_;
  DatasetSplits<float> data_;
  Net net_{ConvNetConfig{3, 32, 32, 10, 128, 3}};
  ExpertSet experts_;
  Dsa<float> dsa_;
  std::unique_ptr<State> state_;  // built once the data and experts it refers to exist
  SyntheticSet syn_;
  SyntheticGradients<float> grads_;
  Sgd<float> image_opt_;
};

}  // namespace distill::bench

#endif  // DISTILL_BENCH_METHOD_WORKLOAD_HPP
