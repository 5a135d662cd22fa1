#include "grove/thread_pool.hpp"

#include <string>

#include "sched/Runtime.hpp"

namespace grove {

ThreadPool::ThreadPool(std::size_t threads, std::size_t max_queued) : tasks_(max_queued) {
  if (threads == 0) throw std::invalid_argument("grove: ThreadPool needs at least one thread (got 0)");
  threads_.reserve(threads);
  try {
    for (std::size_t i = 0; i < threads; ++i) threads_.push_back(detail::spawn_runtime_thread("grove-pool", [this] { run_tasks(); }, true));
  } catch (...) {
    shutdown();
    throw;
  }
}

ThreadPool::~ThreadPool() { shutdown(); }

// A plain OS thread: Queue::get parks it on a futex (real blocking), never on a worker.
void ThreadPool::run_tasks() {
  for (std::unique_ptr<detail::PoolTask>& task : tasks_) {
    task->run();
    task.reset();  // drop the callable (and what it captured) before counting the task done
    tasks_.task_done();
  }
}

void ThreadPool::shutdown() {
  tasks_.close();
  // Wait for the backlog without blocking this worker (not interruptible: the destructor calls
  // this); the threads then only have their exit left, so joining them is brief.
  detail::chan_join(detail::SelectAccess::core(tasks_), detail::kNoDeadline, false);
  for (pthread_t t : threads_) detail::join_runtime_thread(t);
  threads_.clear();
}

}  // namespace grove
