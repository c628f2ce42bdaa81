#ifndef DISTILL_BACKEND_CPU_IM2COL_HPP
#define DISTILL_BACKEND_CPU_IM2COL_HPP

#include <algorithm>

#include "distill/backend/backend.hpp"

namespace distill::cpu {

/// Unfolds one image into the column-major matrix col (ld ≥ patches()): column
/// (c·k + kh)·k + kw holds the image shifted by (kh − p, kw − p), zero outside. With this layout
/// the convolution is col·W where W is PyTorch's weight seen as a taps × out_channels matrix.
template <class T>
void im2col(const ConvGeometry& g, const T* image, T* col, Index ld) {
  const Index ho = g.out_height(), wo = g.out_width(), k = g.kernel, p = g.padding;
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
