// Writes seed corpora for the fuzz targets: small valid files of each format, so mutation
// starts from inputs that reach deep into the parsers.
// Usage: fuzz_make_seeds DIR   (creates DIR/cifar, DIR/idx, DIR/safetensors)

#include <sys/stat.h>
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "distill/data/cifar.hpp"
#include "distill/data/idx.hpp"
#include "distill/data/safetensors.hpp"

namespace {

using Bytes = std::vector<std::uint8_t>;

void save(const std::string& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  if (!out) {
    std::fprintf(stderr, "cannot write %s\n", path.c_str());
    std::exit(1);
  }
}

Bytes cifar_records(int count, bool cifar100) {
  Bytes out;
  for (int i = 0; i < count; ++i) {
    if (cifar100) out.push_back(std::uint8_t(i % 20));
    out.push_back(std::uint8_t((3 * i + 1) % (cifar100 ? 100 : 10)));
    for (std::size_t k = 0; k < distill::kCifarPixelBytes; ++k)
      out.push_back(std::uint8_t((k * 13 + std::size_t(i)) % 256));
  }
  return out;
}

void put_be32(Bytes& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(std::uint8_t(v >> shift));
}

Bytes idx(std::uint32_t magic, const std::vector<std::uint32_t>& dims) {
  Bytes out;
  put_be32(out, magic);
  std::size_t n = 1;
  for (const std::uint32_t d : dims) {
    put_be32(out, d);
    n *= d;
  }
  for (std::size_t k = 0; k < n; ++k) out.push_back(std::uint8_t(k % 7));
  return out;
}

Bytes gzip(const Bytes& plain) {
  z_stream z{};
  deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  Bytes out(deflateBound(&z, uLong(plain.size())) + 64);
  z.next_in = const_cast<Bytef*>(plain.data());
  z.avail_in = uInt(plain.size());
  z.next_out = out.data();
  z.avail_out = uInt(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

Bytes prefixed(std::uint8_t first, const Bytes& rest) {
  Bytes out{first};
  out.insert(out.end(), rest.begin(), rest.end());
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  for (const char* sub : {"", "/cifar", "/idx", "/safetensors"}) ::mkdir((dir + sub).c_str(), 0755);

  save(dir + "/cifar/cifar10_1", cifar_records(1, false));
  save(dir + "/cifar/cifar10_2", cifar_records(2, false));
  save(dir + "/cifar/cifar100_1", cifar_records(1, true));
  save(dir + "/cifar/cifar100_2", cifar_records(2, true));

  const Bytes images = idx(distill::kIdxImagesMagic, {3, 4, 5});
  const Bytes labels = idx(distill::kIdxLabelsMagic, {6});
  save(dir + "/idx/images", images);
  save(dir + "/idx/labels", labels);
  save(dir + "/idx/images.gz", gzip(images));
  save(dir + "/idx/labels.gz", gzip(labels));
  save(dir + "/idx/wrap_images", prefixed(1, images));  // odd first byte: the target gzips the rest
  save(dir + "/idx/wrap_labels", prefixed(1, labels));
  save(dir + "/idx/array4d", idx(0x00000804, {2, 1, 2, 3}));
  // Regression input: billions of records of an empty image size once passed the parser.
  save(dir + "/idx/regression_zero_dim",
       Bytes{0, 0, 8, 3, 0xfc, 0x35, 0x72, 0x44, 0, 0, 0x20, 0x60, 0, 0, 0, 0});

  distill::SafetensorsFile all;
  all.add("f32", std::vector<float>{1.5f, -2.0f, 0.25f, 8.0f}, {2, 2});
  all.add("f64", std::vector<double>{3.0, -1e-3});
  all.add("i32", std::vector<std::int32_t>{7, -9, 0});
  all.add("i64", std::vector<std::int64_t>{1, 2}, {1, 2, 1});
  all.add("u8", std::vector<std::uint8_t>{0, 255, 9});
  all.add_scalar("lr", 0.01f);
  all.add("empty", std::vector<float>{}, {0, 3});
  all.metadata["method"] = "mtt";
  save(dir + "/safetensors/all_dtypes", distill::serialize_safetensors(all));
  distill::SafetensorsFile traj;
  std::vector<distill::Vector<float>> rows(3, distill::Vector<float>::Constant(4, 0.5f));
  traj.add_stacked("trajectory", rows);
  save(dir + "/safetensors/trajectory", distill::serialize_safetensors(traj));
  distill::Tensor<float> image(distill::Shape(1, 3, 2, 2), 0.75f);
  distill::SafetensorsFile syn;
  syn.add("images", image);
  save(dir + "/safetensors/images", distill::serialize_safetensors(syn));
  save(dir + "/safetensors/empty", distill::serialize_safetensors(distill::SafetensorsFile()));
  // Regression inputs: headers that once crashed (signed overflow in numel(), a huge
  // allocation in get_stacked) through large dimensions next to a zero one.
  const auto raw = [](const std::string& header) {
    Bytes out;
    for (int i = 0; i < 8; ++i)
      out.push_back(std::uint8_t(std::uint64_t(header.size()) >> (8 * i)));
    out.insert(out.end(), header.begin(), header.end());
    return out;
  };
  save(dir + "/safetensors/regression_numel_overflow",
       raw(R"({"a":{"dtype":"U8","shape":[4294967296,4294967296,0],"data_offsets":[0,0]}})"));
  save(dir + "/safetensors/regression_empty_rows",
       raw(R"({"a":{"dtype":"F32","shape":[4611686018427387904,0],"data_offsets":[0,0]}})"));
  return 0;
}
