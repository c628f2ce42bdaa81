#ifndef DISTILL_EXAMPLES_CLI_CUDA_PLUGIN_HPP
#define DISTILL_EXAMPLES_CLI_CUDA_PLUGIN_HPP

// The C interface between the `distill` command and its CUDA plugin (bench_train_cuda.cu): plain
// types only, errors as text, so no C++ exception or library type crosses the dlopen boundary.

extern "C" {

struct DistillCliTrainFigures {
  char device[128];
  long params;
  double seconds;  ///< per step
  double loss;     ///< of the last step
};

/// `distill bench train --device cuda`: 0 on success, else 1 with the message in `error`.
typedef int (*DistillCliCudaTrain)(long batch, long steps, DistillCliTrainFigures* out, char* error,
                                   unsigned long error_size);
}

#endif  // DISTILL_EXAMPLES_CLI_CUDA_PLUGIN_HPP
