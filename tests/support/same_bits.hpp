#ifndef DISTILL_TESTS_SUPPORT_SAME_BITS_HPP
#define DISTILL_TESTS_SUPPORT_SAME_BITS_HPP

// Bitwise equality of arrays, vectors and tensors, for the tests that hold two paths to the
// same bits (the emulated device against the CPU, a replayed draw against the first).

#include <cstring>

#include "distill/core/tensor.hpp"

namespace distill::test {

template <class T>
bool same_bits(const T* a, const T* b, Index n) {
  return n == 0 || std::memcmp(a, b, sizeof(T) * std::size_t(n)) == 0;
}
template <class Scalar>
bool same_bits(const Vector<Scalar>& a, const Vector<Scalar>& b) {
  return a.size() == b.size() && same_bits(a.data(), b.data(), a.size());
}
template <class Scalar>
bool same_bits(const Tensor<Scalar>& a, const Tensor<Scalar>& b) {
  return a.shape() == b.shape() && same_bits(a.data(), b.data(), a.size());
}

}  // namespace distill::test

#endif  // DISTILL_TESTS_SUPPORT_SAME_BITS_HPP
