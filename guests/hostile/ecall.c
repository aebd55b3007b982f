/* hostile/ecall.c: an ECALL storm from M, S and U-mode on the virt
 * machine (M-mode firmware, no SBI): N calls from each mode with absurd
 * a7/a6/a0 values, each trapping to this guest's own M-mode handler,
 * which counts them by mcause (11 from M, 9 from S, 8 from U) and steps
 * over them. The monitor must treat them as requests, not a trap storm:
 * the guest exits 0 and prints the counts. Comparable with QEMU. */
#include <stdio.h>
#include <unistd.h>
#include "guest.h"

#define N 20000
#define LOWER_RETURN 0x7e7e7e7eu

void run_lower(uint32_t mpp, void (*fn)(void));
void storm(uint32_t n, uint32_t a7);

static volatile uint32_t counts[16];
static volatile uint32_t others;

void trap_handler(struct trap_frame *f)
{
    uint32_t c = f->mcause;
    if (c == CAUSE_ECALL_U || c == CAUSE_ECALL_S || c == CAUSE_ECALL_M) {
        f->mepc += 4;
        if (f->x[17] == LOWER_RETURN) {
            f->mstatus |= MSTATUS_MPP; /* back to M */
            return;
        }
        counts[c]++;
        return;
    }
    others++;
    printf("unexpected trap: mcause=0x%08lx mepc=0x%08lx mtval=0x%08lx\n",
           (unsigned long)c, (unsigned long)f->mepc, (unsigned long)f->mtval);
    _exit(TRAP_EXIT_STATUS);
}

static void storm_eid_sweep(void)
{
    /* a7 walks through values no SBI would know, and some it would. */
    uint32_t a7 = 0x10;
    for (uint32_t i = 0; i < N; i++) {
        storm(1, a7);
        a7 = a7 * 1103515245u + 12345u;
    }
}

static void storm_n(void)
{
    storm(N, 0xffffffffu);
}

int main(void)
{
    storm_n();
    storm_eid_sweep();
    run_lower(MSTATUS_MPP_S, storm_n);
    run_lower(MSTATUS_MPP_S, storm_eid_sweep);
    run_lower(0, storm_n);
    run_lower(0, storm_eid_sweep);
    printf("ecall storm: M %lu S %lu U %lu other traps %lu\n",
           (unsigned long)counts[CAUSE_ECALL_M], (unsigned long)counts[CAUSE_ECALL_S],
           (unsigned long)counts[CAUSE_ECALL_U], (unsigned long)others);
    int ok = counts[CAUSE_ECALL_M] == 2 * N && counts[CAUSE_ECALL_S] == 2 * N && counts[CAUSE_ECALL_U] == 2 * N;
    printf("%s ecall storm\n", ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
}
