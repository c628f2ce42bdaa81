#ifndef DISTILL_CORE_RNG_HPP
#define DISTILL_CORE_RNG_HPP

#include <array>
#include <cmath>
#include <cstdint>

namespace distill {

/// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11):
/// a counter-based generator. The output block is a pure function of (counter, key), so any
/// element of any stream can be computed without generating the ones before it.
struct Philox4x32 {
  using Block = std::array<std::uint32_t, 4>;
  using Key = std::array<std::uint32_t, 2>;

  static Block generate(Block ctr, Key key) {
    for (int round = 0; round < 10; ++round) {
      if (round > 0) {
        key[0] += 0x9E3779B9u;
        key[1] += 0xBB67AE85u;
      }
      const std::uint64_t p0 = std::uint64_t(0xD2511F53u) * ctr[0];
      const std::uint64_t p1 = std::uint64_t(0xCD9E8D57u) * ctr[2];
      ctr = {std::uint32_t(p1 >> 32) ^ ctr[1] ^ key[0], std::uint32_t(p1),
             std::uint32_t(p0 >> 32) ^ ctr[3] ^ key[1], std::uint32_t(p0)};
    }
    return ctr;
  }
};

/// A seedable stream of random numbers. (seed, stream) picks the stream; streams are
/// independent, so work split over threads draws per item from `Rng(seed, item)` and gets the
/// same numbers whatever the number of threads.
class Rng {
 public:
  explicit Rng(std::uint64_t seed = 0, std::uint64_t stream = 0) : seed_(seed), stream_(stream) {}

  std::uint64_t seed() const { return seed_; }
  std::uint64_t stream() const { return stream_; }
  /// Number of 32-bit words drawn so far (the position in the stream).
  std::uint64_t position() const { return position_; }
  /// Jump to a position; the next word drawn is the one at `pos`.
  void seek(std::uint64_t pos) { position_ = pos; }

  std::uint32_t next_u32() {
    const std::uint64_t block_index = position_ >> 2;
    if (!have_block_ || block_index != block_index_) {
      block_ = Philox4x32::generate(
          {std::uint32_t(block_index), std::uint32_t(block_index >> 32), std::uint32_t(stream_),
           std::uint32_t(stream_ >> 32)},
          {std::uint32_t(seed_), std::uint32_t(seed_ >> 32)});
      block_index_ = block_index;
      have_block_ = true;
    }
    return block_[position_++ & 3];
  }
  std::uint64_t next_u64() {
    const std::uint64_t lo = next_u32();
    return (std::uint64_t(next_u32()) << 32) | lo;
  }
  /// Uniform in [0, 1) with 53 random bits.
  double uniform() { return double(next_u64() >> 11) * (1.0 / 9007199254740992.0); }
  /// Uniform in [a, b).
  double uniform(double a, double b) { return a + (b - a) * uniform(); }
  /// Uniform integer in [0, n), n > 0 (multiply-shift; bias below n / 2^32).
  std::uint64_t below(std::uint64_t n) {
    if (n <= 0xFFFFFFFFull) return (std::uint64_t(next_u32()) * n) >> 32;
    return next_u64() % n;
  }
  /// Standard normal (Box–Muller; both draws consumed for each value, so positions stay simple).
  double normal() {
    const double u1 = 1.0 - uniform();  // (0, 1]
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  std::uint64_t seed_;
  std::uint64_t stream_;
  std::uint64_t position_ = 0;
  std::uint64_t block_index_ = 0;
  bool have_block_ = false;
  Philox4x32::Block block_{};
};

}  // namespace distill

#endif  // DISTILL_CORE_RNG_HPP
