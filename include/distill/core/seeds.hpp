#ifndef DISTILL_CORE_SEEDS_HPP
#define DISTILL_CORE_SEEDS_HPP

// Every derivation of one seed from another, in one place. Runs are reproducible because each
// random draw is a pure function of (run seed, position); these functions name the positions.
// Their values are part of the file formats' meaning (a resumed run re-derives them), so a
// change here changes every run: never edit a constant, add a new function instead.

#include <cstdint>

namespace distill::seeds {

/// The two views of one augmented minibatch (Contrastive Fusion, Contrastive Update): view 0
/// uses the step's seed, view v adds v times the 64-bit golden ratio, so views are independent.
constexpr std::uint64_t view(std::uint64_t step_seed, std::uint64_t v) {
  return step_seed + v * 0x9E3779B97F4A7C15ull;
}

/// Augmentation seed of inner step k of an unroll whose plan was made from `seed`.
constexpr std::uint64_t unroll_step(std::uint64_t seed, std::uint64_t k) {
  return seed * 0x9E3779B1ull + k;
}
/// Rng stream of the r-th minibatch permutation of an unroll plan.
constexpr std::uint64_t unroll_permutation_stream(std::uint64_t round) { return 0x5EED0000ull + round; }

/// Seed of expert k of an expert set trained with `seed`.
constexpr std::uint64_t expert(std::uint64_t seed, std::uint64_t k) { return seed * 1000003ull + k; }
/// Augmentation seed of minibatch b of epoch e when training a network with `seed`.
constexpr std::uint64_t training_batch(std::uint64_t seed, std::uint64_t epoch, std::uint64_t batch) {
  return seed * 1000003ull + epoch * 65537ull + batch;
}
/// Seed of evaluation network r of an evaluation with `seed`.
constexpr std::uint64_t evaluation_run(std::uint64_t seed, std::uint64_t r) { return seed * 7919ull + r; }

/// Rng stream of a synthetic set's initial images (real picks or noise).
inline constexpr std::uint64_t kSyntheticInitialisationStream = 0x1A17ull;
/// Rng stream of the real images that initialise class c of a synthetic set.
constexpr std::uint64_t class_initialisation_stream(std::uint64_t c) { return 0xC0FFEEull + c; }
/// Rng stream of trajectory matching's per-iteration draws (expert, start epoch).
constexpr std::uint64_t trajectory_matching_stream(std::uint64_t iteration) { return 0x7A3C0000ull + iteration; }
/// Rng stream of distribution matching's per-iteration draws (network or expert stage).
constexpr std::uint64_t distribution_matching_stream(std::uint64_t iteration) { return 0xD15C0000ull + iteration; }
/// Rng of distribution matching's real-image minibatch of class c in an iteration.
constexpr std::uint64_t distribution_matching_batch_seed(std::uint64_t seed) { return seed ^ 0x5EA1BA7C4ull; }
constexpr std::uint64_t distribution_matching_batch_stream(std::uint64_t iteration, std::uint64_t c) {
  return iteration * 4096 + c;
}

}  // namespace distill::seeds

#endif  // DISTILL_CORE_SEEDS_HPP
