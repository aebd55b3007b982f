/* boot/kernel.c: the boot benchmark's kernel (issue 18): an S-mode program
 * with the mix of work a Linux kernel does while it boots and starts its
 * first processes, written small: Sv32 page tables (megapages for itself,
 * 4 KiB pages for devices and processes), processes in U-mode whose pages
 * are all mapped on demand (instruction, load and store page faults;
 * A and D left for the walk to set), system calls, timer ticks through
 * SBI set_timer, and an interrupt-driven ns16550a console behind the PLIC.
 * Each process's pages are freed and refaulted every round, so the run
 * takes about 10^5 page faults, 10^5 system calls, 10^4 timer interrupts
 * and 10^5 UART and PLIC accesses. It prints only what does not depend on
 * timing, so its output is the same wherever it runs: under xsvisor's
 * built-in SBI (boot.elf, --firmware sbi) and under QEMU behind the
 * M-mode shim of boot/shim.S (boot-qemu.elf, -bios none). */
#include <stdarg.h>
#include <stdint.h>
#include "boot.h"

/* Sizes (the Makefile may make a short run: -DNPROC=... -DROUNDS=...). */
#ifndef NPROC
#define NPROC 16
#endif
#ifndef ROUNDS
#define ROUNDS 100
#endif
#ifndef CLEAR_PAGES
#define CLEAR_PAGES 1  /* 0: pages are not zeroed (an experiment: the event paths alone) */
#endif
#define TICKS 10000
#define TICK_DELTA 100  /* 10 us at virt's 10 MHz timebase */

/* ---- SBI (specification 2.0) -------------------------------------- */

#define EXT_TIME 0x54494D45
#define EXT_SRST 0x53525354

static long sbi_call(unsigned long eid, unsigned long fid, unsigned long a0, unsigned long a1)
{
    register unsigned long r0 __asm__("a0") = a0;
    register unsigned long r1 __asm__("a1") = a1;
    register unsigned long r6 __asm__("a6") = fid;
    register unsigned long r7 __asm__("a7") = eid;
    __asm__ volatile("ecall" : "+r"(r0), "+r"(r1) : "r"(r6), "r"(r7) : "memory");
    return (long)r0;
}

static void sbi_set_timer(uint64_t when) { sbi_call(EXT_TIME, 0, (uint32_t)when, (uint32_t)(when >> 32)); }

static void __attribute__((noreturn)) sbi_shutdown(int failure)
{
    sbi_call(EXT_SRST, 0, 0, failure ? 1 : 0);
    for (;;)
        __asm__ volatile("wfi");
}

static uint64_t rdtime64(void)
{
    uint32_t hi, lo, hi2;
    do {
        hi = (uint32_t)csr_read(timeh);
        lo = (uint32_t)csr_read(time);
        hi2 = (uint32_t)csr_read(timeh);
    } while (hi != hi2);
    return (uint64_t)hi << 32 | lo;
}

/* ---- devices ------------------------------------------------------ */

#define UART ((volatile uint8_t *)0x10000000)
#define UART_THR 0
#define UART_IER 1
#define UART_IIR 2
#define UART_FCR 2
#define UART_LCR 3
#define UART_LSR 5
#define UART_SCR 7
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define UART_IRQ 10

#define PLIC_BASE 0x0c000000u
#define PLIC_PRIORITY(id) ((volatile uint32_t *)(PLIC_BASE + 4u * (id)))
#define PLIC_ENABLE_S ((volatile uint32_t *)(PLIC_BASE + 0x2080u))
#define PLIC_THRESHOLD_S ((volatile uint32_t *)(PLIC_BASE + 0x201000u))
#define PLIC_CLAIM_S ((volatile uint32_t *)(PLIC_BASE + 0x201004u))
#define POLL_SOURCE 11  /* a source with no device on virt: its priority is a plain register */

/* ---- console: a ring drained by the UART's THR-empty interrupt ---- */

#define RING 4096
static char ring[RING];
static uint32_t ring_head, ring_tail;  /* written at head, sent from tail */

/* Moves up to one FIFO's worth from the ring to the UART; asks for the
 * THR-empty interrupt while bytes remain. */
static void uart_tx(void)
{
    if (UART[UART_LSR] & LSR_THRE)
        for (int n = 0; n < 16 && ring_tail != ring_head; n++)
            UART[UART_THR] = (uint8_t)ring[ring_tail++ % RING];
    UART[UART_IER] = ring_tail != ring_head ? 0x02 : 0x00;
}

