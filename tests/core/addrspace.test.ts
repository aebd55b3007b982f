/**
 * The guest physical address space: registration rules, routing, access
 * rules and faults, with boundary cases in the rust-vmm style (base - 1,
 * base, last byte, end, zero size, 2^32 and 2^34 edges, every width).
 */
import { describe, it, assert } from '../harness/index.js';
import { guestPhysAddr, type GuestPhysAddr } from '../../src/addr/index.js';
import { DeviceError, WORD_ACCESS_RULES, accessRules } from '../../src/device/index.js';
import {
  AccessFault,
  AddressSpaceError,
  GuestAddressSpace,
  RegionOverlapError,
} from '../../src/addrspace/index.js';
import { MockDevice } from './mock-device.js';

const pa = (n: number) => n as GuestPhysAddr;
const RAM_BASE = 0x8000_0000;

function spaceWithRam(size = 0x10000): GuestAddressSpace {
  const as = new GuestAddressSpace();
  as.addRam({ name: 'ram', base: guestPhysAddr(RAM_BASE), size });
  return as;
}

function expectReadFault(as: GuestAddressSpace, addr: number, width: 1 | 2 | 4, kind: string): AccessFault {
  assert.equal(as.read(pa(addr), width), -1, `read at 0x${addr.toString(16)} faults`);
  const f = as.lastFault!;
  assert.ok(f instanceof AccessFault);
  assert.equal(f.kind, kind, `fault kind at 0x${addr.toString(16)}`);
  assert.equal(f.address, addr);
  assert.equal(f.width, width);
  assert.equal(f.op, 'read');
  return f;
}

function expectWriteFault(as: GuestAddressSpace, addr: number, width: 1 | 2 | 4, kind: string): AccessFault {
  assert.equal(as.write(pa(addr), width, 0x5a), false, `write at 0x${addr.toString(16)} faults`);
  const f = as.lastFault!;
  assert.equal(f.kind, kind);
  assert.equal(f.op, 'write');
  assert.equal(f.address, addr);
  return f;
}

