#pragma once
// Synchronisation primitives usable from fibers on any worker and from plain OS threads.
#include "grove/sync/async_result.hpp"
#include "grove/sync/condition.hpp"
#include "grove/sync/event.hpp"
#include "grove/sync/lock.hpp"
#include "grove/sync/semaphore.hpp"
#include "grove/sync/wait_group.hpp"
