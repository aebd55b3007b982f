/**
 * Physical memory protection (privileged spec 1.12, section 3.7), as
 * qemu-system-riscv32 7.2 enforces it (guests/pmp compares the two): OFF,
 * TOR, NA4 and NAPOT entries, priority by number, partial matches, the
 * S/U no-match rule, M-mode bound by locked entries only (and MPRV),
 * access-fault causes and mtval, Sv32 page-table reads checked as S-mode
 * loads, and the hart's cached fast paths (RAM window, fetch window, TLB,
 * JIT blocks) following every change of PMP and of mode.
 *
 * The fixture's rig opens everything to S and U with entry 15 (NAPOT over
 * the bus, RWX), as firmware does; tests add entries above it.
 */
import { describe, it, assert } from '../harness/index.js';
import * as E from './rv-encode.js';
import { Csr, DATA, DEV_BASE, HALT, RAM_BASE, RAM_SIZE, place, poke32, rig, runProgram, trapped, ureg } from './cpu-fixture.js';
import { A, D, R, ROOT, RW, V, svRun } from './cpu-sv32-fixture.js';
import { Mstatus } from '../../src/cpu/index.js';

const { a0, a1, a2, t0, t1 } = E;

const OFF = 0x00, TOR = 0x08, NA4 = 0x10, NAPOT = 0x18, PR = 1, PW = 2, PX = 4, LOCK = 0x80;
type Rig = ReturnType<typeof rig>;

/** pmpaddr of the NAPOT region [base, base + size) (size a power of two >= 8). */
const napot = (base: number, size: number): number => ((base >>> 2) | ((size >>> 3) - 1)) >>> 0;

/** Sets entry `i`'s cfg byte (other bytes kept) and address, as M-mode software would. */
function entry(r: Rig, i: number, cfg: number, addr: number): void {
  r.hart.writeCsr(Csr.pmpaddr0 + i, addr);
  const n = Csr.pmpcfg0 + (i >> 2);
  const shift = (i & 3) * 8;
  r.hart.writeCsr(n, ((r.hart.readCsr(n) & ~(0xff << shift)) | (cfg << shift)) >>> 0);
}

/** Runs `insts` in mode `priv` with PMP set by `pmp`; returns the rig. */
function inMode(priv: 0 | 1 | 3, insts: number[], regs: [number, number][], pmp: (r: Rig) => void, mstatus = 0) {
  return runProgram((p) => p.i(...insts), {
    regs,
    setup: (r) => {
      pmp(r);
      if (mstatus !== 0) r.hart.writeCsr(Csr.mstatus, mstatus);
      r.hart.priv = priv;
    },
  });
}

/** The run ended in the M trap handler with this cause and mtval, trapping at `epc`. */
function fault(r: ReturnType<typeof runProgram>, cause: number, tval: number, epc: number, what: string): void {
  assert.equal(trapped(r), true, `${what}: trapped`);
  assert.equal(r.hart.readCsr(Csr.mcause), cause, `${what}: mcause`);
  assert.equal(r.hart.readCsr(Csr.mtval), tval >>> 0, `${what}: mtval`);
  assert.equal(r.hart.readCsr(Csr.mepc), epc >>> 0, `${what}: mepc`);
}

/** The run reached its final WFI (in U, where WFI is illegal, trapped exactly there). */
function completed(r: ReturnType<typeof runProgram>, what: string): void {
  if (trapped(r)) {
    assert.equal(r.hart.readCsr(Csr.mepc), r.end - 4, `${what}: trapped at 0x${r.hart.readCsr(Csr.mepc).toString(16)}, cause ${r.hart.readCsr(Csr.mcause)}`);
    assert.equal(r.hart.readCsr(Csr.mcause), 2, `${what}: the final wfi`);
  } else {
    assert.equal(r.hart.pc, r.end, `${what}: ran to its end`);
  }
}

// Data regions inside the rig's RAM (code runs from RAM_BASE, the handler at HALT).
const P1 = DATA; // a 4 KiB page
const P2 = DATA + 0x1000;

