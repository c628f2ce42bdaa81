#include "distill/data/sample_source.hpp"

#include <catch2/catch.hpp>

#include <cstring>

using namespace distill;

TEST_CASE("SampleSource on the host reads batches from the set itself", "[data][sampling]") {
  Tensor<float> x({7, 2, 2, 3});
  for (Index i = 0; i < x.size(); ++i) x[i] = float(i);
  SampleSource<float> source(x.cview());
  CHECK(source.resident());
  CHECK(source.size() == 7);
  CHECK(source.shape() == x.shape());

  const std::vector<Index> order = {6, 2, 4, 0, 1};
  Tensor<float> batch, expected;
  const ConstView<float> got = source.gather(order, 1, 3, batch);
  gather_samples(x.cview(), order, 1, 3, expected);
  REQUIRE(got.shape() == Shape(3, 2, 2, 3));
  CHECK(got.data() == batch.data());
  CHECK(std::memcmp(batch.data(), expected.data(), sizeof(float) * std::size_t(expected.size())) == 0);
  CHECK(got.sample(0)[0] == x.cview().sample(2)[0]);

  // A contiguous range is a view of the set, no copy.
  Tensor<float> unused;
  const ConstView<float> part = source.range(3, 2, unused);
  CHECK(part.data() == x.cview().sample(3));
  CHECK(part.shape() == Shape(2, 2, 2, 3));
  CHECK(unused.size() == 0);
}
