#ifndef DISTILL_NN_CONV_NET_HPP
#define DISTILL_NN_CONV_NET_HPP

#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "distill/backend/backend.hpp"
#include "distill/backend/cpu/backend.hpp"
#include "distill/core/tensor.hpp"
#include "distill/nn/conv2d.hpp"
#include "distill/nn/flatten.hpp"
#include "distill/nn/init.hpp"
#include "distill/nn/linear.hpp"
#include "distill/nn/normalization.hpp"
#include "distill/nn/param_layout.hpp"
#include "distill/nn/pooling.hpp"
#include "distill/nn/relu.hpp"

namespace distill {

/// Marks a ConvNet depth or width chosen at run time (as Eigen::Dynamic does for sizes).
inline constexpr int Dynamic = -1;

/// Normalisation of a ConvNet block.
namespace norm {
struct Instance {  ///< GroupNorm(C, C): the "instancenorm" of the MTT/DC ConvNet
  static constexpr const char* name = "instancenorm";
};
struct Batch {  ///< BatchNorm2d with training-mode batch statistics
  static constexpr const char* name = "batchnorm";
};
struct None {
  static constexpr const char* name = "none";
};
}  // namespace norm

/// Pooling at the end of a ConvNet block.
namespace pool {
struct Avg {  ///< AvgPool2d(2, 2)
  static constexpr const char* name = "avgpooling";
};
struct Max {  ///< MaxPool2d(2, 2)
  static constexpr const char* name = "maxpooling";
};
struct None {
  static constexpr const char* name = "none";
};
}  // namespace pool

/// Run-time shape of a ConvNet: the data it reads and, for Dynamic template arguments, its
/// depth and width (for fixed ones they must agree or be left at 0).
struct ConvNetConfig {
  Index channels = 3, height = 32, width = 32, classes = 10;
  Index net_width = 0;  ///< 0: the Width template argument
  Index net_depth = 0;  ///< 0: the Depth template argument
};

/// The ConvNet of the dataset-distillation literature (DC/DSA/DM/MTT/DATM/TGDD): Depth blocks of
/// conv3×3(Width) → Norm → ReLU → Pool, then one Linear layer on the flattened features (the
/// "embedding"). Parameters live in one flat vector in PyTorch's `named_parameters()` order
/// (`features.0.weight`, `features.0.bias`, `features.1.weight`, …, `classifier.weight`,
/// `classifier.bias`), so trajectories exchange with PyTorch code unchanged.
///
/// The object owns the per-call cache (activations and their tangents) and all workspaces; the
/// parameters are passed in. Passes, each for the whole network (docs/design.md §2):
///   forward           θ, x → logits, embedding
///   tangent           θ̇, ẋ → logits tangent, embedding tangent        (after forward)
///   backward          g_logits, g_embedding → gθ, gx                  (after forward)
///   backward_tangent  (g, ġ) for logits and embedding → gθ, ġθ, gx, ġx (after tangent)
/// With ġ from a loss's R-op, ġθ = H·θ̇ and ġx = ∂/∂x⟨∇θℓ, θ̇⟩ (see hessian_vector_product).
/// Flat vectors (θ, θ̇, gθ, ġθ) are pointers to num_params() values; a null θ̇ is zero and a
/// null output is not computed; empty tensor views likewise mean zero or "not wanted".
/// θ must stay unchanged between a forward pass and the passes that follow it.
///
/// @tparam Scalar float or double
/// @tparam Depth  number of blocks, or Dynamic (ConvNetConfig::net_depth)
/// @tparam Width  channels of every conv layer, or Dynamic (ConvNetConfig::net_width)
/// @tparam Norm   norm::Instance | norm::Batch | norm::None
/// @tparam Pool   pool::Avg | pool::Max | pool::None
/// @tparam Backend where the network computes (cpu::Backend or cuda::Backend): every pass
///                 of every layer runs through it, and its memory space holds the activations.
///                 Code generic over a network reads it as Net::backend_type.
template <class Scalar, int Depth = 3, int Width = 128, class Norm = norm::Instance,
          class Pool = pool::Avg, class Backend = cpu::Backend>
class ConvNet {
  static_assert(BackendChecks<Backend>::check(), "ConvNet: Backend must satisfy the backend contract");
  static_assert(std::is_floating_point<Scalar>::value, "ConvNet: Scalar must be float or double");
  static_assert(Depth == Dynamic || Depth > 0, "ConvNet: Depth must be positive or Dynamic");
  static_assert(Width == Dynamic || Width > 0, "ConvNet: Width must be positive or Dynamic");
  static_assert(std::is_same<Norm, norm::Instance>::value || std::is_same<Norm, norm::Batch>::value ||
                    std::is_same<Norm, norm::None>::value,
                "ConvNet: Norm must be norm::Instance, norm::Batch or norm::None");
  static_assert(std::is_same<Pool, pool::Avg>::value || std::is_same<Pool, pool::Max>::value ||
                    std::is_same<Pool, pool::None>::value,
                "ConvNet: Pool must be pool::Avg, pool::Max or pool::None");

