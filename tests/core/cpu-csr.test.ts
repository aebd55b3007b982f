/**
 * Zicsr and the CSRs (unprivileged ISA chapter 9, privileged spec 1.12
 * chapters 2-4): the six CSR instructions and their read/write rules,
 * access checks (read-only numbers, privilege bits 9:8, unknown numbers,
 * counter enables, TVM), the WARL behaviour of each implemented CSR, and
 * the counters (cycle = instret, exact 64-bit writes, inhibit, time).
 */
import { describe, it, assert } from '../harness/index.js';
import * as E from './rv-encode.js';
import { Csr, ExitReason, HALT, RAM_BASE, rig, place, runProgram, trapped, ureg } from './cpu-fixture.js';
import { Hart, HartError, MISA_VALUE, Mstatus } from '../../src/cpu/index.js';

const { a0, a1, a2, a3, a4, a5 } = E;

/** Runs `insts` in mode `priv` (0 U, 1 S, 3 M) with registers set; returns the rig. */
function inMode(priv: 0 | 1 | 3, insts: number[], regs: [number, number][] = [], setup?: (r: ReturnType<typeof rig>) => void) {
  return runProgram((p) => p.i(...insts), {
    regs,
    setup: (r) => {
      setup?.(r);
      r.hart.priv = priv;
    },
  });
}

/** True when the program ran to its end: the final WFI retired, or (in U-mode, where WFI is illegal) trapped there. */
function completed(r: ReturnType<typeof runProgram>): boolean {
  if (!trapped(r)) return r.hart.pc === r.end;
  return r.hart.readCsr(Csr.mepc) === r.end - 4 && r.hart.readCsr(Csr.mtval) === E.wfi();
}

function illegal(r: ReturnType<typeof runProgram>, inst: number, what: string): void {
  assert.equal(trapped(r), true, `${what}: trapped`);
  assert.equal(r.hart.readCsr(Csr.mcause), 2, `${what}: cause`);
  assert.equal(r.hart.readCsr(Csr.mtval), inst >>> 0, `${what}: mtval`);
}

describe('Zicsr instructions', () => {
  it('CSRRW swaps; CSRRS sets; CSRRC clears; each returns the old value', () => {
    const r = inMode(3, [
      E.csrrw(a0, Csr.mscratch, a1), // a0 = 0, mscratch = 0xf0f0
      E.csrrs(a2, Csr.mscratch, a3), // a2 = 0xf0f0, mscratch |= 0x0f00
      E.csrrc(a4, Csr.mscratch, a5), // a4 = 0xfff0, mscratch &= ~0x00f0
      E.csrr(a1, Csr.mscratch),
    ], [[a1, 0xf0f0], [a3, 0x0f00], [a5, 0x00f0]]);
    assert.equal(ureg(r, a0), 0);
    assert.equal(ureg(r, a2), 0xf0f0);
    assert.equal(ureg(r, a4), 0xfff0);
    assert.equal(ureg(r, a1), 0xff00);
  });
  it('the immediate forms use a 5-bit zero-extended uimm', () => {
    const r = inMode(3, [E.csrrwi(a0, Csr.mscratch, 31), E.csrrsi(a1, Csr.mscratch, 0), E.csrrci(a2, Csr.mscratch, 1), E.csrr(a3, Csr.mscratch)], [], (r) =>
      r.hart.writeCsr(Csr.mscratch, 0xffffffff),
    );
    assert.equal(ureg(r, a0), 0xffffffff);
    assert.equal(ureg(r, a1), 31);
    assert.equal(ureg(r, a2), 31);
    assert.equal(ureg(r, a3), 30);
  });
  it('rd = rs1 reads the old value, then writes the register value read before', () => {
    const r = inMode(3, [E.csrrw(a0, Csr.mscratch, a0), E.csrr(a1, Csr.mscratch)], [[a0, 5]], (r) => r.hart.writeCsr(Csr.mscratch, 9));
    assert.equal(ureg(r, a0), 9);
    assert.equal(ureg(r, a1), 5);
  });
  it('read-only CSRs may be read with CSRRS/CSRRC rs1 = x0 or uimm = 0, never written', () => {
    let r = inMode(3, [E.csrrs(a0, Csr.mhartid, 0), E.csrrc(a1, Csr.mvendorid, 0), E.csrrsi(a2, Csr.cycle, 0), E.csrrci(a3, Csr.marchid, 0)]);
    assert.equal(trapped(r), false);
    for (const inst of [
      E.csrrw(0, Csr.mhartid, a1), // even with rd = x0
      E.csrrs(a0, Csr.mhartid, a1), // rs1 != x0 means a write, even of 0
      E.csrrc(a0, Csr.cycle, a1),
      E.csrrwi(a0, Csr.mimpid, 0), // CSRRWI always writes
      E.csrrsi(a0, Csr.instret, 1),
      E.csrrw(a0, Csr.time, a1),
    ]) {
      r = inMode(3, [inst]);
      illegal(r, inst, inst.toString(16));
    }
  });
  it('unimplemented CSR numbers are illegal, with the instruction in mtval', () => {
    const numbers = [0x7c0, 0x3a4, 0x3c0, 0x747, 0xb01, 0xb81, 0x34a, 0x34b, 0x7a5, 0x7a8, 0x7aa, 0x7b0, 0x600, 0x001, 0x003, 0x5a8, 0xfff, 0x10c, 0x105 + 0x100];
    for (const n of numbers) {
      const inst = E.csrr(a0, n);
      illegal(inMode(3, [inst]), inst, `csr ${n.toString(16)}`);
      assert.throws(() => rig().hart.readCsr(n), HartError, (e: HartError) => e.kind === 'unknown-csr');
    }
  });
  it('bits 9:8 give the lowest privilege that may access a CSR', () => {
    for (const [priv, n, ok] of [
      [1, Csr.mstatus, false],
      [1, Csr.mscratch, false],
      [1, Csr.sstatus, true],
      [1, Csr.sscratch, true],
      [0, Csr.sstatus, false],
      [0, Csr.satp, false],
      [0, Csr.mhartid, false],
      [1, Csr.mhartid, false],
      [3, Csr.sscratch, true],
    ] as [0 | 1 | 3, number, boolean][]) {
      const inst = E.csrr(a0, n);
      const r = inMode(priv, [inst]);
      if (ok) assert.equal(completed(r), true, `mode ${priv} csr ${n.toString(16)}`);
      else illegal(r, inst, `mode ${priv} csr ${n.toString(16)}`);
    }
  });
});

