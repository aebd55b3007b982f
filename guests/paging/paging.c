/* paging.c: an S-mode guest that exercises Sv32 (RISC-V privileged spec
 * 1.12, section 4.3) the same way on QEMU and on xsvisor: it builds page
 * tables, maps, remaps and unmaps pages with SFENCE.VMA after each change,
 * and checks every page-fault cause with its stval/sepc, megapages
 * (aligned and misaligned), SUM, MXR, U-mode rules, A/D updates, reserved
 * encodings, and, from M-mode, MPRV and the satp WARL fields.
 *
 * Owns the page tables and the test pages (all inside the image, which S
 * sees through an identity megapage); probes.S owns the single-access
 * probes and the S-mode trap vector. Each check prints "PASS name" or
 * "FAIL name: got 0x..., want 0x..."; the exit status is the number of
 * failures. Cases where QEMU 7.2 departs from the spec (a PTE outside RAM
 * gives it a page fault, not an access fault) are left to the unit tests. */
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>
#include "guest.h"

/* PTE bits (spec figure 4.18). */
#define PTE_V (1u << 0)
#define PTE_R (1u << 1)
#define PTE_W (1u << 2)
#define PTE_X (1u << 3)
#define PTE_U (1u << 4)
#define PTE_G (1u << 5)
#define PTE_A (1u << 6)
#define PTE_D (1u << 7)
#define RW    (PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)
#define RO    (PTE_V | PTE_R | PTE_A)
#define RX    (PTE_V | PTE_R | PTE_X | PTE_A)
#define RWX   (RW | PTE_X)

#define csr_set(csr, v) __asm__ volatile ("csrs " #csr ", %0" :: "rK"(v))
#define csr_clear(csr, v) __asm__ volatile ("csrc " #csr ", %0" :: "rK"(v))

#define SATP_SV32       0x80000000u
#define SSTATUS_SUM     (1u << 18)
#define SSTATUS_MXR     (1u << 19)
#define CAUSE_FETCH_PAGE 12
#define CAUSE_LOAD_PAGE  13
#define CAUSE_STORE_PAGE 15

/* Virtual layout: the image (0x8000_0000), the UART and the finisher are
 * identity megapages; tests use 4 KiB pages at 0x4000_0000 (one level-0
 * table) and a megapage at 0xc000_0000. */
#define VA_D0   0x40000000u /* data pages */
#define VA_D1   0x40001000u
#define VA_D2   0x40002000u
#define VA_X    0x40010000u /* xpage, and the page after it */
#define VA_U    0x40020000u /* upage: code run in U-mode */
#define VA_UD   0x40021000u /* a U data page */
#define VA_MEGA 0xc0000000u
/* Physical RAM past the image: M-mode sees it as is; S maps it elsewhere. */
#define PA_SPARE 0x80400000u

static uint32_t pt_root[1024] __attribute__((aligned(4096)));
static uint32_t pt_test[1024] __attribute__((aligned(4096)));  /* VA 0x4000_0000..0x403f_ffff */
static uint32_t pt_spare[1024] __attribute__((aligned(4096))); /* VA 0x8040_0000..0x807f_ffff */
static uint32_t page[3][1024] __attribute__((aligned(4096)));

/* probes.S */
extern struct { uint32_t cause, tval, epc, count; } strap_info;
extern uint32_t m_recover;
extern char upage[], u_lw[], u_sw[], u_exec[], xpage[];
void s_trap(void);
uint32_t s_lw(uint32_t va);
uint32_t s_lhu(uint32_t va);
uint32_t s_sw(uint32_t va, uint32_t value);
uint32_t s_amoadd(uint32_t va, uint32_t value);
uint32_t s_lr(uint32_t va);
uint32_t s_exec(uint32_t va);
uint32_t u_run(uint32_t a0, uint32_t a1, uint32_t entry);
uint32_t m_lw(uint32_t va, uint32_t mpp_bits);

static struct { uint32_t cause, tval, epc, count; } mtrap;
static int failures;

