#include <catch2/catch.hpp>
#include <cstring>

#include "distill/augment/batch_dsa.hpp"
#include "distill/augment/dsa.hpp"
#include "distill/data/sampling.hpp"
#include "distill/methods/trajectory_matching/unroll.hpp"
#include "distill/nn/conv_net.hpp"
#include "distill/train/trainer.hpp"
#include "support/gradcheck.hpp"
#include "support/unroll_problem.hpp"
#include "support/prebuilt.hpp"  // the shared specialisations, compiled once

using namespace distill;
using test::Vec;

namespace {

using DoubleNet = ConvNet<double, 2, 4, norm::Instance, pool::Avg>;

struct Problem : test::UnrollProblem<DoubleNet> {
  std::vector<UnrollStep> steps;
  double lr = 0.05;

  explicit Problem(Index n_steps) {
    for (Index k = 0; k < n_steps; ++k) {
      // Minibatches of 4 from a fresh permutation per step, as batch_syn < N does.
      const auto p = random_permutation(6, 11, std::uint64_t(k));
      steps.push_back({std::vector<Index>(p.begin(), p.begin() + 4), 100 + std::uint64_t(k)});
    }
  }
};

template <class Augment>
double loss_at(Problem& p, const Augment& aug, const InnerLoss& inner, const Tensor<double>& images,
               const Tensor<double>* logits, double lr) {
  Unroll<DoubleNet, Augment> unroll(p.net, aug, inner);
  return unroll.forward(p.theta0, p.target, images.cview(), p.labels,
                        logits ? logits->cview() : ConstView<double>{}, lr, p.steps);
}

template <class Augment>
void check_exact_gradient(Index n_steps, const Augment& aug, const InnerLoss& inner, bool soft) {
  Problem p(n_steps);
  Unroll<DoubleNet, Augment> unroll(p.net, aug, inner);
  const Tensor<double>* logits = soft ? &p.logits : nullptr;
  unroll.forward(p.theta0, p.target, p.images.cview(), p.labels,
                 soft ? p.logits.cview() : ConstView<double>{}, p.lr, p.steps);
  SyntheticGradients<double> g;
  unroll.backward(g);
  const double eps = 1e-5;
  Vec analytic, fd;
  for (std::size_t i : test::probe_coordinates(std::size_t(p.images.size()), 60, 7)) {
    Tensor<double> plus = p.images, minus = p.images;
    plus[Index(i)] += eps;
    minus[Index(i)] -= eps;
    fd.push_back((loss_at(p, aug, inner, plus, logits, p.lr) - loss_at(p, aug, inner, minus, logits, p.lr)) /
                 (2 * eps));
    analytic.push_back(g.images[Index(i)]);
  }
  const double e_images = test::relative_error(analytic, fd);
  INFO("images: relative error " << e_images);
  CHECK(e_images <= 1e-5);
  if (soft) {
    analytic.clear();
    fd.clear();
    for (Index i = 0; i < p.logits.size(); ++i) {
      Tensor<double> plus = p.logits, minus = p.logits;
      plus[i] += eps;
      minus[i] -= eps;
      fd.push_back((loss_at(p, aug, inner, p.images, &plus, p.lr) - loss_at(p, aug, inner, p.images, &minus, p.lr)) /
                   (2 * eps));
      analytic.push_back(g.label_logits[i]);
    }
    const double e_labels = test::relative_error(analytic, fd);
    INFO("label logits: relative error " << e_labels);
    CHECK(e_labels <= 1e-5);
  }
  const double e = 1e-6;
  const double fd_lr = (loss_at(p, aug, inner, p.images, logits, p.lr + e) -
                        loss_at(p, aug, inner, p.images, logits, p.lr - e)) / (2 * e);
  INFO("step size: analytic " << g.lr << ", finite difference " << fd_lr);
  CHECK(test::relative_error({g.lr}, {fd_lr}) <= 1e-5);
}

}  // namespace

