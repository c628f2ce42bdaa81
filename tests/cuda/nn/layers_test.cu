#include <catch2/catch.hpp>

#include <vector>

#include "distill/nn/conv2d.hpp"
#include "distill/nn/linear.hpp"
#include "distill/nn/normalization.hpp"
#include "distill/nn/pooling.hpp"
#include "distill/nn/relu.hpp"
#include "cuda/support.cuh"

// Every pass of every layer on cuda::Backend against the same layer on the CPU backend.

using namespace distill;
using namespace distill::test;

namespace {

template <class T>
struct Inputs {
  Tensor<T> x, x_dot, gy, gy_dot;
  std::vector<T> w, w_dot;
  DeviceTensor<T> dx, dx_dot, dgy, dgy_dot;
  DeviceTensor<T> dw, dw_dot;
  Inputs(const Shape& in, const Shape& out, Index params) {
    x = random_tensor<T>(in, 1), x_dot = random_tensor<T>(in, 2);
    gy = random_tensor<T>(out, 3), gy_dot = random_tensor<T>(out, 4);
    w = random_values<T>(std::max<Index>(params, 1), 5, 0.5), w_dot = random_values<T>(std::max<Index>(params, 1), 6, 0.5);
    dx = to_device(x), dx_dot = to_device(x_dot), dgy = to_device(gy), dgy_dot = to_device(gy_dot);
    dw = to_device(w), dw_dot = to_device(w_dot);
  }
};

/// The four passes of a layer with parameters (conv, norm, linear): forward(x, w, y),
/// tangent(x, ẋ, w, ẇ, ẏ), backward(x, w, gy, gx, gw), backward_tangent(x, ẋ, w, ẇ, gy, ġy, ġx, ġw).
template <class T, class CpuLayer, class GpuLayer>
void check_param_layer(CpuLayer& c, GpuLayer& g, const Shape& in) {
  const Shape out = c.output_shape(in);
  const Index P = c.param_count();
  Inputs<T> d(in, out, P);
  Tensor<T> y(out), yd(out), gx(in), gxd(in);
  DeviceTensor<T> dy(out), dyd(out), dgx(in), dgxd(in);
  std::vector<T> gw(P), gwd(P);
  DeviceTensor<T> dgw(Shape(P, 1)), dgwd(Shape(P, 1));

  c.forward(d.x.cview(), d.w.data(), y.view());
  g.forward(d.dx.cview(), d.dw.data(), dy.view());
  CHECK(rel_error(to_host(dy), y) <= kTol<T>);
  c.tangent(d.x.cview(), d.x_dot.cview(), d.w.data(), d.w_dot.data(), yd.view());
  g.tangent(d.dx.cview(), d.dx_dot.cview(), d.dw.data(), d.dw_dot.data(), dyd.view());
  CHECK(rel_error(to_host(dyd), yd) <= kTol<T>);
  c.backward(d.x.cview(), d.w.data(), d.gy.cview(), gx.view(), gw.data());
  g.backward(d.dx.cview(), d.dw.data(), d.dgy.cview(), dgx.view(), dgw.data());
  CHECK(rel_error(to_host(dgx), gx) <= kTol<T>);
  CHECK(rel_error(to_host(dgw), gw) <= kTol<T>);
  c.backward_tangent(d.x.cview(), d.x_dot.cview(), d.w.data(), d.w_dot.data(), d.gy.cview(), d.gy_dot.cview(),
                     gxd.view(), gwd.data());
  g.backward_tangent(d.dx.cview(), d.dx_dot.cview(), d.dw.data(), d.dw_dot.data(), d.dgy.cview(), d.dgy_dot.cview(),
                     dgxd.view(), dgwd.data());
  CHECK(rel_error(to_host(dgxd), gxd) <= kTol<T>);
  CHECK(rel_error(to_host(dgwd), gwd) <= kTol<T>);
}

/// The same four passes on two device layers (the plain and the tuned per-plane kernels).
template <class T, class A, class B>
void check_device_pair(A& a, B& b, const Shape& in) {
  const Shape out = a.output_shape(in);
  const Index P = a.param_count();
  Inputs<T> d(in, out, P);
  DeviceTensor<T> ya(out), yb(out), gxa(in), gxb(in);
  DeviceTensor<T> gwa(Shape(P, 1)), gwb(Shape(P, 1));
  a.forward(d.dx.cview(), d.dw.data(), ya.view());
  b.forward(d.dx.cview(), d.dw.data(), yb.view());
  CHECK(rel_error(to_host(yb), to_host(ya)) <= kTol<T>);
  a.tangent(d.dx.cview(), d.dx_dot.cview(), d.dw.data(), d.dw_dot.data(), ya.view());
  b.tangent(d.dx.cview(), d.dx_dot.cview(), d.dw.data(), d.dw_dot.data(), yb.view());
  CHECK(rel_error(to_host(yb), to_host(ya)) <= kTol<T>);
  a.backward(d.dx.cview(), d.dw.data(), d.dgy.cview(), gxa.view(), gwa.data());
  b.backward(d.dx.cview(), d.dw.data(), d.dgy.cview(), gxb.view(), gwb.data());
  CHECK(rel_error(to_host(gxb), to_host(gxa)) <= kTol<T>);
  CHECK(rel_error(to_host(gwb), to_host(gwa)) <= kTol<T>);
  a.backward_tangent(d.dx.cview(), d.dx_dot.cview(), d.dw.data(), d.dw_dot.data(), d.dgy.cview(), d.dgy_dot.cview(),
                     gxa.view(), gwa.data());
  b.backward_tangent(d.dx.cview(), d.dx_dot.cview(), d.dw.data(), d.dw_dot.data(), d.dgy.cview(), d.dgy_dot.cview(),
                     gxb.view(), gwb.data());
  CHECK(rel_error(to_host(gxb), to_host(gxa)) <= kTol<T>);
  CHECK(rel_error(to_host(gwb), to_host(gwa)) <= kTol<T>);
}

using PlainGroups = cuda::BasicBackend<cuda::conv::Cudnn, cuda::groups::Thread>;
using TunedGroups = cuda::BasicBackend<cuda::conv::Cudnn, cuda::groups::Block>;

}  // namespace

