#ifndef DISTILL_DATA_SAMPLE_SOURCE_HPP
#define DISTILL_DATA_SAMPLE_SOURCE_HPP

#include <cstddef>
#include <vector>

#include "distill/backend/cpu/backend.hpp"
#include "distill/core/tensor.hpp"
#include "distill/data/sampling.hpp"

namespace distill {

/// A set of samples [N, C, H, W] held in host memory, read in batches in a backend's memory.
/// On the host the batches come from the set itself. On a device the set is uploaded once when
/// it fits in `resident_bytes` (CIFAR's 50,000 training images are 0.6 GB) and each batch is
/// gathered there, so per batch only its indices cross the bus (one upload); a larger set is gathered on the
/// host batch by batch and uploaded. The host set must outlive the source.
template <class Scalar, class Backend = cpu::Backend>
class SampleSource {
 public:
  using memory_space = typename Backend::memory_space;
  using View = ConstView<Scalar, memory_space>;
  static constexpr bool kHost = kHostAccessible<memory_space>;
  /// The default limit of a resident copy.
  static constexpr std::size_t kResidentBytes = std::size_t(8) << 30;

  explicit SampleSource(ConstView<Scalar> samples, std::size_t resident_bytes = kResidentBytes) : host_(samples) {
    if constexpr (!kHost) {
      if (std::size_t(samples.size()) * sizeof(Scalar) <= resident_bytes && samples.size() > 0) {
        device_.resize(samples.shape());
        Backend::copy_from_host(samples.size(), samples.data(), device_.data());
      }
    }
  }

  /// Whether batches are read from the backend's memory without an upload (always on the host).
  bool resident() const { return kHost || device_.size() > 0; }
  const Shape& shape() const { return host_.shape(); }
  Index size() const { return host_.shape().n; }
  /// The host set.
  ConstView<Scalar> host() const { return host_; }

  /// Samples index[first … first+count) in order, in `dst` (resized to [count, C, H, W]).
  View gather(const std::vector<Index>& index, Index first, Index count, Tensor<Scalar, memory_space>& dst) {
    if constexpr (kHost) {
      gather_samples(host_, index, first, count, dst);
    } else if (resident()) {
      const Shape s = host_.shape();
      dst.resize(Shape(count, s.c, s.h, s.w));
      index_.reserve(std::size_t(count));
      Backend::copy_from_host(count, index.data() + first, index_.data());
      Backend::gather_samples(s.sample_size(), index_.data(), count, device_.data(), dst.data());
    } else {
      gather_samples(host_, index, first, count, staging_);
      dst.resize(staging_.shape());
      Backend::copy_from_host(staging_.size(), staging_.data(), dst.data());
    }
    return dst.cview();
  }

  /// Samples first … first+count: a view of the set itself when resident, else uploaded into `dst`.
  View range(Index first, Index count, Tensor<Scalar, memory_space>& dst) {
    if constexpr (kHost) {
      return host_.samples(first, count);
    } else {
      if (resident()) return device_.cview().samples(first, count);
      const ConstView<Scalar> part = host_.samples(first, count);
      dst.resize(part.shape());
      Backend::copy_from_host(part.size(), part.data(), dst.data());
      return dst.cview();
    }
  }

 private:
  ConstView<Scalar> host_;
  Tensor<Scalar, memory_space> device_;  ///< the resident copy (device memory only)
  Tensor<Scalar> staging_;               ///< a batch gathered on the host (streamed sets)
  detail::Buffer<Index, memory_space> index_;  ///< a batch's indices (resident sets on a device)
};

}  // namespace distill

#endif  // DISTILL_DATA_SAMPLE_SOURCE_HPP
