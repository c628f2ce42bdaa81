#include <catch2/catch.hpp>

#include "distill/core/rng.hpp"
#include "distill/data/preprocess_io.hpp"

using namespace distill;

TEST_CASE("add_preprocessing / get_preprocessing round trip every kind", "[data][preprocess_io]") {
  SafetensorsFile f;
  add_preprocessing(f, Preprocessing<float>::none(), "a.");
  add_preprocessing(f, Preprocessing<float>::normalize(cifar10_mean_std()), "b.");
  Tensor<float> x(Shape(40, 2, 2, 2));
  Rng rng(1);
  for (Index i = 0; i < x.size(); ++i) x[i] = float(rng.uniform());
  const auto zca = ZcaWhitening<float>(x.cview(), 0.1);
  add_preprocessing(f, Preprocessing<float>::whiten(zca), "c.");
  // Through bytes, as a file would go.
  const auto bytes = serialize_safetensors(f);
  const SafetensorsFile g = parse_safetensors(bytes.data(), bytes.size(), "mem");
  CHECK(get_preprocessing(g, "mem", "a.").kind == PreprocessKind::kNone);
  const auto b = get_preprocessing(g, "mem", "b.");
  CHECK(b.kind == PreprocessKind::kNormalize);
  CHECK(b.normalization.mean == cifar10_mean_std().mean);
  const auto c = get_preprocessing(g, "mem", "c.");
  REQUIRE(c.kind == PreprocessKind::kZca);
  CHECK(c.zca.transform() == zca.transform());
  CHECK(c.zca.inverse() == zca.inverse());
  CHECK(c.zca.mean() == zca.mean());
  CHECK_THROWS_WITH(get_preprocessing(g, "mem", "d."), Catch::Contains("mem: metadata field 'd.kind' is missing"));
}
