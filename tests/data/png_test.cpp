#include "distill/data/png.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "data/temp_dir.hpp"
#include "support/stb_png.hpp"

using namespace distill;
namespace fs = std::filesystem;

namespace {

std::uint32_t big_endian(const std::vector<unsigned char>& b, std::size_t at) {
  return std::uint32_t(b[at]) << 24 | std::uint32_t(b[at + 1]) << 16 |
         std::uint32_t(b[at + 2]) << 8 | std::uint32_t(b[at + 3]);
}

// Width, height and colour type from the IHDR chunk, which must follow the 8-byte signature.
struct Ihdr {
  std::uint32_t width = 0, height = 0;
  int bit_depth = 0, colour_type = -1;
};
Ihdr parse_ihdr(const std::vector<unsigned char>& b) {
  static const unsigned char signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  REQUIRE(b.size() > 33);
  REQUIRE(std::equal(signature, signature + 8, b.begin()));
  REQUIRE(big_endian(b, 8) == 13);  // IHDR data length
  REQUIRE(std::string(b.begin() + 12, b.begin() + 16) == "IHDR");
  return {big_endian(b, 16), big_endian(b, 20), b[24], b[25]};
}

}  // namespace

TEMPLATE_TEST_CASE("write_png_grid: RGB grid size, layout and colours", "[data][png][cpu]", float,
                   double) {
  test::TempDir dir;
  // 2 classes × 3 images of 3×4×5; image i is filled with i/5 in red, 1 − i/5 in green and
  // values outside [0, 1] in blue (clipped).
  const Index rows = 2, cols = 3;
  Tensor<TestType> images(Shape(rows * cols, 3, 4, 5));
  for (Index i = 0; i < rows * cols; ++i)
    for (Index k = 0; k < 20; ++k) {
      images(i, 0, k / 5, k % 5) = TestType(double(i) / 5);
      images(i, 1, k / 5, k % 5) = TestType(1 - double(i) / 5);
      images(i, 2, k / 5, k % 5) = TestType(i % 2 == 0 ? -0.5 : 1.5);
    }
  PngGridOptions options;
  options.gap = 2;
  options.upscale = 2;
  options.background = 40;
  const fs::path file = fs::path(dir.path()) / "grid.png";
  write_png_grid(file.string(), images.cview(), rows, cols, options);

  REQUIRE(fs::exists(file));
  const std::vector<unsigned char> bytes = test::read_bytes(file.string());
  const Ihdr ihdr = parse_ihdr(bytes);
  CHECK(ihdr.width == 3 * 5 * 2 + 2 * 2);
  CHECK(ihdr.height == 2 * 4 * 2 + 1 * 2);
  CHECK(ihdr.bit_depth == 8);
  CHECK(ihdr.colour_type == 2);  // truecolour
  // Only the PNG is left in the directory: the temporary file was renamed.
  CHECK(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()) == 1);

  int w = 0, h = 0, comp = 0;
  unsigned char* px = stbi_load_from_memory(bytes.data(), int(bytes.size()), &w, &h, &comp, 3);
  REQUIRE(px != nullptr);
  const auto at = [&](int y, int x, int c) { return int(px[(y * w + x) * 3 + c]); };
  for (int i = 0; i < rows * cols; ++i) {
    // Bottom-right pixel of cell i: row i / cols, column i % cols, cells 10×8 plus a gap of 2.
    const int y = (i / cols) * 10 + 7, x = (i % cols) * 12 + 9;
    CHECK(at(y, x, 0) == int(std::lround(i / 5.0 * 255)));
    CHECK(at(y, x, 1) == int(std::lround((1 - i / 5.0) * 255)));
    CHECK(at(y, x, 2) == (i % 2 == 0 ? 0 : 255));
  }
  CHECK(at(0, 10, 0) == 40);  // vertical gap after the first cell
  CHECK(at(8, 0, 2) == 40);   // horizontal gap after the first row
  stbi_image_free(px);

  // Writing again replaces the file.
  write_png_grid(file.string(), images.cview().samples(0, 3), 1, 3);
  CHECK(parse_ihdr(test::read_bytes(file.string())).height == 4);
}

TEST_CASE("write_png_grid: grey images and per-image stretching", "[data][png][cpu]") {
  test::TempDir dir;
  Tensor<float> images(Shape(2, 1, 2, 3));
  for (Index k = 0; k < 6; ++k) images[k] = 10.0f + float(k);  // image 0: 10 … 15
  for (Index k = 6; k < 12; ++k) images[k] = -3.0f;            // image 1: constant
  PngGridOptions options;
  options.stretch = true;
  options.gap = 1;
  const fs::path file = fs::path(dir.path()) / "grey.png";
  write_png_grid(file.string(), images.cview(), 1, 2, options);
  const std::vector<unsigned char> bytes = test::read_bytes(file.string());
  const Ihdr ihdr = parse_ihdr(bytes);
  CHECK(ihdr.width == 7);
  CHECK(ihdr.height == 2);
  CHECK(ihdr.colour_type == 0);  // greyscale

  int w = 0, h = 0, comp = 0;
  unsigned char* px = stbi_load_from_memory(bytes.data(), int(bytes.size()), &w, &h, &comp, 1);
  REQUIRE(px != nullptr);
  CHECK(int(px[0]) == 0);        // min of image 0
  CHECK(int(px[7 + 2]) == 255);  // max of image 0 (row 1, column 2; rows are 7 wide)
  CHECK(int(px[1]) == 51);       // (11 − 10)/5·255
  CHECK(int(px[3]) == 255);      // the gap, default background
  CHECK(int(px[4]) == 128);      // constant image: mid grey
  stbi_image_free(px);
}

TEST_CASE("write_png_grid: failures name the file", "[data][png][cpu]") {
  test::TempDir dir;
  Tensor<float> images(Shape(4, 3, 2, 2), 0.5f);
  const std::string missing = (fs::path(dir.path()) / "no_such_dir" / "grid.png").string();
  CHECK_THROWS_WITH(write_png_grid(missing, images.cview(), 2, 2), Catch::Contains(missing));
  CHECK_FALSE(fs::exists(fs::path(dir.path()) / "no_such_dir"));

  const std::string ok = (fs::path(dir.path()) / "grid.png").string();
  CHECK_THROWS_WITH(write_png_grid(ok, images.cview(), 3, 2),
                    Catch::Contains("4 images do not fill a 3 x 2 grid"));
  Tensor<float> two(Shape(4, 2, 2, 2));
  CHECK_THROWS_WITH(write_png_grid(ok, two.cview(), 2, 2), Catch::Contains("1 or 3 channels"));
  PngGridOptions zero_scale;
  zero_scale.upscale = 0;
  CHECK_THROWS_WITH(write_png_grid(ok, images.cview(), 2, 2, zero_scale),
                    Catch::Contains("upscale 0"));
  CHECK_FALSE(fs::exists(ok));
}

TEST_CASE("encode_png_grid: the bytes write_png_grid writes, for embedding in a page", "[data][png][cpu]") {
  test::TempDir dir;
  Tensor<float> images(Shape(2, 3, 4, 4));
  for (Index k = 0; k < images.size(); ++k) images[k] = float(k % 7) / 6.0f;
  const fs::path file = fs::path(dir.path()) / "grid.png";
  write_png_grid(file.string(), images.cview(), 1, 2);
  CHECK(encode_png_grid("in memory", images.cview(), 1, 2) == test::read_bytes(file.string()));
  CHECK_THROWS_WITH(encode_png_grid("report image 3", images.cview(), 2, 2),
                    Catch::Contains("report image 3") && Catch::Contains("do not fill"));
}
