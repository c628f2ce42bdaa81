#ifndef DISTILL_DISTILL_HPP
#define DISTILL_DISTILL_HPP

/// The one header users of the CPU library include.

#if __cplusplus < 201703L && !defined(_MSVC_LANG)
#error "distill requires C++17 or later"
#endif

#include "distill/version.hpp"

#include "distill/core/cpu_features.hpp"
#include "distill/core/error.hpp"
#include "distill/core/macros.hpp"
#include "distill/core/memory.hpp"
#include "distill/core/parallel.hpp"
#include "distill/core/rng.hpp"
#include "distill/core/seeds.hpp"
#include "distill/core/shape.hpp"
#include "distill/core/tensor.hpp"
#include "distill/core/timer.hpp"

#include "distill/augment/dsa.hpp"
#include "distill/augment/dsa_ops.hpp"
#include "distill/augment/multi_formation.hpp"

#include "distill/backend/backend.hpp"
#include "distill/backend/cpu/backend.hpp"
#include "distill/backend/cpu/convolution.hpp"
#include "distill/backend/cpu/gemm.hpp"
#include "distill/backend/cpu/im2col.hpp"

#include "distill/nn/arch.hpp"
#include "distill/nn/conv2d.hpp"
#include "distill/nn/conv_net.hpp"
#include "distill/nn/flatten.hpp"
#include "distill/nn/hessian_vector.hpp"
#include "distill/nn/init.hpp"
#include "distill/nn/linear.hpp"
#include "distill/nn/normalization.hpp"
#include "distill/nn/normalization_kernels.hpp"
#include "distill/nn/param_layout.hpp"
#include "distill/nn/pooling.hpp"
#include "distill/nn/relu.hpp"

#include "distill/losses/cross_entropy.hpp"
#include "distill/losses/cross_entropy_kernels.hpp"
#include "distill/losses/param_match.hpp"
#include "distill/losses/sup_con.hpp"
#include "distill/losses/sup_con_kernels.hpp"

#include "distill/methods/config/method_settings.hpp"
#include "distill/methods/config/presets.hpp"
#include "distill/methods/config/registry.hpp"
#include "distill/methods/config/resolve_settings.hpp"
#include "distill/methods/config/settings.hpp"
#include "distill/methods/distribution_matching/distribution_matching.hpp"
#include "distill/methods/distribution_matching/formations.hpp"
#include "distill/methods/distribution_matching/stage_constraints.hpp"
#include "distill/methods/distribution_matching/stage_samplers.hpp"
#include "distill/methods/driver/checkpoint.hpp"
#include "distill/methods/driver/distiller.hpp"
#include "distill/methods/driver/run_method.hpp"
#include "distill/methods/initialize.hpp"
#include "distill/methods/method.hpp"
#include "distill/methods/trajectory_matching/contrastive_update.hpp"
#include "distill/methods/trajectory_matching/inner_loss.hpp"
#include "distill/methods/trajectory_matching/label_policies.hpp"
#include "distill/methods/trajectory_matching/trajectory_matching.hpp"
#include "distill/methods/trajectory_matching/unroll.hpp"
#include "distill/methods/trajectory_matching/windows.hpp"

#include "distill/train/evaluate.hpp"
#include "distill/train/experts.hpp"
#include "distill/train/metrics.hpp"
#include "distill/train/prepare_data.hpp"
#include "distill/train/sgd.hpp"
#include "distill/train/trainer.hpp"

#include "distill/data/cifar.hpp"
#include "distill/data/dataset.hpp"
#include "distill/data/directories.hpp"
#include "distill/data/file_io.hpp"
#include "distill/data/idx.hpp"
#include "distill/data/load_dataset.hpp"
#include "distill/data/png.hpp"
#include "distill/data/preprocess.hpp"
#include "distill/data/preprocess_io.hpp"
#include "distill/data/safetensors.hpp"
#include "distill/data/sampling.hpp"
#include "distill/data/subset.hpp"
#include "distill/data/synthetic_set.hpp"
#include "distill/data/synthetic_set_png.hpp"
#include "distill/data/zca.hpp"

#include "distill/report/experts_report.hpp"
#include "distill/report/html.hpp"
#include "distill/report/image_grid.hpp"
#include "distill/report/report.hpp"
#include "distill/report/run_log.hpp"
#include "distill/report/run_report.hpp"
#include "distill/report/svg_chart.hpp"

// Last: with DISTILL_USE_PREBUILT (the distill::prebuilt target) the common specialisations
// are declared extern here, after every template they name.
#include "distill/prebuilt.hpp"

#endif  // DISTILL_DISTILL_HPP
