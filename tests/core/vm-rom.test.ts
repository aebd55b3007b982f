/**
 * ROM in place: a VirtVm given the image's read-only segment as a ROM
 * region runs its code from there, faults a guest store to it, uses the
 * caller's bytes (a view, never a copy), allocates RAM only for the rest,
 * and refuses ROM that does not fit; the loader refuses a segment that
 * lands on ROM without being exactly its bytes.
 */
import { describe, it, assert } from '../harness/index.js';
import { ImageError, loadImage } from '../../src/loader/index.js';
import { VirtVm, VmConfigError, type RomRegion } from '../../src/monitor/index.js';
import { ManualClock } from '../../src/ports/sim/index.js';
import * as E from './rv-encode.js';

const RAM = 0x8000_0000;
const DATA = 0x8000_1000;
const RAM_SIZE = 64 * 1024;
const FINISHER = 0x0010_0000;
const CSR_MTVEC = 0x305, CSR_MCAUSE = 0x342, CSR_MTVAL = 0x343;

interface Seg {
  readonly vaddr: number;
  readonly bytes: Uint8Array;
  readonly memsz: number;
  /** p_flags: 4 R, 2 W, 1 X. */
  readonly flags: number;
}

/** A minimal ELF32 RISC-V executable: header, program headers, each segment at a page-aligned file offset (as linkers lay them out). */
function elf32(entry: number, segs: readonly Seg[]): Uint8Array {
  const out = new Uint8Array(0x1000 * (segs.length + 1));
  const dv = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1], 0);
  dv.setUint16(16, 2, true); // ET_EXEC
  dv.setUint16(18, 243, true); // EM_RISCV
  dv.setUint32(20, 1, true);
  dv.setUint32(24, entry, true);
  dv.setUint32(28, 52, true); // e_phoff
  dv.setUint16(40, 52, true);
  dv.setUint16(42, 32, true);
  dv.setUint16(44, segs.length, true);
  segs.forEach((s, i) => {
    const ph = 52 + 32 * i;
    const offset = 0x1000 * (i + 1);
    dv.setUint32(ph, 1, true); // PT_LOAD
    dv.setUint32(ph + 4, offset, true);
    dv.setUint32(ph + 8, s.vaddr, true);
    dv.setUint32(ph + 12, s.vaddr, true);
    dv.setUint32(ph + 16, s.bytes.length, true);
    dv.setUint32(ph + 20, s.memsz, true);
    dv.setUint32(ph + 24, s.flags, true);
    dv.setUint32(ph + 28, 0x1000, true);
    out.set(s.bytes, offset);
  });
  return out;
}

/**
 * The guest: loads 41 from its data page (RAM), adds the constant in its
 * own code page (a ROM load), stores the sum back to RAM, then stores to
 * the constant. The store must fault (mcause 7): the trap handler exits
 * through the finisher with the cause as status, or with 1 if it returns.
 * With `resetFirst`, the first boot asks for a reset before all that.
 */
