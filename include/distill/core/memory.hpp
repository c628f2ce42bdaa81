#ifndef DISTILL_CORE_MEMORY_HPP
#define DISTILL_CORE_MEMORY_HPP

#include <cstddef>
#include <cstring>
#include <new>
#include <type_traits>
#include <utility>

#include <Eigen/Core>

namespace distill {

/// Where a tensor's elements live. A memory space allocates, frees, copies and zeroes raw
/// bytes inside itself; copies between spaces are explicit calls of the backend that owns the
/// other space (nothing uses managed memory). Host memory is the default everywhere.
struct HostSpace {
  static constexpr const char* name = "host";
  /// Elements may be read and written by host code (operator[], Eigen maps).
  static constexpr bool kHostAccessible = true;
  static void* allocate(std::size_t bytes) {
    // Eigen's aligned allocator, so Eigen maps of tensors may use aligned loads.
    void* p = Eigen::internal::aligned_malloc(bytes);
    if (!p && bytes) throw std::bad_alloc();
    return p;
  }
  static void deallocate(void* p) noexcept { Eigen::internal::aligned_free(p); }
  static void copy(void* dst, const void* src, std::size_t bytes) {
    if (bytes) std::memcpy(dst, src, bytes);
  }
  static void zero(void* dst, std::size_t bytes) {
    if (bytes) std::memset(dst, 0, bytes);
  }
};

template <class Space>
inline constexpr bool kHostAccessible = Space::kHostAccessible;

namespace detail {

/// Owning, growable storage of `capacity` elements in a memory space. Growing keeps the old
/// elements and zeroes the new ones (std::vector's resize), so code that sized a workspace
/// once sees the same contents it always did.
template <class T, class Space>
class Buffer {
  static_assert(std::is_trivially_copyable<T>::value, "Buffer<T>: T must be trivially copyable");

 public:
  Buffer() = default;
  explicit Buffer(std::size_t n) { grow(n); }
  Buffer(const Buffer& o) {
    grow(o.capacity_);
    Space::copy(data_, o.data_, o.capacity_ * sizeof(T));
  }
  Buffer(Buffer&& o) noexcept : data_(std::exchange(o.data_, nullptr)), capacity_(std::exchange(o.capacity_, 0)) {}
  Buffer& operator=(const Buffer& o) {
    if (this != &o) {
      Buffer copy(o);
      swap(copy);
    }
    return *this;
  }
  Buffer& operator=(Buffer&& o) noexcept {
    Buffer moved(std::move(o));
    swap(moved);
    return *this;
  }
  ~Buffer() { Space::deallocate(data_); }

  void swap(Buffer& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(capacity_, o.capacity_);
  }
  /// Ensures room for n elements.
  void reserve(std::size_t n) {
    if (n > capacity_) grow(n);
  }
  T* data() { return data_; }
  const T* data() const { return data_; }
  std::size_t capacity() const { return capacity_; }

 private:
  void grow(std::size_t n) {
    T* fresh = n ? static_cast<T*>(Space::allocate(n * sizeof(T))) : nullptr;
    Space::copy(fresh, data_, capacity_ * sizeof(T));
    Space::zero(fresh + capacity_, (n - capacity_) * sizeof(T));
    Space::deallocate(data_);
    data_ = fresh;
    capacity_ = n;
  }

  T* data_ = nullptr;
  std::size_t capacity_ = 0;
};

}  // namespace detail
}  // namespace distill

#endif  // DISTILL_CORE_MEMORY_HPP