 public:
  using scalar_type = Scalar;
  using backend_type = Backend;
  using memory_space = typename Backend::memory_space;
  using ParamVector = Vector<Scalar>;
  using View = ConstView<Scalar, memory_space>;
  using MutView = MutableView<Scalar, memory_space>;
  using Activations = Tensor<Scalar, memory_space>;
  /// The same network on another backend (a host twin of a GPU network, say).
  template <class OtherBackend>
  using with_backend = ConvNet<Scalar, Depth, Width, Norm, Pool, OtherBackend>;
  static constexpr bool kHasNorm = !std::is_same<Norm, norm::None>::value;
  static constexpr bool kHasPool = !std::is_same<Pool, pool::None>::value;

  /// Views into the network's cache, valid until the next pass.
  struct Outputs {
    View logits;     ///< [N, classes, 1, 1]
    View embedding;  ///< [N, features, 1, 1]
  };

  explicit ConvNet(const ConvNetConfig& config = {});

  const ConvNetConfig& config() const { return config_; }
  Index depth() const { return config_.net_depth; }
  Index net_width() const { return config_.net_width; }
  Index classes() const { return config_.classes; }
  Index num_params() const { return layout_.size(); }
  const ParamLayout& layout() const { return layout_; }
  Shape input_shape(Index batch) const {
    return {batch, config_.channels, config_.height, config_.width};
  }
  Index embedding_size() const { return embedding_size_; }

  /// Training mode (the default) normalises batch-norm layers with batch statistics and
  /// updates their running statistics; inference mode uses the running statistics (PyTorch's
  /// model.train() / model.eval()) and supports forward only. Other norms ignore the mode.
  void set_training(bool training) {
    for (auto& b : blocks_) b.norm.set_training(training);
    training_ = training;
  }
  bool training() const { return training_; }
  /// Forgets batch-norm running statistics (call when starting from fresh parameters).
  void reset_running_stats() {
    for (auto& b : blocks_) b.norm.reset_running_stats();
  }

  /// Fresh parameters with PyTorch's default initialisation; the same seed gives the same
  /// parameters on any thread count.
  ParamVector init_params(std::uint64_t seed) const;

  /// What the convolutions of one forward and backward pass produced, for a later pass at the
  /// same θ and x to take back instead of recomputing (the exact unroll keeps it between its
  /// sweeps): every block's convolution output and the loss gradient at the input of every block
  /// but the first. The cheaper layers (normalisation, ReLU, pooling, the classifier) run again
  /// on what is taken back, so the later pass gives the bits it would give by recomputing.
  struct Kept {
    std::vector<Activations> conv_out, grad_in;
  };
  /// The bytes Kept holds for a batch of n images.
  std::size_t kept_bytes(Index n) const;