describe('PMP: matching and faults in S and U', () => {
  // entry 0: NA4 at P1+8, nothing; entry 1: NAPOT P1 (4 KiB), RW; entry 2: NA4 at P2, R;
  // entry 3: OFF (the base of 4); entry 4: TOR [P2+0x100, P2+0x200), X.
  const layout = (r: Rig): void => {
    entry(r, 0, NA4, (P1 + 8) >>> 2);
    entry(r, 1, NAPOT | PR | PW, napot(P1, 0x1000));
    entry(r, 2, NA4 | PR, P2 >>> 2);
    entry(r, 3, OFF, (P2 + 0x100) >>> 2);
    entry(r, 4, TOR | PX, (P2 + 0x200) >>> 2);
  };
  for (const priv of [0, 1] as const) {
    const m = priv === 0 ? 'U' : 'S';
    it(`${m}: an entry's R, W and X decide; the lowest-numbered matching entry wins`, () => {
      let r = inMode(priv, [E.lw(a0, a1, 0), E.sw(a0, a1, 4), E.lw(a2, a1, 12)], [[a1, P1]], layout);
      completed(r, `${m} RW page`);
      r = inMode(priv, [E.lw(a0, a1, 8)], [[a1, P1]], layout);
      fault(r, 5, P1 + 8, RAM_BASE, `${m} NA4 none over NAPOT RW: lw`);
      r = inMode(priv, [E.sh(a0, a1, 10)], [[a1, P1]], layout);
      fault(r, 7, P1 + 10, RAM_BASE, `${m} NA4 none: sh`);
      r = inMode(priv, [E.lw(a0, a1, 0)], [[a1, P2]], layout);
      completed(r, `${m} NA4 R: lw`);
      r = inMode(priv, [E.sb(a0, a1, 3)], [[a1, P2]], layout);
      fault(r, 7, P2 + 3, RAM_BASE, `${m} NA4 R: sb`);
      r = inMode(priv, [E.lw(a0, a1, 4)], [[a1, P2]], layout);
      completed(r, `${m} past NA4: entry 15`);
      r = inMode(priv, [E.lw(a0, a1, 0x100)], [[a1, P2]], layout);
      fault(r, 5, P2 + 0x100, RAM_BASE, `${m} TOR X: lw`);
      r = inMode(priv, [E.lw(a0, a1, 0x1fc)], [[a1, P2]], layout);
      fault(r, 5, P2 + 0x1fc, RAM_BASE, `${m} TOR X: its last word`);
      r = inMode(priv, [E.lw(a0, a1, 0x200)], [[a1, P2]], layout);
      completed(r, `${m} past TOR: entry 15`);
    });
    it(`${m}: fetches need X (cause 1, mtval and mepc the target); an access matching an entry in part fails`, () => {
      const r0 = rig();
      poke32(r0, P2 + 0x100, E.jalr(0, E.ra, 0));
      let r = inMode(priv, [E.jalr(E.ra, a1, 0)], [[a1, P2 + 0x100]], (r) => {
        r.ram.set(r0.ram.subarray(P2 + 0x100 - RAM_BASE, P2 + 0x104 - RAM_BASE), P2 + 0x100 - RAM_BASE);
        layout(r);
      });
      completed(r, `${m} TOR X: fetch`);
      r = inMode(priv, [E.jalr(E.ra, a1, 0)], [[a1, P1]], layout);
      fault(r, 1, P1, P1, `${m} RW page: fetch`);
      // A misaligned lw over the end of entry 1 (into TOR-free space that entry 15 allows): partial match.
      r = inMode(priv, [E.lw(a0, a1, 0)], [[a1, P1 + 0xffe]], layout);
      fault(r, 5, P1 + 0xffe, RAM_BASE, `${m} partial match`);
    });
    it(`${m}: AMOs need R and W (store/AMO fault), LR needs R`, () => {
      let r = inMode(priv, [E.amoW('add', a0, a2, a1)], [[a1, P2]], layout);
      fault(r, 7, P2, RAM_BASE, `${m} amoadd on R`);
      r = inMode(priv, [E.lrW(a0, a1)], [[a1, P2]], layout);
      completed(r, `${m} lr on R`);
      r = inMode(priv, [E.lrW(a0, a1)], [[a1, P1 + 8]], layout);
      fault(r, 5, P1 + 8, RAM_BASE, `${m} lr on none`);
      r = inMode(priv, [E.lrW(a0, a1), E.scW(a2, a0, a1)], [[a1, P2]], layout);
      fault(r, 7, P2, RAM_BASE + 4, `${m} sc on R, with a reservation`);
      r = inMode(priv, [E.amoW('swap', a0, a2, a1)], [[a1, P1]], layout);
      completed(r, `${m} amoswap on RW`);
    });
  }
  it('S and U: no matching entry fails, in RAM, on a device and where nothing is', () => {
    const only = (r: Rig): void => {
      r.hart.writeCsr(Csr.pmpcfg3, 0);
      entry(r, 0, OFF, RAM_BASE >>> 2);
      entry(r, 1, TOR | PR | PW | PX, DATA >>> 2); // [RAM_BASE, DATA)
    };
    let r = inMode(1, [E.lw(a0, a1, -4)], [[a1, DATA]], only);
    completed(r, 'S inside TOR');
    r = inMode(1, [E.lw(a0, a1, 0)], [[a1, DATA]], only);
    fault(r, 5, DATA, RAM_BASE, 'S past it');
    r = inMode(0, [E.lw(a0, a1, 0)], [[a1, DEV_BASE]], only);
    fault(r, 5, DEV_BASE, RAM_BASE, 'U on a device');
    // TOR from 0 for entry 0.
    r = inMode(0, [E.lw(a0, a1, 0)], [[a1, DEV_BASE]], (r) => {
      r.hart.writeCsr(Csr.pmpcfg3, 0);
      entry(r, 0, TOR | PR | PW | PX, DATA >>> 2);
    });
    completed(r, 'U on a device, TOR from 0');
    // Every entry OFF: S cannot even fetch (mret would have entered it; the fetch faults at its target).
    r = inMode(1, [E.addi(a0, 0, 1)], [], (r) => r.hart.writeCsr(Csr.pmpcfg3, 0));
    fault(r, 1, RAM_BASE, RAM_BASE, 'S with every entry OFF');
    // A TOR entry whose base is not below its top matches nothing.
    r = inMode(1, [E.addi(a0, 0, 1)], [], (r) => {
      r.hart.writeCsr(Csr.pmpcfg3, 0);
      entry(r, 0, OFF, (RAM_BASE + RAM_SIZE) >>> 2);
      entry(r, 1, TOR | PR | PW | PX, RAM_BASE >>> 2);
    });
    fault(r, 1, RAM_BASE, RAM_BASE, 'reversed TOR');
    // NAPOT with every address bit set covers the whole 34-bit bus.
    r = inMode(0, [E.lw(a0, a1, 0)], [[a1, DATA]], (r) => {
      r.hart.writeCsr(Csr.pmpcfg3, 0);
      entry(r, 0, NAPOT | PR | PX, 0xffffffff);
    });
    completed(r, 'NAPOT over the bus');
  });
});

