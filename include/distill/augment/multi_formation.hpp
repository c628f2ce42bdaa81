#ifndef DISTILL_AUGMENT_MULTI_FORMATION_HPP
#define DISTILL_AUGMENT_MULTI_FORMATION_HPP

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "distill/augment/multi_formation_kernels.hpp"
#include "distill/core/error.hpp"
#include "distill/core/tensor.hpp"
#include "distill/data/synthetic_set.hpp"

namespace distill {

/// IDC's multi-formation parameterisation: a stored H×W image holds f×f tiles of (H/f)×(W/f);
/// decoding cuts them out and up-samples each bilinearly back to H×W (PyTorch's
/// `interpolate(mode='bilinear', align_corners=False)`), so a set of n stored images trains as
/// n·f² images. Decoded image i·f² + a·f + b is tile (row a, column b) of stored image i, so a
/// class-major stored set decodes to a class-major set.
namespace formation {

inline std::vector<Tap> taps(Index in, Index out) {
  std::vector<Tap> t(static_cast<std::size_t>(out));
  for (Index o = 0; o < out; ++o) t[o] = tap(o, in, out);
  return t;
}

inline void check_factor(const Shape& s, Index factor) {
  DISTILL_CHECK(factor >= 1, "multi-formation: factor must be at least 1, got " << factor);
  DISTILL_CHECK(s.h % factor == 0 && s.w % factor == 0,
                "multi-formation: factor " << factor << " does not divide the image size " << s.h << "x" << s.w);
}

}  // namespace formation

/// The decoded shape of `stored` under `factor`.
inline Shape decoded_shape(const Shape& stored, Index factor) {
  return Shape(stored.n * factor * factor, stored.c, stored.h, stored.w);
}

/// decoded = D_f(stored); `decoded` has decoded_shape(stored.shape(), factor).
template <class Scalar>
void decode_formation(ConstView<Scalar> stored, Index factor, MutableView<Scalar> decoded) {
  const Shape s = stored.shape();
  formation::check_factor(s, factor);
  check_shape(decoded_shape(s, factor), decoded.shape(), "decode_formation output");
  const Index th = s.h / factor, tw = s.w / factor;
  const auto ty = formation::taps(th, s.h), tx = formation::taps(tw, s.w);
  for (Index i = 0; i < s.n; ++i)
    for (Index a = 0; a < factor; ++a)
      for (Index b = 0; b < factor; ++b) {
        Scalar* out = decoded.sample((i * factor + a) * factor + b);
        for (Index c = 0; c < s.c; ++c) {
          const Scalar* src = stored.sample(i) + c * s.plane() + (a * th) * s.w + b * tw;
          Scalar* dst = out + c * s.plane();
          for (Index y = 0; y < s.h; ++y) {
            const auto& v = ty[y];
            const Scalar* r0 = src + v.i0 * s.w;
            const Scalar* r1 = src + v.i1 * s.w;
            for (Index x = 0; x < s.w; ++x) {
              const auto& u = tx[x];
              dst[y * s.w + x] = Scalar(v.w0 * (u.w0 * r0[u.i0] + u.w1 * r0[u.i1]) +
                                        v.w1 * (u.w0 * r1[u.i0] + u.w1 * r1[u.i1]));
            }
          }
        }
      }
}

/// The VJP of decode_formation: grad_stored = D_fᵀ · grad_decoded (overwritten).
template <class Scalar>
void decode_formation_vjp(ConstView<Scalar> grad_decoded, Index factor, MutableView<Scalar> grad_stored) {
  const Shape s = grad_stored.shape();
  formation::check_factor(s, factor);
  check_shape(decoded_shape(s, factor), grad_decoded.shape(), "decode_formation_vjp input");
  std::fill(grad_stored.data(), grad_stored.data() + s.size(), Scalar(0));
  const Index th = s.h / factor, tw = s.w / factor;
  const auto ty = formation::taps(th, s.h), tx = formation::taps(tw, s.w);
  for (Index i = 0; i < s.n; ++i)
    for (Index a = 0; a < factor; ++a)
      for (Index b = 0; b < factor; ++b) {
        const Scalar* g = grad_decoded.sample((i * factor + a) * factor + b);
        for (Index c = 0; c < s.c; ++c) {
          Scalar* dst = grad_stored.sample(i) + c * s.plane() + (a * th) * s.w + b * tw;
          const Scalar* gc = g + c * s.plane();
          for (Index y = 0; y < s.h; ++y) {
            const auto& v = ty[y];
            Scalar* r0 = dst + v.i0 * s.w;
            Scalar* r1 = dst + v.i1 * s.w;
            for (Index x = 0; x < s.w; ++x) {
              const auto& u = tx[x];
              const double gy = gc[y * s.w + x];
              r0[u.i0] += Scalar(gy * v.w0 * u.w0);
              r0[u.i1] += Scalar(gy * v.w0 * u.w1);
              r1[u.i0] += Scalar(gy * v.w1 * u.w0);
              r1[u.i1] += Scalar(gy * v.w1 * u.w1);
            }
          }
        }
      }
}

/// decode_formation in a backend's memory, a value per call of the backend's for_each (a GPU
/// thread per decoded value); equal to the host version to the bit.
template <class Backend, class Scalar>
void decode_formation(ConstView<Scalar, typename Backend::memory_space> stored, Index factor,
                      MutableView<Scalar, typename Backend::memory_space> decoded) {
  const Shape s = stored.shape();
  formation::check_factor(s, factor);
  check_shape(decoded_shape(s, factor), decoded.shape(), "decode_formation output");
  Backend::for_each(decoded.size(), detail::FormationDecodeElement<Scalar>{s, factor, stored.data(), decoded.data()});
}

/// decode_formation_vjp in a backend's memory, a stored value per call (a gather: no atomics);
/// equal to the host version to the bit.
template <class Backend, class Scalar>
void decode_formation_vjp(ConstView<Scalar, typename Backend::memory_space> grad_decoded, Index factor,
                          MutableView<Scalar, typename Backend::memory_space> grad_stored) {
  const Shape s = grad_stored.shape();
  formation::check_factor(s, factor);
  check_shape(decoded_shape(s, factor), grad_decoded.shape(), "decode_formation_vjp input");
  Backend::for_each(grad_stored.size(),
                    detail::FormationDecodeVjpElement<Scalar>{s, factor, grad_decoded.data(), grad_stored.data()});
}

/// The initial stored images of IDC's "mix" init: stored image i tiles full-size images
/// i·f² … i·f² + f² − 1 of `full`, each shrunk by f×f box averaging (the decoder's order).
template <class Scalar>
void encode_mosaic(ConstView<Scalar> full, Index factor, MutableView<Scalar> stored) {
  const Shape s = stored.shape();
  formation::check_factor(s, factor);
  check_shape(decoded_shape(s, factor), full.shape(), "encode_mosaic input");
  const Index th = s.h / factor, tw = s.w / factor;
  const double area = double(factor * factor);
  for (Index i = 0; i < s.n; ++i)
    for (Index a = 0; a < factor; ++a)
      for (Index b = 0; b < factor; ++b) {
        const Scalar* src = full.sample((i * factor + a) * factor + b);
        for (Index c = 0; c < s.c; ++c)
          for (Index y = 0; y < th; ++y)
            for (Index x = 0; x < tw; ++x) {
              double sum = 0;
              for (Index dy = 0; dy < factor; ++dy)
                for (Index dx = 0; dx < factor; ++dx)
                  sum += src[c * s.plane() + (y * factor + dy) * s.w + x * factor + dx];
              stored.sample(i)[c * s.plane() + (a * th + y) * s.w + b * tw + x] = Scalar(sum / area);
            }
      }
}

/// The factor a set was distilled with: its info field "formation_factor", 1 when absent.
inline Index formation_factor(const SyntheticSet& set) {
  const auto it = set.info.find("formation_factor");
  if (it == set.info.end()) return 1;
  Index f = 0;
  try {
    std::size_t used = 0;
    f = std::stol(it->second, &used);
    DISTILL_CHECK(used == it->second.size(), "");
  } catch (const std::exception&) {
    f = 0;
  }
  DISTILL_CHECK(f >= 1, "synthetic set: field 'formation_factor' is '" << it->second << "', expected a positive integer");
  return f;
}

/// The set a network trains on: the stored set itself, or its multi-formation decoding with
/// the labels (hard and soft) repeated f² times. Evaluation always goes through this.
inline SyntheticSet decoded_set(const SyntheticSet& set) {
  const Index f = formation_factor(set);
  if (f == 1) return set;
  SyntheticSet d = set;
  d.images.resize(decoded_shape(set.images.shape(), f));
  decode_formation(set.images.cview(), f, d.images.view());
  const Index k = f * f;
  d.labels.clear();
  for (int y : set.labels) d.labels.insert(d.labels.end(), static_cast<std::size_t>(k), y);
  if (set.has_soft_labels()) {
    const Index classes = set.label_logits.shape().c;
    d.label_logits.resize(Shape(set.size() * k, classes));
    for (Index i = 0; i < set.size(); ++i)
      for (Index j = 0; j < k; ++j)
        std::copy(set.label_logits.cview().sample(i), set.label_logits.cview().sample(i) + classes,
                  d.label_logits.view().sample(i * k + j));
  }
  d.info.erase("formation_factor");
  d.info["decoded_from_factor"] = std::to_string(f);
  return d;
}

}  // namespace distill

#endif  // DISTILL_AUGMENT_MULTI_FORMATION_HPP
