#include "dns/Template.hpp"

#include <mutex>
#include <stdexcept>
#include <string>

#include "dns/RawSockets.hpp"
#include "dns/ServerList.hpp"
#include "grove/dns.hpp"
#include "sync/SpinLock.hpp"

namespace grove::dns::detail {
namespace {

grove::detail::SpinLock g_lock;
std::shared_ptr<const Template> g_template;  // guarded by g_lock
Settings g_settings;                         // guarded by g_lock; servers already in c-ares form

int library_status() {
  static const int status = ares_library_init(ARES_LIB_INIT_ALL);
  return status;
}

std::shared_ptr<const Template> build(const Settings& s, int& status) {
  status = library_status();
  if (status != ARES_SUCCESS) return nullptr;
  ares_options opts{};
  int mask = 0;
  if (s.timeout.count() > 0) {
    opts.timeout = static_cast<int>(s.timeout.count());
    mask |= ARES_OPT_TIMEOUTMS;
  }
  if (s.attempts > 0) {
    opts.tries = s.attempts;
    mask |= ARES_OPT_TRIES;
  }
  if (!s.resolv_conf.empty()) {
    opts.resolvconf_path = const_cast<char*>(s.resolv_conf.c_str());
    mask |= ARES_OPT_RESOLVCONF;
  }
  auto t = std::make_shared<Template>();
  status = ares_init_options(&t->channel, &opts, mask);
  if (status != ARES_SUCCESS) {
    t->channel = nullptr;
    return nullptr;
  }
  const std::string& servers = s.servers.empty() ? env_servers() : s.servers;
  if (!servers.empty()) {
    status = ares_set_servers_ports_csv(t->channel, servers.c_str());
    if (status != ARES_SUCCESS) return nullptr;
  }
  ares_set_socket_functions(t->channel, &raw_socket_functions(), nullptr);
  return t;
}

}  // namespace

Template::~Template() {
  if (channel) ares_destroy(channel);
}

std::shared_ptr<const Template> current_template(int& status) {
  Settings settings;
  {
    std::lock_guard<grove::detail::SpinLock> lock(g_lock);
    if (g_template) {
      status = ARES_SUCCESS;
      return g_template;
    }
    settings = g_settings;
  }
  // Built outside the lock (it reads files); a racing builder's copy is simply dropped.
  auto fresh = build(settings, status);
  if (!fresh) return nullptr;
  std::lock_guard<grove::detail::SpinLock> lock(g_lock);
  if (!g_template) g_template = fresh;
  return g_template;
}

}  // namespace grove::dns::detail

namespace grove::dns {

void configure(const Settings& settings) {
  Settings resolved = settings;
  if (!settings.servers.empty()) {
    std::string bad;
    if (!detail::parse_server_list(settings.servers, resolved.servers, bad)) {
      throw std::invalid_argument("grove::dns::configure: servers \"" + settings.servers + "\": \"" + bad +
                                  "\" is not ip[:port]; " + detail::kServerListSyntax);
    }
  }
  if (settings.timeout.count() < 0) {
    throw std::invalid_argument("grove::dns::configure: timeout " + std::to_string(settings.timeout.count()) +
                                " ms is negative (0 keeps resolv.conf's)");
  }
  if (settings.attempts < 0) {
    throw std::invalid_argument("grove::dns::configure: attempts " + std::to_string(settings.attempts) +
                                " is negative (0 keeps resolv.conf's)");
  }
  int status = ARES_SUCCESS;
  auto fresh = detail::build(resolved, status);
  if (!fresh) throw std::runtime_error(std::string("grove::dns::configure: c-ares: ") + ares_strerror(status));
  std::shared_ptr<const detail::Template> old;  // destroyed after the lock is released
  std::lock_guard<grove::detail::SpinLock> lock(detail::g_lock);
  detail::g_settings = resolved;
  old = std::exchange(detail::g_template, fresh);
}

}  // namespace grove::dns
