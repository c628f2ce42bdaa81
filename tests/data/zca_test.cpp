#include "distill/data/zca.hpp"

#include <Eigen/Eigenvalues>
#include <catch2/catch.hpp>

#include "distill/core/rng.hpp"

using namespace distill;
using Catch::Matchers::WithinAbs;
using MatrixD = Eigen::MatrixXd;

namespace {

// Correlated Gaussian data x = μ + z·A with per-direction scales spread over three decades, so
// ε = 0.1 damps some directions strongly and others hardly at all.
template <class Scalar>
Tensor<Scalar> correlated_images(const Shape& shape, std::uint64_t seed) {
  const Index d = shape.sample_size();
  Rng rng(seed);
  MatrixD a(d, d);
  for (Index i = 0; i < a.size(); ++i) a(i) = rng.normal();
  for (Index r = 0; r < d; ++r) a.row(r) *= std::pow(10.0, -1.5 + 3.0 * double(r) / double(d - 1));
  Vector<double> mu(d);
  for (Index i = 0; i < d; ++i) mu[i] = rng.uniform(0.2, 0.8);
  Tensor<Scalar> t(shape);
  Vector<double> z(d);
  for (Index n = 0; n < shape.n; ++n) {
    for (Index i = 0; i < d; ++i) z[i] = rng.normal();
    const Vector<double> x = mu + a.transpose() * z;
    for (Index i = 0; i < d; ++i) t.view().sample(n)[i] = Scalar(x[i]);
  }
  return t;
}

// Rows are samples (N×D), as kornia flattens them.
template <class Scalar>
MatrixD as_rows(const Tensor<Scalar>& t) {
  const Index n = t.shape().n, d = t.shape().sample_size();
  return Eigen::Map<const Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
             t.data(), n, d)
      .template cast<double>();
}

// Unbiased covariance of the rows, computed the plain way.
MatrixD covariance(const MatrixD& rows) {
  const MatrixD centred = rows.rowwise() - rows.colwise().mean();
  return centred.transpose() * centred / double(rows.rows() - 1);
}

double max_abs(const MatrixD& m) { return m.cwiseAbs().maxCoeff(); }

// Largest |difference| relative to the largest |value| of `expected`.
template <class Scalar>
double relative_error(const Tensor<Scalar>& actual, const Tensor<Scalar>& expected) {
  return double((actual.vec() - expected.vec()).cwiseAbs().maxCoeff()) /
         double(expected.vec().cwiseAbs().maxCoeff());
}

}  // namespace

TEST_CASE("ZcaWhitening: with eps 0 the fitted data comes out white", "[data][zca][cpu]") {
  // N = 2000 spans two fit chunks (1024 samples each), the second one partial.
  Tensor<double> x = correlated_images<double>(Shape(2000, 3, 2, 2), 1);
  ZcaWhitening<double> zca(x.cview(), 0.0);
  REQUIRE(zca.fitted());
  CHECK(zca.dim() == 12);
  CHECK(zca.eps() == 0.0);
  zca.apply(x.view());
  const MatrixD y = as_rows(x);
  CHECK(max_abs(y.colwise().mean()) < 1e-12);
  CHECK(max_abs(covariance(y) - MatrixD::Identity(12, 12)) < 1e-9);
}

TEST_CASE("ZcaWhitening: with eps > 0 the covariance is U·diag(S/(S+eps))·Uᵀ",
          "[data][zca][cpu]") {
  const double eps = 0.1;
  Tensor<double> x = correlated_images<double>(Shape(2000, 3, 2, 2), 2);
  const MatrixD rows = as_rows(x);
  const Eigen::SelfAdjointEigenSolver<MatrixD> es(covariance(rows));
  const MatrixD& u = es.eigenvectors();
  const Vector<double>& s = es.eigenvalues();
  // The spectrum straddles eps, so the check is not trivially the identity.
  REQUIRE(s.minCoeff() < 0.1 * eps);
  REQUIRE(s.maxCoeff() > 10 * eps);

  ZcaWhitening<double> zca(x.cview(), eps);
  CHECK(max_abs(zca.eigenvalues() - s) < 1e-10 * s.maxCoeff());
  const Vector<double> inv_root = (s.array() + eps).rsqrt().matrix();
  CHECK(max_abs(zca.transform() - u * inv_root.asDiagonal() * u.transpose()) < 1e-10);
  CHECK(max_abs(zca.inverse() - u * inv_root.cwiseInverse().asDiagonal() * u.transpose()) < 1e-10);
  CHECK(max_abs(zca.transform() * zca.inverse() - MatrixD::Identity(12, 12)) < 1e-10);
  CHECK(max_abs(zca.mean() - rows.colwise().mean().transpose()) < 1e-14);

  zca.apply(x.view());
  const Vector<double> ratio = s.cwiseQuotient((s.array() + eps).matrix());
  CHECK(max_abs(covariance(as_rows(x)) - u * ratio.asDiagonal() * u.transpose()) < 1e-10);
}

