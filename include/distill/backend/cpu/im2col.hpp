#ifndef DISTILL_BACKEND_CPU_IM2COL_HPP
#define DISTILL_BACKEND_CPU_IM2COL_HPP

#include <algorithm>

#include "distill/backend/backend.hpp"

namespace distill::cpu {

// im2col when the output is as wide as the input (padding (k − 1)/2, e.g. 3×3 with padding 1):
// a tap's valid output rows then read consecutive input rows with the same stride, so the whole
// tap is one contiguous copy shifted by kw − p, after which the |kw − p| values a row took from its
// neighbouring row are zeroed. The same values as the general loop, in a few long copies instead
// of one short loop per row.
template <class T>
void im2col_same_width(const ConvGeometry& g, const T* image, T* col, Index ld) {
  const Index ho = g.out_height(), w = g.width, k = g.kernel, p = g.padding;
  for (Index c = 0; c < g.channels; ++c) {
    const T* plane = image + c * g.height * w;
    for (Index kh = 0; kh < k; ++kh) {
      const Index oh_begin = std::max<Index>(0, p - kh);
      const Index oh_end = std::max(oh_begin, std::min<Index>(ho, g.height + p - kh));
      for (Index kw = 0; kw < k; ++kw) {
        T* out = col + ((c * k + kh) * k + kw) * ld;
        std::fill(out, out + oh_begin * w, T(0));
        std::fill(out + oh_end * w, out + ho * w, T(0));
        if (oh_begin == oh_end) continue;
        const Index shift = kw - p, n = (oh_end - oh_begin) * w;
        const Index lead = std::max<Index>(0, -shift), tail = std::max<Index>(0, shift);
        T* dst = out + oh_begin * w;
        const T* src = plane + (oh_begin + kh - p) * w + (shift + lead);  // input of dst[lead]
        if (n > lead + tail) std::copy(src, src + (n - lead - tail), dst + lead);
        for (Index r = 0; r < n; r += w) {
          std::fill(dst + r, dst + r + std::min(lead, w), T(0));
          std::fill(dst + r + w - std::min(tail, w), dst + r + w, T(0));
        }
      }
    }
  }
}

/// Unfolds one image into the column-major matrix col (ld ≥ patches()): column
/// (c·k + kh)·k + kw holds the image shifted by (kh − p, kw − p), zero outside. With this layout
/// the convolution is col·W where W is PyTorch's weight seen as a taps × out_channels matrix.
template <class T>
void im2col(const ConvGeometry& g, const T* image, T* col, Index ld) {
  const Index ho = g.out_height(), wo = g.out_width(), k = g.kernel, p = g.padding;
  if (wo == g.width) return im2col_same_width(g, image, col, ld);
  for (Index c = 0; c < g.channels; ++c) {
    const T* plane = image + c * g.height * g.width;
    for (Index kh = 0; kh < k; ++kh) {
      for (Index kw = 0; kw < k; ++kw) {
        T* out = col + ((c * k + kh) * k + kw) * ld;
        const Index ow_begin = std::max<Index>(0, p - kw);
        const Index ow_end = std::min<Index>(wo, g.width + p - kw);
        for (Index oh = 0; oh < ho; ++oh) {
          T* row = out + oh * wo;
          const Index ih = oh + kh - p;
          if (ih < 0 || ih >= g.height || ow_begin >= ow_end) {
            std::fill(row, row + wo, T(0));
            continue;
          }
          const T* src = plane + ih * g.width + (kw - p);
          std::fill(row, row + ow_begin, T(0));
          for (Index ow = ow_begin; ow < ow_end; ++ow) row[ow] = src[ow];
          std::fill(row + ow_end, row + wo, T(0));
        }
      }
    }
  }
}

/// The transpose of im2col: image = Σ over taps of the shifted columns (overwrites image).
template <class T>
void col2im(const ConvGeometry& g, const T* col, Index ld, T* image) {
  const Index ho = g.out_height(), wo = g.out_width(), k = g.kernel, p = g.padding;
  std::fill(image, image + g.channels * g.height * g.width, T(0));
  for (Index c = 0; c < g.channels; ++c) {
    T* plane = image + c * g.height * g.width;
    for (Index kh = 0; kh < k; ++kh) {
      for (Index kw = 0; kw < k; ++kw) {
        const T* in = col + ((c * k + kh) * k + kw) * ld;
        const Index ow_begin = std::max<Index>(0, p - kw);
        const Index ow_end = std::min<Index>(wo, g.width + p - kw);
        for (Index oh = 0; oh < ho; ++oh) {
          const Index ih = oh + kh - p;
          if (ih < 0 || ih >= g.height) continue;
          const T* row = in + oh * wo;
          T* dst = plane + ih * g.width + (kw - p);
          for (Index ow = ow_begin; ow < ow_end; ++ow) dst[ow] += row[ow];
        }
      }
    }
  }
}

}  // namespace distill::cpu

#endif  // DISTILL_BACKEND_CPU_IM2COL_HPP
