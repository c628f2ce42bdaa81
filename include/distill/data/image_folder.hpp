#ifndef DISTILL_DATA_IMAGE_FOLDER_HPP
#define DISTILL_DATA_IMAGE_FOLDER_HPP

#include <string>
#include <vector>

#include "distill/data/dataset.hpp"

namespace distill {

/// How image folders are read.
struct ImageFolderOptions {
  Index size = 0;  ///< > 0: every image is resized to size × size on load; 0: sizes must agree
};

/// The class folders of an ImageFolder split: the sub-folders of `dir`, sorted by name (the
/// labels, as torchvision's ImageFolder assigns them).
inline std::vector<std::string> image_folder_classes(const std::string& dir);

/// Reads one split in torchvision's ImageFolder layout: `dir/<class>/<image>` for the given
/// classes (label = position in `classes`), every PNG or JPEG (by extension, any case) decoded
/// with stb_image to RGB in [0, 1], in class order and then file-name order. `image_subdir`
/// ("images" for Tiny-ImageNet's train split) is a folder inside each class folder that holds
/// the images. Throws distill::error naming the file for an image that does not decode, a class
/// folder with no images, or images of different sizes when options.size is 0.
template <class Scalar = float>
Dataset<Scalar> load_image_folder_split(const std::string& dir, const std::vector<std::string>& classes,
                                        const ImageFolderOptions& options = {}, const std::string& image_subdir = "");

/// Reads a dataset kept as folders of images:
///  - Tiny-ImageNet's layout when `dir/val/val_annotations.txt` exists: train/<wnid>/images/*,
///    and val/images/* labelled by val_annotations.txt (file, wnid, box), the test split;
///  - otherwise ImageFolder: dir/train/<class>/* and dir/test/<class>/* (or dir/val/<class>/*),
///    the classes those of train, which the test split must not extend.
/// Class names are the folder names (wnids for Tiny-ImageNet).
template <class Scalar = float>
DatasetSplits<Scalar> load_image_folder(const std::string& dir, const ImageFolderOptions& options = {});

}  // namespace distill

#include "distill/data/image_folder_impl.hpp"

#endif  // DISTILL_DATA_IMAGE_FOLDER_HPP
