#ifndef DISTILL_TESTS_SUPPORT_SAME_BITS_HPP
#define DISTILL_TESTS_SUPPORT_SAME_BITS_HPP

// Bitwise equality of arrays, vectors and tensors, for the tests that hold two paths to the
// same bits (the emulated device against the CPU).

#include <cstring>

#include "distill/core/tensor.hpp"

namespace distill::test {

template <class T>
bool same_bits(const T* a, const T* b, Index n) {
  return n == 0 || std::memcmp(a, b, sizeof(T) * std::size_t(n)) == 0;
}
inline bool same_bits(const Vector<float>& a, const Vector<float>& b) {
  return a.size() == b.size() && same_bits(a.data(), b.data(), a.size());
}
inline bool same_bits(const Tensor<float>& a, const Tensor<float>& b) {
  return a.shape() == b.shape() && same_bits(a.data(), b.data(), a.size());
}

}  // namespace distill::test

#endif  // DISTILL_TESTS_SUPPORT_SAME_BITS_HPP
