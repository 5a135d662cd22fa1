#pragma once
// The server list syntax shared by GROVE_DNS_SERVERS and dns::configure():
// "ip[:port],..." with IPv6 written as [addr]:port (a bare IPv6 address without port is accepted).
#include <string>

namespace grove::dns::detail {

inline constexpr const char* kServerListSyntax =
    "expected a comma-separated list of ip[:port] with IPv6 as [addr]:port, e.g. 127.0.0.1:5353,[::1]:53";

// Rewrites `text` into c-ares's CSV form ("1.2.3.4:53,[::1]:53"); false (with `bad` set to the
// offending entry) if it is malformed or empty.
bool parse_server_list(const std::string& text, std::string& ares_csv, std::string& bad);

// GROVE_DNS_SERVERS in c-ares form, or empty if unset (a bad value stopped the program at load).
const std::string& env_servers();

}  // namespace grove::dns::detail
