// libFuzzer target: parse_cifar on arbitrary bytes, as both CIFAR-10 and CIFAR-100.

#include <cstddef>
#include <cstdint>

#include "distill/data/cifar.hpp"
#include "fuzz_support.hpp"

namespace {

void parse_as(const std::uint8_t* data, std::size_t size, distill::CifarVariant variant) {
  try {
    const auto set = distill::parse_cifar<float>(data, size, variant, "fuzz");
    const std::size_t record = distill::cifar_record_size(variant);
    DISTILL_FUZZ_REQUIRE(std::size_t(set.size()) * record == size);
    DISTILL_FUZZ_REQUIRE(set.labels.size() == std::size_t(set.size()));
    DISTILL_FUZZ_REQUIRE(set.images.shape() == distill::Shape(set.size(), 3, 32, 32));
    for (const int label : set.labels) DISTILL_FUZZ_REQUIRE(label >= 0 && label < set.classes);
    for (distill::Index k = 0; k < set.images.size(); ++k)
      DISTILL_FUZZ_REQUIRE(set.images[k] >= 0.0f && set.images[k] <= 1.0f);
  } catch (const distill::error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  parse_as(data, size, distill::CifarVariant::cifar10);
  parse_as(data, size, distill::CifarVariant::cifar100);
  return 0;
}
