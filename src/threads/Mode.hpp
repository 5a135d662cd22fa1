#pragma once
// Threads-as-fibers mode: GROVE_THREADS=fibers, read once (at load, or at the first pthread call
// a library constructor makes before that). Off when this platform's TLS layout cannot be
// verified (FiberTls::supported() is false, e.g. under ASan/TSan): then the program's threads
// stay OS threads, with one line on stderr saying so.
namespace grove::threads {

bool fibers_mode() noexcept;

}  // namespace grove::threads