describe('RAM', () => {
  it('reads back every width little-endian', () => {
    const as = spaceWithRam();
    assert.ok(as.write(pa(RAM_BASE), 4, 0x11223344));
    assert.equal(as.read(pa(RAM_BASE), 1), 0x44);
    assert.equal(as.read(pa(RAM_BASE + 1), 1), 0x33);
    assert.equal(as.read(pa(RAM_BASE), 2), 0x3344);
    assert.equal(as.read(pa(RAM_BASE + 2), 2), 0x1122);
    assert.equal(as.read(pa(RAM_BASE), 4), 0x11223344);
    assert.ok(as.write(pa(RAM_BASE + 8), 4, -1), 'an int32 value is taken modulo 2^32');
    assert.equal(as.read(pa(RAM_BASE + 8), 4), 0xffff_ffff);
    assert.ok(as.write64(pa(RAM_BASE + 16), 0xfedc_ba98_7654_3210n));
    assert.equal(as.read64(pa(RAM_BASE + 16)), 0xfedc_ba98_7654_3210n);
    assert.equal(as.read(pa(RAM_BASE + 16), 4), 0x7654_3210);
  });

  it('performs misaligned accesses inside RAM', () => {
    const as = spaceWithRam();
    assert.ok(as.write(pa(RAM_BASE + 3), 4, 0xa1b2c3d4));
    assert.equal(as.read(pa(RAM_BASE + 3), 4), 0xa1b2c3d4);
    assert.equal(as.read(pa(RAM_BASE + 4), 2), 0xb2c3);
  });

  it('faults at base - 1 and at end, serves base and the last byte', () => {
    const size = 0x10000;
    const as = spaceWithRam(size);
    expectReadFault(as, RAM_BASE - 1, 1, 'unassigned');
    assert.equal(as.read(pa(RAM_BASE), 1), 0);
    assert.ok(as.write(pa(RAM_BASE + size - 1), 1, 0x7f));
    assert.equal(as.read(pa(RAM_BASE + size - 1), 1), 0x7f);
    expectReadFault(as, RAM_BASE + size, 1, 'unassigned');
    expectWriteFault(as, RAM_BASE + size, 4, 'unassigned');
  });

  it('refuses an access that runs past the end of a region, naming it', () => {
    const size = 0x10000;
    const as = spaceWithRam(size);
    for (const w of [2, 4] as const) {
      const f = expectReadFault(as, RAM_BASE + size - 1, w, 'crosses-boundary');
      assert.equal(f.region, 'ram');
    }
    assert.equal(as.read(pa(RAM_BASE + size - 4), 4), 0, 'the last whole word is fine');
  });

  it('refuses an access that runs from one region into the next, even when both are RAM', () => {
    const as = spaceWithRam(0x1000);
    as.addRam({ name: 'ram2', base: pa(RAM_BASE + 0x1000), size: 0x1000 });
    expectReadFault(as, RAM_BASE + 0xffe, 4, 'crosses-boundary');
    assert.equal(as.read(pa(RAM_BASE + 0x1000), 4), 0);
  });

  it('uses caller-supplied backing bytes in place', () => {
    const bytes = new Uint8Array(0x1000);
    const as = new GuestAddressSpace();
    as.addRam({ name: 'ram', base: pa(RAM_BASE), size: bytes.length, bytes });
    bytes[4] = 0x99;
    assert.equal(as.read(pa(RAM_BASE + 4), 1), 0x99);
    as.write(pa(RAM_BASE + 5), 1, 0x42);
    assert.equal(bytes[5], 0x42);
  });

  it('refuses zero, fractional and mismatched sizes', () => {
    const as = new GuestAddressSpace();
    for (const size of [0, -4, 1.5]) {
      const e = assert.throws<AddressSpaceError>(() => as.addRam({ name: 'r', base: pa(0), size }), AddressSpaceError);
      assert.equal(e.reason, 'bad-size');
    }
    const e = assert.throws<AddressSpaceError>(
      () => as.addRam({ name: 'r', base: pa(0), size: 16, bytes: new Uint8Array(8) }),
      AddressSpaceError,
    );
    assert.equal(e.reason, 'bad-size');
  });

  it('refuses a region that would run past the 34-bit bus', () => {
    const as = new GuestAddressSpace();
    assert.throws(() => as.addRam({ name: 'r', base: pa(2 ** 34 - 0x1000), size: 0x2000 }), RangeError);
    as.addRam({ name: 'top', base: pa(2 ** 34 - 0x1000), size: 0x1000 });
    assert.ok(as.write(pa(2 ** 34 - 4), 4, 0xdeadbeef));
    assert.equal(as.read(pa(2 ** 34 - 4), 4), 0xdeadbeef, 'the last word of the bus');
    expectReadFault(as, 2 ** 34, 1, 'unassigned');
  });

  it('routes addresses above 2^32 without aliasing the low 4 GiB', () => {
    const as = new GuestAddressSpace();
    as.addRam({ name: 'low', base: pa(0x1000), size: 0x1000 });
    as.addRam({ name: 'high', base: pa(2 ** 32 + 0x1000), size: 0x1000 });
    as.write(pa(0x1000), 4, 1);
    as.write(pa(2 ** 32 + 0x1000), 4, 2);
    assert.equal(as.read(pa(0x1000), 4), 1);
    assert.equal(as.read(pa(2 ** 32 + 0x1000), 4), 2);
    expectReadFault(as, 2 ** 32, 4, 'unassigned');
  });
});

