/** GuestPhysAddr, GuestVirtAddr, AddrRange and alignment: boundaries in the rust-vmm style. */
import { describe, it, assert } from '../harness/index.js';
import {
  AddrRange,
  AddrRangeError,
  AddressError,
  PHYS_ADDR_LIMIT,
  VIRT_ADDR_LIMIT,
  alignDown,
  alignUp,
  guestPhysAddr,
  guestVirtAddr,
  isAligned,
  isGuestPhysAddr,
  type GuestPhysAddr,
  type GuestVirtAddr,
} from '../../src/addr/index.js';

const pa = guestPhysAddr;

describe('guestPhysAddr', () => {
  it('accepts 0, 2^32 - 1, 2^32 and 2^34 - 1 (the bus is 34 bits wide)', () => {
    for (const v of [0, 0xffff_ffff, 2 ** 32, 2 ** 34 - 1]) assert.equal(pa(v), v);
  });
  it('refuses 2^34, negatives and non-integers with a RangeError naming the reason', () => {
    const cases: [number, string][] = [
      [2 ** 34, 'beyond-bus'],
      [2 ** 40, 'beyond-bus'],
      [-1, 'negative'],
      [0.5, 'not-an-integer'],
      [NaN, 'not-an-integer'],
      [Infinity, 'not-an-integer'],
    ];
    for (const [v, reason] of cases) {
      const e = assert.throws<AddressError>(() => pa(v), AddressError);
      assert.equal(e.reason, reason, `reason for ${v}`);
      assert.equal(e.kind, 'physical');
      assert.ok(e instanceof RangeError, 'is a RangeError');
    }
  });
  it('isGuestPhysAddr agrees with the constructor', () => {
    for (const v of [0, 1, 2 ** 34 - 1, 2 ** 34, -1, 1.5, NaN]) {
      let accepted = true;
      try {
        pa(v);
      } catch {
        accepted = false;
      }
      assert.equal(isGuestPhysAddr(v), accepted, `value ${v}`);
    }
  });
});

describe('guestVirtAddr', () => {
  it('accepts [0, 2^32) and refuses 2^32', () => {
    assert.equal(guestVirtAddr(0xffff_ffff), 0xffff_ffff);
    const e = assert.throws<AddressError>(() => guestVirtAddr(VIRT_ADDR_LIMIT), AddressError);
    assert.equal(e.kind, 'virtual');
  });
  it('is a different type from GuestPhysAddr to the type checker', () => {
    const v: GuestVirtAddr = guestVirtAddr(0x1000);
    // @ts-expect-error a virtual address is not a physical one
    const p: GuestPhysAddr = v;
    // @ts-expect-error a plain number is not a physical address either
    const q: GuestPhysAddr = 0x1000;
    assert.equal(p, q);
  });
});

describe('AddrRange', () => {
  const r = AddrRange.fromStartSize(pa(0x1000), 0x1000);

  it('is half-open: contains start and end - 1, not start - 1 or end', () => {
    assert.equal(r.contains(0x0fff), false, 'base - 1');
    assert.equal(r.contains(0x1000), true, 'base');
    assert.equal(r.contains(0x1fff), true, 'last byte');
    assert.equal(r.contains(0x2000), false, 'end');
    assert.equal(r.size, 0x1000);
    assert.equal(r.isEmpty(), false);
  });

  it('containsRange, containedIn and overlaps at every edge', () => {
    const at = (s: number, e: number) => AddrRange.new(pa(s), e);
    assert.ok(r.containsRange(at(0x1000, 0x2000)), 'itself');
    assert.ok(r.containsRange(at(0x1fff, 0x2000)), 'last byte');
    assert.equal(r.containsRange(at(0x1fff, 0x2001)), false, 'one past the end');
    assert.equal(r.containsRange(at(0x0fff, 0x1001)), false, 'one before the start');
    assert.ok(at(0x1800, 0x1900).containedIn(r));
    assert.equal(at(0x800, 0x1900).containedIn(r), false);
    assert.ok(r.overlaps(at(0x1fff, 0x3000)), 'shares the last byte');
    assert.equal(r.overlaps(at(0x2000, 0x3000)), false, 'adjacent after');
    assert.equal(r.overlaps(at(0x0, 0x1000)), false, 'adjacent before');
    assert.ok(r.overlaps(at(0x0, 0x1001)), 'shares the first byte');
  });

  it('empty ranges contain nothing and overlap nothing, but lie inside a range that spans their start', () => {
    const empty = AddrRange.new(pa(0x1800), 0x1800);
    assert.ok(empty.isEmpty());
    assert.equal(empty.size, 0);
    assert.equal(empty.contains(0x1800), false);
    assert.equal(empty.overlaps(r), false);
    assert.equal(r.overlaps(empty), false);
    assert.ok(r.containsRange(empty));
    assert.ok(r.containsRange(AddrRange.new(pa(0x2000), 0x2000)), 'empty at the end');
    assert.equal(r.containsRange(AddrRange.new(pa(0x2001), 0x2001)), false, 'empty past the end');
  });

  it('refuses start > end, negative sizes and ranges past the bus (2^32 is fine, 2^34 + 1 is not)', () => {
    const e1 = assert.throws<AddrRangeError>(() => AddrRange.new(pa(0x2000), 0x1000), AddrRangeError);
    assert.equal(e1.reason, 'start-after-end');
    const e2 = assert.throws<AddrRangeError>(() => AddrRange.fromStartSize(pa(0x1000), -1), AddrRangeError);
    assert.equal(e2.reason, 'bad-size');
    assert.equal(AddrRange.fromStartSize(pa(0xffff_f000), 0x1000).end, 2 ** 32, 'crossing 2^32 is legal on a 34-bit bus');
    assert.equal(AddrRange.fromStartSize(pa(PHYS_ADDR_LIMIT - 1), 1).end, PHYS_ADDR_LIMIT, 'ends at the bus limit');
    const e3 = assert.throws<AddrRangeError>(() => AddrRange.fromStartSize(pa(PHYS_ADDR_LIMIT - 1), 2), AddrRangeError);
    assert.equal(e3.reason, 'beyond-bus');
    const e4 = assert.throws<AddrRangeError>(() => AddrRange.fromStartSize(guestVirtAddr(0xffff_f000), 0x1001, VIRT_ADDR_LIMIT), AddrRangeError);
    assert.equal(e4.reason, 'beyond-bus', 'a virtual range past 2^32');
  });

  it('prints as a half-open interval', () => {
    assert.equal(String(r), '[0x1000, 0x2000)');
  });
});

describe('alignment', () => {
  it('works above 2^32, where bitwise operators would truncate', () => {
    const big = 2 ** 33 + 0x1234;
    assert.equal(alignDown(big, 0x1000), 2 ** 33 + 0x1000);
    assert.equal(alignUp(big, 0x1000), 2 ** 33 + 0x2000);
    assert.equal(isAligned(2 ** 33, 2 ** 30), true);
    assert.equal(alignUp(0x2000, 0x1000), 0x2000, 'aligned values stay');
  });
  it('refuses an alignment that is not a power of two', () => {
    assert.throws(() => alignUp(10, 3), RangeError);
    assert.throws(() => alignDown(10, 0), RangeError);
  });
});
