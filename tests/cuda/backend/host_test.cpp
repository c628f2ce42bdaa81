#include <catch2/catch.hpp>

#include <climits>
#include <string>

#include "distill/backend/cuda/check.hpp"
#include "distill/backend/cuda/context.hpp"
#include "distill/backend/cuda/pool.hpp"

// What the CUDA backend does without a GPU: these run on every machine (label cuda-host).

using namespace distill;

TEST_CASE("cuda checks turn failures into distill::error naming the call, the error and the place",
          "[cuda-host]") {
  CHECK_THROWS_WITH(detail::cuda_check(cudaErrorInvalidValue, "cudaMemcpy(a, b, n)", "file.cu", 12),
                    Catch::Equals(std::string("cudaMemcpy(a, b, n) failed: ") + cudaGetErrorString(cudaErrorInvalidValue) +
                                  " (file.cu:12)"));
  CHECK_THROWS_WITH(detail::cuda_check(CUBLAS_STATUS_INVALID_VALUE, "cublasSgemm(...)", "f.hpp", 3),
                    Catch::StartsWith("cublasSgemm(...) failed: ") && Catch::EndsWith("(f.hpp:3)"));
  CHECK_THROWS_WITH(detail::cuda_check(CUDNN_STATUS_BAD_PARAM, "cudnnConvolutionForward(...)", "g.hpp", 4),
                    Catch::Contains(cudnnGetErrorString(CUDNN_STATUS_BAD_PARAM)));
  CHECK_NOTHROW(detail::cuda_check(cudaSuccess, "x", "y", 1));
  CHECK_NOTHROW(detail::cuda_check(CUBLAS_STATUS_SUCCESS, "x", "y", 1));
  CHECK_NOTHROW(detail::cuda_check(CUDNN_STATUS_SUCCESS, "x", "y", 1));
  // A real call: the macro reports the expression as written.
  CHECK_THROWS_WITH(DISTILL_CUDA_CHECK(cudaSetDevice(-1)), Catch::Contains("cudaSetDevice(-1) failed: ") &&
                                                                Catch::Contains("host_test.cpp:"));
}

TEST_CASE("Counts narrowed to the int of cuBLAS and cuDNN are checked", "[cuda-host]") {
  CHECK(detail::checked_int(0, "n") == 0);
  CHECK(detail::checked_int(INT_MAX, "n") == INT_MAX);
  CHECK(detail::checked_int(-5, "stride") == -5);
  CHECK_THROWS_WITH(detail::checked_int(static_cast<long long>(INT_MAX) + 1, "gemm m"),
                    Catch::Contains("gemm m = 2147483648 does not fit the int"));
  CHECK_THROWS_AS(detail::checked_int(static_cast<long long>(INT_MIN) - 1, "n"), distill::error);
}

TEST_CASE("cuda::device_count never throws, and a context needs a device", "[cuda-host]") {
  const int n = cuda::device_count();
  CHECK(n >= 0);
  CHECK_THROWS_WITH(cuda::Context(n), Catch::Contains("no CUDA device " + std::to_string(n)));
}

TEST_CASE("DevicePool size classes leave less than a third of a block unused and are stable", "[cuda-host]") {
  CHECK(cuda::DevicePool::size_class(1) == 512);
  CHECK(cuda::DevicePool::size_class(512) == 512);
  CHECK(cuda::DevicePool::size_class(513) == 768);
  CHECK(cuda::DevicePool::size_class(769) == 1024);
  CHECK(cuda::DevicePool::size_class(1025) == 1536);
  for (std::size_t bytes = 1; bytes < (std::size_t(1) << 30); bytes = bytes * 3 + 7) {
    const std::size_t c = cuda::DevicePool::size_class(bytes);
    CHECK(c >= bytes);
    CHECK((bytes <= 512 || (c - bytes) * 3 < c));
    CHECK(cuda::DevicePool::size_class(c) == c);
  }
}

TEST_CASE("The probe prints the device count", "[cuda-host][probe]") {
  // skip_path.sh runs this case with --success and reads the count from the message.
  WARN("cuda devices: " << cuda::device_count());
  SUCCEED();
}
