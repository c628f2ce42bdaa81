#include <catch2/catch.hpp>

#include <vector>

#include "distill/backend/cpu/backend.hpp"
#include "distill/losses/cross_entropy.hpp"
#include "distill/losses/param_match.hpp"
#include "distill/losses/sup_con.hpp"
#include "distill/train/sgd.hpp"
#include "cuda/support.cuh"

// The losses' four passes, the label mixed product and the SGD step on cuda::Backend against
// the CPU backend on the same inputs.

using namespace distill;
using namespace distill::test;

namespace {
template <class T>
void check_scalar(T gpu, T cpu) {
  CHECK(std::abs(double(gpu) - double(cpu)) <= kTol<T> * std::max(1.0, std::abs(double(cpu))));
}
}  // namespace

TEMPLATE_TEST_CASE("cuda cross-entropy with hard and soft labels agrees with the CPU", "[cuda][losses]", float,
                   double) {
  using T = TestType;
  const Shape s(7, 10, 1, 1);
  const Tensor<T> z = random_tensor<T>(s, 1, 3.0), u = random_tensor<T>(s, 2, 2.0);
  const Tensor<T> z_dot = random_tensor<T>(s, 3), u_dot = random_tensor<T>(s, 4);
  auto dz = to_device(z), du = to_device(u), dz_dot = to_device(z_dot), du_dot = to_device(u_dot);
  const std::vector<int> labels = {3, 0, 9, 3, 5, 1, 7};
  CrossEntropy<T> c;
  CrossEntropy<T, cuda::Backend> g;
  for (bool soft : {false, true}) {
    INFO((soft ? "soft labels" : "hard labels"));
    const T l_cpu = soft ? c.forward(z.cview(), u.cview()) : c.forward(z.cview(), labels);
    const T l_gpu = soft ? g.forward(dz.cview(), du.cview()) : g.forward(dz.cview(), labels);
    check_scalar(l_gpu, l_cpu);
    check_scalar(g.tangent(dz_dot.cview(), du_dot.cview()), c.tangent(z_dot.cview(), u_dot.cview()));

    Tensor<T> gz(s), gu(s), gz_dot(s), gu_dot(s), hu(s);
    DeviceTensor<T> dgz(s), dgu(s), dgz_dot(s), dgu_dot(s), dhu(s);
    c.backward(gz.view(), gu.view());
    g.backward(dgz.view(), dgu.view());
    CHECK(rel_error(to_host(dgz), gz) <= kTol<T>);
    if (soft) CHECK(rel_error(to_host(dgu), gu) <= kTol<T>);
    c.backward_tangent(z_dot.cview(), u_dot.cview(), gz_dot.view(), gu_dot.view());
    g.backward_tangent(dz_dot.cview(), du_dot.cview(), dgz_dot.view(), dgu_dot.view());
    CHECK(rel_error(to_host(dgz_dot), gz_dot) <= kTol<T>);
    if (soft) CHECK(rel_error(to_host(dgu_dot), gu_dot) <= kTol<T>);
    c.label_mixed_product(z_dot.cview(), hu.view());
    g.label_mixed_product(dz_dot.cview(), dhu.view());
    if (soft) CHECK(rel_error(to_host(dhu), hu) <= kTol<T>);
  }
}

TEMPLATE_TEST_CASE("cuda SupCon and NT-Xent agree with the CPU", "[cuda][losses]", float, double) {
  using T = TestType;
  const Shape s(8, 12, 1, 1);  // two views of four samples
  const Tensor<T> e = random_tensor<T>(s, 5), e_dot = random_tensor<T>(s, 6);
  auto de = to_device(e), de_dot = to_device(e_dot);
  const std::vector<int> labels = {1, 0, 1, 2};
  for (Contrast kind : {Contrast::kSupCon, Contrast::kNtXent}) {
    INFO((kind == Contrast::kSupCon ? "SupCon" : "NT-Xent"));
    ContrastiveLoss<T> c(kind, 0.3, 2);
    ContrastiveLoss<T, cuda::Backend> g(kind, 0.3, 2);
    check_scalar(g.forward(de.cview(), labels), c.forward(e.cview(), labels));
    CHECK(g.anchors() == c.anchors());
    check_scalar(g.tangent(de_dot.cview()), c.tangent(e_dot.cview()));
    Tensor<T> ge(s), ge_dot(s);
    DeviceTensor<T> dge(s), dge_dot(s);
    c.backward(ge.view());
    g.backward(dge.view());
    CHECK(rel_error(to_host(dge), ge) <= kTol<T>);
    c.backward_tangent(e_dot.cview(), ge_dot.view());
    g.backward_tangent(de_dot.cview(), dge_dot.view());
    CHECK(rel_error(to_host(dge_dot), ge_dot) <= kTol<T>);
  }
}

TEMPLATE_TEST_CASE("cuda SGD step with momentum, weight decay and Nesterov agrees with the CPU", "[cuda][losses]",
                   float, double) {
  using T = TestType;
  const Index n = 100003;
  const auto theta = random_values<T>(n, 7), grad = random_values<T>(n, 8), vel = random_values<T>(n, 9);
  for (bool nesterov : {false, true})
    for (bool first : {false, true}) {
      std::vector<T> p = theta, v = vel;
      auto dp = to_device(theta), dg = to_device(grad), dv = to_device(vel);
      const detail::SgdStep<T> cpu_step{T(0.1), T(0.9), T(5e-4), nesterov, first, p.data(), grad.data(), v.data()};
      const detail::SgdStep<T> gpu_step{T(0.1), T(0.9), T(5e-4), nesterov, first, dp.data(), dg.data(), dv.data()};
      cpu::Backend::for_each(n, cpu_step);
      cuda::Backend::for_each(n, gpu_step);
      CHECK(rel_error(to_host(dp), p) <= kTol<T>);
      CHECK(rel_error(to_host(dv), v) <= kTol<T>);
    }
}

TEMPLATE_TEST_CASE("cuda parameter distance of trajectory matching agrees with the CPU", "[cuda][losses]", float,
                   double) {
  using T = TestType;
  const Index n = 320010;  // ConvNet-3's parameter count
  const auto a = random_values<T>(n, 10), b = random_values<T>(n, 11), c = random_values<T>(n, 12);
  auto da = to_device(a), db = to_device(b), dc = to_device(c);
  std::vector<T> g(n);
  DeviceTensor<T> dg(Shape(n, 1));
  double sums[2] = {0, 0}, device_sums[2] = {0, 0};
  param_distance::queue_sums<cpu::Backend>(n, a.data(), b.data(), c.data(), sums);
  cuda::DeviceArray<double> d_sums(2);
  param_distance::queue_sums<cuda::Backend>(n, da.data(), db.data(), dc.data(), d_sums.data());
  cuda::Backend::copy_to_host(2, d_sums.data(), device_sums);
  check_scalar(param_distance::value<T>(device_sums), param_distance::value<T>(sums));
  param_distance::gradient<cpu::Backend>(n, a.data(), b.data(), sums[0], g.data());
  param_distance::gradient<cuda::Backend>(n, da.data(), db.data(), device_sums[0], dg.data());
  CHECK(rel_error(to_host(dg), g) <= kTol<T>);
}