describe('ROM', () => {
  it('is read in place and refuses writes with a read-only fault', () => {
    const bytes = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    const as = new GuestAddressSpace();
    as.addRom({ name: 'flash', base: pa(0x2000_0000), bytes });
    assert.equal(as.read(pa(0x2000_0000), 4), 0x04030201);
    bytes[0] = 9;
    assert.equal(as.read(pa(0x2000_0000), 1), 9, 'not copied');
    const f = expectWriteFault(as, 0x2000_0000, 4, 'read-only');
    assert.equal(f.region, 'flash');
    assert.equal(bytes[0], 9, 'untouched');
    assert.equal(as.write64(pa(0x2000_0000), 1n), false);
    assert.equal(as.ramBytes(pa(0x2000_0000), 4), null, 'ROM is not RAM');
  });

  it('refuses an empty image', () => {
    const as = new GuestAddressSpace();
    const e = assert.throws<AddressSpaceError>(() => as.addRom({ name: 'f', base: pa(0), bytes: new Uint8Array(0) }), AddressSpaceError);
    assert.equal(e.reason, 'empty-region');
  });
});

describe('device registration', () => {
  it('refuses overlaps at the first and last byte and names both devices', () => {
    const as = new GuestAddressSpace();
    as.addDevice(new MockDevice({ name: 'uart', base: 0x1000_0000, size: 0x100 }));
    for (const [base, size] of [[0x1000_00ff, 1], [0x0fff_ff00, 0x101], [0x1000_0000, 0x100], [0x0fff_0000, 0x20000]]) {
      const e = assert.throws<RegionOverlapError>(
        () => as.addDevice(new MockDevice({ name: 'intruder', base, size })),
        RegionOverlapError,
      );
      assert.equal(e.region, 'intruder');
      assert.equal(e.other, 'uart');
      assert.match(e.message, /intruder.*uart/);
    }
    as.addDevice(new MockDevice({ name: 'before', base: 0x0fff_ff00, size: 0x100 }));
    as.addDevice(new MockDevice({ name: 'after', base: 0x1000_0100, size: 0x100 }));
    assert.deepEqual(as.regions().map((r) => r.name), ['before', 'uart', 'after']);
  });

  it('refuses overlaps with RAM as with devices', () => {
    const as = spaceWithRam(0x1000);
    const e = assert.throws<RegionOverlapError>(
      () => as.addDevice(new MockDevice({ name: 'd', base: RAM_BASE + 0xffc, size: 8 })),
      RegionOverlapError,
    );
    assert.equal(e.other, 'ram');
  });

  it('refuses an empty range, a duplicate name and removal of an unknown device', () => {
    const as = new GuestAddressSpace();
    const e1 = assert.throws<AddressSpaceError>(() => as.addDevice(new MockDevice({ name: 'z', base: 0x100, size: 0 })), AddressSpaceError);
    assert.equal(e1.reason, 'empty-region');
    as.addDevice(new MockDevice({ name: 'a', base: 0x100, size: 4 }));
    const e2 = assert.throws<AddressSpaceError>(() => as.addDevice(new MockDevice({ name: 'a', base: 0x200, size: 4 })), AddressSpaceError);
    assert.equal(e2.reason, 'duplicate-name');
    const e3 = assert.throws<AddressSpaceError>(() => as.removeDevice(new MockDevice({ name: 'a', base: 0x100, size: 4 })), AddressSpaceError);
    assert.equal(e3.reason, 'unknown-region', 'a different object of the same name is not the registered device');
  });

  it('removes devices: the range becomes unassigned and can be reused', () => {
    const as = new GuestAddressSpace();
    const d = new MockDevice({ name: 'd', base: 0x3000, size: 0x100 });
    as.addDevice(d);
    assert.equal(as.read(pa(0x3000), 4), 0);
    const gen = as.generation;
    as.removeDevice(d);
    assert.ok(as.generation !== gen, 'generation moves on removal');
    expectReadFault(as, 0x3000, 4, 'unassigned');
    as.addDevice(new MockDevice({ name: 'e', base: 0x3000, size: 0x100 }));
    assert.equal(as.regionAt(pa(0x3000))!.name, 'e');
  });
});

