// distill show: a synthetic set as a PNG grid, one row per class.
#include <memory>

#include "commands.hpp"

namespace distill::cli {

namespace {

struct ShowArgs {
  std::string synthetic, out;
  Index upscale = 2;
  bool stretch = false, decode = false;
};

void run_show(const ShowArgs& a) {
  const SyntheticSet stored = load_synthetic_set(a.synthetic);
  const SyntheticSet set = a.decode ? decoded_set(stored) : stored;
  PngGridOptions opt;
  opt.upscale = a.upscale;
  opt.stretch = a.stretch;
  create_parent_directories(a.out);
  write_synthetic_set_png(a.out, set, opt);
  std::printf("wrote %s: %ld classes, %ld images\n", a.out.c_str(), long(set.classes), long(set.size()));
}

}  // namespace

void add_show(CLI::App& app) {
  auto a = std::make_shared<ShowArgs>();
  auto* cmd = app.add_subcommand("show", "Write a synthetic set as a PNG grid, one row per class");
  cmd->add_option("--synthetic", a->synthetic, "Synthetic set (.safetensors)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--out", a->out, "PNG file to write (its directory is created)")->required();
  cmd->add_option("--upscale", a->upscale, "Integer upscaling of every image")->capture_default_str()->check(at_least(1));
  cmd->add_flag("--stretch", a->stretch, "Stretch each image to its own min..max instead of clipping to [0,1]");
  cmd->add_flag("--decode", a->decode, "Show a multi-formation set's decoded images (f² per stored image)");
  cmd->callback([a] { run_show(*a); });
}

}  // namespace distill::cli
