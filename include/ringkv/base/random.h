/* random.h — fast non-cryptographic pseudo-random numbers for data
 * structures (skiplist levels, SRANDMEMBER/SPOP/HRANDFIELD picks).
 *
 * The state is per thread, so shards never share it and need no locks.
 * Each thread seeds itself at first use from the clock and its thread id;
 * tests call rk_random_seed() for reproducible runs. Any thread.
 */
#ifndef RINGKV_RANDOM_H
#define RINGKV_RANDOM_H

#include <stdint.h>

/* Reseeds the calling thread's generator (same seed, same sequence). */
void rk_random_seed(uint64_t seed);
/* 64 uniformly random bits. */
uint64_t rk_random64(void);
/* Uniform integer in [0, n); n must be > 0. */
uint64_t rk_random_below(uint64_t n);

#endif