describe('CSR WARL behaviour', () => {
  function rw(n: number, value: number, setup?: (r: ReturnType<typeof rig>) => void): number {
    const r = inMode(3, [E.csrw(n, a1), E.csrr(a0, n)], [[a1, value | 0]], setup);
    assert.equal(trapped(r), false);
    return ureg(r, a0);
  }
  it('mstatus: only the fields of an RV32 M/S/U hart with Sv32 and without F or V are writable', () => {
    const m = Mstatus;
    // SUM is writable since satp.MODE is (spec 3.1.6.3); FS, VS, XS, SD, UBE read 0 (no F, V, custom state; little-endian).
    const expected = m.SIE | m.MIE | m.SPIE | m.MPIE | m.SPP | m.MPP | m.MPRV | m.SUM | m.MXR | m.TVM | m.TW | m.TSR;
    assert.equal(rw(Csr.mstatus, 0xffffffff), expected >>> 0);
    assert.equal(rw(Csr.mstatus, 0), 0);
  });
  it('mstatus.MPP: the reserved value 2 keeps the previous value', () => {
    assert.equal(rw(Csr.mstatus, 2 << 11, (r) => r.hart.writeCsr(Csr.mstatus, 1 << 11)), 1 << 11);
    assert.equal(rw(Csr.mstatus, (2 << 11) | Mstatus.SIE, (r) => r.hart.writeCsr(Csr.mstatus, 3 << 11)), (3 << 11) | Mstatus.SIE);
    for (const mpp of [0, 1, 3]) assert.equal(rw(Csr.mstatus, mpp << 11), mpp << 11);
  });
  it('sstatus is a view of mstatus: SIE, SPIE, SPP, SUM, MXR', () => {
    const r = inMode(3, [E.csrw(Csr.sstatus, a1), E.csrr(a0, Csr.sstatus), E.csrr(a2, Csr.mstatus)], [[a1, -1]], (r) =>
      r.hart.writeCsr(Csr.mstatus, Mstatus.MPIE | Mstatus.TW),
    );
    const s = Mstatus.SIE | Mstatus.SPIE | Mstatus.SPP | Mstatus.SUM | Mstatus.MXR;
    assert.equal(ureg(r, a0), s);
    assert.equal(ureg(r, a2), s | Mstatus.MPIE | Mstatus.TW);
    // M-only fields are invisible through sstatus.
    const r2 = inMode(3, [E.csrr(a0, Csr.sstatus)], [], (r) => r.hart.writeCsr(Csr.mstatus, Mstatus.MIE | Mstatus.MPP | Mstatus.TSR));
    assert.equal(ureg(r2, a0), 0);
  });
  it('mstatush reads 0 (little-endian only) and ignores writes', () => {
    assert.equal(rw(Csr.mstatush, -1), 0);
  });
  it('misa: RV32 with A, C, I, M, S, U; writes ignored', () => {
    const letters = 'ACIMSU'.split('').reduce((v, ch) => v | (1 << (ch.charCodeAt(0) - 65)), 0);
    assert.equal(MISA_VALUE, ((1 << 30) | letters) >>> 0);
    assert.equal(rw(Csr.misa, 0), MISA_VALUE);
    assert.equal(rw(Csr.misa, -1), MISA_VALUE);
  });
  it('medeleg: exceptions 0-9, 12, 13, 15; ECALL from M (11) is read-only 0', () => {
    let expected = 0;
    for (const c of [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 15]) expected |= 1 << c;
    assert.equal(rw(Csr.medeleg, -1), expected);
  });
  it('mideleg: only the supervisor interrupts (SSI, STI, SEI)', () => {
    assert.equal(rw(Csr.mideleg, -1), (1 << 1) | (1 << 5) | (1 << 9));
  });
  it('mie: the six standard interrupts', () => {
    assert.equal(rw(Csr.mie, -1), 0xaaa);
  });
  it('mip: M-mode software writes SSIP, STIP, SEIP only; MSIP, MTIP, MEIP come from devices', () => {
    assert.equal(rw(Csr.mip, -1), 0x222);
    const r = rig();
    r.hart.setInterruptPending(7, true);
    r.hart.setInterruptPending(11, true);
    r.hart.setInterruptPending(3, true);
    place(r, new E.Program(RAM_BASE).i(E.csrw(Csr.mip, 0), E.csrr(a0, Csr.mip), E.wfi()));
    r.hart.run(10);
    assert.equal(ureg(r, a0), 0x888);
  });
  it('mip.SEIP reads as software bit OR device line; CSRRS/CSRRC modify only the software bit', () => {
    const r = rig();
    r.hart.setInterruptPending(9, true);
    place(r, new E.Program(RAM_BASE).i(
      E.csrr(a0, Csr.mip), // SEIP from the line
      E.csrrs(0, Csr.mip, a5), // a5 = SSIP: read-modify-write must not latch SEIP into the software bit
      E.wfi(),
    ));
    r.hart.regs[a5] = 2;
    r.hart.run(10);
    assert.equal(ureg(r, a0), 0x200);
    assert.equal(r.hart.readCsr(Csr.mip), 0x202);
    r.hart.setInterruptPending(9, false);
    assert.equal(r.hart.readCsr(Csr.mip), 0x002);
  });
  it('sie and sip show only delegated bits; sip.SSIP is the only writable sip bit', () => {
    const setup = (r: ReturnType<typeof rig>) => {
      r.hart.writeCsr(Csr.mideleg, 0x222);
      r.hart.writeCsr(Csr.mie, 0x888);
    };
    const r = inMode(3, [E.csrw(Csr.sie, a1), E.csrr(a0, Csr.sie), E.csrr(a2, Csr.mie), E.csrw(Csr.sip, a1), E.csrr(a3, Csr.sip)], [[a1, -1]], setup);
    assert.equal(ureg(r, a0), 0x222);
    assert.equal(ureg(r, a2), 0xaaa);
    assert.equal(ureg(r, a3), 0x002);
    // Nothing delegated: sie and sip read 0 and ignore writes.
    const r2 = inMode(3, [E.csrw(Csr.sie, a1), E.csrw(Csr.sip, a1), E.csrr(a0, Csr.sie), E.csrr(a2, Csr.mie), E.csrr(a3, Csr.mip)], [[a1, -1]]);
    assert.equal(ureg(r2, a0), 0);
    assert.equal(ureg(r2, a2), 0);
    assert.equal(ureg(r2, a3), 0);
  });
  it('mtvec and stvec: direct and vectored kept, reserved modes 2 and 3 ignored', () => {
    for (const n of [Csr.mtvec, Csr.stvec]) {
      assert.equal(rw(n, 0x80001000), 0x80001000);
      assert.equal(rw(n, 0x80001001), 0x80001001);
      assert.equal(rw(n, 0x80002002), HALT); // unchanged from the fixture's value
      assert.equal(rw(n, 0x80002003), HALT);
    }
  });
  it('mepc and sepc: bit 0 always 0, bit 1 kept (IALIGN = 16)', () => {
    assert.equal(rw(Csr.mepc, -1), 0xfffffffe);
    assert.equal(rw(Csr.sepc, 0x80000003), 0x80000002);
  });
  it('mscratch, sscratch, mcause, scause, mtval, stval hold 32 bits', () => {
    for (const n of [Csr.mscratch, Csr.sscratch, Csr.mcause, Csr.scause, Csr.mtval, Csr.stval]) {
      assert.equal(rw(n, 0xdeadbeef), 0xdeadbeef);
      assert.equal(rw(n, 0), 0);
    }
  });
  it('mcounteren and scounteren hold 32 bits; mcountinhibit all but bit 1 (TM)', () => {
    assert.equal(rw(Csr.mcounteren, -1), 0xffffffff);
    assert.equal(rw(Csr.scounteren, -1), 0xffffffff);
    assert.equal(rw(Csr.mcountinhibit, -1), 0xfffffffd);
  });
  it('menvcfg and senvcfg: FIOM only; menvcfgh reads 0', () => {
    assert.equal(rw(Csr.menvcfg, -1), 1);
    assert.equal(rw(Csr.senvcfg, -1), 1);
    assert.equal(rw(Csr.menvcfgh, -1), 0);
  });
  it('satp: MODE (Bare, Sv32), all 9 ASID bits and the 22-bit PPN are kept as written', () => {
    assert.equal(rw(Csr.satp, 0x00401234), 0x00401234);
    assert.equal(rw(Csr.satp, 0x80001234, (r) => r.hart.writeCsr(Csr.satp, 0x55)), 0x80001234);
    assert.equal(rw(Csr.satp, 0xffffffff), 0xffffffff);
  });
  it('identification CSRs, mconfigptr, tselect, mstatush read 0 except mhartid', () => {
    const r = rig();
    for (const n of [Csr.mvendorid, Csr.marchid, Csr.mimpid, Csr.mconfigptr, Csr.tselect]) assert.equal(r.hart.readCsr(n), 0);
    assert.equal(rw(Csr.tselect, 5), 0);
    assert.equal(r.hart.readCsr(Csr.mhartid), 0);
    const h7 = new Hart({ bus: r.bus, hartId: 7, readTime: () => 0 });
    assert.equal(h7.readCsr(Csr.mhartid), 7);
  });
  it('HPM counters and events read 0 and ignore writes (M-mode)', () => {
    for (const n of [0xb03, 0xb1f, 0xb83, 0xb9f, 0x323, 0x33f]) assert.equal(rw(n, -1), 0, n.toString(16));
    const r = inMode(3, [E.csrr(a0, 0xc03), E.csrr(a1, 0xc9f)]);
    assert.equal(trapped(r), false);
    assert.equal(ureg(r, a0), 0);
  });
  it('PMP: cfg bytes keep L, A, X, W, R; R=0 W=1 is reserved; locked entries ignore writes', () => {
    assert.equal(rw(0x3a0, 0xffffffff), 0x9f9f9f9f);
    // Byte 2 (0x0e) has R = 0, W = 1: reserved, so it keeps its old value 0.
    assert.equal(rw(0x3a1, 0x0f0e0d0c), 0x0f000d0c);
    // Byte 2 (0x02, W only) keeps its old value; byte 1 becomes 0x01 (R only).
    assert.equal(rw(0x3a2, 0x03020103, (r) => r.hart.writeCsr(0x3a2, 0x00000100)), 0x03000103);
    assert.equal(rw(0x3b5, 0xffffffff), 0xffffffff);
    // Entry 0 locked: pmpcfg0 byte 0 and pmpaddr0 ignore writes (until reset).
    const r = inMode(3, [E.csrw(0x3a0, a1), E.csrw(0x3b0, a1), E.csrr(a0, 0x3a0), E.csrr(a2, 0x3b0)], [[a1, 0x1f1f1f1f]], (r) => {
      r.hart.writeCsr(0x3b0, 0x1234);
      r.hart.writeCsr(0x3a0, 0x80);
    });
    assert.equal(ureg(r, a0), 0x1f1f1f80);
    assert.equal(ureg(r, a2), 0x1234);
    // Entry 1 locked in TOR mode locks pmpaddr0 too.
    const r2 = inMode(3, [E.csrw(0x3b0, a1), E.csrr(a0, 0x3b0)], [[a1, 0x5555]], (r) => {
      r.hart.writeCsr(0x3b0, 0x1111);
      r.hart.writeCsr(0x3a0, 0x8800);
    });
    assert.equal(ureg(r2, a0), 0x1111);
    r2.hart.reset(RAM_BASE);
    assert.equal(r2.hart.readCsr(0x3a0), 0);
  });
});

