#ifndef DISTILL_METHODS_INNER_LOSS_HPP
#define DISTILL_METHODS_INNER_LOSS_HPP

#include <vector>

#include "distill/backend/cpu/backend.hpp"
#include "distill/core/tensor.hpp"
#include "distill/losses/cross_entropy.hpp"
#include "distill/losses/sup_con.hpp"

namespace distill {

/// The student's inner loss: cross-entropy on an augmented view of the minibatch, plus, for
/// Contrastive Fusion (DATM-CLR, docs/design.md §4), weight·L_con on the embeddings of two
/// independent augmented views of it (the cross-entropy uses the first view).
struct InnerLoss {
  bool fusion = false;
  double fusion_weight = 0.1;
  Contrast contrast = Contrast::kSupCon;
  double temperature = 0.1;
};

/// One inner step's loss as an output loss of hessian_vector_product (nn/hessian_vector.hpp):
/// CE on the first `batch` rows of the logits against hard labels or, when `label_logits` is
/// non-empty, soft labels; with fusion, weight·L_con on all rows of the embedding. The tangent
/// pass also gives the label mixed product h_u = ∂/∂u ⟨∇θℓ, v⟩ into `h_u` (soft labels only).
/// Every tensor lives in the Backend's memory; the labels are host memory (the losses upload
/// them).
template <class Scalar, class Backend = cpu::Backend>
struct InnerObjective {
  using Space = typename Backend::memory_space;
  const InnerLoss& config;
  CrossEntropy<Scalar, Backend>& ce;
  ContrastiveLoss<Scalar, Backend>& contrastive;
  const std::vector<int>& labels;         ///< hard labels of the first view
  ConstView<Scalar, Space> label_logits;  ///< [batch, K] soft labels, or empty
  Index batch;
  Tensor<Scalar, Space>& h_u;
  std::vector<int>& view_labels;  ///< workspace: the labels of every view's rows
  Shape logits_shape{}, embedding_shape{};

  bool uses_embedding() const { return config.fusion; }

  template <class Outputs>
  Scalar forward(const Outputs& out) {
    logits_shape = out.logits.shape();
    embedding_shape = out.embedding.shape();
    const ConstView<Scalar, Space> first = out.logits.samples(0, batch);
    Scalar loss = label_logits.empty() ? ce.forward(first, labels) : ce.forward(first, label_logits);
    if (config.fusion) {
      view_labels.assign(labels.begin(), labels.end());
      loss += Scalar(config.fusion_weight) * contrastive.forward(out.embedding, view_labels);
    }
    return loss;
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

#endif  // DISTILL_METHODS_INNER_LOSS_HPP
