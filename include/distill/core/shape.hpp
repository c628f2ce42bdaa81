#ifndef DISTILL_CORE_SHAPE_HPP
#define DISTILL_CORE_SHAPE_HPP

#include <cstddef>
#include <ostream>
#include <sstream>
#include <string>

#include "distill/core/error.hpp"

namespace distill {

using Index = std::ptrdiff_t;

/// Shape of an NCHW tensor. Matrices (a batch of vectors, e.g. logits) are [N, C, 1, 1].
struct Shape {
  Index n = 0, c = 0, h = 1, w = 1;

  constexpr Shape() = default;
  constexpr Shape(Index n_, Index c_, Index h_ = 1, Index w_ = 1) : n(n_), c(c_), h(h_), w(w_) {}

  constexpr Index size() const { return n * c * h * w; }
  /// Elements of one sample (C·H·W).
  constexpr Index sample_size() const { return c * h * w; }
  /// Elements of one channel plane (H·W).
  constexpr Index plane() const { return h * w; }
  constexpr bool operator==(const Shape& o) const {
    return n == o.n && c == o.c && h == o.h && w == o.w;
  }
  constexpr bool operator!=(const Shape& o) const { return !(*this == o); }
};

inline std::ostream& operator<<(std::ostream& os, const Shape& s) {
  return os << '[' << s.n << ", " << s.c << ", " << s.h << ", " << s.w << ']';
}

inline std::string to_string(const Shape& s) {
  std::ostringstream os;
  os << s;
  return os.str();
}

/// Throws distill::error naming both shapes when they differ.
inline void check_shape(const Shape& expected, const Shape& actual, const char* what) {
  DISTILL_CHECK(expected == actual,
                what << ": shape mismatch: expected " << expected << ", got " << actual);
}

}  // namespace distill

#endif  // DISTILL_CORE_SHAPE_HPP
