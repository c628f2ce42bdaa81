#include "distill/data/safetensors.hpp"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/temp_dir.hpp"

using Catch::Matchers::Contains;
using Catch::Matchers::EndsWith;
using Catch::Matchers::Equals;
using Catch::Matchers::StartsWith;
using distill::Dtype;
using distill::Index;
using distill::SafetensorsFile;
using distill::test::read_bytes;
using distill::test::TempDir;
using distill::test::write_bytes;

namespace {

using Bytes = std::vector<std::uint8_t>;

// A file of every supported dtype, the shapes later code stores (NCHW images, a trajectory
// matrix, a scalar learning rate, labels) and an empty tensor.
SafetensorsFile sample_file() {
  SafetensorsFile f;
  distill::Tensor<float> images(distill::Shape(2, 3, 2, 2));
  for (Index i = 0; i < images.size(); ++i) images[i] = 0.25f * float(i) - 1.5f;
  f.add("images", images);
  distill::Vector<double> theta(5);
  theta << 1.0 / 3.0, -2.5e-300, 7.0, 1e300, -0.0;
  f.add("theta", theta);
  f.add("labels", std::vector<int>{0, 9, -3, std::numeric_limits<int>::max()});
  f.add("steps", std::vector<std::int64_t>{std::int64_t(1) << 40, -7});
  f.add("mask", std::vector<std::uint8_t>{0, 1, 255}, {1, 3});
  f.add_scalar("lr", 0.01f);
  std::vector<distill::Vector<float>> trajectory(3, distill::Vector<float>(4));
  for (int e = 0; e < 3; ++e)
    for (int p = 0; p < 4; ++p) trajectory[e][p] = float(10 * e + p) + 0.5f;
  f.add_stacked("trajectory", trajectory);
  f.add("empty", std::vector<float>{});
  f.metadata["method"] = "DATM-CLR";
  f.metadata["ipc"] = "10";
  return f;
}

void check_same(const SafetensorsFile& a, const SafetensorsFile& b) {
  CHECK(a.names() == b.names());
  CHECK(a.metadata == b.metadata);
  for (const std::string& name : a.names()) {
    INFO("tensor " << name);
    REQUIRE(b.contains(name));
    CHECK(a.tensor(name).dtype == b.tensor(name).dtype);
    CHECK(a.tensor(name).shape == b.tensor(name).shape);
    CHECK(a.tensor(name).bytes == b.tensor(name).bytes);
  }
}

// A file from a JSON header text and a data region, as another writer might lay it out.
Bytes raw_file(const std::string& header, const Bytes& data) {
  Bytes out;
  for (int i = 0; i < 8; ++i) out.push_back(std::uint8_t(std::uint64_t(header.size()) >> (8 * i)));
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

SafetensorsFile parse(const Bytes& bytes) {
  return distill::parse_safetensors(bytes.data(), bytes.size(), "t.safetensors");
}

// The first interpreter that can import json and numpy: $DISTILL_TEST_PYTHON, then python3 on
// the PATH, then Debian's, whose python3-numpy the dependency script installs.
std::string find_python() {
  std::vector<std::string> candidates;
  if (const char* env = std::getenv("DISTILL_TEST_PYTHON")) candidates.push_back(env);
  candidates.push_back("python3");
  candidates.push_back("/usr/bin/python3");
  for (const std::string& py : candidates) {
    const std::string cmd = py + " -c \"import json, numpy\" > /dev/null 2>&1";
    if (std::system(cmd.c_str()) == 0) return py;
  }
  return "";
}

}  // namespace

TEST_CASE("safetensors: every dtype, shape and the metadata survive a file round trip",
          "[data][safetensors]") {
  TempDir dir;
  const SafetensorsFile f = sample_file();
  const std::string path = dir.file("set.safetensors");
  distill::write_safetensors(path, f);
  const SafetensorsFile g = distill::read_safetensors(path);
  check_same(f, g);
  CHECK(g.names() == std::vector<std::string>{"images", "theta", "labels", "steps", "mask", "lr",
                                              "trajectory", "empty"});
  CHECK(g.metadata == std::map<std::string, std::string>{{"ipc", "10"}, {"method", "DATM-CLR"}});
  CHECK(distill::test::list_dir(dir.path()) == std::vector<std::string>{"set.safetensors"});

  const auto images = g.get_f32("images");
  CHECK(images.shape == std::vector<std::int64_t>{2, 3, 2, 2});
  REQUIRE(images.values.size() == 24);
  CHECK(images.values[23] == 0.25f * 23 - 1.5f);
  const auto theta = g.get_f64("theta");
  CHECK(theta.shape == std::vector<std::int64_t>{5});
  CHECK(theta.values[0] == 1.0 / 3.0);
  CHECK(theta.values[1] == -2.5e-300);
  CHECK(theta.values[3] == 1e300);
  CHECK(std::signbit(theta.values[4]));
  CHECK(g.get_i32("labels").values == std::vector<std::int32_t>{0, 9, -3, 2147483647});
  CHECK(g.get_i64("steps").values == std::vector<std::int64_t>{std::int64_t(1) << 40, -7});
  CHECK(g.get_u8("mask").values == Bytes{0, 1, 255});
  CHECK(g.get_u8("mask").shape == std::vector<std::int64_t>{1, 3});
  CHECK(g.tensor("lr").shape.empty());
  CHECK(g.get_scalar("lr") == double(0.01f));
  CHECK(g.get_f32("empty").values.empty());
  CHECK(g.tensor("empty").shape == std::vector<std::int64_t>{0});
}

TEST_CASE("safetensors: conversions to distill types", "[data][safetensors]") {
  const SafetensorsFile g = parse(distill::serialize_safetensors(sample_file()));
  const distill::Tensor<double> images = g.get_tensor<double>("images");
  CHECK(images.shape() == distill::Shape(2, 3, 2, 2));
  CHECK(images(1, 2, 1, 1) == double(0.25f * 23 - 1.5f));
  const distill::Tensor<float> theta = g.get_tensor<float>("theta");
  CHECK(theta.shape() == distill::Shape(5, 1, 1, 1));
  CHECK_THAT(theta[0], Catch::Matchers::WithinRel(1.0f / 3.0f, 1e-7f));
  const auto rows = g.get_stacked<double>("trajectory");
  REQUIRE(rows.size() == 3);
  CHECK(rows[2][1] == 21.5);
  CHECK(g.get_tensor<float>("trajectory").shape() == distill::Shape(3, 4, 1, 1));
  CHECK(g.get_vector<float>("images").size() == 24);
  CHECK(g.get_ints("labels") == std::vector<int>{0, 9, -3, 2147483647});
  CHECK(g.get_ints("mask") == std::vector<int>{0, 1, 255});
  CHECK_THROWS_WITH(g.get_ints("steps"),
                    Equals("safetensors: tensor 'steps': element 0 = 1099511627776 does not fit "
                           "an int"));
  CHECK_THROWS_WITH(g.get_f32("theta"),
                    Equals("safetensors: tensor 'theta' has dtype F64, not F32"));
  CHECK_THROWS_WITH(g.get_vector<float>("labels"),
                    Equals("safetensors: tensor 'labels' has dtype I32, expected F32 or F64"));
  CHECK_THROWS_WITH(g.get_ints("theta"),
                    Equals("safetensors: tensor 'theta' has dtype F64, expected I32, I64 or U8"));
  CHECK_THROWS_WITH(g.get_tensor<float>("lr"),
                    Equals("safetensors: tensor 'lr' of shape [] is not of rank 1 to 4"));
  CHECK_THROWS_WITH(g.get_stacked<float>("images"), Contains("is not of rank 2"));
  CHECK_THROWS_WITH(g.get_scalar("theta"), Contains("is not a single value"));
  CHECK_THROWS_WITH(g.tensor("nope"), Equals("safetensors: no tensor 'nope'"));
}

TEST_CASE("safetensors: adding checks names, shapes and reserved keys", "[data][safetensors]") {
  SafetensorsFile f;
  f.add("a", std::vector<float>{1, 2});
  CHECK_THROWS_WITH(f.add("a", std::vector<float>{1}),
                    Equals("safetensors: tensor 'a' already added"));
  CHECK_THROWS_WITH(f.add("", std::vector<float>{1}), Equals("safetensors: empty tensor name"));
  CHECK_THROWS_WITH(f.add("__metadata__", std::vector<float>{1}),
                    Contains("'__metadata__' is not a tensor name"));
  CHECK_THROWS_WITH(f.add("b", std::vector<float>{1, 2, 3}, {2, 2}),
                    Equals("safetensors: tensor 'b': 3 values for shape [2, 2]"));
  CHECK_THROWS_WITH(f.add("b", std::vector<float>{}, {2, -1}),
                    Contains("safetensors: tensor 'b': "));
  distill::SafetensorsTensor raw;
  raw.dtype = Dtype::f64;
  raw.shape = {3};
  raw.bytes.resize(12);
  CHECK_THROWS_WITH(f.add_raw("c", raw),
                    Equals("safetensors: tensor 'c': 12 bytes for F64 shape [3]"));
  CHECK_THROWS_WITH(
      f.add_stacked("d", std::vector<distill::Vector<float>>{distill::Vector<float>(3),
                                                             distill::Vector<float>(2)}),
      Equals("safetensors: tensor 'd': row 1 has 2 values, row 0 has 3"));
  CHECK(f.names() == std::vector<std::string>{"a"});
  f.add("z", std::vector<double>{1});
  f.erase("a");
  CHECK(f.names() == std::vector<std::string>{"z"});
  CHECK_THROWS_WITH(f.erase("a"), Contains("no tensor 'a'"));

  f.metadata["distill.crc32.z"] = "00000000";
  CHECK_THROWS_WITH(distill::serialize_safetensors(f),
                    Equals("safetensors: metadata key 'distill.crc32.z' is reserved for distill"));
  f.metadata.clear();
  f.metadata["distill.format_version"] = "1";
  CHECK_THROWS_WITH(distill::serialize_safetensors(f), Contains("is reserved"));
}

TEST_CASE("safetensors: layout of a written file", "[data][safetensors]") {
  const Bytes bytes = distill::serialize_safetensors(sample_file());
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | bytes[std::size_t(i)];
  CHECK((8 + n) % 8 == 0);  // data starts aligned
  const auto header =
      nlohmann::json::parse(bytes.begin() + 8, bytes.begin() + 8 + std::ptrdiff_t(n));
  CHECK(header["__metadata__"]["distill.format_version"] == "1");
  CHECK(header["__metadata__"]["method"] == "DATM-CLR");
  CHECK(header["__metadata__"]["distill.crc32.images"].get<std::string>().size() == 8);
  CHECK(header["images"]["dtype"] == "F32");
  CHECK(header["images"]["shape"] == nlohmann::json({2, 3, 2, 2}));
  CHECK(header["images"]["data_offsets"] == nlohmann::json({0, 96}));
  CHECK(header["theta"]["data_offsets"] == nlohmann::json({96, 136}));
  CHECK(header["lr"]["shape"] == nlohmann::json::array());
  // CRC-32 of the 40 bytes of theta, as zlib.crc32 computes it.
  const std::uint32_t crc = std::uint32_t(crc32(0, bytes.data() + 8 + n + 96, 40));
  CHECK(std::stoul(header["__metadata__"]["distill.crc32.theta"].get<std::string>(), nullptr, 16) ==
        crc);
  CHECK(bytes.size() == 8 + n + header["empty"]["data_offsets"][1].get<std::uint64_t>());
  // An empty file holds only the version.
  const Bytes empty = distill::serialize_safetensors(SafetensorsFile());
  const SafetensorsFile e = parse(empty);
  CHECK(e.size() == 0);
  CHECK(e.metadata.empty());
}

TEST_CASE("safetensors: files from other writers", "[data][safetensors]") {
  // No metadata, no padding, tensors stored in another order than their names.
  Bytes data(12 + 2);
  const float x[3] = {1.5f, -2.0f, 3.25f};
  std::memcpy(data.data() + 2, x, 12);
  data[0] = 7;
  data[1] = 9;
  const SafetensorsFile f = parse(raw_file(
      R"({"b":{"data_offsets":[2,14],"shape":[3],"dtype":"F32"},"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}})",
      data));
  CHECK(f.names() == std::vector<std::string>{"a", "b"});  // file order
  CHECK(f.get_f32("b").values == std::vector<float>{1.5f, -2.0f, 3.25f});
  CHECK(f.get_u8("a").values == Bytes{7, 9});
  CHECK(f.metadata.empty());
  // Metadata of other tools is kept; an unknown distill.* key is ordinary metadata.
  const SafetensorsFile m = parse(raw_file(
      R"({"__metadata__":{"format":"pt","distill.note":"x"},"a":{"dtype":"U8","shape":[],"data_offsets":[0,1]}})",
      {42}));
  CHECK(m.metadata == std::map<std::string, std::string>{{"distill.note", "x"}, {"format", "pt"}});
  CHECK(m.get_scalar("a") == 42);
  // Uppercase hex CRC digits are accepted.
  const SafetensorsFile c = parse(raw_file(
      R"({"__metadata__":{"distill.crc32.a":"D202EF8D"},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}})",
      {0}));
  CHECK(c.metadata.empty());
}

