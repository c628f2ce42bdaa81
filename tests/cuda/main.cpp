// The CUDA test runner: where no GPU is present it prints why and exits with the skip code, so
// CTest reports every CUDA test as Not Run, never as passed.
#include <cstdio>

#include "distill/backend/cuda/context.hpp"
#include "support/run_catch.hpp"

int main(int argc, char** argv) {
  if (distill::cuda::device_count() == 0) {
    std::printf("distill_cuda_tests: no CUDA device or driver on this machine: not run\n");
    return DISTILL_CUDA_SKIP_CODE;
  }
  const auto& p = distill::cuda::Context::current().properties();
  std::printf("distill_cuda_tests: %s (sm_%d%d, %d SMs)\n", p.name, p.major, p.minor, p.multiProcessorCount);
  return distill::test::run_catch(argc, argv);
}
