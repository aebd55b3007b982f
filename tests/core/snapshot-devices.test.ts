/**
 * Round trips of device and hart state (src/state/state.ts): each device
 * is driven into a state far from reset by a pseudo-random sequence of
 * guest writes (and line changes, input bytes), saved, and restored into
 * a second device scrambled by another sequence. The second must then
 * read back exactly what the first reads, register by register (reads
 * with side effects done in the same order on both), drive its interrupt
 * outputs to the same levels, and save the same state again. The hart
 * likewise: every implemented CSR, x0-x31, pc, mode, instret, the last
 * trap, parked, and what it executes next.
 */
import { describe, it, assert } from '../harness/index.js';
import { guestPhysAddr } from '../../src/addr/index.js';
import { GuestAddressSpace } from '../../src/addrspace/index.js';
import { Csr, Hart, PrivilegeMode } from '../../src/cpu/index.js';
import { DeviceStateError, type DeviceState, type Snapshottable } from '../../src/state/index.js';
import { type InterruptTarget } from '../../src/device/index.js';
import { Clint, Htif, Ns16550a, Plic, SifiveGpio, TestFinisher, VirtioMmioSlot } from '../../src/devices/index.js';
import type { ExitReport } from '../../src/devices/index.js';
import { ManualClock, MemorySerial, SimulatedPin } from '../../src/ports/sim/index.js';
import { InstructionClock } from '../../src/monitor/index.js';
import { VIRT_MAP } from '../../src/machine/index.js';

