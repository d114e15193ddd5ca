#include "CSupport.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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
