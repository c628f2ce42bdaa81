#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "distill/train/metrics.hpp"

TEST_CASE("MetricsLog appends one JSON object per line", "[train][metrics]") {
  const std::string path = "/tmp/distill_metrics_test_" + std::to_string(::getpid()) + ".jsonl";
  std::remove(path.c_str());
  {
    distill::MetricsLog log(path);
    log.write({{"epoch", 1}, {"loss", 2.5}});
  }
  {
    distill::MetricsLog log(path);  // a resumed run appends
    log.write({{"epoch", 2}, {"loss", 1.5}});
  }
  std::ifstream in(path);
  std::string line;
  std::vector<nlohmann::json> rows;
  while (std::getline(in, line)) rows.push_back(nlohmann::json::parse(line));
  REQUIRE(rows.size() == 2);
  CHECK(rows[0]["epoch"] == 1);
  CHECK(rows[1]["loss"] == 1.5);
  std::remove(path.c_str());
  CHECK_THROWS_WITH(distill::MetricsLog("/nonexistent-dir/m.jsonl"), Catch::Contains("/nonexistent-dir/m.jsonl"));
}
