#ifndef DISTILL_EXAMPLES_CLI_COMMANDS_HPP
#define DISTILL_EXAMPLES_CLI_COMMANDS_HPP

// The subcommands of `distill`, one source file each. add_<name> adds the subcommand and its
// flags to the app and sets the callback that runs it once the command line is parsed.

#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>
#include <vector>

#include "cuda_requests.hpp"
#include "distill/distill.hpp"

namespace distill::cli {

void add_experts(CLI::App& app);
void add_evaluate(CLI::App& app);
void add_show(CLI::App& app);
void add_report(CLI::App& app);
void add_run(CLI::App& app);
void add_presets(CLI::App& app);
void add_bench(CLI::App& app);

/// The --dataset choices: the library's dataset formats.
inline const std::vector<std::string>& dataset_kinds() {
  static const std::vector<std::string> kinds = dataset_format_names();
  return kinds;
}

/// Integer flags whose value must be at least `min` (0 or 1): a one-line error naming the
/// flag and the value ("--runs: must be positive, got 0").
inline CLI::Validator at_least(long long min) {
  return CLI::Validator(
      [min](std::string& value) -> std::string {
        long long v = 0;
        try {
          v = std::stoll(value);
        } catch (const std::exception&) {
          return "expected an integer, got '" + value + "'";
        }
        if (v >= min) return {};
        return std::string(min == 1 ? "must be positive" : "must not be negative") + ", got " + value;
      },
      min == 1 ? "POSITIVE" : "NON-NEGATIVE");
}

/// Real-valued flags that must be positive.
inline CLI::Validator positive_real() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        double v = 0;
        try {
          v = std::stod(value);
        } catch (const std::exception&) {
          return "expected a number, got '" + value + "'";
        }
        return v > 0 ? std::string() : "must be positive, got " + value;
      },
      "POSITIVE");
}

/// --threads and --metrics, which several subcommands share.
struct CommonFlags {
  int threads = 0;
  std::string metrics;
  void add(CLI::App* app, bool with_metrics = true) {
    app->add_option("--threads", threads, "OpenMP threads (0: OMP_NUM_THREADS or all cores)")
        ->capture_default_str()
        ->check(at_least(0));
    if (with_metrics) app->add_option("--metrics", metrics, "JSON-lines metrics file (appended)");
  }
  void apply() const {
    if (threads > 0) set_threads(threads);
  }
};


/// load_dataset with a line on stderr saying what was read.
inline DatasetSplits<float> load_data(const std::string& kind, const std::string& dir) {
  Timer t;
  auto data = load_dataset<float>(kind, dir);
  std::fprintf(stderr, "loaded %s: %ld training and %ld test images of %ldx%ldx%ld, %ld classes (%.1f s)\n",
               kind.c_str(), long(data.train.size()), long(data.test.size()), long(data.train.channels()),
               long(data.train.height()), long(data.train.width()), long(data.train.classes), t.seconds());
  return data;
}

/// choose_preprocessing applied to both splits, with a line on stderr; with device "cuda",
/// ZCA's products run on the GPU.
inline Preprocessing<float> preprocess(DatasetSplits<float>& data, bool zca, const std::string& dataset,
                                       const std::string& device = "cpu") {
  Timer t;
  if (zca)
    std::fprintf(stderr, "fitting ZCA whitening on %ld training images (%s) ...\n", long(data.train.size()),
                 device.c_str());
  Preprocessing<float> pre;
  if (device == "cuda") {
    pre = preprocess_cuda(data, zca, dataset);
  } else {
    pre = choose_preprocessing(data.train, zca, dataset);
    pre.apply(data.train.images);
    pre.apply(data.test.images);
  }
  std::fprintf(stderr, "preprocessing (%s) took %.1f s\n", to_string(pre.kind), t.seconds());
  return pre;
}

/// --device cpu|cuda on a subcommand.
inline void add_tf32_flag(CLI::App* cmd, bool& tf32) {
  cmd->add_flag("--tf32", tf32,
                "With --device cuda: TF32 tensor-core math in cuBLAS and cuDNN (inputs rounded to a 10-bit "
                "mantissa, about 1e-3 relative, for speed); FP32 otherwise");
}

/// The math mode a run used, for the lines that report it.
inline const char* math_name(bool tf32) { return tf32 ? "tf32" : "fp32"; }

/// --device, and --tf32 for the GPU's math mode (use_device applies both).
inline void add_device_flag(CLI::App* cmd, std::string& device, bool& tf32, const std::string& what) {
  cmd->add_option("--device", device, "cpu, or cuda: " + what + " on the GPU (when built with the CUDA backend); "
                                      "the files are the same either way, so work may continue on the other device")
      ->check(CLI::IsMember({"cpu", "cuda"}))
      ->capture_default_str();
  add_tf32_flag(cmd, tf32);
}

}  // namespace distill::cli

#endif  // DISTILL_EXAMPLES_CLI_COMMANDS_HPP
