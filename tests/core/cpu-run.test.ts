/**
 * The run loop and the host API: exit reasons, budgets and counting,
 * the RAM fast path following address-space changes (between runs and
 * during one), RAM the fast path cannot use, self-modifying code, fatal
 * exits, construction and argument checks, reset.
 */
import { describe, it, assert } from '../harness/index.js';
import * as E from './rv-encode.js';
import { Csr, DATA, DEV_BASE, ExitReason, RAM_BASE, RAM_SIZE, RegDevice, place, poke32, rig, runProgram, ureg } from './cpu-fixture.js';
import { Hart, HartError } from '../../src/cpu/index.js';
import { GuestAddressSpace } from '../../src/addrspace/index.js';
import type { GuestPhysAddr } from '../../src/addr/index.js';

const { a0, a1, a2, a3, t0 } = E;

describe('exit reasons', () => {
  it('are distinct numbers in a frozen table', () => {
    assert.ok(Object.isFrozen(ExitReason));
    const values = [ExitReason.BudgetSpent, ExitReason.Wfi, ExitReason.Stop, ExitReason.Fatal];
    assert.equal(new Set(values).size, 4);
  });
});

describe('budget and counting', () => {
  function loopRig() {
    const r = rig();
    place(r, new E.Program(RAM_BASE).i(E.addi(a0, a0, 1)).c(E.cAddi(a1, 1)).at(4, (pc) => E.jal(0, RAM_BASE - pc)));
    return r;
  }
  it('run(n) executes exactly n instructions of an endless loop', () => {
    const r = loopRig();
    assert.equal(r.hart.run(1000), ExitReason.BudgetSpent);
    assert.equal(r.hart.lastRunSteps, 1000);
    assert.equal(r.hart.instret, 1000);
    assert.equal(r.hart.regs[a0] + r.hart.regs[a1], 667);
  });
  it('instret is exact across many slices, and minstret agrees', () => {
    const r = loopRig();
    let total = 0;
    for (let i = 1; i <= 200; i++) {
      r.hart.run(i);
      total += i;
    }
    assert.equal(r.hart.instret, total);
    assert.equal(r.hart.readCsr(Csr.minstret), total);
    assert.equal(r.hart.readCsr(Csr.mcycle), total);
  });
  it('run(0) executes nothing', () => {
    const r = loopRig();
    assert.equal(r.hart.run(0), ExitReason.BudgetSpent);
    assert.equal(r.hart.pc, RAM_BASE);
    assert.equal(r.hart.instret, 0);
  });
  it('refuses a budget that is not an integer in [0, 2^31)', () => {
    const r = loopRig();
    for (const b of [-1, 1.5, NaN, Infinity, 2 ** 31]) {
      assert.throws(() => r.hart.run(b), HartError, (e: HartError) => e.kind === 'bad-argument');
    }
    const w = rig();
    place(w, new E.Program(RAM_BASE).i(E.wfi()));
    assert.equal(w.hart.run(2 ** 31 - 1), ExitReason.Wfi);
  });
});

