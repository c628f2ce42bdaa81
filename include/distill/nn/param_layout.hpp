#ifndef DISTILL_NN_PARAM_LAYOUT_HPP
#define DISTILL_NN_PARAM_LAYOUT_HPP

#include <string>
#include <utility>
#include <vector>

#include "distill/core/error.hpp"
#include "distill/core/shape.hpp"

namespace distill {

/// One named parameter tensor inside a flat parameter vector.
struct ParamEntry {
  std::string name;          ///< PyTorch `named_parameters()` name, e.g. "features.0.weight"
  Index offset = 0;          ///< first element in the flat vector
  std::vector<Index> shape;  ///< PyTorch shape, e.g. {128, 3, 3, 3}
  Index size = 0;            ///< product of shape
};

/// Where each named tensor lives in a flat parameter vector, in registration order (which is
/// PyTorch's `named_parameters()` order for the networks of this library).
class ParamLayout {
 public:
  /// Appends a tensor and returns its offset.
  Index add(std::string name, std::vector<Index> shape) {
    Index size = 1;
    for (Index d : shape) size *= d;
    entries_.push_back({std::move(name), total_, std::move(shape), size});
    total_ += size;
    return entries_.back().offset;
  }
  const std::vector<ParamEntry>& entries() const { return entries_; }
  Index size() const { return total_; }
  const ParamEntry& at(const std::string& name) const {
    for (const auto& e : entries_)
      if (e.name == name) return e;
    DISTILL_CHECK(false, "ParamLayout: no parameter named '" << name << "'");
  }

 private:
  std::vector<ParamEntry> entries_;
  Index total_ = 0;
};

}  // namespace distill

#endif  // DISTILL_NN_PARAM_LAYOUT_HPP
