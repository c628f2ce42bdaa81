#include <catch2/catch.hpp>

#include "distill/data/load_dataset.hpp"
#include "distill/data/png.hpp"  // stb_image_write, to make the images
#include "data/temp_dir.hpp"

using namespace distill;

TEST_CASE("load_dataset dispatches on the kind", "[data][load_dataset]") {
  test::TempDir dir;
  // A CIFAR-10 layout with one record per file.
  std::vector<std::uint8_t> record(3073, 7);
  for (const char* name : {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
                           "data_batch_5.bin", "test_batch.bin"}) {
    record[0] = 3;
    std::ofstream(dir.file(name), std::ios::binary).write(reinterpret_cast<const char*>(record.data()), 3073);
  }
  const auto d = load_dataset<float>("cifar10", dir.path());
  CHECK(d.train.size() == 5);
  CHECK(d.test.size() == 1);
  CHECK(d.train.labels[0] == 3);
  CHECK_THAT(d.train.images[0], Catch::Matchers::WithinAbs(7.0 / 255.0, 1e-7));
  CHECK_THROWS_WITH(load_dataset<float>("svhn", dir.path()),
                    Catch::Contains("unknown dataset 'svhn' (expected cifar10, cifar100, idx, folder, or folder:<size>)"));
  // The list the CLI offers is the list load_dataset dispatches on.
  CHECK(dataset_format_names() == std::vector<std::string>{"cifar10", "cifar100", "idx", "folder"});
  CHECK(dataset_format_names<double>() == dataset_format_names<float>());
  CHECK_THROWS_WITH(load_dataset<float>("cifar100", dir.path()), Catch::Contains("train.bin"));
}

TEST_CASE("load_dataset reads folders of images, resized when the kind says so", "[data][load_dataset]") {
  test::TempDir dir;
  for (const char* split : {"train", "test"}) {
    std::filesystem::create_directories(dir.file(std::string(split) + "/a"));
    const std::vector<unsigned char> px(5 * 7 * 3, 200);
    REQUIRE(stbi_write_png(dir.file(std::string(split) + "/a/1.png").c_str(), 5, 7, 3, px.data(), 15));
  }
  CHECK(load_dataset<float>("folder", dir.path()).train.images.shape() == Shape(1, 3, 7, 5));
  CHECK(load_dataset<float>("folder:4", dir.path()).test.images.shape() == Shape(1, 3, 4, 4));
  CHECK_THROWS_WITH(load_dataset<float>("folder:x", dir.path()), Catch::Contains("folder:<size>"));
  CHECK(dataset_kind("folder", 64) == "folder:64");
  CHECK(dataset_kind("cifar10", 0) == "cifar10");
  CHECK_THROWS_WITH(dataset_kind("cifar10", 64), Catch::Contains("only folders of images are resized"));
}
