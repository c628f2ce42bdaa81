#ifndef DISTILL_BACKEND_CPU_GEMM_HPP
#define DISTILL_BACKEND_CPU_GEMM_HPP

#include <Eigen/Core>

#include "distill/backend/backend.hpp"

namespace distill::cpu {

/// C = alpha·op(A)·op(B) + beta·C on column-major matrices (BLAS conventions: C is m×n,
/// op(A) m×k, op(B) k×n, leading dimensions lda/ldb/ldc). Eigen's blocked GEMM does the work;
/// inside an OpenMP region it runs on the calling thread only, so callers parallelise over
/// independent products (images) rather than inside one.
template <class T>
void gemm(Op op_a, Op op_b, Index m, Index n, Index k, T alpha, const T* a, Index lda,
          const T* b, Index ldb, T beta, T* c, Index ldc) {
  using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
  using CMap = Eigen::Map<const Mat, 0, Eigen::OuterStride<>>;
  using MMap = Eigen::Map<Mat, 0, Eigen::OuterStride<>>;
  MMap C(c, m, n, Eigen::OuterStride<>(ldc));
  if (beta == T(0)) {
    C.setZero();
  } else if (beta != T(1)) {
    C *= beta;
  }
  if (k == 0 || alpha == T(0)) return;
  const CMap A(a, op_a == Op::N ? m : k, op_a == Op::N ? k : m, Eigen::OuterStride<>(lda));
  const CMap B(b, op_b == Op::N ? k : n, op_b == Op::N ? n : k, Eigen::OuterStride<>(ldb));
  if (op_a == Op::N && op_b == Op::N) {
    C.noalias() += alpha * A * B;
  } else if (op_a == Op::N) {
    C.noalias() += alpha * A * B.transpose();
  } else if (op_b == Op::N) {
    C.noalias() += alpha * A.transpose() * B;
  } else {
    C.noalias() += alpha * A.transpose() * B.transpose();
  }
}

}  // namespace distill::cpu

#endif  // DISTILL_BACKEND_CPU_GEMM_HPP
