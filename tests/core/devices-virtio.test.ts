/**
 * Empty virtio-mmio slots as QEMU 7.2's virt shows them with nothing
 * attached (read from a 7.2 guest: magic, version 1, device id 0, vendor
 * "QEMU"; narrow reads at a register's offset give its low bytes, reads
 * elsewhere 0; writes ignored).
 */
import { describe, it, assert } from '../harness/index.js';
import { GuestAddressSpace } from '../../src/addrspace/index.js';
import type { GuestPhysAddr } from '../../src/addr/index.js';
import { virtioMmioSlots } from '../../src/machine/index.js';
import { VirtioMmioSlot } from '../../src/devices/index.js';

const pa = (n: number) => n as GuestPhysAddr;
const SLOT0 = 0x1000_1000;

function setup() {
  const as = new GuestAddressSpace();
  const slots = virtioMmioSlots();
  for (const s of slots) as.addDevice(s);
  return { as, slots };
}

describe('virtio-mmio empty slots', () => {
  it('eight slots at 0x10001000 + 0x1000 * i', () => {
    const { slots } = setup();
    assert.equal(slots.length, 8);
    assert.deepEqual(slots.map((s) => s.addressRange().start), [0, 1, 2, 3, 4, 5, 6, 7].map((i) => SLOT0 + 0x1000 * i));
    assert.deepEqual(slots.map((s) => s.name), ['virtio0', 'virtio1', 'virtio2', 'virtio3', 'virtio4', 'virtio5', 'virtio6', 'virtio7']);
  });

  it('magic, version 1, device id 0, vendor QEMU; everything else 0', () => {
    const { as } = setup();
    for (let i = 0; i < 8; i++) {
      const b = SLOT0 + 0x1000 * i;
      assert.deepEqual([0, 4, 8, 0xc].map((o) => as.read(pa(b + o), 4)), [0x74726976, 1, 0, 0x554d4551]);
      assert.equal(as.read(pa(b + 0x34), 4), 0, 'QueueNumMax');
      assert.equal(as.read(pa(b + 0x70), 4), 0, 'Status');
      assert.equal(as.read(pa(b + 0x1fc), 4), 0);
      assert.equal(as.read(pa(b + 0x200), 4), -1, 'past the 0x200-byte window, as QEMU: a hole');
      assert.equal(as.read(pa(b + 0xffc), 4), -1);
    }
  });

  it('narrow reads as QEMU: a register\'s own offset gives its low bytes, others 0', () => {
    const { as } = setup();
    assert.equal(as.read(pa(SLOT0), 1), 0x76);
    assert.equal(as.read(pa(SLOT0 + 1), 1), 0);
    assert.equal(as.read(pa(SLOT0), 2), 0x6976);
    assert.equal(as.read(pa(SLOT0 + 2), 2), 0);
    assert.equal(as.read(pa(SLOT0 + 4), 1), 1);
    assert.equal(as.read(pa(SLOT0 + 0xc), 1), 0x51);
  });

  it('ignores writes', () => {
    const { as } = setup();
    assert.ok(as.write(pa(SLOT0 + 0x70), 4, 0xf));
    assert.ok(as.write(pa(SLOT0), 4, 0));
    assert.equal(as.read(pa(SLOT0 + 0x70), 4), 0);
    assert.equal(as.read(pa(SLOT0), 4), 0x74726976);
  });

  it('can report the modern transport (version 2) and refuses bad options', () => {
    const slot = new VirtioMmioSlot({ index: 3, base: SLOT0 + 0x3000, version: 2 });
    assert.equal(slot.name, 'virtio3');
    assert.equal(slot.handleRead(4, 4), 2);
    assert.throws(() => new VirtioMmioSlot({ index: -1, base: SLOT0 }), RangeError);
    assert.throws(() => new VirtioMmioSlot({ base: SLOT0, version: 3 as 2 }), RangeError);
    assert.throws(() => virtioMmioSlots({ count: 9 }), RangeError); // the virt machine has 8 slots
  });
});