describe('the RAM fast path and the address space', () => {
  it('follows a map change between runs (an overlay put on RAM)', () => {
    const r = rig();
    place(r, new E.Program(RAM_BASE).i(E.lw(a0, a1, 0), E.wfi(), E.lw(a2, a1, 0), E.sw(a3, a1, 4), E.wfi()));
    poke32(r, DATA, 0x11111111);
    r.hart.regs[a1] = DATA;
    r.hart.regs[a3] = 0x77;
    assert.equal(r.hart.run(10), ExitReason.Wfi);
    assert.equal(ureg(r, a0), 0x11111111);
    const overlay = new RegDevice('overlay', DATA);
    overlay.bytes.set([0x22, 0x22, 0x22, 0x22]);
    r.bus.addDevice(overlay, { overlayOf: 'ram' });
    assert.equal(r.hart.run(10), ExitReason.Wfi);
    assert.equal(ureg(r, a2), 0x22222222);
    assert.equal(overlay.word(4), 0x77);
    assert.equal(r.ram[DATA - RAM_BASE + 4], 0, 'the store went to the overlay, not RAM');
  });
  it('follows a map change made by a device during a run', () => {
    const r = rig();
    const overlay = new RegDevice('overlay', DATA);
    overlay.bytes.set([0x33, 0, 0, 0]);
    r.dev.onAccess = (op) => {
      if (op === 'write') r.bus.addDevice(overlay, { overlayOf: 'ram' });
    };
    poke32(r, DATA, 0x44);
    const p = new E.Program(RAM_BASE).i(E.lw(a0, a1, 0), E.sw(0, a2, 0), E.lw(a3, a1, 0), E.wfi());
    place(r, p);
    r.hart.regs[a1] = DATA;
    r.hart.regs[a2] = DEV_BASE;
    assert.equal(r.hart.run(10), ExitReason.Wfi);
    assert.equal(ureg(r, a0), 0x44);
    assert.equal(ureg(r, a3), 0x33);
  });
  it('RAM whose backing store is not word-aligned is still used correctly (through the slow path)', () => {
    const bus = new GuestAddressSpace();
    const backing = new Uint8Array(RAM_SIZE + 1).subarray(1);
    bus.addRam({ name: 'ram', base: RAM_BASE as GuestPhysAddr, size: RAM_SIZE, bytes: backing });
    const hart = new Hart({ bus, readTime: () => 0 });
    const p = new E.Program(RAM_BASE).i(E.lui(a1, 0x80008), E.addi(a2, 0, 0x123), E.sw(a2, a1, 0), E.lw(a0, a1, 0), E.lb(a3, a1, 1)).c(E.cAddi(a0, 1)).i(E.wfi());
    backing.set(p.bytes(), 0);
    hart.reset(RAM_BASE);
    assert.equal(hart.run(100), ExitReason.Wfi);
    assert.equal(hart.regs[a0], 0x124);
    assert.equal(hart.regs[a3], 1);
  });
  it('a machine without RAM runs from ROM', () => {
    const bus = new GuestAddressSpace();
    const rom = new E.Program(0x1000).i(E.addi(a0, 0, 3), E.wfi()).bytes();
    bus.addRom({ name: 'rom', base: 0x1000 as GuestPhysAddr, bytes: rom });
    const hart = new Hart({ bus, readTime: () => 0 });
    hart.reset(0x1000);
    assert.equal(hart.run(10), ExitReason.Wfi);
    assert.equal(hart.regs[a0], 3);
  });
});

describe('self-modifying code', () => {
  it('a stored instruction is executed as stored (32-bit and compressed)', () => {
    const target = RAM_BASE + 0x100;
    const r = runProgram((p) => {
      p.li(t0, target);
      p.i(E.jalr(E.ra, t0, 0)); // the old code first, so its parcels sit in the expansion cache
      p.li(a1, E.addi(a0, 0, 42));
      p.i(E.sw(a1, t0, 0));
      p.li(a1, E.cLi(a2, 7) | (E.cLi(a3, 9) << 16));
      p.i(E.sw(a1, t0, 4));
      p.i(E.jalr(E.ra, t0, 0));
    }, {
      setup: (r) => {
        const old = new E.Program(target).i(E.addi(a0, 0, 1)).c(E.cLi(a2, 1), E.cLi(a3, 1)).c(E.cJr(E.ra));
        place(r, old);
      },
    });
    assert.equal(r.hart.regs[a0], 42);
    assert.equal(r.hart.regs[a2], 7);
    assert.equal(r.hart.regs[a3], 9);
  });
});

describe('fatal exits', () => {
  it('a host callback that throws ends run() with Fatal and the error kept', () => {
    const r = rig();
    const boom = new Error('clock unplugged');
    const hart = new Hart({ bus: r.bus, readTime: () => { throw boom; } });
    place(r, new E.Program(RAM_BASE).i(E.addi(a0, 0, 1), E.csrr(a1, Csr.time), E.wfi()));
    hart.reset(RAM_BASE);
    assert.equal(hart.run(10), ExitReason.Fatal);
    assert.equal(hart.fatalError, boom);
    assert.equal(hart.regs[a0], 1);
    assert.equal(hart.pc, RAM_BASE + 4, 'stopped at the instruction that failed');
  });
  it('a device that throws is a guest-visible access fault, not a fatal exit', () => {
    const r = runProgram((p) => p.i(E.lw(a0, a1, 0)), { regs: [[a1, DEV_BASE + 0x20]], setup: (r) => r.dev.failAt.add(0x20) });
    assert.equal(r.hart.readCsr(Csr.mcause), 5);
    assert.equal(r.hart.fatalError, null);
  });
});

