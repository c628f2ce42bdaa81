#ifndef DISTILL_REPORT_RUN_LOG_HPP
#define DISTILL_REPORT_RUN_LOG_HPP

// What a run's JSON-lines files say: the iterations, evaluations and invocations the Distiller
// logged in metrics.jsonl, and the evaluations `distill evaluate` recorded in evaluations.jsonl.

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "distill/core/error.hpp"
#include "distill/core/shape.hpp"
#include "distill/data/file_io.hpp"

namespace distill::report {

/// The records of a JSON-lines file. A last line without its newline is what a run killed in
/// the middle of a write leaves: it is dropped (and counted in `partial`), not an error. Any
/// other line that is not a JSON object is an error naming the file and the line.
struct JsonLines {
  std::vector<nlohmann::json> records;
  std::vector<Index> line_numbers;  ///< 1-based line of each record, for error messages
  bool partial = false;
};

inline JsonLines read_json_lines(const std::string& path) {
  const std::vector<std::uint8_t> bytes = read_file_bytes(path);
  JsonLines out;
  std::size_t begin = 0;
  Index line = 0;
  while (begin < bytes.size()) {
    ++line;
    std::size_t end = begin;
    while (end < bytes.size() && bytes[end] != '\n') ++end;
    const bool terminated = end < bytes.size();
    const std::string text(bytes.begin() + std::ptrdiff_t(begin), bytes.begin() + std::ptrdiff_t(end));
    begin = end + 1;
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json record;
    try {
      record = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
      if (!terminated) {
        out.partial = true;
        break;
      }
      DISTILL_CHECK(false, path << " line " << line << ": not valid JSON: " << e.what());
    }
    DISTILL_CHECK(record.is_object(), path << " line " << line << ": not a JSON object");
    out.records.push_back(std::move(record));
    out.line_numbers.push_back(line);
  }
  return out;
}

/// One outer iteration as logged.
struct IterationPoint {
  Index iteration = 0;
  double loss = 0, lr = 0, seconds = 0;
  bool skipped = false;
};

/// One evaluation of a set: a periodic or final one of the run, or one `distill evaluate`
/// recorded for an architecture.
struct EvaluationPoint {
  Index iteration = 0;  ///< the iteration of the set evaluated (-1: not known)
  bool final = false;
  std::string arch;  ///< empty: the run's own evaluation network
  std::string set;   ///< the file evaluated (evaluations.jsonl), empty for the run's own
  Index runs = 0, epochs = 0;
  std::vector<double> accuracies;
  double mean = 0, std = 0, seconds = 0;
};

/// A run's metrics.jsonl, with resumed stretches stitched together: a resume from the
/// checkpoint of iteration r drops what was logged after r before the stop (and an earlier
/// final evaluation), so every iteration appears once, as the run that kept it computed it.
/// The phase times add up every invocation's work, redone iterations included.
struct RunLog {
  nlohmann::json settings;  ///< of the last start or resume (which may change how long to run)
  std::string experts;      ///< the experts' directory the run started from ("" for none)
  Index experts_count = 0;
  bool experts_logged = false;  ///< false for logs written before the start record named them
  std::vector<IterationPoint> iterations;
  std::vector<EvaluationPoint> evaluations;  ///< periodic ones, then the final one
  Index resumes = 0;
  double iteration_seconds = 0, evaluation_seconds = 0, final_evaluation_seconds = 0;
  bool partial = false;
};

namespace detail {

template <class T>
T field(const nlohmann::json& record, const char* key, const std::string& where) {
  const auto it = record.find(key);
  DISTILL_CHECK(it != record.end(), where << ": field '" << key << "' is missing");
  try {
    return it->get<T>();
  } catch (const nlohmann::json::exception&) {
    DISTILL_CHECK(false, where << ": field '" << key << "' has the wrong type: " << it->dump());
  }
  return T();
}

inline EvaluationPoint evaluation_point(const nlohmann::json& r, const std::string& where) {
  EvaluationPoint e;
  e.accuracies = field<std::vector<double>>(r, "accuracies", where);
  e.mean = field<double>(r, "mean", where);
  e.std = field<double>(r, "std", where);
  e.runs = Index(e.accuracies.size());
  if (r.contains("seconds")) e.seconds = field<double>(r, "seconds", where);
  return e;
}

}  // namespace detail

/// Reads a run's metrics.jsonl; errors name the file, the line and the field.
inline RunLog read_run_log(const std::string& path) {
  const JsonLines lines = read_json_lines(path);
  RunLog log;
  log.partial = lines.partial;
  for (std::size_t k = 0; k < lines.records.size(); ++k) {
    const nlohmann::json& r = lines.records[k];
    const std::string where = path + " line " + std::to_string(lines.line_numbers[k]);
    const std::string event = r.contains("event") && r["event"].is_string() ? r["event"].get<std::string>() : "";
    if (event == "start") {
      log.settings = r.contains("settings") ? r["settings"] : nlohmann::json::object();
      log.experts_logged = r.contains("experts");
      if (log.experts_logged) log.experts = detail::field<std::string>(r, "experts", where);
      if (r.contains("experts_count")) log.experts_count = detail::field<Index>(r, "experts_count", where);
    } else if (event == "resume") {
      const Index from = detail::field<Index>(r, "iteration", where);
      ++log.resumes;
      if (r.contains("settings")) log.settings = r["settings"];  // a resume may run longer, evaluate more
      // A finished run continued with more iterations: its old final evaluation is superseded too.
      const auto later = [from](const auto& p) { return p.iteration > from; };
      const auto stale = [from](const EvaluationPoint& e) { return e.final || e.iteration > from; };
      log.iterations.erase(std::remove_if(log.iterations.begin(), log.iterations.end(), later), log.iterations.end());
      log.evaluations.erase(std::remove_if(log.evaluations.begin(), log.evaluations.end(), stale),
                            log.evaluations.end());
    } else if (event == "iteration") {
      IterationPoint p;
      p.iteration = detail::field<Index>(r, "iteration", where);
      p.loss = detail::field<double>(r, "loss", where);
      p.lr = detail::field<double>(r, "lr", where);
      p.seconds = detail::field<double>(r, "seconds", where);
      p.skipped = r.contains("skipped") && detail::field<bool>(r, "skipped", where);
      log.iteration_seconds += p.seconds;
      log.iterations.push_back(p);
    } else if (event == "evaluate" || event == "final_evaluate") {
      EvaluationPoint e = detail::evaluation_point(r, where);
      e.iteration = detail::field<Index>(r, "iteration", where);
      e.final = event == "final_evaluate";
      if (r.contains("arch")) e.arch = detail::field<std::string>(r, "arch", where);
      (e.final ? log.final_evaluation_seconds : log.evaluation_seconds) += e.seconds;
      log.evaluations.push_back(std::move(e));
    }
    // Other events (a program's own records) are not the report's business.
  }
  return log;
}

/// The evaluations `distill evaluate` recorded in a run's evaluations.jsonl, the latest one
/// per (set, architecture), in the order first recorded.
inline std::vector<EvaluationPoint> read_recorded_evaluations(const std::string& path) {
  const JsonLines lines = read_json_lines(path);
  std::vector<EvaluationPoint> out;
  std::map<std::pair<std::string, std::string>, std::size_t> slot;
  for (std::size_t k = 0; k < lines.records.size(); ++k) {
    const nlohmann::json& r = lines.records[k];
    const std::string where = path + " line " + std::to_string(lines.line_numbers[k]);
    EvaluationPoint e = detail::evaluation_point(r, where);
    e.arch = detail::field<std::string>(r, "arch", where);
    e.set = detail::field<std::string>(r, "set", where);
    e.epochs = detail::field<Index>(r, "epochs", where);
    e.iteration = r.contains("iteration") ? detail::field<Index>(r, "iteration", where) : -1;
    const auto key = std::make_pair(e.set, e.arch);
    const auto it = slot.find(key);
    if (it == slot.end()) {
      slot[key] = out.size();
      out.push_back(std::move(e));
    } else {
      out[it->second] = std::move(e);
    }
  }
  return out;
}

/// One record for evaluations.jsonl, as read_recorded_evaluations reads it back.
inline nlohmann::json evaluation_record(const std::string& set, const std::string& arch, Index epochs,
                                        const std::vector<double>& accuracies, double mean, double std,
                                        Index iteration) {
  nlohmann::json r = {{"event", "evaluate"}, {"set", set},   {"arch", arch}, {"epochs", epochs},
                      {"accuracies", accuracies}, {"mean", mean}, {"std", std}};
  if (iteration >= 0) r["iteration"] = iteration;
  return r;
}

}  // namespace distill::report

#endif  // DISTILL_REPORT_RUN_LOG_HPP
