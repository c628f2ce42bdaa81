#include "distill/data/zca_backend.hpp"

#include <catch2/catch.hpp>

#include <cstring>

#include "distill/backend/cpu/backend.hpp"
#include "distill/core/rng.hpp"

// fit_zca and apply_zca run the device algorithm (chunks uploaded, centred and multiplied by
// the backend's GEMM); on cpu::Backend they must give ZcaWhitening's own fit and apply up to
// the rounding of the products, which is what lets the CUDA tests compare the GPU to the CPU.

using namespace distill;

namespace {

// Images with correlated pixels (a random mixing of a few hundred Gaussian samples).
template <class Scalar>
Tensor<Scalar> mixed_images(const Shape& shape, std::uint64_t seed) {
  const Index d = shape.sample_size();
  Rng rng(seed);
  Eigen::MatrixXd a(d, d);
  for (Index i = 0; i < a.size(); ++i) a(i) = rng.normal() * (1.0 + double(i % d) / double(d));
  Tensor<Scalar> t(shape);
  Vector<double> z(d);
  for (Index n = 0; n < shape.n; ++n) {
    for (Index i = 0; i < d; ++i) z[i] = rng.normal();
    const Vector<double> x = a * z;
    for (Index i = 0; i < d; ++i) t.view().sample(n)[i] = Scalar(0.5 + 0.1 * x[i]);
  }
  return t;
}

template <class M>
double rel(const M& a, const M& b) {
  return double((a - b).norm()) / double(b.norm());
}

}  // namespace

TEMPLATE_TEST_CASE("fit_zca on cpu::Backend equals ZcaWhitening::fit, across chunks", "[data][zca]", float,
                   double) {
  using T = TestType;
  const double tol = sizeof(T) == 4 ? 1e-5 : 1e-10;
  // More samples than one fit chunk (1,024), so Σ is summed over several chunks.
  const Tensor<T> x = mixed_images<T>({1500, 3, 3, 3}, 1);
  const ZcaWhitening<T> host(x.cview(), 0.1);
  const ZcaWhitening<T> chunked = fit_zca<cpu::Backend>(x.cview(), 0.1);
  REQUIRE(chunked.dim() == 27);
  CHECK(chunked.eps() == 0.1);
  CHECK(std::memcmp(chunked.mean().data(), host.mean().data(), sizeof(T) * 27) == 0);  // the same host mean
  CHECK(rel(chunked.transform(), host.transform()) <= tol);
  CHECK(rel(chunked.inverse(), host.inverse()) <= tol);
  CHECK(rel(chunked.eigenvalues(), host.eigenvalues()) <= 1e-10);

  // apply_zca in chunks of 4,096: more images than one chunk.
  Tensor<T> a = mixed_images<T>({5000, 3, 3, 3}, 2), b = a;
  host.apply(a.view());
  apply_zca<cpu::Backend>(host, b.view());
  CHECK(rel(b.cview().cvec(), a.cview().cvec()) <= (sizeof(T) == 4 ? 1e-6 : 1e-13));
}

TEST_CASE("fit_zca and apply_zca reject bad input with a clear error", "[data][zca]") {
  const Tensor<double> one = mixed_images<double>({1, 3, 2, 2}, 3);
  CHECK_THROWS_WITH(fit_zca<cpu::Backend>(one.cview()), Catch::Contains("at least 2"));
  const Tensor<double> x = mixed_images<double>({50, 3, 2, 2}, 4);
  CHECK_THROWS_WITH(fit_zca<cpu::Backend>(x.cview(), -1.0), Catch::Contains("eps"));
  Tensor<double> y = x;
  CHECK_THROWS_WITH(apply_zca<cpu::Backend>(ZcaWhitening<double>(), y.view()), Catch::Contains("not fitted"));
  const ZcaWhitening<double> z = fit_zca<cpu::Backend>(x.cview());
  Tensor<double> wrong({4, 1, 2, 2});
  CHECK_THROWS_WITH(apply_zca<cpu::Backend>(z, wrong.view()), Catch::Contains("values each, the transform 12"));
}

TEST_CASE("apply_preprocessing on the host is Preprocessing::apply", "[data][zca]") {
  const Tensor<float> x = mixed_images<float>({40, 3, 2, 2}, 5);
  for (const Preprocessing<float>& p :
       {Preprocessing<float>::none(), Preprocessing<float>::normalize(cifar10_mean_std()),
        Preprocessing<float>::whiten(ZcaWhitening<float>(x.cview(), 0.1))}) {
    Tensor<float> a = x, b = x;
    p.apply(a.view());
    apply_preprocessing<cpu::Backend>(p, b.view());
    CHECK(std::memcmp(a.data(), b.data(), sizeof(float) * std::size_t(a.size())) == 0);
  }
}
