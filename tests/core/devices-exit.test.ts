/**
 * How guests stop: the sifive,test0 finisher (QEMU 7.2's decoding, fail 0
 * reported as 1) and HTIF tohost as an overlay on RAM (pass, fail n, RV32
 * halves in either order, 8-byte writes, console output, RAM semantics).
 */
import { describe, it, assert } from '../harness/index.js';
import { GuestAddressSpace, AddressSpaceError } from '../../src/addrspace/index.js';
import { guestPhysAddr, type GuestPhysAddr } from '../../src/addr/index.js';
import { Htif, HtifPlacementError, TestFinisher, type ExitReport } from '../../src/devices/index.js';
import { VIRT_MAP } from '../../src/machine/index.js';

const pa = (n: number) => n as GuestPhysAddr;
const TEST = 0x0010_0000;

function finisher() {
  const exits: ExitReport[] = [];
  const dev = new TestFinisher({ base: VIRT_MAP.test.base, onExit: (e) => exits.push(e) });
  const as = new GuestAddressSpace();
  as.addDevice(dev);
  return { exits, dev, as };
}

describe('test finisher (sifive,test0)', () => {
  it('0x5555 passes with status 0, whatever bits 31:16 hold', () => {
    const { exits, as } = finisher();
    assert.ok(as.write(pa(TEST), 4, 0x5555));
    assert.ok(as.write(pa(TEST), 4, 0x1234_5555));
    assert.deepEqual(exits, [{ kind: 'pass', status: 0 }, { kind: 'pass', status: 0 }]);
  });

  it('0x3333 fails with the code in bits 31:16; code 0 becomes status 1', () => {
    const { exits, as } = finisher();
    assert.ok(as.write(pa(TEST), 4, (7 << 16) | 0x3333));
    assert.ok(as.write(pa(TEST), 4, 0xffff_3333));
    assert.ok(as.write(pa(TEST), 4, 0x3333));
    assert.deepEqual(exits, [{ kind: 'fail', status: 7 }, { kind: 'fail', status: 0xffff }, { kind: 'fail', status: 1 }]);
  });

  it('0x7777 asks for a reset', () => {
    const { exits, as } = finisher();
    assert.ok(as.write(pa(TEST), 4, 0x7777));
    assert.deepEqual(exits, [{ kind: 'reset', status: 0 }]);
  });

  it('ignores other values and other offsets; reads 0', () => {
    const { exits, as, dev } = finisher();
    assert.ok(as.write(pa(TEST), 4, 0x1234));
    assert.ok(as.write(pa(TEST + 4), 4, 0x5555));
    assert.ok(as.write(pa(TEST + 2), 2, 0x5555));
    assert.equal(exits.length, 0);
    assert.equal(dev.ignoredWrites, 3);
    assert.equal(as.read(pa(TEST), 4), 0);
  });

  it('takes 16-bit writes and refuses bytes, as QEMU', () => {
    const { exits, as } = finisher();
    assert.ok(as.write(pa(TEST), 2, 0x5555));
    assert.equal(exits.length, 1);
    assert.equal(as.write(pa(TEST), 1, 0x55), false);
    assert.equal(as.lastFault!.kind, 'width-refused');
  });
});

const RAM = 0x8000_0000;
const TOHOST = RAM + 0x1000;
const FROMHOST = TOHOST + 0x40; // riscv-tests align each to 64 bytes

function htif(withFromhost = true) {
  const as = new GuestAddressSpace();
  as.addRam({ name: 'ram', base: guestPhysAddr(RAM), size: 0x10000 });
  const exits: ExitReport[] = [];
  const out: number[] = [];
  const span = Htif.span({ tohost: TOHOST, fromhost: withFromhost ? FROMHOST : undefined });
  const backing = as.ramBytes(pa(span.base), span.size)!;
  const dev = new Htif({
    tohost: TOHOST,
    fromhost: withFromhost ? FROMHOST : undefined,
    backing,
    onExit: (e) => exits.push(e),
    onConsoleOutput: (b) => out.push(b),
  });
  as.addDevice(dev, { overlayOf: 'ram' });
  return { as, exits, out, dev, backing };
}