describe('construction and host API', () => {
  const bus = new GuestAddressSpace();
  it('refuses missing or bad options', () => {
    const check = (o: unknown) => assert.throws(() => new Hart(o as never), HartError, (e: HartError) => e.kind === 'bad-option');
    check({ readTime: () => 0 });
    check({ bus });
    check({ bus, readTime: () => 0, hartId: -1 });
    check({ bus, readTime: () => 0, hartId: 1.5 });
    check({ bus, readTime: () => 0, hartId: 2 ** 32 });
  });
  it('pc takes even addresses in [0, 2^32) only; priv takes 0, 1, 3', () => {
    const h = new Hart({ bus, readTime: () => 0 });
    h.pc = 0xfffffffe;
    assert.equal(h.pc, 0xfffffffe);
    for (const v of [1, -2, 2 ** 32, 0.5, NaN]) assert.throws(() => (h.pc = v), HartError);
    for (const v of [2, 4, -1]) assert.throws(() => (h.priv = v as never), HartError);
    for (const v of [1, -2]) assert.throws(() => h.reset(v), HartError);
  });
  it('regs is an Int32Array of 32; a host write to x0 is not seen by the guest', () => {
    const r = rig();
    assert.ok(r.hart.regs instanceof Int32Array);
    assert.equal(r.hart.regs.length, 32);
    place(r, new E.Program(RAM_BASE).i(E.addi(a0, 0, 0), E.wfi()));
    r.hart.regs[0] = 5;
    r.hart.run(10);
    assert.equal(r.hart.regs[0], 0);
    const r2 = runProgram((p) => p.i(E.beq(0, a1, 8), E.addi(a0, 0, 1)), { setup: (r) => (r.hart.regs[0] = 5) });
    assert.equal(r2.hart.regs[a0], 0, 'x0 read as 0 by the branch');
  });
  it('lastTrap is a frozen record', () => {
    const r = runProgram((p) => p.i(E.ecall()));
    const t = r.hart.lastTrap!;
    assert.ok(Object.isFrozen(t));
    assert.deepEqual({ ...t }, { cause: 11, interrupt: false, code: 11, tval: 0, epc: RAM_BASE, priv: 3, fromPriv: 3 });
  });
  it('reset() returns to M-mode at pc with registers, CSRs and counters cleared', () => {
    const r = runProgram((p) => p.i(E.addi(a0, 0, 9), E.ecall()), {
      setup: (r) => {
        r.hart.writeCsr(Csr.mstatus, 0x8);
        r.hart.writeCsr(Csr.mie, 0x888);
        r.hart.priv = 1;
      },
    });
    r.hart.setInterruptPending(7, true);
    r.hart.reset(RAM_BASE + 0x100);
    assert.equal(r.hart.pc, RAM_BASE + 0x100);
    assert.equal(r.hart.priv, 3);
    assert.equal(r.hart.regs[a0], 0);
    assert.equal(r.hart.instret, 0);
    assert.equal(r.hart.lastTrap, null);
    assert.equal(r.hart.parked, false);
    for (const n of [Csr.mstatus, Csr.mie, Csr.mcause, Csr.mepc, Csr.mtvec, Csr.minstret, Csr.mcycle]) assert.equal(r.hart.readCsr(n), 0);
    assert.equal(r.hart.readCsr(Csr.mip), 0x80, 'device levels are kept');
  });
  it('the compressed-expansion cache does not leak between harts', () => {
    const a = rig();
    const b = rig();
    place(a, new E.Program(RAM_BASE).c(E.cLi(a0, 3)).i(E.wfi()));
    place(b, new E.Program(RAM_BASE).c(E.cLi(a0, 4)).i(E.wfi()));
    a.hart.run(5);
    b.hart.run(5);
    assert.equal(a.hart.regs[a0], 3);
    assert.equal(b.hart.regs[a0], 4);
  });
});
