#include <catch2/catch.hpp>

#include <cstdint>

#include "distill/core/memory.hpp"
#include "distill/core/tensor.hpp"

using namespace distill;

TEST_CASE("Buffer: growing keeps the elements and zeroes the new ones; copies are deep", "[core][memory]") {
  detail::Buffer<float, HostSpace> b(3);
  for (int i = 0; i < 3; ++i) b.data()[i] = float(i + 1);
  b.reserve(2);  // never shrinks
  CHECK(b.capacity() == 3);
  b.reserve(6);
  REQUIRE(b.capacity() == 6);
  CHECK(b.data()[0] == 1.0f);
  CHECK(b.data()[2] == 3.0f);
  CHECK(b.data()[5] == 0.0f);
  detail::Buffer<float, HostSpace> c = b;
  c.data()[0] = 9;
  CHECK(b.data()[0] == 1.0f);
  detail::Buffer<float, HostSpace> d = std::move(c);
  CHECK(d.data()[0] == 9.0f);
  CHECK(c.data() == nullptr);
}

TEST_CASE("Tensor: resize reuses capacity and keeps memory aligned for Eigen", "[core][memory]") {
  Tensor<float> t(Shape(2, 3), 1.5f);
  const float* before = t.data();
  t.resize(Shape(1, 3));
  CHECK(t.data() == before);
  CHECK(t[2] == 1.5f);
  CHECK(reinterpret_cast<std::uintptr_t>(t.data()) % 16 == 0);
  float sum = 0;
  for (float v : t) sum += v;
  CHECK(sum == 4.5f);
}
