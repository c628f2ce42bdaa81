#ifndef DISTILL_DATA_PREPROCESS_IO_HPP
#define DISTILL_DATA_PREPROCESS_IO_HPP

#include <string>

#include "distill/data/preprocess.hpp"
#include "distill/data/safetensors.hpp"

namespace distill {

/// Stores a Preprocessing in a safetensors file under `prefix` (default "preprocess."): the
/// kind in the metadata, normalisation mean/std or the ZCA mean, transform and inverse as
/// tensors. Expert sets and synthetic sets carry it so evaluation applies the same transform.
inline void add_preprocessing(SafetensorsFile& file, const Preprocessing<float>& pre,
                              const std::string& prefix = "preprocess.") {
  file.metadata[prefix + "kind"] = to_string(pre.kind);
  if (pre.kind == PreprocessKind::kNormalize) {
    file.add(prefix + "mean", pre.normalization.mean);
    file.add(prefix + "std", pre.normalization.stddev);
  } else if (pre.kind == PreprocessKind::kZca) {
    const auto& zca = pre.zca;
    const std::int64_t d = zca.dim();
    file.metadata[prefix + "zca_eps"] = std::to_string(zca.eps());
    file.add(prefix + "zca_mean", zca.mean());
    // T and T⁻¹ are symmetric, so their column-major storage is also the row-major one.
    file.add(prefix + "zca_transform", zca.transform().data(), {d, d});
    file.add(prefix + "zca_inverse", zca.inverse().data(), {d, d});
  }
}

/// Reads what add_preprocessing stored; errors name `what` (usually the file) and the field.
inline Preprocessing<float> get_preprocessing(const SafetensorsFile& file, const std::string& what,
                                              const std::string& prefix = "preprocess.") {
  const auto kind_it = file.metadata.find(prefix + "kind");
  DISTILL_CHECK(kind_it != file.metadata.end(),
                what << ": metadata field '" << prefix << "kind' is missing");
  const PreprocessKind kind = parse_preprocess_kind(kind_it->second);
  if (kind == PreprocessKind::kNone) return Preprocessing<float>::none();
  if (kind == PreprocessKind::kNormalize) {
    ChannelNormalization n;
    n.mean = file.get<double>(prefix + "mean").values;
    n.stddev = file.get<double>(prefix + "std").values;
    DISTILL_CHECK(n.mean.size() == n.stddev.size() && !n.mean.empty(),
                  what << ": preprocessing mean and std have different or zero lengths");
    return Preprocessing<float>::normalize(n);
  }
  const auto eps_it = file.metadata.find(prefix + "zca_eps");
  DISTILL_CHECK(eps_it != file.metadata.end(),
                what << ": metadata field '" << prefix << "zca_eps' is missing");
  const Vector<float> mean = file.get_vector<float>(prefix + "zca_mean");
  const Index d = mean.size();
  auto matrix = [&](const std::string& name) {
    const auto a = file.get_f32(prefix + name);
    DISTILL_CHECK(a.shape.size() == 2 && a.shape[0] == d && a.shape[1] == d,
                  what << ": tensor '" << prefix << name << "' is not " << d << "x" << d);
    return typename ZcaWhitening<float>::Matrix(
        Eigen::Map<const typename ZcaWhitening<float>::Matrix>(a.values.data(), d, d));
  };
  return Preprocessing<float>::whiten(ZcaWhitening<float>::from_parameters(
      mean, matrix("zca_transform"), matrix("zca_inverse"), std::stod(eps_it->second)));
}

}  // namespace distill

#endif  // DISTILL_DATA_PREPROCESS_IO_HPP
