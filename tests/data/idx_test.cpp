#include "distill/data/idx.hpp"

#include <zlib.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "data/temp_dir.hpp"

using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using Catch::Matchers::StartsWith;
using distill::Index;
using distill::test::TempDir;
using distill::test::write_bytes;

namespace {

using Bytes = std::vector<std::uint8_t>;

void put_be32(Bytes& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(std::uint8_t(v >> shift));
}

std::uint8_t idx_pixel(std::size_t i, std::size_t k) { return std::uint8_t((i * 31 + k * 7) % 256); }

Bytes idx_images(std::size_t n, std::size_t rows, std::size_t cols) {
  Bytes out;
  put_be32(out, distill::kIdxImagesMagic);
  put_be32(out, std::uint32_t(n));
  put_be32(out, std::uint32_t(rows));
  put_be32(out, std::uint32_t(cols));
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t k = 0; k < rows * cols; ++k) out.push_back(idx_pixel(i, k));
  return out;
}

Bytes idx_labels(const std::vector<int>& labels) {
  Bytes out;
  put_be32(out, distill::kIdxLabelsMagic);
  put_be32(out, std::uint32_t(labels.size()));
  for (const int l : labels) out.push_back(std::uint8_t(l));
  return out;
}

// One gzip member, as `gzip` writes it.
Bytes gzip(const Bytes& plain) {
  z_stream z{};
  REQUIRE(deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) ==
          Z_OK);
  Bytes out(deflateBound(&z, uLong(plain.size())) + 32);
  z.next_in = const_cast<Bytef*>(plain.data());
  z.avail_in = uInt(plain.size());
  z.next_out = out.data();
  z.avail_out = uInt(out.size());
  REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

Bytes concat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// A small MNIST-style data set: 6 training images of 4×3 with labels 0..4, 2 test images.
void write_idx_set(const TempDir& dir, bool gz) {
  const auto put = [&](const std::string& name, const Bytes& bytes) {
    write_bytes(dir.file(gz ? name + ".gz" : name), gz ? gzip(bytes) : bytes);
  };
  put("train-images-idx3-ubyte", idx_images(6, 4, 3));
  put("train-labels-idx1-ubyte", idx_labels({0, 4, 2, 1, 3, 0}));
  put("t10k-images-idx3-ubyte", idx_images(2, 4, 3));
  put("t10k-labels-idx1-ubyte", idx_labels({3, 1}));
}

}  // namespace

TEST_CASE("parse_idx: images and labels, plain and gzip", "[data][idx]") {
  const Bytes images = idx_images(3, 5, 2);
  for (const Bytes& bytes : {images, gzip(images)}) {
    const distill::IdxArray a = distill::parse_idx(bytes.data(), bytes.size(), "imgs", 3);
    CHECK(a.dims == std::vector<std::size_t>{3, 5, 2});
    CHECK(a.count() == 3);
    REQUIRE(a.values.size() == 30);
    CHECK(a.values[0] == idx_pixel(0, 0));
    CHECK(a.values[29] == idx_pixel(2, 9));
  }
  CHECK(distill::is_gzip(gzip(images).data(), 2));
  CHECK_FALSE(distill::is_gzip(images.data(), images.size()));

  const Bytes labels = idx_labels({7, 0, 255});
  const distill::IdxArray l = distill::parse_idx(labels.data(), labels.size(), "labels", 1);
  CHECK(l.dims == std::vector<std::size_t>{3});
  CHECK(l.values == Bytes{7, 0, 255});
  // Without an expected rank any unsigned-byte array parses.
  CHECK(distill::parse_idx(labels.data(), labels.size(), "labels").dims.size() == 1);

  // Concatenated gzip members decompress as one stream (`cat a.gz b.gz`).
  const Bytes head(images.begin(), images.begin() + 10), tail(images.begin() + 10, images.end());
  const Bytes two = concat(gzip(head), gzip(tail));
  CHECK(distill::parse_idx(two.data(), two.size(), "two", 3).values ==
        Bytes(images.begin() + 16, images.end()));
}

