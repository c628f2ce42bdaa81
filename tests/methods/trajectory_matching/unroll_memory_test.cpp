#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "distill/augment/dsa.hpp"
#include "distill/augment/identity.hpp"
#include "distill/methods/trajectory_matching/unroll.hpp"
#include "distill/nn/conv_net.hpp"
#include "support/gradcheck.hpp"
#include "support/unroll_problem.hpp"
#include "support/prebuilt.hpp"  // the shared specialisations, compiled once

// The unroll's memory budget (Unroll::keep_within): steps whose convolution results are kept
// between the sweeps give the recomputing path's gradients bit for bit, and the kept memory stays
// within the budget whatever N.

using namespace distill;
using test::Vec;

namespace {

template <class T>
bool bits_equal(const T* a, const T* b, Index n) {
  return std::memcmp(a, b, std::size_t(n) * sizeof(T)) == 0;
}

/// max |a − b| / max |b|.
double budget_rel_diff(const Tensor<double>& a, const Tensor<double>& b) {
  double diff = 0, scale = 0;
  for (Index i = 0; i < b.size(); ++i) {
    diff = std::max(diff, std::abs(a.data()[i] - b.data()[i]));
    scale = std::max(scale, std::abs(b.data()[i]));
  }
  return diff / scale;
}

/// The unroll tests' problem on a network variant, with minibatches of 4 per step.
template <class Net>
struct BudgetProblem : test::UnrollProblem<Net> {
  std::vector<UnrollStep> steps;
  explicit BudgetProblem(Index n_steps) : steps(make_unroll_steps(6, n_steps, 4, 9)) {}
};

struct BudgetResult {
  double loss;
  SyntheticGradients<double> g;
  Index kept;
};

template <class Net>
BudgetResult run_with_budget(BudgetProblem<Net>& p, const InnerLoss& inner, UnrollGradient mode, std::size_t budget) {
  const Dsa<double> dsa;
  Unroll<Net, Dsa<double>> unroll(p.net, dsa, inner);
  unroll.keep_within(budget);
  BudgetResult r;
  r.loss = unroll.forward(p.theta0, p.target, p.images.cview(), p.labels, p.logits.cview(), 0.05, p.steps);
  unroll.backward(r.g, mode);
  r.kept = unroll.kept_steps();
  // A second sweep on warm workspaces repeats the bits.
  SyntheticGradients<double> again;
  unroll.forward(p.theta0, p.target, p.images.cview(), p.labels, p.logits.cview(), 0.05, p.steps);
  unroll.backward(again, mode);
  CHECK(bits_equal(again.images.data(), r.g.images.data(), r.g.images.size()));
  return r;
}

template <class Net>
void check_kept_equals_recomputed() {
  const Index n_steps = 5;
  BudgetProblem<Net> p(n_steps);
  const Dsa<double> dsa;
  for (const bool fusion : {false, true})
    for (const UnrollGradient mode : {UnrollGradient::kExact, UnrollGradient::kTesla}) {
      INFO("fusion " << fusion << " exact " << (mode == UnrollGradient::kExact));
      InnerLoss inner;
      inner.fusion = fusion;
      inner.fusion_weight = 0.3;
      const Unroll<Net, Dsa<double>> probe(p.net, dsa, inner);
      const std::size_t step_bytes = probe.kept_step_bytes(4);
      const BudgetResult recomputed = run_with_budget(p, inner, mode, 0);
      CHECK(recomputed.kept == 0);
      for (const Index want : {Index(2), n_steps}) {
        INFO("kept steps " << want);
        const BudgetResult kept = run_with_budget(p, inner, mode, std::size_t(want) * step_bytes + step_bytes / 2);
        CHECK(kept.kept == want);
        CHECK(kept.loss == recomputed.loss);
        CHECK(bits_equal(kept.g.images.data(), recomputed.g.images.data(), recomputed.g.images.size()));
        CHECK(bits_equal(kept.g.label_logits.data(), recomputed.g.label_logits.data(),
                        recomputed.g.label_logits.size()));
        CHECK(kept.g.lr == recomputed.g.lr);
        // The bound, stated for the record; the paths agree exactly.
        CHECK(budget_rel_diff(kept.g.images, recomputed.g.images) <= 1e-12);
      }
    }
}

}  // namespace