TEST_CASE("ZcaWhitening: transform is symmetric and invert undoes apply", "[data][zca][cpu]") {
  Tensor<double> x = correlated_images<double>(Shape(300, 3, 2, 2), 3);
  const Tensor<double> original = x;
  ZcaWhitening<double> zca(x.cview());
  CHECK(zca.eps() == 0.1);
  CHECK(zca.transform() == zca.transform().transpose());
  CHECK(zca.inverse() == zca.inverse().transpose());
  zca.apply(x.view());
  CHECK((x.vec() - original.vec()).cwiseAbs().maxCoeff() > 0.1);
  zca.invert(x.view());
  // Rounding grows with κ(T) = √((S_max + ε)/ε), several tens for this data.
  CHECK_THAT(relative_error(x, original), WithinAbs(0.0, 1e-13));

  // Any number of images, including one and more than one apply chunk (256).
  Tensor<double> more = correlated_images<double>(Shape(600, 3, 2, 2), 4);
  const Tensor<double> more_original = more;
  zca.apply(more.view());
  const MatrixD expected =
      (as_rows(more_original).rowwise() - zca.mean().transpose()) * zca.transform();
  CHECK(max_abs(as_rows(more) - expected) < 1e-12 * max_abs(expected));
  zca.invert(more.view());
  CHECK_THAT(relative_error(more, more_original), WithinAbs(0.0, 1e-13));
}

TEST_CASE("ZcaWhitening: float images round-trip and match the double fit", "[data][zca][cpu]") {
  Tensor<float> x = correlated_images<float>(Shape(1500, 3, 2, 2), 5);
  Tensor<double> xd(x.shape());
  for (Index i = 0; i < x.size(); ++i) xd[i] = double(x[i]);
  const Tensor<float> original = x;
  const ZcaWhitening<float> zf(x.cview(), 0.1);
  const ZcaWhitening<double> zd(xd.cview(), 0.1);
  // The fit runs in double either way; only the final rounding to float differs.
  CHECK(max_abs(zf.transform().cast<double>() - zd.transform()) < 1e-6 * max_abs(zd.transform()));
  zf.apply(x.view());
  zf.invert(x.view());
  CHECK_THAT(relative_error(x, original), WithinAbs(0.0, 2e-5));
}

TEST_CASE("ZcaWhitening: images are flattened in C, H, W order with rows times T",
          "[data][zca][cpu]") {
  // [1, 3, 2, 2]; T moves pixel (c=0, h=1, w=0) to (c=2, h=0, w=1) and (c=1, h=1, w=1) to
  // (c=0, h=0, w=0), scaled. Row convention: y_j = Σ_i (x_i − μ_i)·T(i, j).
  const Shape shape(1, 3, 2, 2);
  const auto flat = [](Index c, Index h, Index w) { return (c * 2 + h) * 2 + w; };
  MatrixD t = MatrixD::Zero(12, 12);
  t(flat(0, 1, 0), flat(2, 0, 1)) = 2.0;
  t(flat(1, 1, 1), flat(0, 0, 0)) = -3.0;
  Vector<double> mu = Vector<double>::Constant(12, 0.5);
  const auto zca = ZcaWhitening<double>::from_parameters(mu, t, MatrixD::Identity(12, 12), 0.1);
  Tensor<double> x(shape);
  for (Index i = 0; i < x.size(); ++i) x[i] = 0.5;
  x(0, 0, 1, 0) = 1.5;
  x(0, 1, 1, 1) = 0.0;
  zca.apply(x.view());
  for (Index i = 0; i < x.size(); ++i) {
    const double expected = i == flat(2, 0, 1) ? 2.0 : i == flat(0, 0, 0) ? 1.5 : 0.0;
    CHECK_THAT(x[i], WithinAbs(expected, 1e-15));
  }
}