TEST_CASE("parse_idx: bad magic, truncation and extra bytes are named", "[data][idx]") {
  const auto parse = [](const Bytes& b, int dims = 0) {
    return distill::parse_idx(b.data(), b.size(), "f", dims);
  };
  CHECK_THROWS_WITH(parse({}), Equals("f: empty file"));
  CHECK_THROWS_WITH(parse({0, 0, 8}), Equals("f: file of 3 bytes is too short for the magic"));

  Bytes b = idx_images(2, 3, 3);
  b[0] = 0x12;
  CHECK_THROWS_WITH(parse(b, 3),
                    Equals("f: bad magic 0x12000803: an IDX file starts with two zero bytes "
                           "(expected 0x00000803 (unsigned-byte images [N, rows, cols]))"));
  b = idx_images(2, 3, 3);
  b[2] = 0x0D;
  CHECK_THROWS_WITH(parse(b), Equals("f: bad magic 0x00000d03: data type 0xd (float) is not "
                                     "supported, only unsigned bytes (0x08)"));
  b = idx_labels({1, 2});
  CHECK_THROWS_WITH(parse(b, 3), Equals("f: bad magic 0x00000801: expected 0x00000803 "
                                        "(unsigned-byte images [N, rows, cols])"));
  b = idx_images(2, 3, 3);
  CHECK_THROWS_WITH(parse(b, 1), Equals("f: bad magic 0x00000803: expected 0x00000801 "
                                        "(unsigned-byte labels [N])"));
  b[3] = 0;
  CHECK_THROWS_WITH(parse(b), Equals("f: bad magic 0x00000800: no dimensions"));

  b = idx_images(2, 3, 3);
  b.resize(10);
  CHECK_THROWS_WITH(
      parse(b, 3),
      Equals("f: file of 10 bytes is too short for the 16-byte header of 3 dimensions"));
  b = idx_images(4, 3, 3);
  b.resize(16 + 9 * 2 + 4);
  CHECK_THROWS_WITH(parse(b, 3), Equals("f: truncated: the header declares 4 records of 9 bytes, "
                                        "the file ends inside record 2 (22 data bytes)"));
  b.resize(16 + 9 * 3);
  CHECK_THROWS_WITH(parse(b, 3), Contains("the file ends before record 3"));
  b = concat(idx_images(2, 3, 3), {1, 2, 3});
  CHECK_THROWS_WITH(parse(b, 3),
                    Equals("f: 3 bytes after the last of the 2 records the header declares"));

  // A header claiming 2^32-1 × 2^32-1 × 2^32-1 bytes must not overflow or allocate.
  b = {0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1};
  CHECK_THROWS_WITH(parse(b, 3), Contains("f: "));
  // Found while fuzzing: [4231361092, 8288, 0] parsed as billions of empty records, and the
  // fuzz target sized a label buffer by that count. Inner dimensions must be positive.
  b = {0, 0, 8, 3, 0xfc, 0x35, 0x72, 0x44, 0, 0, 0x20, 0x60, 0, 0, 0, 0};
  CHECK_THROWS_WITH(parse(b, 3), Equals("f: dimension 2 is zero"));
  b = {0, 0, 8, 1, 0, 0, 0, 0};
  CHECK(parse(b, 1).count() == 0);  // an empty label file is well-formed
  b = {0, 0, 8, 1, 0xff, 0xff, 0xff, 0xff, 1, 2};
  CHECK_THROWS_WITH(parse(b, 1), Contains("ends before record 2"));
}

