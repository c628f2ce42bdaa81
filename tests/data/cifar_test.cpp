#include "distill/data/cifar.hpp"

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "data/temp_dir.hpp"

using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using distill::CifarVariant;
using distill::Index;
using distill::test::TempDir;
using distill::test::write_bytes;
using distill::test::write_text;

namespace {

// Pixel byte k of record `seed`: a pattern that differs between records, channels and
// positions, so a wrong layout or offset shows up.
std::uint8_t record_pixel(int seed, std::size_t k) {
  return std::uint8_t((seed * 37 + k * 11 + k / 1024) % 256);
}

// CIFAR-10 records with the given labels (CIFAR-100 records carry coarse label label % 20).
std::vector<std::uint8_t> make_records(const std::vector<int>& labels, CifarVariant variant,
                                       int first_seed = 0) {
  std::vector<std::uint8_t> bytes;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (variant == CifarVariant::cifar100) bytes.push_back(std::uint8_t(labels[i] % 20));
    bytes.push_back(std::uint8_t(labels[i]));
    for (std::size_t k = 0; k < distill::kCifarPixelBytes; ++k)
      bytes.push_back(record_pixel(first_seed + int(i), k));
  }
  return bytes;
}

template <class Scalar>
void check_pixels(const distill::Dataset<Scalar>& set, Index i, int seed) {
  // Record layout: 1,024 red bytes, then green, then blue, each row-major 32×32.
  for (const auto& [c, h, w] : {std::array<Index, 3>{0, 0, 0}, std::array<Index, 3>{0, 5, 31},
                                std::array<Index, 3>{1, 0, 0}, std::array<Index, 3>{1, 17, 3},
                                std::array<Index, 3>{2, 31, 31}}) {
    const std::size_t k = std::size_t(c * 1024 + h * 32 + w);
    CHECK(set.images(i, c, h, w) == Scalar(record_pixel(seed, k)) / Scalar(255));
  }
}

}  // namespace

TEMPLATE_TEST_CASE("parse_cifar: CIFAR-10 records become [N, 3, 32, 32] in [0, 1]", "[data][cifar]",
                   float, double) {
  const std::vector<int> labels = {3, 0, 9};
  const auto bytes = make_records(labels, CifarVariant::cifar10);
  REQUIRE(bytes.size() == 3 * 3073);
  const auto set =
      distill::parse_cifar<TestType>(bytes.data(), bytes.size(), CifarVariant::cifar10, "mem");
  CHECK(set.images.shape() == distill::Shape(3, 3, 32, 32));
  CHECK(set.labels == labels);
  CHECK(set.classes == 10);
  CHECK(set.class_names.empty());
  for (Index i = 0; i < 3; ++i) check_pixels(set, i, int(i));
  TestType lo = 1, hi = 0;
  for (Index k = 0; k < set.images.size(); ++k) {
    lo = std::min(lo, set.images[k]);
    hi = std::max(hi, set.images[k]);
  }
  CHECK(lo >= 0);
  CHECK(hi <= 1);
  CHECK_NOTHROW(set.validate("mem"));
}

TEST_CASE("parse_cifar: CIFAR-100 uses the fine label", "[data][cifar]") {
  const std::vector<int> labels = {99, 42, 0, 57};
  const auto bytes = make_records(labels, CifarVariant::cifar100, 5);
  REQUIRE(bytes.size() == 4 * 3074);
  const auto set =
      distill::parse_cifar<float>(bytes.data(), bytes.size(), CifarVariant::cifar100, "train.bin");
  CHECK(set.labels == labels);
  CHECK(set.classes == 100);
  check_pixels(set, 3, 8);
}

