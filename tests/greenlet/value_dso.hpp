#pragma once
// A library built with hidden visibility (tests/greenlet/CMakeLists.txt): its grove::value code
// has its own copies of the inline type tables, as a plugin or a -fvisibility=hidden library would.
#include <grove/grove.hpp>

#define VALUE_DSO_API __attribute__((visibility("default")))

struct DsoPoint {
  int x;
  int y;
};

VALUE_DSO_API grove::value dso_make_int(int v);
VALUE_DSO_API grove::value dso_make_point(int x, int y);
VALUE_DSO_API bool dso_is_int(const grove::value& v);
VALUE_DSO_API int dso_read_int(const grove::value& v);
// The `as<long>()` error, raised by the library's own copy of value::as.
VALUE_DSO_API std::string dso_wrong_type_error(const grove::value& v);
// Switches to `g` from code compiled into the library (its own copy of the inline fast switch).
VALUE_DSO_API grove::value dso_switch_int(const grove::greenlet& g, int v);
VALUE_DSO_API grove::value dso_switch_value(const grove::greenlet& g, grove::value v);
