#ifndef DISTILL_CORE_MACROS_HPP
#define DISTILL_CORE_MACROS_HPP

/// Marks arithmetic shared by the CPU and CUDA backends: the very function the CPU tests check
/// is what a CUDA kernel launches. Plain `inline` when not compiled by nvcc (CUTLASS's
/// CUTLASS_HOST_DEVICE, Eigen's EIGEN_DEVICE_FUNC).
#if defined(__CUDACC__) || defined(__HIPCC__)
#define DISTILL_HOST_DEVICE __host__ __device__ inline
#define DISTILL_DEVICE_COMPILE 1
#else
#define DISTILL_HOST_DEVICE inline
#define DISTILL_DEVICE_COMPILE 0
#endif

/// Lets a loop body be vectorised: the backend guarantees that the pointers it is given do not
/// alias unless a comment says so.
#if defined(__GNUC__) || defined(__clang__) || defined(__CUDACC__)
#define DISTILL_RESTRICT __restrict__
#else
#define DISTILL_RESTRICT
#endif

#endif  // DISTILL_CORE_MACROS_HPP
