#include "progress.hpp"

#include <unistd.h>

#include <cstdio>
#include <utility>

namespace distill::cli {

namespace {

std::string format_seconds(double s) {
  char buf[32];
  const long t = long(s + 0.5);
  if (t >= 3600) std::snprintf(buf, sizeof buf, "%ldh%02ldm", t / 3600, (t / 60) % 60);
  else std::snprintf(buf, sizeof buf, "%ldm%02lds", t / 60, t % 60);
  return buf;
}

}  // namespace

Progress::Progress(std::string label, Index total, std::string unit)
    : label_(std::move(label)), total_(total), unit_(std::move(unit)), drawn_(::isatty(::fileno(stderr)) != 0) {}

void Progress::update(Index done) {
  if (!drawn_) return;
  const double s = timer_.seconds();
  if (done < total_ && s - last_ < 0.25) return;
  last_ = s;
  const double rate = s > 0 ? double(done) / s : 0;
  const double eta = rate > 0 ? double(total_ - done) / rate : 0;
  const int width = 30, filled = total_ ? int(width * double(done) / double(total_)) : width;
  char speed[48];
  // Slow work reads better as seconds per unit ("4.2 s per it") than as 0.2 it/s.
  if (rate >= 1 || rate == 0) std::snprintf(speed, sizeof speed, "%.1f %s/s", rate, unit_.c_str());
  else
    std::snprintf(speed, sizeof speed, "%.1f s per %.*s", 1 / rate, int(unit_.size() - (unit_.back() == 's')),
                  unit_.c_str());
  std::fprintf(stderr, "\r%s [%.*s%*s] %ld/%ld %s  %s  ETA %s ", label_.c_str(), filled,
               "##############################", width - filled, "", long(done), long(total_), unit_.c_str(), speed,
               format_seconds(eta).c_str());
  std::fflush(stderr);
}

void Progress::finish() {
  if (drawn_) std::fprintf(stderr, "\n");
}

}  // namespace distill::cli
