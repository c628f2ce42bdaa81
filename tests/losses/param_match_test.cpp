#include <catch2/catch.hpp>

#include "distill/losses/param_match.hpp"
#include "support/gradcheck.hpp"

using namespace distill;

TEST_CASE("normalized_param_distance: value and gradient", "[losses][param_match]") {
  const Index n = 50;
  auto make = [n](std::uint64_t seed) {
    const auto v = test::random_vec(n, seed);
    return Vector<double>(Eigen::Map<const Vector<double>>(v.data(), n));
  };
  const Vector<double> a = make(1), b = make(2), c = make(3);
  Vector<double> g;
  const double l = normalized_param_distance<double>(a, b, c, &g);
  CHECK_THAT(l, Catch::Matchers::WithinRel((a - b).squaredNorm() / (c - b).squaredNorm(), 1e-14));
  test::Vec fd, an;
  for (Index i = 0; i < n; ++i) {
    Vector<double> ap = a, am = a;
    ap[i] += 1e-5;
    am[i] -= 1e-5;
    fd.push_back((normalized_param_distance<double>(ap, b, c) -
                  normalized_param_distance<double>(am, b, c)) / 2e-5);
    an.push_back(g[i]);
  }
  CHECK(test::relative_error(an, fd) <= test::kTolerance);
  CHECK(normalized_param_distance<double>(b, b, c) == 0.0);
  CHECK_THROWS_WITH(normalized_param_distance<double>(a, b, b), Catch::Contains("denominator"));
  CHECK_THROWS_WITH(normalized_param_distance<double>(a.head(3), b, c), Catch::Contains("sizes differ"));
}
