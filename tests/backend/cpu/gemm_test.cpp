#include <catch2/catch.hpp>

#include <vector>

#include "distill/backend/cpu/gemm.hpp"
#include "distill/core/rng.hpp"

using namespace distill;

TEST_CASE("gemm matches a naive product for every transposition", "[backend][cpu][gemm]") {
  const Index m = 7, n = 5, k = 9;
  Rng rng(3);
  auto fill = [&](std::vector<double>& v, Index size) {
    v.resize(size);
    for (auto& x : v) x = rng.normal();
  };
  for (auto op_a : {Op::N, Op::T})
    for (auto op_b : {Op::N, Op::T}) {
      // Leading dimensions larger than the matrices exercise the strides.
      const Index lda = (op_a == Op::N ? m : k) + 2, ldb = (op_b == Op::N ? k : n) + 1,
                  ldc = m + 3;
      std::vector<double> a, b, c;
      fill(a, lda * (op_a == Op::N ? k : m));
      fill(b, ldb * (op_b == Op::N ? n : k));
      fill(c, ldc * n);
      const std::vector<double> c0 = c;
      cpu::gemm(op_a, op_b, m, n, k, 0.5, a.data(), lda, b.data(), ldb, 2.0, c.data(), ldc);
      for (Index i = 0; i < m; ++i)
        for (Index j = 0; j < n; ++j) {
          double s = 0;
          for (Index l = 0; l < k; ++l) {
            const double av = op_a == Op::N ? a[i + l * lda] : a[l + i * lda];
            const double bv = op_b == Op::N ? b[l + j * ldb] : b[j + l * ldb];
            s += av * bv;
          }
          CHECK_THAT(c[i + j * ldc], Catch::Matchers::WithinAbs(0.5 * s + 2.0 * c0[i + j * ldc], 1e-12));
        }
    }
}
