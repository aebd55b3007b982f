/**
 * CLINT (ACLINT MSWI + MTIMER layout) through a GuestAddressSpace: mtime
 * from a manual clock at 10 MHz, mtime writes, mtimecmp halves and 8-byte
 * accesses, MTIP raise and lower, MSIP, nextDeadline, access rules.
 */
import { describe, it, assert } from '../harness/index.js';
import { GuestAddressSpace } from '../../src/addrspace/index.js';
import { InterruptCause, type InterruptTarget } from '../../src/device/index.js';
import { Clint } from '../../src/devices/index.js';
import { ManualClock } from '../../src/ports/sim/index.js';
import type { GuestPhysAddr } from '../../src/addr/index.js';
import { VIRT_MAP } from '../../src/machine/index.js';

const pa = (n: number) => n as GuestPhysAddr;
const BASE = 0x0200_0000;
const MSIP = BASE;
const CMP = BASE + 0x4000;
const MTIME = BASE + 0xbff8;

class Hart implements InterruptTarget {
  readonly mip = new Map<number, boolean>();
  changes = 0;
  setInterruptPending(cause: number, level: boolean): void {
    this.mip.set(cause, level);
    this.changes++;
  }
  get mtip(): boolean {
    return this.mip.get(InterruptCause.MachineTimer) === true;
  }
  get msip(): boolean {
    return this.mip.get(InterruptCause.MachineSoftware) === true;
  }
}

function setup(now = 0) {
  const clock = new ManualClock({ now });
  const hart = new Hart();
  const clint = new Clint({ base: VIRT_MAP.clint.base, clock, target: hart });
  const as = new GuestAddressSpace();
  as.addDevice(clint);
  return { clock, hart, clint, as };
}

describe('CLINT mtime', () => {
  it('counts at 10 MHz from the clock (10 ticks per microsecond, floored)', () => {
    const { clock, as, clint } = setup();
    assert.equal(as.read(pa(MTIME), 4), 0);
    clock.advance(1.55);
    assert.equal(as.read(pa(MTIME), 4), 15);
    clock.advance(1_000_000);
    assert.equal(as.read64(pa(MTIME)), 10_000_015n);
    assert.equal(clint.mtime(), 10_000_015n);
    assert.equal(clint.mtimeLow(), 10_000_015);
    assert.equal(clint.mtimeHigh(), 0);
  });

  it('carries into the high half past 2^32 ticks', () => {
    const { clock, as } = setup();
    clock.advance(2 ** 32 / 10 + 0.1); // 2^32 + 1 ticks
    assert.equal(as.read(pa(MTIME), 4), 1);
    assert.equal(as.read(pa(MTIME + 4), 4), 1);
  });

  it('a write sets an offset: the counter goes on from the written value', () => {
    const { clock, as } = setup(123);
    assert.ok(as.write64(pa(MTIME), 0xffff_ffff_ffff_fff0n));
    assert.equal(as.read64(pa(MTIME)), 0xffff_ffff_ffff_fff0n);
    clock.advance(1);
    assert.equal(as.read64(pa(MTIME)), 0xffff_ffff_ffff_fffan);
    clock.advance(1); // wraps past 2^64
    assert.equal(as.read64(pa(MTIME)), 4n);
    // Writing one half keeps the other.
    assert.ok(as.write(pa(MTIME + 4), 4, 7));
    assert.equal(as.read64(pa(MTIME)), (7n << 32n) | 4n);
    assert.ok(as.write(pa(MTIME), 4, 0x100));
    assert.equal(as.read64(pa(MTIME)), (7n << 32n) | 0x100n);
  });
});

