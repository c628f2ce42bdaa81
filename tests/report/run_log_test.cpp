#include <catch2/catch.hpp>

#include <fstream>
#include <string>

#include "data/temp_dir.hpp"
#include "distill/core/error.hpp"
#include "distill/report/run_log.hpp"

using namespace distill;
using namespace distill::report;

namespace {

std::string write(const test::TempDir& d, const std::string& name, const std::string& text) {
  const std::string path = d.file(name);
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

const char* kIteration = R"({"event":"iteration","iteration":%d,"loss":%g,"lr":0.01,"seconds":0.5,"skipped":false})";

std::string iteration(int i, double loss) {
  char buf[256];
  std::snprintf(buf, sizeof buf, kIteration, i, loss);
  return std::string(buf) + "\n";
}

}  // namespace

TEST_CASE("run log: iterations, evaluations and phase times from metrics.jsonl", "[report]") {
  test::TempDir d;
  std::string text = R"({"event":"start","settings":{"method":"dm","ipc":2,"iterations":3},"images":8,)"
                     R"("experts":"/x/experts","experts_count":2})" "\n";
  text += iteration(1, 0.9) + iteration(2, 0.8);
  text += R"({"event":"evaluate","iteration":2,"arch":"ConvNet","accuracies":[0.5,0.7],"mean":0.6,"std":0.1,"seconds":4})" "\n";
  text += R"({"event":"something_else","x":1})" "\n";
  text += iteration(3, 0.7);
  text += R"({"event":"final_evaluate","iteration":3,"accuracies":[0.8],"mean":0.8,"std":0,"seconds":2})" "\n";
  const RunLog log = read_run_log(write(d, "metrics.jsonl", text));
  CHECK(log.settings["method"] == "dm");
  CHECK(log.experts == "/x/experts");
  CHECK(log.experts_count == 2);
  REQUIRE(log.iterations.size() == 3);
  CHECK(log.iterations[2].iteration == 3);
  CHECK(log.iterations[2].loss == 0.7);
  CHECK(log.iteration_seconds == 1.5);
  REQUIRE(log.evaluations.size() == 2);
  CHECK(log.evaluations[0].arch == "ConvNet");
  CHECK(log.evaluations[0].runs == 2);
  CHECK_FALSE(log.evaluations[0].final);
  CHECK(log.evaluations[1].final);
  CHECK(log.evaluation_seconds == 4);
  CHECK(log.final_evaluation_seconds == 2);
  CHECK(log.resumes == 0);
  CHECK_FALSE(log.partial);
}

TEST_CASE("run log: a resume drops what the stopped run logged after its checkpoint", "[report]") {
  test::TempDir d;
  std::string text = R"({"event":"start","settings":{"iterations":4}})" "\n";
  text += iteration(1, 1.0) + iteration(2, 0.9) + iteration(3, 0.8);
  text += R"({"event":"evaluate","iteration":3,"accuracies":[0.5],"mean":0.5,"std":0,"seconds":1})" "\n";
  text += R"({"event":"resume","iteration":2})" "\n";  // the checkpoint was at 2: 3 is redone
  text += iteration(3, 0.75) + iteration(4, 0.7);
  text += R"({"event":"final_evaluate","iteration":4,"accuracies":[0.6],"mean":0.6,"std":0,"seconds":1})" "\n";
  // Continued with more iterations after it finished: the old final evaluation is superseded.
  text += R"({"event":"resume","iteration":4,"settings":{"iterations":5}})" "\n";
  text += iteration(5, 0.65);
  const RunLog log = read_run_log(write(d, "metrics.jsonl", text));
  CHECK(log.resumes == 2);
  CHECK(log.settings["iterations"] == 5);  // the resume's settings: it runs longer
  REQUIRE(log.iterations.size() == 5);
  CHECK(log.iterations[2].loss == 0.75);
  CHECK(log.iterations[4].iteration == 5);
  CHECK(log.evaluations.empty());
}

TEST_CASE("run log: a cut-off last line is dropped; a bad line or field is an error naming file and line",
          "[report]") {
  test::TempDir d;
  const std::string good = R"({"event":"start","settings":{}})" "\n" + iteration(1, 0.5);
  const RunLog cut = read_run_log(write(d, "cut.jsonl", good + R"({"event":"iteration","itera)"));
  CHECK(cut.partial);
  CHECK(cut.iterations.size() == 1);
  CHECK_THROWS_WITH(read_run_log(write(d, "bad.jsonl", good + "not json\n" + iteration(2, 0.4))),
                    Catch::Contains("bad.jsonl line 3: not valid JSON"));
  CHECK_THROWS_WITH(read_run_log(write(d, "array.jsonl", good + "[1,2]\n")),
                    Catch::Contains("array.jsonl line 3: not a JSON object"));
  CHECK_THROWS_WITH(read_run_log(write(d, "field.jsonl", good + R"({"event":"iteration","iteration":2,"lr":1,"seconds":1})" "\n")),
                    Catch::Contains("field.jsonl line 3: field 'loss' is missing"));
  CHECK_THROWS_WITH(read_run_log(write(d, "type.jsonl", good + R"({"event":"iteration","iteration":"two","loss":1,"lr":1,"seconds":1})" "\n")),
                    Catch::Contains("type.jsonl line 3: field 'iteration' has the wrong type: \"two\""));
  CHECK_THROWS_WITH(read_run_log(d.file("missing.jsonl")), Catch::Contains("missing.jsonl"));
}

TEST_CASE("run log: recorded evaluations keep the latest per set and architecture", "[report]") {
  test::TempDir d;
  std::string text;
  text += evaluation_record("synthetic.safetensors", "ConvNet", 300, {0.4, 0.5}, 0.45, 0.05, 10).dump() + "\n";
  text += evaluation_record("synthetic.safetensors", "ConvNetBN", 300, {0.3}, 0.3, 0, 10).dump() + "\n";
  text += evaluation_record("synthetic.safetensors", "ConvNet", 1000, {0.6}, 0.6, 0, 10).dump() + "\n";
  text += evaluation_record("best.safetensors", "ConvNet", 300, {0.2}, 0.2, 0, -1).dump() + "\n";
  const auto e = read_recorded_evaluations(write(d, "evaluations.jsonl", text));
  REQUIRE(e.size() == 3);
  CHECK(e[0].arch == "ConvNet");
  CHECK(e[0].epochs == 1000);
  CHECK(e[0].mean == 0.6);
  CHECK(e[1].arch == "ConvNetBN");
  CHECK(e[2].set == "best.safetensors");
  CHECK(e[2].iteration == -1);
  CHECK(e[0].iteration == 10);
}
