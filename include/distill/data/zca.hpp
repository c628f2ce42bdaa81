#ifndef DISTILL_DATA_ZCA_HPP
#define DISTILL_DATA_ZCA_HPP

#include <Eigen/Core>
#include <Eigen/Eigenvalues>
#include <Eigen/LU>
#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "distill/core/error.hpp"
#include "distill/core/parallel.hpp"
#include "distill/core/tensor.hpp"

namespace distill {

/// ZCA whitening as MTT does it through kornia.enhance.ZCAWhitening(eps, compute_inv=True)
/// (trajectory-matching.md §1.2). Each image [C, H, W] is one row x of length D = C·H·W,
/// flattened in C, H, W order as torch.flatten does. Fitted on a set X (N×D):
///   μ = mean of the rows;  Σ = (X − μ)ᵀ(X − μ)/(N − 1);  Σ = U·diag(S)·Uᵀ;
///   T = U·diag((S + ε)^−½)·Uᵀ;  T⁻¹ = U·diag((S + ε)^½)·Uᵀ;
///   apply: x ← (x − μ)·T;  invert: y ← y·T⁻¹ + μ.
/// The fit runs in double whatever Scalar is; the parameters are then kept in Scalar, the type
/// the images are transformed in (kornia keeps them in float32 too). With ε > 0 the whitened
/// training set has covariance U·diag(S/(S + ε))·Uᵀ, not the identity: ε damps the directions of
/// small variance, which is the point for images.
template <class Scalar>
class ZcaWhitening {
 public:
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  using VectorS = Vector<Scalar>;

  /// An unfitted transform; apply and invert throw until fit or from_parameters.
  ZcaWhitening() = default;
  /// Fits on `images` (see fit).
  explicit ZcaWhitening(ConstView<Scalar> images, double eps = 0.1) { fit(images, eps); }

  /// Rebuilds a transform from stored parameters (mean [D], transform and inverse D×D, in the
  /// row convention y = (x − μ)·T). `eps` is kept as a record only; the matrices define the map.
  static ZcaWhitening from_parameters(VectorS mean, Matrix transform, Matrix inverse, double eps);
  /// The same without a stored inverse: T⁻¹ is computed from T (an LU decomposition in double).
  /// Apart from from_parameters because the file readers, which every program includes, never
  /// need it: code they reach is compiled in every translation unit.
  static ZcaWhitening from_transform(VectorS mean, Matrix transform, double eps);

  /// Fits μ, T and T⁻¹ on `images` ([N, C, H, W], N ≥ 2), usually the whole training set.
  /// Σ is accumulated in double over chunks of samples, so the N×D set is never copied whole;
  /// eigenvalues below zero from rounding are clamped to zero (kornia's SVD returns |λ|).
  /// Throws when some S + ε is not above rounding level (a singular covariance needs ε > 0).
  void fit(ConstView<Scalar> images, double eps = 0.1);

  /// μ of the images' rows in double, from fixed blocks of samples summed in order, so the
  /// result does not depend on the number of threads.
  static Vector<double> sample_mean(ConstView<Scalar> images);
  /// The transform of a fitted covariance Σ (D×D, only its lower triangle is read) and mean:
  /// the eigendecomposition (Eigen, in double) and T, T⁻¹ with ε. fit ends with it, and so
  /// does fit_zca on the other backends, whose Σ comes from the device.
  static ZcaWhitening from_covariance(const Vector<double>& mean, Eigen::MatrixXd cov, double eps);

  /// x ← (x − μ)·T for every image, in place. Any N; C·H·W must equal dim().
  void apply(MutableView<Scalar> images) const;
  /// y ← y·T⁻¹ + μ for every image, in place: back to pixel space (for pictures).
  void invert(MutableView<Scalar> images) const;

  bool fitted() const { return mean_.size() > 0; }
  /// D = C·H·W of the images it transforms (0 when unfitted).
  Index dim() const { return mean_.size(); }
  double eps() const { return eps_; }
  /// μ, [D].
  const VectorS& mean() const { return mean_; }
  /// T, D×D, symmetric when fitted here.
  const Matrix& transform() const { return transform_; }
  /// T⁻¹, D×D.
  const Matrix& inverse() const { return inverse_; }
  /// Eigenvalues S of Σ, ascending, clamped at zero; empty after from_parameters.
  const Vector<double>& eigenvalues() const { return eigenvalues_; }

 private:
  // Samples per GEMM in apply/invert and per accumulation step in fit: large enough for
  // Eigen's GEMM to run near peak, small enough that the double copy of a chunk of CIFAR
  // (D = 3072) stays at a few MB (apply) or 25 MB (fit).
  static constexpr Index kApplyChunk = 256;

 public:
  static constexpr Index kFitChunk = 1024;

