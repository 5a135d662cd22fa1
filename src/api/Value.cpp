// Error messages of grove::value: they name the types involved, readably.
#include <cxxabi.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "grove/value.hpp"

namespace grove::detail {

std::string demangled_name(const std::type_info& t) {
  if (t == typeid(void)) return "nothing";
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> name(abi::__cxa_demangle(t.name(), nullptr, nullptr, &status), std::free);
  return status == 0 && name ? std::string(name.get()) : std::string(t.name());
}

namespace {
std::string holds(const value& v) {
  if (v.is_pack()) return std::to_string(v.size()) + " values";
  return v.empty() ? "nothing" : "a " + demangled_name(v.type());
}
}  // namespace

void throw_value_type_error(const std::type_info& wanted, const value& v) {
  throw UsageError("grove::value: asked for " + demangled_name(wanted) + " but it holds " + holds(v));
}

void throw_value_not_copyable(const value& v) {
  throw UsageError("grove::value: cannot copy a " + demangled_name(v.type()) + " (move-only type): move the value instead");
}

void throw_value_index_error(std::size_t index, std::size_t size) {
  throw UsageError("grove::value: index " + std::to_string(index) + " out of range: it holds " + std::to_string(size) +
                   " value(s)");
}

void throw_value_arity_error(std::size_t wanted, std::size_t size) {
  throw UsageError("grove::value: asked for " + std::to_string(wanted) + " value(s) but it holds " + std::to_string(size));
}

}  // namespace grove::detail
