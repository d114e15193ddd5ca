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
