#ifndef DISTILL_DATA_ZCA_BACKEND_HPP
#define DISTILL_DATA_ZCA_BACKEND_HPP

// ZCA whitening's two large products on a backend: on a GPU, cuBLAS (DGEMM for the covariance,
// SGEMM for the transform). CIFAR-10's fit is 2·50,000·3072² ≈ 0.94 TFLOP in double and its
// application to both splits 1.1 TFLOP; the eigendecomposition of the 3072×3072 Σ stays on the
// host (Eigen, in double), as in ZcaWhitening::fit.

#include <algorithm>
#include <cmath>
#include <utility>

#include <Eigen/Core>

#include "distill/backend/backend.hpp"
#include "distill/core/macros.hpp"
#include "distill/core/tensor.hpp"
#include "distill/data/preprocess.hpp"
#include "distill/data/zca.hpp"

namespace distill {
namespace detail {

/// out[i] = x[i] − μ[i mod D], in the output's type: centres D×m samples, one per column.
template <class In, class Out>
struct ZcaCentreElement {
  Index d;
  const In* x;
  const Out* mean;
  Out* out;
  DISTILL_HOST_DEVICE void operator()(Index i) const { out[i] = Out(x[i]) - mean[i % d]; }
};

}  // namespace detail

/// ZcaWhitening::fit with Σ accumulated on `Backend`: chunks of ZcaWhitening::kFitChunk samples
/// are uploaded, centred in double there and added into Σ by one full GEMM each (C·Cᵀ), then Σ
/// comes back for the eigendecomposition. μ is the host's sample_mean. The result equals fit's
/// up to the rounding of the products (fit sums Σ's lower triangle in column blocks); the CPU
/// tests hold it to that on cpu::Backend, the CUDA tests on the GPU.
template <class Backend, class Scalar>
ZcaWhitening<Scalar> fit_zca(ConstView<Scalar> images, double eps = 0.1) {
  using Space = typename Backend::memory_space;
  const Shape shape = images.shape();
  const Index n = shape.n, d = shape.sample_size();
  DISTILL_CHECK(!images.empty() && n >= 2 && d > 0, "fit_zca: need at least 2 non-empty images, got " << shape);
  DISTILL_CHECK(eps >= 0 && std::isfinite(eps), "fit_zca: eps must be finite and non-negative, got " << eps);
  const Vector<double> mean = ZcaWhitening<Scalar>::sample_mean(images);
  const Index chunk = std::min(ZcaWhitening<Scalar>::kFitChunk, n);
  Tensor<double, Space> mean_d(Shape(d, 1)), cov_d(Shape(d, d)), centred(Shape(chunk, d));
  Tensor<Scalar, Space> x(Shape(chunk, d));
  Backend::copy_from_host(d, mean.data(), mean_d.data());
  for (Index first = 0; first < n; first += chunk) {
    const Index m = std::min(chunk, n - first);
    Backend::copy_from_host(m * d, images.sample(first), x.data());
    Backend::for_each(m * d, detail::ZcaCentreElement<Scalar, double>{d, x.data(), mean_d.data(), centred.data()});
    Backend::gemm(Op::N, Op::T, d, d, m, 1.0, centred.data(), d, centred.data(), d, 1.0, cov_d.data(), d);
  }
  Eigen::MatrixXd cov(d, d);
  Backend::copy_to_host(d * d, cov_d.data(), cov.data());
  cov /= double(n - 1);
  return ZcaWhitening<Scalar>::from_covariance(mean, std::move(cov), eps);
}

/// ZcaWhitening::apply on `Backend`: T and μ uploaded once, then each chunk of samples is
/// uploaded, centred and multiplied (y = Tᵀ(x − μ)) there and brought back in place.
template <class Backend, class Scalar>
void apply_zca(const ZcaWhitening<Scalar>& zca, MutableView<Scalar> images) {
  using Space = typename Backend::memory_space;
  DISTILL_CHECK(zca.fitted(), "apply_zca: the transform is not fitted");
  const Index n = images.shape().n, d = zca.dim();
  DISTILL_CHECK(images.shape().sample_size() == d, "apply_zca: images " << images.shape() << " have "
                                                                        << images.shape().sample_size()
                                                                        << " values each, the transform " << d);
  if (n == 0 || images.empty()) return;
  // 4,096 CIFAR images are 48 MB a buffer: large products, little memory.
  constexpr Index kChunk = 4096;
  const Index chunk = std::min(kChunk, n);
  Tensor<Scalar, Space> transform(Shape(d, d)), mean(Shape(d, 1)), x(Shape(chunk, d)), centred(Shape(chunk, d));
  Backend::copy_from_host(d * d, zca.transform().data(), transform.data());
  Backend::copy_from_host(d, zca.mean().data(), mean.data());
  for (Index first = 0; first < n; first += chunk) {
    const Index m = std::min(chunk, n - first);
    Backend::copy_from_host(m * d, images.sample(first), x.data());
    Backend::for_each(m * d, detail::ZcaCentreElement<Scalar, Scalar>{d, x.data(), mean.data(), centred.data()});
    Backend::gemm(Op::T, Op::N, d, m, d, Scalar(1), transform.data(), d, centred.data(), d, Scalar(0), x.data(), d);
    Backend::copy_to_host(m * d, x.data(), images.sample(first));
  }
}

/// Preprocessing::apply with ZCA's product on `Backend`; on the host, and for the per-channel
/// kinds (a multiply-add a pixel), Preprocessing::apply itself.
template <class Backend, class Scalar>
void apply_preprocessing(const Preprocessing<Scalar>& preprocessing, MutableView<Scalar> images) {
  if constexpr (!kHostAccessible<typename Backend::memory_space>) {
    if (preprocessing.kind == PreprocessKind::kZca) return apply_zca<Backend>(preprocessing.zca, images);
  }
  preprocessing.apply(images);
}

}  // namespace distill

#endif  // DISTILL_DATA_ZCA_BACKEND_HPP
