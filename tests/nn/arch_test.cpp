#include <catch2/catch.hpp>

#include "distill/nn/arch.hpp"

using namespace distill;

TEST_CASE("parse_arch reads the reference ConvNet variant names", "[nn][arch]") {
  const ArchSpec base = parse_arch("ConvNet");
  CHECK(base.depth == 3);
  CHECK(base.width == 128);
  CHECK(base.norm == ArchSpec::Norm::kInstance);
  CHECK(base.pool == ArchSpec::Pool::kAvg);
  const ArchSpec v = parse_arch("ConvNetD4W32BNMP");
  CHECK(v.depth == 4);
  CHECK(v.width == 32);
  CHECK(v.norm == ArchSpec::Norm::kBatch);
  CHECK(v.pool == ArchSpec::Pool::kMax);
  CHECK(v.name() == "ConvNetD4W32BNMP");
  CHECK(parse_arch("ConvNetNN").norm == ArchSpec::Norm::kNone);
  CHECK(parse_arch("ConvNetNP").pool == ArchSpec::Pool::kNone);
  CHECK_THROWS_WITH(parse_arch("ResNet18"), Catch::Contains("only ConvNet variants"));
  CHECK_THROWS_WITH(parse_arch("ConvNetX"), Catch::Contains("unknown suffix 'X'"));
  CHECK_THROWS_WITH(parse_arch("ConvNetD0"), Catch::Contains("must be positive"));
}

TEST_CASE("visit_conv_net builds the named network", "[nn][arch]") {
  const ConvNetConfig cifar{3, 32, 32, 10};
  CHECK(visit_conv_net<float>(parse_arch("ConvNet"), cifar, [](auto& net) { return net.num_params(); }) ==
        320010);
  // ConvNetW64: conv 3·64·9+64, norm 128, conv 64·64·9+64 twice, norms, fc 64·16·10+10.
  const Index w64 = (3 * 64 * 9 + 64) + 128 + 2 * (64 * 64 * 9 + 64 + 128) + 64 * 16 * 10 + 10;
  CHECK(visit_conv_net<float>(parse_arch("ConvNetW64"), cifar, [](auto& net) { return net.num_params(); }) ==
        w64);
  CHECK(visit_conv_net<float>(parse_arch("ConvNetNP"), cifar,
                              [](auto& net) { return net.embedding_size(); }) == 128 * 32 * 32);
}

TEST_CASE("The ConvNet depth follows the image size as in the references", "[nn][arch]") {
  CHECK(conv_net_depth_for(32, 32) == 3);
  CHECK(conv_net_depth_for(28, 28) == 3);
  CHECK(conv_net_depth_for(64, 64) == 4);
  CHECK(conv_net_depth_for(128, 128) == 5);
  CHECK(conv_net_depth_for(8, 8) == 3);
  CHECK(conv_net_depth_for(2, 2) == 3);
  CHECK(conv_net_depth_for(256, 256) == 6);
  CHECK(conv_net_depth_for(64, 32) == 3);  // the shorter side decides
}
