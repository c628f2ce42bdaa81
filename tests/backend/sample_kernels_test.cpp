#include <catch2/catch.hpp>

#include <vector>

#include "distill/backend/cpu/backend.hpp"
#include "distill/backend/sample_kernels.hpp"

using namespace distill;

TEST_CASE("Sample-move functors agree with cpu::Backend", "[backend]") {
  const std::vector<float> src = {0, 1, 2, 3, 4, 5, 6, 7};  // four samples of two values
  const Index index[] = {3, 0, 3};
  std::vector<float> want(6), got(6);
  cpu::Backend::gather_samples(2, index, 3, src.data(), want.data());
  cpu::Backend::for_each(6, distill::detail::GatherSamples<float>{2, index, src.data(), got.data()});
  CHECK(got == want);

  std::vector<float> acc_want(8, 1.0f), acc_got(8, 1.0f);
  const std::vector<float> g = {0.5f, 0.25f, 1, 2, 4, 8};
  cpu::Backend::scatter_add_samples(2, index, 3, -0.5f, g.data(), acc_want.data());
  cpu::Backend::for_each(2, distill::detail::ScatterAddSamples<float>{2, 3, index, -0.5f, g.data(), acc_got.data()});
  CHECK(acc_got == acc_want);  // repeated index 3 adds in the same order: exact
  CHECK(acc_got[6] == 1.0f - 0.25f - 2.0f);

  cpu::Backend::for_each(8, distill::detail::FillValue<float>{2.5f, acc_got.data()});
  CHECK(acc_got == std::vector<float>(8, 2.5f));
}
