/**
 * Fetching from ROM (a board's flash): code in a ROM region runs through
 * the hart's fetch window, calls into RAM and comes back, mixes 16- and
 * 32-bit instructions, and keeps exact semantics at the window's edges.
 * The results come from the program's own arithmetic, not from the hart.
 */
import { describe, it, assert } from '../harness/index.js';
import { guestPhysAddr } from '../../src/addr/index.js';
import { GuestAddressSpace } from '../../src/addrspace/index.js';
import { ExitReason, Hart } from '../../src/cpu/index.js';
import * as E from './rv-encode.js';

const ROM_BASE = 0x2000_0000;
const RAM_BASE = 0x8000_0000;

/** Little-endian bytes of a sequence of 32-bit words and 16-bit parcels (`[v, 2]` for a parcel). */
function assemble(items: (number | [number, 2])[]): Uint8Array {
  const out: number[] = [];
  for (const it of items) {
    const [v, n] = typeof it === 'number' ? [it, 4] : it;
    for (let i = 0; i < n; i++) out.push((v >>> (8 * i)) & 0xff);
  }
  return Uint8Array.from(out);
}

function machine(rom: Uint8Array, ram: Uint8Array): { hart: Hart; space: GuestAddressSpace } {
  const space = new GuestAddressSpace();
  space.addRom({ name: 'flash', base: guestPhysAddr(ROM_BASE), bytes: rom });
  const bytes = new Uint8Array(0x1000);
  bytes.set(ram);
  space.addRam({ name: 'ram', base: guestPhysAddr(RAM_BASE), size: bytes.length, bytes });
  const hart = new Hart({ bus: space, readTime: () => 0 });
  hart.reset(ROM_BASE);
  return { hart, space };
}

describe('fetch from ROM', () => {
  it('runs a loop in ROM that calls a routine in RAM, with compressed code on both sides', () => {
    // RAM routine at RAM_BASE: a0 += a1 (c.add), a1 += 1, return.
    // The trap vector at RAM_BASE + 0x100 spins on itself.
    const ram = new Uint8Array(0x104);
    ram.set(assemble([[0x952e, 2] /* c.add a0, a1 */, [E.cAddi(E.a1, 1), 2], E.jalr(E.zero, E.ra, 0)]));
    ram.set(assemble([E.jal(E.zero, 0)]), 0x100);
    const rom = assemble([
      E.lui(E.t0, RAM_BASE >>> 12), //            t0 = RAM routine
      E.addi(E.a0, E.zero, 0),
      E.addi(E.a1, E.zero, 1),
      E.addi(E.t1, E.zero, 10), //                ten calls
      E.jalr(E.ra, E.t0, 0), //                   loop: call
      [E.cAddi(E.t1, -1), 2],
      E.bne(E.t1, E.zero, -6), //                 back to the call
      E.ebreak(),
    ]);
    const { hart } = machine(rom, ram);
    hart.writeCsr(0x305, RAM_BASE + 0x100); // mtvec
    hart.run(200);
    assert.equal(hart.regs[E.a0], 55, 'sum of 1..10');
    assert.equal(hart.regs[E.a1], 11);
    assert.equal(hart.lastTrap?.code, 3, 'ended at the ebreak');
    assert.equal(hart.lastTrap?.epc, ROM_BASE + rom.length - 4);
  });

  it('sees the ROM bytes in place, and a 32-bit instruction in the last parcel of ROM faults at the end', () => {
    // addi a0, a0, 1 ten times, then the low half of an addi at the last two bytes.
    const body: (number | [number, 2])[] = [];
    for (let i = 0; i < 10; i++) body.push(E.addi(E.a0, E.a0, 1));
    body.push([E.addi(E.a0, E.a0, 1) & 0xffff, 2]);
    const rom = assemble(body);
    const { hart } = machine(rom, new Uint8Array(0));
    hart.writeCsr(0x305, RAM_BASE); // mtvec: the trap lands in zeroed RAM, which is illegal; stop before that
    hart.run(11);
    assert.equal(hart.regs[E.a0], 10);
    assert.equal(hart.lastTrap?.code, 1, 'instruction access fault');
    assert.equal(hart.lastTrap?.tval, ROM_BASE + rom.length, 'at the parcel past the end of ROM');
    rom[0] = 0x13; // the caller's bytes are the ROM: a change shows on the next run from the start
    hart.reset(ROM_BASE);
    hart.regs[E.a0] = 0;
    const exit = hart.run(1);
    assert.equal(exit, ExitReason.BudgetSpent);
  });
});
