#define _GNU_SOURCE
#include <pthread.h>
#include <errno.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/random.h>
#else
#include <stdlib.h>
#endif

#include "CSupport.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

uint64_t tapsentry_run_seed;

__attribute__((constructor)) static void tapsentry_draw_run_seed(void) {
    uint64_t seed = 0;
#if defined(__linux__)
    if (getrandom(&seed, sizeof seed, 0) != (ssize_t)sizeof seed) {
        // No entropy source: the clock and the process id (the seed only spreads hash values).
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        seed = ((uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec) ^ ((uint64_t)getpid() << 32);
    }
#else
    arc4random_buf(&seed, sizeof seed);
#endif
    tapsentry_run_seed = seed;
}

uint64_t tapsentry_byte_sum(const uint8_t *bytes, size_t count) {
    uint64_t sum = 0;
    size_t index = 0;
#if defined(__SSE2__)
    const __m128i zero = _mm_setzero_si128();
    __m128i lanes = _mm_setzero_si128();
    for (; index + 16 <= count; index += 16) {
        __m128i chunk = _mm_loadu_si128((const __m128i *)(bytes + index));
        lanes = _mm_add_epi64(lanes, _mm_sad_epu8(chunk, zero));
    }
    sum = (uint64_t)_mm_cvtsi128_si64(lanes) + (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(lanes, lanes));
#endif
    for (; index < count; index++) {
        sum += bytes[index];
    }
    return sum;
}

size_t tapsentry_find_any4(const uint8_t *bytes, size_t count, uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
    size_t index = 0;
#if defined(__SSE2__)
    const __m128i wantA = _mm_set1_epi8((char)a);
    const __m128i wantB = _mm_set1_epi8((char)b);
    const __m128i wantC = _mm_set1_epi8((char)c);
    const __m128i wantD = _mm_set1_epi8((char)d);
    for (; index + 16 <= count; index += 16) {
        __m128i chunk = _mm_loadu_si128((const __m128i *)(bytes + index));
        __m128i found = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(chunk, wantA), _mm_cmpeq_epi8(chunk, wantB)),
            _mm_or_si128(_mm_cmpeq_epi8(chunk, wantC), _mm_cmpeq_epi8(chunk, wantD)));
        int mask = _mm_movemask_epi8(found);
        if (mask != 0) return index + (size_t)__builtin_ctz((unsigned)mask);
    }
#endif
    for (; index < count; index++) {
        uint8_t byte = bytes[index];
        if (byte == a || byte == b || byte == c || byte == d) return index;
    }
    return count;
}

size_t tapsentry_zero_run_bulk(const uint8_t *input, size_t count, uint8_t *output, size_t capacity, size_t *read) {
    size_t in = 0, out = 0;
#if defined(__SSE2__)
    const __m128i high = _mm_set1_epi8((char)0xF0);
    const __m128i marks = _mm_set1_epi8((char)0xE0);
    const __m128i zero = _mm_setzero_si128();
    // Reads input[in..<in+17] at most (a block and the byte after its last), writes
    // output[out..<out+31] at most (15 literals, then a run's 16 zeros).
    while (in + 18 <= count && out + 32 <= capacity) {
        __m128i block = _mm_loadu_si128((const __m128i *)(input + in));
        _mm_storeu_si128((__m128i *)(output + out), block);
        unsigned mask = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(block, high), marks));
        if (mask == 0) {
            in += 16;
            out += 16;
            continue;
        }
        size_t literals = (size_t)__builtin_ctz(mask);
        in += literals;
        out += literals;
        uint8_t marker = input[in];
        size_t escape = marker == 0xE0;
        _mm_storeu_si128((__m128i *)(output + out), zero);
        output[out] = escape ? input[in + 1] : 0;
        // An escape's low nibble is 0: one byte out; a run's, its length.
        out += (size_t)(marker & 0x0F) + escape;
        in += 1 + escape;
    }
#endif
    *read = in;
    return out;
}

/// The offset of the first SOH in `bytes[from..<end]`, or `end`.
static inline long next_soh(const uint8_t *bytes, long from, long end) {
    long index = from;
#if defined(__SSE2__)
    const __m128i soh = _mm_set1_epi8(1);
    for (; index + 16 <= end; index += 16) {
        int mask = _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(bytes + index)), soh));
        if (mask != 0) return index + __builtin_ctz((unsigned)mask);
    }
#endif
    for (; index < end; index++) {
        if (bytes[index] == 1) return index;
    }
    return end;
}

long tapsentry_fix_tokenize(const uint8_t *bytes, long start, long end, const uint64_t *length_tags, long length_tag_limit,
                            tapsentry_fix_field *fields, long capacity, uint64_t *tags_seen) {
    long count = 0;
    long index = start;
    uint64_t seen = 0;
    while (index < end) {
        long tag_start = index;
        unsigned digit = (unsigned)bytes[index] - '0';
        if (digit > 9) return -1;
        int64_t tag = 0;
        do {
            tag = tag * 10 + digit;
            index++;
            if (index == end || index - tag_start > 9) return -1;
            digit = (unsigned)bytes[index] - '0';
        } while (digit <= 9);
        if (bytes[index] != '=' || (index - tag_start > 1 && bytes[tag_start] == '0')) return -1;
        if (tag < length_tag_limit && (length_tags[tag >> 6] >> (tag & 63) & 1) != 0) return -1;
        if (count == capacity) return -1;
        long value_start = index + 1;
        long value_end = next_soh(bytes, value_start, end);
        fields[count].tag = tag;
        fields[count].value_start = value_start;
        fields[count].value_end = value_end;
        seen |= (uint64_t)1 << (tag & 63);
        count++;
        index = value_end + 1;
    }
    *tags_seen = seen;
    return count;
}

int tapsentry_allowed_cpus(int *cpus, int capacity) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) != 0) return -1;
    int count = 0;
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
        if (!CPU_ISSET(cpu, &set)) continue;
        if (count < capacity) cpus[count] = cpu;
        count++;
    }
    return count;
}

int tapsentry_pin_thread(int cpu) {
    if (cpu < 0 || cpu >= CPU_SETSIZE) return EINVAL;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

int tapsentry_current_cpu(void) {
    return sched_getcpu();
}
