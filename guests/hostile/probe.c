/* hostile/probe.c: a guest that walks every boundary of the virt memory
 * map and prints what each access gave: the value, or the trap's mcause
 * and mtval. Boundaries: the first and last byte of RAM, one past its end,
 * a word that straddles the end, the top of the 32-bit space and a word
 * that would wrap past it; both edges of every device (finisher, CLINT,
 * PLIC, UART0, virtio-mmio, GPIO), misaligned device accesses, the holes
 * between devices and a fetch from a hole and from past RAM.
 *
 * Reads of registers whose value depends on time (CLINT mtime) print
 * "ok" without the value, so the table is the same on every run and
 * comparable with qemu-system-riscv32 -M virt -bios none (128 MiB RAM).
 * Writes only go where they change nothing the guest relies on: a byte of
 * RAM is written back with its own value, device registers with their
 * reset values or into holes. Exit status 0 when the table is complete
 * (the host tests check its contents against the memory map). */
#include <stdio.h>
#include <unistd.h>
#include "guest.h"

#define RAM_BASE 0x80000000u
#define RAM_END  0x88000000u   /* 128 MiB, QEMU's and xsvisor's default */

uint32_t hp_lb(uint32_t a), hp_lbu(uint32_t a), hp_lh(uint32_t a), hp_lhu(uint32_t a), hp_lw(uint32_t a);
uint32_t hp_sb(uint32_t a, uint32_t v), hp_sh(uint32_t a, uint32_t v), hp_sw(uint32_t a, uint32_t v);
uint32_t hp_jump(uint32_t a);

volatile uint32_t hp_resume;
static volatile uint32_t trapped, cause, tval;

void trap_handler(struct trap_frame *f)
{
    if (hp_resume != 0) {
        trapped = 1;
        cause = f->mcause;
        tval = f->mtval;
        f->mepc = hp_resume;
        hp_resume = 0;
        return;
    }
    printf("unexpected trap: mcause=0x%08lx mepc=0x%08lx mtval=0x%08lx\n",
           (unsigned long)f->mcause, (unsigned long)f->mepc, (unsigned long)f->mtval);
    _exit(TRAP_EXIT_STATUS);
}

enum op { LB, LBU, LH, LHU, LW, SB, SH, SW, JUMP };
static const char *const OPS[] = { "lb", "lbu", "lh", "lhu", "lw", "sb", "sh", "sw", "jump" };
/* Print the value read: 0 for time-dependent registers. */
#define SHOW 1
#define HIDE 0

static unsigned probes;

static void probe(const char *what, enum op op, uint32_t addr, uint32_t val, int show)
{
    uint32_t got = 0;
    trapped = 0;
    switch (op) {
    case LB: got = hp_lb(addr); break;
    case LBU: got = hp_lbu(addr); break;
    case LH: got = hp_lh(addr); break;
    case LHU: got = hp_lhu(addr); break;
    case LW: got = hp_lw(addr); break;
    case SB: hp_sb(addr, val); break;
    case SH: hp_sh(addr, val); break;
    case SW: hp_sw(addr, val); break;
    case JUMP: hp_jump(addr); break;
    }
    probes++;
    printf("%-16s %-4s %08lx ", what, OPS[op], (unsigned long)addr);
    if (trapped)
        printf("trap %lu %08lx\n", (unsigned long)cause, (unsigned long)tval);
    else if (op >= SB && op <= SW)
        printf("ok\n");
    else if (op == JUMP)
        printf("returned\n");
    else if (show)
        printf("ok %08lx\n", (unsigned long)got);
    else
        printf("ok\n");
}

