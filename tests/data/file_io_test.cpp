#include "distill/data/file_io.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "data/temp_dir.hpp"

using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using Catch::Matchers::StartsWith;
using distill::test::read_bytes;
using distill::test::TempDir;
using distill::test::write_bytes;

TEST_CASE("read_file_bytes: content, empty files and errors", "[data][file_io]") {
  TempDir dir;
  std::vector<std::uint8_t> bytes(100000);
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = std::uint8_t(i * 7);
  write_bytes(dir.file("a.bin"), bytes);
  CHECK(distill::read_file_bytes(dir.file("a.bin")) == bytes);
  write_bytes(dir.file("empty"), {});
  CHECK(distill::read_file_bytes(dir.file("empty")).empty());
  CHECK(distill::regular_file_exists(dir.file("a.bin")));
  CHECK_FALSE(distill::regular_file_exists(dir.file("b.bin")));
  CHECK_FALSE(distill::regular_file_exists(dir.path()));
  CHECK_THROWS_WITH(distill::read_file_bytes(dir.file("b.bin")),
                    Equals(dir.file("b.bin") + ": missing file"));
  CHECK_THROWS_WITH(distill::read_file_bytes(dir.path()),
                    Equals(dir.path() + ": not a regular file"));
  CHECK_THROWS_WITH(distill::read_file_bytes(dir.file("a.bin/x")),
                    StartsWith(dir.file("a.bin/x") + ": cannot open: "));
}

TEST_CASE("write_file_atomic: pieces back to back, replacing the target", "[data][file_io]") {
  TempDir dir;
  const std::string path = dir.file("out");
  const std::string a = "hello ", b = "world";
  distill::write_file_atomic(path, {{a.data(), a.size()}, {nullptr, 0}, {b.data(), b.size()}});
  const auto got = read_bytes(path);
  CHECK(std::string(got.begin(), got.end()) == "hello world");
  distill::write_file_atomic(path, {{b.data(), b.size()}});
  const auto again = read_bytes(path);
  CHECK(std::string(again.begin(), again.end()) == "world");
  distill::write_file_atomic(path, {});
  CHECK(read_bytes(path).empty());
  CHECK(distill::test::list_dir(dir.path()) == std::vector<std::string>{"out"});

  CHECK_THROWS_WITH(distill::write_file_atomic("", {}), Equals("write_file_atomic: empty path"));
  CHECK_THROWS_WITH(distill::write_file_atomic(dir.file("no/such/dir/f"), {{a.data(), a.size()}}),
                    Contains("cannot create: No such file or directory"));
  CHECK(distill::test::list_dir(dir.path()) == std::vector<std::string>{"out"});
}
