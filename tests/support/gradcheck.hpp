#ifndef DISTILL_TESTS_SUPPORT_GRADCHECK_HPP
#define DISTILL_TESTS_SUPPORT_GRADCHECK_HPP

// Central finite differences in double precision for the four passes of a layer or loss.

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include <catch2/catch.hpp>

#include "distill/core/rng.hpp"
#include "distill/core/shape.hpp"
#include "distill/core/tensor.hpp"

namespace distill::test {

using Vec = std::vector<double>;

inline Vec random_vec(Index n, std::uint64_t seed, double scale = 1.0) {
  Rng rng(seed, 0xC0FFEE);
  Vec v(static_cast<std::size_t>(n));
  for (auto& x : v) x = scale * rng.normal();
  return v;
}

/// ‖a − b‖ / max(‖a‖, ‖b‖, tiny).
inline double relative_error(const Vec& a, const Vec& b) {
  REQUIRE(a.size() == b.size());
  double d = 0, na = 0, nb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    d += (a[i] - b[i]) * (a[i] - b[i]);
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return std::sqrt(d) / std::max({std::sqrt(na), std::sqrt(nb), 1e-300});
}

inline Vec axpy(const Vec& x, double a, const Vec& y) {
  Vec r = x;
  if (y.empty()) return r;
  for (std::size_t i = 0; i < r.size(); ++i) r[i] += a * y[i];
  return r;
}

inline double dot(const Vec& a, const Vec& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

/// Coordinates to probe: all of them up to `limit`, else a fixed random subset.
inline std::vector<std::size_t> probe_coordinates(std::size_t n, std::size_t limit,
                                                  std::uint64_t seed) {
  std::vector<std::size_t> idx;
  if (n <= limit) {
    for (std::size_t i = 0; i < n; ++i) idx.push_back(i);
    return idx;
  }
  Rng rng(seed, 77);
  for (std::size_t i = 0; i < limit; ++i) idx.push_back(static_cast<std::size_t>(rng.below(n)));
  return idx;
}

/// Relative error between `grad` and central differences of f at `x`, over probe_coordinates.
inline double tensor_gradient_error(const Tensor<double>& x, const Tensor<double>& grad,
                                    const std::function<double(const Tensor<double>&)>& f,
                                    std::size_t limit, std::uint64_t seed, double eps) {
  Vec analytic, fd;
  for (std::size_t i : probe_coordinates(std::size_t(x.size()), limit, seed)) {
    Tensor<double> plus = x, minus = x;
    plus[Index(i)] += eps;
    minus[Index(i)] -= eps;
    fd.push_back((f(plus) - f(minus)) / (2 * eps));
    analytic.push_back(grad[Index(i)]);
  }
  return relative_error(analytic, fd);
}

/// A differentiable map (x, w) → y given as its four passes on flat double vectors.
/// Empty tangent vectors mean zero.
struct FourPasses {
  std::function<Vec(const Vec& x, const Vec& w)> forward;
  std::function<Vec(const Vec& x, const Vec& w, const Vec& xd, const Vec& wd)> tangent;
  /// returns gx followed by gw
  std::function<Vec(const Vec& x, const Vec& w, const Vec& gy)> backward;
  /// returns ġx followed by ġw
  std::function<Vec(const Vec& x, const Vec& w, const Vec& xd, const Vec& wd, const Vec& gy,
                    const Vec& gyd)>
      backward_tangent;
};

constexpr double kFdStep = 1e-5;
constexpr double kTolerance = 1e-6;

/// Checks all four passes against central differences: the tangent against differences of
/// forward, backward coordinate by coordinate against differences of ⟨gy, forward⟩ (a random
/// subset of at most `coords` coordinates of x and of w), backward_tangent against differences of
/// backward along (ẋ, ẇ, ġy).
inline void check_four_passes(const FourPasses& f, const Vec& x, const Vec& w, std::uint64_t seed,
                              std::size_t coords = 300, double eps = kFdStep) {
  const Vec y = f.forward(x, w);
  const Vec xd = random_vec(static_cast<Index>(x.size()), seed + 1);
  const Vec wd = random_vec(static_cast<Index>(w.size()), seed + 2);
  const Vec gy = random_vec(static_cast<Index>(y.size()), seed + 3);
  const Vec gyd = random_vec(static_cast<Index>(y.size()), seed + 4);

  // tangent
  {
    const Vec yp = f.forward(axpy(x, eps, xd), axpy(w, eps, wd));
    const Vec ym = f.forward(axpy(x, -eps, xd), axpy(w, -eps, wd));
    Vec fd(y.size());
    for (std::size_t i = 0; i < y.size(); ++i) fd[i] = (yp[i] - ym[i]) / (2 * eps);
    const double err = relative_error(f.tangent(x, w, xd, wd), fd);
    INFO("tangent relative error " << err);
    CHECK(err <= kTolerance);
  }
  // backward
  {
    const Vec g = f.backward(x, w, gy);
    REQUIRE(g.size() == x.size() + w.size());
    Vec analytic, fd;
    auto probe = [&](bool of_x, std::size_t n) {
      for (std::size_t i : probe_coordinates(n, coords, seed + (of_x ? 5 : 6))) {
        Vec xp = x, xm = x, wp = w, wm = w;
        (of_x ? xp : wp)[i] += eps;
        (of_x ? xm : wm)[i] -= eps;
        fd.push_back((dot(gy, f.forward(xp, wp)) - dot(gy, f.forward(xm, wm))) / (2 * eps));
        analytic.push_back(g[of_x ? i : x.size() + i]);
      }
    };
    probe(true, x.size());
    probe(false, w.size());
    const double err = relative_error(analytic, fd);
    INFO("backward relative error " << err);
    CHECK(err <= kTolerance);
  }
  // backward_tangent
  {
    const Vec gp = f.backward(axpy(x, eps, xd), axpy(w, eps, wd), axpy(gy, eps, gyd));
    const Vec gm = f.backward(axpy(x, -eps, xd), axpy(w, -eps, wd), axpy(gy, -eps, gyd));
    Vec fd(gp.size());
    for (std::size_t i = 0; i < gp.size(); ++i) fd[i] = (gp[i] - gm[i]) / (2 * eps);
    const double err = relative_error(f.backward_tangent(x, w, xd, wd, gy, gyd), fd);
    INFO("backward_tangent relative error " << err);
    CHECK(err <= kTolerance);
  }
}

}  // namespace distill::test

#endif  // DISTILL_TESTS_SUPPORT_GRADCHECK_HPP