TEST_CASE("ZcaWhitening: blocked, chunked covariance matches a direct computation",
          "[data][zca][cpu]") {
  // D = 300 gives three column blocks of 128 (the middle one unpaired); N = 2500 three chunks.
  Tensor<double> x = correlated_images<double>(Shape(2500, 3, 10, 10), 6);
  const MatrixD rows = as_rows(x);
  const Eigen::SelfAdjointEigenSolver<MatrixD> es(covariance(rows));
  const Vector<double> inv_root = (es.eigenvalues().array() + 0.1).rsqrt().matrix();
  const MatrixD expected =
      es.eigenvectors() * inv_root.asDiagonal() * es.eigenvectors().transpose();
  const ZcaWhitening<double> zca(x.cview(), 0.1);
  CHECK(max_abs(zca.transform() - expected) < 1e-10 * max_abs(expected));
  CHECK(max_abs(zca.eigenvalues() - es.eigenvalues()) < 1e-10 * es.eigenvalues().maxCoeff());
}

TEST_CASE("ZcaWhitening: from_parameters reproduces a fitted transform", "[data][zca][cpu]") {
  Tensor<double> x = correlated_images<double>(Shape(400, 3, 2, 2), 7);
  const ZcaWhitening<double> fitted(x.cview(), 0.1);
  const auto stored = ZcaWhitening<double>::from_parameters(fitted.mean(), fitted.transform(),
                                                            fitted.inverse(), fitted.eps());
  CHECK(stored.eps() == 0.1);
  CHECK(stored.eigenvalues().size() == 0);
  Tensor<double> a = x, b = x;
  fitted.apply(a.view());
  stored.apply(b.view());
  CHECK(a.vec() == b.vec());

  // from_transform recomputes the inverse from the transform.
  const auto no_inverse = ZcaWhitening<double>::from_transform(fitted.mean(), fitted.transform(),
                                                               fitted.eps());
  CHECK(max_abs(no_inverse.inverse() - fitted.inverse()) < 1e-10 * max_abs(fitted.inverse()));
  no_inverse.invert(b.view());
  CHECK_THAT(relative_error(b, x), WithinAbs(0.0, 1e-12));

  CHECK_THROWS_WITH(ZcaWhitening<double>::from_parameters(fitted.mean(), MatrixD::Identity(3, 3),
                                                          MatrixD::Identity(3, 3), 0.1),
                    Catch::Contains("transform is 3x3") && Catch::Contains("12 values"));
  CHECK_THROWS_WITH(ZcaWhitening<double>::from_parameters(fitted.mean(), fitted.transform(),
                                                          MatrixD(), 0.1),
                    Catch::Contains("inverse is 0x0, expected 12x12"));
  CHECK_THROWS_WITH(
      ZcaWhitening<double>::from_transform(fitted.mean(), MatrixD::Identity(3, 3), 0.1),
      Catch::Contains("transform is 3x3") && Catch::Contains("12 values"));
}

TEST_CASE("ZcaWhitening: errors name the problem", "[data][zca][cpu]") {
  ZcaWhitening<float> unfitted;
  Tensor<float> x(Shape(4, 3, 2, 2));
  CHECK_FALSE(unfitted.fitted());
  CHECK_THROWS_WITH(unfitted.apply(x.view()), Catch::Contains("not fitted"));
  CHECK_THROWS_WITH(unfitted.invert(x.view()), Catch::Contains("not fitted"));

  Tensor<float> data = correlated_images<float>(Shape(50, 3, 2, 2), 8);
  const ZcaWhitening<float> zca(data.cview());
  Tensor<float> wrong(Shape(4, 1, 2, 2));
  CHECK_THROWS_WITH(zca.apply(wrong.view()),
                    Catch::Contains("[4, 1, 2, 2]") && Catch::Contains("transform 12"));

  CHECK_THROWS_WITH(ZcaWhitening<float>(data.cview().samples(0, 1)), Catch::Contains("at least 2"));
  CHECK_THROWS_WITH(ZcaWhitening<float>(data.cview(), -1.0), Catch::Contains("eps"));
  // 5 samples of 12 values: Σ has rank 4, so eps = 0 cannot whiten it.
  Tensor<double> few = correlated_images<double>(Shape(5, 3, 2, 2), 9);
  CHECK_THROWS_WITH(ZcaWhitening<double>(few.cview(), 0.0), Catch::Contains("singular"));
  CHECK_NOTHROW(ZcaWhitening<double>(few.cview(), 0.1));
}
