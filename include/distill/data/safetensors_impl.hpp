#ifndef DISTILL_DATA_SAFETENSORS_IMPL_HPP
#define DISTILL_DATA_SAFETENSORS_IMPL_HPP

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <iomanip>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <tuple>
#include <utility>

#include "distill/data/file_io.hpp"
#include "distill/data/safetensors.hpp"

namespace distill {
namespace detail {

inline bool host_is_little_endian() {
  const std::uint16_t probe = 1;
  std::uint8_t first = 0;
  std::memcpy(&first, &probe, 1);
  return first == 1;
}

// Copies n elements of `size` bytes, reversing each element's bytes on a big-endian host so
// that the file is little-endian everywhere.
inline void copy_little_endian(std::uint8_t* dst, const void* src, std::size_t n,
                               std::size_t size) {
  if (n == 0) return;
  std::memcpy(dst, src, n * size);
  if (size == 1 || host_is_little_endian()) return;
  for (std::size_t i = 0; i < n; ++i) std::reverse(dst + i * size, dst + (i + 1) * size);
}

inline std::uint32_t crc32_of(const std::vector<std::uint8_t>& bytes) {
  uLong crc = crc32(0L, Z_NULL, 0);
  const std::uint8_t* p = bytes.data();
  std::size_t left = bytes.size();
  while (left > 0) {  // zlib takes 32-bit lengths
    const uInt n = static_cast<uInt>(std::min<std::size_t>(left, std::size_t(1) << 30));
    crc = crc32(crc, p, n);
    p += n;
    left -= n;
  }
  return static_cast<std::uint32_t>(crc);
}

inline std::string crc_hex(std::uint32_t crc) {
  std::ostringstream os;
  os << std::hex << std::setw(8) << std::setfill('0') << crc;
  return os.str();
}

inline bool is_reserved_metadata_key(const std::string& key) {
  return key == kSafetensorsVersionKey ||
         key.compare(0, std::strlen(kSafetensorsCrcPrefix), kSafetensorsCrcPrefix) == 0;
}

// Largest product of the non-zero dimensions of a shape. Bounding it (and not only the
// element count, which one zero dimension makes 0) keeps every partial product of the shape,
// in numel() or Shape::size(), from overflowing; the factor 8 leaves room for byte counts.
inline constexpr std::int64_t kMaxShapeProduct = std::numeric_limits<std::int64_t>::max() / 8;

// Element count of a shape, or -1 when a dimension is negative or the product of the non-zero
// dimensions exceeds kMaxShapeProduct.
inline std::int64_t checked_numel(const std::vector<std::int64_t>& shape) {
  std::int64_t product = 1;
  bool zero = false;
  for (const std::int64_t d : shape) {
    if (d < 0) return -1;
    if (d == 0) {
      zero = true;
      continue;
    }
    if (product > kMaxShapeProduct / d) return -1;
    product *= d;
  }
  return zero ? 0 : product;
}

inline std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::ostringstream os;
  os << '[';
  for (std::size_t i = 0; i < shape.size(); ++i) os << (i ? ", " : "") << shape[i];
  os << ']';
  return os.str();
}

template <class T>
constexpr void check_element_type() {
  static_assert(std::is_same<T, float>::value || std::is_same<T, double>::value ||
                    std::is_same<T, std::int32_t>::value || std::is_same<T, std::int64_t>::value ||
                    std::is_same<T, std::uint8_t>::value,
                "safetensors elements must be float, double, int32_t, int64_t or uint8_t");
}

// Reads element i of a tensor as T (the caller has checked that T matches the dtype).
template <class T>
T element(const SafetensorsTensor& t, std::size_t i) {
  T v;
  copy_little_endian(reinterpret_cast<std::uint8_t*>(&v), t.bytes.data() + i * sizeof(T), 1,
                     sizeof(T));
  return v;
}

// Element i of a tensor of any dtype as a double.
inline double element_as_double(const SafetensorsTensor& t, std::size_t i) {
  switch (t.dtype) {
    case Dtype::f32:
      return element<float>(t, i);
    case Dtype::f64:
      return element<double>(t, i);
    case Dtype::i32:
      return element<std::int32_t>(t, i);
    case Dtype::i64:
      return static_cast<double>(element<std::int64_t>(t, i));
    case Dtype::u8:
      return t.bytes[i];
  }
  return 0;
}

}  // namespace detail

inline const char* dtype_name(Dtype dtype) {
  switch (dtype) {
    case Dtype::f32:
      return "F32";
    case Dtype::f64:
      return "F64";
    case Dtype::i32:
      return "I32";
    case Dtype::i64:
      return "I64";
    case Dtype::u8:
      return "U8";
  }
  return "?";
}

inline std::int64_t SafetensorsTensor::numel() const { return detail::checked_numel(shape); }

// ---- SafetensorsFile: adding ------------------------------------------------------------