TEST_CASE("safetensors: corrupt files are rejected with the file and the problem",
          "[data][safetensors]") {
  const std::string t = "t.safetensors: ";
  const std::string ok_entry = R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})";
  const Bytes eight(8, 0);
  const auto with = [&](const std::string& header, const Bytes& data) {
    return parse(raw_file(header, data));
  };

  CHECK_THROWS_WITH(parse({}), Equals(t + "empty file"));
  CHECK_THROWS_WITH(parse({1, 0, 0}),
                    Equals(t + "file of 3 bytes is too short for the 8-byte header length"));
  // Header lengths beyond the file, beyond the cap, and with the top bit set.
  Bytes b = raw_file("{" + ok_entry + "}", eight);
  b[0] = std::uint8_t(b[0] + 9);
  CHECK_THROWS_WITH(parse(b), Contains("runs past the end of the"));
  b = raw_file("{}", {});
  b[3] = 0x10;
  CHECK_THROWS_WITH(parse(b),
                    Equals(t + "header length 268435458 exceeds the limit of 104857600 bytes"));
  b[7] = 0x80;
  CHECK_THROWS_WITH(parse(b), Contains("exceeds the limit"));

  CHECK_THROWS_WITH(with("{\"a\": ", eight), StartsWith(t + "header is not valid JSON: "));
  CHECK_THROWS_WITH(with("", {}), StartsWith(t + "header is not valid JSON: "));
  CHECK_THROWS_WITH(with("[1, 2]", {}), Equals(t + "header is not a JSON object"));
  CHECK_THROWS_WITH(with("{\"a\": 1e999}", {}), StartsWith(t + "header is not valid JSON: "));
  CHECK_THROWS_WITH(with("{" + ok_entry + "," + ok_entry + "}", eight),
                    Equals(t + "tensor name 'a' appears twice in the header"));
  CHECK_THROWS_WITH(
      with(R"({"a":{"dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8]}})", eight),
      Equals(t + "key 'dtype' appears twice in the header"));
  CHECK_THROWS_WITH(with(R"({"a":{"dtype":"BF16","shape":[4],"data_offsets":[0,8]}})", eight),
                    Equals(t + "tensor 'a': unsupported dtype 'BF16' (distill reads F32, F64, "
                               "I32, I64 and U8)"));
  CHECK_THROWS_WITH(with(R"({"a":{"dtype":3,"shape":[2],"data_offsets":[0,8]}})", eight),
                    Equals(t + "tensor 'a': dtype is not a string"));
  CHECK_THROWS_WITH(with(R"({"a":{"shape":[2],"data_offsets":[0,8]}})", eight),
                    Equals(t + "tensor 'a': missing field 'dtype'"));
  CHECK_THROWS_WITH(
      with(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"extra":1}})", eight),
      Equals(t + "tensor 'a': unexpected field 'extra'"));
  CHECK_THROWS_WITH(with(R"({"a":[1]})", eight),
                    Equals(t + "tensor 'a': entry is not a JSON object"));
  CHECK_THROWS_WITH(with(R"({"":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", eight),
                    Equals(t + "empty tensor name in the header"));
  CHECK_THROWS_WITH(with(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", eight),
                    Equals(t + "tensor 'a': dimension 0 is negative: -2"));
  CHECK_THROWS_WITH(with(R"({"a":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}})", eight),
                    Equals(t + "tensor 'a': dimension 0 is not an integer: 2.0"));
  CHECK_THROWS_WITH(with(R"({"a":{"dtype":"F32","shape":2,"data_offsets":[0,8]}})", eight),
                    Equals(t + "tensor 'a': shape is not an array"));
  CHECK_THROWS_WITH(with(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", eight),
                    Equals(t + "tensor 'a': F32 shape [3] does not match its 8 bytes of data"));
  CHECK_THROWS_WITH(
      with(R"({"a":{"dtype":"U8","shape":[4294967296,4294967296,16],"data_offsets":[0,8]}})",
           eight),
      Equals(t + "tensor 'a': shape [4294967296, 4294967296, 16] is too large"));
  // Found while fuzzing: with a zero dimension the element count is 0 whatever the others
  // are, but their product still overflowed in numel() and Shape::size().
  CHECK_THROWS_WITH(
      with(R"({"a":{"dtype":"U8","shape":[4294967296,4294967296,0],"data_offsets":[0,0]}})", {}),
      Equals(t + "tensor 'a': shape [4294967296, 4294967296, 0] is too large"));
  CHECK_THROWS_WITH(with(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}})", eight),
                    Equals(t + "tensor 'a': data_offsets [0, 16] are not inside the 8-byte data "
                               "region"));
  CHECK_THROWS_WITH(with(R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}})", eight),
                    Contains("are not inside the 8-byte data region"));
  CHECK_THROWS_WITH(
      with(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,18446744073709551615]}})", eight),
      Equals(t + "tensor 'a': data_offsets end is too large: 18446744073709551615"));
  CHECK_THROWS_WITH(with(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0]}})", eight),
                    Equals(t + "tensor 'a': data_offsets is not an array of two offsets"));
  CHECK_THROWS_WITH(with(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,-8]}})", eight),
                    Equals(t + "tensor 'a': data_offsets end is negative: -8"));
  // Overlap, holes and unused trailing bytes.
  CHECK_THROWS_WITH(with(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},
                             "b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                         eight),
                    Equals(t + "tensors 'a' [0, 8) and 'b' [4, 8) overlap"));
  CHECK_THROWS_WITH(with(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},
                             "b":{"dtype":"U8","shape":[2],"data_offsets":[6,8]}})",
                         eight),
                    Equals(t + "bytes [4, 6) of the data region belong to no tensor"));
  CHECK_THROWS_WITH(with("{" + ok_entry + "}", Bytes(12, 0)),
                    Equals(t + "bytes [8, 12) of the data region belong to no tensor"));
  CHECK_THROWS_WITH(with("{}", Bytes(3, 0)),
                    Equals(t + "bytes [0, 3) of the data region belong to no tensor"));
  // Metadata.
  CHECK_THROWS_WITH(with(R"({"__metadata__":{"k":1}})", {}),
                    Equals(t + "__metadata__ value of 'k' is not a string"));
  CHECK_THROWS_WITH(with(R"({"__metadata__":[]})", {}),
                    Equals(t + "__metadata__ is not a JSON object"));
  CHECK_THROWS_WITH(with(R"({"__metadata__":{"distill.format_version":"2"}})", {}),
                    Equals(t + "unsupported distill format version '2' (this reader knows "
                               "version 1)"));
  CHECK_THROWS_WITH(with(R"({"__metadata__":{"distill.crc32.x":"00000000"}})", {}),
                    Equals(t + "metadata has a CRC-32 for tensor 'x', which the file does not "
                               "hold"));
  CHECK_THROWS_WITH(with(R"({"__metadata__":{"distill.crc32.a":"xyz"},)" + ok_entry + "}", eight),
                    Equals(t + "tensor 'a': CRC-32 'xyz' is not 8 hex digits"));
}

