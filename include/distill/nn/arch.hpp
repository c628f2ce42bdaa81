#ifndef DISTILL_NN_ARCH_HPP
#define DISTILL_NN_ARCH_HPP

#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>
#include <utility>

#include "distill/nn/conv_net.hpp"

namespace distill {

/// A ConvNet variant chosen at run time by name, as the reference code names them:
/// "ConvNet" (depth 3, width 128, instance norm, average pooling) plus any of the suffixes
/// D<depth>, W<width>, BN | IN | NN (batch, instance, no norm), AP | MP | NP (average, max,
/// no pooling); e.g. "ConvNetD4", "ConvNetW64", "ConvNetBN", "ConvNetMP", "ConvNetD2W32NN".
struct ArchSpec {
  Index depth = 3, width = 128;
  enum class Norm { kInstance, kBatch, kNone } norm = Norm::kInstance;
  enum class Pool { kAvg, kMax, kNone } pool = Pool::kAvg;

  std::string name() const {
    std::string n = "ConvNet";
    if (depth != 3) n += "D" + std::to_string(depth);
    if (width != 128) n += "W" + std::to_string(width);
    if (norm == Norm::kBatch) n += "BN";
    if (norm == Norm::kNone) n += "NN";
    if (pool == Pool::kMax) n += "MP";
    if (pool == Pool::kNone) n += "NP";
    return n;
  }
};

inline ArchSpec parse_arch(const std::string& name) {
  DISTILL_CHECK(name.rfind("ConvNet", 0) == 0,
                "architecture '" << name << "': only ConvNet variants are available (e.g. ConvNet, "
                                    "ConvNetD4, ConvNetW64, ConvNetBN, ConvNetNN, ConvNetMP, ConvNetNP)");
  ArchSpec spec;
  std::size_t i = 7;
  auto number = [&](const char* what) {
    std::size_t j = i;
    while (j < name.size() && std::isdigit(static_cast<unsigned char>(name[j]))) ++j;
    DISTILL_CHECK(j > i && j - i <= 5, "architecture '" << name << "': " << what << " needs a number");
    const Index v = std::stol(name.substr(i, j - i));
    DISTILL_CHECK(v > 0, "architecture '" << name << "': " << what << " must be positive");
    i = j;
    return v;
  };
  while (i < name.size()) {
    const std::string rest = name.substr(i);
    if (rest[0] == 'D' && rest.size() > 1 && std::isdigit(static_cast<unsigned char>(rest[1]))) {
      ++i;
      spec.depth = number("depth");
    } else if (rest[0] == 'W' && rest.size() > 1 && std::isdigit(static_cast<unsigned char>(rest[1]))) {
      ++i;
      spec.width = number("width");
    } else if (rest.rfind("BN", 0) == 0 || rest.rfind("IN", 0) == 0 || rest.rfind("NN", 0) == 0) {
      spec.norm = rest[0] == 'B' ? ArchSpec::Norm::kBatch
                                 : rest[0] == 'I' ? ArchSpec::Norm::kInstance : ArchSpec::Norm::kNone;
      i += 2;
    } else if (rest.rfind("AP", 0) == 0 || rest.rfind("MP", 0) == 0 || rest.rfind("NP", 0) == 0) {
      spec.pool = rest[0] == 'A' ? ArchSpec::Pool::kAvg
                                 : rest[0] == 'M' ? ArchSpec::Pool::kMax : ArchSpec::Pool::kNone;
      i += 2;
    } else {
      DISTILL_CHECK(false, "architecture '" << name << "': unknown suffix '" << rest
                                            << "' (known: D<n>, W<n>, BN, IN, NN, AP, MP, NP)");
    }
  }
  return spec;
}

/// The ConvNet depth the references use for an image size: 3 blocks up to 32×32 (CIFAR, MNIST's
/// 28×28 and smaller), 4 for 64×64 (Tiny-ImageNet), 5 for 128×128 (the ImageNet subsets): past
/// 32×32 each doubling of the side adds a block, so the last feature map stays about 4×4.
inline Index conv_net_depth_for(Index height, Index width) {
  const double side = double(std::max<Index>(1, std::min(height, width)));
  return std::max<Index>(3, Index(std::lround(std::log2(side))) - 2);
}

/// Builds the ConvNet that `spec` names (depth and width as run-time values) on `Backend` and
/// calls f(net); returns what f returns. The data shape comes from `data` (its net_width/net_depth
/// are ignored).
template <class Scalar, class Backend = cpu::Backend, class F>
decltype(auto) visit_conv_net(const ArchSpec& spec, ConvNetConfig data, F&& f) {
  data.net_depth = spec.depth;
  data.net_width = spec.width;
  auto with_pool = [&](auto norm_tag) -> decltype(auto) {
    using N = decltype(norm_tag);
    switch (spec.pool) {
      case ArchSpec::Pool::kMax: {
        ConvNet<Scalar, Dynamic, Dynamic, N, pool::Max, Backend> net(data);
        return f(net);
      }
      case ArchSpec::Pool::kNone: {
        ConvNet<Scalar, Dynamic, Dynamic, N, pool::None, Backend> net(data);
        return f(net);
      }
      default: {
        ConvNet<Scalar, Dynamic, Dynamic, N, pool::Avg, Backend> net(data);
        return f(net);
      }
    }
  };
  switch (spec.norm) {
    case ArchSpec::Norm::kBatch:
      return with_pool(norm::Batch{});
    case ArchSpec::Norm::kNone:
      return with_pool(norm::None{});
    default:
      return with_pool(norm::Instance{});
  }
}

}  // namespace distill

#endif  // DISTILL_NN_ARCH_HPP
