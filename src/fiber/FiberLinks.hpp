#pragma once
// Completion links (Fiber::link, link_exception, link_value, and the raw links Pool/Group use):
// callbacks that run once the fiber is dead, even when linked after its death.
#include "fiber/FiberControl.hpp"

namespace grove::detail {

struct LinkNode {
  LinkNode* next = nullptr;
  bool observes_failure = false;  // the fiber's exception counts as seen: no stderr report
  // Runs once on the dying fiber's stack (or on the linker's, if the fiber was already dead).
  // Must not block; deleted right after.
  virtual void fire(FiberControl* dead) noexcept = 0;
  virtual ~LinkNode() = default;
};

// Adds `node` (taking ownership); fires it at once if `f` already finished.
void add_link(FiberControl* f, LinkNode* node);
// Runs and deletes every node of a detached list.
void fire_links(FiberControl* dead, LinkNode* list) noexcept;

}  // namespace grove::detail