TEST_CASE("parse_idx: truncated, corrupt and oversized gzip streams", "[data][idx]") {
  const Bytes plain = idx_images(20, 8, 8);
  const Bytes gz = gzip(plain);
  const auto parse = [](const Bytes& b) {
    return distill::parse_idx(b.data(), b.size(), "imgs.gz", 3);
  };
  REQUIRE_NOTHROW(parse(gz));
  for (const std::size_t keep : {std::size_t(2), std::size_t(12), gz.size() / 2, gz.size() - 1}) {
    INFO("keep " << keep << " of " << gz.size() << " bytes");
    const Bytes cut(gz.begin(), gz.begin() + std::ptrdiff_t(keep));
    CHECK_THROWS_WITH(parse(cut), Contains("imgs.gz: truncated gzip stream"));
  }
  Bytes bad = gz;
  bad[bad.size() - 6] ^= 0x55;  // inside the CRC-32 trailer
  CHECK_THROWS_WITH(parse(bad), Equals("imgs.gz: corrupt gzip stream: incorrect data check"));
  bad = gz;
  bad[3] = 0xE0;  // reserved flag bits
  CHECK_THROWS_WITH(parse(bad), Contains("imgs.gz: corrupt gzip stream: "));
  CHECK_THROWS_WITH(parse(concat(gz, {0, 0, 0})),
                    Equals("imgs.gz: 3 bytes of trailing data after the gzip stream"));
  CHECK_THROWS_WITH(distill::gunzip(gz.data(), gz.size(), "imgs.gz", 1000),
                    Equals("imgs.gz: gzip data decompresses to more than 1000 bytes"));
  CHECK(distill::gunzip(gz.data(), gz.size(), "imgs.gz", plain.size()) == plain);
  // Valid gzip around a bad IDX payload reports the IDX problem.
  const Bytes short_payload(plain.begin(), plain.end() - 5);
  CHECK_THROWS_WITH(parse(gzip(short_payload)), Contains("imgs.gz: truncated: the header"));
  CHECK_THROWS_WITH(parse(gzip({})), Equals("imgs.gz: empty file (after gzip decompression)"));
  // Only one layer is decompressed: gzip inside gzip is not an IDX file.
  CHECK_THROWS_WITH(parse(gzip(gz)), StartsWith("imgs.gz: bad magic 0x1f8b0800: an IDX file"));
}

TEMPLATE_TEST_CASE("load_idx: MNIST-style directory, plain or gzip", "[data][idx]", float, double) {
  TempDir dir;
  const bool gz = GENERATE(false, true);
  write_idx_set(dir, gz);
  const auto splits = distill::load_idx<TestType>(dir.path());
  CHECK(splits.train.images.shape() == distill::Shape(6, 1, 4, 3));
  CHECK(splits.test.images.shape() == distill::Shape(2, 1, 4, 3));
  CHECK(splits.train.labels == std::vector<int>{0, 4, 2, 1, 3, 0});
  CHECK(splits.test.labels == std::vector<int>{3, 1});
  CHECK(splits.train.classes == 5);
  CHECK(splits.test.classes == 5);
  CHECK(splits.train.images(5, 0, 2, 1) == TestType(idx_pixel(5, 7)) / TestType(255));
  CHECK(splits.test.images(1, 0, 3, 2) == TestType(idx_pixel(1, 11)) / TestType(255));
  CHECK_NOTHROW(splits.train.validate("train"));
  CHECK_NOTHROW(splits.test.validate("test"));
}

