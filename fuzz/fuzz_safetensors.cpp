// libFuzzer target: parse_safetensors on arbitrary bytes. A file that parses must serialise
// and parse back to the same content, and every accessor must either work or throw
// distill::error.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "distill/data/safetensors.hpp"
#include "fuzz_support.hpp"

namespace {

template <class F>
void expect_ok_or_error(F&& f) {
  try {
    f();
  } catch (const distill::error&) {
  }
}

void exercise(const distill::SafetensorsFile& file) {
  for (const std::string& name : file.names()) {
    const distill::SafetensorsTensor& t = file.tensor(name);
    DISTILL_FUZZ_REQUIRE(t.bytes.size() == std::size_t(t.numel()) * distill::dtype_size(t.dtype));
    expect_ok_or_error([&] { (void)file.get_vector<double>(name); });
    expect_ok_or_error([&] { (void)file.get_tensor<float>(name); });
    expect_ok_or_error([&] { (void)file.get_stacked<float>(name); });
    expect_ok_or_error([&] { (void)file.get_ints(name); });
    expect_ok_or_error([&] { (void)file.get_scalar(name); });
    expect_ok_or_error([&] { (void)file.get_f32(name); });
    expect_ok_or_error([&] { (void)file.get_u8(name); });
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  distill::SafetensorsFile file;
  try {
    file = distill::parse_safetensors(data, size, "fuzz");
  } catch (const distill::error&) {
    return 0;
  }
  exercise(file);
  const std::vector<std::uint8_t> again = distill::serialize_safetensors(file);
  const distill::SafetensorsFile back =
      distill::parse_safetensors(again.data(), again.size(), "round trip");
  DISTILL_FUZZ_REQUIRE(back.names() == file.names());
  DISTILL_FUZZ_REQUIRE(back.metadata == file.metadata);
  for (const std::string& name : file.names()) {
    DISTILL_FUZZ_REQUIRE(back.tensor(name).dtype == file.tensor(name).dtype);
    DISTILL_FUZZ_REQUIRE(back.tensor(name).shape == file.tensor(name).shape);
    DISTILL_FUZZ_REQUIRE(back.tensor(name).bytes == file.tensor(name).bytes);
  }
  return 0;
}
