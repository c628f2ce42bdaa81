#include <catch2/catch.hpp>

#include "distill/bench/flops.hpp"

using namespace distill;
using namespace distill::bench;

TEST_CASE("FLOP counts: ConvNet-3's layers on CIFAR-10 and the passes of each workload", "[bench]") {
  const ConvNetPass p = conv_net_pass(ConvNetConfig{3, 32, 32, 10}, 128, 3, 1);
  REQUIRE(p.conv.size() == 3);
  CHECK(p.conv[0] == 2.0 * 128 * 3 * 9 * 32 * 32);    // 7.08 M
  CHECK(p.conv[1] == 2.0 * 128 * 128 * 9 * 16 * 16);  // 75.5 M
  CHECK(p.conv[2] == 2.0 * 128 * 128 * 9 * 8 * 8);    // 18.9 M
  CHECK(p.linear == 2.0 * 2048 * 10);                 // 128 × 4 × 4 features
  const double sum = p.conv[0] + p.conv[1] + p.conv[2] + p.linear;
  CHECK(training_step_flops(p) == 3 * sum - p.conv[0]);
  CHECK(exact_reverse_step_flops(p) == 9 * sum - 3 * p.conv[0]);
  // Linear in the batch; N steps of a batch of 10.
  const ConvNetPass p10 = conv_net_pass(ConvNetConfig{3, 32, 32, 10}, 128, 3, 10);
  CHECK(p10.conv_total() == Approx(10 * p.conv_total()).epsilon(1e-15));
  CHECK(exact_unroll_flops(ConvNetConfig{3, 32, 32, 10}, 128, 3, 50, 10) ==
        Approx(50 * (training_step_flops(p10) + exact_reverse_step_flops(p10))).epsilon(1e-15));
  // Distribution matching: real embeddings, synthetic embeddings and their image gradient, and
  // TGDD's constraint through the classifier.
  const ConvNetPass r = conv_net_pass(ConvNetConfig{3, 32, 32, 10}, 128, 3, 256);
  CHECK(distribution_matching_class_flops(ConvNetConfig{3, 32, 32, 10}, 128, 3, 256, 10, false) ==
        Approx(r.conv_total() + 2 * p10.conv_total()).epsilon(1e-15));
  CHECK(distribution_matching_class_flops(ConvNetConfig{3, 32, 32, 10}, 128, 3, 256, 10, true) ==
        Approx(r.conv_total() + 4 * p10.conv_total() + 2 * p10.linear).epsilon(1e-15));
  // The evaluation: full batches and the partial last one each epoch, then the test set forward.
  const ConvNetPass p256 = conv_net_pass(ConvNetConfig{3, 32, 32, 10}, 128, 3, 256);
  const ConvNetPass p244 = conv_net_pass(ConvNetConfig{3, 32, 32, 10}, 128, 3, 244);
  const ConvNetPass t = conv_net_pass(ConvNetConfig{3, 32, 32, 10}, 128, 3, 10000);
  CHECK(evaluation_flops(ConvNetConfig{3, 32, 32, 10}, 128, 3, 500, 256, 300, 10000) ==
        Approx(300 * (training_step_flops(p256) + training_step_flops(p244)) + t.conv_total() + t.linear)
            .epsilon(1e-15));
  CHECK(evaluation_flops(ConvNetConfig{3, 32, 32, 10}, 128, 3, 10, 256, 1000, 0) ==
        Approx(1000 * training_step_flops(p10)).epsilon(1e-15));
  // Without pooling (ConvNetNN) the layers keep their size.
  const ConvNetPass flat = conv_net_pass(ConvNetConfig{3, 32, 32, 10}, 128, 3, 1, false);
  CHECK(flat.conv[2] == 2.0 * 128 * 128 * 9 * 32 * 32);
  CHECK(flat.linear == 2.0 * 128 * 32 * 32 * 10);
}