TEST_CASE("safetensors: empty tensors with large dimensions", "[data][safetensors]") {
  // Valid, holding no data, yet their dimensions must not make accessors overflow or allocate.
  const SafetensorsFile f = parse(
      raw_file(R"({"a":{"dtype":"F32","shape":[576460752303423488,0],"data_offsets":[0,0]},)"
               R"("b":{"dtype":"F64","shape":[0,536870912,1073741824],"data_offsets":[0,0]}})",
               {}));
  CHECK(f.tensor("a").numel() == 0);
  CHECK(f.tensor("b").numel() == 0);
  CHECK(f.get_vector<float>("a").size() == 0);
  CHECK(f.get_tensor<float>("b").shape() == distill::Shape(0, 536870912, 1073741824, 1));
  CHECK(f.get_tensor<float>("b").size() == 0);
  CHECK_THROWS_WITH(f.get_stacked<float>("a"), Contains("has too many empty rows"));
  CHECK(parse(distill::serialize_safetensors(f)).tensor("b").shape == f.tensor("b").shape);
}

TEST_CASE("safetensors: a flipped data byte fails the CRC-32 check", "[data][safetensors]") {
  TempDir dir;
  const std::string path = dir.file("traj.safetensors");
  distill::write_safetensors(path, sample_file());
  Bytes bytes = read_bytes(path);
  bytes[bytes.size() - 20] ^= 0x01;  // inside the trajectory
  write_bytes(path, bytes);
  CHECK_THROWS_WITH(distill::read_safetensors(path),
                    StartsWith(path + ": tensor 'trajectory': CRC-32 mismatch (header ") &&
                        EndsWith("): the data is corrupt"));
}