static void console_put(char c)
{
    while (ring_head - ring_tail >= RING) {  /* full: drain by polling, as in a trap handler */
        while (!(UART[UART_LSR] & LSR_THRE))
            ;
        uart_tx();
    }
    ring[ring_head++ % RING] = c;
}

static void put_str(const char *s)
{
    while (*s)
        console_put(*s++);
}

static void put_uint(uint32_t v, unsigned base, int width)
{
    char digits[12];
    int n = 0;
    do {
        uint32_t d = v % base;
        digits[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
        v /= base;
    } while (v != 0);
    while (width-- > n)
        console_put('0');
    while (n > 0)
        console_put(digits[--n]);
}

/* printk: %u, %x (8 digits), %s; interrupts off while the ring changes. */
static void printk(const char *fmt, ...)
{
    unsigned long flags = csr_read(sstatus);
    csr_clear(sstatus, SSTATUS_SIE);
    va_list ap;
    va_start(ap, fmt);
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            console_put(*p);
            continue;
        }
        p++;
        if (*p == 'u')
            put_uint(va_arg(ap, uint32_t), 10, 0);
        else if (*p == 'x')
            put_uint(va_arg(ap, uint32_t), 16, 8);
        else if (*p == 's')
            put_str(va_arg(ap, const char *));
    }
    va_end(ap);
    uart_tx();
    csr_write(sstatus, flags);
}

/* ---- memory: a pool of 4 KiB pages and the page tables ------------ */

#define POOL_BASE 0x80800000u  /* 4 MiB above the kernel, mapped by a megapage */
#define POOL_PAGES 1024
static uint16_t free_pages[POOL_PAGES];
static uint32_t free_count;

static uint32_t pt_root[1024] __attribute__((aligned(4096)));
static uint32_t pt_low[1024] __attribute__((aligned(4096)));   /* VA 0-4 MiB: user text and stack */
static uint32_t pt_heap[1024] __attribute__((aligned(4096)));  /* VA 4-8 MiB: user heap */
static uint32_t pt_uart[1024] __attribute__((aligned(4096)));
static uint32_t pt_plic[1024] __attribute__((aligned(4096)));

#define PTE_TABLE(pa) ((((uint32_t)(pa)) >> 12) << 10 | PTE_V)
#define PTE_LEAF(pa, flags) ((((uint32_t)(pa)) >> 12) << 10 | (flags))

static uint32_t page_alloc(void)
{
    if (free_count == 0) {
        printk("xsboot: out of pages\n");
        sbi_shutdown(1);
    }
    uint32_t pa = POOL_BASE + 4096u * free_pages[--free_count];
    uint32_t *w = (uint32_t *)pa;
    for (int i = 0; i < 1024 * CLEAR_PAGES; i += 4) {
        w[i] = 0;
        w[i + 1] = 0;
        w[i + 2] = 0;
        w[i + 3] = 0;
    }
    return pa;
}

static void page_free(uint32_t pa) { free_pages[free_count++] = (uint16_t)((pa - POOL_BASE) >> 12); }

static void sfence_vma(uint32_t va) { __asm__ volatile("sfence.vma %0, zero" ::"r"(va) : "memory"); }

static void paging_init(void)
{
    for (uint32_t i = 0; i < POOL_PAGES; i++)
        free_pages[i] = (uint16_t)(POOL_PAGES - 1 - i);
    free_count = POOL_PAGES;
    const uint32_t kflags = PTE_V | PTE_R | PTE_W | PTE_X | PTE_G | PTE_A | PTE_D;
    pt_root[0x80400000u >> 22] = PTE_LEAF(0x80400000u, kflags);  /* the kernel */
    pt_root[POOL_BASE >> 22] = PTE_LEAF(POOL_BASE, kflags);        /* the page pool */
    pt_root[0x10000000u >> 22] = PTE_TABLE(pt_uart);
    pt_uart[0] = PTE_LEAF(0x10000000u, PTE_V | PTE_R | PTE_W | PTE_G | PTE_A | PTE_D);
    pt_root[PLIC_BASE >> 22] = PTE_TABLE(pt_plic);
    const uint32_t dflags = PTE_V | PTE_R | PTE_W | PTE_G | PTE_A | PTE_D;
    pt_plic[0] = PTE_LEAF(PLIC_BASE, dflags);                  /* priorities */
    pt_plic[2] = PTE_LEAF(PLIC_BASE + 0x2000u, dflags);        /* enables */
    pt_plic[0x201] = PTE_LEAF(PLIC_BASE + 0x201000u, dflags);  /* S context: threshold, claim */
    pt_root[0] = PTE_TABLE(pt_low);
    pt_root[1] = PTE_TABLE(pt_heap);
    csr_write(satp, SATP_SV32 | ((uint32_t)pt_root >> 12));
    __asm__ volatile("sfence.vma" ::: "memory");
}