describe('device access', () => {
  it('passes the offset within the device, the width and the value to the device', () => {
    const as = new GuestAddressSpace();
    const d = new MockDevice({ name: 'd', base: 0x1000_0000, size: 0x100 });
    as.addDevice(d);
    assert.ok(as.write(pa(0x1000_0004), 4, 0xcafef00d));
    assert.ok(as.write(pa(0x1000_0009), 1, -1), 'int32 -1 as a byte');
    assert.equal(as.read(pa(0x1000_0004), 2), 0xf00d);
    assert.deepEqual(d.log, [
      { op: 'write', offset: 4, width: 4, value: 0xcafef00d },
      { op: 'write', offset: 9, width: 1, value: 0xff },
      { op: 'read', offset: 4, width: 2, value: 0xf00d },
    ]);
  });

  it('carries 8-byte values exactly, beyond 2^53', () => {
    const as = new GuestAddressSpace();
    const d = new MockDevice({ name: 'd', base: 0x2000, size: 0x100 });
    as.addDevice(d);
    const v = 0xffff_ffff_ffff_fff7n; // not representable as a number
    assert.ok(as.write64(pa(0x2008), v));
    assert.equal(d.log[0].value, v, 'the device sees the exact bigint');
    assert.equal(as.read64(pa(0x2008)), v);
  });

  it('splits accesses wider than the device implements, low address first', () => {
    const as = new GuestAddressSpace();
    const d = new MockDevice({ name: 'd', base: 0x2000, size: 0x100, rules: WORD_ACCESS_RULES });
    const d8 = new MockDevice({ name: 'd8', base: 0x3000, size: 0x100, rules: accessRules({ maxWidth: 8, implMaxWidth: 4 }) });
    as.addDevice(d);
    as.addDevice(d8);
    assert.ok(as.write64(pa(0x3000), 0x1122_3344_5566_7788n));
    assert.deepEqual(d8.log, [
      { op: 'write', offset: 0, width: 4, value: 0x5566_7788 },
      { op: 'write', offset: 4, width: 4, value: 0x1122_3344 },
    ]);
    assert.equal(as.read64(pa(0x3000)), 0x1122_3344_5566_7788n);
    const bytewise = new MockDevice({ name: 'b', base: 0x4000, size: 0x10, rules: accessRules({ maxWidth: 4, implMaxWidth: 1 }) });
    as.addDevice(bytewise);
    assert.ok(as.write(pa(0x4004), 4, 0xa1b2c3d4));
    assert.deepEqual(bytewise.log.map((a) => [a.offset, a.value]), [[4, 0xd4], [5, 0xc3], [6, 0xb2], [7, 0xa1]]);
    assert.equal(as.read(pa(0x4004), 4), 0xa1b2c3d4);
    assert.equal(d.log.length, 0);
  });

  it('faults widths outside the valid range and misaligned accesses, without calling the device', () => {
    const as = new GuestAddressSpace();
    const d = new MockDevice({ name: 'regs', base: 0x2000, size: 0x100, rules: accessRules({ minWidth: 4, maxWidth: 4 }) });
    as.addDevice(d);
    expectReadFault(as, 0x2000, 1, 'width-refused');
    expectWriteFault(as, 0x2000, 2, 'width-refused');
    assert.equal(as.read64(pa(0x2000)), -1n);
    assert.equal(as.lastFault!.kind, 'width-refused');
    expectReadFault(as, 0x2002, 4, 'misaligned');
    expectWriteFault(as, 0x2001, 4, 'misaligned');
    assert.equal(d.log.length, 0);
    const loose = new MockDevice({ name: 'loose', base: 0x3000, size: 0x100, rules: accessRules({ unaligned: true, maxWidth: 4 }) });
    as.addDevice(loose);
    assert.ok(as.write(pa(0x3001), 4, 7), 'a device may accept unaligned accesses');
  });

  it('turns anything a device throws into a device-error fault carrying the cause', () => {
    const as = new GuestAddressSpace();
    const d = new MockDevice({ name: 'flaky', base: 0x2000, size: 0x100 });
    as.addDevice(d);
    const err = new DeviceError({ kind: 'write-only', address: 0x2000, width: 4, device: 'flaky' });
    d.failWith = err;
    const f = expectReadFault(as, 0x2000, 4, 'device-error');
    assert.equal(f.region, 'flaky');
    assert.equal(f.cause, err);
    d.failWith = new TypeError('bug in the model');
    expectWriteFault(as, 0x2000, 4, 'device-error');
    d.failWith = 'a string';
    expectWriteFault(as, 0x2000, 1, 'device-error');
  });

  it('refuses read values that are not unsigned integers of the width', () => {
    const as = new GuestAddressSpace();
    const bad = new MockDevice({ name: 'bad', base: 0x2000, size: 0x100 });
    bad.handleRead = (_addr, width) => (width === 8 ? 2 ** 60 : 0.5);
    as.addDevice(bad);
    expectReadFault(as, 0x2000, 4, 'device-error');
    assert.equal(as.read64(pa(0x2000)), -1n, 'a number above 2^53 for an 8-byte read is refused');
    bad.handleRead = () => -1;
    assert.equal(as.read(pa(0x2000), 4), 0xffff_ffff, 'an int32 is read as unsigned');
    assert.equal(as.read(pa(0x2000), 1), 0xff, 'and masked to the width');
  });

  it('routes small devices that share one 4 KiB page', () => {
    const as = new GuestAddressSpace();
    const devs = [0, 0x10, 0x20, 0xff0].map((o, i) => new MockDevice({ name: `d${i}`, base: 0x1000_0000 + o, size: 0x10 }));
    for (const d of devs) as.addDevice(d);
    for (const d of devs) {
      const start = d.addressRange().start;
      assert.ok(as.write(pa(start + 0xc), 4, start));
      assert.equal(d.log.length, 1, `${d.name} got its own access`);
    }
    expectReadFault(as, 0x1000_0030, 4, 'unassigned');
    expectReadFault(as, 0x1000_000e, 4, 'crosses-boundary');
  });

  it('never throws, whatever the address', () => {
    const as = spaceWithRam();
    for (const addr of [-1, 2 ** 34, 2 ** 40, NaN, 0.5, Infinity]) {
      assert.equal(as.read(addr as GuestPhysAddr, 4), -1, `address ${addr}`);
      assert.equal(as.write(addr as GuestPhysAddr, 4, 0), false);
      assert.equal(as.lastFault!.kind, 'unassigned');
    }
  });
});

