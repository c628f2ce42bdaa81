#ifndef DISTILL_FUZZ_FUZZ_SUPPORT_HPP
#define DISTILL_FUZZ_FUZZ_SUPPORT_HPP

// Shared by the libFuzzer targets: distill::error is the expected outcome of bad input and is
// swallowed by each target; a broken invariant of a successful parse aborts, so libFuzzer
// records it as a crash like any sanitizer report or escaping exception.

#include <cstdio>
#include <cstdlib>

#define DISTILL_FUZZ_REQUIRE(cond)                                                      \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                     \
    }                                                                                   \
  } while (false)

#endif  // DISTILL_FUZZ_FUZZ_SUPPORT_HPP
