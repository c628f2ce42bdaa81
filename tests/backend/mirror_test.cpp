#include <catch2/catch.hpp>

#include "distill/backend/cpu/backend.hpp"
#include "distill/backend/mirror.hpp"
#include "support/emulated_device.hpp"

using namespace distill;
using namespace distill::test;

TEST_CASE("Mirror: in host memory the views are of the tensors given, nothing is copied", "[backend][mirror]") {
  Tensor<float> host(Shape(2, 3));
  for (Index i = 0; i < host.size(); ++i) host.data()[i] = float(i);
  Mirror<float, cpu::Backend> m;
  CHECK(m.upload(host).data() == host.data());
  CHECK(m.upload(host.size(), host.data()) == host.data());
  CHECK(m.download(host).data() == host.data());
  CHECK(m.device().size() == 0);
  Tensor<float> out;
  Mirror<float, cpu::Backend>::download(host, out);
  CHECK(out.shape() == host.shape());
  CHECK(out.data() != host.data());
  CHECK(std::equal(out.data(), out.data() + out.size(), host.data()));
}

TEST_CASE("Mirror: on a device each call is one copy into the mirror's buffer", "[backend][mirror]") {
  Tensor<float> host(Shape(4, 1, 2, 2));
  for (Index i = 0; i < host.size(); ++i) host.data()[i] = 0.5f * float(i) - 3.0f;
  Mirror<float, EmulatedDevice> up, down;
  const TransferCounts before = EmulatedDeviceCounters::now();
  const ConstView<float, EmulatedDeviceSpace> d = up.upload(host);
  CHECK(EmulatedDeviceMemory::contains(d.data()));
  CHECK(d.shape() == host.shape());
  CHECK((EmulatedDeviceCounters::now() - before) == TransferCounts{1, 0, 0});
  // Raw values go to an [n, 1] copy; the buffer is reused, so the earlier view now shows them.
  const float* raw = up.upload(3, host.data() + 1);
  CHECK(raw == up.device().data());
  CHECK(up.device().shape() == Shape(3, 1));
  Tensor<float, EmulatedDeviceSpace> device(host.shape());
  EmulatedDevice::copy_from_host(host.size(), host.data(), device.data());
  const TransferCounts mid = EmulatedDeviceCounters::now();
  const ConstView<float> back = down.download(device);
  CHECK_FALSE(EmulatedDeviceMemory::contains(back.data()));
  CHECK((EmulatedDeviceCounters::now() - mid) == TransferCounts{0, 1, 1});
  CHECK(back.shape() == host.shape());
  CHECK(std::equal(back.data(), back.data() + back.size(), host.data()));
  Tensor<float> into;
  Mirror<float, EmulatedDevice>::download(device, into);
  CHECK(std::equal(into.data(), into.data() + into.size(), host.data()));
}
