#ifndef DISTILL_METHODS_DISTRIBUTION_MATCHING_FORMATIONS_HPP
#define DISTILL_METHODS_DISTRIBUTION_MATCHING_FORMATIONS_HPP

#include <algorithm>
#include <string>

#include "distill/augment/multi_formation.hpp"
#include "distill/backend/cpu/backend.hpp"
#include "distill/core/tensor.hpp"
#include "distill/data/synthetic_set.hpp"

namespace distill {

/// Formation policies: how the stored synthetic images become the images a network sees.
/// A policy provides
///   Index tiles() const;                                   // trained images per stored image
///   ConstView<S> decode(ConstView<S> stored, Tensor<S>& work) const;   // for any scalar S
///   void decode_vjp(ConstView<S> grad_decoded, MutableView<S> grad_stored) const;
///   void encode(ConstView<S> full, MutableView<S> stored) const;      // initial images
///   void describe(SyntheticSet&) const;                    // what evaluation needs to decode

/// One stored image is one trained image (every method's default).
struct SingleFormation {
  Index tiles() const { return 1; }
  template <class Backend = cpu::Backend, class Scalar, class Space>
  ConstView<Scalar, Space> decode(ConstView<Scalar, Space> stored, Tensor<Scalar, Space>&) const {
    return stored;
  }
  template <class Backend = cpu::Backend, class Scalar, class Space>
  void decode_vjp(ConstView<Scalar, Space> grad_decoded, MutableView<Scalar, Space> grad_stored) const {
    check_shape(grad_stored.shape(), grad_decoded.shape(), "SingleFormation::decode_vjp");
    Backend::copy(grad_decoded.size(), grad_decoded.data(), grad_stored.data());
  }
  template <class Scalar>
  void encode(ConstView<Scalar> full, MutableView<Scalar> stored) const {
    check_shape(stored.shape(), full.shape(), "SingleFormation::encode");
    std::copy(full.data(), full.data() + full.size(), stored.data());
  }
  void describe(SyntheticSet& set) const { set.info.erase("formation_factor"); }
};

/// IDC's multi-formation (research distribution-matching §1.4): a stored image holds f×f tiles,
/// each decoded by bilinear up-sampling to full size, so IPC stored images train as IPC·f².
/// The initial tiles are box-shrunk real images (IDC's "mix" init).
class MultiFormation {
 public:
  explicit MultiFormation(Index factor = 2) : factor_(factor) {
    DISTILL_CHECK(factor >= 2, "MultiFormation: factor must be at least 2 (1 is SingleFormation), got " << factor);
  }
  Index factor() const { return factor_; }
  Index tiles() const { return factor_ * factor_; }
  /// Host memory takes the row-wise host decoding, any other space the backend's element
  /// kernels; both give the same bits.
  template <class Backend = cpu::Backend, class Scalar, class Space>
  ConstView<Scalar, Space> decode(ConstView<Scalar, Space> stored, Tensor<Scalar, Space>& work) const {
    work.resize(decoded_shape(stored.shape(), factor_));
    if constexpr (kHostAccessible<Space>)
      decode_formation(stored, factor_, work.view());
    else
      decode_formation<Backend>(stored, factor_, work.view());
    return work.cview();
  }
  template <class Backend = cpu::Backend, class Scalar, class Space>
  void decode_vjp(ConstView<Scalar, Space> grad_decoded, MutableView<Scalar, Space> grad_stored) const {
    if constexpr (kHostAccessible<Space>)
      decode_formation_vjp(grad_decoded, factor_, grad_stored);
    else
      decode_formation_vjp<Backend>(grad_decoded, factor_, grad_stored);
  }
  template <class Scalar>
  void encode(ConstView<Scalar> full, MutableView<Scalar> stored) const { encode_mosaic(full, factor_, stored); }
  void describe(SyntheticSet& set) const { set.info["formation_factor"] = std::to_string(factor_); }

 private:
  Index factor_;
};

}  // namespace distill

#endif  // DISTILL_METHODS_DISTRIBUTION_MATCHING_FORMATIONS_HPP