TEST_CASE("parse_cifar: errors name the file, the record and the problem", "[data][cifar]") {
  CHECK_THROWS_WITH(distill::parse_cifar<float>(nullptr, 0, CifarVariant::cifar10, "a.bin"),
                    Equals("a.bin: empty file"));

  auto bytes = make_records({1, 2}, CifarVariant::cifar10);
  bytes.resize(bytes.size() - 1);
  CHECK_THROWS_WITH(
      distill::parse_cifar<float>(bytes.data(), bytes.size(), CifarVariant::cifar10,
                                  "data_batch_3.bin"),
      Equals("data_batch_3.bin: file size 6145 is not a multiple of the 3073-byte record"));

  bytes = make_records({1, 2, 3}, CifarVariant::cifar10);
  bytes[2 * 3073] = 12;
  CHECK_THROWS_WITH(distill::parse_cifar<float>(bytes.data(), bytes.size(), CifarVariant::cifar10,
                                                "test_batch.bin"),
                    Equals("test_batch.bin: record 2: label 12 is outside [0, 10)"));

  bytes = make_records({1, 2, 3}, CifarVariant::cifar100);
  bytes[3074 + 1] = 100;
  CHECK_THROWS_WITH(
      distill::parse_cifar<float>(bytes.data(), bytes.size(), CifarVariant::cifar100, "test.bin"),
      Equals("test.bin: record 1: label 100 is outside [0, 100)"));
  bytes = make_records({1, 2, 3}, CifarVariant::cifar100);
  bytes[2 * 3074] = 20;
  CHECK_THROWS_WITH(
      distill::parse_cifar<float>(bytes.data(), bytes.size(), CifarVariant::cifar100, "test.bin"),
      Equals("test.bin: record 2: coarse label 20 is outside [0, 20)"));

  // A CIFAR-100 file read as CIFAR-10 is caught by its size here.
  bytes = make_records({1, 2}, CifarVariant::cifar100);
  CHECK_THROWS_WITH(
      distill::parse_cifar<float>(bytes.data(), bytes.size(), CifarVariant::cifar10, "train.bin"),
      Contains("is not a multiple of the 3073-byte record"));
}

TEST_CASE("load_cifar10: five training batches in order, test batch, class names",
          "[data][cifar]") {
  TempDir dir;
  std::vector<int> all_train;
  for (int b = 1; b <= 5; ++b) {
    const std::vector<int> labels = {b, (b * 3) % 10, 9 - b};
    all_train.insert(all_train.end(), labels.begin(), labels.end());
    write_bytes(dir.file("data_batch_" + std::to_string(b) + ".bin"),
                make_records(labels, CifarVariant::cifar10, 100 * b));
  }
  write_bytes(dir.file("test_batch.bin"), make_records({7, 8}, CifarVariant::cifar10, 1000));

  SECTION("without batches.meta.txt the class names stay empty") {
    const auto splits = distill::load_cifar10<float>(dir.path());
    CHECK(splits.train.size() == 15);
    CHECK(splits.train.labels == all_train);
    CHECK(splits.test.labels == std::vector<int>{7, 8});
    CHECK(splits.train.classes == 10);
    CHECK(splits.test.classes == 10);
    CHECK(splits.train.class_names.empty());
    check_pixels(splits.train, 0, 100);
    check_pixels(splits.train, 7, 301);  // batch 3, record 1
    check_pixels(splits.test, 1, 1001);
  }
  SECTION("names one a line; CR, trailing blanks and empty lines are tolerated") {
    write_text(dir.file("batches.meta.txt"),
               "airplane\nautomobile\r\nbird \ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n");
    const auto splits = distill::load_cifar10<double>(dir.path() + "/");
    REQUIRE(splits.train.class_names.size() == 10);
    CHECK(splits.train.class_names[1] == "automobile");
    CHECK(splits.train.class_names[2] == "bird");
    CHECK(splits.test.class_names == splits.train.class_names);
  }
  SECTION("a wrong number of class names is an error") {
    write_text(dir.file("batches.meta.txt"), "a\nb\nc\n");
    CHECK_THROWS_WITH(distill::load_cifar10<float>(dir.path()),
                      Equals(dir.file("batches.meta.txt") + ": 3 class names for 10 classes"));
  }
  SECTION("a missing batch") {
    std::remove(dir.file("data_batch_3.bin").c_str());
    CHECK_THROWS_WITH(distill::load_cifar10<float>(dir.path()),
                      Equals(dir.file("data_batch_3.bin") + ": missing file"));
  }
  SECTION("a truncated batch") {
    auto bytes = make_records({1, 2, 3}, CifarVariant::cifar10);
    bytes.resize(3073 * 2 + 100);
    write_bytes(dir.file("data_batch_4.bin"), bytes);
    CHECK_THROWS_WITH(distill::load_cifar10<float>(dir.path()),
                      Equals(dir.file("data_batch_4.bin") +
                             ": file size 6246 is not a multiple of the 3073-byte record"));
  }
  SECTION("an empty test batch") {
    write_bytes(dir.file("test_batch.bin"), {});
    CHECK_THROWS_WITH(distill::load_cifar10<float>(dir.path()),
                      Equals(dir.file("test_batch.bin") + ": empty file"));
  }
  SECTION("a bad label in the last batch") {
    auto bytes = make_records({1, 2, 3}, CifarVariant::cifar10);
    bytes[3073 * 2] = 200;
    write_bytes(dir.file("data_batch_5.bin"), bytes);
    CHECK_THROWS_WITH(
        distill::load_cifar10<float>(dir.path()),
        Equals(dir.file("data_batch_5.bin") + ": record 2: label 200 is outside [0, 10)"));
  }
  SECTION("a directory where a batch should be") {
    std::remove(dir.file("test_batch.bin").c_str());
    std::filesystem::create_directory(dir.file("test_batch.bin"));
    CHECK_THROWS_WITH(distill::load_cifar10<float>(dir.path()),
                      Equals(dir.file("test_batch.bin") + ": not a regular file"));
  }
}