inline void SafetensorsFile::insert(const std::string& name, SafetensorsTensor tensor) {
  DISTILL_CHECK(!name.empty(), "safetensors: empty tensor name");
  DISTILL_CHECK(name != "__metadata__", "safetensors: '__metadata__' is not a tensor name");
  DISTILL_CHECK(!contains(name), "safetensors: tensor '" << name << "' already added");
  const std::int64_t numel = detail::checked_numel(tensor.shape);
  DISTILL_CHECK(numel >= 0, "safetensors: tensor '" << name << "': invalid shape "
                                                    << detail::shape_text(tensor.shape));
  DISTILL_CHECK(tensor.bytes.size() == std::size_t(numel) * dtype_size(tensor.dtype),
                "safetensors: tensor '" << name << "': " << tensor.bytes.size() << " bytes for "
                                        << dtype_name(tensor.dtype) << " shape "
                                        << detail::shape_text(tensor.shape));
  order_.push_back(name);
  tensors_.emplace(name, std::move(tensor));
}

template <class T>
void SafetensorsFile::add(const std::string& name, const T* values,
                          const std::vector<std::int64_t>& shape) {
  detail::check_element_type<T>();
  const std::int64_t numel = detail::checked_numel(shape);
  DISTILL_CHECK(numel >= 0, "safetensors: tensor '" << name << "': invalid shape "
                                                    << detail::shape_text(shape));
  DISTILL_CHECK(numel == 0 || values != nullptr, "safetensors: tensor '" << name << "': null data");
  SafetensorsTensor t;
  t.dtype = DtypeOf<T>::value;
  t.shape = shape;
  t.bytes.resize(std::size_t(numel) * sizeof(T));
  detail::copy_little_endian(t.bytes.data(), values, std::size_t(numel), sizeof(T));
  insert(name, std::move(t));
}

template <class T>
void SafetensorsFile::add(const std::string& name, const std::vector<T>& values) {
  add(name, values.data(), {static_cast<std::int64_t>(values.size())});
}

template <class T>
void SafetensorsFile::add(const std::string& name, const std::vector<T>& values,
                          const std::vector<std::int64_t>& shape) {
  const std::int64_t numel = detail::checked_numel(shape);
  DISTILL_CHECK(numel == static_cast<std::int64_t>(values.size()),
                "safetensors: tensor '" << name << "': " << values.size() << " values for shape "
                                        << detail::shape_text(shape));
  add(name, values.data(), shape);
}

template <class Scalar>
void SafetensorsFile::add(const std::string& name, TensorView<const Scalar> tensor) {
  const Shape& s = tensor.shape();
  DISTILL_CHECK(tensor.size() == 0 || !tensor.empty(),
                "safetensors: tensor '" << name << "': empty view of shape " << s);
  add(name, tensor.data(), {s.n, s.c, s.h, s.w});
}

template <class Scalar>
void SafetensorsFile::add(const std::string& name, const Tensor<Scalar>& tensor) {
  add(name, tensor.cview());
}

template <class Scalar>
void SafetensorsFile::add(const std::string& name, const Vector<Scalar>& vector) {
  add(name, vector.data(), {static_cast<std::int64_t>(vector.size())});
}

template <class Scalar>
void SafetensorsFile::add_stacked(const std::string& name,
                                  const std::vector<Vector<Scalar>>& rows) {
  const Index cols = rows.empty() ? 0 : rows[0].size();
  std::vector<Scalar> values;
  values.reserve(rows.size() * std::size_t(cols));
  for (std::size_t r = 0; r < rows.size(); ++r) {
    DISTILL_CHECK(rows[r].size() == cols, "safetensors: tensor '" << name << "': row " << r
                                                                  << " has " << rows[r].size()
                                                                  << " values, row 0 has " << cols);
    values.insert(values.end(), rows[r].data(), rows[r].data() + cols);
  }
  add(name, values.data(), {static_cast<std::int64_t>(rows.size()), std::int64_t(cols)});
}

template <class T>
void SafetensorsFile::add_scalar(const std::string& name, T value) {
  add(name, &value, {});
}

inline void SafetensorsFile::add_raw(const std::string& name, SafetensorsTensor tensor) {
  insert(name, std::move(tensor));
}

inline void SafetensorsFile::erase(const std::string& name) {
  DISTILL_CHECK(contains(name), "safetensors: no tensor '" << name << "' to erase");
  tensors_.erase(name);
  order_.erase(std::find(order_.begin(), order_.end(), name));
}

// ---- SafetensorsFile: reading -----------------------------------------------------------

inline const SafetensorsTensor& SafetensorsFile::tensor(const std::string& name) const {
  const auto it = tensors_.find(name);
  DISTILL_CHECK(it != tensors_.end(), "safetensors: no tensor '" << name << "'");
  return it->second;
}

