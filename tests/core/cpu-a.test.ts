/**
 * A extension (unprivileged ISA chapter 8): LR/SC and its reservation,
 * every AMO, misaligned atomics (always an exception: LR as a load, SC and
 * AMOs as stores, privileged spec table 3.6), atomics on devices, ROM and
 * unmapped addresses, and the reserved encodings.
 */
import { describe, it, assert } from '../harness/index.js';
import * as E from './rv-encode.js';
import { Csr, DATA, DEV_BASE, ExitReason, RAM_BASE, ROM_BASE, UNMAPPED, peek32, poke32, rig, place, runProgram, trapped, ureg } from './cpu-fixture.js';

const { a0, a1, a2, a3, a4, t0 } = E;

function cause(r: { hart: { readCsr(n: number): number } }): number {
  return r.hart.readCsr(Csr.mcause);
}

describe('A: LR/SC', () => {
  it('LR then SC succeeds (rd = 0) and stores; a second SC fails (rd = 1) and does not', () => {
    const r = runProgram((p) => p.i(E.lrW(a0, a1), E.scW(a2, a3, a1), E.scW(a4, a0, a1)), {
      regs: [[a1, DATA], [a3, 0x1234]],
      setup: (r) => poke32(r, DATA, 0xabcd),
    });
    assert.equal(ureg(r, a0), 0xabcd);
    assert.equal(ureg(r, a2), 0);
    assert.equal(ureg(r, a4), 1);
    assert.equal(peek32(r, DATA), 0x1234);
  });
  it('SC without a reservation fails and leaves memory alone', () => {
    const r = runProgram((p) => p.i(E.scW(a2, a3, a1)), { regs: [[a1, DATA], [a3, 5]], setup: (r) => poke32(r, DATA, 9) });
    assert.equal(ureg(r, a2), 1);
    assert.equal(peek32(r, DATA), 9);
  });
  it('SC to another word than the reserved one fails and kills the reservation', () => {
    const r = runProgram((p) => p.i(E.lrW(a0, a1), E.addi(t0, a1, 4), E.scW(a2, a3, t0), E.scW(a4, a3, a1)), {
      regs: [[a1, DATA], [a3, 5]],
    });
    assert.equal(ureg(r, a2), 1);
    assert.equal(ureg(r, a4), 1);
    assert.equal(peek32(r, DATA + 4), 0);
    assert.equal(peek32(r, DATA), 0);
  });
  it('a store by this hart to the reserved word makes SC fail (SW, SH, SB, misaligned SW)', () => {
    const stores = [E.sw(a3, a1, 0), E.sh(a3, a1, 2), E.sb(a3, a1, 3), E.sw(a3, a1, -2), E.sw(a3, a1, 3)];
    for (const st of stores) {
      const r = runProgram((p) => p.i(E.lrW(a0, a1), st, E.scW(a2, a4, a1)), { regs: [[a1, DATA + 8], [a3, 7], [a4, 0x55]] });
      assert.equal(ureg(r, a2), 1, `after store ${st.toString(16)}`);
    }
  });
  it('a store to another word leaves the reservation valid', () => {
    const r = runProgram((p) => p.i(E.lrW(a0, a1), E.sw(a3, a1, 4), E.sb(a3, a1, -1), E.scW(a2, a4, a1)), {
      regs: [[a1, DATA + 8], [a3, 7], [a4, 0x55]],
    });
    assert.equal(ureg(r, a2), 0);
    assert.equal(peek32(r, DATA + 8), 0x55);
  });
  it('an AMO to the reserved word makes SC fail', () => {
    const r = runProgram((p) => p.i(E.lrW(a0, a1), E.amoW('add', 0, a3, a1), E.scW(a2, a4, a1)), { regs: [[a1, DATA], [a3, 1]] });
    assert.equal(ureg(r, a2), 1);
  });
  it('a trap between LR and SC makes SC fail', () => {
    const r = rig();
    const handler = new E.Program(RAM_BASE + 0x4000).i(E.csrr(t0, Csr.mepc), E.addi(t0, t0, 4), E.csrw(Csr.mepc, t0), E.mret());
    place(r, handler);
    const p = new E.Program(RAM_BASE).i(E.lrW(a0, a1), E.ecall(), E.scW(a2, a3, a1), E.wfi());
    place(r, p);
    r.hart.writeCsr(Csr.mtvec, handler.base);
    r.hart.regs[a1] = DATA;
    assert.equal(r.hart.run(100), ExitReason.Wfi);
    assert.equal(r.hart.lastTrap?.code, 11);
    assert.equal(ureg(r, a2), 1);
  });
  it('an xRET between LR and SC makes SC fail', () => {
    const r = runProgram(
      (p) => {
        p.i(E.lrW(a0, a1)); // +0
        p.i(E.auipc(t0, 0), E.addi(t0, t0, 28), E.csrw(Csr.mepc, t0)); // +4: mepc = +32
        // MPP = M so that MRET stays in M-mode
        p.i(E.lui(a4, 2), E.addi(a4, a4, -0x800), E.csrrs(0, Csr.mstatus, a4), E.mret()); // +16..+28
        p.i(E.scW(a2, a3, a1)); // +32
      },
      { regs: [[a1, DATA]] },
    );
    assert.equal(trapped(r), false);
    assert.equal(r.hart.priv, 3);
    assert.equal(ureg(r, a2), 1);
  });
  it('LR/SC on a device go through the bus', () => {
    const r = runProgram((p) => p.i(E.lrW(a0, a1), E.scW(a2, a3, a1)), {
      regs: [[a1, DEV_BASE + 8], [a3, 0x77]],
      setup: (r) => r.dev.bytes.set([0x11, 0x22, 0x33, 0x44], 8),
    });
    assert.equal(ureg(r, a0), 0x44332211);
    assert.equal(ureg(r, a2), 0);
    assert.equal(r.dev.word(8), 0x77);
  });
  it('misaligned LR raises load address-misaligned (4), SC store/AMO address-misaligned (6), even with no reservation', () => {
    let r = runProgram((p) => p.i(E.lrW(a0, a1)), { regs: [[a1, DATA + 2]] });
    assert.equal(cause(r), 4);
    assert.equal(r.hart.readCsr(Csr.mtval), DATA + 2);
    assert.equal(r.hart.readCsr(Csr.mepc), RAM_BASE);
    r = runProgram((p) => p.i(E.scW(a0, a2, a1)), { regs: [[a1, DATA + 1]] });
    assert.equal(cause(r), 6);
    assert.equal(r.hart.readCsr(Csr.mtval), DATA + 1);
    r = runProgram((p) => p.i(E.lrW(a0, a1), E.scW(a2, a3, a4)), { regs: [[a1, DATA], [a4, DATA + 3]] });
    assert.equal(cause(r), 6);
    assert.equal(r.hart.readCsr(Csr.mepc), RAM_BASE + 4);
  });
  it('LR from an unmapped address is a load access fault (5)', () => {
    const r = runProgram((p) => p.i(E.lrW(a0, a1)), { regs: [[a1, UNMAPPED]] });
    assert.equal(cause(r), 5);
    assert.equal(r.hart.readCsr(Csr.mtval), UNMAPPED);
  });
});

