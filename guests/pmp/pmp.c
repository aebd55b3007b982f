/* pmp.c: physical memory protection (RISC-V privileged spec 1.12, section
 * 3.7) from M, S and U, as qemu-system-riscv32 7.2 enforces it: OFF, TOR,
 * NA4 and NAPOT entries, priority by entry number, an access matching an
 * entry only in part, the no-match rule for S/U, M-mode bound only by
 * locked entries (and MPRV's effective mode), lock bits on pmpcfg and
 * pmpaddr, the causes and mtval of instruction, load and store/AMO access
 * faults, page-table walks checked as S-mode loads, and code and data the
 * JIT tier has translated before PMP changed.
 *
 * Where QEMU 7.2 departs from the spec, this guest stays away: a pmpcfg
 * byte with R=0 W=1 or bits 6:5 set (QEMU keeps it), mret to S/U with no
 * entry in use (QEMU raises illegal instruction), an AMO no entry allows
 * (QEMU reports a load fault). The probes, trap vectors and checks are in
 * probes.S and protect.h; locked entries come last (only a reset clears them). */
#include <string.h>
#include "protect.h"

#define OFF   0x00u
#define TOR   0x08u
#define NA4   0x10u
#define NAPOT 0x18u
#define R     0x01u
#define W     0x02u
#define X     0x04u
#define LOCK  0x80u

#define CAUSE_FETCH 1u
#define CAUSE_LOAD  5u
#define CAUSE_STORE 7u

/* Test memory: four 4 KiB pages, NAPOT-aligned as a whole. */
static uint8_t buf[16384] __attribute__((aligned(16384)));
/* Sv32 tables: the root maps the image as a megapage and 0xc0000000
 * through pt_leaf to buf's first page. */
static uint32_t pt_root[1024] __attribute__((aligned(4096)));
static uint32_t pt_leaf[1024] __attribute__((aligned(4096)));

static void set_cfg(unsigned i, uint32_t byte)
{
    uint32_t shift = (i & 3) * 8;
    uint32_t v;
    switch (i >> 2) {
    case 0: v = csr_read(pmpcfg0); v = (v & ~(0xffu << shift)) | byte << shift; csr_write(pmpcfg0, v); break;
    case 1: v = csr_read(pmpcfg1); v = (v & ~(0xffu << shift)) | byte << shift; csr_write(pmpcfg1, v); break;
    case 2: v = csr_read(pmpcfg2); v = (v & ~(0xffu << shift)) | byte << shift; csr_write(pmpcfg2, v); break;
    default: v = csr_read(pmpcfg3); v = (v & ~(0xffu << shift)) | byte << shift; csr_write(pmpcfg3, v); break;
    }
}

static void set_addr(unsigned i, uint32_t a)
{
    switch (i) {
    case 0: csr_write(pmpaddr0, a); break;
    case 1: csr_write(pmpaddr1, a); break;
    case 2: csr_write(pmpaddr2, a); break;
    case 3: csr_write(pmpaddr3, a); break;
    case 4: csr_write(pmpaddr4, a); break;
    case 12: csr_write(pmpaddr12, a); break;
    case 13: csr_write(pmpaddr13, a); break;
    case 14: csr_write(pmpaddr14, a); break;
    default: csr_write(pmpaddr15, a); break;
    }
}

static uint32_t napot(uint32_t base, uint32_t size) { return (base >> 2) | ((size >> 3) - 1); }

static void clear_all(void)
{
    csr_write(pmpcfg0, 0);
    csr_write(pmpcfg1, 0);
    csr_write(pmpcfg2, 0);
    csr_write(pmpcfg3, 0);
}

/* Entry 15: everything RWX for S/U at the lowest priority, as OpenSBI does. */
static void open_rest(void)
{
    set_addr(15, 0xffffffffu);
    set_cfg(15, NAPOT | R | W | X);
}

static uint32_t noop(uint32_t a, uint32_t b) { (void)b; return a; }

