#include "distill/augment/batch_dsa.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "distill/augment/multi_formation.hpp"
#include "distill/backend/cpu/backend.hpp"
#include "support/normal_tensor.hpp"
#include "support/same_bits.hpp"

// The batch-wide element kernels (what a GPU runs, a thread per value) on the CPU backend
// against the per-sample Dsa and decode_formation: equal to the bit, for every op, pass and
// draw, including hand-set parameters far outside DSA's ranges, where the transpose gather of
// the bilinear resampling must still find every output pixel that reads an input pixel.

using namespace distill;

namespace {

const DsaOp kOps[] = {DsaOp::kColor, DsaOp::kCrop, DsaOp::kCutout, DsaOp::kFlip, DsaOp::kScale, DsaOp::kRotate};

/// Forward, tangent and backward of `draw` through both implementations, compared bitwise.
template <class Scalar>
void check_draw(const Dsa<Scalar>& dsa, const BatchDsa<Scalar, cpu::Backend>& batch, const DsaDraw& draw,
                const Shape& s, std::uint64_t seed) {
  const Tensor<Scalar> x = test::normal_tensor<Scalar>(s, seed, 3);
  Tensor<Scalar> want(s), got(s);
  dsa.forward(draw, x, want);
  batch.forward(draw, x, got);
  CHECK(test::same_bits(want, got));
  dsa.tangent(draw, x, want);
  batch.tangent(draw, x, got);
  CHECK(test::same_bits(want, got));
  dsa.backward(draw, x, want);
  batch.backward(draw, x, got);
  CHECK(test::same_bits(want, got));
}

template <class Scalar>
void check_config(const DsaConfig& config, const std::vector<Shape>& shapes, int seeds) {
  const Dsa<Scalar> dsa(config);
  const BatchDsa<Scalar, cpu::Backend> batch(config);
  for (const Shape& s : shapes)
    for (int seed = 0; seed < seeds; ++seed)
      for (bool shared : {false, true}) {
        INFO("shape " << s << " seed " << seed << (shared ? " shared" : " per sample"));
        check_draw(dsa, batch, batch.draw(s, std::uint64_t(seed), shared), s, std::uint64_t(seed) + 100);
      }
}

}  // namespace

TEMPLATE_TEST_CASE("BatchDsa on the CPU backend equals Dsa to the bit, op by op", "[augment][batch_dsa][cpu]",
                   float, double) {
  const std::vector<Shape> shapes = {Shape(5, 3, 13, 11), Shape(3, 1, 8, 8), Shape(2, 3, 32, 32)};
  for (DsaOp op : kOps) {
    DsaConfig config;
    config.ops = {op};
    INFO("op " << dsa_op_name(op));
    check_config<TestType>(config, shapes, 6);
  }
}

TEMPLATE_TEST_CASE("BatchDsa equals Dsa for the reference strategies and chains", "[augment][batch_dsa][cpu]",
                   float, double) {
  const std::vector<Shape> shapes = {Shape(4, 3, 12, 12), Shape(6, 3, 32, 32)};
  SECTION("DSA's default: one family per call (mode S)") { check_config<TestType>(DsaConfig{}, shapes, 12); }
  SECTION("every op in order (mode M)") {
    DsaConfig config;
    config.mode = DsaMode::kAll;
    check_config<TestType>(config, shapes, 4);
  }
  SECTION("IDC and TGDD's color_crop_cutout (mode M)") {
    DsaConfig config;
    config.ops = dsa_ops_from_strategy("color_crop_cutout");
    config.mode = DsaMode::kAll;
    check_config<TestType>(config, shapes, 4);
  }
}

TEMPLATE_TEST_CASE("BatchDsa's transpose gather finds every tap for extreme scale and rotation",
                   "[augment][batch_dsa][cpu]", float, double) {
  using T = TestType;
  struct Case {
    double sx, sy, angle;
  };
  const Case cases[] = {{0.05, 0.05, 0},  {0.5, 2.0, 0},   {3.0, 0.3, 0},  {1e-12, 1.0, 0}, {0.0, 0.0, 0},
                        {-1.5, 0.8, 0},   {1e12, 1e-12, 0}, {1, 1, 3.14159}, {1, 1, -2.5},   {1, 1, 0.7853981633974483},
                        {1, 1, 1e-13}, {1, 1, 100.0}};
  for (const Shape& s : {Shape(3, 2, 9, 14), Shape(2, 1, 1, 7), Shape(2, 1, 6, 1), Shape(1, 1, 2, 2)}) {
    for (DsaOp op : {DsaOp::kScale, DsaOp::kRotate}) {
      DsaConfig config;
      config.ops = {op};
      const Dsa<T> dsa(config);
      const BatchDsa<T, cpu::Backend> batch(config);
      DsaDraw draw = dsa.draw(s, 1);
      for (const Case& c : cases) {
        for (Index i = 0; i < s.n; ++i) {
          // Vary the parameters a little between samples so that each sample's are used.
          draw.samples[std::size_t(i)].scale_x = c.sx * (1 + 0.1 * double(i));
          draw.samples[std::size_t(i)].scale_y = c.sy;
          draw.samples[std::size_t(i)].rotate = c.angle + 0.05 * double(i);
        }
        INFO("shape " << s << " op " << dsa_op_name(op) << " sx " << c.sx << " sy " << c.sy << " angle " << c.angle);
        check_draw(dsa, batch, draw, s, 7);
      }
    }
  }
}

