#ifndef DISTILL_METHODS_TRAJECTORY_MATCHING_UNROLL_HPP
#define DISTILL_METHODS_TRAJECTORY_MATCHING_UNROLL_HPP

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "distill/augment/batch_dsa.hpp"
#include "distill/core/rng.hpp"
#include "distill/core/seeds.hpp"
#include "distill/core/tensor.hpp"
#include "distill/losses/cross_entropy.hpp"
#include "distill/losses/param_match.hpp"
#include "distill/losses/sup_con.hpp"
#include "distill/methods/method.hpp"
#include "distill/methods/trajectory_matching/inner_loss.hpp"
#include "distill/nn/hessian_vector.hpp"

namespace distill {

/// One step of the unrolled inner loop: which synthetic images form its minibatch and the seed
/// of its augmentation draw (replayed exactly in the reverse sweep).
struct UnrollStep {
  std::vector<Index> batch;
  std::uint64_t seed = 0;
};

/// MTT's minibatches for N inner steps over a set of n images: consecutive chunks of
/// `batch` indices from a random permutation, re-drawn when exhausted (batch ≥ n: all images
/// every step). Step k's augmentation seed is derived from (seed, k).
inline std::vector<UnrollStep> make_unroll_steps(Index n, Index steps, Index batch, std::uint64_t seed) {
  DISTILL_CHECK(n > 0 && steps > 0 && batch > 0,
                "make_unroll_steps: images, steps and batch must be positive (" << n << ", " << steps
                                                                                << ", " << batch << ")");
  batch = std::min(batch, n);
  std::vector<UnrollStep> out;
  std::vector<Index> perm;
  Index next = n, round = 0;
  for (Index k = 0; k < steps; ++k) {
    if (next + batch > n) {
      perm.resize(static_cast<std::size_t>(n));
      for (Index i = 0; i < n; ++i) perm[i] = i;
      Rng rng(seed, seeds::unroll_permutation_stream(std::uint64_t(round++)));
      for (Index i = n - 1; i > 0; --i) std::swap(perm[i], perm[rng.below(std::uint64_t(i + 1))]);
      next = 0;
    }
    out.push_back({std::vector<Index>(perm.begin() + next, perm.begin() + next + batch),
                   seeds::unroll_step(seed, std::uint64_t(k))});
    next += batch;
  }
  return out;
}


/// How the reverse sweep treats the dependence of θ_k on earlier steps (docs/design.md §3).
enum class UnrollGradient {
  kExact,  ///< the adjoint λ_k = λ_{k+1} − α·H_k·λ_{k+1} is propagated through every step
  kTesla   ///< TESLA: every step sees λ_N (no Hessian term); exact for N = 1 only
};

/// N SGD steps of a student from an expert checkpoint on augmented minibatches of a synthetic
/// set, θ_{k+1} = θ_k − α·∇θℓ(θ_k; A_k(X[B_k]), Y[B_k]), the normalised distance
/// L = ‖θ_N − θ*‖²/‖θ_0 − θ*‖² to the expert target, and its exact gradient with respect to
/// the images X, the soft-label logits U and the step size α by the reverse sweep of docs/design.md
/// §3: with λ_N = ∂L/∂θ_N and v = λ_{k+1}, one forward+tangent+reverse sweep of the network at θ_k
/// gives g_k, H·v and the mixed products ∂/∂x⟨g_k, v⟩, ∂/∂u⟨g_k, v⟩, so
///   ∂L/∂α −= ⟨g_k, v⟩;  λ_k = v − α·H·v;  X̄[B_k] −= α·A_kᵀ ∂/∂x⟨g_k, v⟩;  Ū[B_k] −= α·∂/∂u⟨g_k, v⟩.
/// θ_0 … θ_N are stored (N·P values). What the reverse sweep's step k shares with the forward
/// sweep's (the convolutions' outputs, the gradients at the blocks' inputs and g_k: ConvNet::Kept)
/// is kept for as many steps as fit in keep_within's budget, and recomputed for the rest, so
/// memory does not grow with N beyond the parameter vectors and the budget. A kept step skips a
/// third of its reverse convolutions (docs/performance.md); either way the bits are the same.
///
/// Everything runs on the network's backend, and nothing inside the N steps waits for the host:
/// forward uploads the whole plan (every step's minibatch indices and labels, and the
/// augmentation draws when the module can stage them, BatchDsa) once from the backend's staging
/// memory; each step writes its loss values and, in the reverse sweep, ⟨g_k, v⟩ to device
/// memory; forward reads the step losses and the distance's sums back once at its end, backward
/// the N dot products at its end. On a GPU, θ_0 … θ_N, the images, the gradients and every
/// workspace are device memory.
///
/// @tparam Net     a ConvNet (any variant, any backend)
/// @tparam Augment a differentiable augmentation with draw(n, c, h, w, seed), forward(draw, x, y)
///                 backward(draw, gy, gx), is_identity() and optionally stage(draws), on views in
///                 the backend's memory (Dsa and IdentityAugment on the CPU, BatchDsa on any
///                 backend)
template <class Net, class Augment>
class Unroll {
 public:
  using Scalar = typename Net::scalar_type;
  using Backend = typename Net::backend_type;
  using Space = typename Backend::memory_space;
  using ParamVector = ParamVectorIn<Scalar, Space>;
  using Gradients = SyntheticGradients<Scalar, Space>;
  using Objective = InnerObjective<Scalar, Backend>;
  using Draw = decltype(std::declval<const Augment&>().draw(Index{}, Index{}, Index{}, Index{}, std::uint64_t{}));