static void warl(void)
{
    clear_all();
    set_addr(4, 0xffffffffu);
    check("pmpaddr keeps all 32 bits", csr_read(pmpaddr4), 0xffffffffu);
    csr_write(pmpcfg1, 0x9f1f0d00u & 0x7f7f7f7fu);
    check("pmpcfg1 keeps A, X, W, R", csr_read(pmpcfg1), 0x1f1f0d00u & 0x7f7f7f7fu);
    csr_write(pmpcfg1, 0);
    set_addr(4, 0);
}

static void s_and_u(uint32_t B)
{
    static const uint32_t modes[] = { MODE_U, MODE_S };
    static const char *const names[] = { "U", "S" };
    char n[96];
    clear_all();
    /* entry 0: NA4 at B+0x1008, nothing; entry 1: NAPOT B+0x1000 4 KiB, RW;
     * entry 2: NA4 at B, R; entry 3: OFF (the base of 4); entry 4: TOR
     * [B+0x2000, B+0x3000), X; entry 15: the rest. */
    set_addr(0, (B + 0x1008) >> 2);
    set_addr(1, napot(B + 0x1000, 0x1000));
    set_addr(2, B >> 2);
    set_addr(3, (B + 0x2000) >> 2);
    set_addr(4, (B + 0x3000) >> 2);
    csr_write(pmpcfg0, NA4 | (NAPOT | R | W) << 8 | (NA4 | R) << 16 | OFF << 24);
    csr_write(pmpcfg1, TOR | X);
    open_rest();
    check("pmpcfg0 as written", csr_read(pmpcfg0), NA4 | (NAPOT | R | W) << 8 | (NA4 | R) << 16);
    for (int m = 0; m < 2; m++) {
        uint32_t mode = modes[m], from = m;
#define PROBE_OK(what, fn, a, b, want) \
        snprintf(n, sizeof n, "%s: " what, names[m]); check(n, run_in(mode, fn, a, b), want); \
        snprintf(n, sizeof n, "%s: " what ": no trap", names[m]); no_trap(n)
#define PROBE_FAULTS(what, fn, a, b, cause, tval) \
        snprintf(n, sizeof n, "%s: " what ": probe", names[m]); check(n, run_in(mode, fn, a, b), PROBE_FAULT); \
        snprintf(n, sizeof n, "%s: " what, names[m]); trapped(n, from, cause, 0, tval, 1)
        *(volatile uint32_t *)(B + 0x1000) = 0x11111111;
        PROBE_OK("NA4 R: lw", p_lw, B, 0, 0);
        PROBE_FAULTS("NA4 R: sw", p_sw, B, 1, CAUSE_STORE, B);
        PROBE_FAULTS("NA4 R: amoadd", p_amoadd, B, 1, CAUSE_STORE, B);
        PROBE_OK("word after NA4: lw (entry 15)", p_lw, B + 4, 0, 0);
        PROBE_OK("NAPOT RW: lw", p_lw, B + 0x1000, 0, 0x11111111);
        PROBE_OK("NAPOT RW: sw", p_sw, B + 0x1ffc, 0x22, 0);
        PROBE_OK("NAPOT RW: amoadd", p_amoadd, B + 0x1000, 1, 0x11111111);
        PROBE_FAULTS("NAPOT RW: fetch", p_exec, B + 0x1000, 0, CAUSE_FETCH, B + 0x1000);
        PROBE_FAULTS("NA4 none over NAPOT RW (priority): lw", p_lw, B + 0x1008, 0, CAUSE_LOAD, B + 0x1008);
        PROBE_FAULTS("NA4 none over NAPOT RW (priority): sh", p_sh, B + 0x100a, 0, CAUSE_STORE, B + 0x100a);
        PROBE_FAULTS("NA4 none: lr", p_lr, B + 0x1008, 0, CAUSE_LOAD, B + 0x1008);
        PROBE_OK("word after NA4 none: lw", p_lw, B + 0x100c, 0, 0);
        PROBE_OK("TOR X: fetch", p_exec, B + 0x2000, 0, 0x600d);
        PROBE_FAULTS("TOR X: lw", p_lw, B + 0x2000, 0, CAUSE_LOAD, B + 0x2000);
        PROBE_FAULTS("TOR X: last word, lw", p_lw, B + 0x2ffc, 0, CAUSE_LOAD, B + 0x2ffc);
        PROBE_OK("past TOR: lw (entry 15)", p_lw, B + 0x3000, 0, 0);
        PROBE_FAULTS("lw across an entry's end (partial match)", p_lw, B + 0x1ffe, 0, CAUSE_LOAD, B + 0x1ffe);
    }
    /* M-mode: unlocked entries do not apply; MPRV applies S's */
    check("M: NA4 none: lw", p_lw(B + 0x1008, 0), *(volatile uint32_t *)(B + 0x1008));
    check("M: NA4 R: sw", p_sw(B, 0), 0);
    no_trap("M: unlocked entries: no trap");
    csr_write(mstatus, MSTATUS_MPRV | MSTATUS_MPP_S);
    check("M, MPRV=S: NA4 none: lw", p_lw(B + 0x1008, 0), PROBE_FAULT);
    csr_write(mstatus, 0);
    trapped("M, MPRV=S: NA4 none: lw faults", 3, CAUSE_LOAD, 0, B + 0x1008, 1);
    csr_write(mstatus, MSTATUS_MPRV | MSTATUS_MPP_S);
    check("M, MPRV=S: NA4 R: sw", p_sw(B, 0), PROBE_FAULT);
    csr_write(mstatus, 0);
    trapped("M, MPRV=S: NA4 R: sw faults", 3, CAUSE_STORE, 0, B, 1);
    csr_write(mstatus, MSTATUS_MPRV | (3u << 11));
    check("M, MPRV=M: NA4 none: lw", p_lw(B + 0x1008, 0), *(volatile uint32_t *)(B + 0x1008));
    csr_write(mstatus, 0);
    no_trap("M, MPRV=M: no trap");
}

