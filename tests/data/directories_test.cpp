#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "distill/data/directories.hpp"
#include "data/temp_dir.hpp"

using namespace distill;

TEST_CASE("create_directories: an output directory with its parents", "[data][directories]") {
  test::TempDir dir;
  const std::string nested = dir.file("runs/a/b");
  create_directories(nested);
  CHECK(std::filesystem::is_directory(nested));
  create_directories(nested);  // existing: fine
  create_parent_directories(dir.file("pics/c/set.png"));
  CHECK(std::filesystem::is_directory(dir.file("pics/c")));
  CHECK_FALSE(std::filesystem::exists(dir.file("pics/c/set.png")));
  std::ofstream(dir.file("file")) << "x";
  CHECK_THROWS_WITH(create_directories(dir.file("file")), Catch::Equals(dir.file("file") + ": exists and is not a directory"));
  CHECK_THROWS_WITH(create_directories(dir.file("file/sub")), Catch::Contains(dir.file("file/sub") + ": cannot create"));
  CHECK_THROWS_WITH(create_directories(""), Catch::Contains("empty path"));
}