describe('counters', () => {
  it('minstret, instret, mcycle, cycle read the instructions retired before the reading one', () => {
    const r = inMode(3, [E.addi(0, 0, 0), E.addi(0, 0, 0), E.csrr(a0, Csr.minstret), E.csrr(a1, Csr.instret), E.csrr(a2, Csr.mcycle), E.csrr(a3, Csr.cycle), E.csrr(a4, Csr.minstreth)]);
    assert.equal(ureg(r, a0), 2);
    assert.equal(ureg(r, a1), 3);
    assert.equal(ureg(r, a2), 4);
    assert.equal(ureg(r, a3), 5);
    assert.equal(ureg(r, a4), 0);
    assert.equal(r.hart.instret, 8); // seven plus the final WFI
  });
  it('a value written to minstret is what the next instruction reads (Zicsr 9.1); then it counts on', () => {
    const r = inMode(3, [E.csrw(Csr.minstret, a1), E.csrr(a0, Csr.minstret), E.csrr(a2, Csr.minstret)], [[a1, 1000]]);
    assert.equal(ureg(r, a0), 1000);
    assert.equal(ureg(r, a2), 1001);
    assert.equal(r.hart.instret, 4, 'the monitor\'s count is not affected');
  });
  it('64-bit counters carry into the high half; both halves are writable exactly', () => {
    const r = inMode(3, [
      E.csrw(Csr.minstreth, a5), // minstreth = 7
      E.csrw(Csr.minstret, a1), // minstret = 0xffffffff
      E.addi(0, 0, 0), // would read 0x7_ffffffff; its retirement carries
      E.csrr(a0, Csr.minstret), // 0x8_00000000
      E.csrr(a2, Csr.minstreth),
      E.csrw(Csr.mcycleh, a1),
      E.csrw(Csr.mcycle, a3),
      E.csrr(a4, Csr.mcycle),
      E.csrr(a3, Csr.cycleh),
    ], [[a1, -1], [a3, 0x10], [a5, 7]]);
    assert.equal(ureg(r, a0), 0);
    assert.equal(ureg(r, a2), 8);
    assert.equal(ureg(r, a4), 0x10);
    assert.equal(ureg(r, a3), 0xffffffff);
  });
  it('the debugger\'s writeCsr sets a counter exactly too', () => {
    const r = rig();
    r.hart.writeCsr(Csr.mcycle, 0xfffffffe);
    r.hart.writeCsr(Csr.mcycleh, 0x12345678);
    assert.equal(r.hart.readCsr(Csr.mcycle), 0xfffffffe);
    assert.equal(r.hart.readCsr(Csr.mcycleh), 0x12345678);
    place(r, new E.Program(RAM_BASE).i(E.addi(0, 0, 0), E.addi(0, 0, 0), E.addi(0, 0, 0), E.wfi()));
    r.hart.run(100);
    assert.equal(r.hart.readCsr(Csr.mcycle), 2);
    assert.equal(r.hart.readCsr(Csr.cycleh), 0x12345679);
  });
  it('mcountinhibit freezes mcycle (CY) and minstret (IR) until cleared', () => {
    const r = inMode(3, [
      E.csrrsi(0, Csr.mcountinhibit, 5), // retires, then both stop at 1
      E.addi(0, 0, 0),
      E.csrr(a0, Csr.minstret),
      E.csrr(a1, Csr.mcycle),
      E.csrrci(0, Csr.mcountinhibit, 4), // IR resumes: the next reads the frozen value
      E.csrr(a2, Csr.minstret),
      E.csrr(a3, Csr.minstret),
      E.csrr(a4, Csr.mcycle),
    ]);
    assert.equal(ureg(r, a0), 1);
    assert.equal(ureg(r, a1), 1);
    assert.equal(ureg(r, a2), 1);
    assert.equal(ureg(r, a3), 2);
    assert.equal(ureg(r, a4), 1);
    assert.equal(r.hart.instret, 9);
  });
  it('time and timeh read readTime(), split at 2^32', () => {
    const r = inMode(3, [E.csrr(a0, Csr.time), E.csrr(a1, Csr.timeh)], [], (r) => {
      r.time.now = 0x12_3456_789a;
    });
    assert.equal(ureg(r, a0), 0x3456789a);
    assert.equal(ureg(r, a1), 0x12);
  });
  it('S-mode reads of cycle/time/instret/hpmcounterN need mcounteren; U-mode also scounteren', () => {
    const cases: [number, number][] = [[Csr.cycle, 0], [Csr.time, 1], [Csr.instret, 2], [0xc03, 3], [0xc1f, 31], [Csr.cycleh, 0], [Csr.timeh, 1], [Csr.instreth, 2], [0xc83, 3]];
    for (const [n, bit] of cases) {
      const inst = E.csrr(a0, n);
      illegal(inMode(1, [inst]), inst, `S ${n.toString(16)} without mcounteren`);
      let r = inMode(1, [inst], [], (r) => r.hart.writeCsr(Csr.mcounteren, 1 << bit));
      assert.equal(trapped(r), false, `S ${n.toString(16)} with mcounteren`);
      illegal(inMode(1, [inst], [], (r) => r.hart.writeCsr(Csr.mcounteren, ~(1 << bit))), inst, `S ${n.toString(16)} other bits`);
      illegal(inMode(0, [inst], [], (r) => r.hart.writeCsr(Csr.mcounteren, 1 << bit)), inst, `U ${n.toString(16)} without scounteren`);
      illegal(inMode(0, [inst], [], (r) => r.hart.writeCsr(Csr.scounteren, 1 << bit)), inst, `U ${n.toString(16)} without mcounteren`);
      r = inMode(0, [inst], [], (r) => {
        r.hart.writeCsr(Csr.mcounteren, 1 << bit);
        r.hart.writeCsr(Csr.scounteren, 1 << bit);
      });
      assert.equal(completed(r), true, `U ${n.toString(16)} with both`);
    }
  });
  it('M-mode reads counters whatever the enables', () => {
    const r = inMode(3, [E.csrr(a0, Csr.cycle), E.csrr(a1, Csr.time), E.csrr(a2, Csr.instret)]);
    assert.equal(trapped(r), false);
  });
});