TEST_CASE("BatchDsa: in place, empty tangents, no ops and bad shapes", "[augment][batch_dsa][cpu]") {
  const Shape s(4, 3, 8, 8);
  DsaConfig config;
  config.mode = DsaMode::kAll;
  const Dsa<double> dsa(config);
  const BatchDsa<double, cpu::Backend> batch(config);
  const DsaDraw d = batch.draw(s, 5);
  CHECK(d == dsa.draw(s, 5));
  const Tensor<double> x = test::normal_tensor<double>(s, 13, 3);
  Tensor<double> want(s), got(s);
  SECTION("in place equals Dsa out of place, chained and single") {
    DsaConfig one;
    one.ops = {DsaOp::kRotate};
    for (const DsaDraw& draw : {d, Dsa<double>(one).draw(s, 5)}) {
      dsa.forward(draw, x, want);
      got = x;
      batch.forward(draw, got, got);
      CHECK(test::same_bits(want, got));
      dsa.backward(draw, x, want);
      got = x;
      batch.backward(draw, got, got);
      CHECK(test::same_bits(want, got));
    }
  }
  SECTION("an empty tangent or output gradient stands for zero; an empty x is refused") {
    got.set_constant(1);
    batch.tangent(d, ConstView<double>(), got);
    CHECK(got.vec().cwiseAbs().maxCoeff() == 0);
    got.set_constant(1);
    batch.backward(d, ConstView<double>(), got);
    CHECK(got.vec().cwiseAbs().maxCoeff() == 0);
    CHECK_THROWS_WITH(batch.forward(d, ConstView<double>(), got), Catch::Contains("x is an empty view"));
  }
  SECTION("no ops copies") {
    const BatchDsa<double, cpu::Backend> none(DsaConfig{{}, DsaMode::kSingle});
    CHECK(none.is_identity());
    none.forward(none.draw(s, 1), x, got);
    CHECK(test::same_bits(x, got));
  }
  SECTION("a batch that does not fit the draw names both shapes") {
    Tensor<double> other(Shape(3, 3, 8, 8));
    CHECK_THROWS_WITH(batch.forward(d, other, other), Catch::Contains("does not fit the draw"));
    CHECK_THROWS_WITH(batch.forward(d, x, other), Catch::Contains("differ"));
  }
  SECTION("a second call with the workspaces warm gives the same bits") {
    batch.forward(d, x, want);
    batch.forward(batch.draw(Shape(2, 3, 8, 8), 9), x.cview().samples(0, 2), got.view().samples(0, 2));
    batch.forward(d, x, got);
    CHECK(test::same_bits(want, got));
  }
}

TEMPLATE_TEST_CASE("decode_formation on a backend equals the host decoding and its VJP to the bit",
                   "[augment][multi_formation][cpu]", float, double) {
  using T = TestType;
  for (const Shape& s : {Shape(2, 3, 12, 12), Shape(1, 2, 8, 12), Shape(3, 3, 32, 32)}) {
    for (Index factor : {1, 2, 3, 4}) {
      if (s.h % factor || s.w % factor) continue;
      INFO("stored " << s << " factor " << factor);
      const Shape d = decoded_shape(s, factor);
      const Tensor<T> stored = test::normal_tensor<T>(s, 1, 3), grad = test::normal_tensor<T>(d, 2, 3);
      Tensor<T> want(d), got(d);
      decode_formation(stored.cview(), factor, want.view());
      decode_formation<cpu::Backend>(stored.cview(), factor, got.view());
      CHECK(test::same_bits(want, got));
      Tensor<T> want_g(s), got_g(s);
      decode_formation_vjp(grad.cview(), factor, want_g.view());
      decode_formation_vjp<cpu::Backend>(grad.cview(), factor, got_g.view());
      CHECK(test::same_bits(want_g, got_g));
    }
  }
  Tensor<T> stored(Shape(1, 1, 8, 8)), wrong(Shape(3, 1, 8, 8));
  CHECK_THROWS_WITH(decode_formation<cpu::Backend>(stored.cview(), 3, wrong.view()), Catch::Contains("does not divide"));
  CHECK_THROWS_AS(decode_formation<cpu::Backend>(stored.cview(), 2, wrong.view()), distill::error);
}
