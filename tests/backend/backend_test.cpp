#include <catch2/catch.hpp>

#include <string_view>

#include "distill/backend/backend.hpp"
#include "distill/backend/cpu/backend.hpp"

using namespace distill;

namespace {

// cpu::Backend with one member hidden each: a declaration in the derived type hides every
// overload of that name in the base, and a deleted one matches no call.
struct LacksCopyFromHost : cpu::Backend {
  static void copy_from_host() = delete;
};
struct LacksCopyToHost : cpu::Backend {
  static void copy_to_host() = delete;
};
struct LacksSum : cpu::Backend {
  static void sum() = delete;
};
struct LacksGemm : cpu::Backend {
  static void gemm() = delete;
};
struct LacksForEach : cpu::Backend {
  static void for_each() = delete;
};
struct LacksMemorySpace {};

}  // namespace

TEST_CASE("BackendChecks names the first member a backend lacks", "[backend]") {
  STATIC_REQUIRE(std::string_view(BackendChecks<cpu::Backend>::missing()).empty());
  STATIC_REQUIRE(std::string_view(BackendChecks<LacksCopyFromHost>::missing()) == "copy_from_host");
  STATIC_REQUIRE(std::string_view(BackendChecks<LacksCopyToHost>::missing()) == "copy_to_host");
  STATIC_REQUIRE(std::string_view(BackendChecks<LacksSum>::missing()) == "sum");
  STATIC_REQUIRE(std::string_view(BackendChecks<LacksGemm>::missing()) == "gemm");
  STATIC_REQUIRE(std::string_view(BackendChecks<LacksForEach>::missing()) == "for_each");
  STATIC_REQUIRE(std::string_view(BackendChecks<LacksMemorySpace>::missing()) == "memory_space");
}
