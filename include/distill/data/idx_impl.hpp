#ifndef DISTILL_DATA_IDX_IMPL_HPP
#define DISTILL_DATA_IDX_IMPL_HPP

#include <zlib.h>

#include <algorithm>
#include <array>
#include <climits>
#include <iomanip>
#include <limits>

#include "distill/data/file_io.hpp"
#include "distill/data/idx.hpp"

namespace distill {
namespace detail {

// Ends the zlib stream on every exit path, including exceptions.
struct InflateStream {
  z_stream z{};
  bool open = false;
  ~InflateStream() {
    if (open) inflateEnd(&z);
  }
};

inline std::string hex32(std::uint32_t v) {
  std::ostringstream os;
  os << "0x" << std::hex << std::setw(8) << std::setfill('0') << v;
  return os.str();
}

inline std::uint32_t read_be32(const std::uint8_t* p) {
  return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) |
         std::uint32_t(p[3]);
}

inline const char* idx_type_name(std::uint8_t type) {
  switch (type) {
    case 0x08:
      return "unsigned byte";
    case 0x09:
      return "signed byte";
    case 0x0B:
      return "short";
    case 0x0C:
      return "int";
    case 0x0D:
      return "float";
    case 0x0E:
      return "double";
    default:
      return "unknown";
  }
}

inline std::string describe_idx_magic(int dims) {
  if (dims == 3) return hex32(kIdxImagesMagic) + " (unsigned-byte images [N, rows, cols])";
  if (dims == 1) return hex32(kIdxLabelsMagic) + " (unsigned-byte labels [N])";
  return "0x000008nn (unsigned-byte data)";
}

// Checks the length of an uncompressed IDX buffer against the dimensions of its header and
// names the record where a short file ends.
inline void check_idx_length(std::size_t size, std::size_t header,
                             const std::vector<std::size_t>& dims, const std::string& name) {
  std::size_t record = 1;  // bytes of one item along dimension 0
  for (std::size_t d = 1; d < dims.size(); ++d) {
    // An empty inner dimension would let the header claim any number of records while the
    // file holds no data, and callers size their buffers by that count.
    DISTILL_CHECK(dims[d] > 0, name << ": dimension " << d << " is zero");
    DISTILL_CHECK(record <= std::numeric_limits<std::size_t>::max() / dims[d],
                  name << ": dimensions overflow the address space");
    record *= dims[d];
  }
  const std::size_t have = size - header;
  const std::size_t complete = have / record;
  DISTILL_CHECK(complete >= dims[0],
                name << ": truncated: the header declares " << dims[0] << " records of " << record
                     << " bytes, the file ends " << (have % record == 0 ? "before" : "inside")
                     << " record " << complete << " (" << have << " data bytes)");
  DISTILL_CHECK(have == dims[0] * record, name << ": " << have - dims[0] * record
                                               << " bytes after the last of the " << dims[0]
                                               << " records the header declares");
}

}  // namespace detail

inline bool is_gzip(const std::uint8_t* data, std::size_t size) {
  return size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
}

