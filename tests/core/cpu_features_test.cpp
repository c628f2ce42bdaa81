#include <catch2/catch.hpp>

#include <string>

#include "distill/core/cpu_features.hpp"

using namespace distill;

TEST_CASE("narrow_build_advice: silent unless the processor is wider than the build",
          "[core][cpu_features]") {
  CHECK(narrow_build_advice(VectorIsa::kAvx512, VectorIsa::kAvx512).empty());
  CHECK(narrow_build_advice(VectorIsa::kAvx2, VectorIsa::kAvx2).empty());
  // A binary built for a wider machine than it runs on is the user's choice, not advice.
  CHECK(narrow_build_advice(VectorIsa::kAvx512, VectorIsa::kAvx2).empty());
  CHECK(narrow_build_advice(VectorIsa::kUnknown, VectorIsa::kAvx512).empty());
  CHECK(narrow_build_advice(VectorIsa::kSse2, VectorIsa::kUnknown).empty());

  const std::string sse_on_avx2 = narrow_build_advice(VectorIsa::kSse2, VectorIsa::kAvx2);
  CHECK(sse_on_avx2.find("AVX2+FMA") != std::string::npos);
  CHECK(sse_on_avx2.find("compiled for SSE2") != std::string::npos);
  CHECK(sse_on_avx2.find("up to 2x") != std::string::npos);
  CHECK(sse_on_avx2.find("DISTILL_NATIVE=ON") != std::string::npos);
  CHECK(narrow_build_advice(VectorIsa::kSse2, VectorIsa::kAvx512).find("up to 4x") !=
        std::string::npos);
}

#ifdef DISTILL_TEST_NATIVE
// The test suite is built where it runs (DISTILL_NATIVE defaults to ON), so a build that leaves
// vector width unused here means the default was lost.
TEST_CASE("A default top-level build is compiled for the processor it runs on",
          "[core][cpu_features]") {
  const VectorIsa compiled = compiled_vector_isa(), processor = processor_vector_isa();
  INFO("compiled for " << vector_isa_name(compiled) << ", processor has "
                       << vector_isa_name(processor));
  CHECK(narrow_build_advice(compiled, processor).empty());
}
#endif
