/* boot/user.c: the program every process of the boot benchmark runs, in
 * U-mode at its own addresses (linked at 0x10000, boot/payload.ld). Each
 * round it touches its 64 heap pages (a store or a load first, so both
 * kinds of page fault occur), makes a system call per page, folds the
 * pages into a sum, prints a line now and then, and unmaps the heap, so
 * the next round faults every page again. It uses no global variable and
 * calls nothing outside this file. */
#include <stdint.h>
#include "boot.h"

#ifndef ROUNDS
#define ROUNDS 100
#endif
#define HEAP ((volatile uint32_t *)0x00400000)
#define HEAP_PAGES 64

static inline uint32_t sys(uint32_t n, uint32_t a0, uint32_t a1)
{
    register uint32_t r0 __asm__("a0") = a0;
    register uint32_t r1 __asm__("a1") = a1;
    register uint32_t r7 __asm__("a7") = n;
    __asm__ volatile("ecall" : "+r"(r0) : "r"(r1), "r"(r7) : "memory");
    return r0;
}

static void say(uint32_t pid, uint32_t round, uint32_t sum)
{
    char line[40];
    const char *head = "[user] pid ";
    int n = 0;
    while (*head)
        line[n++] = *head++;
    line[n++] = (char)('0' + pid / 10);
    line[n++] = (char)('0' + pid % 10);
    line[n++] = ' ';
    line[n++] = 'r';
    line[n++] = (char)('0' + round / 100);
    line[n++] = (char)('0' + round / 10 % 10);
    line[n++] = (char)('0' + round % 10);
    line[n++] = ' ';
    for (int s = 28; s >= 0; s -= 4) {
        uint32_t d = (sum >> s) & 15;
        line[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
    }
    line[n++] = '\n';
    sys(SYS_WRITE, (uint32_t)(uintptr_t)line, (uint32_t)n);
}

void __attribute__((noreturn, section(".text.user_entry"))) user_entry(uint32_t pid)
{
    uint32_t sum = pid * 0x9e3779b9u;
    if (sys(SYS_GETPID, 0, 0) != pid)
        sum = 0xbad;
    for (uint32_t round = 0; round < ROUNDS; round++) {
        for (uint32_t p = 0; p < HEAP_PAGES; p++) {
            volatile uint32_t *page = HEAP + 1024u * p;
            if ((p + round) & 1)
                page[(p * 37u + round) & 1023u] = sum;   /* store fault: a fresh zero page */
            else
                sum += page[(p * 13u) & 1023u] + 1u;     /* load fault: reads zero */
            sum = sum * 33u + sys(SYS_POLL, sum, 0);
        }
        for (uint32_t p = 0; p < HEAP_PAGES; p++) {
            volatile uint32_t *page = HEAP + 1024u * p;
            for (uint32_t w = 0; w < 1024u; w += 128u)
                sum = (sum << 5 | sum >> 27) ^ page[w + (p & 127u)];
        }
        if (round % 25 == 24)
            say(pid, round, sum);
        sys(SYS_MUNMAP, 0, 0);
    }
    if (pid == 7)
        HEAP[-0x100000] = sum;  /* 0x00000000: nothing is mapped there, the kernel kills us */
    sys(SYS_EXIT, sum, 0);
    for (;;)
        ;
}
