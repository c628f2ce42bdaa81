#ifndef DISTILL_CORE_ERROR_HPP
#define DISTILL_CORE_ERROR_HPP

#include <sstream>
#include <stdexcept>
#include <string>

namespace distill {

/// The one exception type thrown by public entry points of the library.
class error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {
[[noreturn]] inline void throw_error(const std::string& message) { throw error(message); }
}  // namespace detail

}  // namespace distill

/// Always-on check at public entry points: throws distill::error with a streamed message.
/// Usage: DISTILL_CHECK(n > 0, "batch size must be positive, got " << n);
#define DISTILL_CHECK(cond, msg)                        \
  do {                                                  \
    if (!(cond)) {                                      \
      std::ostringstream distill_check_stream_;         \
      distill_check_stream_ << msg;                     \
      ::distill::detail::throw_error(distill_check_stream_.str()); \
    }                                                   \
  } while (false)

/// Internal invariant, checked in debug builds only.
#ifdef NDEBUG
#define DISTILL_ASSERT(cond) ((void)0)
#else
#include <cassert>
#define DISTILL_ASSERT(cond) assert(cond)
#endif

#endif  // DISTILL_CORE_ERROR_HPP
