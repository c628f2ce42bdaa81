// A program outside the tree that uses the CUDA backend through find_package(distill
// COMPONENTS cuda): ConvNet-3's forward pass on the GPU against the CPU. Without a GPU it
// says so and only the build has been checked.
#include <cmath>
#include <cstdio>
#include <vector>

#include <distill/backend/cuda/backend.hpp>
#include <distill/nn/conv_net.hpp>

int main() {
  using namespace distill;
  if (cuda::device_count() == 0) {
    std::printf("consumer: built and linked against distill::cuda; no CUDA device, so nothing ran on a GPU\n");
    return 0;
  }
  ConvNet3<float> cpu_net;
  ConvNet3<float, cuda::Backend> gpu_net;
  const Vector<float> theta = cpu_net.init_params(1);
  Tensor<float> x(cpu_net.input_shape(2), 0.5f);
  Tensor<float, cuda::DeviceSpace> d_theta(Shape(theta.size(), 1)), d_x(x.shape());
  cuda::Backend::copy_from_host(theta.size(), theta.data(), d_theta.data());
  cuda::Backend::copy_from_host(x.size(), x.data(), d_x.data());
  const auto want = cpu_net.forward(theta, x).logits;
  const auto got = gpu_net.forward(d_theta.data(), d_x.cview()).logits;
  std::vector<float> host(static_cast<std::size_t>(got.size()));
  cuda::Backend::copy_to_host(got.size(), got.data(), host.data());
  double err = 0;
  for (Index i = 0; i < want.size(); ++i) err = std::max(err, double(std::abs(host[std::size_t(i)] - want[i])));
  std::printf("consumer: ConvNet-3 logits on the GPU differ from the CPU by at most %.3g\n", err);
  return err <= 1e-4 ? 0 : 1;
}
