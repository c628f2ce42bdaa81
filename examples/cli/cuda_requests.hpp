#ifndef DISTILL_EXAMPLES_CLI_CUDA_REQUESTS_HPP
#define DISTILL_EXAMPLES_CLI_CUDA_REQUESTS_HPP

// What the `distill` command hands the CUDA plugin for the commands that run on the GPU with
// --device cuda (run, experts, evaluate, and the ZCA products of their preprocessing). The
// plugin is part of the same build (same compiler, flags and headers), so these C++ types may
// cross the dlopen boundary; exceptions do not (the plugin returns their text, the command
// throws it again). Each function throws distill::error when the plugin is absent, there is no
// GPU, or the work fails; `device`, when given, receives "cuda:<GPU name>".

#include <functional>
#include <string>

#include "distill/augment/dsa.hpp"
#include "distill/data/dataset.hpp"
#include "distill/data/preprocess.hpp"
#include "distill/methods/config/settings.hpp"
#include "distill/methods/driver/distiller.hpp"
#include "distill/train/evaluate.hpp"
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

struct CudaExpertsRequest {
  const ExpertConfig* config = nullptr;
  const DatasetSplits<float>* data = nullptr;  ///< preprocessed
  const Preprocessing<float>* preprocessing = nullptr;
  const std::string* dir = nullptr;
  const Dsa<float>* augment = nullptr;
  const std::function<void(const ExpertEpoch&)>* on_epoch = nullptr;
  const Communicator* comm = nullptr;  ///< the job's ranks (the command's world)
  char device[128] = {};
};

struct CudaEvaluateRequest {
  const EvalConfig* config = nullptr;
  ConstView<float> images;
  const Labels<float>* labels = nullptr;
  Index classes = 0;
  const Dataset<float>* test = nullptr;  ///< preprocessed
  const Dsa<float>* augment = nullptr;
  const Communicator* comm = nullptr;  ///< the job's ranks (the command's world)
  EvalResult* result = nullptr;
  char device[128] = {};
};

/// Either choose_preprocessing (when `run` is null) and its application to both splits, or
/// prepare_run_data for a run; ZCA's products on the GPU.
struct CudaPreprocessRequest {
  DatasetSplits<float>* data = nullptr;
  bool zca = false;
  const std::string* dataset = nullptr;
  Preprocessing<float>* result = nullptr;  ///< choose_preprocessing's choice
  // prepare_run_data's arguments:
  ExpertSet* experts = nullptr;
  const DistillSettings* run = nullptr;
  char device[128] = {};
};

/// `distill run --device cuda`: the Distiller with the distillation network on cuda::Backend,
/// its evaluations too.
DistillResult run_method_cuda(const DistillSettings& s, const DatasetSplits<float>& data, const ExpertSet& experts,
                              const DistillerOptions& options, std::string* device = nullptr);
/// `distill experts --device cuda`: train_experts on cuda::Backend.
void train_experts_cuda(const ExpertConfig& cfg, const DatasetSplits<float>& data,
                        const Preprocessing<float>& preprocessing, const std::string& dir, const Dsa<float>& augment,
                        const std::function<void(const ExpertEpoch&)>& on_epoch, const Communicator& comm,
                        std::string* device = nullptr);
/// `distill evaluate --device cuda`: evaluate_set on cuda::Backend.
EvalResult evaluate_set_cuda(const EvalConfig& cfg, ConstView<float> images, const Labels<float>& labels,
                             Index classes, const Dataset<float>& test, const Dsa<float>& augment,
                             const Communicator& comm, std::string* device = nullptr);
/// choose_preprocessing<cuda::Backend> applied to both splits.
Preprocessing<float> preprocess_cuda(DatasetSplits<float>& data, bool zca, const std::string& dataset);

/// Checks --device and --tf32 before any work (TF32 only with --device cuda: one line
/// otherwise) and records the math mode, which the plugin's cuBLAS and cuDNN calls then use.
void use_device(const std::string& device, bool tf32);
/// prepare_run_data<cuda::Backend>.
void prepare_run_data_cuda(DatasetSplits<float>& data, ExpertSet& experts, const DistillSettings& s,
                           const std::string& dataset);

}  // namespace distill::cli

extern "C" {
/// The plugin's entries for the requests above: 0 on success, else 1 with the message in `error`.
typedef int (*DistillCliCudaRun)(distill::cli::CudaRunRequest* request, char* error, unsigned long error_size);
typedef int (*DistillCliCudaExperts)(distill::cli::CudaExpertsRequest* request, char* error,
                                     unsigned long error_size);
typedef int (*DistillCliCudaEvaluate)(distill::cli::CudaEvaluateRequest* request, char* error,
                                      unsigned long error_size);
typedef int (*DistillCliCudaPreprocess)(distill::cli::CudaPreprocessRequest* request, char* error,
                                        unsigned long error_size);
}

#endif  // DISTILL_EXAMPLES_CLI_CUDA_REQUESTS_HPP
