#ifndef DISTILL_BACKEND_MIRROR_HPP
#define DISTILL_BACKEND_MIRROR_HPP

#include "distill/backend/backend.hpp"
#include "distill/core/tensor.hpp"

namespace distill {

/// A host tensor's copy in a backend's memory, or a backend tensor's copy on the host: the one
/// place the methods' States move data across. Where the backend's memory is host memory
/// nothing is copied and the views are of the tensor given; elsewhere each call refreshes this
/// mirror's copy (kept between calls, so a steady state does not allocate). A mirror holds one
/// copy: its view is valid until its next call.
///
/// @tparam T       element type
/// @tparam Backend cpu::Backend, cuda::Backend, ... (copy_from_host, copy_to_host)
template <class T, class Backend>
class Mirror {
 public:
  using Space = typename Backend::memory_space;
  static constexpr bool kHost = kHostAccessible<Space>;

  /// `host` in the backend's memory.
  ConstView<T, Space> upload(const Tensor<T>& host) {
    if constexpr (kHost) {
      return host.cview();
    } else {
      device_.resize(host.shape());
      Backend::copy_from_host(host.size(), host.data(), device_.data());
      return device_.cview();
    }
  }

  /// n values at `host` in the backend's memory, as an [n, 1] tensor's data.
  const T* upload(Index n, const T* host) {
    if constexpr (kHost) {
      return host;
    } else {
      device_.resize(Shape(n, 1));
      Backend::copy_from_host(n, host, device_.data());
      return device_.data();
    }
  }

  /// `device` on the host.
  ConstView<T> download(const Tensor<T, Space>& device) {
    if constexpr (kHost) {
      return device.cview();
    } else {
      host_.resize(device.shape());
      Backend::copy_to_host(device.size(), device.data(), host_.data());
      return host_.cview();
    }
  }

  /// `device` copied into `host` (resized to its shape), wherever the backend's memory is.
  static void download(const Tensor<T, Space>& device, Tensor<T>& host) {
    host.resize(device.shape());
    Backend::copy_to_host(device.size(), device.data(), host.data());
  }

  /// The backend-side copy (empty in host memory, where nothing is copied).
  const Tensor<T, Space>& device() const { return device_; }

 private:
  Tensor<T, Space> device_;
  Tensor<T> host_;
};

}  // namespace distill

#endif  // DISTILL_BACKEND_MIRROR_HPP
