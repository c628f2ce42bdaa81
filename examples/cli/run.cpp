// distill run: distil a dataset with any registered method; writes the synthetic set, a PNG
// grid, checkpoints, metrics, a summary and report.html. The method's registry row decides whether it
// needs experts and which of their epochs are loaded (methods/driver/run_method.hpp).
#include <memory>

#include "commands.hpp"
#include "cuda_requests.hpp"
#include "progress.hpp"
#include "world.hpp"

namespace distill::cli {

namespace {

/// A flag that sets one field of the settings when given, e.g. --syn-steps → syn_steps.
struct FieldFlag {
  const char* flag;
  const char* field;
  const char* help;
  long long min;
  long long value = 0;
  CLI::Option* option = nullptr;
};

struct RunArgs {
  std::string method, experts, data, dataset = "cifar10", out, preset, config, device = "cpu";
  bool tf32 = false;
  std::vector<std::string> set;
  Index ipc = 1, image_size = 0;
  bool resume = false, print_settings = false;
  std::vector<FieldFlag> flags = {
      {"--iterations", "iterations", "Outer iterations (default: the preset's)", 0},
      {"--syn-steps", "syn_steps", "Unrolled student steps N (default: the preset's)", 1},
      {"--batch-syn", "batch_syn", "Student minibatch (0: the whole set; default: the preset's)", 0},
      {"--trajectories", "trajectories",
       "Expert segments matched per iteration, gradients averaged in segment order (default 1)", 1},
      {"--unroll-memory", "unroll_memory",
       "MiB of each unrolled step's convolution results kept for the reverse sweep: the same bits, fewer "
       "operations (0: recompute; default 256)",
       0},
      {"--eval-every", "eval_every", "Evaluate every E iterations (0: only at the end; default 500)", 0},
      {"--eval-runs", "eval_runs", "Networks per periodic evaluation (default 1)", 1},
      {"--final-eval-runs", "final_eval_runs", "Networks for the final evaluation (default 5; 0: none)", 0},
      {"--eval-epochs", "eval_epochs", "Epochs per evaluation network (default 1000)", 1},
      {"--checkpoint-every", "checkpoint_every", "Write the checkpoint every C iterations (default 10)", 1},
      {"--seed", "seed", "Random seed (default 0)", 0}};
  CommonFlags common;
};

/// Preset (or the method's defaults), then --config, then --set key=value, then the flags.
ResolvedSettings settings_for(const RunArgs& a, const std::string& dataset) {
  SettingsRequest req;
  req.method = a.method;
  req.dataset = dataset;
  req.ipc = a.ipc;
  req.preset = a.preset;
  if (!a.config.empty()) req.given.push_back(read_settings_file(a.config));
  for (const std::string& kv : a.set) req.given.push_back(parse_setting_assignment(kv));
  for (const FieldFlag& f : a.flags)
    if (f.option->count()) req.given.push_back({f.flag, nlohmann::json{{f.field, std::uint64_t(f.value)}}});
  return resolve_settings(builtin_methods(), req);
}

void write_summary(const RunArgs& a, const DistillSettings& s, const ExpertSet& experts, const DistillResult& r,
                   double seconds) {
  const std::string png = a.out + "/synthetic.png";
  write_synthetic_set_png(png, r.set);
  nlohmann::json summary = {{"method", s.method}, {"settings", to_json(s)}, {"experts", a.experts},
                            {"experts_count", experts.size()}, {"iterations", r.iterations}, {"lr", r.set.lr},
                            {"seconds", seconds}, {"synthetic", a.out + "/synthetic.safetensors"}, {"png", png}};
  if (r.best_iteration >= 0) summary["best"] = {{"iteration", r.best_iteration}, {"accuracy", r.best_accuracy}};
  if (!r.final_evaluation.accuracies.empty())
    summary["final_evaluation"] = {{"accuracies", r.final_evaluation.accuracies}, {"mean", r.final_evaluation.mean},
                                   {"std", r.final_evaluation.std}};
  const std::string text = summary.dump(2) + "\n";
  write_file_atomic(a.out + "/summary.json", {{reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}});
  std::printf("wrote %s/synthetic.safetensors, %s, %s/summary.json (%.0f s)\n", a.out.c_str(), png.c_str(),
              a.out.c_str(), seconds);
}

DistillerOptions progress_options(const RunArgs& a, Progress& progress) {
  DistillerOptions opt;
  opt.on_files_written = report::refresh;
  opt.comm = &world();
  opt.out_dir = a.out;
  opt.resume = a.resume;
  opt.on_iteration = [&progress](const IterationRecord& r) {
    progress.update(r.iteration);
    if (r.iteration % 10 == 0 || r.iteration == r.iterations) {
      progress.finish();
      std::printf("iteration %ld/%ld loss %.5f%s lr %.6g (%.2f s/it)\n", long(r.iteration), long(r.iterations), r.loss,
                  r.skipped ? " (skipped)" : "", r.lr, r.seconds);
      std::fflush(stdout);
    }
  };
  opt.on_evaluation = [&progress](const EvaluationRecord& e) {
    progress.finish();
    std::printf("%s evaluation at iteration %ld: %.2f%% +- %.2f%% (%zu runs, %.0f s)\n", e.final ? "final" : "periodic",
                long(e.iteration), 100 * e.result.mean, 100 * e.result.std, e.result.accuracies.size(), e.seconds);
    std::fflush(stdout);
  };
  return opt;
}

void run_distill(const RunArgs& a) {
  a.common.apply();
  use_device(a.device, a.tf32);
  const MethodInfo& info = builtin_methods().info(a.method);
  DISTILL_CHECK(!info.needs_experts || !a.experts.empty(), "run: --method " << a.method << " needs --experts DIR");
  // Before anything slow: a resume needs a run to continue.
  DISTILL_CHECK(!a.resume || regular_file_exists(checkpoint_file(a.out)),
                "run: --resume: " << checkpoint_file(a.out) << " does not exist, there is no run to resume");
  // The experts' data set picks the preset.
  const std::string dataset =
      a.experts.empty() ? dataset_kind(a.dataset, a.image_size) : experts_dataset(a.experts, a.dataset);
  const ResolvedSettings resolved = settings_for(a, dataset);
  const DistillSettings& s = resolved.settings;
  if (!resolved.published) std::fprintf(stderr, "settings: %s: %s\n", resolved.origin.c_str(), to_json(s).dump().c_str());
  if (a.print_settings) {
    std::printf("%s\n", to_json(s).dump(2).c_str());
    return;
  }
  Timer wall;
  ExpertSet experts = load_experts_for(info, s, a.experts);
  if (experts.size() > 0) {
    std::fprintf(stderr, "experts: %ld from %s (%s, %s, epochs 0-%ld loaded)\n", long(experts.size()),
                 a.experts.c_str(), experts.arch.c_str(), to_string(experts.preprocessing.kind), long(experts.epochs()));
    const bool zca = experts.preprocessing.kind == PreprocessKind::kZca;
    if (s.zca != zca)
      std::fprintf(stderr, "warning: the %s setting %s ZCA, the experts were trained %s it\n", s.method.c_str(),
                   s.zca ? "uses" : "does not use", zca ? "with" : "without");
  }
  DatasetSplits<float> data = load_data(experts.dataset.empty() ? dataset : experts.dataset, a.data);
  if (a.device == "cuda")
    prepare_run_data_cuda(data, experts, s, dataset);
  else
    prepare_run_data(data, experts, s.zca, dataset);
  DistillNet net = make_distill_net(experts, data.train);
  create_directories(a.out);
  Progress progress("distill", s.iterations, "it");
  const DistillerOptions options = progress_options(a, progress);
  DistillResult r;
  if (a.device == "cuda") {
    std::string device;
    r = run_method_cuda(s, data, experts, options, &device);
    std::fprintf(stderr, "distilled on %s (%s)\n", device.c_str(), math_name(a.tf32));
  } else {
    const Dsa<float> dsa(dsa_config(s));
    r = run_method(builtin_methods(), s, net, data, experts, dsa, options);
  }
  if (!lead_rank()) return;  // rank 0 writes the summary and the report
  write_summary(a, s, experts, r, wall.seconds());
  report::refresh(a.out);  // again, now with the summary's wall time
  std::printf("wrote %s\n", report::report_path(a.out).c_str());
  if (!r.final_evaluation.accuracies.empty())
    std::printf("accuracy_mean=%.2f accuracy_std=%.2f\n", 100 * r.final_evaluation.mean, 100 * r.final_evaluation.std);
  else
    std::printf("iterations=%ld\n", long(r.iterations));
}

}  // namespace

void add_run(CLI::App& app) {
  auto a = std::make_shared<RunArgs>();
  auto* cmd = app.add_subcommand("run", "Distil a dataset (trajectory matching or distribution matching); writes "
                                        "the synthetic set, a PNG grid, checkpoints, metrics, a summary and report.html; the last "
                                        "line is accuracy_mean=... accuracy_std=...");
  cmd->add_option("--method", a->method, "Method")->required()->check(CLI::IsMember(builtin_methods().names()));
  cmd->add_option("--ipc", a->ipc, "Synthetic images per class")->capture_default_str()->check(at_least(1));
  cmd->add_option("--experts", a->experts, "Directory of expert trajectories (distill experts); all methods but dm")
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--dataset", a->dataset, "Dataset format when no experts are given (dm)")
      ->check(CLI::IsMember(dataset_kinds()))
      ->capture_default_str();
  cmd->add_option("--image-size", a->image_size, "With --dataset folder and no experts: resize images to N x N")
      ->check(at_least(1));
  cmd->add_option("--data", a->data, "Dataset directory")->required()->check(CLI::ExistingDirectory);
  cmd->add_option("--out", a->out, "Output directory (created with its parents)")->required();
  cmd->add_option("--preset", a->preset, "Published setting, e.g. cifar10-ipc10 (default: <dataset>-ipc<K> where "
                                         "published, else the method's defaults for K; see `distill presets`)");
  cmd->add_option("--config", a->config, "JSON file of settings applied over the preset")->check(CLI::ExistingFile);
  cmd->add_option("--set", a->set, "Override one setting, key=value (JSON value), e.g. --set syn_steps=20 "
                                   "--set contrast=ntxent; repeatable; a field the method does not read is an error");
  for (FieldFlag& f : a->flags) f.option = cmd->add_option(f.flag, f.value, f.help)->check(at_least(f.min));
  add_device_flag(cmd, a->device, a->tf32, "the method's iterations, its evaluations and a ZCA fit");
  cmd->add_flag("--resume", a->resume, "Continue the run in --out from its checkpoint (an error when there is none)");
  cmd->add_flag("--print-settings", a->print_settings, "Print the resolved settings as JSON and exit");
  a->common.add(cmd, false);
  cmd->callback([a] { run_distill(*a); });
}

}  // namespace distill::cli