describe('CLINT mtimecmp and MTIP', () => {
  it('resets mtimecmp to 0, so MTIP is pending from reset (as QEMU 7.2)', () => {
    const { hart, as, clint } = setup();
    assert.equal(as.read64(pa(CMP)), 0n);
    assert.ok(hart.mtip);
    assert.ok(clint.timerPending);
  });

  it('takes the halves separately and 8-byte accesses whole', () => {
    const { as, hart } = setup();
    assert.ok(as.write(pa(CMP + 4), 4, 0x1234_5678));
    assert.ok(as.write(pa(CMP), 4, 0x9abc_def0));
    assert.equal(as.read(pa(CMP), 4), 0x9abc_def0);
    assert.equal(as.read(pa(CMP + 4), 4), 0x1234_5678);
    assert.equal(as.read64(pa(CMP)), 0x1234_5678_9abc_def0n);
    assert.ok(!hart.mtip);
    assert.ok(as.write64(pa(CMP), 0x1n));
    assert.equal(as.read64(pa(CMP)), 1n);
  });

  it('raises MTIP when mtime reaches mtimecmp and lowers it when mtimecmp moves ahead', () => {
    const { clock, as, hart, clint } = setup();
    assert.ok(as.write64(pa(CMP), 1000n)); // 100 us from now
    assert.ok(!hart.mtip);
    assert.equal(clint.nextDeadline(), 100);
    clock.advance(99.9);
    clint.update();
    assert.ok(!hart.mtip, 'one tick early');
    clock.advance(0.1);
    clint.update();
    assert.ok(hart.mtip, 'at mtimecmp');
    assert.equal(clint.nextDeadline(), clock.now(), 'already pending: the deadline is now');
    assert.ok(as.write(pa(CMP), 4, 5000));
    assert.ok(!hart.mtip, 'lowered by the write itself');
    // Any access re-evaluates too.
    clock.advance(400);
    as.read(pa(MTIME), 4);
    assert.ok(hart.mtip);
  });

  it('compares unsigned 64-bit, and all-ones never fires (deadline Infinity)', () => {
    const { clock, as, hart, clint } = setup();
    assert.ok(as.write(pa(CMP + 4), 4, 0xffff_ffff));
    assert.ok(as.write(pa(CMP), 4, 0xffff_ffff));
    assert.ok(!hart.mtip);
    assert.equal(clint.nextDeadline(), Infinity);
    assert.ok(as.write64(pa(CMP), 0x1_0000_0000n));
    assert.equal(clint.nextDeadline(), 2 ** 32 / 10);
    clock.advance(2 ** 32 / 10);
    clint.update();
    assert.ok(hart.mtip);
  });

  it('drives the hart only when the level changes', () => {
    const { as, hart, clint } = setup();
    assert.ok(as.write64(pa(CMP), 1000n));
    const before = hart.changes;
    clint.update();
    clint.update();
    assert.equal(hart.changes, before);
    assert.ok(as.write(pa(CMP), 4, 2000));
    assert.equal(hart.changes, before);
  });
});

describe('CLINT msip', () => {
  it('keeps bit 0 only and drives MSIP', () => {
    const { as, hart, clint } = setup();
    assert.ok(!hart.msip);
    assert.ok(as.write(pa(MSIP), 4, 0xffff_ffff));
    assert.equal(as.read(pa(MSIP), 4), 1);
    assert.ok(hart.msip);
    assert.ok(clint.softwarePending);
    assert.ok(as.write(pa(MSIP), 4, 2));
    assert.equal(as.read(pa(MSIP), 4), 0);
    assert.ok(!hart.msip);
  });
});

describe('CLINT access rules (as QEMU 7.2)', () => {
  it('refuses byte and halfword accesses', () => {
    const { as } = setup();
    assert.equal(as.read(pa(MSIP), 1), -1);
    assert.equal(as.lastFault!.kind, 'width-refused');
    assert.equal(as.write(pa(MTIME), 2, 1), false);
    assert.equal(as.lastFault!.kind, 'width-refused');
  });

  it('reads 0 where hart 0 has no register, and faults from 0xC000 on', () => {
    const { as } = setup();
    assert.equal(as.read(pa(BASE + 4), 4), 0);
    assert.equal(as.read(pa(CMP + 8), 4), 0);
    assert.ok(as.write(pa(CMP + 8), 4, 5));
    assert.equal(as.read(pa(CMP + 8), 4), 0);
    assert.equal(as.read(pa(BASE + 0xc000), 4), -1);
    assert.equal(as.lastFault!.kind, 'device-error');
    assert.equal(as.read(pa(BASE + 0xfffc), 4), -1);
  });

  it('refuses a timebase that is not positive', () => {
    assert.throws(() => new Clint({ base: VIRT_MAP.clint.base, clock: new ManualClock(), target: new Hart(), timebaseFrequency: 0 }), RangeError);
  });
});
