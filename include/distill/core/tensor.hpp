#ifndef DISTILL_CORE_TENSOR_HPP
#define DISTILL_CORE_TENSOR_HPP

#include <algorithm>
#include <type_traits>
#include <vector>  // users of tensors rely on it

#include <Eigen/Core>

#include "distill/core/memory.hpp"
#include "distill/core/shape.hpp"

namespace distill {

/// Flat vector type used for parameters, tangents and gradients.
template <class Scalar>
using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;

/// Non-owning view of a contiguous NCHW tensor in memory space `Space`. `T` may be
/// const-qualified. An empty view (null data) stands for "zero" where a pass takes an optional
/// tangent. Element access from host code needs a host-accessible space; shapes, sub-views and
/// pointers work in every space.
template <class T, class Space = HostSpace>
class TensorView {
 public:
  using value_type = std::remove_const_t<T>;
  using memory_space = Space;

  TensorView() = default;
  TensorView(T* data, const Shape& shape) : data_(data), shape_(shape) {}
  /// A view of a mutable tensor converts to a view of a const one.
  template <class U, class = std::enable_if_t<std::is_same<const U, T>::value &&
                                              !std::is_same<U, T>::value>>
  TensorView(const TensorView<U, Space>& other) : data_(other.data()), shape_(other.shape()) {}

  T* data() const { return data_; }
  const Shape& shape() const { return shape_; }
  Index size() const { return shape_.size(); }
  bool empty() const { return data_ == nullptr; }

  T& operator[](Index i) const {
    static_assert(kHostAccessible<Space>, "TensorView: element access needs host memory");
    return data_[i];
  }
  T& operator()(Index n, Index c, Index h, Index w) const {
    static_assert(kHostAccessible<Space>, "TensorView: element access needs host memory");
    return data_[((n * shape_.c + c) * shape_.h + h) * shape_.w + w];
  }
  /// Pointer to sample n.
  T* sample(Index n) const { return data_ + n * shape_.sample_size(); }
  /// Samples [first, first + count) as a view.
  TensorView samples(Index first, Index count) const {
    return TensorView(sample(first), Shape(count, shape_.c, shape_.h, shape_.w));
  }
  /// The same memory seen with another shape of the same size.
  TensorView reshaped(const Shape& s) const {
    DISTILL_CHECK(s.size() == shape_.size(),
                  "reshape: cannot view " << shape_ << " as " << s << " (sizes differ)");
    return TensorView(data_, s);
  }
  Eigen::Map<Eigen::Matrix<value_type, Eigen::Dynamic, 1>> vec() const {
    static_assert(!std::is_const<T>::value, "vec() on a const view: use cvec()");
    static_assert(kHostAccessible<Space>, "TensorView::vec: Eigen maps need host memory");
    return {data_, shape_.size()};
  }
  Eigen::Map<const Eigen::Matrix<value_type, Eigen::Dynamic, 1>> cvec() const {
    static_assert(kHostAccessible<Space>, "TensorView::cvec: Eigen maps need host memory");
    return {data_, shape_.size()};
  }

 private:
  T* data_ = nullptr;
  Shape shape_{};
};

template <class Scalar, class Space = HostSpace>
using ConstView = TensorView<const Scalar, Space>;
template <class Scalar, class Space = HostSpace>
using MutableView = TensorView<Scalar, Space>;

/// Owning contiguous NCHW tensor in memory space `Space` (host by default). `resize` reuses
/// capacity, so a tensor used as a workspace stops allocating once it has seen its largest
/// shape; growing keeps the old elements and zeroes the new ones.
template <class Scalar, class Space = HostSpace>
class Tensor {
  static_assert(std::is_floating_point<Scalar>::value, "Tensor<Scalar>: Scalar must be float or double");

 public:
  using memory_space = Space;

  Tensor() = default;
  /// Filled with `fill` (host memory) or zero (any space).
  explicit Tensor(const Shape& shape, Scalar fill = Scalar(0)) {
    resize(shape);
    if constexpr (kHostAccessible<Space>) {
      if (fill != Scalar(0)) {
        set_constant(fill);
        return;
      }
    } else {
      DISTILL_CHECK(fill == Scalar(0), "Tensor: a tensor in " << Space::name
                                                              << " memory starts at zero; fill it through the backend");
    }
    set_zero();
  }

  void resize(const Shape& shape) {
    storage_.reserve(static_cast<std::size_t>(shape.size()));
    shape_ = shape;
  }
  void resize(const Shape& shape, Scalar fill) {
    resize(shape);
    set_constant(fill);
  }
  void set_zero() {
    if constexpr (kHostAccessible<Space>) {
      set_constant(Scalar(0));
    } else {
      Space::zero(data(), static_cast<std::size_t>(size()) * sizeof(Scalar));
    }
  }
  void set_constant(Scalar v) {
    static_assert(kHostAccessible<Space>, "Tensor::set_constant needs host memory (use the backend's fill)");
    std::fill(data(), data() + size(), v);
  }

  Scalar* data() { return storage_.data(); }
  const Scalar* data() const { return storage_.data(); }
  const Shape& shape() const { return shape_; }
  Index size() const { return shape_.size(); }

  Scalar& operator[](Index i) { return view()[i]; }
  Scalar operator[](Index i) const { return view()[i]; }
  Scalar& operator()(Index n, Index c, Index h, Index w) { return view()(n, c, h, w); }
  Scalar operator()(Index n, Index c, Index h, Index w) const { return view()(n, c, h, w); }

  TensorView<Scalar, Space> view() { return {data(), shape_}; }
  TensorView<const Scalar, Space> view() const { return {data(), shape_}; }
  TensorView<const Scalar, Space> cview() const { return {data(), shape_}; }
  operator TensorView<Scalar, Space>() { return view(); }
  operator TensorView<const Scalar, Space>() const { return cview(); }

  /// Host iteration over the elements.
  Scalar* begin() {
    static_assert(kHostAccessible<Space>, "Tensor::begin needs host memory");
    return data();
  }
  Scalar* end() { return begin() + size(); }
  const Scalar* begin() const {
    static_assert(kHostAccessible<Space>, "Tensor::begin needs host memory");
    return data();
  }
  const Scalar* end() const { return begin() + size(); }

  Eigen::Map<Vector<Scalar>> vec() {
    static_assert(kHostAccessible<Space>, "Tensor::vec: Eigen maps need host memory");
    return {data(), size()};
  }
  Eigen::Map<const Vector<Scalar>> vec() const {
    static_assert(kHostAccessible<Space>, "Tensor::vec: Eigen maps need host memory");
    return {data(), size()};
  }

 private:
  detail::Buffer<Scalar, Space> storage_;
  Shape shape_{};
};

/// The parameter vector of a network on a backend: an Eigen vector in host memory, a
/// [P, 1] tensor in any other space (both have data() and size()).
template <class Scalar, class Space>
using ParamVectorIn = std::conditional_t<kHostAccessible<Space>, Vector<Scalar>, Tensor<Scalar, Space>>;

}  // namespace distill

#endif  // DISTILL_CORE_TENSOR_HPP