describe('PMP: M-mode', () => {
  it('ignores unlocked entries, obeys locked ones; MPRV applies the effective mode', () => {
    const deny = (r: Rig): void => entry(r, 0, NAPOT, napot(P1, 0x1000));
    let r = inMode(3, [E.lw(a0, a1, 0), E.sw(a0, a1, 0)], [[a1, P1]], deny);
    completed(r, 'M, unlocked entry');
    r = inMode(3, [E.lw(a0, a1, 0)], [[a1, P1]], deny, Mstatus.MPRV | (1 << 11));
    fault(r, 5, P1, RAM_BASE, 'M, MPRV with MPP = S');
    r = inMode(3, [E.sw(a0, a1, 0)], [[a1, P1]], deny, Mstatus.MPRV | (0 << 11));
    fault(r, 7, P1, RAM_BASE, 'M, MPRV with MPP = U');
    r = inMode(3, [E.lw(a0, a1, 0)], [[a1, P1]], deny, Mstatus.MPRV | (3 << 11));
    completed(r, 'M, MPRV with MPP = M');
    const lockedR = (r: Rig): void => entry(r, 0, LOCK | NAPOT | PR, napot(P1, 0x1000));
    r = inMode(3, [E.lw(a0, a1, 0)], [[a1, P1]], lockedR);
    completed(r, 'M, locked R: lw');
    r = inMode(3, [E.sw(a0, a1, 0)], [[a1, P1]], lockedR);
    fault(r, 7, P1, RAM_BASE, 'M, locked R: sw');
    r = inMode(3, [E.jalr(E.ra, a1, 0)], [[a1, P1]], lockedR);
    fault(r, 1, P1, P1, 'M, locked R: fetch');
    // No entry matches: M succeeds (spec 3.7.1), even with entries in use elsewhere.
    r = inMode(3, [E.lw(a0, a1, 0)], [[a1, P2]], (r) => {
      r.hart.writeCsr(Csr.pmpcfg3, 0);
      lockedR(r);
    });
    completed(r, 'M, no match');
  });
  it('a locked entry keeps its cfg byte and address, and a locked TOR entry the address below it, until reset', () => {
    const r = rig();
    entry(r, 1, LOCK | TOR | PR, 0x2000);
    entry(r, 1, NAPOT | PR | PW | PX, 0x3000);
    assert.equal((r.hart.readCsr(Csr.pmpcfg0) >>> 8) & 0xff, LOCK | TOR | PR);
    assert.equal(r.hart.readCsr(Csr.pmpaddr0 + 1), 0x2000);
    r.hart.writeCsr(Csr.pmpaddr0, 0x1234);
    assert.equal(r.hart.readCsr(Csr.pmpaddr0), 0);
    r.hart.writeCsr(Csr.pmpaddr0 + 2, 0x1234);
    assert.equal(r.hart.readCsr(Csr.pmpaddr0 + 2), 0x1234);
    r.hart.reset(RAM_BASE);
    assert.equal(r.hart.readCsr(Csr.pmpcfg0), 0);
    entry(r, 1, NAPOT, 0x3000);
    assert.equal(r.hart.readCsr(Csr.pmpaddr0 + 1), 0x3000);
  });
});

