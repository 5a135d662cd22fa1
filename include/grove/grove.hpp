#pragma once
// grove: green threads for C++. Include this one header.
#include "grove/config.hpp"
#include "grove/dns.hpp"
#include "grove/errors.hpp"
#include "grove/fiber.hpp"
#include "grove/io.hpp"
#include "grove/generator.hpp"
#include "grove/greenlet.hpp"
#include "grove/local.hpp"
#include "grove/scheduler.hpp"
#include "grove/value.hpp"