TEST_CASE("Unroll: exact gradient of the unrolled loss matches finite differences",
          "[methods][unroll]") {
  Dsa<double> dsa;
  SECTION("hard labels, no augmentation, 3 steps") {
    check_exact_gradient(3, IdentityAugment{}, InnerLoss{}, false);
  }
  SECTION("DSA, soft labels and Contrastive Fusion (SupCon), 4 steps") {
    InnerLoss inner;
    inner.fusion = true;
    inner.fusion_weight = 0.5;
    inner.temperature = 0.5;
    check_exact_gradient(4, dsa, inner, true);
  }
  SECTION("DSA, soft labels and Contrastive Fusion (NT-Xent), 5 steps") {
    InnerLoss inner;
    inner.fusion = true;
    inner.contrast = Contrast::kNtXent;
    inner.fusion_weight = 0.3;
    inner.temperature = 0.2;
    check_exact_gradient(5, dsa, inner, true);
  }
}

TEST_CASE("Unroll: the batch-kernel augmentation (BatchDsa, the GPU's) gives Dsa's bits", "[methods][unroll]") {
  DsaConfig all;
  all.mode = DsaMode::kAll;
  for (const DsaConfig& config : {DsaConfig{}, all}) {
    Problem p(4);
    InnerLoss inner;
    inner.fusion = true;
    inner.temperature = 0.5;
    const Dsa<double> dsa(config);
    const BatchDsa<double, cpu::Backend> batch(config);
    Unroll<DoubleNet, Dsa<double>> a(p.net, dsa, inner);
    Unroll<DoubleNet, BatchDsa<double, cpu::Backend>> b(p.net, batch, inner);
    CHECK(a.forward(p.theta0, p.target, p.images.cview(), p.labels, p.logits.cview(), p.lr, p.steps) ==
          b.forward(p.theta0, p.target, p.images.cview(), p.labels, p.logits.cview(), p.lr, p.steps));
    SyntheticGradients<double> ga, gb;
    a.backward(ga);
    b.backward(gb);
    CHECK(std::memcmp(ga.images.data(), gb.images.data(), sizeof(double) * std::size_t(ga.images.size())) == 0);
    CHECK(std::memcmp(ga.label_logits.data(), gb.label_logits.data(),
                      sizeof(double) * std::size_t(ga.label_logits.size())) == 0);
    CHECK(ga.lr == gb.lr);
  }
  SECTION("and its exact gradient matches finite differences") {
    InnerLoss inner;
    inner.fusion = true;
    inner.fusion_weight = 0.5;
    inner.temperature = 0.5;
    check_exact_gradient(3, BatchDsa<double, cpu::Backend>(all), inner, true);
  }
}

TEST_CASE("Unroll: TESLA mode equals the exact gradient for one step and differs for more",
          "[methods][unroll]") {
  Dsa<double> dsa;
  for (Index n : {1, 3}) {
    Problem p(n);
    Unroll<DoubleNet, Dsa<double>> unroll(p.net, dsa);
    unroll.forward(p.theta0, p.target, p.images.cview(), p.labels, p.logits.cview(), p.lr, p.steps);
    SyntheticGradients<double> exact, tesla;
    unroll.backward(exact, UnrollGradient::kExact);
    unroll.backward(tesla, UnrollGradient::kTesla);
    const Vec a(exact.images.data(), exact.images.data() + exact.images.size());
    const Vec b(tesla.images.data(), tesla.images.data() + tesla.images.size());
    INFO("steps " << n);
    if (n == 1) {
      CHECK(test::relative_error(a, b) < 1e-14);
      CHECK(exact.lr == tesla.lr);
    } else {
      CHECK(test::relative_error(a, b) > 1e-6);
    }
  }
}