template <class T>
TypedArray<T> SafetensorsFile::get(const std::string& name) const {
  detail::check_element_type<T>();
  const SafetensorsTensor& t = tensor(name);
  DISTILL_CHECK(t.dtype == DtypeOf<T>::value, "safetensors: tensor '"
                                                  << name << "' has dtype " << dtype_name(t.dtype)
                                                  << ", not " << dtype_name(DtypeOf<T>::value));
  TypedArray<T> out;
  out.shape = t.shape;
  out.values.resize(t.bytes.size() / sizeof(T));
  detail::copy_little_endian(reinterpret_cast<std::uint8_t*>(out.values.data()), t.bytes.data(),
                             out.values.size(), sizeof(T));
  return out;
}

template <class Scalar>
Vector<Scalar> SafetensorsFile::get_vector(const std::string& name) const {
  const SafetensorsTensor& t = tensor(name);
  DISTILL_CHECK(t.dtype == Dtype::f32 || t.dtype == Dtype::f64,
                "safetensors: tensor '" << name << "' has dtype " << dtype_name(t.dtype)
                                        << ", expected F32 or F64");
  const std::size_t n = t.bytes.size() / dtype_size(t.dtype);
  Vector<Scalar> v(static_cast<Index>(n));
  if (t.dtype == DtypeOf<Scalar>::value) {  // no conversion: one copy for a whole trajectory
    detail::copy_little_endian(reinterpret_cast<std::uint8_t*>(v.data()), t.bytes.data(), n,
                               sizeof(Scalar));
    return v;
  }
  for (std::size_t i = 0; i < n; ++i) v[Index(i)] = Scalar(detail::element_as_double(t, i));
  return v;
}

template <class Scalar>
Tensor<Scalar> SafetensorsFile::get_tensor(const std::string& name) const {
  const SafetensorsTensor& t = tensor(name);
  DISTILL_CHECK(!t.shape.empty() && t.shape.size() <= 4,
                "safetensors: tensor '" << name << "' of shape " << detail::shape_text(t.shape)
                                        << " is not of rank 1 to 4");
  Index dims[4] = {1, 1, 1, 1};
  for (std::size_t i = 0; i < t.shape.size(); ++i) dims[i] = Index(t.shape[i]);
  const Vector<Scalar> values = get_vector<Scalar>(name);
  Tensor<Scalar> out(Shape(dims[0], dims[1], dims[2], dims[3]));
  std::copy(values.data(), values.data() + values.size(), out.data());
  return out;
}

template <class Scalar>
std::vector<Vector<Scalar>> SafetensorsFile::get_stacked(const std::string& name) const {
  const SafetensorsTensor& t = tensor(name);
  DISTILL_CHECK(t.shape.size() == 2, "safetensors: tensor '" << name << "' of shape "
                                                             << detail::shape_text(t.shape)
                                                             << " is not of rank 2");
  const Index rows = Index(t.shape[0]), cols = Index(t.shape[1]);
  // A [rows, 0] tensor holds no data whatever rows is, but its rows still cost memory here.
  DISTILL_CHECK(cols > 0 || rows <= (Index(1) << 24),
                "safetensors: tensor '" << name << "' of shape " << detail::shape_text(t.shape)
                                        << " has too many empty rows");
  const Vector<Scalar> values = get_vector<Scalar>(name);
  std::vector<Vector<Scalar>> out(static_cast<std::size_t>(rows));
  for (Index r = 0; r < rows; ++r) out[std::size_t(r)] = values.segment(r * cols, cols);
  return out;
}

inline std::vector<int> SafetensorsFile::get_ints(const std::string& name) const {
  const SafetensorsTensor& t = tensor(name);
  DISTILL_CHECK(t.dtype == Dtype::i32 || t.dtype == Dtype::i64 || t.dtype == Dtype::u8,
                "safetensors: tensor '" << name << "' has dtype " << dtype_name(t.dtype)
                                        << ", expected I32, I64 or U8");
  const std::size_t n = t.bytes.size() / dtype_size(t.dtype);
  std::vector<int> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    std::int64_t v = 0;
    if (t.dtype == Dtype::i64)
      v = detail::element<std::int64_t>(t, i);
    else if (t.dtype == Dtype::i32)
      v = detail::element<std::int32_t>(t, i);
    else
      v = t.bytes[i];
    DISTILL_CHECK(v >= std::numeric_limits<int>::min() && v <= std::numeric_limits<int>::max(),
                  "safetensors: tensor '" << name << "': element " << i << " = " << v
                                          << " does not fit an int");
    out[i] = static_cast<int>(v);
  }
  return out;
}

inline double SafetensorsFile::get_scalar(const std::string& name) const {
  const SafetensorsTensor& t = tensor(name);
  DISTILL_CHECK(t.numel() == 1, "safetensors: tensor '" << name << "' of shape "
                                                        << detail::shape_text(t.shape)
                                                        << " is not a single value");
  return detail::element_as_double(t, 0);
}

}  // namespace distill

#include "distill/data/safetensors_format_impl.hpp"

#endif  // DISTILL_DATA_SAFETENSORS_IMPL_HPP
