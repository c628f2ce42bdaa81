#include <catch2/catch.hpp>

#include <cmath>
#include <regex>
#include <string>
#include <vector>

#include "distill/report/svg_chart.hpp"
#include "support/text.hpp"

using namespace distill::report;

namespace {

/// The (x, y) pairs of the polylines of `svg`, in order.
std::vector<std::vector<std::pair<double, double>>> polylines(const std::string& svg) {
  std::vector<std::vector<std::pair<double, double>>> out;
  const std::regex line("<polyline[^>]*points=\"([^\"]*)\"");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), line); it != std::sregex_iterator(); ++it) {
    std::vector<std::pair<double, double>> pts;
    const std::string p = (*it)[1];
    const std::regex pair("(-?[0-9.]+),(-?[0-9.]+)");
    for (auto q = std::sregex_iterator(p.begin(), p.end(), pair); q != std::sregex_iterator(); ++q)
      pts.emplace_back(std::stod((*q)[1]), std::stod((*q)[2]));
    out.push_back(pts);
  }
  return out;
}

}  // namespace

TEST_CASE("svg chart: ticks fall on round numbers covering the range", "[report]") {
  auto same = [](const std::vector<double>& got, const std::vector<double>& want) {
    if (got.size() != want.size()) return false;
    for (std::size_t i = 0; i < got.size(); ++i)
      if (!(got[i] == Approx(want[i]).margin(1e-12))) return false;
    return true;
  };
  CHECK(same(distill::report::detail::linear_ticks(0, 1), {0, 0.25, 0.5, 0.75, 1}));
  CHECK(same(distill::report::detail::linear_ticks(3, 97), {25, 50, 75}));
  CHECK(same(distill::report::detail::linear_ticks(-1, 1), {-1, -0.5, 0, 0.5, 1}));
  CHECK(same(distill::report::detail::linear_ticks(0.1, 0.7), {0.2, 0.4, 0.6}));
  CHECK(same(distill::report::detail::log_ticks(0.5, 30), {0.5, 1, 2, 5, 10, 20}));
  CHECK(same(distill::report::detail::log_ticks(1e-3, 1e3), {1e-3, 1e-2, 1e-1, 1, 10, 100, 1000}));
}

TEST_CASE("svg chart: points map to the plot box, the first to its left edge and the last to its right",
          "[report]") {
  Series s;
  s.x = {1, 2, 3, 4};
  s.y = {10, 20, 15, 30};
  ChartOptions o;
  o.id = "loss";
  o.width = 500;
  o.height = 250;
  const std::string svg = line_chart({s}, o);
  CHECK(svg.find("data-chart=\"loss\"") != std::string::npos);
  const auto lines = polylines(svg);
  REQUIRE(lines.size() == 1);
  REQUIRE(lines[0].size() == 4);
  const double left = 62, right = 500 - 14, top = 10, bottom = 250 - 38;
  CHECK(lines[0][0].first == Approx(left).margin(0.06));
  CHECK(lines[0][3].first == Approx(right).margin(0.06));
  // Larger values are drawn higher; every point inside the box.
  CHECK(lines[0][3].second < lines[0][1].second);
  CHECK(lines[0][1].second < lines[0][2].second);
  CHECK(lines[0][2].second < lines[0][0].second);
  for (const auto& [x, y] : lines[0]) {
    CHECK(x >= left - 0.06);
    CHECK(x <= right + 0.06);
    CHECK(y >= top);
    CHECK(y <= bottom);
  }
  CHECK(distill::test::occurrences(svg, "<circle") == 0);  // no legend or markers for one plain series
  CHECK(svg.find("class=\"note\"") == std::string::npos);
}

