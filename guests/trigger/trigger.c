/* trigger.c: the trigger module (RISC-V Debug Specification 0.13.2 / 1.0,
 * Sdtrig) from M, S and U, as qemu-system-riscv32 7.2 implements it:
 * tselect, tdata1-3 and tinfo with their WARL rules, mcontrol (type 2) and
 * mcontrol6 (type 6) execute, load and store triggers, the mode bits, the
 * watched lengths, the breakpoint exception (cause 3) they raise before
 * the instruction or access, its delegation to S, and triggers armed on
 * code the JIT tier has already translated.
 *
 * mtval of a trigger's breakpoint: QEMU 7.2 writes 0, xsvisor the address
 * (the privileged spec allows either, 3.1.16): both are accepted. Probes,
 * trap vectors and checks are shared with the pmp guest (pmp/probes.S,
 * pmp/protect.h). */
#include <string.h>
#include "protect.h"

#define T2      0x20000000u /* tdata1 type 2 */
#define T6      0x60000000u /* tdata1 type 6 */
#define TM      (1u << 6)   /* match in M */
#define TS      (1u << 4)
#define TU      (1u << 3)
#define TX      (1u << 2)   /* execute */
#define TW      (1u << 1)   /* store */
#define TR      (1u << 0)   /* load */
#define SIZE(n) ((uint32_t)(n) << 16)

static uint8_t buf[8192] __attribute__((aligned(4096)));

static void arm(uint32_t sel, uint32_t tdata1, uint32_t tdata2)
{
    csr_write(tselect, sel);
    csr_write(tdata2, tdata2);
    csr_write(tdata1, tdata1);
    csr_write(tselect, 0);
}

static void disarm(void)
{
    arm(0, T2, 0);
    arm(1, T2, 0);
}

static void csr_warl(void)
{
    char name[64];
    check("tselect reads 0 after reset", csr_read(tselect), 0);
    csr_write(tselect, 1);
    check("tselect 1", csr_read(tselect), 1);
    csr_write(tselect, 2);
    check("tselect 2 is ignored (two triggers)", csr_read(tselect), 1);
    csr_write(tselect, 0xffffffff);
    check("tselect -1 is ignored", csr_read(tselect), 1);
    check("tinfo of trigger 1: types 2 and 6", csr_read(0x7a4), 0x44);
    check("tdata1 of trigger 1 after reset", csr_read(tdata1), T2);
    csr_write(tselect, 0);
    check("tinfo of trigger 0", csr_read(0x7a4), 0x44);
    check("tdata1 of trigger 0 after reset", csr_read(tdata1), T2);
    check("tdata2 after reset", csr_read(tdata2), 0);
    csr_write(tdata2, 0x12345678);
    check("tdata2 keeps every bit", csr_read(tdata2), 0x12345678);
    csr_write(tdata3, 0x12345678);
    check("tdata3 reads 0", csr_read(tdata3), 0);
    csr_write(tdata2, 0);

    static const uint32_t w[][2] = {
        { 0x2fffffff, 0x2003005f },          /* type 2: sizelo, M, S, U, X, W, R stay */
        { 0x28000000, T2 },                  /* dmode reads 0 */
        { 0x20080000, T2 },                  /* select reads 0 */
        { 0x20070000, T2 | SIZE(3) },        /* timing reads 0 */
        { 0x2000f000, T2 },                  /* action reads 0 */
        { 0x00000044, T2 },                  /* type 0: ignored */
        { 0x30000044, T2 },                  /* type 3 (icount): ignored */
        { 0xf0000044, T2 },                  /* type 15: ignored */
        { 0x6fffffff, 0x6180005f },          /* type 6: vs, vu, M, S, U, X, W, R */
        { T6 | SIZE(5) | TR, T6 | SIZE(5) | TR },
        { T6 | SIZE(4) | TR, T6 | TR },      /* sizes 4 and 6-15 read 0 */
        { T6 | SIZE(15) | TR, T6 | TR },
        { T2 | TM | TX, T2 | TM | TX },
    };
    for (unsigned i = 0; i < sizeof w / sizeof w[0]; i++) {
        csr_write(tdata1, w[i][0]);
        snprintf(name, sizeof name, "tdata1 write 0x%08lx", (unsigned long)w[i][0]);
        check(name, csr_read(tdata1), w[i][1]);
    }
    csr_write(tdata1, T2);
}

