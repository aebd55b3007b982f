/** The README's device example, kept here so that it keeps compiling and working. */
import { describe, it, assert } from '../harness/index.js';
import {
  AddrRange, EmuDeviceType, GuestAddressSpace, WORD_ACCESS_RULES, guestPhysAddr,
  type BaseDeviceOps,
} from '../../src/index.js';

class Scratch implements BaseDeviceOps {
  readonly name = 'scratch';
  readonly accessRules = WORD_ACCESS_RULES;   // 1-4 bytes, aligned
  private readonly regs = new Uint32Array(4);
  emuType() { return EmuDeviceType.Dummy; }
  addressRange() { return AddrRange.fromStartSize(guestPhysAddr(0x1010_0000), 16); }
  handleRead(offset: number) { return this.regs[offset >> 2]; }
  handleWrite(offset: number, _width: number, val: number | bigint) {
    this.regs[offset >> 2] = Number(val);
  }
}

describe('README example', () => {
  it('registers a device and routes to it', () => {
    const space = new GuestAddressSpace();
    space.addRam({ name: 'ram', base: guestPhysAddr(0x8000_0000), size: 1 << 20 });
    space.addDevice(new Scratch());
    assert.equal(space.write(guestPhysAddr(0x1010_0004), 4, 42), true);
    assert.equal(space.read(guestPhysAddr(0x1010_0004), 4), 42);
    assert.equal(space.read(guestPhysAddr(0x2000_0000), 4), -1);
    assert.equal(space.lastFault?.kind, 'unassigned');
    assert.equal(space.read(guestPhysAddr(0x1010_0004), 2), 42, 'narrower reads are valid');
    assert.equal(space.write(guestPhysAddr(0x1010_0004), 4, 1) && space.read64(guestPhysAddr(0x1010_0000)), -1n, 'but 8 bytes are refused');
  });
});
