#include "value_dso.hpp"

grove::value dso_make_int(int v) { return v; }
grove::value dso_make_point(int x, int y) { return DsoPoint{x, y}; }
bool dso_is_int(const grove::value& v) { return v.is<int>(); }
int dso_read_int(const grove::value& v) { return v.as<int>(); }
std::string dso_wrong_type_error(const grove::value& v) {
  try {
    (void)v.as<long>();
  } catch (const grove::UsageError& e) {
    return e.what();
  }
  return "(no UsageError)";
}
grove::value dso_switch_int(const grove::greenlet& g, int v) { return g.switch_to(v); }
grove::value dso_switch_value(const grove::greenlet& g, grove::value v) { return g.switch_to(std::move(v)); }
