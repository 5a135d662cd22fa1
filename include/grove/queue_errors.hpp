#pragma once
// Errors of queues and channels. Timed waits raise QueueEmpty / QueueFull as gevent's queue.Empty /
// queue.Full do; closing raises QueueClosed (Python 3.13's queue.ShutDown) or ChannelClosed.
#include <stdexcept>

namespace grove {

// A get/recv with a timeout found no item in time.
class QueueEmpty : public std::runtime_error {
 public:
  QueueEmpty() : std::runtime_error("grove: queue empty (the get timed out)") {}
};

// A put/send with a timeout found no room (or, on a rendezvous channel, no receiver) in time.
class QueueFull : public std::runtime_error {
 public:
  QueueFull() : std::runtime_error("grove: queue full (the put timed out)") {}
};

// Put on a closed queue, or get from a closed queue that has been drained.
class QueueClosed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  QueueClosed() : std::runtime_error("grove: queue is closed") {}
};

// Send on a closed channel, or closing a channel twice (Go panics in both cases).
class ChannelClosed : public QueueClosed {
 public:
  using QueueClosed::QueueClosed;
  ChannelClosed() : QueueClosed("grove: send on a closed channel") {}
};

}  // namespace grove
