#ifndef DISTILL_TESTS_SUPPORT_NORMAL_TENSOR_HPP
#define DISTILL_TESTS_SUPPORT_NORMAL_TENSOR_HPP

// A tensor of standard-normal values from a fixed seed and stream, the test data of the
// augmentation tests. (tests/cuda/support.cuh's random_tensor draws uniform values with a scale;
// the names differ so that a file with both cannot call the one it did not mean.)

#include <cstdint>

#include "distill/core/rng.hpp"
#include "distill/core/tensor.hpp"

namespace distill::test {

template <class Scalar>
Tensor<Scalar> normal_tensor(const Shape& s, std::uint64_t seed, std::uint64_t stream) {
  Tensor<Scalar> t(s);
  Rng rng(seed, stream);
  for (Index i = 0; i < t.size(); ++i) t[i] = Scalar(rng.normal());
  return t;
}

}  // namespace distill::test

#endif  // DISTILL_TESTS_SUPPORT_NORMAL_TENSOR_HPP