static uint32_t pa(const void *p) { return (uint32_t)(uintptr_t)p; }
static uint32_t pte(uint32_t phys, uint32_t flags) { return ((phys >> 12) << 10) | flags; }
static uint32_t *leaf(uint32_t va) { return &pt_test[(va >> 12) & 0x3ff]; }
static uint32_t uva(const char *sym) { return VA_U + (uint32_t)(sym - upage); }

static void sfence_all(void) { __asm__ volatile ("sfence.vma" ::: "memory"); }
static void sfence_va(uint32_t va) { __asm__ volatile ("sfence.vma %0, zero" :: "r"(va) : "memory"); }
static void sfence_asid(uint32_t asid) { __asm__ volatile ("sfence.vma zero, %0" :: "r"(asid) : "memory"); }

/* Maps the 4 KiB page at va and fences that address (spec 4.2.1). */
static void map(uint32_t va, uint32_t phys, uint32_t flags)
{
    *leaf(va) = pte(phys, flags);
    sfence_va(va);
}

static void check(const char *name, uint32_t got, uint32_t want)
{
    if (got == want) {
        printf("PASS %s\n", name);
    } else {
        printf("FAIL %s: got 0x%08lx, want 0x%08lx\n", name, (unsigned long)got, (unsigned long)want);
        failures++;
    }
}

static void arm(void) { strap_info.count = 0; }

/* The probe just run raised exactly one trap, with this cause, stval and sepc. */
static void fault(const char *name, uint32_t cause, uint32_t tval, uint32_t epc)
{
    int ok = strap_info.count == 1 && strap_info.cause == cause && strap_info.tval == tval && strap_info.epc == epc;
    if (ok) {
        printf("PASS %s\n", name);
        return;
    }
    printf("FAIL %s: %lu traps, cause %lu stval 0x%08lx sepc 0x%08lx; want cause %lu stval 0x%08lx sepc 0x%08lx\n", name,
           (unsigned long)strap_info.count, (unsigned long)strap_info.cause, (unsigned long)strap_info.tval,
           (unsigned long)strap_info.epc, (unsigned long)cause, (unsigned long)tval, (unsigned long)epc);
    failures++;
}

/* A load or store probe faulted at va: sepc is the probe's access, so only cause and stval are compared. */
static void data_fault(const char *name, uint32_t cause, uint32_t va)
{
    fault(name, cause, va, strap_info.epc);
}

static void no_trap(const char *name) { check(name, strap_info.count, 0); }

/* M-mode traps (from MPRV probes) resume at m_recover; anything else is fatal. */
void trap_handler(struct trap_frame *f)
{
    if (m_recover == 0) {
        printf("FAIL unexpected M trap: mcause 0x%08lx mepc 0x%08lx mtval 0x%08lx\n", (unsigned long)f->mcause,
               (unsigned long)f->mepc, (unsigned long)f->mtval);
        _exit(99);
    }
    mtrap.cause = f->mcause;
    mtrap.tval = f->mtval;
    mtrap.epc = f->mepc;
    mtrap.count++;
    f->mepc = m_recover;
    m_recover = 0;
}

/* ------------------------------------------------------------ M-mode part */

static void build_tables(void)
{
    pt_root[0x80000000u >> 22] = pte(0x80000000u, RWX);       /* the image */
    pt_root[UART0_BASE >> 22] = pte(UART0_BASE, RW);          /* UART */
    pt_root[FINISHER_BASE >> 22] = pte(0, RW);                /* finisher (0x0010_0000) */
    pt_root[VA_D0 >> 22] = pte(pa(pt_test), PTE_V);
    pt_root[PA_SPARE >> 22] = pte(pa(pt_spare), PTE_V);
    pt_spare[0] = pte(pa(page[2]), RW);                       /* 0x8040_0000 -> page[2] */
}

