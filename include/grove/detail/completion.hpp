#pragma once
// A one-shot "done" signal that fibers and plain threads can wait on (the future behind
// ThreadPool results). Internal: the hub's AsyncResult is the public counterpart.
#include <memory>

#include "grove/detail/fiber_core.hpp"

namespace grove::detail {

class Completion {
 public:
  Completion();
  ~Completion();
  Completion(const Completion&) = delete;
  Completion& operator=(const Completion&) = delete;

  // Marks it done (release) and wakes every waiter. Once only.
  void complete();
  bool done() const noexcept;
  // Waits until done (acquire); false if `deadline` passed first. Interrupts are thrown.
  bool wait(TimePoint deadline);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace grove::detail