 private:
  // Width of the column blocks of Σ computed as independent GEMMs in fit.
  static constexpr Index kCovBlock = 128;

  void check_images(const Shape& shape, const char* what) const;

  VectorS mean_;
  Matrix transform_, inverse_;
  Vector<double> eigenvalues_;
  double eps_ = 0;
};

// ---------------------------------------------------------------------------------------------

template <class Scalar>
ZcaWhitening<Scalar> ZcaWhitening<Scalar>::from_parameters(VectorS mean, Matrix transform,
                                                           Matrix inverse, double eps) {
  const Index d = mean.size();
  DISTILL_CHECK(d > 0, "ZcaWhitening::from_parameters: empty mean");
  DISTILL_CHECK(transform.rows() == d && transform.cols() == d,
                "ZcaWhitening::from_parameters: transform is "
                    << transform.rows() << "x" << transform.cols() << ", mean has " << d
                    << " values");
  DISTILL_CHECK(inverse.rows() == d && inverse.cols() == d,
                "ZcaWhitening::from_parameters: inverse is "
                    << inverse.rows() << "x" << inverse.cols() << ", expected " << d << "x" << d);
  ZcaWhitening z;
  z.mean_ = std::move(mean);
  z.transform_ = std::move(transform);
  z.inverse_ = std::move(inverse);
  z.eps_ = eps;
  return z;
}

template <class Scalar>
ZcaWhitening<Scalar> ZcaWhitening<Scalar>::from_transform(VectorS mean, Matrix transform,
                                                          double eps) {
  DISTILL_CHECK(transform.rows() == transform.cols() && transform.rows() == mean.size(),
                "ZcaWhitening::from_transform: transform is "
                    << transform.rows() << "x" << transform.cols() << ", mean has " << mean.size()
                    << " values");
  const Eigen::PartialPivLU<Eigen::MatrixXd> lu(transform.template cast<double>());
  Matrix inverse = lu.inverse().template cast<Scalar>();
  return from_parameters(std::move(mean), std::move(transform), std::move(inverse), eps);
}

template <class Scalar>
void ZcaWhitening<Scalar>::fit(ConstView<Scalar> images, double eps) {
  const Shape shape = images.shape();
  const Index n = shape.n, d = shape.sample_size();
  DISTILL_CHECK(!images.empty() && n >= 2 && d > 0,
                "ZcaWhitening::fit: need at least 2 non-empty images, got " << shape);
  DISTILL_CHECK(eps >= 0 && std::isfinite(eps),
                "ZcaWhitening::fit: eps must be finite and non-negative, got " << eps);
  using MatrixD = Eigen::MatrixXd;
  const Vector<double> mean = sample_mean(images);

  // Σ's lower triangle, chunk by chunk: each chunk is centred in double, then its column blocks
  // j (rows j0…D) are independent GEMMs run one per thread. Blocks are paired first with last
  // so each pair does the same work; the triangle halves the flops of a full XᵀX.
  MatrixD cov = MatrixD::Zero(d, d);
  MatrixD centred(d, std::min(kFitChunk, n));
  const Index col_blocks = (d + kCovBlock - 1) / kCovBlock, pairs = (col_blocks + 1) / 2;
  for (Index first = 0; first < n; first += kFitChunk) {
    const Index m = std::min(kFitChunk, n - first);
    parallel_for(
        m,
        [&](Index j) {
          centred.col(j) =
              Eigen::Map<const VectorS>(images.sample(first + j), d).template cast<double>() - mean;
        },
        d);
    const auto chunk = centred.leftCols(m);
    const auto lower_block = [&](Index b) {
      const Index j0 = b * kCovBlock, w = std::min(kCovBlock, d - j0);
      cov.block(j0, j0, d - j0, w).noalias() +=
          chunk.middleRows(j0, d - j0) * chunk.middleRows(j0, w).transpose();
    };
    parallel_for(
        pairs,
        [&](Index p) {
          lower_block(p);
          if (col_blocks - 1 - p != p) lower_block(col_blocks - 1 - p);
        },
        2 * m * kCovBlock * d);
  }
  cov /= double(n - 1);
  *this = from_covariance(mean, std::move(cov), eps);
}

template <class Scalar>
Vector<double> ZcaWhitening<Scalar>::sample_mean(ConstView<Scalar> images) {
  using Samples = Eigen::Map<const Matrix>;  // D×m, one column per image
  const Index n = images.shape().n, d = images.shape().sample_size();
  DISTILL_CHECK(n > 0 && d > 0, "ZcaWhitening: no images to average, got " << images.shape());
  const Index blocks = (n + kFitChunk - 1) / kFitChunk;
  Eigen::MatrixXd partial(d, blocks);
  parallel_for(
      blocks,
      [&](Index b) {
        const Index first = b * kFitChunk, m = std::min(kFitChunk, n - first);
        partial.col(b) =
            Samples(images.sample(first), d, m).template cast<double>().rowwise().sum();
      },
      kFitChunk * d);
  return partial.rowwise().sum() / double(n);
}

template <class Scalar>
ZcaWhitening<Scalar> ZcaWhitening<Scalar>::from_covariance(const Vector<double>& mean, Eigen::MatrixXd cov,
                                                           double eps) {
  using MatrixD = Eigen::MatrixXd;
  const Index d = mean.size();
  DISTILL_CHECK(cov.rows() == d && cov.cols() == d, "ZcaWhitening::from_covariance: covariance is "
                                                        << cov.rows() << "x" << cov.cols() << ", mean has " << d
                                                        << " values");
  DISTILL_CHECK(eps >= 0 && std::isfinite(eps),
                "ZcaWhitening::from_covariance: eps must be finite and non-negative, got " << eps);
  // Only the lower triangle is read.
  const Eigen::SelfAdjointEigenSolver<MatrixD> solver(cov, Eigen::ComputeEigenvectors);
  DISTILL_CHECK(solver.info() == Eigen::Success, "ZcaWhitening::fit: eigendecomposition of the "
                                                     << d << "x" << d
                                                     << " covariance did not converge");
  cov.resize(0, 0);
  const Vector<double> s = solver.eigenvalues().cwiseMax(0.0);
  // Eigenvalues below rounding level of the largest are zeros of a singular Σ whatever their
  // computed value; with eps = 0 they would blow the transform up.
  const double rounding = double(d) * std::numeric_limits<double>::epsilon() * s.maxCoeff();
  DISTILL_CHECK(s.minCoeff() + eps > rounding,
                "ZcaWhitening::fit: covariance is singular (smallest eigenvalue "
                    << solver.eigenvalues().minCoeff() << ") and eps = " << eps << "; use eps > 0");
  const MatrixD& u = solver.eigenvectors();
  const Vector<double> root = (s.array() + eps).sqrt().matrix();
  // U·diag(f)·Uᵀ, then symmetrised: the two halves of a GEMM round differently.
  const auto sandwich = [&](const Vector<double>& f) {
    MatrixD scaled = u * f.asDiagonal();
    MatrixD t = scaled * u.transpose();
    scaled = t.transpose();
    t += scaled;
    t *= 0.5;
    return t;
  };
  ZcaWhitening z;
  z.transform_ = sandwich(root.cwiseInverse()).template cast<Scalar>();
  z.inverse_ = sandwich(root).template cast<Scalar>();
  z.mean_ = mean.template cast<Scalar>();
  z.eigenvalues_ = s;
  z.eps_ = eps;
  return z;
}

template <class Scalar>
void ZcaWhitening<Scalar>::check_images(const Shape& shape, const char* what) const {
  DISTILL_CHECK(fitted(), "ZcaWhitening::" << what << ": not fitted");
  DISTILL_CHECK(shape.sample_size() == dim(),
                "ZcaWhitening::" << what << ": images " << shape << " have " << shape.sample_size()
                                 << " values each, the transform " << dim());
}

template <class Scalar>
void ZcaWhitening<Scalar>::apply(MutableView<Scalar> images) const {
  check_images(images.shape(), "apply");
  const Index n = images.shape().n, d = dim();
  if (n == 0 || images.empty()) return;
  // Row convention y = (x − μ)·T is, per image column, y = Tᵀ(x − μ). The centred copy lets
  // the GEMM write straight back into the images.
  parallel_for((n + kApplyChunk - 1) / kApplyChunk,
               [&](Index c) {
                 const Index first = c * kApplyChunk, m = std::min(kApplyChunk, n - first);
                 Eigen::Map<Matrix> x(images.sample(first), d, m);
                 const Matrix centred = x.colwise() - mean_;
                 x.noalias() = transform_.transpose() * centred;
               },
               2 * kApplyChunk * d * d);
}

template <class Scalar>
void ZcaWhitening<Scalar>::invert(MutableView<Scalar> images) const {
  check_images(images.shape(), "invert");
  const Index n = images.shape().n, d = dim();
  if (n == 0 || images.empty()) return;
  parallel_for((n + kApplyChunk - 1) / kApplyChunk,
               [&](Index c) {
                 const Index first = c * kApplyChunk, m = std::min(kApplyChunk, n - first);
                 Eigen::Map<Matrix> y(images.sample(first), d, m);
                 const Matrix copy = y;
                 y.noalias() = inverse_.transpose() * copy;
                 y.colwise() += mean_;
               },
               2 * kApplyChunk * d * d);
}

}  // namespace distill

#endif  // DISTILL_DATA_ZCA_HPP