TEST_CASE("svg chart: a non-finite value breaks the line, markers and a legend for several series", "[report]") {
  Series a, b;
  a.name = "run <a>";
  a.x = {0, 1, 2, 3, 4};
  a.y = {1, 2, std::nan(""), 4, 5};
  b.name = "run b";
  b.x = {0, 4};
  b.y = {3, 3};
  b.markers = true;
  b.line = false;
  const std::string svg = line_chart({a, b}, ChartOptions{});
  const auto lines = polylines(svg);
  REQUIRE(lines.size() == 2);  // a's two pieces; b draws no line
  CHECK(lines[0].size() == 2);
  CHECK(lines[1].size() == 2);
  CHECK(distill::test::occurrences(svg, "<circle") == 2);
  CHECK(svg.find("stroke=\"#1f77b4\"") != std::string::npos);
  CHECK(svg.find("fill=\"#ff7f0e\"") != std::string::npos);
  CHECK(svg.find("run &lt;a&gt;") != std::string::npos);  // the legend, escaped
}

TEST_CASE("svg chart: log scale when asked or when positive values span more than 50x; empty charts say so",
          "[report]") {
  Series s;
  s.x = {1, 2, 3};
  s.y = {1000, 10, 1};
  ChartOptions o;
  o.y_scale = YScale::kAuto;
  const std::string log_svg = line_chart({s}, o);
  CHECK(log_svg.find("(log scale)") != std::string::npos);
  // Equal steps in log10 are equal steps on the page.
  const auto p = polylines(log_svg)[0];
  CHECK((p[1].second - p[0].second) == Approx(2 * (p[2].second - p[1].second)).margin(0.15));
  s.y = {3, 2, 1};
  CHECK(line_chart({s}, o).find("(log scale)") == std::string::npos);
  s.y = {-1, 2, 100};
  o.y_scale = YScale::kLog;  // not possible with a negative value: stays linear
  CHECK(line_chart({s}, o).find("(log scale)") == std::string::npos);
  Series empty;
  empty.x = {1};
  empty.y = {std::nan("")};
  const std::string none = line_chart({empty}, ChartOptions{});
  CHECK(none.find("no data yet") != std::string::npos);
  CHECK(none.find("<polyline") == std::string::npos);
  // A single point (and a flat line) still gets a sensible box.
  Series one;
  one.x = {5};
  one.y = {0.5};
  one.markers = true;
  CHECK(distill::test::occurrences(line_chart({one}, ChartOptions{}), "<circle") == 1);
}

TEST_CASE("svg chart: tick labels carry the digits that tell them apart", "[report]") {
  CHECK(distill::report::detail::tick_labels({0, 0.25, 0.5}) == std::vector<std::string>{"0.00", "0.25", "0.50"});
  CHECK(distill::report::detail::tick_labels({0.01, 0.01001, 0.01002}) == std::vector<std::string>{"0.01000", "0.01001", "0.01002"});
  CHECK(distill::report::detail::tick_labels({1000, 1500, 2000}) == std::vector<std::string>{"1000", "1500", "2000"});
  CHECK(distill::report::detail::tick_labels({0.1 + 0.2, 0.6}) == std::vector<std::string>{"0.3", "0.6"});
  CHECK(distill::report::detail::tick_labels({1e-6, 2.5e-6}) == std::vector<std::string>{"1e-06", "2.5e-06"});
  CHECK(distill::report::detail::tick_labels({1e7, 2e7}) == std::vector<std::string>{"1e+07", "2e+07"});
}

TEST_CASE("svg chart: the x range may be widened, so a lone point sits at its place among the iterations",
          "[report]") {
  Series s;
  s.x = {200};
  s.y = {45};
  s.markers = true;
  ChartOptions o;
  o.x_range[0] = 1;
  o.x_range[1] = 200;
  const std::string svg = line_chart({s}, o);
  const auto at = svg.find("<circle cx=\"");
  REQUIRE(at != std::string::npos);
  CHECK(std::stod(svg.substr(at + 12)) == Approx(o.width - 14.0).margin(0.06));  // the right edge
}
