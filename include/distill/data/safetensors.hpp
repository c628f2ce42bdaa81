#ifndef DISTILL_DATA_SAFETENSORS_HPP
#define DISTILL_DATA_SAFETENSORS_HPP

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <type_traits>
#include <vector>

#include "distill/core/error.hpp"
#include "distill/core/tensor.hpp"

namespace distill {

/// Element types distill reads and writes in safetensors files, named as in the format
/// ("F32", "F64", "I32", "I64", "U8"). Other safetensors dtypes are rejected.
enum class Dtype { f32, f64, i32, i64, u8 };

/// Bytes of one element.
constexpr std::size_t dtype_size(Dtype dtype) {
  return dtype == Dtype::f64 || dtype == Dtype::i64 ? 8 : dtype == Dtype::u8 ? 1 : 4;
}
/// The format's name: "F32", "F64", "I32", "I64" or "U8".
const char* dtype_name(Dtype dtype);

/// The Dtype of a C++ element type: float, double, std::int32_t, std::int64_t, std::uint8_t.
template <class T>
struct DtypeOf;
template <>
struct DtypeOf<float> {
  static constexpr Dtype value = Dtype::f32;
};
template <>
struct DtypeOf<double> {
  static constexpr Dtype value = Dtype::f64;
};
template <>
struct DtypeOf<std::int32_t> {
  static constexpr Dtype value = Dtype::i32;
};
template <>
struct DtypeOf<std::int64_t> {
  static constexpr Dtype value = Dtype::i64;
};
template <>
struct DtypeOf<std::uint8_t> {
  static constexpr Dtype value = Dtype::u8;
};

/// Value of the "distill.format_version" metadata key written by this version.
inline constexpr const char* kSafetensorsFormatVersion = "1";
/// Metadata key of the format version and prefix of the per-tensor CRC-32 keys; both are
/// written and checked by distill and never appear in SafetensorsFile::metadata.
inline constexpr const char* kSafetensorsVersionKey = "distill.format_version";
inline constexpr const char* kSafetensorsCrcPrefix = "distill.crc32.";
/// Largest JSON header accepted, so a corrupt length cannot make the reader allocate gigabytes.
inline constexpr std::uint64_t kMaxSafetensorsHeaderBytes = 100u << 20;

/// One tensor: element type, shape (outermost first; empty for a scalar) and its elements in
/// little-endian byte order.
struct SafetensorsTensor {
  Dtype dtype = Dtype::f32;
  std::vector<std::int64_t> shape;
  std::vector<std::uint8_t> bytes;

  /// Number of elements: the product of the shape (1 for a scalar); -1 for a shape that
  /// SafetensorsFile would reject (a negative dimension, or non-zero dimensions whose product
  /// exceeds 2^63/8).
  std::int64_t numel() const;
};

/// Values and shape of a tensor read back in its own element type.
template <class T>
struct TypedArray {
  std::vector<T> values;
  std::vector<std::int64_t> shape;
};

/// The content of a safetensors file: named tensors in file order and string metadata.
///
/// Typical uses: an expert trajectory as one [E+1, P] tensor (`add_stacked`) or one tensor per
/// checkpoint; a synthetic set as images [N, C, H, W], label logits, a learned learning rate
/// (`add_scalar`) and preprocessing parameters such as a ZCA matrix.
class SafetensorsFile {
 public:
  /// Free-form metadata, stored as the format's "__metadata__" string map. Keys starting with
  /// "distill.crc32." and "distill.format_version" are reserved.
  std::map<std::string, std::string> metadata;

  /// Adds a tensor of `shape` from `values` (numel elements, row-major). T is float, double,
  /// std::int32_t, std::int64_t or std::uint8_t. Throws if the name is empty, reserved
  /// ("__metadata__") or already present, or a dimension is negative.
  template <class T>
  void add(const std::string& name, const T* values, const std::vector<std::int64_t>& shape);
  /// A 1-D tensor, or `values` viewed as `shape` (its product must equal values.size()).
  template <class T>
  void add(const std::string& name, const std::vector<T>& values);
  template <class T>
  void add(const std::string& name, const std::vector<T>& values,
           const std::vector<std::int64_t>& shape);
  /// An NCHW tensor as a 4-D tensor [N, C, H, W].
  template <class Scalar>
  void add(const std::string& name, const Tensor<Scalar>& tensor);
  template <class Scalar>
  void add(const std::string& name, TensorView<const Scalar> tensor);
  /// A parameter vector as a 1-D tensor.
  template <class Scalar>
  void add(const std::string& name, const Vector<Scalar>& vector);
  /// Equal-length vectors (e.g. the checkpoints of an expert trajectory) as one [rows, P]
  /// tensor.
  template <class Scalar>
  void add_stacked(const std::string& name, const std::vector<Vector<Scalar>>& rows);
  /// A scalar (shape []), e.g. a learned learning rate.
  template <class T>
  void add_scalar(const std::string& name, T value);
  /// Adds a tensor as is, after checking that its byte count matches dtype and shape.
  void add_raw(const std::string& name, SafetensorsTensor tensor);
  /// Removes a tensor; throws if absent.
  void erase(const std::string& name);