static void exec_triggers(uint32_t B)
{
    memcpy(buf, ret_stub, ret_stub_end - ret_stub);
    __asm__ volatile ("fence.i" ::: "memory");
    check("stub runs without a trigger", p_exec(B, 0), 0x600d);
    arm(0, T2 | TM | TX, B);
    check("execute trigger in M: probe", p_exec(B, 0), PROBE_FAULT);
    trapped("execute trigger in M", 3, 3, B, B, 0);
    arm(0, T2 | TM | TX, B + 2);
    check("execute trigger mid-instruction", p_exec(B, 0), 0x600d);
    no_trap("execute trigger mid-instruction: no trap");
    arm(0, T2 | TS | TX, B);
    check("S-only execute trigger in M", p_exec(B, 0), 0x600d);
    no_trap("S-only execute trigger in M: no trap");
    run_in(MODE_S, p_exec, B, 0);
    trapped("S-only execute trigger in S", 1, 3, B, B, 0);
    check("S-only execute trigger in U", run_in(MODE_U, p_exec, B, 0), 0x600d);
    no_trap("S-only execute trigger in U: no trap");
    arm(0, T2 | TU | TX, B);
    run_in(MODE_U, p_exec, B, 0);
    trapped("U-only execute trigger in U", 0, 3, B, B, 0);
    arm(0, T2, 0);
    arm(1, T6 | TM | TX, B);
    p_exec(B, 0);
    trapped("type 6 execute trigger (tselect 1)", 3, 3, B, B, 0);
    arm(1, T6 | TM | TR, B);
    check("load-only trigger does not execute", p_exec(B, 0), 0x600d);
    no_trap("load-only trigger does not execute: no trap");
    disarm();
}

/* Which of the byte loads at watch-4 .. watch+11 trap, as a bit mask. */
static uint32_t byte_hits(uint32_t watch)
{
    uint32_t hits = 0;
    for (int d = -4; d < 12; d++) {
        mtrap.count = 0;
        if (p_lbu(watch + d, 0) == PROBE_FAULT) hits |= 1u << (d + 4);
    }
    mtrap.count = 0;
    return hits;
}

