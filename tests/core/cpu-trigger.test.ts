/**
 * The trigger module (Debug Specification 0.13.2 / 1.0, Sdtrig) as
 * qemu-system-riscv32 7.2 implements it (guests/trigger compares the two):
 * tselect, tdata1-3 and tinfo with their WARL rules; mcontrol (type 2) and
 * mcontrol6 (type 6) execute, load and store triggers in M, S and U; the
 * breakpoint exception (cause 3) they raise before the instruction or the
 * access, with mepc the instruction and mtval the address (QEMU 7.2 writes
 * 0; the spec allows either); and the hart's fast paths (fetch windows,
 * RAM window, TLB, JIT blocks) giving way while a trigger is armed.
 */
import { describe, it, assert } from '../harness/index.js';
import * as E from './rv-encode.js';
import { Csr, DATA, HALT, RAM_BASE, ROM_BASE, place, poke32, rig, runProgram, trapped, ureg } from './cpu-fixture.js';
import { RW, svRun } from './cpu-sv32-fixture.js';
import { Mstatus } from '../../src/cpu/index.js';

const { a0, a1, a2, t0 } = E;
type Rig = ReturnType<typeof rig>;

const T2 = 0x20000000, T6 = 0x60000000, TM = 1 << 6, TS = 1 << 4, TU = 1 << 3, TX = 4, TW = 2, TR = 1;
const size = (n: number): number => n << 16;

/** Arms trigger `sel` (tdata2 first, as a debugger would). */
function arm(r: Rig, sel: number, tdata1: number, tdata2: number): void {
  r.hart.writeCsr(Csr.tselect, sel);
  r.hart.writeCsr(Csr.tdata2, tdata2);
  r.hart.writeCsr(Csr.tdata1, tdata1);
  r.hart.writeCsr(Csr.tselect, 0);
}

/** Runs `insts` in `priv` with a trigger armed by `setup`. */
function inMode(priv: 0 | 1 | 3, insts: number[], regs: [number, number][], setup: (r: Rig) => void, mstatus = 0) {
  return runProgram((p) => p.i(...insts), {
    regs,
    setup: (r) => {
      setup(r);
      if (mstatus !== 0) r.hart.writeCsr(Csr.mstatus, mstatus);
      r.hart.priv = priv;
    },
  });
}

function breakpoint(r: Rig, epc: number, tval: number, what: string, from?: number): void {
  assert.equal(trapped(r), true, `${what}: trapped`);
  assert.equal(r.hart.readCsr(Csr.mcause), 3, `${what}: mcause`);
  assert.equal(r.hart.readCsr(Csr.mepc), epc >>> 0, `${what}: mepc`);
  assert.equal(r.hart.readCsr(Csr.mtval), tval >>> 0, `${what}: mtval`);
  if (from !== undefined) assert.equal(r.hart.lastTrap?.fromPriv, from, `${what}: from mode`);
}

function noTrap(r: ReturnType<typeof runProgram>, what: string): void {
  if (!trapped(r)) return assert.equal(r.hart.pc, r.end, `${what}: ran to its end`);
  // U-mode ends at its wfi, which is illegal there.
  assert.equal(r.hart.readCsr(Csr.mcause), 2, `${what}: trapped with cause ${r.hart.readCsr(Csr.mcause)}`);
  assert.equal(r.hart.readCsr(Csr.mepc), r.end - 4, `${what}: the final wfi`);
}