describe('overlays', () => {
  it('let a named device trap part of RAM, with priority over it', () => {
    const as = spaceWithRam(0x4000);
    const tohost = new MockDevice({ name: 'htif', base: RAM_BASE + 0x1000, size: 16 });
    as.addDevice(tohost, { overlayOf: 'ram' });
    assert.ok(as.write(pa(RAM_BASE + 0x1000), 4, 1));
    assert.equal(tohost.log.length, 1, 'the overlay saw the write');
    assert.equal(as.ramBytes(pa(RAM_BASE + 0x1000), 4), null, 'and RAM beneath did not get it');
    assert.ok(as.write(pa(RAM_BASE + 0x1010), 4, 2), 'RAM right after the overlay');
    assert.ok(as.write(pa(RAM_BASE + 0xffc), 4, 3), 'RAM right before it');
    assert.equal(tohost.log.length, 1);
    expectWriteFault(as, RAM_BASE + 0xffe, 4, 'crosses-boundary');
    expectWriteFault(as, RAM_BASE + 0x100e, 4, 'crosses-boundary');
    assert.equal(as.regionAt(pa(RAM_BASE + 0x1004))!.name, 'htif');
    assert.equal(as.regionAt(pa(RAM_BASE + 0x1010))!.name, 'ram');
  });

  it('must name a RAM or ROM region and lie inside it, and may not overlap another overlay', () => {
    const as = spaceWithRam(0x4000);
    as.addDevice(new MockDevice({ name: 'uart', base: 0x1000_0000, size: 0x100 }));
    const cases: [MockDevice, string, string][] = [
      [new MockDevice({ name: 'o1', base: RAM_BASE, size: 4 }), 'nowhere', 'unknown-region'],
      [new MockDevice({ name: 'o2', base: 0x1000_0000, size: 4 }), 'uart', 'overlay-target'],
      [new MockDevice({ name: 'o3', base: RAM_BASE + 0x3ffc, size: 8 }), 'ram', 'overlay-outside'],
    ];
    for (const [dev, over, reason] of cases) {
      const e = assert.throws<AddressSpaceError>(() => as.addDevice(dev, { overlayOf: over }), AddressSpaceError);
      assert.equal(e.reason, reason, dev.name);
    }
    as.addDevice(new MockDevice({ name: 'a', base: RAM_BASE + 0x100, size: 8 }), { overlayOf: 'ram' });
    const e = assert.throws<RegionOverlapError>(
      () => as.addDevice(new MockDevice({ name: 'b', base: RAM_BASE + 0x104, size: 8 }), { overlayOf: 'ram' }),
      RegionOverlapError,
    );
    assert.equal(e.other, 'a');
  });

  it('shrink the RAM window to the largest stretch free of overlays, and go with their region', () => {
    const as = spaceWithRam(0x10000);
    assert.equal(as.ramWindow()!.bytes.length, 0x10000);
    as.addDevice(new MockDevice({ name: 'o', base: RAM_BASE + 0x3000, size: 8 }), { overlayOf: 'ram' });
    const w = as.ramWindow()!;
    assert.equal(w.base, RAM_BASE + 0x3008);
    assert.equal(w.bytes.length, 0x10000 - 0x3008);
    as.remove('ram');
    assert.equal(as.ramWindow(), null);
    assert.equal(as.regions().length, 0, 'the overlay went with its RAM');
  });
});