describe('PMP: cached fast paths follow every change', () => {
  // A loop of 2000 loads from a1 in the current mode, then wfi: hot enough for the JIT tier's blocks.
  const loop = [E.addi(t0, 0, 2000), E.lw(a0, a1, 0), E.addi(t0, t0, -1), E.bne(t0, 0, -8)];
  it('a host write to PMP between runs takes effect at the next instruction, in S and in M', () => {
    for (const priv of [1, 3] as const) {
      const r = rig();
      const p = new E.Program(RAM_BASE).i(...loop, ...loop, E.wfi());
      place(r, p);
      poke32(r, P1, 0x5a5a);
      r.hart.regs[a1] = P1;
      r.hart.priv = priv;
      // First loop: allowed; it runs hot. Then the page is closed (locked, so M obeys too).
      assert.equal(r.hart.run(4 + 3 * 2000), 0);
      assert.equal(trapped(r), false);
      assert.equal(ureg(r, a0), 0x5a5a);
      if (r.hart.jitStats !== null) assert.ok(r.hart.jitStats.translations > 0, 'the JIT tier translated the loop');
      entry(r, 0, LOCK | NAPOT | PX, napot(P1, 0x1000));
      r.hart.run(10);
      fault(Object.assign(r, { end: 0, exit: 0 }), 5, P1, RAM_BASE + 20, `mode ${priv}: the second loop's first lw`);
    }
  });
  it('a trap from U to M and mret back switch between M\'s and U\'s rules', () => {
    // U loads from P1 (denied to U), the M handler loads it too (allowed) and skips the load.
    const r = rig();
    const p = new E.Program(RAM_BASE).i(E.lw(a0, a1, 0), E.addi(a2, 0, 7), E.wfi());
    place(r, p);
    const h = new E.Program(HALT - 0x100).i(
      E.lw(t1, a1, 0),
      E.csrr(t0, Csr.mepc), E.addi(t0, t0, 4), E.csrw(Csr.mepc, t0),
      E.mret(),
    );
    place(r, h);
    r.hart.writeCsr(Csr.mtvec, HALT - 0x100);
    poke32(r, P1, 0x77);
    entry(r, 0, NAPOT, napot(P1, 0x1000));
    r.hart.regs[a1] = P1;
    r.hart.priv = 0;
    r.hart.run(20);
    assert.equal(ureg(r, t1), 0x77, 'M read P1 in the handler');
    assert.equal(ureg(r, a0), 0, 'U did not');
    assert.equal(ureg(r, a2), 7, 'U went on after the handler');
    assert.equal(r.hart.readCsr(Csr.mcause), 2, 'U ended at its wfi (illegal in U)');
  });
  it('code in a page without X stops at the page boundary, though the page before it runs from the fetch window', () => {
    const r = rig();
    // A run of addi from RAM_BASE into the next page; the second page is not executable for S.
    const p = new E.Program(RAM_BASE);
    for (let i = 0; i < 0x1000 / 4 + 4; i++) p.i(E.addi(a0, a0, 1));
    place(r, p);
    entry(r, 0, NAPOT | PR, napot(RAM_BASE + 0x1000, 0x1000));
    r.hart.priv = 1;
    r.hart.run(0x1000);
    assert.equal(ureg(r, a0), 0x400);
    assert.equal(r.hart.readCsr(Csr.mcause), 1);
    assert.equal(r.hart.readCsr(Csr.mtval), RAM_BASE + 0x1000);
  });
});

