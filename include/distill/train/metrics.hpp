#ifndef DISTILL_TRAIN_METRICS_HPP
#define DISTILL_TRAIN_METRICS_HPP

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "distill/core/error.hpp"

namespace distill {

/// Appends one JSON object per line to a metrics file (JSON lines), flushing every record so a
/// killed run keeps everything logged so far. Appending (not truncating) lets resumed runs
/// continue the same file.
class MetricsLog {
 public:
  MetricsLog() = default;
  explicit MetricsLog(const std::string& path) { open(path); }

  void open(const std::string& path) {
    path_ = path;
    out_.open(path, std::ios::app);
    DISTILL_CHECK(out_.good(), path << ": cannot open metrics file for appending: " << std::strerror(errno));
  }
  bool is_open() const { return out_.is_open(); }
  const std::string& path() const { return path_; }

  void write(const nlohmann::json& record) {
    if (!out_.is_open()) return;
    out_ << record.dump() << '\n';
    out_.flush();
    DISTILL_CHECK(out_.good(), path_ << ": writing the metrics record failed");
  }

 private:
  std::string path_;
  std::ofstream out_;
};

}  // namespace distill

#endif  // DISTILL_TRAIN_METRICS_HPP