function romGuest(resetFirst = false): { image: Uint8Array; code: Uint8Array; addend: number } {
  const p = new E.Program(RAM);
  if (resetFirst) {
    // On the first boot only (a flag in RAM outside the image survives a reset), ask for a reset (finisher 0x7777).
    p.li(E.s0, RAM + 0x8000).i(E.lw(E.t0, E.s0, 0));
    p.at(4, (pc, L) => E.bne(E.t0, E.zero, L('body') - pc));
    p.i(E.addi(E.t0, E.zero, 1), E.sw(E.t0, E.s0, 0));
    p.li(E.t1, DATA).i(E.sw(E.zero, E.t1, 0)); // spoil the data: the reset must reload it
    p.li(E.t1, FINISHER).li(E.t2, 0x7777).i(E.sw(E.t2, E.t1, 0));
    p.label('parked').at(4, (pc, L) => E.jal(E.zero, L('parked') - pc));
  }
  p.label('body');
  // la t0, trap (auipc + addi: the code is position-relative, as a linker would emit it)
  p.i(E.auipc(E.t0, 0)).at(4, (pc, L) => E.addi(E.t0, E.t0, L('trap') - (pc - 4)));
  p.i(E.csrw(CSR_MTVEC, E.t0));
  p.li(E.s0, DATA);
  p.i(E.lw(E.a0, E.s0, 0));
  p.i(E.auipc(E.s1, 0)).at(4, (pc, L) => E.addi(E.s1, E.s1, L('konst') - (pc - 4)));
  p.i(E.lw(E.a1, E.s1, 0), E.add(E.a0, E.a0, E.a1), E.sw(E.a0, E.s0, 0));
  p.i(E.sw(E.a0, E.s1, 0)); // into ROM: faults
  p.li(E.t1, FINISHER).li(E.t2, 0x0001_3333).i(E.sw(E.t2, E.t1, 0));
  p.label('hang').at(4, (pc, L) => E.jal(E.zero, L('hang') - pc));
  p.label('trap');
  p.i(E.csrr(E.t2, CSR_MCAUSE), E.slli(E.t2, E.t2, 16));
  p.li(E.t1, 0x3333).i(E.or(E.t2, E.t2, E.t1));
  p.li(E.t1, FINISHER).i(E.sw(E.t2, E.t1, 0));
  p.label('spin').at(4, (pc, L) => E.jal(E.zero, L('spin') - pc));
  p.label('konst').i(1);
  const code = p.bytes();
  const image = elf32(RAM, [
    { vaddr: RAM, bytes: code, memsz: code.length, flags: 5 },
    { vaddr: DATA, bytes: new Uint8Array([41, 0, 0, 0]), memsz: 0x100, flags: 6 },
  ]);
  return { image, code, addend: code.length - 4 };
}

/** The ROM region of `image`'s code segment: a view of the image at its file offset. */
function codeRom(image: Uint8Array, length: number): RomRegion {
  return { name: 'rom@80000000', base: RAM, bytes: image.subarray(0x1000, 0x1000 + length) };
}

function run(vm: VirtVm): ReturnType<VirtVm['run']> {
  for (let i = 0; i < 100; i++) {
    const exit = vm.run(10_000);
    if (exit.kind !== 'budget') return exit;
  }
  return vm.run(0);
}