  /// With `kept` (from backward at the same θ and x), the convolutions' outputs are taken from it.
  Outputs forward(const Scalar* theta, View x, const Kept* kept = nullptr);
  Outputs forward(const ParamVector& theta, View x) {
    check_params(theta, "ConvNet::forward");
    return forward(theta.data(), x);
  }
  Outputs tangent(const Scalar* theta, const Scalar* theta_dot, View x_dot = {});
  /// With `keep`, also fills it with this pass's Kept.
  void backward(const Scalar* theta, View g_logits, View g_embedding,
                Scalar* g_theta, MutView g_x = {}, Kept* keep = nullptr);
  /// With `kept` (the forward pass's), the gradients at the blocks' inputs are taken from it and
  /// gθ is not computed (it must be null: the caller kept it), which saves each layer's two
  /// backward convolutions.
  void backward_tangent(const Scalar* theta, const Scalar* theta_dot, View g_logits,
                        View g_logits_dot, View g_embedding,
                        View g_embedding_dot, Scalar* g_theta, Scalar* g_theta_dot,
                        MutView g_x = {}, MutView g_x_dot = {}, const Kept* kept = nullptr);

 private:
  using PoolLayer = std::conditional_t<std::is_same<Pool, pool::Max>::value, MaxPool<Scalar, Backend>,
                                       AvgPool<Scalar, Backend>>;
  struct Block {
    Conv2d<Scalar, Backend> conv;
    Normalization<Scalar, Backend> norm;
    PoolLayer pool;
    Index conv_offset = 0, norm_offset = 0;
    Activations conv_out, norm_out, relu_out, pool_out;  // forward activations
    Activations conv_dot, norm_dot, relu_dot, pool_dot;  // their tangents
  };

  void check_params(const ParamVector& theta, const char* what) const {
    DISTILL_CHECK(theta.size() == num_params(), what << ": parameter vector has " << theta.size()
                                                     << " values, the network has " << num_params());
  }
  const Activations& relu_in(const Block& b) const { return kHasNorm ? b.norm_out : b.conv_out; }
  const Activations& block_out(const Block& b) const { return kHasPool ? b.pool_out : b.relu_out; }
  View block_in(Index d) const {
    return d == 0 ? input_.cview() : block_out(blocks_[d - 1]).cview();
  }
  View relu_in_dot(const Block& b) const {
    return kHasNorm ? b.norm_dot.cview() : b.conv_dot.cview();
  }
  View block_out_dot(const Block& b) const {
    return kHasPool ? b.pool_dot.cview() : b.relu_dot.cview();
  }
  View block_in_dot(Index d) const {
    if (d > 0) return block_out_dot(blocks_[d - 1]);
    return has_input_dot_ ? input_dot_.cview() : View{};
  }
  static void keep_copy(const Shape& shape, const Scalar* from, Activations& to) {
    to.resize(shape);
    Backend::copy(to.size(), from, to.data());
  }
  View embedding_view() const { return Flatten::forward(block_out(blocks_.back()).cview()); }
  View embedding_dot_view() const { return Flatten::forward(block_out_dot(blocks_.back())); }

  /// How init_params fills each layout entry: U(±1/√fan_in) when fan_in > 0, else `value`.
  struct InitRule {
    Index fan_in;
    Scalar value;
  };
  void add_param(std::string name, std::vector<Index> shape, InitRule rule, Index* offset) {
    const Index o = layout_.add(std::move(name), std::move(shape));
    if (offset) *offset = o;
    init_rules_.push_back(rule);
  }

  ConvNetConfig config_;
  ParamLayout layout_;
  std::vector<InitRule> init_rules_;
  std::vector<Block> blocks_;
  Linear<Scalar, Backend> classifier_;
  Index classifier_offset_ = 0, embedding_size_ = 0;
  Relu<Scalar, Backend> relu_;

  Activations input_, input_dot_, logits_, logits_dot_;
  bool has_forward_ = false, has_tangent_ = false, has_input_dot_ = false, training_ = true;
  Activations grad_[2], grad_dot_[2];  // ping-pong buffers of the reverse sweep
};

/// ConvNet-3 of width 128 with instance norm and average pooling: the reference network.
template <class Scalar, class Backend = cpu::Backend>
using ConvNet3 = ConvNet<Scalar, 3, 128, norm::Instance, pool::Avg, Backend>;

}  // namespace distill

#include "distill/nn/conv_net_impl.hpp"

#endif  // DISTILL_NN_CONV_NET_HPP