TEMPLATE_TEST_CASE("cuda norm kernels: the block-per-plane kernels agree with the thread-per-plane ones",
                   "[cuda][layers]", float, double) {
  using T = TestType;
  STATIC_REQUIRE(cuda::has_lanes<detail::NormForward<T>>::value);
  STATIC_REQUIRE(std::is_same<cuda::Backend, TunedGroups>::value);
  for (const Shape& in : {Shape(4, 6, 8, 8), Shape(3, 5, 32, 32), Shape(2, 3, 3, 5)}) {
    INFO("input " << in);
    SECTION("instance norm") {
      InstanceNorm<T, PlainGroups> a(in.c);
      InstanceNorm<T, TunedGroups> b(in.c);
      check_device_pair<T>(a, b, in);
    }
    SECTION("batch norm") {
      BatchNorm<T, PlainGroups> a(in.c);
      BatchNorm<T, TunedGroups> b(in.c);
      check_device_pair<T>(a, b, in);
    }
  }
}

TEMPLATE_TEST_CASE("cuda layers with parameters: every pass agrees with the CPU", "[cuda][layers]", float, double) {
  using T = TestType;
  const Shape in(4, 6, 8, 8);
  SECTION("conv2d") {
    Conv2d<T> c(6, 5);
    Conv2d<T, cuda::Backend> g(6, 5);
    check_param_layer<T>(c, g, in);
  }
  SECTION("instance norm") {
    InstanceNorm<T> c(6);
    InstanceNorm<T, cuda::Backend> g(6);
    check_param_layer<T>(c, g, in);
  }
  SECTION("batch norm, and its running statistics and inference forward") {
    BatchNorm<T> c(6);
    BatchNorm<T, cuda::Backend> g(6);
    check_param_layer<T>(c, g, in);
    CHECK(rel_error(host_copy(g.running_mean().cview()), host_copy(c.running_mean().cview())) <= kTol<T>);
    CHECK(rel_error(host_copy(g.running_var().cview()), host_copy(c.running_var().cview())) <= kTol<T>);
    c.set_training(false);
    g.set_training(false);
    Inputs<T> d(in, in, 12);
    Tensor<T> y(in);
    DeviceTensor<T> dy(in);
    c.forward(d.x.cview(), d.w.data(), y.view());
    g.forward(d.dx.cview(), d.dw.data(), dy.view());
    CHECK(rel_error(to_host(dy), y) <= kTol<T>);
  }
  SECTION("linear") {
    Linear<T> c(6 * 8 * 8, 10);
    Linear<T, cuda::Backend> g(6 * 8 * 8, 10);
    check_param_layer<T>(c, g, in);
  }
}

