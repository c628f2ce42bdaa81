#ifndef DISTILL_METHODS_TRAJECTORY_MATCHING_INNER_LOSS_HPP
#define DISTILL_METHODS_TRAJECTORY_MATCHING_INNER_LOSS_HPP

#include <vector>

#include "distill/backend/cpu/backend.hpp"
#include "distill/core/tensor.hpp"
#include "distill/losses/cross_entropy.hpp"
#include "distill/losses/sup_con.hpp"
#include "distill/methods/config/settings_table.hpp"

namespace distill {

/// The student's inner loss: cross-entropy on an augmented view of the minibatch, plus, for
/// Contrastive Fusion (DATM-CLR, docs/design.md §4), weight·L_con on the embeddings of two
/// independent augmented views of it (the cross-entropy uses the first view).
struct InnerLoss {
  bool fusion = setting_defaults::fusion;
  double fusion_weight = setting_defaults::fusion_weight;
  Contrast contrast = Contrast::kSupCon;
  double temperature = setting_defaults::temperature;
};

/// One inner step's loss as an output loss of hessian_vector_product (nn/hessian_vector.hpp):
/// CE on the first `batch` rows of the logits against hard labels or, when `label_logits` is
/// non-empty, soft labels; with fusion, weight·L_con on all rows of the embedding. The tangent
/// pass also gives the label mixed product h_u = ∂/∂u ⟨∇θℓ, v⟩ into `h_u` (soft labels only).
/// Everything, the labels included, lives in the Backend's memory, and forward leaves the
/// value there (kValues doubles at `values`; value() makes the loss of them on the host), so a
/// step waits for nothing: the unroll reads all its steps' values back at once.
template <class Scalar, class Backend = cpu::Backend>
struct InnerObjective {
  using Space = typename Backend::memory_space;
  /// CE's raw sum, L_con's raw sum and L_con's zero embedding rows.
  static constexpr Index kValues = 3;

  const InnerLoss& config;
  CrossEntropy<Scalar, Backend>& ce;
  ContrastiveLoss<Scalar, Backend>& contrastive;
  const int* labels;                      ///< [batch] hard labels of the first view
  Index anchors;                          ///< L_con's anchors (contrastive_anchors; fusion only)
  ConstView<Scalar, Space> label_logits;  ///< [batch, K] soft labels, or empty
  Index batch;
  Tensor<Scalar, Space>& h_u;
  double* values;  ///< kValues doubles
  Shape logits_shape{}, embedding_shape{};

  bool uses_embedding() const { return config.fusion; }

  /// The step's loss from its kValues values (host copies).
  static Scalar value(const InnerLoss& config, const double* v, Index batch, Index anchors) {
    Scalar loss = CrossEntropy<Scalar, Backend>::loss_from(v[0], batch);
    if (config.fusion) loss += Scalar(config.fusion_weight) * static_cast<Scalar>(v[1] / double(anchors));
    return loss;
  }

  template <class Outputs>
  void forward(const Outputs& out) {
    logits_shape = out.logits.shape();
    embedding_shape = out.embedding.shape();
    const ConstView<Scalar, Space> first = out.logits.samples(0, batch);
    if (label_logits.empty())
      ce.evaluate(first, labels, values);
    else
      ce.evaluate(first, label_logits, values);
    if (config.fusion) contrastive.evaluate(out.embedding, labels, batch, anchors, values + 1);
  }

  template <class Work>
  void backward(Work& w) {
    // The other view's logits get no gradient.
    w.g_logits.resize(logits_shape);
    w.g_logits.set_zero();
    ce.backward(w.g_logits.view().samples(0, batch));
    if (!config.fusion) return;
    w.g_embedding.resize(embedding_shape);
    contrastive.backward(w.g_embedding);
    Backend::scal(w.g_embedding.size(), Scalar(config.fusion_weight), w.g_embedding.data());
  }

  template <class Outputs, class Work>
  void backward_tangent(const Outputs& tan, Work& w) {
    w.g_logits_dot.resize(logits_shape);
    w.g_logits_dot.set_zero();
    const ConstView<Scalar, Space> first = tan.logits.samples(0, batch);
    ce.backward_tangent(first, {}, w.g_logits_dot.view().samples(0, batch));
    if (config.fusion) {
      w.g_embedding_dot.resize(embedding_shape);
      contrastive.backward_tangent(tan.embedding, w.g_embedding_dot);
      Backend::scal(w.g_embedding_dot.size(), Scalar(config.fusion_weight), w.g_embedding_dot.data());
    }
    if (!label_logits.empty()) {
      h_u.resize(label_logits.shape());
      ce.label_mixed_product(first, h_u);
    }
  }
};

}  // namespace distill

#endif  // DISTILL_METHODS_TRAJECTORY_MATCHING_INNER_LOSS_HPP