static void no_match(uint32_t B)
{
    clear_all();
    /* entry 15: TOR [0x80000000, B + 0x3000) from entry 14's address */
    set_addr(14, 0x80000000u >> 2);
    set_addr(15, (B + 0x3000) >> 2);
    set_cfg(15, TOR | R | W | X);
    check("S: inside TOR", run_in(MODE_S, p_lw, B + 0x2ffc, 0), 0);
    no_trap("S: inside TOR: no trap");
    check("S: no entry matches: lw", run_in(MODE_S, p_lw, B + 0x3000, 0), PROBE_FAULT);
    trapped("S: no entry matches: lw faults", 1, CAUSE_LOAD, 0, B + 0x3000, 1);
    check("U: no entry matches the UART: sb", run_in(MODE_U, p_sb, UART0_BASE + 7, 0), PROBE_FAULT);
    trapped("U: no entry matches the UART: sb faults", 0, CAUSE_STORE, 0, UART0_BASE + 7, 1);
    check("S: no entry matches unmapped space", run_in(MODE_S, p_lw, 0x40, 0), PROBE_FAULT);
    trapped("S: no entry matches unmapped space: lw faults", 1, CAUSE_LOAD, 0, 0x40, 1);
    /* TOR whose base is above its top matches nothing: S cannot even fetch */
    set_addr(14, (B + 0x3000) >> 2);
    set_addr(15, 0x80000000u >> 2);
    m_escape = addr_of(run_in_tail);
    run_in(MODE_S, noop, 1, 0);
    trapped("S: reversed TOR: fetch faults", 1, CAUSE_FETCH, addr_of(noop), addr_of(noop), 1);
    /* NA4 and TOR for entry 0: TOR from address 0 */
    clear_all();
    set_addr(0, (B + 0x4000) >> 2);
    csr_write(pmpcfg0, TOR | R | W | X);
    check("S: entry 0 TOR from 0", run_in(MODE_S, p_lw, B + 0x3ffc, 0), 0);
    no_trap("S: entry 0 TOR from 0: no trap");
    check("S: past entry 0 TOR", run_in(MODE_S, p_lw, B + 0x4000, 0), PROBE_FAULT);
    trapped("S: past entry 0 TOR faults", 1, CAUSE_LOAD, 0, B + 0x4000, 1);
}