describe('A: AMOs', () => {
  const s = (v: number): number => v | 0;
  const u = (v: number): number => v >>> 0;
  const OPS: [keyof typeof E.AMO, (m: number, v: number) => number][] = [
    ['swap', (_m, v) => v],
    ['add', (m, v) => Number(BigInt.asUintN(32, BigInt(m) + BigInt(v)))],
    ['xor', (m, v) => u(m ^ v)],
    ['and', (m, v) => u(m & v)],
    ['or', (m, v) => u(m | v)],
    ['min', (m, v) => (s(m) < s(v) ? m : v)],
    ['max', (m, v) => (s(m) > s(v) ? m : v)],
    ['minu', (m, v) => (u(m) < u(v) ? m : v)],
    ['maxu', (m, v) => (u(m) > u(v) ? m : v)],
  ];
  const PAIRS: [number, number][] = [
    [5, 3], [3, 5], [0xffffffff, 1], [1, 0xffffffff], [0x80000000, 0x7fffffff], [0x7fffffff, 0x80000000], [0xdeadbeef, 0x12345678], [0, 0],
  ];
  it('each AMO returns the old value and stores op(old, rs2)', () => {
    for (const [name, f] of OPS) {
      for (const [m, v] of PAIRS) {
        const r = runProgram((p) => p.i(E.amoW(name, a0, a2, a1)), { regs: [[a1, DATA], [a2, v | 0]], setup: (r) => poke32(r, DATA, m) });
        assert.equal(ureg(r, a0), m, `${name} old`);
        assert.equal(peek32(r, DATA), u(f(m, v)), `amo${name} ${m} ${v}`);
      }
    }
  });
  it('rd = rs2 gets the old value after rs2 was used', () => {
    const r = runProgram((p) => p.i(E.amoW('swap', a2, a2, a1)), { regs: [[a1, DATA], [a2, 7]], setup: (r) => poke32(r, DATA, 9) });
    assert.equal(ureg(r, a2), 9);
    assert.equal(peek32(r, DATA), 7);
  });
  it('rd = x0 discards the old value', () => {
    const r = runProgram((p) => p.i(E.amoW('add', 0, a2, a1)), { regs: [[a1, DATA], [a2, 7]], setup: (r) => poke32(r, DATA, 9) });
    assert.equal(r.hart.regs[0], 0);
    assert.equal(peek32(r, DATA), 16);
  });
  it('aq and rl bits are accepted', () => {
    const inst = E.amoW('add', a0, a2, a1) | (3 << 25);
    const r = runProgram((p) => p.i(inst, E.lrW(a3, a1, 1, 1), E.scW(a4, a2, a1, 1, 1)), { regs: [[a1, DATA], [a2, 1]] });
    assert.equal(trapped(r), false);
    assert.equal(ureg(r, a4), 0);
  });
  it('a misaligned AMO raises store/AMO address-misaligned (6) and changes nothing', () => {
    for (const off of [1, 2, 3]) {
      const r = runProgram((p) => p.i(E.amoW('add', a0, a2, a1)), { regs: [[a1, DATA + off], [a2, 1], [a0, 0x5a]] });
      assert.equal(cause(r), 6);
      assert.equal(r.hart.readCsr(Csr.mtval), DATA + off);
      assert.equal(ureg(r, a0), 0x5a);
      assert.equal(peek32(r, DATA), 0);
    }
  });
  it('an AMO on a device reads then writes through the bus', () => {
    const r = runProgram((p) => p.i(E.amoW('or', a0, a2, a1)), {
      regs: [[a1, DEV_BASE + 4], [a2, 0xf0]],
      setup: (r) => r.dev.bytes.set([0x0f], 4),
    });
    assert.equal(ureg(r, a0), 0x0f);
    assert.equal(r.dev.word(4), 0xff);
    assert.deepEqual(r.dev.log.map((e) => e.op), ['read', 'write']);
  });
  it('an AMO on ROM or on nothing is a store/AMO access fault (7); memory unchanged', () => {
    const rom = new Uint8Array(0x100).fill(0x11);
    const r = rig({ rom });
    place(r, new E.Program(RAM_BASE).i(E.amoW('swap', a0, a2, a1), E.wfi()));
    r.hart.regs[a1] = ROM_BASE + 8;
    r.hart.regs[a0] = 3;
    r.hart.run(100);
    assert.equal(cause(r), 7);
    assert.equal(r.hart.readCsr(Csr.mtval), ROM_BASE + 8);
    assert.equal(rom[8], 0x11);
    assert.equal(ureg(r, a0), 3);
    const r2 = runProgram((p) => p.i(E.amoW('add', a0, a2, a1)), { regs: [[a1, UNMAPPED + 4]] });
    assert.equal(cause(r2), 7);
    assert.equal(r2.hart.readCsr(Csr.mtval), UNMAPPED + 4);
  });
  it('reserved encodings are illegal: funct3 other than .W, unknown funct5, LR with rs2 != 0', () => {
    const bad = [
      E.amoRaw(E.AMO.add, 3, a0, a1, a2), // AMOADD.D
      E.amoRaw(E.AMO.add, 0, a0, a1, a2),
      E.amoRaw(0b00101, 2, a0, a1, a2),
      E.amoRaw(0b11111, 2, a0, a1, a2),
      E.amoRaw(0b00010, 2, a0, a1, 1), // LR.W with rs2 = x1
    ];
    for (const inst of bad) {
      const r = runProgram((p) => p.i(inst), { regs: [[a1, DATA]] });
      assert.equal(cause(r), 2, inst.toString(16));
      assert.equal(r.hart.readCsr(Csr.mtval), inst >>> 0);
    }
  });
});
