#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "data/temp_dir.hpp"
#include "distill/data/image_folder.hpp"
#include "distill/data/png.hpp"  // stb_image_write, to make the images

using namespace distill;
using distill::test::TempDir;
namespace fs = std::filesystem;

namespace {

// An RGB image whose pixel (x, y) has channels (seed + x, 2y, 100 + seed), so a decoded value
// says where it came from.
std::vector<unsigned char> pattern(int w, int h, int seed) {
  std::vector<unsigned char> px(std::size_t(w * h * 3));
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      unsigned char* p = px.data() + (y * w + x) * 3;
      p[0] = (unsigned char)(seed + x), p[1] = (unsigned char)(2 * y), p[2] = (unsigned char)(100 + seed);
    }
  return px;
}

void write_png(const fs::path& file, int w, int h, int seed) {
  fs::create_directories(file.parent_path());
  const auto px = pattern(w, h, seed);
  REQUIRE(stbi_write_png(file.string().c_str(), w, h, 3, px.data(), w * 3));
}
void write_jpg(const fs::path& file, int w, int h, int seed) {
  fs::create_directories(file.parent_path());
  const auto px = pattern(w, h, seed);
  REQUIRE(stbi_write_jpg(file.string().c_str(), w, h, 3, px.data(), 95));
}

}  // namespace

TEST_CASE("Image folders: the ImageFolder layout, labels by sorted class name", "[data][image_folder]") {
  TempDir dir;
  const fs::path root = dir.path();
  // Classes "cat" < "dog" < "emu"; file order inside a class is by name.
  write_png(root / "train/dog/b.png", 6, 4, 20);
  write_png(root / "train/dog/a.png", 6, 4, 10);
  write_png(root / "train/cat/x.PNG", 6, 4, 30);
  write_jpg(root / "train/emu/e.jpg", 6, 4, 40);
  std::ofstream(root / "train/emu/notes.txt") << "not an image";
  write_png(root / "test/cat/t.png", 6, 4, 50);
  write_png(root / "test/dog/t.png", 6, 4, 60);
  write_png(root / "test/emu/t.png", 6, 4, 70);

  const auto s = load_image_folder<float>(root.string());
  CHECK(s.train.classes == 3);
  CHECK(s.train.class_names == std::vector<std::string>{"cat", "dog", "emu"});
  CHECK(s.train.labels == std::vector<int>{0, 1, 1, 2});
  CHECK(s.train.images.shape() == Shape(4, 3, 4, 6));
  CHECK(s.test.labels == std::vector<int>{0, 1, 2});
  // Sample 1 is dog/a.png (seed 10): pixel (x = 5, y = 3) is (15, 6, 110)/255, exactly.
  CHECK(s.train.images(1, 0, 3, 5) == 15.0f / 255.0f);
  CHECK(s.train.images(1, 1, 3, 5) == 6.0f / 255.0f);
  CHECK(s.train.images(1, 2, 3, 5) == 110.0f / 255.0f);
  CHECK(s.train.images(2, 0, 0, 0) == 20.0f / 255.0f);  // dog/b.png
  // The JPEG decodes close to its pattern (lossy).
  CHECK(std::abs(s.train.images(3, 2, 1, 1) - 140.0f / 255.0f) < 0.05f);
}

TEST_CASE("Image folders: resizing on load, and sizes that differ without it", "[data][image_folder]") {
  TempDir dir;
  const fs::path root = dir.path();
  write_png(root / "train/a/1.png", 16, 16, 1);
  write_png(root / "train/a/2.png", 8, 12, 2);
  write_png(root / "train/b/1.png", 10, 10, 3);
  write_png(root / "val/a/1.png", 16, 16, 4);  // val/ serves as the test split
  write_png(root / "val/b/1.png", 16, 16, 5);
  const auto s = load_image_folder<float>(root.string(), ImageFolderOptions{8});
  CHECK(s.train.images.shape() == Shape(3, 3, 8, 8));
  CHECK(s.test.images.shape() == Shape(2, 3, 8, 8));
  // A constant channel stays constant through the resampling.
  CHECK(s.train.images(1, 2, 4, 4) == Approx(102.0 / 255.0).margin(1.0 / 255.0));
  CHECK_THROWS_WITH(load_image_folder<float>(root.string()),
                    Catch::Contains((root / "train/a/2.png").string() + ": the image is 8x12") &&
                        Catch::Contains("give a size to resize"));
}

TEST_CASE("Image folders: errors name the file or the folder", "[data][image_folder]") {
  TempDir dir;
  const fs::path root = dir.path();
  write_png(root / "train/a/1.png", 4, 4, 1);
  write_png(root / "test/a/1.png", 4, 4, 2);
  SECTION("an image that does not decode") {
    std::ofstream(root / "train/a/2.png") << "this is not a PNG";
    CHECK_THROWS_WITH(load_image_folder<float>(root.string()),
                      Catch::Contains((root / "train/a/2.png").string() + ": cannot decode the image"));
  }
  SECTION("a class folder with no images") {
    fs::create_directories(root / "train/b");
    fs::create_directories(root / "test/b");
    CHECK_THROWS_WITH(load_image_folder<float>(root.string()),
                      Catch::Contains((root / "train/b").string() + ": class folder with no images"));
  }
  SECTION("a test class that the training split does not have") {
    write_png(root / "test/z/1.png", 4, 4, 3);
    CHECK_THROWS_WITH(load_image_folder<float>(root.string()), Catch::Contains("class 'z' has no folder in"));
  }
  SECTION("no train folder") {
    CHECK_THROWS_WITH(load_image_folder<float>((root / "train").string()), Catch::Contains("no train/ folder"));
  }
}

TEST_CASE("Image folders: Tiny-ImageNet's layout", "[data][image_folder]") {
  TempDir dir;
  const fs::path root = dir.path();
  write_jpg(root / "train/n02/images/n02_0.JPEG", 8, 8, 1);
  write_jpg(root / "train/n02/images/n02_1.JPEG", 8, 8, 2);
  write_jpg(root / "train/n01/images/n01_0.JPEG", 8, 8, 3);
  std::ofstream(root / "train/n01/n01_boxes.txt") << "n01_0.JPEG 0 0 7 7\n";
  write_jpg(root / "val/images/val_0.JPEG", 8, 8, 4);
  write_jpg(root / "val/images/val_1.JPEG", 8, 8, 5);
  {
    std::ofstream a(root / "val/val_annotations.txt");
    a << "val_0.JPEG\tn02\t0\t0\t7\t7\nval_1.JPEG\tn01\t1\t1\t6\t6\n";
  }
  const auto s = load_image_folder<float>(root.string());
  CHECK(s.train.class_names == std::vector<std::string>{"n01", "n02"});
  CHECK(s.train.labels == std::vector<int>{0, 1, 1});
  CHECK(s.test.labels == std::vector<int>{1, 0});
  CHECK(s.test.images.shape() == Shape(2, 3, 8, 8));
  {
    std::ofstream a(root / "val/val_annotations.txt", std::ios::app);
    a << "val_2.JPEG\tn99\t0\t0\t1\t1\n";
  }
  CHECK_THROWS_WITH(load_image_folder<float>(root.string()),
                    Catch::Contains("val_annotations.txt: line 3: class 'n99' has no folder"));
}