TEST_CASE("write_safetensors is atomic: a failed write leaves the old file",
          "[data][safetensors]") {
  TempDir dir;
  SafetensorsFile small;
  small.add("x", std::vector<float>{1, 2, 3});
  SafetensorsFile big;
  big.add("y", std::vector<float>(64 * 1024, 0.5f));

  SECTION("nonexistent directory") {
    const std::string path = dir.file("missing/out.safetensors");
    CHECK_THROWS_WITH(distill::write_safetensors(path, small),
                      StartsWith(path + ".tmp.") && Contains("cannot create: No such file"));
    CHECK(distill::test::list_dir(dir.path()).empty());
  }
  SECTION("target is a directory: the rename fails and the temp file is removed") {
    const std::string path = dir.file("out.safetensors");
    std::filesystem::create_directory(path);
    write_bytes(path + "/keep", {1, 2});
    CHECK_THROWS_WITH(distill::write_safetensors(path, small),
                      StartsWith(path + ": cannot rename "));
    CHECK(distill::test::list_dir(dir.path()) == std::vector<std::string>{"out.safetensors"});
    CHECK(read_bytes(path + "/keep") == Bytes{1, 2});
  }
  SECTION("full disk (file size limit): the old file stays intact") {
    const std::string path = dir.file("out.safetensors");
    distill::write_safetensors(path, small);
    const Bytes before = read_bytes(path);
    // RLIMIT_FSIZE makes write() fail with EFBIG once the temp file reaches the limit, as a
    // full disk makes it fail with ENOSPC; SIGXFSZ would otherwise kill the process.
    struct rlimit old_limit {};
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &old_limit) == 0);
    struct rlimit limit = old_limit;
    limit.rlim_cur = 16 * 1024;
    const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &limit) == 0);
    std::string message;
    try {
      distill::write_safetensors(path, big);
    } catch (const distill::error& e) {
      message = e.what();
    }
    ::setrlimit(RLIMIT_FSIZE, &old_limit);
    std::signal(SIGXFSZ, old_handler);
    CHECK_THAT(message, Contains(": write failed: File too large"));
    CHECK(read_bytes(path) == before);
    CHECK(distill::test::list_dir(dir.path()) == std::vector<std::string>{"out.safetensors"});
    check_same(distill::read_safetensors(path), small);
  }
  SECTION("read-only directory") {
    const std::string sub = dir.file("ro");
    std::filesystem::create_directory(sub);
    const std::string path = sub + "/out.safetensors";
    distill::write_safetensors(path, small);
    const Bytes before = read_bytes(path);
    REQUIRE(::chmod(sub.c_str(), 0555) == 0);
    if (::access(sub.c_str(), W_OK) != 0) {
      CHECK_THROWS_WITH(distill::write_safetensors(path, big),
                        Contains("cannot create: Permission denied"));
    } else if (::geteuid() == 0) {
      // Permission bits do not stop root, so the write is tried by a child that drops to
      // nobody; it exits 0 when the write failed with the expected error.
      REQUIRE(::chmod(dir.path().c_str(), 0755) == 0);
      const ::pid_t child = ::fork();
      REQUIRE(child >= 0);
      if (child == 0) {
        if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(3);
        try {
          distill::write_safetensors(path, big);
        } catch (const distill::error& e) {
          ::_exit(std::string(e.what()).find("cannot create: Permission denied") !=
                          std::string::npos
                      ? 0
                      : 1);
        }
        ::_exit(2);
      }
      int status = 0;
      REQUIRE(::waitpid(child, &status, 0) == child);
      REQUIRE(WIFEXITED(status));
      CHECK(WEXITSTATUS(status) == 0);
    } else {
      WARN("skipped: this user can write to the read-only directory " << sub);
    }
    CHECK(read_bytes(path) == before);
    CHECK(distill::test::list_dir(sub) == std::vector<std::string>{"out.safetensors"});
    ::chmod(sub.c_str(), 0755);
  }
  SECTION("a successful write replaces the old file") {
    const std::string path = dir.file("out.safetensors");
    distill::write_safetensors(path, small);
    distill::write_safetensors(path, big);
    check_same(distill::read_safetensors(path), big);
    CHECK(distill::test::list_dir(dir.path()) == std::vector<std::string>{"out.safetensors"});
  }
}

