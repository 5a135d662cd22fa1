#include "dns/HostsFile.hpp"

#include <arpa/inet.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <vector>

#include "sync/SpinLock.hpp"

namespace grove::dns::detail {
namespace {

constexpr const char* kHostsPath = "/etc/hosts";

struct HostsEntry {
  int family = AF_UNSPEC;
  unsigned char addr[16] = {};
  std::vector<std::string> names;  // lower case
};

struct HostsSnapshot {
  timespec mtime{};
  off_t size = -1;
  ino_t inode = 0;
  std::vector<HostsEntry> entries;
};

grove::detail::SpinLock g_lock;
std::shared_ptr<const HostsSnapshot> g_snapshot;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::shared_ptr<const HostsSnapshot> parse(const struct stat& st) {
  auto snap = std::make_shared<HostsSnapshot>();
  snap->mtime = st.st_mtim;
  snap->size = st.st_size;
  snap->inode = st.st_ino;
  std::ifstream in(kHostsPath);
  std::string line;
  while (std::getline(in, line)) {
    line = line.substr(0, line.find('#'));
    std::istringstream fields(line);
    std::string addr, name;
    if (!(fields >> addr)) continue;
    HostsEntry e;
    if (inet_pton(AF_INET, addr.c_str(), e.addr) == 1) {
      e.family = AF_INET;
    } else if (inet_pton(AF_INET6, addr.substr(0, addr.find('%')).c_str(), e.addr) == 1) {
      e.family = AF_INET6;
    } else {
      continue;
    }
    while (fields >> name) e.names.push_back(lower(name));
    if (!e.names.empty()) snap->entries.push_back(std::move(e));
  }
  return snap;
}

// The current contents, re-read when the file changes (as glibc re-reads it on every lookup).
std::shared_ptr<const HostsSnapshot> snapshot() {
  struct stat st{};
  if (::stat(kHostsPath, &st) != 0) return std::make_shared<HostsSnapshot>();
  std::shared_ptr<const HostsSnapshot> current;
  {
    std::lock_guard<grove::detail::SpinLock> lock(g_lock);
    current = g_snapshot;
  }
  if (current && current->size == st.st_size && current->inode == st.st_ino &&
      current->mtime.tv_sec == st.st_mtim.tv_sec && current->mtime.tv_nsec == st.st_mtim.tv_nsec) {
    return current;
  }
  auto fresh = parse(st);
  std::lock_guard<grove::detail::SpinLock> lock(g_lock);
  g_snapshot = fresh;
  return fresh;
}

}  // namespace

bool hosts_has_name(const std::string& name, int family, bool v4mapped) {
  const std::string key = lower(name);
  auto snap = snapshot();
  for (const HostsEntry& e : snap->entries) {
    const bool family_ok = family == AF_UNSPEC || e.family == family ||
                           (family == AF_INET6 && v4mapped && e.family == AF_INET);
    if (family_ok && std::find(e.names.begin(), e.names.end(), key) != e.names.end()) return true;
  }
  return false;
}

bool hosts_has_address(int family, const void* addr) {
  const std::size_t len = family == AF_INET ? 4 : 16;
  auto snap = snapshot();
  for (const HostsEntry& e : snap->entries) {
    if (e.family == family && std::memcmp(e.addr, addr, len) == 0) return true;
  }
  return false;
}

}  // namespace grove::dns::detail
