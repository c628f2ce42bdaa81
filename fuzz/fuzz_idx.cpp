// libFuzzer target: parse_idx on arbitrary bytes (plain or gzip, by magic), and on the input
// after the first byte wrapped in a valid gzip stream, so the decompressed-IDX path sees
// arbitrary payloads and not only the few that survive mutation of compressed bytes.

#include <zlib.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "distill/data/idx.hpp"
#include "fuzz_support.hpp"

namespace {

std::vector<std::uint8_t> gzip(const std::uint8_t* data, std::size_t size) {
  z_stream z{};
  DISTILL_FUZZ_REQUIRE(deflateInit2(&z, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) ==
                       Z_OK);
  std::vector<std::uint8_t> out(deflateBound(&z, uLong(size)) + 64);
  z.next_in = const_cast<Bytef*>(data);
  z.avail_in = uInt(size);
  z.next_out = out.data();
  z.avail_out = uInt(out.size());
  DISTILL_FUZZ_REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

void check(const distill::IdxArray& a) {
  std::size_t n = 1;
  for (const std::size_t d : a.dims) n *= d;
  DISTILL_FUZZ_REQUIRE(!a.dims.empty());
  DISTILL_FUZZ_REQUIRE(a.values.size() == n);
}

void parse(const std::uint8_t* data, std::size_t size) {
  for (const int dims : {0, 1, 3}) {
    try {
      const distill::IdxArray a = distill::parse_idx(data, size, "fuzz", dims);
      check(a);
      // Feed successful parses on to the data-set builder with matching companions.
      if (a.dims.size() == 3) {
        distill::IdxArray labels{{a.dims[0]}, std::vector<std::uint8_t>(a.dims[0], 0)};
        const auto set = distill::make_idx_dataset<float>(a, labels, 1, "fuzz", "labels");
        DISTILL_FUZZ_REQUIRE(std::size_t(set.images.size()) == a.values.size());
      } else if (a.dims.size() == 1) {
        distill::IdxArray images{{a.dims[0], 1, 1}, std::vector<std::uint8_t>(a.dims[0], 0)};
        const distill::Index classes =
            a.values.empty() ? 1 : 1 + *std::max_element(a.values.begin(), a.values.end());
        const auto set = distill::make_idx_dataset<double>(images, a, classes, "images", "fuzz");
        DISTILL_FUZZ_REQUIRE(set.labels.size() == a.values.size());
      }
    } catch (const distill::error&) {
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  parse(data, size);
  if (size > 0 && (data[0] & 1)) {
    const std::vector<std::uint8_t> gz = gzip(data + 1, size - 1);
    parse(gz.data(), gz.size());
  }
  return 0;
}
