#ifndef DISTILL_DATA_IMAGE_FOLDER_IMPL_HPP
#define DISTILL_DATA_IMAGE_FOLDER_IMPL_HPP

#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "distill/data/image_folder.hpp"

// stb_image and stb_image_resize (Debian's libstb-dev), compiled into each translation unit
// with internal linkage, as data/png.hpp does for stb_image_write.
#ifndef STBI_INCLUDE_STB_IMAGE_H
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_NO_STDIO_WARNINGS
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-variable"
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#endif
#include <stb/stb_image.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
#undef STB_IMAGE_IMPLEMENTATION
#undef STB_IMAGE_STATIC
#endif
#ifndef STBIR_INCLUDE_STB_IMAGE_RESIZE_H
#define STB_IMAGE_RESIZE_STATIC
#define STB_IMAGE_RESIZE_IMPLEMENTATION
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#endif
#include <stb/stb_image_resize.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
#undef STB_IMAGE_RESIZE_IMPLEMENTATION
#undef STB_IMAGE_RESIZE_STATIC
#endif

namespace distill {
namespace detail {

inline bool is_image_file(const std::filesystem::path& p) {
  std::string ext = p.extension().string();
  for (char& c : ext) c = char(std::tolower(static_cast<unsigned char>(c)));
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg";
}

/// The image files directly inside `dir`, sorted by name.
inline std::vector<std::filesystem::path> image_files(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.is_regular_file() && is_image_file(e.path())) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

/// One decoded RGB image, 8 bits per channel, interleaved (HWC).
struct DecodedImage {
  int width = 0, height = 0;
  std::vector<unsigned char> rgb;
};

inline DecodedImage decode_image(const std::filesystem::path& file, Index size) {
  int w = 0, h = 0, channels = 0;
  unsigned char* pixels = stbi_load(file.string().c_str(), &w, &h, &channels, 3);
  DISTILL_CHECK(pixels != nullptr, file.string() << ": cannot decode the image (" << stbi_failure_reason() << ")");
  DecodedImage img;
  if (size > 0 && (w != size || h != size)) {
    img.width = img.height = int(size);
    img.rgb.resize(std::size_t(size) * std::size_t(size) * 3);
    const int ok = stbir_resize_uint8(pixels, w, h, 0, img.rgb.data(), int(size), int(size), 0, 3);
    stbi_image_free(pixels);
    DISTILL_CHECK(ok, file.string() << ": cannot resize the " << w << "x" << h << " image to " << size << "x" << size);
    return img;
  }
  img.width = w;
  img.height = h;
  img.rgb.assign(pixels, pixels + std::size_t(w) * std::size_t(h) * 3);
  stbi_image_free(pixels);
  return img;
}

/// Decodes `files` (labels alongside) into a dataset; sizes must agree unless resized.
template <class Scalar>
Dataset<Scalar> decode_images(const std::vector<std::filesystem::path>& files, const std::vector<int>& labels,
                              const std::vector<std::string>& classes, Index size) {
  Dataset<Scalar> d;
  d.classes = Index(classes.size());
  d.class_names = classes;
  d.labels = labels;
  std::array<Scalar, 256> scale{};  // pixel/255, as the CIFAR reader computes it
  for (int p = 0; p < 256; ++p) scale[std::size_t(p)] = Scalar(p) / Scalar(255);
  std::filesystem::path first;
  for (std::size_t i = 0; i < files.size(); ++i) {
    const DecodedImage img = decode_image(files[i], size);
    if (i == 0) {
      first = files[i];
      d.images.resize(Shape(Index(files.size()), 3, img.height, img.width));
    }
    const Shape s = d.images.shape();
    DISTILL_CHECK(img.height == s.h && img.width == s.w,
                  files[i].string() << ": the image is " << img.width << "x" << img.height << ", but "
                                    << first.string() << " is " << s.w << "x" << s.h
                                    << " (give a size to resize every image on load)");
    Scalar* out = d.images.data() + Index(i) * s.sample_size();
    const Index plane = s.h * s.w;
    for (Index q = 0; q < plane; ++q)
      for (Index c = 0; c < 3; ++c) out[c * plane + q] = scale[img.rgb[std::size_t(q * 3 + c)]];
  }
  return d;
}

inline std::vector<std::string> sub_folders(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.is_directory()) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace detail

inline std::vector<std::string> image_folder_classes(const std::string& dir) {
  DISTILL_CHECK(std::filesystem::is_directory(dir), dir << ": not a folder");
  const std::vector<std::string> classes = detail::sub_folders(dir);
  DISTILL_CHECK(!classes.empty(), dir << ": no class folders (expected one sub-folder of images per class)");
  return classes;
}

template <class Scalar>
Dataset<Scalar> load_image_folder_split(const std::string& dir, const std::vector<std::string>& classes,
                                        const ImageFolderOptions& options, const std::string& image_subdir) {
  std::vector<std::filesystem::path> files;
  std::vector<int> labels;
  for (std::size_t k = 0; k < classes.size(); ++k) {
    std::filesystem::path folder = std::filesystem::path(dir) / classes[k];
    if (!image_subdir.empty()) folder /= image_subdir;
    DISTILL_CHECK(std::filesystem::is_directory(folder), folder.string() << ": class folder missing");
    const auto found = detail::image_files(folder);
    DISTILL_CHECK(!found.empty(), folder.string() << ": class folder with no images (PNG or JPEG)");
    files.insert(files.end(), found.begin(), found.end());
    labels.insert(labels.end(), found.size(), int(k));
  }
  Dataset<Scalar> d = detail::decode_images<Scalar>(files, labels, classes, options.size);
  d.validate(dir);
  return d;
}

template <class Scalar>
DatasetSplits<Scalar> load_image_folder(const std::string& dir, const ImageFolderOptions& options) {
  namespace fs = std::filesystem;
  const fs::path root(dir);
  const fs::path train = root / "train";
  DISTILL_CHECK(fs::is_directory(train), dir << ": no train/ folder (expected train/<class>/… and test/<class>/…, "
                                                "or Tiny-ImageNet's train/ and val/)");
  const fs::path annotations = root / "val" / "val_annotations.txt";
  DatasetSplits<Scalar> s;
  if (fs::exists(annotations)) {
    // Tiny-ImageNet: train/<wnid>/images/*.JPEG; val/images/* labelled by the annotations.
    const std::vector<std::string> classes = image_folder_classes(train.string());
    s.train = load_image_folder_split<Scalar>(train.string(), classes, options, "images");
    std::map<std::string, int> label_of;
    for (std::size_t k = 0; k < classes.size(); ++k) label_of[classes[k]] = int(k);
    std::ifstream in(annotations);
    DISTILL_CHECK(in, annotations.string() << ": cannot open");
    std::vector<fs::path> files;
    std::vector<int> labels;
    std::string line;
    for (Index n = 1; std::getline(in, line); ++n) {
      if (line.empty()) continue;
      std::istringstream fields(line);
      std::string file, wnid;
      fields >> file >> wnid;
      DISTILL_CHECK(!file.empty() && !wnid.empty(),
                    annotations.string() << ": line " << n << ": expected '<file> <wnid> …', got '" << line << "'");
      const auto it = label_of.find(wnid);
      DISTILL_CHECK(it != label_of.end(), annotations.string() << ": line " << n << ": class '" << wnid
                                                               << "' has no folder in " << train.string());
      files.push_back(root / "val" / "images" / file);
      labels.push_back(it->second);
    }
    DISTILL_CHECK(!files.empty(), annotations.string() << ": no images listed");
    s.test = detail::decode_images<Scalar>(files, labels, classes, options.size);
  } else {
    const fs::path test = fs::is_directory(root / "test") ? root / "test" : root / "val";
    DISTILL_CHECK(fs::is_directory(test), dir << ": no test/ (or val/) folder beside train/");
    const std::vector<std::string> classes = image_folder_classes(train.string());
    for (const std::string& c : detail::sub_folders(test))
      DISTILL_CHECK(std::find(classes.begin(), classes.end(), c) != classes.end(),
                    (test / c).string() << ": class '" << c << "' has no folder in " << train.string());
    s.train = load_image_folder_split<Scalar>(train.string(), classes, options);
    s.test = load_image_folder_split<Scalar>(test.string(), classes, options);
  }
  const Shape a = s.train.images.shape(), b = s.test.images.shape();
  DISTILL_CHECK(a.h == b.h && a.w == b.w, dir << ": train images are " << a.w << "x" << a.h << " but test images are "
                                              << b.w << "x" << b.h << " (give a size to resize on load)");
  return s;
}

}  // namespace distill

#endif  // DISTILL_DATA_IMAGE_FOLDER_IMPL_HPP