static void m_tests(void)
{
    /* satp WARL: MODE and all 9 ASID bits are writable on rv32 (spec 4.1.11). */
    csr_write(satp, SATP_SV32 | (0x1ffu << 22) | (pa(pt_root) >> 12));
    check("satp keeps MODE, a 9-bit ASID and the PPN", csr_read(satp), SATP_SV32 | (0x1ffu << 22) | (pa(pt_root) >> 12));
    csr_write(satp, SATP_SV32 | (pa(pt_root) >> 12));

    page[2][0] = 0x5a5a0002;
    *(volatile uint32_t *)PA_SPARE = 0x0badf00d;
    /* M-mode without MPRV ignores satp; with MPRV its loads use MPP's translation (spec 3.1.6.3). */
    check("M-mode loads are not translated", *(volatile uint32_t *)PA_SPARE, 0x0badf00d);
    check("MPRV with MPP=S translates M-mode loads", m_lw(PA_SPARE, MSTATUS_MPP_S), 0x5a5a0002);
    mtrap.count = 0;
    m_lw(PA_SPARE, 0);
    check("MPRV with MPP=U: an S page faults (mcause)", mtrap.cause, CAUSE_LOAD_PAGE);
    check("MPRV with MPP=U: mtval is the virtual address", mtrap.tval, PA_SPARE);
    check("MPRV with MPP=M is untranslated", m_lw(PA_SPARE, MSTATUS_MPP), 0x0badf00d);
    check("MPRV probes trapped once", mtrap.count, 1);
}

/* ------------------------------------------------------------ S-mode part */

static void t_map_remap_unmap(void)
{
    page[0][1] = 0x11111111;
    page[1][1] = 0x22222222;
    map(VA_D0, pa(page[0]), RW);
    arm();
    check("a 4 KiB mapping reaches its page", s_lw(VA_D0 + 4), 0x11111111);
    s_sw(VA_D0 + 8, 0xcafe0008);
    check("a store through it lands in the physical page", page[0][2], 0xcafe0008);
    check("a halfword load at an offset", s_lhu(VA_D0 + 10), 0xcafe);
    no_trap("no trap on mapped pages");

    *leaf(VA_D0) = pte(pa(page[1]), RW);
    sfence_va(VA_D0);
    check("after remap and sfence.vma va, the new page", s_lw(VA_D0 + 4), 0x22222222);
    *leaf(VA_D0) = pte(pa(page[0]), RW);
    sfence_all();
    check("after remap and sfence.vma, the old page again", s_lw(VA_D0 + 4), 0x11111111);
    *leaf(VA_D0) = pte(pa(page[1]), RW);
    sfence_asid(0);
    check("sfence.vma zero, asid (the current ASID) is enough", s_lw(VA_D0 + 4), 0x22222222);

    *leaf(VA_D0) = 0;
    sfence_va(VA_D0);
    arm();
    s_lw(VA_D0 + 0x124);
    data_fault("load from an unmapped page: cause 13, stval", CAUSE_LOAD_PAGE, VA_D0 + 0x124);
    arm();
    s_sw(VA_D0 + 0x128, 1);
    data_fault("store to an unmapped page: cause 15, stval", CAUSE_STORE_PAGE, VA_D0 + 0x128);
    arm();
    s_lw(VA_D2 + 0x400000); /* no level-0 table at all: root entry invalid */
    data_fault("load with an invalid root entry", CAUSE_LOAD_PAGE, VA_D2 + 0x400000);
}

