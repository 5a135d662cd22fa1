#pragma once
#include <stdexcept>

namespace grove {

// Thrown inside a fiber at a suspension point when it is killed; unwinds it, running destructors.
// Deliberately not a std::exception so `catch (const std::exception&)` does not swallow it
// (like gevent's GreenletExit, a BaseException).
struct FiberExit {};

// Misuse of the API (joining yourself, switching to another thread's greenlet, ...).
class UsageError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

}  // namespace grove