describe('VirtVm with ROM in place', () => {
  it('runs code from ROM, loads from ROM and RAM, and faults a store to ROM', () => {
    const { image, code } = romGuest();
    const vm = new VirtVm({ image, ramSize: RAM_SIZE, clock: new ManualClock(), rom: [codeRom(image, code.length)] });
    assert.equal(vm.space.regionAt(RAM as never)?.kind, 'rom');
    assert.equal(vm.image.segments[0]!.inRom, true);
    assert.equal(vm.image.segments[1]!.inRom, false);
    const exit = run(vm);
    assert.deepEqual(exit, { kind: 'exit', status: 7, source: 'finisher' }, 'store access fault');
    assert.equal(vm.hart.readCsr(CSR_MTVAL) >>> 0, RAM + code.length - 4, 'mtval is the ROM address');
    assert.equal(vm.space.read(DATA as never, 4), 42, 'the sum reached RAM');
    assert.equal(vm.space.read((RAM + code.length - 4) as never, 4), 1, 'ROM is unchanged');
    vm.close();
  });

  it('uses the caller bytes in place: a change to them is what the guest runs', () => {
    const { image, code, addend } = romGuest();
    const rom = codeRom(image, code.length);
    const vm = new VirtVm({ image, ramSize: RAM_SIZE, clock: new ManualClock(), rom: [rom] });
    // Patch the constant after the VM is built: a copy would not see it.
    rom.bytes[addend] = 9;
    run(vm);
    assert.equal(vm.space.read(DATA as never, 4), 50);
    vm.close();
  });

  it('allocates RAM only outside the ROM; the device tree and data stay in RAM', () => {
    const { image, code } = romGuest();
    const vm = new VirtVm({ image, ramSize: RAM_SIZE, clock: new ManualClock(), rom: [codeRom(image, code.length)] });
    assert.equal(vm.ramAllocated, RAM_SIZE - code.length);
    assert.equal(vm.space.ramBytes(RAM as never, 4), null, 'ROM is not RAM');
    assert.notEqual(vm.space.ramBytes(DATA as never, 4), null);
    assert.equal(vm.space.read(vm.fdtAddress as never, 4), 0xedfe0dd0, 'device tree magic, big-endian');
    assert.equal(vm.hart.regs[11], vm.fdtAddress | 0);
    const plain = new VirtVm({ image, ramSize: RAM_SIZE, clock: new ManualClock() });
    assert.equal(plain.ramAllocated, RAM_SIZE);
    assert.equal(plain.space.regionAt(RAM as never)?.kind, 'ram');
    vm.close();
    plain.close();
  });

  it('keeps running from ROM after a guest reset, with the data segment reloaded', () => {
    const { image, code } = romGuest(true);
    const vm = new VirtVm({ image, ramSize: RAM_SIZE, clock: new ManualClock(), rom: [codeRom(image, code.length)] });
    assert.deepEqual(run(vm), { kind: 'exit', status: 7, source: 'finisher' });
    assert.equal(vm.resets, 1);
    assert.equal(vm.space.read(DATA as never, 4), 42);
    vm.close();
  });

  it('refuses ROM outside guest memory, overlapping ROM, and ROM over the device tree', () => {
    const { image, code } = romGuest();
    const clock = new ManualClock();
    const bytes = image.subarray(0x1000, 0x1000 + code.length);
    const refused = (rom: RomRegion[], option: string): void => {
      const e = assert.throws<VmConfigError>(() => new VirtVm({ image, ramSize: RAM_SIZE, clock, rom }), VmConfigError);
      assert.equal(e.option, option);
    };
    refused([{ name: 'low', base: RAM - 4, bytes }], 'rom');
    refused([{ name: 'a', base: RAM, bytes }, { name: 'b', base: RAM + 4, bytes: new Uint8Array(4) }], 'rom');
    refused([codeRom(image, code.length), { name: 'top', base: RAM + RAM_SIZE - 0x1000, bytes: new Uint8Array(0x1000) }], 'rom');
    refused([{ name: 'empty', base: RAM, bytes: new Uint8Array(0) }], 'rom');
  });

  it('refuses an image whose segment lands on ROM without being exactly its bytes', () => {
    const { image, code } = romGuest();
    const other = new Uint8Array(code.length);
    const e1 = assert.throws<ImageError>(
      () => new VirtVm({ image, ramSize: RAM_SIZE, clock: new ManualClock(), rom: [{ name: 'rom', base: RAM, bytes: other }] }), ImageError);
    assert.equal(e1.reason, 'rom-mismatch');
    const e2 = assert.throws<ImageError>(
      () => new VirtVm({ image, ramSize: RAM_SIZE, clock: new ManualClock(), rom: [{ name: 'rom', base: RAM, bytes: image.subarray(0x1000, 0x1000 + code.length - 4) }] }),
      ImageError);
    assert.equal(e2.reason, 'rom-mismatch');
    // A copy with the same bytes is accepted (compared byte by byte).
    const copy = new VirtVm({ image, ramSize: RAM_SIZE, clock: new ManualClock(), rom: [{ name: 'rom', base: RAM, bytes: image.slice(0x1000, 0x1000 + code.length) }] });
    copy.close();
  });

  it('loader: splits RAM around ROM and refuses a raw image over ROM', () => {
    const lo = { base: RAM, bytes: new Uint8Array(0x100) };
    const hi = { base: RAM + 0x200, bytes: new Uint8Array(0x100) };
    const rom = { base: RAM + 0x100, bytes: new Uint8Array(0x100) };
    const raw = loadImage({ image: Uint8Array.from([0x6f, 0, 0, 0]), ram: [lo, hi], rom: [rom] });
    assert.equal(raw.entry, RAM);
    assert.equal(lo.bytes[0], 0x6f);
    const e = assert.throws<ImageError>(() => loadImage({ image: Uint8Array.from([1]), ram: [hi], rom: [{ base: RAM, bytes: new Uint8Array(4) }] }), ImageError);
    assert.equal(e.reason, 'outside-ram');
  });
});
