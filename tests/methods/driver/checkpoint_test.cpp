#include <catch2/catch.hpp>

#include "distill/methods/driver/checkpoint.hpp"
#include "data/temp_dir.hpp"

using namespace distill;

TEST_CASE("Checkpoint: everything needed to resume survives a write and a read", "[methods][checkpoint]") {
  Checkpoint c;
  c.set.images.resize(Shape(2, 3, 4, 4));
  for (Index i = 0; i < c.set.images.size(); ++i) c.set.images[i] = float(i) * 0.1f - 1;
  c.set.labels = {0, 1};
  c.set.label_logits.resize(Shape(2, 2));
  c.set.label_logits[3] = 2.5f;
  c.set.classes = 2;
  c.set.lr = 0.0123456789012345;
  c.set.dataset = "cifar10";
  c.iteration = 17;
  c.image_velocity = Vector<float>::Constant(c.set.images.size(), 0.25f);
  c.label_velocity = Vector<float>::Constant(4, -1.0f);
  c.lr_velocity = Vector<double>::Constant(1, 3e-9);
  c.best_accuracy = 0.4567;
  c.best_iteration = 10;
  c.settings.method = "datm-clr";
  c.settings.syn_steps = 33;
  test::TempDir dir;
  save_checkpoint(dir.file("c.safetensors"), c);
  const Checkpoint r = load_checkpoint(dir.file("c.safetensors"));
  CHECK(r.iteration == 17);
  CHECK(r.set.images.vec() == c.set.images.vec());
  CHECK(r.set.label_logits.vec() == c.set.label_logits.vec());
  CHECK(r.set.lr == c.set.lr);
  CHECK(r.image_velocity == c.image_velocity);
  CHECK(r.label_velocity == c.label_velocity);
  CHECK(r.lr_velocity == c.lr_velocity);
  CHECK(r.best_accuracy == c.best_accuracy);
  CHECK(r.best_iteration == 10);
  CHECK(to_json(r.settings) == to_json(c.settings));
  CHECK(r.set.info.count("iteration") == 0);  // bookkeeping fields are not left in the set's info

  // A synthetic set is not a checkpoint, and the other way round.
  save_synthetic_set(dir.file("s.safetensors"), c.set);
  CHECK_THROWS_WITH(load_checkpoint(dir.file("s.safetensors")), Catch::Contains("not a distill.checkpoint file"));
  CHECK_THROWS_WITH(load_synthetic_set(dir.file("c.safetensors")), Catch::Contains("not a distill.synthetic_set file"));
  // A velocity of the wrong size is named.
  Checkpoint bad = c;
  bad.image_velocity = Vector<float>::Constant(5, 0.f);
  save_checkpoint(dir.file("b.safetensors"), bad);
  CHECK_THROWS_WITH(load_checkpoint(dir.file("b.safetensors")),
                    Catch::Contains("tensor 'image_velocity' has 5 values, expected 96"));
}