static void page_walks(uint32_t B)
{
    /* Root entry 0x200 (0x80000000): the image as an RWX megapage; entry
     * 0x300 (0xc0000000): pt_leaf, whose entry 0 maps buf's first page RW. */
    memset(pt_root, 0, sizeof pt_root);
    memset(pt_leaf, 0, sizeof pt_leaf);
    pt_root[0x200] = (0x80000000u >> 12) << 10 | 0xcf;           /* V R W X A D */
    pt_root[0x300] = (addr_of(pt_leaf) >> 12) << 10 | 0x01;      /* V: next level */
    pt_leaf[0] = (B >> 12) << 10 | 0xc7;                         /* V R W A D */
    *(volatile uint32_t *)B = 0x77;
    clear_all();
    open_rest();
    csr_write(satp, 0x80000000u | addr_of(pt_root) >> 12);
    __asm__ volatile ("sfence.vma" ::: "memory");
    check("S, Sv32: lw through pt_leaf", run_in(MODE_S, p_lw, 0xc0000000u, 0), 0x77);
    no_trap("S, Sv32: lw through pt_leaf: no trap");
    /* pt_leaf's page denied to S: the walk's PTE read is an S-mode load */
    set_addr(0, napot(addr_of(pt_leaf), 4096));
    set_cfg(0, NAPOT);
    __asm__ volatile ("sfence.vma" ::: "memory");
    check("S, Sv32: PTE in a denied page: lw", run_in(MODE_S, p_lw, 0xc0000000u, 0), PROBE_FAULT);
    trapped("S, Sv32: PTE in a denied page: lw faults", 1, CAUSE_LOAD, 0, 0xc0000000u, 1);
    check("S, Sv32: PTE in a denied page: sw", run_in(MODE_S, p_sw, 0xc0000004u, 0), PROBE_FAULT);
    trapped("S, Sv32: PTE in a denied page: sw faults", 1, CAUSE_STORE, 0, 0xc0000004u, 1);
    /* the data page denied, the table allowed: the access itself faults */
    set_addr(0, napot(B, 4096));
    __asm__ volatile ("sfence.vma" ::: "memory");
    check("S, Sv32: data page denied: lw", run_in(MODE_S, p_lw, 0xc0000000u, 0), PROBE_FAULT);
    trapped("S, Sv32: data page denied: lw faults", 1, CAUSE_LOAD, 0, 0xc0000000u, 1);
    set_cfg(0, NAPOT | R);
    __asm__ volatile ("sfence.vma" ::: "memory");
    check("S, Sv32: data page R: lw", run_in(MODE_S, p_lw, 0xc0000000u, 0), 0x77);
    check("S, Sv32: data page R: sw", run_in(MODE_S, p_sw, 0xc0000000u, 0), PROBE_FAULT);
    trapped("S, Sv32: data page R: sw faults", 1, CAUSE_STORE, 0, 0xc0000000u, 1);
    csr_write(satp, 0);
    __asm__ volatile ("sfence.vma" ::: "memory");
    clear_all();
}

