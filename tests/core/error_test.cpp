#include <catch2/catch.hpp>

#include "distill/core/error.hpp"

TEST_CASE("DISTILL_CHECK throws distill::error with the streamed message", "[core][error]") {
  const int n = -3;
  try {
    DISTILL_CHECK(n > 0, "batch size must be positive, got " << n);
    FAIL("no exception");
  } catch (const distill::error& e) {
    CHECK(std::string(e.what()) == "batch size must be positive, got -3");
  }
  CHECK_NOTHROW([] { DISTILL_CHECK(true, "never"); }());
  // distill::error is a std::runtime_error, so generic handlers catch it.
  CHECK_THROWS_AS([] { DISTILL_CHECK(false, "x"); }(), std::runtime_error);
}