describe('triggers: CSRs', () => {
  it('two triggers: tselect ignores 2 and above; tinfo reads types 2 and 6; tdata3 reads 0', () => {
    const r = rig();
    assert.equal(r.hart.readCsr(Csr.tselect), 0);
    r.hart.writeCsr(Csr.tselect, 1);
    r.hart.writeCsr(Csr.tselect, 2);
    assert.equal(r.hart.readCsr(Csr.tselect), 1);
    r.hart.writeCsr(Csr.tselect, 0xffffffff);
    assert.equal(r.hart.readCsr(Csr.tselect), 1);
    for (const sel of [0, 1]) {
      r.hart.writeCsr(Csr.tselect, sel);
      assert.equal(r.hart.readCsr(Csr.tinfo), 0x44);
      assert.equal(r.hart.readCsr(Csr.tdata1), T2, 'reset: type 2, disabled');
      assert.equal(r.hart.readCsr(Csr.tdata2), 0);
      r.hart.writeCsr(Csr.tdata3, 0x1234);
      assert.equal(r.hart.readCsr(Csr.tdata3), 0);
    }
    // tdata1/tdata2 are per trigger.
    arm(r, 1, T2 | TM | TX, 0x1234);
    r.hart.writeCsr(Csr.tselect, 0);
    assert.equal(r.hart.readCsr(Csr.tdata1), T2);
    r.hart.writeCsr(Csr.tselect, 1);
    assert.equal(r.hart.readCsr(Csr.tdata1), T2 | TM | TX);
    assert.equal(r.hart.readCsr(Csr.tdata2), 0x1234);
    r.hart.reset(RAM_BASE);
    assert.equal(r.hart.readCsr(Csr.tselect), 0);
    r.hart.writeCsr(Csr.tselect, 1);
    assert.equal(r.hart.readCsr(Csr.tdata1), T2);
  });
  it('tdata1 keeps only the fields QEMU 7.2 implements, and ignores a write of another type', () => {
    const r = rig();
    for (const [w, want] of [
      [0x2fffffff, 0x2003005f], // type 2: sizelo, M, S, U, X, W, R
      [0x28000000, T2], // dmode
      [0x20080000, T2], // select
      [0x20070000, T2 | size(3)], // timing
      [0x2000f800, T2], // action, chain
      [0x00000044, T2], // type 0
      [0x30000044, T2], // type 3 (icount): not implemented
      [0xf0000044, T2], // type 15
      [0x6fffffff, 0x6180005f], // type 6: vs, vu, M, S, U, X, W, R; size 15 is not kept
      [T6 | size(5) | TR, T6 | size(5) | TR],
      [T6 | size(4) | TR, T6 | TR],
      [T2 | TM | TX, T2 | TM | TX],
    ] as const) {
      r.hart.writeCsr(Csr.tdata1, w);
      assert.equal(r.hart.readCsr(Csr.tdata1), want, `write 0x${w.toString(16)}`);
    }
  });
  it('tselect, tdata1-3 and tinfo are M-mode CSRs; tcontrol and mcontext do not exist', () => {
    for (const n of [Csr.tselect, Csr.tdata1, Csr.tdata2, Csr.tinfo]) {
      const r = inMode(1, [E.csrr(a0, n)], [], () => {});
      assert.equal(r.hart.readCsr(Csr.mcause), 2, `S reads 0x${n.toString(16)}`);
    }
    for (const n of [0x7a5, 0x7a8]) {
      const r = inMode(3, [E.csrr(a0, n)], [], () => {});
      assert.equal(r.hart.readCsr(Csr.mcause), 2, `M reads 0x${n.toString(16)}`);
    }
  });
  it('a snapshot carries the triggers', () => {
    const r = rig();
    arm(r, 1, T6 | TS | TR | size(2), DATA);
    r.hart.writeCsr(Csr.tselect, 1);
    const r2 = rig();
    r2.hart.restoreState(r.hart.saveState());
    assert.equal(r2.hart.readCsr(Csr.tselect), 1);
    assert.equal(r2.hart.readCsr(Csr.tdata1), T6 | TS | TR | size(2));
    assert.equal(r2.hart.readCsr(Csr.tdata2), DATA);
    const bad = { ...r.hart.saveState(), tdata1: new Uint32Array([0x30000000, T2]) };
    assert.throws(() => r2.hart.restoreState(bad));
  });
});