static void data_triggers(uint32_t B)
{
    uint32_t W = B + 0x100;
    char name[64];
    /* QEMU 7.2 watches [tdata2, tdata2 + len): len is 4 for type 2 size
     * 0, 8 for type 6 size 0, else the size field itself. */
    static const uint32_t sizes[][2] = {
        { T2 | SIZE(0), 4 }, { T2 | SIZE(1), 1 }, { T2 | SIZE(2), 2 }, { T2 | SIZE(3), 3 },
        { T6 | SIZE(0), 8 }, { T6 | SIZE(1), 1 }, { T6 | SIZE(5), 5 },
    };
    for (unsigned i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        arm(0, sizes[i][0] | TM | TR, W);
        snprintf(name, sizeof name, "load trigger 0x%08lx watches %lu bytes", (unsigned long)sizes[i][0], (unsigned long)sizes[i][1]);
        check(name, byte_hits(W), ((1u << sizes[i][1]) - 1) << 4);
    }
    arm(0, T2 | TM | TR, W);
    p_lw(W, 0);
    trapped("load trigger: lw", 3, 3, 0, W, 0);
    check("load trigger: lw 4 bytes on", p_lw(W + 4, 0), 0);
    check("load trigger: lw 4 bytes before", p_lw(W - 4, 0), 0);
    check("load trigger: sw", p_sw(W, 0x11), 0);
    no_trap("load trigger ignores stores");
    p_amoadd(W, 1);
    trapped("load trigger: amoadd", 3, 3, 0, W, 0);
    p_lr(W, 0);
    trapped("load trigger: lr", 3, 3, 0, W, 0);

    arm(0, T2 | TM | TW, W);
    check("store trigger: sw probe", p_sw(W, 0x22), PROBE_FAULT);
    trapped("store trigger: sw", 3, 3, 0, W, 0);
    check("store trigger: the store did not happen", p_lw(W, 0), 0x11);
    p_sh(W + 2, 0x33);
    trapped("store trigger: sh", 3, 3, 0, W + 2, 0);
    p_amoadd(W, 1);
    trapped("store trigger: amoadd", 3, 3, 0, W, 0);
    check("store trigger: lr", p_lr(W, 0), 0x11);
    no_trap("store trigger ignores lr");
    check("store trigger: lw", p_lw(W, 0), 0x11);
    no_trap("store trigger ignores loads");

    /* modes: the hart's own, not MPRV's effective mode */
    arm(0, T2 | TU | TR, W);
    check("U-only load trigger in M", p_lw(W, 0), 0x11);
    no_trap("U-only load trigger in M: no trap");
    run_in(MODE_U, p_lw, W, 0);
    trapped("U-only load trigger in U", 0, 3, 0, W, 0);
    check("U-only load trigger in S", run_in(MODE_S, p_lw, W, 0), 0x11);
    no_trap("U-only load trigger in S: no trap");
    arm(0, T2 | TS | TR, W);
    csr_write(mstatus, MSTATUS_MPRV | MSTATUS_MPP_S);
    check("S-only load trigger, M with MPRV=S", p_lw(W, 0), 0x11);
    csr_write(mstatus, 0);
    no_trap("S-only load trigger, M with MPRV=S: no trap");
    run_in(MODE_S, p_lw, W, 0);
    trapped("S-only load trigger in S", 1, 3, 0, W, 0);

    /* delegation: the breakpoint goes to S with medeleg[3] */
    csr_write(stvec, addr_of(s_trap));
    csr_write(medeleg, 1u << 3);
    strap.count = 0;
    check("delegated: probe", run_in(MODE_S, p_lw, W, 0), PROBE_FAULT);
    no_trap("delegated: no M trap");
    check("delegated: S traps", strap.count, 1);
    check("delegated: scause", strap.cause, 3);
    check("delegated: stval", strap.tval == W || strap.tval == 0, 1);
    csr_write(medeleg, 0);
    disarm();
}

/* Triggers armed on code and data the JIT tier has translated by now. */
static void hot_code(uint32_t B)
{
    uint32_t W = B + 0x200;
    *(volatile uint32_t *)W = 0x5a5a;
    for (int i = 0; i < 4; i++) {
        check("hot loop", hot_loop(0, 2000), 2000);
        check("hot load", hot_load(W, 2000), 0x5a5a);
    }
    arm(0, T2 | TM | TX, addr_of(hot_mid));
    check("hot loop, execute trigger inside: probe", hot_loop(0, 2000), PROBE_FAULT);
    trapped("hot loop, execute trigger inside", 3, 3, addr_of(hot_mid), addr_of(hot_mid), 0);
    arm(0, T2 | TM | TR, W);
    check("hot load, load trigger on its word: probe", hot_load(W, 2000), PROBE_FAULT);
    trapped("hot load, load trigger on its word", 3, 3, addr_of(hot_lw), W, 0);
    arm(0, T2 | TM | TR, W + 4);
    check("hot load, load trigger next to its word", hot_load(W, 2000), 0x5a5a);
    no_trap("hot load, load trigger next to its word: no trap");
    disarm();
    check("hot loop after disarming", hot_loop(0, 2000), 2000);
    no_trap("hot loop after disarming: no trap");
}

int main(void)
{
    uint32_t B = addr_of(buf);
    csr_write(mtvec, addr_of(m_trap));
    csr_warl();
    exec_triggers(B);
    data_triggers(B);
    hot_code(B);
    return finish("trigger");
}