describe('PMP: Sv32', () => {
  it('page-table reads are S-mode loads: a PTE in a denied page is an access fault of the access type, tval the VA', () => {
    const VA = 0x4000_0000;
    const deny = (pageOf: number) => (r: Rig): void => entry(r, 0, NAPOT, napot(pageOf - (pageOf % 4096), 0x1000));
    let r = svRun((p) => p.i(E.lw(a0, a1, 0)), { regs: [[a1, VA]], map: (t) => t.map(VA, P1, RW) });
    assert.equal(trapped(r), false);
    // The level-0 table of VA is the first one the fixture makes: find it through the root entry.
    r = svRun((p) => p.i(E.lw(a0, a1, 0)), {
      regs: [[a1, VA]],
      map: (t) => t.map(VA, P1, RW),
      setup: (r, t) => deny(t.leafSlot(VA))(r),
    });
    fault(r, 5, VA, RAM_BASE, 'lw, leaf PTE denied');
    r = svRun((p) => p.i(E.sw(a0, a1, 0)), {
      regs: [[a1, VA]],
      map: (t) => t.map(VA, P1, RW),
      setup: (r) => deny(ROOT)(r),
    });
    fault(r, 1, RAM_BASE, RAM_BASE, 'root table denied: the first fetch');
    // The data page itself denied: the access faults after a successful walk.
    r = svRun((p) => p.i(E.sw(a0, a1, 0)), { regs: [[a1, VA]], map: (t) => t.map(VA, P1, RW), setup: (r) => deny(P1)(r) });
    fault(r, 7, VA, RAM_BASE, 'sw, data page denied');
  });
  it('a translation cached before PMP closed its page is not used after', () => {
    const VA = 0x4000_0000;
    const r = svRun((p) => p.i(E.lw(a0, a1, 0), E.wfi(), E.lw(a2, a1, 0)), { regs: [[a1, VA]], map: (t) => t.map(VA, P1, V | R | A | D) });
    assert.equal(trapped(r), false);
    entry(r, 0, NAPOT | PX, napot(P1, 0x1000));
    r.hart.run(10);
    fault(Object.assign(r, { end: 0, exit: 0 }), 5, VA, RAM_BASE + 8, 'second lw');
  });
});

describe('PMP: state', () => {
  it('a snapshot carries the entries and their effect', () => {
    const r = rig();
    entry(r, 0, NAPOT, napot(P1, 0x1000));
    const st = r.hart.saveState();
    const r2 = rig();
    r2.hart.restoreState(st);
    assert.equal(r2.hart.readCsr(Csr.pmpcfg0), NAPOT);
    assert.equal(r2.hart.readCsr(Csr.pmpaddr0), napot(P1, 0x1000));
    place(r2, new E.Program(RAM_BASE).i(E.lw(a0, a1, 0), E.wfi()));
    r2.hart.regs[a1] = P1;
    r2.hart.priv = 1;
    r2.hart.run(5);
    assert.equal(r2.hart.readCsr(Csr.mcause), 5);
    // A reserved byte (R = 0, W = 1) is refused, as no write can leave it.
    const bad = { ...st, pmpcfg: new Uint8Array(16).fill(0x02) };
    assert.throws(() => r2.hart.restoreState(bad));
  });
});