static void t_permissions(void)
{
    page[0][0] = 0x0000a0a0;
    map(VA_D0, pa(page[0]), RO);
    arm();
    check("read-only page: loads work", s_lw(VA_D0), 0x0000a0a0);
    s_sw(VA_D0 + 12, 5);
    data_fault("read-only page: store page fault", CAUSE_STORE_PAGE, VA_D0 + 12);
    arm();
    s_amoadd(VA_D0 + 16, 1);
    data_fault("read-only page: AMO is a store page fault", CAUSE_STORE_PAGE, VA_D0 + 16);

    map(VA_D0, pa(page[0]), PTE_V | PTE_X | PTE_A);
    arm();
    s_lw(VA_D0);
    data_fault("execute-only page: load page fault", CAUSE_LOAD_PAGE, VA_D0);
    csr_set(sstatus, SSTATUS_MXR);
    arm();
    check("execute-only page with MXR: the load works", s_lw(VA_D0), 0x0000a0a0);
    s_sw(VA_D0, 1);
    data_fault("execute-only page with MXR: stores still fault", CAUSE_STORE_PAGE, VA_D0);
    csr_clear(sstatus, SSTATUS_MXR);

    map(VA_D0, pa(page[0]), PTE_V | PTE_W | PTE_A | PTE_D);
    arm();
    s_lw(VA_D0);
    data_fault("W without R is reserved: load page fault", CAUSE_LOAD_PAGE, VA_D0);
    arm();
    s_sw(VA_D0, 1);
    data_fault("W without R is reserved: store page fault", CAUSE_STORE_PAGE, VA_D0);

    map(VA_D0, pa(page[0]), PTE_V);
    arm();
    s_lw(VA_D0);
    data_fault("a pointer PTE at level 0 is a page fault", CAUSE_LOAD_PAGE, VA_D0);

    arm();
    s_lr(VA_D0 + 0x40);
    data_fault("LR of that page: load page fault", CAUSE_LOAD_PAGE, VA_D0 + 0x40);
}

static void t_fetch(void)
{
    map(VA_X, pa(xpage), RX);
    map(VA_X + 0x1000, pa(xpage) + 0x1000, RX);
    arm();
    check("code runs through a mapping", s_exec(VA_X), 42);
    check("a 32-bit instruction spanning two mapped pages", s_exec(VA_X + 0xffe), 7);
    no_trap("no fetch trap");
    map(VA_X + 0x1000, 0, 0);
    arm();
    s_exec(VA_X + 0xffe);
    fault("spanning into an unmapped page: stval is that page", CAUSE_FETCH_PAGE, VA_X + 0x1000, VA_X + 0xffe);

    map(VA_X, pa(xpage), RW);
    arm();
    s_exec(VA_X);
    fault("fetch from a non-executable page", CAUSE_FETCH_PAGE, VA_X, VA_X);
    map(VA_X, 0, 0);
    arm();
    s_exec(VA_X + 8);
    fault("fetch from an unmapped page", CAUSE_FETCH_PAGE, VA_X + 8, VA_X + 8);
}

static void t_user(void)
{
    map(VA_U, pa(upage), RX | PTE_U);
    map(VA_UD, pa(page[1]), RW | PTE_U);
    map(VA_D0, pa(page[0]), RW);
    map(VA_X, pa(xpage), RX);
    page[1][3] = 0x0000beef;

    arm();
    check("U-mode loads a U page", u_run(VA_UD + 12, 0, uva(u_lw)), 0x0000beef);
    u_run(VA_UD + 16, 0x77, uva(u_sw));
    check("U-mode stores to a U page", page[1][4], 0x77);
    no_trap("U-mode: no trap on U pages");
    u_run(VA_D0 + 4, 0, uva(u_lw));
    fault("U-mode load of an S page", CAUSE_LOAD_PAGE, VA_D0 + 4, uva(u_lw));
    arm();
    u_run(VA_D0 + 8, 1, uva(u_sw));
    fault("U-mode store to an S page", CAUSE_STORE_PAGE, VA_D0 + 8, uva(u_sw));
    arm();
    u_run(VA_X, 0, uva(u_exec));
    fault("U-mode fetch from an S page", CAUSE_FETCH_PAGE, VA_X, VA_X);

    /* S-mode and U pages: SUM (spec 4.1.1.2). */
    arm();
    s_lw(VA_UD + 12);
    data_fault("S load of a U page without SUM", CAUSE_LOAD_PAGE, VA_UD + 12);
    arm();
    s_sw(VA_UD + 12, 3);
    data_fault("S store to a U page without SUM", CAUSE_STORE_PAGE, VA_UD + 12);
    csr_set(sstatus, SSTATUS_SUM);
    arm();
    check("S load of a U page with SUM", s_lw(VA_UD + 12), 0x0000beef);
    s_sw(VA_UD + 20, 0x99);
    check("S store to a U page with SUM", page[1][5], 0x99);
    no_trap("SUM: no trap");
    s_exec(VA_U);
    fault("S fetch from a U page even with SUM", CAUSE_FETCH_PAGE, VA_U, VA_U);
    csr_clear(sstatus, SSTATUS_SUM);
}

