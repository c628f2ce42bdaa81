#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "distill/backend/cpu/backend.hpp"
#include "cuda/support.cuh"

using namespace distill;
using namespace distill::test;

namespace {
template <class T>
struct Square {
  const T* x;
  DISTILL_HOST_DEVICE double operator()(Index i) const { return double(x[i]) * x[i]; }
};
struct Residue {
  DISTILL_HOST_DEVICE double operator()(Index i) const { return double(i % 1000); }
};
template <class T>
struct Affine {
  T a, b;
  T* x;
  DISTILL_HOST_DEVICE void operator()(Index i) const { x[i] = a * x[i] + b; }
};
}  // namespace

TEST_CASE("A failed CUDA call is reported once: the runtime's last error is cleared", "[cuda][backend]") {
  REQUIRE(cudaGetLastError() == cudaSuccess);
  CHECK_THROWS_WITH(DISTILL_CUDA_CHECK(cudaSetDevice(-1)), Catch::Contains("cudaSetDevice(-1) failed: "));
  // Otherwise the next launch check would report this failure again, as its own.
  CHECK(cudaGetLastError() == cudaSuccess);
}

TEST_CASE("cuda::Backend::sum: one block for small ranges, two passes for large ones, exact on integers",
          "[cuda][backend]") {
  CHECK(cuda::sum_blocks(1) == 1);
  CHECK(cuda::sum_blocks(16384) == 1);
  CHECK(cuda::sum_blocks(16385) == 2);
  CHECK(cuda::sum_blocks(Index(1) << 40) == 1024);
  // Integer values below 2^53 add exactly in any order: each size must give the closed form.
  for (const Index n : {Index(1), Index(1023), Index(16384), Index(16385), Index(1000003), Index(40000000)}) {
    std::int64_t want = 0;
    for (Index i = 0; i < n; ++i) want += i % 1000;
    CHECK(cuda::Backend::sum(n, Residue{}, 0.5) == double(want) + 0.5);
  }
}

TEST_CASE("cuda backends satisfy the backend contract", "[cuda][backend]") {
  STATIC_REQUIRE(BackendChecks<cuda::Backend>::check());
  STATIC_REQUIRE(BackendChecks<cuda::BasicBackend<cuda::conv::Im2colGemm>>::check());
  STATIC_REQUIRE(BackendChecks<cuda::BasicBackend<cuda::conv::Direct>>::check());
}

TEMPLATE_TEST_CASE("cuda::Backend: loops, sums, BLAS-1 and sample moves agree with the CPU", "[cuda][backend]",
                   float, double) {
  using T = TestType;
  using B = cuda::Backend;
  const Index n = 300001;  // not a multiple of any block size
  const std::vector<T> x = random_values<T>(n, 1), y = random_values<T>(n, 2);
  auto dx = to_device(x), dy = to_device(y);

  B::for_each(n, Affine<T>{T(2), T(0.5), dx.data()});
  std::vector<T> want = x;
  cpu::Backend::for_each(n, Affine<T>{T(2), T(0.5), want.data()});
  CHECK(rel_error(to_host(dx), want) <= kTol<T>);

  const double s_gpu = B::sum(n, Square<T>{dy.data()}, 1.0), s_cpu = cpu::Backend::sum(n, Square<T>{y.data()}, 1.0);
  CHECK(std::abs(s_gpu - s_cpu) <= 1e-12 * s_cpu);
  CHECK(B::sum(n, Square<T>{dy.data()}, 1.0) == s_gpu);  // a fixed tree: the same bits again
  // The _to forms leave their results on the device, with the bits of the host-returning forms.
  cuda::DeviceArray<double> sum_out(1);
  cuda::DeviceArray<T> dot_out(1);
  B::sum_to(n, Square<T>{dy.data()}, sum_out.data());
  B::dot_to(n, dx.data(), dy.data(), dot_out.data());
  double sum_back = 0;
  T dot_back = 0;
  B::copy_to_host(1, sum_out.data(), &sum_back);
  B::copy_to_host(1, dot_out.data(), &dot_back);
  CHECK(1.0 + sum_back == s_gpu);
  CHECK(dot_back == B::dot(n, dx.data(), dy.data()));

  CHECK(std::abs(double(B::dot(n, dx.data(), dy.data())) - double(cpu::Backend::dot(n, want.data(), y.data()))) <=
        kTol<T> * std::sqrt(double(cpu::Backend::squared_norm(n, want.data())) * double(cpu::Backend::squared_norm(n, y.data()))));
  CHECK(std::abs(double(B::squared_norm(n, dy.data())) / double(cpu::Backend::squared_norm(n, y.data())) - 1) <= kTol<T>);
  B::axpy(n, T(-0.25), dy.data(), dx.data());
  cpu::Backend::axpy(n, T(-0.25), y.data(), want.data());
  B::scal(n, T(3), dx.data());
  cpu::Backend::scal(n, T(3), want.data());
  CHECK(rel_error(to_host(dx), want) <= kTol<T>);

  B::fill(n, T(1.5), dx.data());
  CHECK(to_host(dx) == std::vector<T>(std::size_t(n), T(1.5)));
  B::copy(n, dy.data(), dx.data());
  CHECK(to_host(dx) == y);

  // Samples of 1000 values; index 2 repeats, so the scatter adds twice in order.
  const Index s = 1000, count = 4;
  const Index index[] = {2, 7, 2, 0};
  DeviceTensor<T> g(Shape(count, s));
  cuda::DeviceArray<Index> device_index(count);
  B::copy_from_host(count, index, device_index.data());
  B::gather_samples(s, device_index.data(), count, dy.data(), g.data());
  std::vector<T> g_cpu(std::size_t(count * s));
  cpu::Backend::gather_samples(s, index, count, y.data(), g_cpu.data());
  CHECK(to_host(g) == g_cpu);
  std::vector<T> acc = y;
  B::scatter_add_samples(s, device_index.data(), count, T(-0.5), g.data(), dy.data());
  cpu::Backend::scatter_add_samples(s, index, count, T(-0.5), g_cpu.data(), acc.data());
  CHECK(rel_error(to_host(dy), acc) <= kTol<T>);
}