describe('triggers: execute', () => {
  it('fires before the instruction at tdata2, in the modes its M, S and U bits name', () => {
    const code = [E.addi(a0, 0, 1), E.addi(a0, a0, 1), E.addi(a0, a0, 1)];
    const at = RAM_BASE + 4;
    let r = inMode(3, code, [], (r) => arm(r, 0, T2 | TM | TX, at));
    breakpoint(r, at, at, 'M');
    assert.equal(ureg(r, a0), 1, 'the instruction did not run');
    assert.equal(r.hart.instret, 2, 'the first addi and the handler\'s wfi retired; the trapping one did not');
    r = inMode(1, code, [], (r) => arm(r, 0, T2 | TS | TX, at));
    breakpoint(r, at, at, 'S', 1);
    r = inMode(0, code, [], (r) => arm(r, 1, T6 | TU | TX, at));
    breakpoint(r, at, at, 'U, type 6, trigger 1', 0);
    noTrap(inMode(3, code, [], (r) => arm(r, 0, T2 | TS | TU | TX, at)), 'S/U trigger in M');
    noTrap(inMode(1, code, [], (r) => arm(r, 0, T2 | TM | TR | TW, at)), 'load/store trigger on code');
    noTrap(inMode(3, code, [], (r) => arm(r, 0, T2 | TM | TX, at + 2)), 'the middle of an instruction');
  });
  it('fires on a compressed instruction, and on code in ROM', () => {
    let r = runProgram((p) => p.c(0x4505 /* c.li a0, 1 */).c(0x0505 /* c.addi a0, 1 */).i(E.addi(a0, a0, 1)), {
      setup: (r) => arm(r, 0, T2 | TM | TX, RAM_BASE + 2),
    });
    breakpoint(r, RAM_BASE + 2, RAM_BASE + 2, 'compressed');
    const rom = new E.Program(ROM_BASE).i(E.addi(a0, 0, 5), E.addi(a0, a0, 1), E.wfi());
    const r2 = rig({ rom: rom.bytes() });
    r2.hart.pc = ROM_BASE;
    r2.hart.run(5);
    assert.equal(ureg(r2, a0), 6, 'ROM code runs');
    r2.hart.pc = ROM_BASE;
    arm(r2, 0, T2 | TM | TX, ROM_BASE + 4);
    r2.hart.run(5);
    breakpoint(r2, ROM_BASE + 4, ROM_BASE + 4, 'ROM');
    void r;
  });
  it('fires in a loop that ran hot before it was armed, at the exact instruction', () => {
    // t0 counts 2000 iterations; the loop body is addi a0 / addi t0 / bne.
    const r = rig();
    const loop = new E.Program(RAM_BASE).i(E.addi(t0, 0, 2000), E.addi(a0, a0, 1), E.addi(t0, t0, -1), E.bne(t0, 0, -8), E.wfi());
    place(r, loop);
    r.hart.priv = 1;
    assert.equal(r.hart.run(1 + 3 * 1000), 0);
    assert.equal(ureg(r, a0), 1000);
    if (r.hart.jitStats !== null) assert.ok(r.hart.jitStats.translations > 0, 'the JIT tier translated the loop');
    arm(r, 0, T2 | TS | TX, RAM_BASE + 8);
    r.hart.run(100);
    breakpoint(r, RAM_BASE + 8, RAM_BASE + 8, 'hot loop');
    assert.equal(ureg(r, a0), 1001, 'one more addi a0 ran before the trigger');
    assert.equal(r.hart.instret, 1 + 3 * 1000 + 1 + 1, 'and the handler\'s wfi');
  });
  it('fires on a translated (Sv32) fetch: the virtual address', () => {
    const VA = 0x4000_0000;
    const r = svRun((p) => p.i(E.jalr(E.ra, a1, 0)), {
      regs: [[a1, VA]],
      map: (t, r) => {
        t.map(VA, DATA, RW | 8);
        poke32(r, DATA, E.addi(a0, 0, 9));
        poke32(r, DATA + 4, E.jalr(0, E.ra, 0));
      },
      setup: (r) => arm(r, 0, T2 | TS | TX, VA + 4),
    });
    breakpoint(r, VA + 4, VA + 4, 'Sv32');
    assert.equal(ureg(r, a0), 9);
  });
});