  Unroll(Net& net, const Augment& augment, InnerLoss loss = {})
      : net_(net), augment_(augment), loss_cfg_(loss),
        contrastive_(loss.contrast, loss.temperature, 2) {}

  /// Runs the inner loop and returns L. `labels` are the hard labels (always needed: SupCon
  /// uses them); `label_logits` [N, K] are soft labels when non-empty.
  Scalar forward(const ParamVector& theta0, const ParamVector& target, ConstView<Scalar, Space> images,
                 const std::vector<int>& labels, ConstView<Scalar, Space> label_logits, Scalar lr,
                 const std::vector<UnrollStep>& steps);

  /// The reverse sweep after forward: gradients of L (exact or TESLA).
  void backward(Gradients& out, UnrollGradient mode = UnrollGradient::kExact);

  /// Keep each step's ConvNet::Kept and g_k between the sweeps for the first steps whose total
  /// fits in `bytes` (0, the default: recompute every step). Not with the backend's step graphs,
  /// whose captured launches read fixed buffers.
  void keep_within(std::size_t bytes) { keep_budget_ = bytes; }
  /// How many steps of the last forward sweep were kept.
  Index kept_steps() const { return Index(kept_.size()); }
  /// The bytes one step keeps for a minibatch of `batch` images.
  std::size_t kept_step_bytes(Index batch) const {
    return net_.kept_bytes(views() * batch) + std::size_t(net_.num_params()) * sizeof(Scalar);
  }

  /// θ_k of the last forward sweep, k = 0 … N.
  const std::vector<ParamVector>& trajectory() const { return thetas_; }
  /// The inner loss ℓ(θ_k) of every step of the last forward sweep.
  const std::vector<Scalar>& step_losses() const { return step_losses_; }

