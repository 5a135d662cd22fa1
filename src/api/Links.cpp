// Fiber::link / link_exception / link_value: callbacks spawned in a fiber of their own once the
// linked fiber is dead (gevent's SpawnedLink).
#include "fiber/FiberLinks.hpp"
#include "grove/fiber.hpp"
#include "sys/Sys.hpp"

namespace grove::detail {
namespace {

struct SpawnedLink final : LinkNode {
  std::function<void()> callback;
  LinkKind kind;
  SpawnedLink(std::function<void()> cb, LinkKind k) : callback(std::move(cb)), kind(k) {
    observes_failure = k != LinkKind::value;
  }
  void fire(FiberControl* dead) noexcept override {
    const bool failed = dead->error != nullptr;
    if ((kind == LinkKind::exception && !failed) || (kind == LinkKind::value && failed)) return;
    try {
      spawn(SpawnOptions{.name = "link-of-" + fiber_name(dead)}, std::move(callback));
    } catch (const std::exception& e) {
      std::string line = "grove: could not start a link callback of fiber " + fiber_name(dead) + ": " + e.what() + "\n";
      sys::write(2, line.data(), line.size());
    }
  }
};

}  // namespace

void fiber_link(FiberControl* f, std::function<void()> callback, LinkKind kind) {
  if (!callback) throw std::invalid_argument("grove::Fiber::link: empty callback");
  add_link(f, new SpawnedLink(std::move(callback), kind));
}

}  // namespace grove::detail
