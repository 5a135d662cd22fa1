#pragma once
// grove: green threads for C++. Include this one header.
#include "grove/config.hpp"
#include "grove/errors.hpp"
#include "grove/fiber.hpp"
#include "grove/hub.hpp"
#include "grove/io.hpp"
#include "grove/pool.hpp"
#include "grove/scheduler.hpp"
#include "grove/timeout.hpp"
#include "grove/sync.hpp"
#include "grove/waitable.hpp"
