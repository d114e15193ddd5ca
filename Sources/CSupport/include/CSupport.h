#ifndef TAPSENTRY_CSUPPORT_H
#define TAPSENTRY_CSUPPORT_H

#include <stddef.h>
#include <stdint.h>

/// Asks the CPU to start loading the cache line holding `address` (for reading, kept in all cache
/// levels). A hint only: it never faults and may be ignored, so any address is safe to pass.
static inline __attribute__((always_inline)) void tapsentry_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

/// The sum of `count` bytes (SSE2's sum of absolute differences adds sixteen at a time).
uint64_t tapsentry_byte_sum(const uint8_t *bytes, size_t count);

#endif