/** A small deterministic PRNG (xorshift32), so every run drives the same sequence. */
function rng(seed: number): () => number {
  let x = seed | 0 || 1;
  return (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

/** An interrupt target that remembers the level of every cause. */
function levels(): InterruptTarget & { readonly mip: Map<number, boolean> } {
  const mip = new Map<number, boolean>();
  return { mip, setInterruptPending: (cause: number, level: boolean): void => void mip.set(cause, level) };
}


/** Saves `a`, restores into `b`, and checks `b` saves the same record. */
function transfer(a: Snapshottable, b: Snapshottable): DeviceState {
  const s = a.saveState();
  b.restoreState(s);
  assert.deepEqual(b.saveState(), s, 'the restored device saves the same state');
  return s;
}

describe('device state round trips', () => {
  it('CLINT: msip, mtimecmp, mtime (going on from the saved value), MSIP/MTIP levels', () => {
    const make = (): { d: Clint; t: ReturnType<typeof levels>; c: ManualClock } => {
      const t = levels();
      const c = new ManualClock({ now: 1000 });
      return { d: new Clint({ base: VIRT_MAP.clint.base, clock: c, target: t }), t, c };
    };
    const a = make();
    const b = make();
    a.d.handleWrite(0, 4, 1);
    a.d.handleWrite(0x4000, 8, 0x1_0000_5000n);
    a.d.handleWrite(0xbff8, 8, 0x1_0000_4000n);
    a.c.advance(77);
    b.d.handleWrite(0x4000, 4, 5);
    b.c.advance(123_456); // another clock reading: mtime must still go on from a's value
    transfer(a.d, b.d);
    assert.deepEqual([...b.t.mip], [...a.t.mip], 'MSIP and MTIP levels');
    const read = (d: Clint): unknown[] => [0x0, 0x4000, 0x4004, 0xbff8, 0xbffc].map((o) => d.handleRead(o, 4));
    assert.deepEqual(read(b.d), read(a.d));
    a.c.advance(1000);
    b.c.advance(1000);
    a.d.update();
    b.d.update();
    assert.deepEqual(read(b.d), read(a.d), 'after time passes on both');
    assert.equal(b.d.timerPending, a.d.timerPending);
  });

  it('PLIC: priorities, enables, thresholds, pending, claimed sources, MEIP/SEIP', () => {
    const make = (): { d: Plic; t: ReturnType<typeof levels> } => {
      const t = levels();
      return { d: new Plic({ base: VIRT_MAP.plic.base, target: t, edgeTriggered: [7] }), t };
    };
    const drive = (d: Plic, seed: number): void => {
      const r = rng(seed);
      for (let src = 1; src < 96; src++) d.handleWrite(4 * src, 4, r() & 7);
      for (let ctx = 0; ctx < 2; ctx++) {
        for (let w = 0; w < 3; w++) d.handleWrite(0x2000 + 0x80 * ctx + 4 * w, 4, r());
        d.handleWrite(0x200000 + 0x1000 * ctx, 4, r() & 3);
      }
      for (let i = 0; i < 60; i++) d.line(1 + (r() % 95)).set((r() & 1) === 1);
      d.handleRead(0x200004, 4); // claim one on context 0: in service
    };
    const a = make();
    const b = make();
    drive(a.d, 11);
    drive(b.d, 99);
    transfer(a.d, b.d);
    assert.deepEqual([...b.t.mip].sort(), [...a.t.mip].sort(), 'MEIP and SEIP');
    const read = (d: Plic): number[] => {
      const out: number[] = [];
      for (let src = 0; src < 96; src++) out.push(d.handleRead(4 * src, 4) as number);
      for (let w = 0; w < 3; w++) out.push(d.handleRead(0x1000 + 4 * w, 4) as number);
      for (let ctx = 0; ctx < 2; ctx++) {
        for (let w = 0; w < 3; w++) out.push(d.handleRead(0x2000 + 0x80 * ctx + 4 * w, 4) as number);
        out.push(d.handleRead(0x200000 + 0x1000 * ctx, 4) as number);
        for (let k = 0; k < 4; k++) out.push(d.handleRead(0x200004 + 0x1000 * ctx, 4) as number); // claims
      }
      return out;
    };
    assert.deepEqual(read(b.d), read(a.d));
  });

  it('UART: registers, both FIFOs, interrupt level and counters; reads with side effects agree', () => {
    const make = (): { d: Ns16550a; s: MemorySerial; irq: boolean[] } => {
      const s = new MemorySerial();
      const irq: boolean[] = [];
      return { d: new Ns16550a({ base: VIRT_MAP.uart0.base, serial: s.open, irq: { set: (l: boolean): void => void irq.push(l) } }), s, irq };
    };
    const drive = (x: ReturnType<typeof make>, seed: number, loop: boolean): void => {
      const r = rng(seed);
      const w = (o: number, v: number): void => x.d.handleWrite(o, 1, v & 0xff);
      w(3, 0x80);
      w(0, r());
      w(1, r());
      w(3, r() & 0x7f);
      w(2, 0xc1 | (r() & 0x40)); // FIFOs on, a trigger level
      w(7, r());
      w(4, (r() & 0x0f) | (loop ? 0x10 : 0));
      w(1, r() & 0x0f);
      x.s.inject('hello');
      for (let i = 0; i < 5; i++) w(0, 0x41 + i);
    };
    const a = make();
    const b = make();
    drive(a, 5, true);
    drive(b, 77, false);
    transfer(a.d, b.d);
    assert.equal(b.d.interruptPending, a.d.interruptPending);
    assert.equal(b.irq[b.irq.length - 1] ?? false, a.d.interruptPending, 'the line is driven to the saved level');
    assert.equal(b.d.rxFifoLength, a.d.rxFifoLength);
    assert.ok(a.d.rxFifoLength > 0, 'the saved receive FIFO holds bytes');
    assert.deepEqual(b.d.stats, a.d.stats);
    const read = (d: Ns16550a): number[] => {
      const out: number[] = [];
      for (let pass = 0; pass < 3; pass++) for (let o = 0; o < 8; o++) out.push(d.handleRead(o, 1) as number);
      d.handleWrite(3, 1, 0); // DLAB off: RBR drains the FIFO
      for (let i = 0; i < 20; i++) out.push(d.handleRead(0, 1) as number, d.handleRead(5, 1) as number);
      return out;
    };
    assert.deepEqual(read(b.d), read(a.d));
  });

  it('GPIO: registers, latched pending bits, interrupt outputs; pins reopened in the saved modes', () => {
    const make = (): { d: SifiveGpio; pins: SimulatedPin[]; irq: boolean[] } => {
      const pins = [new SimulatedPin(), new SimulatedPin({ drive: 1 }), new SimulatedPin({ drive: 0 }), new SimulatedPin()];
      const irq: boolean[] = new Array<boolean>(32).fill(false);
      const d = new SifiveGpio({ base: VIRT_MAP.gpio.base, pins: { 0: pins[0].open, 1: pins[1].open, 2: pins[2].open, 5: pins[3].open }, irq: (n: number) => ({ set: (l: boolean): void => void (irq[n] = l) }) });
      return { d, pins, irq };
    };
    const drive = (d: SifiveGpio, seed: number): void => {
      const r = rng(seed);
      for (let o = 0x04; o <= 0x40; o += 4) d.handleWrite(o, 4, r());
    };
    const a = make();
    const b = make();
    drive(a.d, 3);
    drive(b.d, 1234);
    transfer(a.d, b.d);
    assert.deepEqual(b.irq, a.irq, 'interrupt outputs');
    assert.deepEqual(b.pins.map((p) => [p.mode, p.level]), a.pins.map((p) => [p.mode, p.level]), 'pin modes and levels');
    const read = (d: SifiveGpio): number[] => {
      const out: number[] = [];
      for (let o = 0; o <= 0x40; o += 4) out.push(d.handleRead(o, 4) as number);
      return out;
    };
    assert.deepEqual(read(b.d), read(a.d));
    assert.throws(() => b.d.restoreState({ ...a.d.saveState(), port: 0x8000_0000 }), DeviceStateError);
  });

  it('HTIF: a half-written command completes after the restore; finisher and virtio slots', () => {
    const exits: ExitReport[][] = [[], []];
    const make = (i: number): Htif => new Htif({ tohost: 0x8000_1000, onExit: (r: ExitReport): void => void exits[i].push(r) });
    const a = make(0);
    const b = make(1);
    a.handleWrite(0, 4, (5 << 1) | 1);
    b.handleWrite(0, 4, (5 << 1) | 1); // the words are RAM: both hold the same
    transfer(a, b);
    a.handleWrite(4, 4, 0);
    b.handleWrite(4, 4, 0);
    assert.deepEqual(exits[1], exits[0]);
    assert.deepEqual(exits[0], [{ kind: 'fail', status: 5 }]);

    const f = [new TestFinisher({ base: VIRT_MAP.test.base, onExit: () => {} }), new TestFinisher({ base: VIRT_MAP.test.base, onExit: () => {} })];
    f[0].handleWrite(4, 4, 1);
    transfer(f[0], f[1]);
    assert.equal(f[1].ignoredWrites, 1);
    transfer(new VirtioMmioSlot({ base: VIRT_MAP.virtio.base }), new VirtioMmioSlot({ base: VIRT_MAP.virtio.base }));
  });

  it('refuses a record of the wrong shape with a DeviceStateError naming the field, before changing anything', () => {
    const t = levels();
    const clint = new Clint({ base: VIRT_MAP.clint.base, clock: new ManualClock(), target: t });
    const before = clint.saveState();
    for (const bad of [{ msip: 2 }, { cmpLo: -1 }, { mtimeHi: 1.5 }, { mtip: 1 }] as DeviceState[]) {
      const e = assert.throws<DeviceStateError>(() => clint.restoreState({ ...before, ...bad }), DeviceStateError);
      assert.equal(e.field, Object.keys(bad)[0]);
    }
    assert.deepEqual(clint.saveState(), before);
    const plic = new Plic({ base: VIRT_MAP.plic.base, target: t });
    assert.throws(() => plic.restoreState({ ...plic.saveState(), pending: new Uint32Array(2) }), DeviceStateError);
    assert.throws(() => plic.restoreState({ ...plic.saveState(), priority: new Uint8Array(96).fill(9) }), DeviceStateError);
    const clock = new InstructionClock();
    assert.throws(() => clock.restoreState({ warped: -1 }), DeviceStateError);
  });
});

describe('hart state round trip', () => {
  function rig(): { hart: Hart; mem: Uint8Array } {
    const bus = new GuestAddressSpace();
    bus.addRam({ name: 'ram', base: guestPhysAddr(0x8000_0000), size: 0x1_0000 });
    const hart = new Hart({ bus, readTime: () => 42 });
    hart.reset(0x8000_0000);
    return { hart, mem: bus.ramBytes(guestPhysAddr(0x8000_0000), 0x1_0000)! };
  }
  const csrs = Object.values(Csr) as number[];
  const readAll = (h: Hart): (number | string)[] => csrs.map((n) => {
    try {
      return h.readCsr(n);
    } catch {
      return 'none';
    }
  });
  const scramble = (h: Hart, seed: number): void => {
    const r = rng(seed);
    for (let i = 1; i < 32; i++) h.regs[i] = r() | 0;
    for (const n of csrs) {
      if (n >>> 10 === 3 || n === Csr.satp) continue;
      try {
        h.writeCsr(n, r());
      } catch {
        // unimplemented: skipped
      }
    }
    h.pc = 0x8000_0000 + ((r() & 0xff) << 2);
  };

  it('every CSR, x0-x31, pc, mode, instret, the last trap, and the next instructions agree', () => {
    const a = rig();
    const b = rig();
    // Run a little in a: an illegal instruction traps (last trap, mepc, mcause), ADDIs retire (instret).
    const prog = [0x00100093, 0x00108093, 0x00000000, 0x00108093];
    const put = (mem: Uint8Array, words: number[]): void => words.forEach((w, i) => new DataView(mem.buffer, mem.byteOffset).setUint32(i * 4, w, true));
    put(a.mem, prog);
    a.hart.writeCsr(Csr.mtvec, 0x8000_000c);
    a.hart.run(3);
    scramble(a.hart, 17);
    a.hart.writeCsr(Csr.mtvec, 0x8000_0000);
    a.hart.writeCsr(Csr.mie, 0x888);
    a.hart.setInterruptPending(7, true);
    a.hart.priv = PrivilegeMode.Supervisor;
    a.hart.pc = 0x8000_0000;
    scramble(b.hart, 4242);
    b.hart.run(5);
    transfer(a.hart, b.hart);
    assert.deepEqual(Array.from(b.hart.regs), Array.from(a.hart.regs));
    assert.equal(b.hart.pc, a.hart.pc);
    assert.equal(b.hart.priv, a.hart.priv);
    assert.equal(b.hart.instret, a.hart.instret);
    assert.deepEqual(b.hart.lastTrap, a.hart.lastTrap);
    assert.equal(b.hart.trapCount, a.hart.trapCount);
    assert.equal(b.hart.wakeupPending, a.hart.wakeupPending);
    assert.deepEqual(readAll(b.hart), readAll(a.hart));
    // What they do next agrees too (the same RAM under both).
    put(b.mem, prog);
    a.hart.run(4);
    b.hart.run(4);
    assert.deepEqual(readAll(b.hart), readAll(a.hart), 'after running on');
    assert.deepEqual(Array.from(b.hart.regs), Array.from(a.hart.regs));
  });

  it('refuses a state no guest could reach, naming the field, and leaves the hart as it was', () => {
    const a = rig();
    const s = a.hart.saveState();
    const b = rig();
    scramble(b.hart, 9);
    const before = b.hart.saveState();
    for (const [field, value] of [['pc', 3], ['priv', 2], ['mie', 1 << 13], ['mtvec', 2], ['mipHw', 1], ['pmpcfg', new Uint8Array(16).fill(0x60)], ['regs', new Uint32Array(8)], ['retired', -1]] as const) {
      const e = assert.throws<DeviceStateError>(() => b.hart.restoreState({ ...s, [field]: value }), DeviceStateError);
      assert.equal(e.field, field);
    }
    assert.deepEqual(b.hart.saveState(), before);
  });
});
