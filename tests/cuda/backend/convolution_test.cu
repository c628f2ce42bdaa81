#include <catch2/catch.hpp>

#include "distill/backend/cpu/convolution.hpp"
#include "cuda/support.cuh"

// The three convolution primitives under each policy, each over a sum of two terms, against
// cpu::Convolution on the same inputs (TF32 off: plain FP32 products).

using namespace distill;
using namespace distill::test;

namespace {

template <class T, class Policy>
void check_primitives(const ConvProblem& p) {
  const Index in = p.batch * p.g.image_size(), out = p.batch * p.out_channels * p.g.patches();
  const Index W = p.weight_size(), K = p.out_channels;
  const auto x1 = random_values<T>(in, 1), x2 = random_values<T>(in, 2);
  const auto w1 = random_values<T>(W, 3, 0.2), w2 = random_values<T>(W, 4, 0.2), b = random_values<T>(K, 5);
  const auto g1 = random_values<T>(out, 6), g2 = random_values<T>(out, 7);
  auto dx1 = to_device(x1), dx2 = to_device(x2), dw1 = to_device(w1), dw2 = to_device(w2), db = to_device(b);
  auto dg1 = to_device(g1), dg2 = to_device(g2);

  cpu::Convolution<T> cpu_conv;
  typename Policy::template Convolution<T> gpu_conv;
  for (int round = 0; round < 2; ++round) {  // the second round reuses the cached plan
    std::vector<T> y(out);
    DeviceTensor<T> dy(Shape(out, 1));
    cpu_conv.forward(p, {{x1.data(), w1.data()}, {x2.data(), w2.data()}}, b.data(), y.data());
    gpu_conv.forward(p, {{dx1.data(), dw1.data()}, {dx2.data(), dw2.data()}}, db.data(), dy.data());
    CHECK(rel_error(to_host(dy), y) <= kTol<T>);
    cpu_conv.forward(p, {{x1.data(), w1.data()}}, nullptr, y.data());
    gpu_conv.forward(p, {{dx1.data(), dw1.data()}}, nullptr, dy.data());
    CHECK(rel_error(to_host(dy), y) <= kTol<T>);

    std::vector<T> gx(in);
    DeviceTensor<T> dgx(Shape(in, 1));
    cpu_conv.backward_data(p, {{g1.data(), w1.data()}, {g2.data(), w2.data()}}, gx.data());
    gpu_conv.backward_data(p, {{dg1.data(), dw1.data()}, {dg2.data(), dw2.data()}}, dgx.data());
    CHECK(rel_error(to_host(dgx), gx) <= kTol<T>);

    std::vector<T> gw(W + K);
    DeviceTensor<T> dgw(Shape(W + K, 1));
    cpu_conv.backward_filter(p, {{x1.data(), g1.data()}, {x2.data(), g2.data()}}, g1.data(), gw.data(), gw.data() + W);
    gpu_conv.backward_filter(p, {{dx1.data(), dg1.data()}, {dx2.data(), dg2.data()}}, dg1.data(), dgw.data(),
                             dgw.data() + W);
    const auto got = to_host(dgw);
    CHECK(rel_error(std::vector<T>(got.begin(), got.begin() + W), std::vector<T>(gw.begin(), gw.begin() + W)) <= kTol<T>);
    CHECK(rel_error(std::vector<T>(got.begin() + W, got.end()), std::vector<T>(gw.begin() + W, gw.end())) <= kTol<T>);
  }
}

// The ConvNet-3 layer shapes at CIFAR size (first and second layer), and a small odd one.
const ConvProblem kProblems[] = {
    {{3, 32, 32, 3, 1}, 3, 128}, {{128, 16, 16, 3, 1}, 2, 128}, {{5, 7, 6, 3, 0}, 4, 6}};

}  // namespace

TEMPLATE_TEST_CASE("cuda convolution policies agree with cpu::Convolution", "[cuda][conv]", float, double) {
  for (const ConvProblem& p : kProblems) {
    INFO("channels " << p.g.channels << ", size " << p.g.height << "x" << p.g.width << ", batch " << p.batch);
    SECTION("cudnn") { check_primitives<TestType, cuda::conv::Cudnn>(p); }
    SECTION("im2col + cuBLAS") { check_primitives<TestType, cuda::conv::Im2colGemm>(p); }
    SECTION("direct") { check_primitives<TestType, cuda::conv::Direct>(p); }
  }
}

TEST_CASE("cuDNN picks deterministic algorithms: two runs give the same bits", "[cuda][conv]") {
  const ConvProblem p{{128, 16, 16, 3, 1}, 8, 128};
  const Index in = p.batch * p.g.image_size(), out = p.batch * p.out_channels * p.g.patches();
  auto x = to_device(random_values<float>(in, 8)), g = to_device(random_values<float>(out, 9));
  auto w = to_device(random_values<float>(p.weight_size(), 10, 0.1));
  cuda::CudnnConvolution<float> conv;
  DeviceTensor<float> gw(Shape(p.weight_size(), 1)), gx(Shape(in, 1));
  conv.backward_filter(p, {{x.data(), g.data()}}, nullptr, gw.data(), nullptr);
  conv.backward_data(p, {{g.data(), w.data()}}, gx.data());
  const auto gw1 = to_host(gw), gx1 = to_host(gx);
  conv.backward_filter(p, {{x.data(), g.data()}}, nullptr, gw.data(), nullptr);
  conv.backward_data(p, {{g.data(), w.data()}}, gx.data());
  CHECK(to_host(gw) == gw1);
  CHECK(to_host(gx) == gx1);
}