TEST_CASE("Unroll: memory is the parameter trajectory, and inputs are checked", "[methods][unroll]") {
  Problem p(3);
  const IdentityAugment none;
  Unroll<DoubleNet, IdentityAugment> unroll(p.net, none);
  unroll.forward(p.theta0, p.target, p.images.cview(), p.labels, {}, p.lr, p.steps);
  CHECK(unroll.trajectory().size() == 4);
  CHECK(unroll.trajectory()[0] == p.theta0);
  std::vector<UnrollStep> bad = p.steps;
  bad[1].batch[0] = 9;
  CHECK_THROWS_WITH(unroll.forward(p.theta0, p.target, p.images.cview(), p.labels, {}, p.lr, bad),
                    Catch::Contains("step 1 uses image 9 of a set of 6"));
  SyntheticGradients<double> g;
  Unroll<DoubleNet, IdentityAugment> fresh(p.net, none);
  CHECK_THROWS_WITH(fresh.backward(g), Catch::Contains("call forward first"));
}

TEST_CASE("Unroll: the step losses are each step's inner loss at θ_k", "[methods][unroll]") {
  Problem p(3);
  const IdentityAugment none;
  for (const bool fusion : {false, true}) {
    INFO("fusion " << fusion);
    InnerLoss inner;
    inner.fusion = fusion;
    inner.fusion_weight = 0.3;
    Unroll<DoubleNet, IdentityAugment> unroll(p.net, none, inner);
    unroll.forward(p.theta0, p.target, p.images.cview(), p.labels, {}, p.lr, p.steps);
    REQUIRE(unroll.step_losses().size() == 3);
    for (std::size_t k = 0; k < 3; ++k) {
      const std::vector<Index>& batch = p.steps[k].batch;
      const Index b = Index(batch.size());
      // Both views of an identity augmentation are the minibatch itself.
      Tensor<double> x(Shape((fusion ? 2 : 1) * b, 2, 6, 6)), one;
      gather_samples(p.images.cview(), batch, 0, b, one);
      std::copy(one.data(), one.data() + one.size(), x.data());
      if (fusion) std::copy(one.data(), one.data() + one.size(), x.data() + one.size());
      std::vector<int> y;
      for (Index i : batch) y.push_back(p.labels[std::size_t(i)]);
      const auto out = p.net.forward(unroll.trajectory()[k].data(), x.cview());
      CrossEntropy<double> ce;
      double want = ce.forward(out.logits.samples(0, b), y);
      if (fusion) {
        ContrastiveLoss<double> con(Contrast::kSupCon, inner.temperature, 2);
        want += 0.3 * con.forward(out.embedding, y);
      }
      CHECK(unroll.step_losses()[k] == want);
    }
  }
}

TEST_CASE("Unroll: labels outside the network's classes are refused before any step", "[methods][unroll]") {
  Problem p(2);
  const IdentityAugment none;
  Unroll<DoubleNet, IdentityAugment> unroll(p.net, none);
  std::vector<int> labels = p.labels;
  labels[2] = 7;
  CHECK_THROWS_WITH(unroll.forward(p.theta0, p.target, p.images.cview(), labels, {}, p.lr, p.steps),
                    Catch::Contains("label 7 of image 2 is outside [0, 3)"));
}

TEST_CASE("make_unroll_steps: chunks of a permutation, re-drawn when used up", "[methods][unroll]") {
  const auto steps = make_unroll_steps(10, 7, 4, 3);
  REQUIRE(steps.size() == 7);
  // 10 images in chunks of 4: two chunks per permutation, then a new one.
  std::vector<Index> first(steps[0].batch);
  first.insert(first.end(), steps[1].batch.begin(), steps[1].batch.end());
  std::sort(first.begin(), first.end());
  CHECK(std::adjacent_find(first.begin(), first.end()) == first.end());  // distinct within a round
  for (const auto& s : steps) CHECK(s.batch.size() == 4);
  CHECK(steps[0].seed != steps[1].seed);
  const auto all = make_unroll_steps(5, 2, 100, 1);  // batch ≥ n: every image every step
  CHECK(all[0].batch.size() == 5);
  CHECK(make_unroll_steps(10, 7, 4, 3)[5].batch == steps[5].batch);
}