inline std::vector<std::uint8_t> gunzip(const std::uint8_t* data, std::size_t size,
                                        const std::string& name, std::size_t max_bytes) {
  detail::InflateStream stream;
  z_stream& z = stream.z;
  DISTILL_CHECK(inflateInit2(&z, 16 + MAX_WBITS) == Z_OK, name << ": cannot start zlib inflate");
  stream.open = true;
  constexpr std::size_t kChunk = std::size_t(1) << 30;  // zlib counts in 32-bit uInt
  std::vector<std::uint8_t> out(std::min(max_bytes, std::max<std::size_t>(4 * size, 1 << 16)));
  std::size_t consumed = 0, produced = 0;
  for (;;) {
    if (z.avail_in == 0 && consumed < size) {
      const std::size_t n = std::min(kChunk, size - consumed);
      z.next_in = const_cast<Bytef*>(data + consumed);  // zlib's API is not const-correct
      z.avail_in = static_cast<uInt>(n);
      consumed += n;
    }
    if (produced == out.size()) {
      DISTILL_CHECK(out.size() < max_bytes,
                    name << ": gzip data decompresses to more than " << max_bytes << " bytes");
      out.resize(out.size() > max_bytes / 2 ? max_bytes : 2 * out.size());
    }
    z.next_out = out.data() + produced;
    z.avail_out = static_cast<uInt>(std::min(kChunk, out.size() - produced));
    const uInt out_before = z.avail_out;
    const int rc = inflate(&z, Z_NO_FLUSH);
    produced += out_before - z.avail_out;
    if (rc == Z_STREAM_END) {
      const std::size_t left = z.avail_in + (size - consumed);
      if (left == 0) break;
      // Concatenated gzip members (as `cat a.gz b.gz` makes) form one stream.
      const std::uint8_t* next = data + (size - left);
      DISTILL_CHECK(is_gzip(next, left),
                    name << ": " << left << " bytes of trailing data after the gzip stream");
      DISTILL_CHECK(inflateReset(&z) == Z_OK, name << ": cannot restart zlib inflate");
      continue;
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR && z.avail_out == 0) continue;  // output full: grown above
    DISTILL_CHECK(rc != Z_BUF_ERROR, name << ": truncated gzip stream (input ends after "
                                          << produced << " decompressed bytes)");
    DISTILL_CHECK(false, name << ": corrupt gzip stream: " << (z.msg ? z.msg : zError(rc)));
  }
  out.resize(produced);
  out.shrink_to_fit();
  return out;
}

namespace detail {

inline IdxArray parse_plain_idx(const std::uint8_t* data, std::size_t size, const std::string& name,
                                int expected_dims) {
  DISTILL_CHECK(size > 0, name << ": empty file");
  DISTILL_CHECK(size >= 4, name << ": file of " << size << " bytes is too short for the magic");
  const std::uint32_t magic = read_be32(data);
  const std::uint8_t type = data[2];
  const int ndims = data[3];
  DISTILL_CHECK(data[0] == 0 && data[1] == 0,
                name << ": bad magic " << hex32(magic) << ": an IDX file starts with "
                     << "two zero bytes (expected " << describe_idx_magic(expected_dims) << ")");
  DISTILL_CHECK(type == 0x08, name << ": bad magic " << hex32(magic) << ": data type 0x" << std::hex
                                   << int(type) << std::dec << " (" << idx_type_name(type)
                                   << ") is not supported, only unsigned bytes (0x08)");
  DISTILL_CHECK(ndims > 0, name << ": bad magic " << hex32(magic) << ": no dimensions");
  DISTILL_CHECK(
      expected_dims <= 0 || ndims == expected_dims,
      name << ": bad magic " << hex32(magic) << ": expected " << describe_idx_magic(expected_dims));
  const std::size_t header = 4 + 4 * std::size_t(ndims);
  DISTILL_CHECK(size >= header, name << ": file of " << size << " bytes is too short for the "
                                     << header << "-byte header of " << ndims << " dimensions");
  IdxArray array;
  for (int d = 0; d < ndims; ++d) array.dims.push_back(read_be32(data + 4 + 4 * d));
  check_idx_length(size, header, array.dims, name);
  array.values.assign(data + header, data + size);
  return array;
}

}  // namespace detail

inline IdxArray parse_idx(const std::uint8_t* data, std::size_t size, const std::string& name,
                          int expected_dims) {
  if (!is_gzip(data, size)) return detail::parse_plain_idx(data, size, name, expected_dims);
  // Decompressed once only: gzip inside gzip is not an IDX file, and unwrapping layer after
  // layer would let a small file hold several gigabytes at once.
  const std::vector<std::uint8_t> plain = gunzip(data, size, name);
  DISTILL_CHECK(!plain.empty(), name << ": empty file (after gzip decompression)");
  return detail::parse_plain_idx(plain.data(), plain.size(), name, expected_dims);
}

inline IdxArray read_idx_file(const std::string& path, int expected_dims) {
  const std::vector<std::uint8_t> bytes = read_file_bytes(path);
  return parse_idx(bytes.data(), bytes.size(), path, expected_dims);
}