TEST_CASE("load_cifar100: train.bin, test.bin and optional fine_label_names.txt", "[data][cifar]") {
  TempDir dir;
  write_bytes(dir.file("train.bin"), make_records({0, 99, 50}, CifarVariant::cifar100));
  write_bytes(dir.file("test.bin"), make_records({12}, CifarVariant::cifar100, 9));
  auto splits = distill::load_cifar100<float>(dir.path());
  CHECK(splits.train.labels == std::vector<int>{0, 99, 50});
  CHECK(splits.test.labels == std::vector<int>{12});
  CHECK(splits.train.classes == 100);
  CHECK(splits.train.class_names.empty());
  check_pixels(splits.test, 0, 9);

  std::string names;
  for (int c = 0; c < 100; ++c) names += "class_" + std::to_string(c) + "\n";
  write_text(dir.file("fine_label_names.txt"), names);
  splits = distill::load_cifar100<float>(dir.path());
  REQUIRE(splits.train.class_names.size() == 100);
  CHECK(splits.train.class_names[99] == "class_99");
  CHECK(splits.test.class_names[42] == "class_42");

  std::remove(dir.file("test.bin").c_str());
  CHECK_THROWS_WITH(distill::load_cifar100<float>(dir.path()),
                    Equals(dir.file("test.bin") + ": missing file"));
}

TEST_CASE("read_cifar_file reads one batch", "[data][cifar]") {
  TempDir dir;
  write_bytes(dir.file("b.bin"), make_records({4, 5}, CifarVariant::cifar10, 3));
  const auto set = distill::read_cifar_file<float>(dir.file("b.bin"), CifarVariant::cifar10);
  CHECK(set.labels == std::vector<int>{4, 5});
  check_pixels(set, 1, 4);
  CHECK_THROWS_WITH(distill::read_cifar_file<float>(dir.file("nope.bin"), CifarVariant::cifar10),
                    Equals(dir.file("nope.bin") + ": missing file"));
}

TEST_CASE("load_cifar10 reads the real CIFAR-10 when it is present", "[data][cifar10-real]") {
  const std::string dir = DISTILL_TEST_SOURCE_DIR "/../shared/data/cifar-10-batches-bin";
  if (!distill::regular_file_exists(dir + "/test_batch.bin")) {
    WARN("skipped: no CIFAR-10 at " << dir);
    return;
  }
  const auto start = std::chrono::steady_clock::now();
  const auto splits = distill::load_cifar10<float>(dir);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  INFO("load_cifar10 took " << seconds << " s");
  CHECK(splits.train.images.shape() == distill::Shape(50000, 3, 32, 32));
  CHECK(splits.test.images.shape() == distill::Shape(10000, 3, 32, 32));
  const auto by_class = splits.train.indices_by_class();
  REQUIRE(by_class.size() == 10);
  for (const auto& members : by_class) CHECK(members.size() == 5000);
  const auto test_by_class = splits.test.indices_by_class();
  for (const auto& members : test_by_class) CHECK(members.size() == 1000);
  CHECK(splits.train.class_names == std::vector<std::string>{"airplane", "automobile", "bird",
                                                             "cat", "deer", "dog", "frog", "horse",
                                                             "ship", "truck"});
  // Natural images: a mean pixel near the middle of [0, 1], not all black or white.
  double sum = 0;
  for (Index k = 0; k < splits.train.images.size(); ++k) sum += splits.train.images[k];
  const double mean = sum / double(splits.train.images.size());
  CHECK(mean > 0.3);
  CHECK(mean < 0.6);
  CHECK(seconds < 5.0);
}
