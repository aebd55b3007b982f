/* mips.c: the benchmark guest: a fixed, deterministic integer workload
 * (120,583,674 instructions from _start through the finisher store,
 * counted under qemu-system-riscv32 -icount shift=0; see README.md)
 * mixing ALU work, multiply/divide, byte/half/word loads and stores,
 * data-dependent branches and calls, built for rv32imac so most of the
 * code is compressed. Prints one checksum per kernel and a total. */
#include <stdint.h>
#include <stdio.h>

/* board-bench.elf is this workload for a board: 1 round instead of 290 (Makefile). */
#ifndef ROUNDS
#define ROUNDS 290
#endif

static uint32_t rng_state;

static uint32_t rng(void)
{
    /* xorshift32 (Marsaglia 2003): shifts and xors only */
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rng_state = x;
    return x;
}

#define N 16
static int32_t mat_a[N][N], mat_b[N][N], mat_c[N][N];

static uint32_t kernel_matmul(void)
{
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            mat_a[i][j] = (int32_t)(rng() % 2001) - 1000;
            mat_b[i][j] = (int32_t)(rng() % 2001) - 1000;
        }
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            int32_t sum = 0;
            for (int k = 0; k < N; k++)
                sum += mat_a[i][k] * mat_b[k][j];
            mat_c[i][j] = sum;
        }
    uint32_t h = 0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            h = h * 31u + (uint32_t)mat_c[i][j];
    return h;
}

static uint8_t bytes[2048];

static uint32_t kernel_crc32(void)
{
    for (unsigned i = 0; i < sizeof bytes; i++)
        bytes[i] = (uint8_t)rng();
    /* bitwise CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320) */
    uint32_t crc = 0xffffffffu;
    for (unsigned i = 0; i < sizeof bytes; i++) {
        crc ^= bytes[i];
        for (int b = 0; b < 8; b++)
            crc = (crc & 1) ? (crc >> 1) ^ 0xedb88320u : crc >> 1;
    }
    return ~crc;
}

#define SORT_N 512
static int16_t keys[SORT_N];

static void quicksort(int16_t *v, int lo, int hi)
{
    while (lo < hi) {
        int16_t pivot = v[(lo + hi) / 2];
        int i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot) i++;
            while (v[j] > pivot) j--;
            if (i <= j) {
                int16_t t = v[i];
                v[i] = v[j];
                v[j] = t;
                i++;
                j--;
            }
        }
        /* recurse into the smaller half so the stack stays shallow */
        if (j - lo < hi - i) {
            quicksort(v, lo, j);
            lo = i;
        } else {
            quicksort(v, i, hi);
            hi = j;
        }
    }
}

static uint32_t kernel_sort(void)
{
    for (int i = 0; i < SORT_N; i++)
        keys[i] = (int16_t)rng();
    quicksort(keys, 0, SORT_N - 1);
    uint32_t h = 0;
    for (int i = 0; i < SORT_N; i++) {
        if (i > 0 && keys[i - 1] > keys[i])
            return 0xdeadu;     /* not sorted: poison the checksum */
        h = (h << 3 | h >> 29) ^ (uint16_t)keys[i];
    }
    return h;
}

static uint32_t gcd(uint32_t a, uint32_t b)
{
    while (b != 0) {
        uint32_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static uint32_t kernel_divide(void)
{
    uint32_t h = 0;
    for (int i = 0; i < 300; i++) {
        uint32_t a = rng(), b = rng() >> (rng() & 15);
        int32_t sa = (int32_t)rng(), sb = (int32_t)(rng() >> 20) - 2048;
        h += gcd(a, b | 1);
        if (sb != 0)
            h ^= (uint32_t)(sa / sb) + (uint32_t)(sa % sb);
        /* decimal digits by repeated division, as printf would */
        for (uint32_t v = a; v != 0; v /= 10)
            h = h * 10u + v % 10u;
        h += (uint32_t)(((uint64_t)a * b) >> 32);
    }
    return h;
}

#define SIEVE_N 8192
static uint8_t composite[SIEVE_N];

static uint32_t kernel_sieve(void)
{
    for (int i = 0; i < SIEVE_N; i++)
        composite[i] = 0;
    uint32_t count = 0, sum = 0;
    for (int i = 2; i < SIEVE_N; i++) {
        if (composite[i])
            continue;
        count++;
        sum += (uint32_t)i;
        for (int j = i * i; j < SIEVE_N; j += i)
            composite[j] = 1;
    }
    return count * 65536u + (sum & 0xffffu);
}

int main(void)
{
    uint32_t sums[5] = {0, 0, 0, 0, 0};
    rng_state = 0x2545f491u;
    for (int round = 0; round < ROUNDS; round++) {
        sums[0] = sums[0] * 3u + kernel_matmul();
        sums[1] = sums[1] * 3u + kernel_crc32();
        sums[2] = sums[2] * 3u + kernel_sort();
        sums[3] = sums[3] * 3u + kernel_divide();
        sums[4] = sums[4] * 3u + kernel_sieve();
    }
    uint32_t total = 0;
    static const char *const names[5] = {"matmul", "crc32", "sort", "divide", "sieve"};
    for (int i = 0; i < 5; i++) {
        printf("%-6s %08lx\n", names[i], (unsigned long)sums[i]);
        total = (total << 7 | total >> 25) ^ sums[i];
    }
    printf("checksum %08lx\n", (unsigned long)total);
    return 0;
}
