#ifndef DISTILL_CORE_TENSOR_HPP
#define DISTILL_CORE_TENSOR_HPP

#include <algorithm>
#include <type_traits>
#include <vector>

#include <Eigen/Core>

#include "distill/core/shape.hpp"

namespace distill {

/// Flat vector type used for parameters, tangents and gradients.
template <class Scalar>
using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;

/// Non-owning view of a contiguous NCHW tensor. `T` may be const-qualified.
/// An empty view (null data) stands for "zero" where a pass takes an optional tangent.
template <class T>
class TensorView {
 public:
  using value_type = std::remove_const_t<T>;

  TensorView() = default;
  TensorView(T* data, const Shape& shape) : data_(data), shape_(shape) {}
  /// A view of a mutable tensor converts to a view of a const one.
  template <class U, class = std::enable_if_t<std::is_same<const U, T>::value &&
                                              !std::is_same<U, T>::value>>
  TensorView(const TensorView<U>& other) : data_(other.data()), shape_(other.shape()) {}

  T* data() const { return data_; }
  const Shape& shape() const { return shape_; }
  Index size() const { return shape_.size(); }
  bool empty() const { return data_ == nullptr; }

  T& operator[](Index i) const { return data_[i]; }
  T& operator()(Index n, Index c, Index h, Index w) const {
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
    return {data_, shape_.size()};
  }
  Eigen::Map<const Eigen::Matrix<value_type, Eigen::Dynamic, 1>> cvec() const {
    return {data_, shape_.size()};
  }

 private:
  T* data_ = nullptr;
  Shape shape_{};
};

template <class Scalar>
using ConstView = TensorView<const Scalar>;
template <class Scalar>
using MutableView = TensorView<Scalar>;

/// Owning contiguous NCHW tensor. `resize` reuses capacity, so a tensor used as a workspace
/// stops allocating once it has seen its largest shape.
template <class Scalar>
class Tensor {
  static_assert(std::is_floating_point<Scalar>::value, "Tensor<Scalar>: Scalar must be float or double");

 public:
  Tensor() = default;
  explicit Tensor(const Shape& shape, Scalar fill = Scalar(0)) { resize(shape, fill); }

  void resize(const Shape& shape) {
    if (static_cast<std::size_t>(shape.size()) > storage_.size()) storage_.resize(shape.size());
    shape_ = shape;
  }
  void resize(const Shape& shape, Scalar fill) {
    resize(shape);
    set_constant(fill);
  }
  void set_zero() { set_constant(Scalar(0)); }
  void set_constant(Scalar v) { std::fill(data(), data() + size(), v); }

  Scalar* data() { return storage_.data(); }
  const Scalar* data() const { return storage_.data(); }
  const Shape& shape() const { return shape_; }
  Index size() const { return shape_.size(); }

  Scalar& operator[](Index i) { return storage_[i]; }
  Scalar operator[](Index i) const { return storage_[i]; }
  Scalar& operator()(Index n, Index c, Index h, Index w) { return view()(n, c, h, w); }
  Scalar operator()(Index n, Index c, Index h, Index w) const { return view()(n, c, h, w); }

  TensorView<Scalar> view() { return {data(), shape_}; }
  TensorView<const Scalar> view() const { return {data(), shape_}; }
  TensorView<const Scalar> cview() const { return {data(), shape_}; }
  operator TensorView<Scalar>() { return view(); }
  operator TensorView<const Scalar>() const { return cview(); }

  Eigen::Map<Vector<Scalar>> vec() { return {data(), size()}; }
  Eigen::Map<const Vector<Scalar>> vec() const { return {data(), size()}; }

 private:
  std::vector<Scalar, Eigen::aligned_allocator<Scalar>> storage_;
  Shape shape_{};
};

}  // namespace distill

#endif  // DISTILL_CORE_TENSOR_HPP