describe('triggers: load and store', () => {
  it('watch [tdata2, tdata2 + len): len 4 (type 2) or 8 (type 6) for size 0, else the size field', () => {
    for (const [t1, len] of [[T2, 4], [T2 | size(1), 1], [T2 | size(2), 2], [T2 | size(3), 3], [T6, 8], [T6 | size(5), 5]] as const) {
      const hits: number[] = [];
      for (let d = -2; d < 10; d++) {
        const r = inMode(3, [E.lbu(a0, a1, 0)], [[a1, DATA + 16 + d]], (r) => arm(r, 0, t1 | TM | TR, DATA + 16));
        if (trapped(r)) {
          breakpoint(r, RAM_BASE, DATA + 16 + d, `0x${t1.toString(16)} at +${d}`);
          hits.push(d);
        }
      }
      assert.deepEqual(hits, Array.from({ length: len }, (_, i) => i), `0x${t1.toString(16)}`);
    }
    // A word access overlapping the watched bytes fires.
    const r = inMode(3, [E.lw(a0, a1, 0)], [[a1, DATA + 12]], (r) => arm(r, 0, T2 | TM | TR | size(1), DATA + 15));
    breakpoint(r, RAM_BASE, DATA + 12, 'lw over the watched byte');
  });
  it('a store trigger fires before the store; loads, LR and stores each fire only their own kind; an AMO is both', () => {
    let r = inMode(3, [E.sw(a2, a1, 0)], [[a1, DATA], [a2, 0x55]], (r) => {
      poke32(r, DATA, 0x11);
      arm(r, 0, T2 | TM | TW, DATA);
    });
    breakpoint(r, RAM_BASE, DATA, 'sw');
    assert.equal(r.hart.bus.read(DATA as never, 4), 0x11, 'the store did not happen');
    noTrap(inMode(3, [E.lw(a0, a1, 0), E.lrW(a0, a1)], [[a1, DATA]], (r) => arm(r, 0, T2 | TM | TW, DATA)), 'store trigger, loads');
    noTrap(inMode(3, [E.sw(a0, a1, 0)], [[a1, DATA]], (r) => arm(r, 0, T2 | TM | TR, DATA)), 'load trigger, store');
    r = inMode(3, [E.lrW(a0, a1)], [[a1, DATA]], (r) => arm(r, 0, T2 | TM | TR, DATA));
    breakpoint(r, RAM_BASE, DATA, 'lr, load trigger');
    for (const kind of [TR, TW]) {
      r = inMode(3, [E.amoW('add', a0, a2, a1)], [[a1, DATA]], (r) => arm(r, 0, T2 | TM | kind, DATA));
      breakpoint(r, RAM_BASE, DATA, `amoadd, kind ${kind}`);
    }
    r = inMode(3, [E.lrW(a0, a1), E.scW(a2, a0, a1)], [[a1, DATA]], (r) => arm(r, 0, T2 | TM | TW, DATA));
    breakpoint(r, RAM_BASE + 4, DATA, 'sc with a reservation');
    noTrap(inMode(3, [E.scW(a2, a0, a1)], [[a1, DATA]], (r) => arm(r, 0, T2 | TM | TW, DATA)), 'sc without one (no store)');
  });
  it('the hart\'s mode counts, not MPRV\'s; U and S, Bare and Sv32; medeleg[3] sends it to S', () => {
    noTrap(inMode(3, [E.lw(a0, a1, 0)], [[a1, DATA]], (r) => arm(r, 0, T2 | TS | TR, DATA), Mstatus.MPRV | (1 << 11)), 'S trigger, M with MPRV');
    let r = inMode(0, [E.lw(a0, a1, 0)], [[a1, DATA]], (r) => arm(r, 0, T2 | TU | TR, DATA));
    breakpoint(r, RAM_BASE, DATA, 'U', 0);
    r = inMode(1, [E.lw(a0, a1, 0)], [[a1, DATA]], (r) => {
      arm(r, 0, T2 | TS | TR, DATA);
      r.hart.writeCsr(Csr.medeleg, 1 << 3);
    });
    assert.equal(r.hart.readCsr(Csr.scause), 3, 'delegated');
    assert.equal(r.hart.readCsr(Csr.stval), DATA);
    assert.equal(r.hart.readCsr(Csr.sepc), RAM_BASE);
    const VA = 0x4000_0000;
    const s = svRun((p) => p.i(E.lw(a0, a1, 0), E.lw(a0, a1, 4)), {
      regs: [[a1, VA]],
      map: (t) => t.map(VA, DATA, RW),
      setup: (r) => arm(r, 0, T2 | TS | TR, VA + 4),
    });
    breakpoint(s, RAM_BASE + 4, VA + 4, 'Sv32: the virtual address');
  });
  it('fires in a load loop that ran hot before it was armed, and stops firing once disarmed', () => {
    const r = rig();
    const loop = new E.Program(RAM_BASE).i(E.addi(t0, 0, 2000), E.lw(a0, a1, 0), E.addi(t0, t0, -1), E.bne(t0, 0, -8), E.wfi());
    place(r, loop);
    r.hart.regs[a1] = DATA;
    assert.equal(r.hart.run(1 + 3 * 1000), 0);
    if (r.hart.jitStats !== null) assert.ok(r.hart.jitStats.translations > 0, 'the JIT tier translated the loop');
    arm(r, 0, T2 | TM | TR, DATA);
    r.hart.run(100);
    breakpoint(r, RAM_BASE + 4, DATA, 'hot load');
    assert.equal(r.hart.instret, 1 + 3 * 1000 + 1, 'the loop so far and the handler\'s wfi');
    arm(r, 0, T2, 0);
    r.hart.pc = RAM_BASE + 4;
    r.hart.run(5000);
    assert.equal(r.hart.pc, RAM_BASE + 20, 'ran to the wfi (parked after it)');
    assert.equal(r.hart.readCsr(Csr.mcause), 3, 'no new trap');
    void HALT;
  });
});