/* ---- processes ---------------------------------------------------- */

extern char __user_lma[], __user_end_lma[];
extern void user_entry(uint32_t pid);  /* at its user VA, boot/user.c */
extern void __attribute__((noreturn)) enter_user(uint32_t pc, uint32_t sp, uint32_t arg);
extern void trap_return(struct frame *f);

#define USER_TEXT 0x00010000u
#define USER_STACK_TOP 0x00400000u
#define USER_HEAP 0x00400000u
#define USER_HEAP_PAGES 64

static uint32_t pid_now, next_pid = 1;
static uint32_t exit_sum, killed;
static struct {
    uint32_t faults, syscalls, ticks, uart_irqs, pf_kernel;
} stats;
static volatile uint32_t jiffies;

static void unmap_range(uint32_t *table, uint32_t first, uint32_t count)
{
    for (uint32_t i = first; i < first + count; i++) {
        uint32_t pte = table[i];
        if (!(pte & PTE_V))
            continue;
        table[i] = 0;
        /* text pages belong to the kernel image; only pool pages go back */
        uint32_t pa = (pte >> 10) << 12;
        if (pa >= POOL_BASE)
            page_free(pa);
    }
}

static void __attribute__((noreturn)) finish(void);

static void __attribute__((noreturn)) schedule(void)
{
    /* the previous process's address space goes */
    unmap_range(pt_low, 0, 1024);
    unmap_range(pt_heap, 0, 1024);
    __asm__ volatile("sfence.vma" ::: "memory");
    if (next_pid > NPROC)
        finish();
    pid_now = next_pid++;
    enter_user((uint32_t)(uintptr_t)user_entry, USER_STACK_TOP, pid_now);
}

static int fix_fault(uint32_t cause, uint32_t va)
{
    uint32_t text_pages = ((uint32_t)(__user_end_lma - __user_lma)) >> 12;
    if (va >= USER_TEXT && va < USER_TEXT + 4096u * text_pages) {
        if (cause == CAUSE_STORE_PAGE_FAULT)
            return 0;  /* text is read-only */
        uint32_t page = (va - USER_TEXT) >> 12;
        pt_low[(USER_TEXT >> 12) + page] = PTE_LEAF((uint32_t)__user_lma + 4096u * page, PTE_V | PTE_R | PTE_X | PTE_U);
    } else if (va >= USER_STACK_TOP - 4096u && va < USER_STACK_TOP) {
        pt_low[1023] = PTE_LEAF(page_alloc(), PTE_V | PTE_R | PTE_W | PTE_U);
    } else if (va >= USER_HEAP && va < USER_HEAP + 4096u * USER_HEAP_PAGES && cause != CAUSE_FETCH_PAGE_FAULT) {
        pt_heap[(va - USER_HEAP) >> 12] = PTE_LEAF(page_alloc(), PTE_V | PTE_R | PTE_W | PTE_U);
    } else {
        return 0;
    }
    sfence_vma(va & ~0xfffu);
    return 1;
}

static uint32_t syscall(struct frame *f)
{
    uint32_t a0 = f->x[10], a1 = f->x[11];
    switch (f->x[17]) {
    case SYS_POLL:
        /* a driver's poll: a UART register written and read back, a PLIC register read */
        UART[UART_SCR] = (uint8_t)a0;
        return UART[UART_SCR] + *PLIC_PRIORITY(POLL_SOURCE);
    case SYS_GETPID:
        return pid_now;
    case SYS_WRITE: {
        /* from user memory (SUM is set): a page not yet there faults and is mapped */
        const char *s = (const char *)(uintptr_t)a0;
        unsigned long flags = csr_read(sstatus);
        csr_clear(sstatus, SSTATUS_SIE);
        for (uint32_t i = 0; i < a1; i++)
            console_put(s[i]);
        uart_tx();
        csr_write(sstatus, flags);
        return a1;
    }
    case SYS_MUNMAP:
        unmap_range(pt_heap, 0, USER_HEAP_PAGES);
        for (uint32_t i = 0; i < USER_HEAP_PAGES; i++)
            sfence_vma(USER_HEAP + 4096u * i);
        return 0;
    case SYS_EXIT:
        printk("[pid %u] exit %x\n", pid_now, a0);
        exit_sum = exit_sum * 31u + a0;
        schedule();
    default:
        return (uint32_t)-38;  /* ENOSYS */
    }
}

