#ifndef DISTILL_BACKEND_CUDA_BLAS_HPP
#define DISTILL_BACKEND_CUDA_BLAS_HPP

// cuBLAS for float and double under the names the backend uses. Scalars are passed and
// returned on the host (CUBLAS_POINTER_MODE_HOST, the handle's default), so dot waits for
// the stream; dot_to writes its result to device memory and does not.

#include <type_traits>

#include <cublas_v2.h>

#include "distill/backend/backend.hpp"
#include "distill/backend/cuda/check.hpp"

namespace distill::cuda::blas {

inline cublasOperation_t op(Op o) { return o == Op::N ? CUBLAS_OP_N : CUBLAS_OP_T; }

inline void gemm(cublasHandle_t h, Op a_op, Op b_op, Index m, Index n, Index k, float alpha,
                 const float* a, Index lda, const float* b, Index ldb, float beta, float* c,
                 Index ldc) {
  DISTILL_CUDA_CHECK(cublasSgemm(h, op(a_op), op(b_op), DISTILL_CUDA_INT(m), DISTILL_CUDA_INT(n),
                                 DISTILL_CUDA_INT(k), &alpha, a, DISTILL_CUDA_INT(lda), b,
                                 DISTILL_CUDA_INT(ldb), &beta, c, DISTILL_CUDA_INT(ldc)));
}
inline void gemm(cublasHandle_t h, Op a_op, Op b_op, Index m, Index n, Index k, double alpha,
                 const double* a, Index lda, const double* b, Index ldb, double beta, double* c,
                 Index ldc) {
  DISTILL_CUDA_CHECK(cublasDgemm(h, op(a_op), op(b_op), DISTILL_CUDA_INT(m), DISTILL_CUDA_INT(n),
                                 DISTILL_CUDA_INT(k), &alpha, a, DISTILL_CUDA_INT(lda), b,
                                 DISTILL_CUDA_INT(ldb), &beta, c, DISTILL_CUDA_INT(ldc)));
}

/// C_i = alpha·op(A_i)·op(B_i) + beta·C_i for `batch` matrices at fixed strides (a stride of 0
/// shares one matrix).
inline void gemm_strided(cublasHandle_t h, Op a_op, Op b_op, Index m, Index n, Index k, float alpha,
                         const float* a, Index lda, Index stride_a, const float* b, Index ldb,
                         Index stride_b, float beta, float* c, Index ldc, Index stride_c,
                         Index batch) {
  DISTILL_CUDA_CHECK(cublasSgemmStridedBatched(
      h, op(a_op), op(b_op), DISTILL_CUDA_INT(m), DISTILL_CUDA_INT(n), DISTILL_CUDA_INT(k), &alpha,
      a, DISTILL_CUDA_INT(lda), stride_a, b, DISTILL_CUDA_INT(ldb), stride_b, &beta, c,
      DISTILL_CUDA_INT(ldc), stride_c, DISTILL_CUDA_INT(batch)));
}
inline void gemm_strided(cublasHandle_t h, Op a_op, Op b_op, Index m, Index n, Index k,
                         double alpha, const double* a, Index lda, Index stride_a, const double* b,
                         Index ldb, Index stride_b, double beta, double* c, Index ldc,
                         Index stride_c, Index batch) {
  DISTILL_CUDA_CHECK(cublasDgemmStridedBatched(
      h, op(a_op), op(b_op), DISTILL_CUDA_INT(m), DISTILL_CUDA_INT(n), DISTILL_CUDA_INT(k), &alpha,
      a, DISTILL_CUDA_INT(lda), stride_a, b, DISTILL_CUDA_INT(ldb), stride_b, &beta, c,
      DISTILL_CUDA_INT(ldc), stride_c, DISTILL_CUDA_INT(batch)));
}

inline float dot(cublasHandle_t h, Index n, const float* x, const float* y) {
  float r = 0;
  DISTILL_CUDA_CHECK(cublasSdot(h, DISTILL_CUDA_INT(n), x, 1, y, 1, &r));
  return r;
}
inline double dot(cublasHandle_t h, Index n, const double* x, const double* y) {
  double r = 0;
  DISTILL_CUDA_CHECK(cublasDdot(h, DISTILL_CUDA_INT(n), x, 1, y, 1, &r));
  return r;
}
/// *out = ⟨x, y⟩ with `out` in device memory (CUBLAS_POINTER_MODE_DEVICE for this call only):
/// queued on the handle's stream, nothing waits.
template <class T>
void dot_to(cublasHandle_t h, Index n, const T* x, const T* y, T* out) {
  DISTILL_CUDA_CHECK(cublasSetPointerMode(h, CUBLAS_POINTER_MODE_DEVICE));
  cublasStatus_t status;
  if constexpr (std::is_same<T, float>::value)
    status = cublasSdot(h, DISTILL_CUDA_INT(n), x, 1, y, 1, out);
  else
    status = cublasDdot(h, DISTILL_CUDA_INT(n), x, 1, y, 1, out);
  DISTILL_CUDA_CHECK(cublasSetPointerMode(h, CUBLAS_POINTER_MODE_HOST));
  DISTILL_CUDA_CHECK(status);
}

inline void axpy(cublasHandle_t h, Index n, float alpha, const float* x, float* y) {
  DISTILL_CUDA_CHECK(cublasSaxpy(h, DISTILL_CUDA_INT(n), &alpha, x, 1, y, 1));
}
inline void axpy(cublasHandle_t h, Index n, double alpha, const double* x, double* y) {
  DISTILL_CUDA_CHECK(cublasDaxpy(h, DISTILL_CUDA_INT(n), &alpha, x, 1, y, 1));
}
inline void scal(cublasHandle_t h, Index n, float alpha, float* x) {
  DISTILL_CUDA_CHECK(cublasSscal(h, DISTILL_CUDA_INT(n), &alpha, x, 1));
}
inline void scal(cublasHandle_t h, Index n, double alpha, double* x) {
  DISTILL_CUDA_CHECK(cublasDscal(h, DISTILL_CUDA_INT(n), &alpha, x, 1));
}

}  // namespace distill::cuda::blas

#endif  // DISTILL_BACKEND_CUDA_BLAS_HPP