TEMPLATE_TEST_CASE("cuda ReLU and pooling: every pass agrees with the CPU", "[cuda][layers]", float, double) {
  using T = TestType;
  const Shape in(3, 4, 8, 6), out(3, 4, 4, 3);
  Inputs<T> d(in, out, 0);
  SECTION("relu") {
    Relu<T> c;
    Relu<T, cuda::Backend> g;
    Inputs<T> r(in, in, 0);
    Tensor<T> y(in);
    DeviceTensor<T> dy(in);
    c.forward(r.x.cview(), y.view());
    g.forward(r.dx.cview(), dy.view());
    CHECK(to_host(dy) == std::vector<T>(y.begin(), y.end()));
    c.tangent(r.x.cview(), r.x_dot.cview(), y.view());
    g.tangent(r.dx.cview(), r.dx_dot.cview(), dy.view());
    CHECK(to_host(dy) == std::vector<T>(y.begin(), y.end()));
    c.backward(r.x.cview(), r.gy.cview(), y.view());
    g.backward(r.dx.cview(), r.dgy.cview(), dy.view());
    CHECK(to_host(dy) == std::vector<T>(y.begin(), y.end()));
    c.backward_tangent(r.x.cview(), r.gy_dot.cview(), y.view());
    g.backward_tangent(r.dx.cview(), r.dgy_dot.cview(), dy.view());
    CHECK(to_host(dy) == std::vector<T>(y.begin(), y.end()));
  }
  auto check_pool = [&](auto& c, auto& g) {
    Tensor<T> y(out), gx(in);
    DeviceTensor<T> dy(out), dgx(in);
    c.forward(d.x.cview(), y.view());
    g.forward(d.dx.cview(), dy.view());
    CHECK(rel_error(to_host(dy), y) <= kTol<T>);
    c.tangent(d.x_dot.cview(), y.view());
    g.tangent(d.dx_dot.cview(), dy.view());
    CHECK(rel_error(to_host(dy), y) <= kTol<T>);
    c.backward(d.gy.cview(), gx.view());
    g.backward(d.dgy.cview(), dgx.view());
    CHECK(rel_error(to_host(dgx), gx) <= kTol<T>);
    c.backward_tangent(d.gy_dot.cview(), gx.view());
    g.backward_tangent(d.dgy_dot.cview(), dgx.view());
    CHECK(rel_error(to_host(dgx), gx) <= kTol<T>);
  };
  SECTION("average pooling") {
    AvgPool<T> c;
    AvgPool<T, cuda::Backend> g;
    check_pool(c, g);
  }
  SECTION("max pooling") {
    MaxPool<T> c;
    MaxPool<T, cuda::Backend> g;
    check_pool(c, g);
  }
}