static void t_accessed_dirty(void)
{
    map(VA_D1, pa(page[1]), PTE_V | PTE_R | PTE_W);
    s_lw(VA_D1);
    check("a load sets A, not D", *leaf(VA_D1) & (PTE_A | PTE_D), PTE_A);
    s_sw(VA_D1, 1);
    check("a store sets D", *leaf(VA_D1) & (PTE_A | PTE_D), PTE_A | PTE_D);
    map(VA_D1, pa(page[1]), PTE_V | PTE_R | PTE_W);
    s_sw(VA_D1, 2);
    check("a first store sets A and D", *leaf(VA_D1) & (PTE_A | PTE_D), PTE_A | PTE_D);
    map(VA_D1, pa(page[1]), PTE_V | PTE_R);
    arm();
    s_sw(VA_D1, 3);
    check("a denied store sets neither", *leaf(VA_D1) & (PTE_A | PTE_D), 0);
    map(VA_X, pa(xpage), PTE_V | PTE_X);
    s_exec(VA_X);
    check("a fetch sets A", *leaf(VA_X) & (PTE_A | PTE_D), PTE_A);
    check("the PPN and other bits are kept", *leaf(VA_X), pte(pa(xpage), PTE_V | PTE_X | PTE_A));
}

static void t_megapages(void)
{
    page[0][5] = 0x3141592u;
    uint32_t off = pa(&page[0][5]) - 0x80000000u;
    pt_root[VA_MEGA >> 22] = pte(0x80000000u, PTE_V | PTE_R);
    sfence_va(VA_MEGA + off);
    arm();
    check("a 4 MiB megapage maps its offset", s_lw(VA_MEGA + off), 0x3141592u);
    check("the megapage PTE got A", pt_root[VA_MEGA >> 22] & (PTE_A | PTE_D), PTE_A);
    s_sw(VA_MEGA + off, 1);
    data_fault("a read-only megapage: store page fault", CAUSE_STORE_PAGE, VA_MEGA + off);
    pt_root[VA_MEGA >> 22] = pte(0x80000000u, RW);
    sfence_va(VA_MEGA + 0x3ff000); /* any address in the megapage drops it */
    arm();
    s_sw(VA_MEGA + off, 0x2718281u);
    check("after sfence.vma of another address in it, writable", page[0][5], 0x2718281u);
    pt_root[VA_MEGA >> 22] = pte(0x80001000u, RW); /* PPN[0] != 0 */
    sfence_all();
    s_lw(VA_MEGA + off);
    data_fault("a misaligned megapage: load page fault", CAUSE_LOAD_PAGE, VA_MEGA + off);
    arm();
    s_sw(VA_MEGA + off, 1);
    data_fault("a misaligned megapage: store page fault", CAUSE_STORE_PAGE, VA_MEGA + off);
    arm();
    s_exec(VA_MEGA + 0x40);
    fault("a misaligned megapage: fetch page fault", CAUSE_FETCH_PAGE, VA_MEGA + 0x40, VA_MEGA + 0x40);
    pt_root[VA_MEGA >> 22] = 0;
    sfence_all();
}

