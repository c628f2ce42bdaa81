#ifndef DISTILL_REPORT_IMAGE_GRID_HPP
#define DISTILL_REPORT_IMAGE_GRID_HPP

// A synthetic set as an HTML grid: one row per class, each image its own embedded PNG (in
// viewable colours, the set's preprocessing inverted), so a click enlarges just that image.

#include <algorithm>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "distill/augment/multi_formation.hpp"
#include "distill/data/png.hpp"
#include "distill/data/synthetic_set.hpp"
#include "distill/report/html.hpp"

namespace distill::report {

/// The class names a set records (info "class_names", a JSON array, as the Distiller stores
/// the data's names), else "class 0", "class 1", ….
inline std::vector<std::string> class_names(const SyntheticSet& set) {
  std::vector<std::string> names;
  const auto it = set.info.find("class_names");
  if (it != set.info.end()) {
    try {
      names = nlohmann::json::parse(it->second).get<std::vector<std::string>>();
    } catch (const nlohmann::json::exception&) {
      names.clear();  // a set edited by hand still shows, with numbered classes
    }
  }
  if (Index(names.size()) != set.classes) {
    names.clear();
    for (Index c = 0; c < set.classes; ++c) names.push_back("class " + std::to_string(c));
  }
  return names;
}

/// The grid of `set`: a row per class with its name, its images in set order, `cell` CSS
/// pixels wide (0: twice the image width, at least 48, up to ten per class; the image width, at
/// least 32, beyond). `id` becomes the grid's data-grid attribute.
inline std::string image_grid(const SyntheticSet& set, const std::string& id, int cell = 0) {
  Tensor<float> images = set.images;
  set.preprocessing.invert(images);
  const Shape s = images.shape();
  std::vector<std::vector<Index>> by_class(static_cast<std::size_t>(set.classes));
  for (Index i = 0; i < set.size(); ++i) by_class[std::size_t(set.labels[std::size_t(i)])].push_back(i);
  Index most = 0;
  for (const auto& c : by_class) most = std::max<Index>(most, Index(c.size()));
  if (cell <= 0) cell = int(std::clamp<Index>(most <= 10 ? 2 * s.w : s.w, most <= 10 ? 48 : 32, 128));
  const int height = int(double(cell) * double(s.h) / double(s.w) + 0.5);
  const std::vector<std::string> names = class_names(set);
  std::string out = "<div class=\"grid\" data-grid=\"" + escape(id) + "\">";
  for (Index c = 0; c < set.classes; ++c) {
    out += "<div class=\"row\"><div class=\"label\" title=\"" + escape(names[std::size_t(c)]) + "\">" +
           escape(names[std::size_t(c)]) + "</div><div style=\"display:flex;flex-wrap:wrap;gap:3px;max-width:" +
           std::to_string(10 * (cell + 3)) + "px\">";
    Index j = 0;
    for (const Index i : by_class[std::size_t(c)]) {
      const std::vector<unsigned char> png =
          encode_png_grid(id + " image " + std::to_string(i), images.cview().samples(i, 1), 1, 1);
      const std::string title = names[std::size_t(c)] + ", image " + std::to_string(j++) + " (set index " +
                                std::to_string(i) + ")";
      out += "<img class=\"cell\" src=\"" + png_data_uri(png) + "\" width=\"" + std::to_string(cell) + "\" height=\"" +
             std::to_string(height) + "\" title=\"" + escape(title) + "\" alt=\"" + escape(title) + "\">";
    }
    out += "</div></div>";
  }
  return out + "</div>";
}

/// The set's grids: the stored images, and for a multi-formation set also the decoded images
/// networks train on, each with a caption.
inline std::string set_grids(const SyntheticSet& set, const std::string& id) {
  const Index factor = formation_factor(set);
  const Shape s = set.images.shape();
  if (factor <= 1) {
    return "<div class=\"grids\"><div><h3>" + std::to_string(set.size()) + " images of " + std::to_string(s.c) + "×" +
           std::to_string(s.h) + "×" + std::to_string(s.w) + "</h3>" + image_grid(set, id) + "</div></div>";
  }
  const SyntheticSet decoded = decoded_set(set);
  const Shape d = decoded.images.shape();
  return "<div class=\"grids\"><div><h3>stored: " + std::to_string(set.size()) + " images (multi-formation factor " +
         std::to_string(factor) + ")</h3>" + image_grid(set, id) + "</div><div><h3>decoded: " +
         std::to_string(decoded.size()) + " images of " + std::to_string(d.h) + "×" + std::to_string(d.w) +
         ", as networks train on them</h3>" + image_grid(decoded, id + "-decoded") + "</div></div>";
}

}  // namespace distill::report

#endif  // DISTILL_REPORT_IMAGE_GRID_HPP
