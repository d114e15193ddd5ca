#ifndef TAPSENTRY_CSUPPORT_H
#define TAPSENTRY_CSUPPORT_H

#include <stddef.h>
#include <stdint.h>

/// Asks the CPU to start loading the cache line holding `address` (for reading, kept in all cache
/// levels). A hint only: it never faults and may be ignored, so any address is safe to pass.
static inline __attribute__((always_inline)) void tapsentry_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

/// `tapsentry_prefetch` for every 64-byte line of the `bytes` bytes from `address`.
static inline __attribute__((always_inline)) void tapsentry_prefetch_range(const void *address, size_t bytes) {
    for (size_t line = 0; line < bytes; line += 64) __builtin_prefetch((const char *)address + line, 0, 3);
}

/// A random seed drawn once as the program starts (before `main`), for keyed hashes computed on
/// every call: a plain C global, so that reading it costs a load (a Swift `static let` is read
/// through its lazy-initialisation check, `swift_once`, at every access).
extern uint64_t tapsentry_run_seed;

/// `tapsentry_run_seed` (a function, so that Swift reads it without treating it as shared
/// mutable state: it is written once, before `main`).
static inline __attribute__((always_inline)) uint64_t tapsentry_seed(void) {
    return tapsentry_run_seed;
}

/// The sum of `count` bytes (SSE2's sum of absolute differences adds sixteen at a time).
uint64_t tapsentry_byte_sum(const uint8_t *bytes, size_t count);

/// The offset of the first of `count` bytes equal to `a`, `b`, `c` or `d` (repeat a value to look
/// for fewer), or `count` when none is: sixteen bytes at a time with SSE2. The decoders' probes
/// look for where a frame may start in the first 4 KiB of every TCP flow.
size_t tapsentry_find_any4(const uint8_t *bytes, size_t count, uint8_t a, uint8_t b, uint8_t c, uint8_t d);

/// Decompresses the bulk of CTP zero-run input (a byte b of 0xE1...0xEF: b - 0xE0 zeros; 0xE0:
/// the next byte as it is; any other byte: itself) from `input[0..<count]` into `output`,
/// sixteen bytes at a time with SSE2: the literals before the first marker of a 16-byte block are
/// stored as the block, then that marker is applied without a branch. Stops while at least 18
/// input bytes remain and 32 output bytes fit before `capacity` (the caller finishes the rest
/// with the exact checks at the ends); `output` needs room for `capacity` bytes. Returns the
/// bytes written and sets `*read` to the bytes used. Without SSE2 nothing is done.
size_t tapsentry_zero_run_bulk(const uint8_t *input, size_t count, uint8_t *output, size_t capacity, size_t *read);

/// One `tag=value` field of a FIX message, laid out as the Swift `FIXField` (tag, value start,
/// value end: offsets into the bytes tokenized).
typedef struct {
    int64_t tag;
    int64_t value_start;
    int64_t value_end;
} tapsentry_fix_field;

/// Splits the FIX message `bytes[start..<end]` into its fields when every field is plain: one to
/// nine digits without a leading zero (or the tag `0`), `=`, and the value up to the next SOH (or
/// `end`), none of the tags a length tag (bit `tag` of `length_tags`, `length_tag_limit` bits; a
/// tag at or past the limit is none). Writes up to `capacity` fields to `fields` and returns how
/// many; returns -1 as soon as a field is not plain, a length tag is met or the fields do not
/// fit, for the caller's own tokenizer to take the message from the start (a malformed field,
/// a non-canonical tag, a length/data pair). Values are found sixteen bytes at a time with SSE2.
/// Sets bit `tag & 63` of `*tags_seen` for every field written (`FIXMessage.tagsSeen`).
long tapsentry_fix_tokenize(const uint8_t *bytes, long start, long end, const uint64_t *length_tags, long length_tag_limit,
                            tapsentry_fix_field *fields, long capacity, uint64_t *tags_seen);

/// The CPUs the calling thread may run on (its affinity mask), in ascending order: writes up to
/// `capacity` of them to `cpus` and returns how many there are, or -1 when the mask cannot be
/// read.
int tapsentry_allowed_cpus(int *cpus, int capacity);

/// Keeps the calling thread on CPU `cpu` from now on: 0 on success, an errno value otherwise.
int tapsentry_pin_thread(int cpu);

/// The CPU the calling thread is running on (-1 when the system does not say).
int tapsentry_current_cpu(void);

#endif
