#ifndef DISTILL_TESTS_SUPPORT_TEXT_HPP
#define DISTILL_TESTS_SUPPORT_TEXT_HPP

// Counting in generated text (HTML, SVG, logs), for the tests of the report writers.

#include <cstddef>
#include <string>

namespace distill::test {

/// How often `what` occurs in `text`, overlapping occurrences included.
inline std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

}  // namespace distill::test

#endif  // DISTILL_TESTS_SUPPORT_TEXT_HPP