static void t_edges(void)
{
    static const uint32_t bits[] = { PTE_A, PTE_D, PTE_U };
    static const char *const names[] = { "a pointer PTE with A is reserved", "a pointer PTE with D is reserved",
                                         "a pointer PTE with U is reserved" };
    map(VA_D0, pa(page[0]), RW);
    map(VA_D1, pa(page[1]), RW);
    for (int i = 0; i < 3; i++) {
        pt_root[VA_D0 >> 22] = pte(pa(pt_test), PTE_V | bits[i]);
        sfence_all();
        arm();
        s_lw(VA_D0);
        data_fault(names[i], CAUSE_LOAD_PAGE, VA_D0);
    }
    pt_root[VA_D0 >> 22] = pte(pa(pt_test), PTE_V | PTE_G | (3u << 8));
    sfence_all();
    arm();
    s_lw(VA_D0);
    no_trap("G and RSW on a pointer PTE are not reserved");

    page[0][1023] = 0x44332211;
    page[1][0] = 0x88776655;
    arm();
    check("a misaligned load spanning two mapped pages", s_lw(VA_D0 + 0xffe), 0x66554433);
    s_sw(VA_D0 + 0xffd, 0xa1b2c3d4);
    check("a misaligned store spanning two pages (first)", page[0][1023], 0xb2c3d411);
    check("a misaligned store spanning two pages (second)", page[1][0], 0x887766a1);
    no_trap("spanning data: no trap");
    map(VA_D1, 0, 0);
    arm();
    s_lw(VA_D0 + 0xffe);
    data_fault("a misaligned load spanning into an unmapped page: stval is that page", CAUSE_LOAD_PAGE, VA_D1);
    arm();
    s_sw(VA_D0 + 0xffe, 0);
    data_fault("a misaligned store spanning into an unmapped page", CAUSE_STORE_PAGE, VA_D1);
    check("the store wrote nothing", page[0][1023], 0xb2c3d411);

    map(VA_D1, UNMAPPED_ADDR, RW);
    arm();
    s_lw(VA_D1 + 8);
    data_fault("a leaf naming nothing: load access fault, stval virtual", CAUSE_LOAD_ACCESS, VA_D1 + 8);
    arm();
    s_sw(VA_D1 + 8, 1);
    data_fault("a leaf naming nothing: store access fault", CAUSE_STORE_ACCESS, VA_D1 + 8);
    *leaf(VA_D1) = (0x100000u << 10) | RW; /* PPN 0x100000: physical 4 GiB, 34-bit */
    sfence_va(VA_D1);
    arm();
    s_lw(VA_D1 + 12);
    data_fault("a PPN above 4 GiB naming nothing: load access fault", CAUSE_LOAD_ACCESS, VA_D1 + 12);
    map(VA_D1, 0, 0);
}

/* Entered by MRET with MPP = S; never returns (exits through the finisher). */
static void s_main(void)
{
    t_map_remap_unmap();
    t_permissions();
    t_fetch();
    t_user();
    t_accessed_dirty();
    t_megapages();
    t_edges();
    if (failures == 0)
        printf("PASS paging\n");
    _exit(failures);
}

int main(void)
{
    printf("paging: Sv32 from S-mode\n");
    /* QEMU enforces PMP: give S and U the whole space (spec 3.7.1). */
    csr_write(pmpaddr0, 0xffffffffu);
    csr_write(pmpcfg0, 0x1f);
    build_tables();
    m_tests();
    /* Page faults, access faults and U's ECALL go to S (spec 3.1.8). */
    csr_write(medeleg, (1u << CAUSE_FETCH_PAGE) | (1u << CAUSE_LOAD_PAGE) | (1u << CAUSE_STORE_PAGE) |
                       (1u << CAUSE_FETCH_ACCESS) | (1u << CAUSE_LOAD_ACCESS) | (1u << CAUSE_STORE_ACCESS) |
                       (1u << CAUSE_ECALL_U));
    csr_write(stvec, (uint32_t)(uintptr_t)s_trap);
    sfence_all();
    csr_write(mepc, (uint32_t)(uintptr_t)s_main);
    csr_clear(mstatus, MSTATUS_MPP);
    csr_set(mstatus, MSTATUS_MPP_S);
    __asm__ volatile ("mret");
    return 1;
}
