#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "distill/core/parallel.hpp"
#include "distill/core/rng.hpp"

using namespace distill;

TEST_CASE("Philox4x32-10 matches the Random123 known-answer vectors", "[core][rng]") {
  using B = Philox4x32::Block;
  CHECK(Philox4x32::generate({0, 0, 0, 0}, {0, 0}) ==
        B{0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u});
  CHECK(Philox4x32::generate({0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu},
                             {0xffffffffu, 0xffffffffu}) ==
        B{0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu});
  CHECK(Philox4x32::generate({0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u},
                             {0xa4093822u, 0x299f31d0u}) ==
        B{0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u});
}

TEST_CASE("Rng: seeds, streams and positions are reproducible", "[core][rng]") {
  Rng a(42, 7), b(42, 7), c(42, 8), d(43, 7);
  std::vector<std::uint32_t> va, vc, vd;
  for (int i = 0; i < 16; ++i) {
    va.push_back(a.next_u32());
    CHECK(b.next_u32() == va.back());
    vc.push_back(c.next_u32());
    vd.push_back(d.next_u32());
  }
  CHECK(va != vc);
  CHECK(va != vd);
  Rng e(42, 7);
  e.seek(5);
  CHECK(e.next_u32() == va[5]);
  CHECK(e.position() == 6);
}

TEST_CASE("Rng: uniform and normal have the right moments", "[core][rng]") {
  Rng rng(1);
  const int n = 200000;
  double su = 0, sn = 0, sn2 = 0;
  for (int i = 0; i < n; ++i) {
    const double u = rng.uniform();
    REQUIRE(u >= 0.0);
    REQUIRE(u < 1.0);
    su += u;
    const double z = rng.normal();
    sn += z;
    sn2 += z * z;
  }
  CHECK_THAT(su / n, Catch::Matchers::WithinAbs(0.5, 0.005));
  CHECK_THAT(sn / n, Catch::Matchers::WithinAbs(0.0, 0.01));
  CHECK_THAT(sn2 / n, Catch::Matchers::WithinAbs(1.0, 0.02));
  for (int i = 0; i < 1000; ++i) CHECK(rng.below(10) < 10u);
}

TEST_CASE("Rng: per-item streams give the same numbers on any thread count", "[core][rng]") {
  auto draw = [](int threads) {
    set_threads(threads);
    std::vector<double> out(64);
    parallel_for(64, [&](Index i) {
      Rng rng(9, static_cast<std::uint64_t>(i));
      out[i] = rng.normal();
    });
    return out;
  };
  const int saved = max_threads();
  const auto one = draw(1);
  CHECK(draw(2) == one);
  CHECK(draw(3) == one);
  set_threads(saved);
}
