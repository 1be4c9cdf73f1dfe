/* random.c — per-thread xoshiro256** generator; see random.h. Any thread. */
#include "ringkv/base/random.h"

#include <stdbool.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static __thread uint64_t rng_state[4];
static __thread bool rng_ready;

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void rk_random_seed(uint64_t seed)
{
    /* splitmix64 spreads any seed (even 0) into a non-zero xoshiro state. */
    for (int i = 0; i < 4; i++) rng_state[i] = splitmix64(&seed);
    rng_ready = true;
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t rk_random64(void)
{
    if (!rng_ready) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        rk_random_seed((uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^
                       ((uint64_t)syscall(SYS_gettid) << 20));
    }
    uint64_t *s = rng_state;
    uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t rk_random_below(uint64_t n)
{
    /* Lemire's multiply-shift with rejection: unbiased, one division at most. */
    uint64_t x = rk_random64();
    __uint128_t m = (__uint128_t)x * n;
    uint64_t low = (uint64_t)m;
    if (low < n) {
        uint64_t threshold = -n % n;
        while (low < threshold) {
            x = rk_random64();
            m = (__uint128_t)x * n;
            low = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}
