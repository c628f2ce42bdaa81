#ifndef DISTILL_BENCH_FLOPS_HPP
#define DISTILL_BENCH_FLOPS_HPP

// The floating-point operations a workload must do, counted from the layer shapes of its
// ConvNet (convolutions and the classifier; normalisation, pooling, activations, augmentation
// and losses are not counted), and the rate they are compared with. `distill bench` prints
// gflops=… and gemm_fraction=…, the fraction of the same process's SGEMM rate (docs/performance.md).

#include <algorithm>
#include <vector>

#include <Eigen/Core>

#include "distill/core/tensor.hpp"
#include "distill/core/timer.hpp"
#include "distill/nn/conv_net.hpp"

namespace distill::bench {

/// One pass of every layer of a ConvNet over `batch` images: a 3×3 convolution with same
/// padding is 2·b·C_out·C_in·9·H·W multiply-adds counted as two operations (its forward, its
/// backward to the input and its backward to the weights each cost that), the classifier
/// 2·b·features·classes. Pooling halves H and W after every block.
struct ConvNetPass {
  std::vector<double> conv;  ///< per block
  double linear = 0;
  double conv_total() const {
    double s = 0;
    for (double c : conv) s += c;
    return s;
  }
};

inline ConvNetPass conv_net_pass(const ConvNetConfig& c, Index width, Index depth, Index batch, bool pooled = true) {
  ConvNetPass p;
  Index in = c.channels, h = c.height, w = c.width;
  for (Index d = 0; d < depth; ++d) {
    p.conv.push_back(2.0 * double(batch) * double(width) * double(in) * 9.0 * double(h) * double(w));
    in = width;
    if (pooled) h /= 2, w /= 2;
  }
  p.linear = 2.0 * double(batch) * double(width * h * w) * double(c.classes);
  return p;
}

/// A training step (and a step of the unroll's forward sweep, ∇θ of the inner loss): forward,
/// backward to every layer's weights, and backward to the input of every layer but the first.
inline double training_step_flops(const ConvNetPass& p) {
  return 3 * (p.conv_total() + p.linear) - p.conv.front();
}

/// A step of the exact unroll's reverse sweep (the Hessian-vector product by forward-over-
/// reverse, and the image gradient): forward (1), the tangent in θ̇ (W·ẋ + Ẇ·x: 2; the first
/// layer's ẋ is 0: 1), then the joint reverse sweep: ∇W (1) and its tangent (ġ ⊗ x + g ⊗ ẋ: 2;
/// first layer 1), the input gradient (1; the first layer's is not needed) and its tangent
/// (Wᵀġ + Ẇᵀg: 2, the first layer's is the images' gradient). So 9 passes a layer, 6 for the
/// first.
inline double exact_reverse_step_flops(const ConvNetPass& p) {
  return 9 * (p.conv_total() + p.linear) - 3 * p.conv.front();
}

/// A reverse-sweep step whose forward-sweep step was kept (Unroll::keep_within): the forward
/// convolutions, ∇W of every layer (the classifier's too) and the input gradients of the layers
/// but the first are taken from the kept pass, so 6 passes a layer, 4 for the first.
inline double kept_reverse_step_flops(const ConvNetPass& p) {
  return exact_reverse_step_flops(p) - (3 * p.conv_total() - p.conv.front() + p.linear);
}

/// One iteration of the exact unroll: N forward-sweep steps and N reverse-sweep steps on
/// `batch` images each, the first `kept` of them kept between the sweeps.
inline double exact_unroll_flops(const ConvNetConfig& c, Index width, Index depth, Index steps, Index batch,
                                 Index kept = 0) {
  const ConvNetPass p = conv_net_pass(c, width, depth, batch);
  return double(steps) * (training_step_flops(p) + exact_reverse_step_flops(p)) -
         double(kept) * (exact_reverse_step_flops(p) - kept_reverse_step_flops(p));
}

/// One class of distribution matching: the real batch's embeddings (forward to the features),
/// the synthetic batch's embeddings and their gradient back to the images (backward to the
/// input of every layer, no weights); with TGDD's constraint (cross-entropy under a second
/// network), the synthetic batch forward and back to the images once more, classifier included.
inline double distribution_matching_class_flops(const ConvNetConfig& c, Index width, Index depth, Index real,
                                                Index synthetic, bool constraint) {
  const ConvNetPass r = conv_net_pass(c, width, depth, real), s = conv_net_pass(c, width, depth, synthetic);
  double f = r.conv_total() + 2 * s.conv_total();
  if (constraint) f += 2 * (s.conv_total() + s.linear);
  return f;
}

/// One network of the evaluation protocol: `epochs` epochs of training steps over `images`
/// images in batches of `batch` (the last one partial, as train_network keeps it), then the
/// forward pass of `test_images` test images.
inline double evaluation_flops(const ConvNetConfig& c, Index width, Index depth, Index images, Index batch,
                               Index epochs, Index test_images) {
  double epoch = 0;
  for (Index first = 0; first < images; first += batch)
    epoch += training_step_flops(conv_net_pass(c, width, depth, std::min(batch, images - first)));
  const ConvNetPass t = conv_net_pass(c, width, depth, test_images);
  return double(epochs) * epoch + t.conv_total() + t.linear;
}

/// GFLOP/s of Eigen's single-precision GEMM of two n×n matrices on the current threads (the
/// best of seven after a warm-up: the machine's rate, not its noise): the one fixed reference
/// every gemm_fraction divides by.
inline double sgemm_gflops(Eigen::Index n = 2048) {
  Eigen::MatrixXf a = Eigen::MatrixXf::Random(n, n), b = Eigen::MatrixXf::Random(n, n), c(n, n);
  c.noalias() = a * b;
  double best = 0;
  for (int rep = 0; rep < 7; ++rep) {
    Timer t;
    c.noalias() = a * b;
    best = std::max(best, 2.0 * double(n) * double(n) * double(n) / t.seconds() / 1e9);
  }
  volatile float sink = c(0, 0);
  (void)sink;
  return best;
}

}  // namespace distill::bench

#endif  // DISTILL_BENCH_FLOPS_HPP
