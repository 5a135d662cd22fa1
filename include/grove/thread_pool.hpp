#pragma once
// gevent.threadpool for blocking code: ThreadPool(n) runs functions on n plain OS threads while the
// calling fiber waits without blocking its worker (other fibers keep running).
//
//   grove::ThreadPool pool(4);
//   auto digest = pool.spawn(sha256_file, "big.iso");   // ThreadFuture<std::string>
//   std::string d = digest.get();                        // waits (fiber-friendly), rethrows errors
//   int n = pool.apply([] { return blocking_call(); });  // spawn(...).get()
//
// Tasks wait in a bounded queue (spawn waits, fiber-friendly, while it is full). join() waits until
// every task submitted so far has finished; the destructor (or shutdown()) stops accepting tasks,
// finishes the queued ones and joins the threads.
#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <pthread.h>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "grove/detail/completion.hpp"
#include "grove/detail/queue_support.hpp"
#include "grove/errors.hpp"
#include "grove/queue.hpp"

namespace grove {

namespace detail {

template <typename R>
struct FutureState {
  Completion done;
  std::optional<std::conditional_t<std::is_void_v<R>, bool, R>> value;
  std::exception_ptr error;
};

struct PoolTask {
  virtual ~PoolTask() = default;
  virtual void run() noexcept = 0;
};

template <typename R, typename Fn, typename... Args>
struct PoolTaskFor final : PoolTask {
  template <typename F, typename... A>
  explicit PoolTaskFor(std::shared_ptr<FutureState<R>> s, F&& f, A&&... a)
      : state(std::move(s)), fn(std::forward<F>(f)), args(std::forward<A>(a)...) {}
  void run() noexcept override {
    try {
      if constexpr (std::is_void_v<R>) {
        std::apply(fn, std::move(args));
        state->value.emplace(true);
      } else {
        state->value.emplace(std::apply(fn, std::move(args)));
      }
    } catch (...) {
      state->error = std::current_exception();
    }
    state->done.complete();
  }
  std::shared_ptr<FutureState<R>> state;
  Fn fn;
  std::tuple<Args...> args;
};

}  // namespace detail

// The result of a ThreadPool task (copyable; every copy sees the same result).
template <typename R>
class ThreadFuture {
 public:
  ThreadFuture() = default;

  bool ready() const { return checked().done.done(); }
  // Waits for the task; rethrows its exception.
  decltype(auto) get() const {
    wait();
    return result();
  }
  template <typename Rep, typename Period>
  decltype(auto) get(std::chrono::duration<Rep, Period> timeout) const {
    if (!wait(timeout)) throw std::runtime_error("grove: ThreadFuture::get timed out");
    return result();
  }
  void wait() const { checked().done.wait(detail::kNoDeadline); }
  template <typename Rep, typename Period>
  bool wait(std::chrono::duration<Rep, Period> timeout) const {
    return checked().done.wait(detail::deadline_in(timeout));
  }
  bool successful() const { return ready() && !state_->error; }
  std::exception_ptr exception() const { return ready() ? state_->error : nullptr; }

 private:
  friend class ThreadPool;
  explicit ThreadFuture(std::shared_ptr<detail::FutureState<R>> s) : state_(std::move(s)) {}
  detail::FutureState<R>& checked() const {
    if (!state_) throw UsageError("grove: operation on an empty ThreadFuture");
    return *state_;
  }
  decltype(auto) result() const {
    if (state_->error) std::rethrow_exception(state_->error);
    if constexpr (!std::is_void_v<R>) return (*state_->value);
  }

  std::shared_ptr<detail::FutureState<R>> state_;
};

class ThreadPool {
 public:
  // `threads` >= 1. `max_queued`: tasks waiting for a thread before spawn() waits; 0 = unbounded.
  explicit ThreadPool(std::size_t threads, std::size_t max_queued = 1024);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Queues fn(args...) (arguments copied/moved, as std::thread). QueueClosed after shutdown().
  template <typename Fn, typename... Args>
  auto spawn(Fn&& fn, Args&&... args) {
    using R = std::invoke_result_t<std::decay_t<Fn>, std::decay_t<Args>...>;
    auto state = std::make_shared<detail::FutureState<R>>();
    tasks_.put(std::make_unique<detail::PoolTaskFor<R, std::decay_t<Fn>, std::decay_t<Args>...>>(
        state, std::forward<Fn>(fn), std::forward<Args>(args)...));
    return ThreadFuture<R>(std::move(state));
  }
  // Runs fn(args...) on a pool thread and returns its result (or rethrows its exception).
  template <typename Fn, typename... Args>
  auto apply(Fn&& fn, Args&&... args) {
    auto future = spawn(std::forward<Fn>(fn), std::forward<Args>(args)...);
    future.get();  // waits; rethrows
    using R = std::invoke_result_t<std::decay_t<Fn>, std::decay_t<Args>...>;
    if constexpr (!std::is_void_v<R>) return R(std::move(*future.state_->value));
  }

  // Waits until every task submitted so far has finished (fiber-friendly).
  void join() { tasks_.join(); }
  template <typename Rep, typename Period>
  bool join(std::chrono::duration<Rep, Period> timeout) {
    return tasks_.join(timeout);
  }
  // Stops accepting tasks, lets the threads finish the queued ones, and joins them. Idempotent.
  void shutdown();

  std::size_t size() const noexcept { return threads_.size(); }
  std::size_t queued() const noexcept { return tasks_.qsize(); }

 private:
  void run_tasks();

  JoinableQueue<std::unique_ptr<detail::PoolTask>> tasks_;
  std::vector<pthread_t> threads_;  // started with the real pthread_create (see Runtime.hpp)
};

}  // namespace grove