TEST_CASE("load_idx: errors name the file, the record and the problem", "[data][idx]") {
  TempDir dir;
  write_idx_set(dir, false);
  SECTION("the plain file wins over the .gz one; a mix of both works") {
    write_bytes(dir.file("t10k-labels-idx1-ubyte.gz"), {1, 2, 3});  // never read
    std::remove(dir.file("train-images-idx3-ubyte").c_str());
    write_bytes(dir.file("train-images-idx3-ubyte.gz"), gzip(idx_images(6, 4, 3)));
    CHECK(distill::load_idx<float>(dir.path()).train.size() == 6);
  }
  SECTION("missing file") {
    std::remove(dir.file("t10k-images-idx3-ubyte").c_str());
    CHECK_THROWS_WITH(distill::load_idx<float>(dir.path()),
                      Equals(dir.file("t10k-images-idx3-ubyte") +
                             ": missing file (nor t10k-images-idx3-ubyte.gz)"));
  }
  SECTION("test label out of the training classes") {
    write_bytes(dir.file("t10k-labels-idx1-ubyte"), idx_labels({3, 12}));
    CHECK_THROWS_WITH(
        distill::load_idx<float>(dir.path()),
        Equals(dir.file("t10k-labels-idx1-ubyte") + ": record 1: label 12 is outside [0, 5)"));
  }
  SECTION("image and label counts disagree") {
    write_bytes(dir.file("train-labels-idx1-ubyte"), idx_labels({0, 1, 2, 3, 4}));
    CHECK_THROWS_WITH(distill::load_idx<float>(dir.path()),
                      Equals(dir.file("train-images-idx3-ubyte") + " has 6 images but " +
                             dir.file("train-labels-idx1-ubyte") + " has 5 labels"));
  }
  SECTION("labels and images swapped") {
    write_bytes(dir.file("train-labels-idx1-ubyte"), idx_images(6, 4, 3));
    CHECK_THROWS_WITH(
        distill::load_idx<float>(dir.path()),
        Equals(dir.file("train-labels-idx1-ubyte") +
               ": bad magic 0x00000803: expected 0x00000801 (unsigned-byte labels [N])"));
  }
  SECTION("test images of another size") {
    write_bytes(dir.file("t10k-images-idx3-ubyte"), idx_images(2, 3, 4));
    CHECK_THROWS_WITH(distill::load_idx<float>(dir.path()),
                      Equals(dir.file("t10k-images-idx3-ubyte") +
                             ": images are 3x4 but the training images are 4x3"));
  }
  SECTION("zero-sized images") {
    write_bytes(dir.file("train-images-idx3-ubyte"), idx_images(6, 0, 3));
    CHECK_THROWS_WITH(distill::load_idx<float>(dir.path()),
                      Equals(dir.file("train-images-idx3-ubyte") + ": dimension 1 is zero"));
  }
  SECTION("no training labels") {
    write_bytes(dir.file("train-labels-idx1-ubyte"), idx_labels({}));
    CHECK_THROWS_WITH(distill::load_idx<float>(dir.path()),
                      Equals(dir.file("train-labels-idx1-ubyte") + ": no labels"));
  }
  SECTION("truncated gzip file") {
    const Bytes gz = gzip(idx_images(6, 4, 3));
    std::remove(dir.file("train-images-idx3-ubyte").c_str());
    write_bytes(dir.file("train-images-idx3-ubyte.gz"), Bytes(gz.begin(), gz.end() - 9));
    CHECK_THROWS_WITH(distill::load_idx<float>(dir.path()),
                      Contains(dir.file("train-images-idx3-ubyte.gz") + ": truncated gzip stream"));
  }
  SECTION("empty file") {
    write_bytes(dir.file("t10k-labels-idx1-ubyte"), {});
    CHECK_THROWS_WITH(distill::load_idx<float>(dir.path()),
                      Equals(dir.file("t10k-labels-idx1-ubyte") + ": empty file"));
  }
}

TEST_CASE("make_idx_dataset checks arrays built by hand", "[data][idx]") {
  distill::IdxArray images{{2, 2, 2}, Bytes(8, 255)};
  distill::IdxArray labels{{2}, {0, 1}};
  const auto set = distill::make_idx_dataset<float>(images, labels, 2, "i", "l");
  CHECK(set.images.shape() == distill::Shape(2, 1, 2, 2));
  CHECK(set.images[7] == 1.0f);
  images.values.pop_back();
  CHECK_THROWS_WITH(distill::make_idx_dataset<float>(images, labels, 2, "i", "l"),
                    Equals("i: 7 values for 2 images of 2x2"));
}
