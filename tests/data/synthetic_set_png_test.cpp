#include "distill/data/synthetic_set_png.hpp"

#include <catch2/catch.hpp>
#include <cmath>

#include "data/temp_dir.hpp"
#include "support/stb_png.hpp"

using namespace distill;

TEST_CASE("write_synthetic_set_png: one row per class, inverse preprocessing, blanks for short classes",
          "[data][png]") {
  SyntheticSet set;
  set.classes = 3;
  set.labels = {2, 0, 0, 2, 1};  // not class-major: the grid sorts them
  set.images.resize(Shape(5, 3, 2, 2));
  // Image i is the constant (i + 1)/10 after inverse preprocessing; stored normalised.
  ChannelNormalization norm;
  norm.mean = {0.5, 0.5, 0.5};
  norm.stddev = {0.25, 0.25, 0.25};
  set.preprocessing = Preprocessing<float>::normalize(norm);
  for (Index i = 0; i < 5; ++i)
    for (Index e = 0; e < 12; ++e) set.images[i * 12 + e] = float(((i + 1) / 10.0 - 0.5) / 0.25);
  test::TempDir dir;
  PngGridOptions opt;
  opt.gap = 0;
  write_synthetic_set_png(dir.file("grid.png"), set, opt);
  int w = 0, h = 0, c = 0;
  unsigned char* px = stbi_load(dir.file("grid.png").c_str(), &w, &h, &c, 3);
  REQUIRE(px != nullptr);
  CHECK(w == 4);  // two columns (the largest class has two images) of 2 pixels
  CHECK(h == 6);  // three rows
  auto at = [&](int row, int col) { return int(px[((row * 2) * w + col * 2) * 3]); };
  CHECK(std::abs(at(0, 0) - 0.2 * 255) <= 1);  // class 0: images 1 and 2
  CHECK(std::abs(at(0, 1) - 0.3 * 255) <= 1);
  CHECK(std::abs(at(1, 0) - 0.5 * 255) <= 1);  // class 1: image 4
  CHECK(at(1, 1) == 255);                   // blank
  CHECK(std::abs(at(2, 0) - 0.1 * 255) <= 1);  // class 2: images 0 and 3
  CHECK(std::abs(at(2, 1) - 0.4 * 255) <= 1);
  stbi_image_free(px);
}