describe('HTIF tohost', () => {
  it('riscv-tests pass: low word 1, then high word 0', () => {
    const { as, exits } = htif();
    assert.ok(as.write(pa(TOHOST), 4, 1));
    assert.equal(exits.length, 0, 'the word is not complete yet');
    assert.ok(as.write(pa(TOHOST + 4), 4, 0));
    assert.deepEqual(exits, [{ kind: 'pass', status: 0 }]);
  });

  it('failure n is (n << 1) | 1', () => {
    const { as, exits } = htif();
    assert.ok(as.write(pa(TOHOST), 4, (5 << 1) | 1));
    assert.ok(as.write(pa(TOHOST + 4), 4, 0));
    assert.deepEqual(exits, [{ kind: 'fail', status: 5 }]);
  });

  it('takes the command when both halves are written, in either order, or from one 8-byte write', () => {
    const { as, exits } = htif();
    assert.ok(as.write(pa(TOHOST + 4), 4, 0));
    assert.ok(as.write(pa(TOHOST), 4, (3 << 1) | 1));
    assert.ok(as.write64(pa(TOHOST), 1n));
    assert.ok(as.write64(pa(TOHOST), ((1n << 40n) << 1n) | 1n));
    assert.deepEqual(exits, [
      { kind: 'fail', status: 3 },
      { kind: 'pass', status: 0 },
      { kind: 'fail', status: 2 ** 40 },
    ]);
  });

  it('a low word alone is not a command; narrow stores only change memory', () => {
    const { as, exits } = htif();
    assert.ok(as.write(pa(TOHOST), 4, 1));
    assert.ok(as.write(pa(TOHOST + 4), 2, 0));
    assert.ok(as.write(pa(TOHOST + 4), 1, 0));
    assert.equal(exits.length, 0);
  });

  it('is memory to the guest: reads return what was written, in the RAM bytes themselves', () => {
    const { as, backing, dev } = htif();
    assert.ok(as.write(pa(TOHOST), 4, 0x1234_5678));
    assert.equal(as.read(pa(TOHOST), 4), 0x1234_5678);
    assert.equal(as.read(pa(TOHOST + 1), 1), 0x56);
    assert.equal(as.read(pa(TOHOST), 2), 0x5678);
    assert.equal(backing[0], 0x78);
    assert.equal(dev.tohost, 0x1234_5678n);
    assert.ok(as.write(pa(TOHOST + 0x10), 4, 0xdead_beef), 'between the two symbols');
    assert.equal(as.read(pa(TOHOST + 0x10), 4), 0xdead_beef);
    assert.ok(as.write(pa(TOHOST + 4), 4, 0));
    assert.equal(as.read64(pa(TOHOST)), 0x1234_5678n, 'an exit command stays as written');
  });

  it('console output (device 1, command 1): byte out, tohost cleared, fromhost answered', () => {
    const { as, out, dev } = htif();
    assert.ok(as.write(pa(TOHOST), 4, 0x41));
    assert.ok(as.write(pa(TOHOST + 4), 4, 0x0101_0000));
    assert.deepEqual(out, [0x41]);
    assert.equal(dev.tohost, 0n);
    assert.equal(dev.fromhost, 0x0101_0000_0000_0141n);
    assert.equal(as.read(pa(FROMHOST), 4), 0x141);
  });

  it('ignores what it does not serve (e.g. the syscall proxy)', () => {
    const { as, exits, dev } = htif(false);
    assert.ok(as.write(pa(TOHOST), 4, 0x100)); // bit 0 clear: a pointer to a syscall block
    assert.ok(as.write(pa(TOHOST + 4), 4, 0));
    assert.equal(exits.length, 0);
    assert.equal(dev.ignoredCommands, 1);
    assert.equal(dev.addressRange().size, 8);
  });

  it('refuses misaligned, overlapping or far-apart symbols; must lie in RAM as an overlay', () => {
    assert.throws(() => Htif.span({ tohost: TOHOST + 4 }), HtifPlacementError);
    assert.throws(() => Htif.span({ tohost: TOHOST, fromhost: TOHOST + 4 }), HtifPlacementError);
    assert.throws(() => Htif.span({ tohost: TOHOST, fromhost: TOHOST + 0x2000 }), HtifPlacementError);
    const as = new GuestAddressSpace();
    as.addRam({ name: 'ram', base: guestPhysAddr(RAM), size: 0x1000 });
    const dev = new Htif({ tohost: RAM + 0x1000, onExit: () => {} });
    assert.throws(() => as.addDevice(dev, { overlayOf: 'ram' }), AddressSpaceError);
  });
});