describe('TVM', () => {
  it('satp access in S-mode is illegal when mstatus.TVM = 1, allowed otherwise', () => {
    const inst = E.csrr(a0, Csr.satp);
    illegal(inMode(1, [inst], [], (r) => r.hart.writeCsr(Csr.mstatus, Mstatus.TVM)), inst, 'TVM');
    assert.equal(trapped(inMode(1, [inst])), false);
    assert.equal(trapped(inMode(3, [inst], [], (r) => r.hart.writeCsr(Csr.mstatus, Mstatus.TVM))), false);
  });
});

describe('readCsr / writeCsr (debugger access)', () => {
  it('bypass privilege but apply WARL rules; refuse unknown and read-only numbers', () => {
    const r = rig();
    r.hart.priv = 0;
    r.hart.writeCsr(Csr.mstatus, 0xffffffff);
    assert.equal(r.hart.readCsr(Csr.mstatus), 0x007e19aa);
    assert.throws(() => r.hart.writeCsr(Csr.mhartid, 1), HartError, (e: HartError) => e.kind === 'read-only-csr');
    assert.throws(() => r.hart.writeCsr(0x7c0, 1), HartError, (e: HartError) => e.kind === 'unknown-csr');
    assert.throws(() => r.hart.readCsr(-1), HartError);
    assert.throws(() => r.hart.readCsr(4096), HartError);
    assert.equal(r.hart.run(0), ExitReason.BudgetSpent);
  });
});
