#include <catch2/catch.hpp>

#include "distill/core/rng.hpp"
#include "distill/data/synthetic_set.hpp"
#include "data/temp_dir.hpp"

using namespace distill;

namespace {

SyntheticSet small_set(bool soft) {
  SyntheticSet s;
  s.classes = 3;
  s.images.resize(Shape(6, 1, 2, 2));
  for (Index i = 0; i < s.images.size(); ++i) s.images[i] = 0.25f * float(i);
  s.labels = {0, 0, 1, 1, 2, 2};
  if (soft) {
    s.label_logits.resize(Shape(6, 3), 0.f);
    s.label_logits[4] = 2.f;
  }
  s.lr = 0.0123;
  s.dataset = "cifar10";
  s.info["method"] = "test";
  return s;
}

}  // namespace

TEST_CASE("SyntheticSet: save and load round trip with its preprocessing", "[data][synthetic_set]") {
  test::TempDir dir;
  for (bool soft : {false, true}) {
    SyntheticSet s = small_set(soft);
    ChannelNormalization n;
    n.mean = {0.5};
    n.stddev = {0.25};
    s.preprocessing = Preprocessing<float>::normalize(n);
    save_synthetic_set(dir.file("set.safetensors"), s);
    const SyntheticSet r = load_synthetic_set(dir.file("set.safetensors"));
    CHECK(r.images.shape() == s.images.shape());
    CHECK(r.images.vec() == s.images.vec());
    CHECK(r.labels == s.labels);
    CHECK(r.has_soft_labels() == soft);
    if (soft) CHECK(r.label_logits.vec() == s.label_logits.vec());
    CHECK(r.lr == s.lr);
    CHECK(r.classes == 3);
    CHECK(r.dataset == "cifar10");
    CHECK(r.images_per_class() == 2);
    CHECK(r.info.at("method") == "test");
    CHECK(r.preprocessing.kind == PreprocessKind::kNormalize);
    CHECK(r.preprocessing.normalization.mean == n.mean);
    CHECK(r.preprocessing.normalization.stddev == n.stddev);
  }
}

TEST_CASE("SyntheticSet: ZCA preprocessing survives the file", "[data][synthetic_set]") {
  test::TempDir dir;
  SyntheticSet s = small_set(false);
  Tensor<float> fit(Shape(50, 1, 2, 2));
  Rng rng(2);
  for (Index i = 0; i < fit.size(); ++i) fit[i] = float(rng.normal() + (i % 4) * 0.3);
  s.preprocessing = Preprocessing<float>::whiten(ZcaWhitening<float>(fit.cview(), 0.1));
  save_synthetic_set(dir.file("z.safetensors"), s);
  const SyntheticSet r = load_synthetic_set(dir.file("z.safetensors"));
  REQUIRE(r.preprocessing.kind == PreprocessKind::kZca);
  Tensor<float> a = s.images, b = s.images;
  s.preprocessing.apply(a);
  r.preprocessing.apply(b);
  CHECK(a.vec() == b.vec());
}

TEST_CASE("SyntheticSet: bad files name the file and the field", "[data][synthetic_set]") {
  test::TempDir dir;
  SyntheticSet s = small_set(false);
  s.labels[5] = 7;
  save_synthetic_set(dir.file("bad.safetensors"), s);
  CHECK_THROWS_WITH(load_synthetic_set(dir.file("bad.safetensors")),
                    Catch::Contains("bad.safetensors") && Catch::Contains("'labels': entry 5 is 7"));
  SafetensorsFile other;
  other.add_scalar("lr", 0.1);
  write_safetensors(dir.file("other.safetensors"), other);
  CHECK_THROWS_WITH(load_synthetic_set(dir.file("other.safetensors")),
                    Catch::Contains("metadata field 'kind' is missing"));
}
