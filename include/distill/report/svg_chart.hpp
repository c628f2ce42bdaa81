#ifndef DISTILL_REPORT_SVG_CHART_HPP
#define DISTILL_REPORT_SVG_CHART_HPP

// Line charts as inline SVG: axes with round-number ticks, a linear or logarithmic y axis, one
// polyline (and optional point markers) per series and an HTML legend. Drawn by the browser
// from the page itself, so a report needs no plotting script.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "distill/report/html.hpp"

namespace distill::report {

/// One curve: points (x[i], y[i]); non-finite y values leave a gap.
struct Series {
  std::string name;
  std::vector<double> x, y;
  std::string color;     ///< a CSS colour; empty: palette(index of the series)
  bool line = true;      ///< join the points
  bool markers = false;  ///< a dot at every point (sparse data, such as evaluations)
};

enum class YScale { kLinear, kLog, kAuto };

struct ChartOptions {
  std::string id;  ///< the svg's data-chart attribute, which tests and links find it by
  std::string title, x_label = "iteration", y_label;
  YScale y_scale = YScale::kLinear;  ///< kAuto: logarithmic when y > 0 spans more than 50×
  /// The x axis covers at least this range (when the data have points), e.g. all iterations.
  double x_range[2] = {std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity()};
  int width = 540, height = 250;
};

/// Tableau's ten colours: distinct for the usual number of overlaid runs, and readable on white.
inline const char* palette(std::size_t i) {
  static const char* colors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                 "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
  return colors[i % 10];
}

namespace detail {

/// Ticks at round numbers (1, 2, 2.5 or 5 × 10^k apart) covering [lo, hi], about `target` of them.
inline std::vector<double> linear_ticks(double lo, double hi, int target = 5) {
  const double raw = (hi - lo) / std::max(1, target - 1);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude;
  for (const double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (m * magnitude >= raw) {
      step = m * magnitude;
      break;
    }
  std::vector<double> ticks;
  // Multiples of the step, not a running sum, so 0.1 + 0.2 never shows as 0.30000000000000004.
  for (double k = std::ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k += 1) ticks.push_back(k * step + 0.0);
  return ticks;
}

/// Decades in [lo, hi] (lo > 0), with 2× and 5× between them when the range spans few decades.
inline std::vector<double> log_ticks(double lo, double hi) {
  std::vector<double> ticks;
  const int first = int(std::floor(std::log10(lo))), last = int(std::ceil(std::log10(hi)));
  const bool fine = last - first <= 3;
  for (int e = first; e <= last; ++e)
    for (const double m : {1.0, 2.0, 5.0}) {
      if (m != 1.0 && !fine) continue;
      const double t = m * std::pow(10.0, e);
      if (t >= lo * (1 - 1e-9) && t <= hi * (1 + 1e-9)) ticks.push_back(t);
    }
  return ticks;
}

/// Labels for `ticks`: the fewest decimals (fixed notation between 1e-4 and 1e6, else
/// significant digits) that write every tick exactly, so 0.01 and 0.01001 never both read 0.01.
inline std::vector<std::string> tick_labels(const std::vector<double>& ticks) {
  double big = 0;
  for (const double t : ticks) big = std::max(big, std::abs(t));
  const bool fixed = big == 0 || (big >= 1e-4 && big < 1e6);
  std::vector<std::string> labels;
  for (int digits = fixed ? 0 : 1; digits <= 12; ++digits) {
    char format[16];
    std::snprintf(format, sizeof format, fixed ? "%%.%df" : "%%.%dg", digits);
    labels.clear();
    bool exact = true;
    for (const double t : ticks) {
      labels.push_back(number(t, format));
      exact = exact && std::abs(std::strtod(labels.back().c_str(), nullptr) - t) <= 1e-9 * big;
    }
    if (exact) break;
  }
  return labels;
}

inline std::string coord(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

}  // namespace detail

/// The chart as an HTML block: a title, the svg (width × height) and, for several series, a
/// legend. A chart without finite points says so instead of drawing empty axes.
inline std::string line_chart(const std::vector<Series>& series, const ChartOptions& o) {
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
  bool positive = true;
  for (const Series& s : series)
    for (std::size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      x0 = std::min(x0, s.x[i]);
      x1 = std::max(x1, s.x[i]);
      y0 = std::min(y0, s.y[i]);
      y1 = std::max(y1, s.y[i]);
      positive = positive && s.y[i] > 0;
    }
  std::string out = "<div class=\"chart\"><h3>" + escape(o.title) + "</h3>";
  const std::string w = std::to_string(o.width), h = std::to_string(o.height);
  out += "<svg data-chart=\"" + escape(o.id) + "\" width=\"" + w + "\" height=\"" + h + "\" viewBox=\"0 0 " + w + " " +
         h + "\" xmlns=\"http://www.w3.org/2000/svg\" font-size=\"11\" font-family=\"system-ui,sans-serif\">";
  const bool empty = !(x0 <= x1);
  x0 = std::min(x0, o.x_range[0]);
  x1 = std::max(x1, o.x_range[1]);
  if (empty) {
    out += "<text x=\"" + detail::coord(o.width / 2.0) + "\" y=\"" + detail::coord(o.height / 2.0) +
           "\" text-anchor=\"middle\" fill=\"#6a7283\">no data yet</text></svg></div>";
    return out;
  }
  const bool log_y = o.y_scale == YScale::kLog ? positive
                     : o.y_scale == YScale::kAuto ? positive && y1 > 50 * y0
                                                  : false;
  auto ty = [log_y](double y) { return log_y ? std::log10(y) : y; };
  if (x1 == x0) {
    x0 -= 1;
    x1 += 1;
  }
  double t0 = ty(y0), t1 = ty(y1);
  if (t1 == t0) {
    const double pad = log_y ? 0.5 : (std::abs(t0) > 0 ? 0.1 * std::abs(t0) : 1.0);
    t0 -= pad;
    t1 += pad;
  } else {
    const double pad = 0.05 * (t1 - t0);
    t0 -= pad;
    if (!log_y && y0 >= 0) t0 = std::max(t0, 0.0);  // a non-negative quantity is not drawn below 0
    t1 += pad;
  }
  const double ml = 62, mr = 14, mt = 10, mb = 38;
  const double pw = o.width - ml - mr, ph = o.height - mt - mb;
  auto px = [&](double x) { return ml + (x - x0) / (x1 - x0) * pw; };
  auto py = [&](double y) { return mt + ph - (ty(y) - t0) / (t1 - t0) * ph; };

  const std::vector<double> yt = log_y ? detail::log_ticks(std::pow(10.0, t0), std::pow(10.0, t1))
                                       : detail::linear_ticks(t0, t1);
  const std::vector<std::string> yl = detail::tick_labels(yt);
  for (std::size_t i = 0; i < yt.size(); ++i) {
    const std::string y = detail::coord(py(yt[i]));
    out += "<line x1=\"" + detail::coord(ml) + "\" x2=\"" + detail::coord(ml + pw) + "\" y1=\"" + y + "\" y2=\"" + y +
           "\" stroke=\"#e6e9ee\"/>";
    out += "<text x=\"" + detail::coord(ml - 6) + "\" y=\"" + y + "\" dy=\"3.5\" text-anchor=\"end\" fill=\"#4a5262\">" +
           yl[i] + "</text>";
  }
  const std::vector<double> xt = detail::linear_ticks(x0, x1);
  const std::vector<std::string> xl = detail::tick_labels(xt);
  for (std::size_t i = 0; i < xt.size(); ++i) {
    const std::string x = detail::coord(px(xt[i]));
    out += "<line x1=\"" + x + "\" x2=\"" + x + "\" y1=\"" + detail::coord(mt + ph) + "\" y2=\"" +
           detail::coord(mt + ph + 4) + "\" stroke=\"#4a5262\"/>";
    out += "<text x=\"" + x + "\" y=\"" + detail::coord(mt + ph + 16) + "\" text-anchor=\"middle\" fill=\"#4a5262\">" +
           xl[i] + "</text>";
  }
  out += "<rect x=\"" + detail::coord(ml) + "\" y=\"" + detail::coord(mt) + "\" width=\"" + detail::coord(pw) +
         "\" height=\"" + detail::coord(ph) + "\" fill=\"none\" stroke=\"#9aa3b2\"/>";
  out += "<text x=\"" + detail::coord(ml + pw / 2) + "\" y=\"" + detail::coord(o.height - 4.0) +
         "\" text-anchor=\"middle\" fill=\"#1d2330\">" + escape(o.x_label) + "</text>";
  out += "<text transform=\"translate(13," + detail::coord(mt + ph / 2) +
         ") rotate(-90)\" text-anchor=\"middle\" fill=\"#1d2330\">" + escape(o.y_label) +
         (log_y ? " (log scale)" : "") + "</text>";

  for (std::size_t k = 0; k < series.size(); ++k) {
    const Series& s = series[k];
    const std::string color = s.color.empty() ? palette(k) : s.color;
    std::string points, dots;
    auto flush = [&] {
      if (!points.empty() && s.line)
        out += "<polyline data-series=\"" + std::to_string(k) + "\" fill=\"none\" stroke=\"" + color +
               "\" stroke-width=\"2\" stroke-linejoin=\"round\" points=\"" + points + "\"/>";
      points.clear();
    };
    for (std::size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i]) || (log_y && s.y[i] <= 0)) {
        flush();
        continue;
      }
      const std::string p = detail::coord(px(s.x[i])) + "," + detail::coord(py(s.y[i]));
      points += (points.empty() ? "" : " ") + p;
      if (s.markers)
        dots += "<circle cx=\"" + detail::coord(px(s.x[i])) + "\" cy=\"" + detail::coord(py(s.y[i])) +
                "\" r=\"3.5\" fill=\"" + color + "\"><title>" + escape(s.name) + ": " + number(s.x[i], "%.6g") +
                ", " + number(s.y[i], "%.5g") + "</title></circle>";
    }
    flush();
    out += dots;
  }
  out += "</svg>";
  if (series.size() > 1) {
    out += "<div class=\"note\">";
    for (std::size_t k = 0; k < series.size(); ++k)
      out += "<span style=\"white-space:nowrap;margin-right:12px\"><span style=\"display:inline-block;width:12px;"
             "height:3px;vertical-align:middle;background:" +
             (series[k].color.empty() ? std::string(palette(k)) : series[k].color) + "\"></span> " +
             escape(series[k].name) + "</span>";
    out += "</div>";
  }
  return out + "</div>";
}

}  // namespace distill::report

#endif  // DISTILL_REPORT_SVG_CHART_HPP
