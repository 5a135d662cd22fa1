#pragma once
// grove: green threads for C++. Include this one header.
#include "grove/config.hpp"
#include "grove/dns.hpp"
#include "grove/errors.hpp"
#include "grove/fiber.hpp"
#include "grove/io.hpp"
#include "grove/scheduler.hpp"
