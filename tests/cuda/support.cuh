#ifndef DISTILL_TESTS_CUDA_SUPPORT_CUH
#define DISTILL_TESTS_CUDA_SUPPORT_CUH

// Moving test data between the CPU and the GPU, and the tolerances of the parity tests: the
// GPU runs on the same inputs as the CPU backend and must agree within kTol<T> (relative, over
// the whole tensor).

#include <cmath>
#include <vector>

#include "distill/backend/cuda/backend.hpp"
#include "distill/core/tensor.hpp"
#include "support/gradcheck.hpp"

namespace distill::test {

using cuda::DeviceSpace;
template <class T>
using DeviceTensor = Tensor<T, DeviceSpace>;

/// The parity tolerances of the issue: 1e-4 in float, 1e-10 in double (relative).
template <class T>
inline constexpr double kTol = sizeof(T) == 4 ? 1e-4 : 1e-10;

template <class T>
DeviceTensor<T> to_device(const Tensor<T>& h) {
  DeviceTensor<T> d(h.shape());
  cuda::Backend::copy_from_host(h.size(), h.data(), d.data());
  return d;
}
template <class T>
DeviceTensor<T> to_device(const std::vector<T>& h) {
  DeviceTensor<T> d(Shape(Index(h.size()), 1));
  cuda::Backend::copy_from_host(Index(h.size()), h.data(), d.data());
  return d;
}
template <class T>
std::vector<T> to_host(const T* device, Index n) {
  std::vector<T> h(static_cast<std::size_t>(n));
  cuda::Backend::copy_to_host(n, device, h.data());
  return h;
}
template <class T>
std::vector<T> to_host(const DeviceTensor<T>& d) {
  return to_host(d.data(), d.size());
}
template <class T, class Space>
std::vector<T> host_copy(const TensorView<const T, Space>& v) {
  if constexpr (kHostAccessible<Space>) {
    return std::vector<T>(v.data(), v.data() + v.size());
  } else {
    return to_host(v.data(), v.size());
  }
}

/// A random host tensor of shape s with values in (−scale, scale).
template <class T>
Tensor<T> random_tensor(const Shape& s, std::uint64_t seed, double scale = 1.0) {
  const Vec v = random_vec(s.size(), seed, scale);
  Tensor<T> t(s);
  for (Index i = 0; i < s.size(); ++i) t[i] = T(v[std::size_t(i)]);
  return t;
}
template <class T>
std::vector<T> random_values(Index n, std::uint64_t seed, double scale = 1.0) {
  const Vec v = random_vec(n, seed, scale);
  return std::vector<T>(v.begin(), v.end());
}

/// ‖a − b‖ / max(‖b‖, tiny), computed in double.
template <class A, class B>
double rel_error(const A& a, const B& b) {
  REQUIRE(a.size() == b.size());
  double num = 0, den = 0;
  for (std::size_t i = 0; i < std::size_t(a.size()); ++i) {
    const double d = double(a[i]) - double(b[i]);
    num += d * d;
    den += double(b[i]) * double(b[i]);
  }
  return std::sqrt(num) / std::max(std::sqrt(den), 1e-300);
}

}  // namespace distill::test

#endif  // DISTILL_TESTS_CUDA_SUPPORT_CUH