TEST_CASE("safetensors files read back in Python with only json and numpy",
          "[data][safetensors][python]") {
  const std::string python = find_python();
  if (python.empty()) {
    WARN("skipped: no python3 with numpy (set DISTILL_TEST_PYTHON)");
    return;
  }
  TempDir dir;
  const SafetensorsFile f = sample_file();
  const std::string path = dir.file("set.safetensors"), out = dir.file("py.json");
  distill::write_safetensors(path, f);
  const std::string script = DISTILL_TEST_SOURCE_DIR "/tests/data/read_safetensors.py";
  const std::string cmd = python + " '" + script + "' '" + path + "' '" + out + "'";
  INFO(cmd);
  REQUIRE(std::system(cmd.c_str()) == 0);
  const Bytes text = read_bytes(out);
  const nlohmann::json py = nlohmann::json::parse(text.begin(), text.end());
  CHECK(py["__metadata__"]["method"] == "DATM-CLR");
  CHECK(py["__metadata__"]["distill.format_version"] == "1");
  CHECK(py["__data_start__"].get<int>() % 8 == 0);
  CHECK(py.size() == f.size() + 2);
  for (const std::string& name : f.names()) {
    INFO("tensor " << name);
    const distill::SafetensorsTensor& t = f.tensor(name);
    const nlohmann::json& p = py.at(name);
    CHECK(p["dtype"] == distill::dtype_name(t.dtype));
    CHECK(p["shape"].get<std::vector<std::int64_t>>() == t.shape);
    REQUIRE(p["values"].size() == std::size_t(t.numel()));
    for (std::size_t i = 0; i < p["values"].size(); ++i) {
      const nlohmann::json& v = p["values"][i];
      switch (t.dtype) {
        case Dtype::f32:
          CHECK(v.get<float>() == f.get_f32(name).values[i]);
          break;
        case Dtype::f64:
          CHECK(v.get<double>() == f.get_f64(name).values[i]);
          break;
        case Dtype::i32:
          CHECK(v.get<std::int32_t>() == f.get_i32(name).values[i]);
          break;
        case Dtype::i64:
          CHECK(v.get<std::int64_t>() == f.get_i64(name).values[i]);
          break;
        case Dtype::u8:
          CHECK(v.get<int>() == int(f.get_u8(name).values[i]));
          break;
      }
    }
  }
}

