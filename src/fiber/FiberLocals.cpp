#include "fiber/FiberLocals.hpp"

#include <atomic>
#include <vector>

namespace grove::detail {
namespace {

struct LocalEntry {
  LocalKey key;
  void* value;
  LocalDestroy destroy;
};

// Few locals per fiber in practice: a flat vector beats a hash map, with the last hit first.
struct LocalTable {
  std::vector<LocalEntry> entries;
};

std::atomic<LocalKey> g_next_key{1};

}  // namespace

LocalKey new_local_key() noexcept { return g_next_key.fetch_add(1, std::memory_order_relaxed); }

void* local_slot(FiberControl* f, LocalKey key, LocalCreate create, LocalDestroy destroy) {
  auto* table = static_cast<LocalTable*>(f->locals);
  if (table) {
    auto& e = table->entries;
    for (std::size_t i = e.size(); i-- > 0;) {
      if (e[i].key == key) return e[i].value;
    }
  }
  if (!create) return nullptr;
  if (!table) {
    table = new LocalTable;
    f->locals = table;
  }
  table->entries.reserve(table->entries.size() + 1);  // so a throwing create() leaves nothing behind
  void* v = create();
  table->entries.push_back(LocalEntry{key, v, destroy});
  return v;
}

void destroy_fiber_local_table(FiberControl* f) noexcept {
  // A destructor may touch locals again (creating new values): repeat, as pthread keys do.
  for (int round = 0; round < 4 && f->locals; ++round) {
    auto* table = static_cast<LocalTable*>(f->locals);
    f->locals = nullptr;
    for (auto it = table->entries.rbegin(); it != table->entries.rend(); ++it) it->destroy(it->value);
    delete table;
  }
}

}  // namespace grove::detail
