// ThreadSanitizer builds only. Debian's oneTBB is not instrumented, so TSan cannot see the join
// at the end of a parallel_for and takes every write in a parallel body for a race with the
// caller's next read (56 reports on a ten-line program). TBB runs one thread here; TSan checks the
// threads twinrisk starts itself: the async writer, the signal thread's registry, the lock.

#include <tbb/global_control.h>

namespace {
const tbb::global_control serial_tbb(tbb::global_control::max_allowed_parallelism, 1);
}  // namespace