TEST_CASE("read_safetensors_metadata: the metadata from the header alone, with the file's errors",
          "[data][safetensors]") {
  TempDir dir;
  const std::string path = dir.file("traj.safetensors");
  distill::write_safetensors(path, sample_file());
  CHECK(distill::read_safetensors_metadata(path) == distill::read_safetensors(path).metadata);
  // The tensors are not read: a corrupt data byte goes unnoticed here (read_safetensors catches it).
  Bytes bytes = read_bytes(path);
  bytes[bytes.size() - 20] ^= 0x01;
  write_bytes(path, bytes);
  CHECK(distill::read_safetensors_metadata(path).at("method") == "DATM-CLR");
  // A cut header and a missing file are errors naming the file.
  write_bytes(path, Bytes(bytes.begin(), bytes.begin() + 40));
  CHECK_THROWS_WITH(distill::read_safetensors_metadata(path),
                    StartsWith(path + ": header length ") && Contains("runs past the end of the 40-byte file"));
  write_bytes(path, Bytes{1, 2, 3});
  CHECK_THROWS_WITH(distill::read_safetensors_metadata(path), StartsWith(path + ": file of 3 bytes is too short"));
  CHECK_THROWS_WITH(distill::read_safetensors_metadata(dir.file("none.safetensors")),
                    StartsWith(dir.file("none.safetensors") + ": cannot open"));
}
