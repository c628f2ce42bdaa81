#include <catch2/catch.hpp>

#include "distill/backend/cpu/backend.hpp"
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

TEST_CASE("param_distance: the distance in parts through a backend equals the Eigen form", "[losses][param_match]") {
  const Index n = 1000;
  const auto a = test::random_vec(n, 4), b = test::random_vec(n, 5), c = test::random_vec(n, 6);
  const Eigen::Map<const Vector<double>> ma(a.data(), n), mb(b.data(), n), mc(c.data(), n);
  Vector<double> g_eigen;
  const double want = normalized_param_distance<double>(ma, mb, mc, &g_eigen);
  double sums[2] = {0, 0};
  param_distance::queue_sums<cpu::Backend>(n, a.data(), b.data(), c.data(), sums);
  CHECK_THAT(sums[0], Catch::Matchers::WithinRel((mc - mb).squaredNorm(), 1e-13));
  const double got = param_distance::value<double>(sums);
  CHECK_THAT(got, Catch::Matchers::WithinRel(want, 1e-13));
  test::Vec g(static_cast<std::size_t>(n));
  param_distance::gradient<cpu::Backend>(n, a.data(), b.data(), sums[0], g.data());
  CHECK(test::relative_error(g, test::Vec(g_eigen.data(), g_eigen.data() + n)) <= 1e-15);
  param_distance::queue_sums<cpu::Backend>(n, a.data(), b.data(), b.data(), sums);
  CHECK_THROWS_WITH(param_distance::value<double>(sums), Catch::Contains("denominator"));
}
