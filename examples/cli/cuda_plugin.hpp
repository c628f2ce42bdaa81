#ifndef DISTILL_EXAMPLES_CLI_CUDA_PLUGIN_HPP
#define DISTILL_EXAMPLES_CLI_CUDA_PLUGIN_HPP

// The benchmark entries of the `distill` command's CUDA plugin (cuda_plugin.cu): plain structs
// of figures, errors as text. The run, experts and evaluate requests (cuda_requests.hpp) pass
// library types, which the plugin, built with the program, shares; in both, no C++ exception
// crosses the dlopen boundary.

extern "C" {

/// TF32 (on != 0) or FP32 math for every later entry's cuBLAS and cuDNN calls.
typedef void (*DistillCliCudaSetTf32)(int on);

struct DistillCliTrainFigures {
  char device[128];
  long params;
  double seconds;  ///< per step
  double loss;     ///< of the last step
};

/// `distill bench train --device cuda`: 0 on success, else 1 with the message in `error`.
typedef int (*DistillCliCudaTrain)(long batch, long steps, DistillCliTrainFigures* out, char* error,
                                   unsigned long error_size);

/// Device memory figures, in MiB.
struct DistillCliDeviceMemory {
  double pool_peak_in_use;    ///< the caching pool's high-water mark of bytes handed out
  double pool_peak_reserved;  ///< ... and of bytes held from the device (in use + cached)
  double device_used;         ///< cudaMemGetInfo's total − free at the end (context included)
  double device_total;
};

struct DistillCliTmFigures {
  char device[128];
  long params, images;
  double seconds;  ///< per iteration
  double loss;     ///< of the last iteration
  double grad_lr;  ///< ∂L/∂α of the last iteration
  long kept_steps;  ///< steps kept between the unroll's sweeps
  DistillCliDeviceMemory memory;
};

/// `distill bench tm --device cuda`: 0 on success, else 1 with the message in `error`.
typedef int (*DistillCliCudaTm)(long ipc, long classes, long steps, long batch, long iterations, long unroll_memory,
                                DistillCliTmFigures* out, char* error, unsigned long error_size);

struct DistillCliDmFigures {
  char device[128];
  long steps_per_iteration;
  double seconds;  ///< per iteration
  double loss;     ///< of the last iteration
  DistillCliDeviceMemory memory;
};

/// `distill bench dm --device cuda`: the method (a registry name) at its CIFAR-10 preset for
/// `ipc`; 0 on success, else 1 with the message in `error`.
typedef int (*DistillCliCudaDm)(const char* method, long ipc, long iterations, DistillCliDmFigures* out, char* error,
                                unsigned long error_size);
}

#endif  // DISTILL_EXAMPLES_CLI_CUDA_PLUGIN_HPP