  bool contains(const std::string& name) const { return tensors_.count(name) != 0; }
  /// Tensor names in file order (the order they were added or stored).
  const std::vector<std::string>& names() const { return order_; }
  std::size_t size() const { return order_.size(); }
  /// The tensor called `name`; throws distill::error naming it when absent.
  const SafetensorsTensor& tensor(const std::string& name) const;

  /// Values and shape in the tensor's own type; throws unless its dtype is exactly T's.
  template <class T>
  TypedArray<T> get(const std::string& name) const;
  TypedArray<float> get_f32(const std::string& name) const { return get<float>(name); }
  TypedArray<double> get_f64(const std::string& name) const { return get<double>(name); }
  TypedArray<std::int32_t> get_i32(const std::string& name) const {
    return get<std::int32_t>(name);
  }
  TypedArray<std::int64_t> get_i64(const std::string& name) const {
    return get<std::int64_t>(name);
  }
  TypedArray<std::uint8_t> get_u8(const std::string& name) const { return get<std::uint8_t>(name); }

  /// A floating-point tensor (F32 or F64, converted to Scalar) of rank 1 to 4 as an NCHW
  /// tensor; missing trailing dimensions are 1 ([N, C] becomes [N, C, 1, 1]).
  template <class Scalar>
  Tensor<Scalar> get_tensor(const std::string& name) const;
  /// A floating-point tensor of any shape, flattened.
  template <class Scalar>
  Vector<Scalar> get_vector(const std::string& name) const;
  /// The rows of a floating-point [rows, P] tensor (the inverse of add_stacked).
  template <class Scalar>
  std::vector<Vector<Scalar>> get_stacked(const std::string& name) const;
  /// An integer tensor (I32, I64 or U8) flattened to int, e.g. labels; throws for values that
  /// do not fit an int.
  std::vector<int> get_ints(const std::string& name) const;
  /// The single element of a one-element tensor of any dtype, as a double.
  double get_scalar(const std::string& name) const;

 private:
  void insert(const std::string& name, SafetensorsTensor tensor);

  std::vector<std::string> order_;
  std::map<std::string, SafetensorsTensor> tensors_;
};

/// The file's bytes: 8-byte little-endian header length, the JSON header (padded with spaces
/// so that the data starts 8-byte aligned) and the tensors back to back in file order. The
/// header's "__metadata__" holds `file.metadata`, the format version and a CRC-32 per tensor.
std::vector<std::uint8_t> serialize_safetensors(const SafetensorsFile& file);

/// Writes `file` to `path` atomically (see write_file_atomic): a failed write leaves an
/// existing file untouched.
void write_safetensors(const std::string& path, const SafetensorsFile& file);

/// Parses a safetensors file held in memory. Everything is bounds-checked: header length
/// against the buffer and kMaxSafetensorsHeaderBytes, the JSON, its fields (no missing, extra
/// or duplicate ones), dtypes, non-negative dimensions, data_offsets in range and matching
/// shape × dtype size, and tensors covering the data region without overlap or holes. CRC-32s
/// and the format version in the metadata are verified when present. Errors start with
/// `name_for_errors`.
SafetensorsFile parse_safetensors(const std::uint8_t* data, std::size_t size,
                                  const std::string& name_for_errors);

/// Reads and parses a safetensors file; errors name the path.
SafetensorsFile read_safetensors(const std::string& path);

/// The user metadata of a safetensors file, read from its header alone (an expert trajectory
/// of gigabytes costs a few kilobytes): the header length and JSON are checked as
/// parse_safetensors checks them; the tensors and their CRC-32s are not read. Errors name the path.
std::map<std::string, std::string> read_safetensors_metadata(const std::string& path);

}  // namespace distill

#include "distill/data/safetensors_impl.hpp"

#endif  // DISTILL_DATA_SAFETENSORS_HPP
