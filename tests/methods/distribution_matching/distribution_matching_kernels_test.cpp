#include <catch2/catch.hpp>

#include <vector>

#include "distill/methods/distribution_matching/distribution_matching_kernels.hpp"

using namespace distill;

TEST_CASE("DM kernels: the mean embeddings and their gradient rows", "[methods][dm]") {
  // Three rows of two features.
  const std::vector<double> x = {1, 2, 3, 4, 5, 9};
  std::vector<double> acc = {10, 20}, diff(2), g(6);
  for (Index c = 0; c < 2; ++c) detail::DmAccumulateRows<double>{3, 2, 1.0, x.data(), acc.data()}(c);
  CHECK(acc == std::vector<double>{19, 35});
  for (Index c = 0; c < 2; ++c) detail::DmNegateDivide<double>{2.0, acc.data(), diff.data()}(c);
  CHECK(diff == std::vector<double>{-9.5, -17.5});
  for (Index c = 0; c < 2; ++c) detail::DmAccumulateRows<double>{3, 2, 4.0, x.data(), diff.data()}(c);
  CHECK(diff == std::vector<double>{-9.5 + 9.0 / 4, -17.5 + 15.0 / 4});
  for (Index i = 0; i < 6; ++i) detail::DmBroadcastRow<double>{2, 0.5, diff.data(), g.data()}(i);
  CHECK(g == std::vector<double>{diff[0] / 2, diff[1] / 2, diff[0] / 2, diff[1] / 2, diff[0] / 2, diff[1] / 2});
}