TEMPLATE_TEST_CASE("cuda::Backend: GEMM with every transposition agrees with the CPU", "[cuda][backend]", float,
                   double) {
  using T = TestType;
  const Index m = 37, n = 29, k = 53;
  for (Op oa : {Op::N, Op::T})
    for (Op ob : {Op::N, Op::T}) {
      const Index lda = oa == Op::N ? m : k, ldb = ob == Op::N ? k : n;
      const std::vector<T> a = random_values<T>(m * k, 3), b = random_values<T>(k * n, 4), c0 = random_values<T>(m * n, 5);
      std::vector<T> c = c0;
      cpu::Backend::gemm(oa, ob, m, n, k, T(0.75), a.data(), lda, b.data(), ldb, T(-0.5), c.data(), m);
      auto da = to_device(a), db = to_device(b), dc = to_device(c0);
      cuda::Backend::gemm(oa, ob, m, n, k, T(0.75), da.data(), lda, db.data(), ldb, T(-0.5), dc.data(), m);
      INFO("op_a " << int(oa) << ", op_b " << int(ob));
      CHECK(rel_error(to_host(dc), c) <= kTol<T>);
    }
}

TEST_CASE("cuda device memory: tensors grow like host tensors and the pool stops allocating once warm",
          "[cuda][backend]") {
  const std::vector<float> v = random_values<float>(1000, 6);
  DeviceTensor<float> t = to_device(v);
  t.resize(Shape(3000, 1));  // grows: the first 1000 values are kept, the rest are zero
  const std::vector<float> back = to_host(t);
  CHECK(std::vector<float>(back.begin(), back.begin() + 1000) == v);
  CHECK(std::vector<float>(back.begin() + 1000, back.end()) == std::vector<float>(2000, 0.0f));
  const DeviceTensor<float> copy = t;  // a device-to-device copy
  CHECK(to_host(copy) == back);

  cuda::DevicePool& pool = cuda::Context::current().pool();
  auto workload = [] {
    for (Index size : {Index(100), Index(4096), Index(1) << 20, Index(5000)}) {
      DeviceTensor<double> a(Shape(size, 1)), b(Shape(size, 2));
      cuda::Backend::fill(a.size(), 1.0, a.data());
    }
  };
  workload();
  const std::size_t warm = pool.stats().device_allocations;
  for (int r = 0; r < 5; ++r) workload();
  CHECK(pool.stats().device_allocations == warm);
  CHECK(pool.stats().peak_in_use >= (std::size_t(3) << 20) * sizeof(double));
}

TEST_CASE("cuda errors name the call, the error and the place", "[cuda][backend]") {
  try {
    DISTILL_CUDA_CHECK(cudaSetDevice(9999));
    FAIL("cudaSetDevice(9999) succeeded");
  } catch (const distill::error& e) {
    const std::string what = e.what();
    CHECK_THAT(what, Catch::Contains("cudaSetDevice(9999) failed: "));
    CHECK_THAT(what, Catch::Contains("backend_test.cu:"));
  }
  DISTILL_CUDA_CHECK(cudaSetDevice(cuda::Context::current().device()));
}