TEST_CASE("Unroll: kept steps give the recomputing path's gradients bit for bit", "[methods][unroll]") {
  SECTION("instance norm, average pooling") { check_kept_equals_recomputed<ConvNet<double, 2, 4, norm::Instance, pool::Avg>>(); }
  SECTION("batch norm, max pooling") { check_kept_equals_recomputed<ConvNet<double, 2, 4, norm::Batch, pool::Max>>(); }
  SECTION("no norm, no pooling") { check_kept_equals_recomputed<ConvNet<double, 2, 4, norm::None, pool::None>>(); }
}

TEST_CASE("Unroll: the kept memory stays within the budget whatever N", "[methods][unroll]") {
  using Net = ConvNet<double, 2, 4, norm::Instance, pool::Avg>;
  const IdentityAugment none;
  for (const Index n_steps : {Index(2), Index(6), Index(20)}) {
    INFO("N = " << n_steps);
    BudgetProblem<Net> p(n_steps);
    Unroll<Net, IdentityAugment> unroll(p.net, none);
    // Conv outputs [4, 4, 6, 6] and [4, 4, 3, 3], the second block's input gradient [4, 4, 3, 3],
    // and g_k.
    const std::size_t step_bytes = (4 * 4 * 36 + 2 * 4 * 4 * 9 + std::size_t(p.net.num_params())) * sizeof(double);
    REQUIRE(unroll.kept_step_bytes(4) == step_bytes);
    unroll.keep_within(3 * step_bytes);
    unroll.forward(p.theta0, p.target, p.images.cview(), p.labels, {}, 0.05, p.steps);
    CHECK(unroll.kept_steps() == std::min<Index>(n_steps, 3));
    unroll.keep_within(0);
    unroll.forward(p.theta0, p.target, p.images.cview(), p.labels, {}, 0.05, p.steps);
    CHECK(unroll.kept_steps() == 0);
  }
}

TEST_CASE("ConvNet: a kept pass gives the same outputs, and is refused where it cannot serve", "[nn][conv_net]") {
  using Net = ConvNet<double, 2, 4, norm::Instance, pool::Avg>;
  Net net(ConvNetConfig{2, 6, 6, 3});
  const Vector<double> theta = net.init_params(1);
  Tensor<double> x(Shape(3, 2, 6, 6)), g_logits(Shape(3, 3));
  const Vec xv = test::random_vec(x.size(), 2), gv = test::random_vec(g_logits.size(), 3);
  std::copy(xv.begin(), xv.end(), x.data());
  std::copy(gv.begin(), gv.end(), g_logits.data());
  const auto out = net.forward(theta.data(), x.cview());
  const std::vector<double> logits(out.logits.data(), out.logits.data() + out.logits.size());
  Net::Kept kept;
  std::vector<double> grad(std::size_t(net.num_params()));
  net.backward(theta.data(), g_logits.cview(), {}, grad.data(), {}, &kept);
  REQUIRE(kept.conv_out.size() == 2);
  CHECK(std::size_t(kept.conv_out[0].size() + kept.conv_out[1].size() + kept.grad_in[1].size()) * sizeof(double) ==
        net.kept_bytes(3));
  const auto again = net.forward(theta.data(), x.cview(), &kept);
  CHECK(bits_equal(again.logits.data(), logits.data(), Index(logits.size())));
  const std::vector<double> v(std::size_t(net.num_params()), 0.1);
  net.tangent(theta.data(), v.data());
  std::vector<double> hv(v.size());
  CHECK_THROWS_WITH(net.backward_tangent(theta.data(), v.data(), g_logits.cview(), g_logits.cview(), {}, {},
                                         grad.data(), hv.data(), {}, {}, &kept),
                    Catch::Contains("with a kept pass, the parameter and input gradients are not computed"));
  Tensor<double> small(Shape(2, 2, 6, 6));
  std::copy(xv.begin(), xv.begin() + small.size(), small.data());
  CHECK_THROWS_WITH(net.forward(theta.data(), small.cview(), &kept),
                    Catch::Contains("ConvNet::forward kept convolution output"));
}
