#ifndef DISTILL_BACKEND_CUDA_CHECK_HPP
#define DISTILL_BACKEND_CUDA_CHECK_HPP

// Every CUDA, cuBLAS and cuDNN call of the library goes through one of these macros: a failure
// becomes a distill::error naming the call, the library's own error string, the file and the
// line. A library must not exit the process on a failed call (llm.c's cudaCheck does). The
// counts those calls take as int are narrowed through checked_int.

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include <climits>
#include <sstream>

#include "distill/core/error.hpp"

namespace distill::detail {

[[noreturn]] inline void cuda_fail(const char* call, const char* what, const char* file, int line) {
  std::ostringstream os;
  os << call << " failed: " << what << " (" << file << ":" << line << ")";
  throw error(os.str());
}

inline void cuda_check(cudaError_t e, const char* call, const char* file, int line) {
  if (e != cudaSuccess) {
    // The runtime also records the error as the thread's last error; clear it, so that the
    // next DISTILL_CUDA_CHECK_LAUNCH does not report this failure again as its own. (A sticky
    // error, a corrupted context, stays: every later call returns it anyway.)
    cudaGetLastError();
    cuda_fail(call, cudaGetErrorString(e), file, line);
  }
}
inline void cuda_check(cublasStatus_t s, const char* call, const char* file, int line) {
  if (s != CUBLAS_STATUS_SUCCESS) cuda_fail(call, cublasGetStatusString(s), file, line);
}
inline void cuda_check(cudnnStatus_t s, const char* call, const char* file, int line) {
  if (s != CUDNN_STATUS_SUCCESS) cuda_fail(call, cudnnGetErrorString(s), file, line);
}

/// `n` as the `int` that cuBLAS and cuDNN take for counts, sizes and strides, or a
/// distill::error naming `what` when it does not fit (a silent wrap would size a copy or a GEMM
/// wrongly, far from where the overflow happened).
inline int checked_int(long long n, const char* what) {
  if (n < INT_MIN || n > INT_MAX) {
    std::ostringstream os;
    os << what << " = " << n << " does not fit the int that cuBLAS and cuDNN take";
    throw error(os.str());
  }
  return static_cast<int>(n);
}

}  // namespace distill::detail

/// Checks a cudaError_t, cublasStatus_t or cudnnStatus_t and throws distill::error on failure.
#define DISTILL_CUDA_CHECK(call) ::distill::detail::cuda_check((call), #call, __FILE__, __LINE__)

/// An Index expression as the int that cuBLAS and cuDNN take, checked (detail::checked_int).
#define DISTILL_CUDA_INT(expr) ::distill::detail::checked_int((expr), #expr)

/// Checks the launch of the kernel just started (a bad configuration is only reported here).
#define DISTILL_CUDA_CHECK_LAUNCH(kernel) \
  ::distill::detail::cuda_check(cudaGetLastError(), "launch of " kernel, __FILE__, __LINE__)

#endif  // DISTILL_BACKEND_CUDA_CHECK_HPP