static void interrupt(uint32_t code)
{
    if (code == IRQ_S_TIMER) {
        stats.ticks++;
        jiffies++;
        sbi_set_timer(jiffies < TICKS ? rdtime64() + TICK_DELTA : UINT64_MAX);
    } else if (code == IRQ_S_EXTERNAL) {
        uint32_t id;
        while ((id = *PLIC_CLAIM_S) != 0) {
            if (id == UART_IRQ) {
                stats.uart_irqs++;
                (void)UART[UART_IIR];
                uart_tx();
            }
            *PLIC_CLAIM_S = id;
        }
    } else {
        printk("xsboot: unexpected interrupt %u\n", code);
        sbi_shutdown(1);
    }
}

struct frame *trap_handler(struct frame *f)
{
    uint32_t cause = f->scause;
    if (cause & 0x80000000u) {
        interrupt(cause & 0x7fffffffu);
        return f;
    }
    int from_user = !(f->sstatus & SSTATUS_SPP);
    if (cause == CAUSE_ECALL_U) {
        stats.syscalls++;
        f->sepc += 4;
        /* system calls run with interrupts on, as Linux's do */
        csr_set(sstatus, SSTATUS_SIE);
        f->x[10] = syscall(f);
        csr_clear(sstatus, SSTATUS_SIE);
        return f;
    }
    if (cause == CAUSE_FETCH_PAGE_FAULT || cause == CAUSE_LOAD_PAGE_FAULT || cause == CAUSE_STORE_PAGE_FAULT) {
        stats.faults++;
        if (!from_user)
            stats.pf_kernel++;
        if (fix_fault(cause, f->stval))
            return f;
        if (from_user) {
            printk("[pid %u] segfault at %x (cause %u), killed\n", pid_now, f->stval, cause);
            killed++;
            exit_sum = exit_sum * 31u + 0xdeadu;
            schedule();
        }
    }
    printk("xsboot: kernel trap, scause %u stval %x sepc %x\n", cause, f->stval, f->sepc);
    sbi_shutdown(1);
}

static void __attribute__((noreturn)) finish(void)
{
    /* the timer ticks on to its count with interrupts on, whatever the speed */
    csr_set(sstatus, SSTATUS_SIE);
    while (jiffies < TICKS)
        __asm__ volatile("wfi");
    printk("xsboot: %u processes, %u killed, %u page faults (%u in the kernel), %u system calls, %u timer ticks\n",
           NPROC, killed, stats.faults, stats.pf_kernel, stats.syscalls, stats.ticks);
    printk("xsboot: pages free %u of %u\n", free_count, POOL_PAGES);
    printk("xsboot: checksum %x\n", exit_sum);
    /* wait for the console to drain before powering off */
    for (;;) {
        csr_clear(sstatus, SSTATUS_SIE);
        int idle = ring_tail == ring_head && (UART[UART_LSR] & LSR_TEMT);
        if (!idle)
            uart_tx();
        csr_set(sstatus, SSTATUS_SIE);
        if (idle)
            break;
    }
    sbi_shutdown(0);
}

void kmain(uint32_t hartid, uint32_t dtb)
{
    (void)dtb;
    UART[UART_FCR] = 0x07;  /* FIFOs on and cleared */
    UART[UART_LCR] = 0x03;  /* 8N1 */
    UART[UART_IER] = 0x00;
    paging_init();
    *PLIC_PRIORITY(UART_IRQ) = 1;
    *PLIC_PRIORITY(POLL_SOURCE) = 5;
    *PLIC_ENABLE_S = 1u << UART_IRQ;
    *PLIC_THRESHOLD_S = 0;
    csr_set(sstatus, SSTATUS_SUM);
    csr_set(sie, SIE_SEIE | SIE_STIE);
    printk("xsboot: hart %u, Sv32 on, %u processes of %u rounds, %u pages each\n", hartid, NPROC, ROUNDS, USER_HEAP_PAGES);
    sbi_set_timer(rdtime64() + TICK_DELTA);
    csr_set(sstatus, SSTATUS_SIE);
    schedule();
}
