#ifndef DISTILL_EXAMPLES_CLI_CUDA_RUN_HPP
#define DISTILL_EXAMPLES_CLI_CUDA_RUN_HPP

// `distill run --device cuda`: what the command hands the CUDA plugin. The plugin is part of the
// same build (same compiler, flags and headers), so these C++ types may cross the dlopen
// boundary; exceptions do not (the plugin returns their text, the command throws it again).

#include "distill/data/dataset.hpp"
#include "distill/methods/distiller.hpp"
#include "distill/methods/settings.hpp"
#include "distill/train/experts.hpp"

namespace distill::cli {

struct CudaRunRequest {
  const DistillSettings* settings = nullptr;
  const DatasetSplits<float>* data = nullptr;  ///< preprocessed
  const ExpertSet* experts = nullptr;
  const DistillerOptions* options = nullptr;
  DistillResult* result = nullptr;  ///< written on success
  char device[128] = {};            ///< written on success: "cuda:<name>"
};

/// Runs the method on the GPU through the plugin: the Distiller with the distillation network on
/// cuda::Backend (evaluations stay on the CPU). Throws distill::error when the plugin is absent,
/// there is no GPU, or the run fails.
DistillResult run_method_cuda(const DistillSettings& s, const DatasetSplits<float>& data, const ExpertSet& experts,
                              const DistillerOptions& options, std::string* device = nullptr);

}  // namespace distill::cli

extern "C" {
/// `distill run --device cuda`: 0 on success, else 1 with the message in `error`.
typedef int (*DistillCliCudaRun)(distill::cli::CudaRunRequest* request, char* error, unsigned long error_size);
}

#endif  // DISTILL_EXAMPLES_CLI_CUDA_RUN_HPP