int main(void)
{
    printf("probe table: what op address -> ok [value] | trap mcause mtval\n");

    /* RAM: first byte, last byte (written back with its own value), one past the end, straddling the end. */
    uint32_t first = *(volatile uint8_t *)RAM_BASE;
    probe("ram-first", LBU, RAM_BASE, 0, SHOW);
    (void)first;
    uint8_t last = *(volatile uint8_t *)(RAM_END - 1);
    probe("ram-last", SB, RAM_END - 1, last, SHOW);
    probe("ram-last", LBU, RAM_END - 1, 0, HIDE);
    probe("ram-end", LB, RAM_END, 0, SHOW);
    probe("ram-end", LW, RAM_END, 0, SHOW);
    probe("ram-end", SB, RAM_END, 0, SHOW);
    probe("ram-end", SW, RAM_END, 0, SHOW);
    probe("ram-straddle", LW, RAM_END - 2, 0, SHOW);
    probe("ram-straddle", SW, RAM_END - 2, 0, SHOW);
    probe("ram-end", JUMP, RAM_END, 0, SHOW);

    /* The top of the 32-bit space and accesses that would wrap around it. */
    probe("top", LB, 0xffffffffu, 0, SHOW);
    probe("top", SB, 0xffffffffu, 0, SHOW);
    probe("top", LW, 0xfffffffcu, 0, SHOW);
    probe("wrap", LW, 0xfffffffeu, 0, SHOW);
    probe("wrap", LH, 0xffffffffu, 0, SHOW);
    probe("wrap", SW, 0xfffffffdu, 0, SHOW);

    /* Holes: below the finisher, between the devices, before RAM. */
    probe("hole-zero", LW, 0x00000000u, 0, SHOW);
    probe("hole-zero", JUMP, 0x00000000u, 0, SHOW);
    probe("hole-below-test", LW, 0x000ffffcu, 0, SHOW);
    probe("hole-below-clint", LW, 0x01fffffcu, 0, SHOW);
    probe("hole-after-plic", LW, 0x0c600000u, 0, SHOW);
    probe("hole-after-plic", SW, 0x0c600000u, 0, SHOW);
    probe("hole-below-uart", LW, 0x0ffffffcu, 0, SHOW);
    probe("hole-after-virtio", LW, 0x10009000u, 0, SHOW);

    /* Finisher: both edges (reads only: a write ends the run). */
    probe("test-first", LW, 0x00100000u, 0, SHOW);
    probe("test-last", LW, 0x00100ffcu, 0, SHOW);
    probe("test-misaligned", LW, 0x00100002u, 0, SHOW);

    /* CLINT: msip (hart 0), mtimecmp, mtime (time: no value), past the mtimer block, the last word. */
    probe("clint-msip", LW, 0x02000000u, 0, SHOW);
    probe("clint-msip", SW, 0x02000000u, 0, SHOW);
    probe("clint-mtimecmp", LW, 0x02004000u, 0, HIDE);
    probe("clint-mtime", LW, 0x0200bff8u, 0, HIDE);
    probe("clint-mtime-hi", LW, 0x0200bffcu, 0, HIDE);
    probe("clint-past-mtimer", LW, 0x0200c000u, 0, SHOW);
    probe("clint-last", LW, 0x0200fffcu, 0, SHOW);
    probe("clint-misaligned", LW, 0x02000002u, 0, SHOW);
    probe("clint-misaligned", SH, 0x02000001u, 0, SHOW);

    /* PLIC: priority of source 0 (reserved), priority 1, context 0's threshold and claim, the last word. */
    probe("plic-first", LW, 0x0c000000u, 0, SHOW);
    probe("plic-prio1", LW, 0x0c000004u, 0, SHOW);
    probe("plic-threshold", LW, 0x0c200000u, 0, SHOW);
    probe("plic-claim", LW, 0x0c200004u, 0, SHOW);
    probe("plic-last", LW, 0x0c5ffffcu, 0, SHOW);
    probe("plic-misaligned", LW, 0x0c000006u, 0, SHOW);

    /* UART0: RBR (empty), LSR, SCR (the last register), written back; misaligned; past the 8 registers. */
    probe("uart-rbr", LBU, 0x10000000u, 0, SHOW);
    probe("uart-lsr", LBU, 0x10000005u, 0, SHOW);
    probe("uart-scr", SB, 0x10000007u, 0x5a, SHOW);
    probe("uart-scr", LBU, 0x10000007u, 0, SHOW);
    probe("uart-scr", SB, 0x10000007u, 0, SHOW);
    probe("uart-misaligned", LH, 0x10000001u, 0, SHOW);
    probe("uart-misaligned", LW, 0x10000002u, 0, SHOW);
    probe("uart-misaligned", SH, 0x10000003u, 0, SHOW);
    probe("uart-past-regs", LBU, 0x10000008u, 0, SHOW);
    probe("uart-window-end", LBU, 0x100000ffu, 0, SHOW);
    probe("uart-past-window", LBU, 0x10000100u, 0, SHOW);

    /* virtio-mmio: the first slot's magic and version, the ends of its 0x200-byte register window
     * (QEMU's virtio-mmio region) and of its 0x1000-byte slot, the last slot's last register. */
    probe("virtio-magic", LW, 0x10001000u, 0, SHOW);
    probe("virtio-version", LW, 0x10001004u, 0, SHOW);
    probe("virtio-window-end", LW, 0x100011fcu, 0, SHOW);
    probe("virtio-past-window", LW, 0x10001200u, 0, SHOW);
    probe("virtio-slot-end", LW, 0x10001ffcu, 0, SHOW);
    probe("virtio-last", LW, 0x100081fcu, 0, SHOW);
    probe("virtio-last-gap", LW, 0x10008ffcu, 0, SHOW);
    probe("virtio-misaligned", LW, 0x10001002u, 0, SHOW);

    /* GPIO (xsvisor's own block; a hole in QEMU's virt): both edges and past the end. */
    probe("gpio-first", LW, 0x10060000u, 0, SHOW);
    probe("gpio-last", LW, 0x10060ffcu, 0, SHOW);
    probe("gpio-past", LW, 0x10061000u, 0, SHOW);
    probe("gpio-misaligned", LW, 0x10060002u, 0, SHOW);

    printf("probes %u\n", probes);
    return 0;
}
