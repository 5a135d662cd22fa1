#pragma once
// The process-wide resolver configuration, held as a configured c-ares channel that every lookup
// duplicates (ares_dup copies servers, search domains, ndots, timeout and attempts without
// re-reading /etc/resolv.conf). Nothing ever sends queries on the template itself.
#include <ares.h>

#include <memory>

namespace grove::dns::detail {

struct Template {
  ares_channel channel = nullptr;
  ~Template();
};

// The current template, built on first use from /etc/resolv.conf, GROVE_DNS_SERVERS and the
// last dns::configure(); nullptr with `status` set if c-ares cannot be initialised.
std::shared_ptr<const Template> current_template(int& status);

}  // namespace grove::dns::detail