/* PMP changed under code and data the JIT tier has translated by now. */
static void hot_code(uint32_t B)
{
    uint32_t D = B + 0x1000;
    *(volatile uint32_t *)D = 0x5a5a;
    clear_all();
    open_rest();
    for (int i = 0; i < 4; i++) {
        check("S: hot loop", run_in(MODE_S, hot_loop, 0, 2000), 2000);
        check("S: hot load", run_in(MODE_S, hot_load, D, 2000), 0x5a5a);
    }
    set_addr(0, napot(D, 4096));
    set_cfg(0, NAPOT | W | R);
    check("S: hot load, page still RW", run_in(MODE_S, hot_load, D, 2000), 0x5a5a);
    no_trap("S: hot load, page still RW: no trap");
    set_cfg(0, NAPOT);
    check("S: hot load, page denied: probe", run_in(MODE_S, hot_load, D, 2000), PROBE_FAULT);
    trapped("S: hot load, page denied", 1, CAUSE_LOAD, addr_of(hot_lw), D, 1);
    /* the page holding hot_loop loses X */
    uint32_t code = addr_of(hot_loop) & ~0xfffu;
    set_addr(0, napot(code, 4096));
    set_cfg(0, NAPOT | R | W);
    m_escape = addr_of(run_in_tail);
    run_in(MODE_S, hot_loop, 0, 2000);
    trapped("S: hot loop, its page not executable", 1, CAUSE_FETCH, addr_of(hot_loop), addr_of(hot_loop), 1);
    m_escape = 0;
    set_cfg(0, OFF);
    check("S: hot loop, page executable again", run_in(MODE_S, hot_loop, 0, 2000), 2000);
    no_trap("S: hot loop, page executable again: no trap");
}

static void locks(uint32_t B)
{
    clear_all();
    open_rest();
    /* entry 13: NAPOT B+0x3000 4 KiB, R, locked: binds M too */
    *(volatile uint32_t *)(B + 0x3000) = 0x600d;
    set_addr(13, napot(B + 0x3000, 4096));
    set_cfg(13, LOCK | NAPOT | R);
    check("M: locked R: lw", p_lw(B + 0x3000, 0), 0x600d);
    no_trap("M: locked R: lw: no trap");
    check("M: locked R: sw", p_sw(B + 0x3000, 0), PROBE_FAULT);
    trapped("M: locked R: sw faults", 3, CAUSE_STORE, 0, B + 0x3000, 1);
    check("M: locked R: fetch", p_exec(B + 0x3000, 0), PROBE_FAULT);
    trapped("M: locked R: fetch faults", 3, CAUSE_FETCH, B + 0x3000, B + 0x3000, 1);
    set_cfg(13, NAPOT | R | W | X);
    check("locked pmpcfg byte ignores writes", (csr_read(pmpcfg3) >> 8) & 0xff, LOCK | NAPOT | R);
    set_addr(13, 0);
    check("locked pmpaddr ignores writes", csr_read(pmpaddr13), napot(B + 0x3000, 4096));
    /* entry 14: TOR, locked: pmpaddr13 is its base and stays too (already
     * locked); entry 12 is unlocked and takes writes */
    set_addr(12, 0x1234);
    check("unlocked pmpaddr below a locked entry", csr_read(pmpaddr12), 0x1234);
    set_addr(14, (B + 0x3100) >> 2);
    set_cfg(14, LOCK | TOR | R);
    set_addr(14, 0);
    check("locked TOR pmpaddr ignores writes", csr_read(pmpaddr14), (B + 0x3100) >> 2);
    check("S: locked R: lw", run_in(MODE_S, p_lw, B + 0x3000, 0), 0x600d);
    check("S: locked R: sw", run_in(MODE_S, p_sw, B + 0x3000, 0), PROBE_FAULT);
    trapped("S: locked R: sw faults", 1, CAUSE_STORE, 0, B + 0x3000, 1);
}

int main(void)
{
    uint32_t B = addr_of(buf);
    csr_write(mtvec, addr_of(m_trap));
    memcpy(buf + 0x1000, ret_stub, ret_stub_end - ret_stub);
    memcpy(buf + 0x2000, ret_stub, ret_stub_end - ret_stub);
    __asm__ volatile ("fence.i" ::: "memory");
    warl();
    s_and_u(B);
    no_match(B);
    page_walks(B);
    hot_code(B);
    locks(B);
    /* crt0's opening, so the C runtime's exit path runs as it does elsewhere */
    clear_all();
    open_rest();
    return finish("pmp");
}
