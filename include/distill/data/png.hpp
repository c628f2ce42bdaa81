#ifndef DISTILL_DATA_PNG_HPP
#define DISTILL_DATA_PNG_HPP

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "distill/core/error.hpp"
#include "distill/core/tensor.hpp"
#include "distill/data/file_io.hpp"

// stb_image_write (Debian's libstb-dev) is compiled into every translation unit that includes
// this header, with internal linkage (STB_IMAGE_WRITE_STATIC), so a header-only library needs
// no separate .c file and several translation units of one program do not clash at link time.
// A translation unit that included <stb/stb_image_write.h> itself before this header keeps its
// own declarations and must link an implementation, as stb's usual rule says.
#ifndef INCLUDE_STB_IMAGE_WRITE_H
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-variable"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#endif
#include <stb/stb_image_write.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
#undef STB_IMAGE_WRITE_IMPLEMENTATION
#undef STB_IMAGE_WRITE_STATIC
#endif

namespace distill {

/// How write_png_grid turns values into colours.
struct PngGridOptions {
  /// Pixels of background between neighbouring cells (none around the border).
  Index gap = 2;
  /// Each image pixel becomes an upscale×upscale block (nearest neighbour).
  Index upscale = 1;
  /// Stretch each image's own [min, max] (over all its channels) to [0, 1] instead of
  /// clipping to [0, 1]; a constant image becomes mid grey.
  bool stretch = false;
  /// Grey level 0–255 of the gap.
  int background = 255;
};

namespace detail {

inline void append_png_bytes(void* context, void* data, int size) {
  auto* out = static_cast<std::vector<unsigned char>*>(context);
  const auto* bytes = static_cast<const unsigned char*>(data);
  out->insert(out->end(), bytes, bytes + size);
}

}  // namespace detail

/// The PNG bytes of `images` ([rows·cols, C, H, W], C = 1 or 3) as one grid of `rows` × `cols`
/// cells, image i in row i / cols and column i % cols, so images given class-major put one
/// class per row. Values are taken as colours in [0, 1] (invert the preprocessing first), then
/// clipped (or stretched per image, see PngGridOptions) and rounded to 8 bits; NaN becomes 0.
/// `path` only names the image in errors (a file to be, or a report it is embedded in).
template <class Scalar>
std::vector<unsigned char> encode_png_grid(const std::string& path, ConstView<Scalar> images, Index rows, Index cols,
                                           const PngGridOptions& options = {}) {
  const Shape s = images.shape();
  DISTILL_CHECK(rows > 0 && cols > 0 && s.n == rows * cols,
                "write_png_grid '" << path << "': " << s.n << " images do not fill a " << rows
                                   << " x " << cols << " grid");
  DISTILL_CHECK(
      !images.empty() && (s.c == 1 || s.c == 3) && s.h > 0 && s.w > 0,
      "write_png_grid '" << path << "': images " << s << " must be non-empty with 1 or 3 channels");
  DISTILL_CHECK(options.gap >= 0 && options.upscale >= 1 && options.background >= 0 &&
                    options.background <= 255,
                "write_png_grid '" << path << "': bad options (gap " << options.gap << ", upscale "
                                   << options.upscale << ", background " << options.background
                                   << ")");
  const Index cell_h = s.h * options.upscale, cell_w = s.w * options.upscale;
  const Index height = rows * cell_h + (rows - 1) * options.gap;
  const Index width = cols * cell_w + (cols - 1) * options.gap;
  const Index stride = width * s.c;
  // stb sizes its buffers with int arithmetic: (stride + 1)·height bytes of filtered rows.
  DISTILL_CHECK((stride + 1) * height <= std::numeric_limits<int>::max(),
                "write_png_grid '" << path << "': " << width << " x " << height
                                   << " pixels is too large for a PNG");

  std::vector<unsigned char> pixels(static_cast<std::size_t>(height * stride),
                                    static_cast<unsigned char>(options.background));
  const Index plane = s.plane();
  for (Index i = 0; i < s.n; ++i) {
    const Scalar* img = images.sample(i);
    double lo = 0, scale = 1;
    if (options.stretch) {
      const auto v = Eigen::Map<const Vector<Scalar>>(img, s.sample_size());
      // NaN-free extremes: a single NaN must not turn the whole image grey.
      double mn = std::numeric_limits<double>::infinity(), mx = -mn;
      for (Index k = 0; k < v.size(); ++k) {
        const double x = double(v[k]);
        if (std::isnan(x)) continue;
        mn = std::min(mn, x);
        mx = std::max(mx, x);
      }
      if (mx > mn) {
        lo = mn;
        scale = 1.0 / (mx - mn);
      } else {
        lo = mn - 0.5;  // constant image: mid grey
      }
    }
    const Index top = (i / cols) * (cell_h + options.gap),
                left = (i % cols) * (cell_w + options.gap);
    for (Index y = 0; y < cell_h; ++y) {
      unsigned char* row = pixels.data() + (top + y) * stride + left * s.c;
      const Index sy = y / options.upscale;
      for (Index x = 0; x < cell_w; ++x) {
        const Index sx = x / options.upscale;
        for (Index c = 0; c < s.c; ++c) {
          const double v = (double(img[c * plane + sy * s.w + sx]) - lo) * scale;
          const double clipped = std::isnan(v) ? 0.0 : std::min(1.0, std::max(0.0, v));
          row[x * s.c + c] = static_cast<unsigned char>(std::lround(clipped * 255.0));
        }
      }
    }
  }

  std::vector<unsigned char> png;
  const int ok = stbi_write_png_to_func(&detail::append_png_bytes, &png, int(width), int(height),
                                        int(s.c), pixels.data(), int(stride));
  DISTILL_CHECK(ok != 0 && !png.empty(), "cannot write '" << path << "': PNG encoding failed");
  return png;
}

/// encode_png_grid written to `path`; the file appears atomically (write_file_atomic), and
/// distill::error names `path` on failure.
template <class Scalar>
void write_png_grid(const std::string& path, ConstView<Scalar> images, Index rows, Index cols,
                    const PngGridOptions& options = {}) {
  const std::vector<unsigned char> png = encode_png_grid(path, images, rows, cols, options);
  write_file_atomic(path, {{png.data(), png.size()}});
}

}  // namespace distill

#endif  // DISTILL_DATA_PNG_HPP