template <class Scalar>
Dataset<Scalar> make_idx_dataset(const IdxArray& images, const IdxArray& labels, Index classes,
                                 const std::string& images_name, const std::string& labels_name) {
  DISTILL_CHECK(images.dims.size() == 3, images_name << ": expected 3 dimensions [N, rows, cols], "
                                                     << "found " << images.dims.size());
  DISTILL_CHECK(labels.dims.size() == 1,
                labels_name << ": expected 1 dimension [N], found " << labels.dims.size());
  const std::size_t n = images.dims[0], rows = images.dims[1], cols = images.dims[2];
  DISTILL_CHECK(rows > 0 && cols > 0 && rows <= (1u << 16) && cols <= (1u << 16),
                images_name << ": image size " << rows << "x" << cols << " is not supported");
  DISTILL_CHECK(
      images.values.size() / rows / cols == n && images.values.size() % (rows * cols) == 0,
      images_name << ": " << images.values.size() << " values for " << n << " images of " << rows
                  << "x" << cols);
  DISTILL_CHECK(labels.dims[0] == n, images_name << " has " << n << " images but " << labels_name
                                                 << " has " << labels.dims[0] << " labels");
  DISTILL_CHECK(labels.values.size() == n,
                labels_name << ": " << labels.values.size() << " values for " << n << " labels");
  DISTILL_CHECK(classes > 0 && classes <= 256, labels_name << ": invalid class count " << classes);
  Dataset<Scalar> set;
  set.classes = classes;
  set.labels.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const int label = labels.values[i];
    DISTILL_CHECK(label < classes, labels_name << ": record " << i << ": label " << label
                                               << " is outside [0, " << classes << ")");
    set.labels[i] = label;
  }
  set.images.resize(Shape(Index(n), 1, Index(rows), Index(cols)));
  std::array<Scalar, 256> scale{};  // pixel/255 computed once, bit-identical to dividing
  for (int p = 0; p < 256; ++p) scale[p] = Scalar(p) / Scalar(255);
  for (std::size_t k = 0; k < images.values.size(); ++k)
    set.images[Index(k)] = scale[images.values[k]];
  return set;
}

namespace detail {

// The plain file when present, else the .gz one; "missing file" names the plain path.
inline std::string find_idx_file(const std::string& dir, const std::string& base) {
  const std::string plain = join_path(dir, base);
  if (regular_file_exists(plain)) return plain;
  if (regular_file_exists(plain + ".gz")) return plain + ".gz";
  DISTILL_CHECK(false, plain << ": missing file (nor " << base << ".gz)");
  return plain;
}

}  // namespace detail

template <class Scalar>
DatasetSplits<Scalar> load_idx(const std::string& dir) {
  const std::string train_images = detail::find_idx_file(dir, "train-images-idx3-ubyte");
  const std::string train_labels = detail::find_idx_file(dir, "train-labels-idx1-ubyte");
  const std::string test_images = detail::find_idx_file(dir, "t10k-images-idx3-ubyte");
  const std::string test_labels = detail::find_idx_file(dir, "t10k-labels-idx1-ubyte");
  DatasetSplits<Scalar> splits;
  {
    const IdxArray labels = read_idx_file(train_labels, 1);
    DISTILL_CHECK(!labels.values.empty(), train_labels << ": no labels");
    const Index classes = 1 + *std::max_element(labels.values.begin(), labels.values.end());
    splits.train = make_idx_dataset<Scalar>(read_idx_file(train_images, 3), labels, classes,
                                            train_images, train_labels);
  }
  splits.test =
      make_idx_dataset<Scalar>(read_idx_file(test_images, 3), read_idx_file(test_labels, 1),
                               splits.train.classes, test_images, test_labels);
  DISTILL_CHECK(
      splits.test.height() == splits.train.height() && splits.test.width() == splits.train.width(),
      test_images << ": images are " << splits.test.height() << "x" << splits.test.width()
                  << " but the training images are " << splits.train.height() << "x"
                  << splits.train.width());
  return splits;
}

}  // namespace distill

#endif  // DISTILL_DATA_IDX_IMPL_HPP