 private:
  Index views() const { return loss_cfg_.fusion ? 2 : 1; }
  Index batch_size(Index k) const { return offsets_[k + 1] - offsets_[k]; }
  /// Uploads the plan of `steps_`: indices, labels, draws; counts the contrastive anchors.
  void stage_plan();
  /// Where one step reads its inputs and writes its loss values: into the plan, or, with the
  /// backend's step graphs on, fixed buffers that every step shares.
  struct StepInputs {
    const Scalar* theta;
    const Index* index;
    const int* labels;
    Index batch, anchors;
    const Draw* draws;  ///< views() draws, or null for the identity
    double* values;     ///< Objective::kValues slots
  };
  /// Builds the (augmented, possibly two-view) input of a step into x_.
  void make_input(const StepInputs& in);
  /// Step k: inner loss and its parameter gradient into grad and, with a tangent v, H·v into
  /// hv and the mixed products (hessian_vector_product) into hx_ and hu_; its loss values go to
  /// step k's slots of values_. Through Backend::run_step when the backend's graphs are on.
  /// `kept`: filled by a forward-sweep step, taken back by a reverse-sweep step (grad null).
  void step(Index k, const ParamVector& theta, const ParamVector* v, Scalar* grad, Scalar* hv,
            typename Net::Kept* kept = nullptr);
  void step_body(const StepInputs& in, const Scalar* v, Scalar* grad, Scalar* hv, typename Net::Kept* kept);
  /// step() in graph mode: `planned` (step k's inputs in the plan) copied into the shared buffers.
  void step_in_graph(const StepInputs& planned, const Scalar* v, Scalar* grad, Scalar* hv);
  /// Whether the backend captures repeated steps in graphs (cuda::Context::graphs()).
  static bool graphs() {
    if constexpr (detail::HasStepGraphs<Backend>::value)
      return Backend::graphs();
    else
      return false;
  }
  /// ∂L/∂θ_N into grad (Eigen's reductions for host vectors, param_distance's sums and the
  /// forward's denominator for device ones).
  void distance_gradient(ParamVector& grad) const;
  ParamVector make_vector() const;
  /// dst = src, reusing dst's storage (a device tensor's copy assignment would allocate).
  static void assign(ParamVector& dst, const ParamVector& src);

  Net& net_;
  const Augment& augment_;
  InnerLoss loss_cfg_;
  ContrastiveLoss<Scalar, Backend> contrastive_;
  CrossEntropy<Scalar, Backend> ce_;

  // Inputs of the last forward sweep.
  ConstView<Scalar, Space> images_, label_logits_;
  const std::vector<int>* labels_ = nullptr;
  std::vector<UnrollStep> steps_;
  Scalar lr_ = 0;
  double denominator_ = 0;  ///< ‖θ_0 − θ*‖²
  std::vector<ParamVector> thetas_;
  ParamVector target_;
  // Steps 0 … kept_.size() − 1 of the last forward sweep: what their reverse steps take back.
  std::size_t keep_budget_ = 0;
  std::vector<typename Net::Kept> kept_;
  std::vector<ParamVector> kept_grads_;

  // The plan: step k's minibatch is entries [offsets_[k], offsets_[k+1]) of the index and label
  // arrays; draw k·views + v augments its view v.
  std::vector<Index> offsets_, anchors_;
  std::vector<Draw> draws_;
  detail::Buffer<Index, StagingSpace<Backend>> index_host_;
  detail::Buffer<int, StagingSpace<Backend>> labels_host_;
  detail::Buffer<Index, Space> index_;
  detail::Buffer<int, Space> labels_device_;
  // Per step Objective::kValues loss values, then the distance's two sums; the dot products.
  Tensor<double, Space> values_;
  Tensor<Scalar, Space> dots_;
  std::vector<double> host_values_;
  std::vector<Scalar> host_dots_, step_losses_;

  // Workspaces; the vectors of the sweeps are members so that their addresses stay fixed (a
  // captured step keeps the addresses it was captured with).
  HessianVectorWork<Scalar, Space> work_;
  Tensor<Scalar, Space> batch_, x_, hx_, hu_, xview_grad_, u_batch_;
  ParamVector grad_, hv_, lambda_, lambda_n_;
  // The fixed step inputs of graph mode.
  ParamVector theta_step_;
  detail::Buffer<Index, Space> step_index_;
  detail::Buffer<int, Space> step_labels_;
  detail::Buffer<DsaSampleParams, Space> step_params_[2];
  std::vector<Draw> step_draws_;
  Tensor<double, Space> step_values_;
};

}  // namespace distill

#include "distill/methods/trajectory_matching/unroll_impl.hpp"

#endif  // DISTILL_METHODS_TRAJECTORY_MATCHING_UNROLL_HPP
