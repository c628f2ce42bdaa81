#ifndef DISTILL_TRAIN_PREPARE_DATA_HPP
#define DISTILL_TRAIN_PREPARE_DATA_HPP

#include <string>

#include "distill/backend/cpu/backend.hpp"
#include "distill/data/dataset.hpp"
#include "distill/data/preprocess.hpp"
#include "distill/data/zca_backend.hpp"
#include "distill/nn/arch.hpp"
#include "distill/train/experts.hpp"

namespace distill {

// How a run's images are preprocessed: in the experts' space when there are experts, else by
// the run's own choice of ZCA or per-channel normalisation.

/// The preprocessing of a run without experts: ZCA fitted on the training set (ε = 0.1, as the
/// MTT code) when `zca`, else per-channel normalisation with CIFAR-10's published statistics
/// for "cifar10" and fitted ones for other data. Off the host, ZCA's covariance is accumulated
/// on `Backend` (fit_zca).
template <class Backend = cpu::Backend>
Preprocessing<float> choose_preprocessing(const Dataset<float>& train, bool zca, const std::string& dataset) {
  if (zca) {
    if constexpr (kHostAccessible<typename Backend::memory_space>)
      return Preprocessing<float>::whiten(ZcaWhitening<float>(train.images.cview(), 0.1));
    else
      return Preprocessing<float>::whiten(fit_zca<Backend>(train.images.cview(), 0.1));
  }
  return Preprocessing<float>::normalize(dataset == "cifar10" ? cifar10_mean_std()
                                                              : ChannelNormalization::fit(train.images.cview()));
}

/// Preprocesses both splits for a run: with the experts' transform when there are experts (the
/// matching compares parameters trained in that space), else choose_preprocessing(zca). The
/// transform is also recorded in `experts`, where the Distiller reads it, with the dataset
/// and a default architecture when there are no experts (ConvNet, its depth by conv_net_depth_for).
/// ZCA's products run on `Backend`.
template <class Backend = cpu::Backend>
void prepare_run_data(DatasetSplits<float>& data, ExpertSet& experts, bool zca, const std::string& dataset) {
  if (experts.size() == 0) {
    experts.preprocessing = choose_preprocessing<Backend>(data.train, zca, dataset);
    experts.dataset = dataset;
    if (experts.arch.empty()) {  // the depth follows the image size, as the references choose it
      ArchSpec arch;
      arch.depth = conv_net_depth_for(data.train.height(), data.train.width());
      experts.arch = arch.name();
    }
  }
  apply_preprocessing<Backend>(experts.preprocessing, data.train.images.view());
  apply_preprocessing<Backend>(experts.preprocessing, data.test.images.view());
}

}  // namespace distill

#endif  // DISTILL_TRAIN_PREPARE_DATA_HPP