describe('lookup table size', () => {
  it('costs a few KiB for the QEMU virt map, and stays small with a thousand devices', () => {
    const as = spaceWithRam(128 * 1024 * 1024);
    const map: [string, number, number][] = [
      ['test', 0x10_0000, 0x1000], ['clint', 0x200_0000, 0x1_0000], ['plic', 0xc00_0000, 0x60_0000],
      ['uart0', 0x1000_0000, 0x100], ['gpio', 0x1006_0000, 0x1000],
    ];
    for (let i = 0; i < 8; i++) map.push([`virtio${i}`, 0x1000_1000 + i * 0x1000, 0x1000]);
    for (const [name, base, size] of map) as.addDevice(new MockDevice({ name, base, size }));
    assert.ok(as.tableBytes <= 6 * 1024, `virt map table is ${as.tableBytes} bytes`);
    for (const [name, base, size] of map) {
      assert.equal(as.regionAt(pa(base))!.name, name);
      assert.equal(as.regionAt(pa(base + size - 1))!.name, name);
    }
    const many = new GuestAddressSpace();
    for (let i = 0; i < 1024; i++) many.addDevice(new MockDevice({ name: `d${i}`, base: 0x4000_0000 + i * 0x1000, size: 0x100 }));
    assert.ok(many.tableBytes <= 32 * 1024, `1024-device table is ${many.tableBytes} bytes`);
    for (let i = 0; i < 1024; i += 97) assert.equal(many.regionAt(pa(0x4000_0000 + i * 0x1000 + 0xff))!.name, `d${i}`);
  });
});
