/**
 * A small machine for the hart's tests: RAM, an optional ROM, a register
 * device that refuses misaligned accesses (as most MMIO does), a device
 * that requests a stop when written (a finisher), and a default trap
 * handler that parks the hart (WFI) so a test can inspect the trap.
 *
 * Engine-neutral: no Node modules, so these suites can run under XS.
 */
import { AddrRange, type GuestPhysAddr } from '../../src/addr/index.js';
import {
  DeviceError,
  EmuDeviceType,
  WORD_ACCESS_RULES,
  type AccessRules,
  type AccessValue,
  type AccessWidth,
  type BaseDeviceOps,
} from '../../src/device/index.js';
import { GuestAddressSpace } from '../../src/addrspace/index.js';
import { Csr, ExitReason, Hart } from '../../src/cpu/index.js';
import * as E from './rv-encode.js';

export const RAM_BASE = 0x8000_0000;
export const RAM_SIZE = 0x1_0000;
/** Where the default trap handler lives: `wfi; j .-4`. */
export const HALT = RAM_BASE + 0xf000;
/** Scratch data page for loads and stores. */
export const DATA = RAM_BASE + 0x8000;
/** The register device: 0x100 bytes, 32-bit registers, byte to word accesses, aligned only. */
export const DEV_BASE = 0x1000_0000;
/** A device that stops the hart when written. */
export const STOP_BASE = 0x0010_0000;
/** A ROM region (when requested). */
export const ROM_BASE = 0x0002_0000;
/** An address nothing is mapped at. */
export const UNMAPPED = 0x4000_0000;

/** A register device: a byte store with hooks, refusing misaligned accesses. */
export class RegDevice implements BaseDeviceOps {
  readonly name: string;
  readonly accessRules: AccessRules;
  readonly bytes = new Uint8Array(0x100);
  readonly log: { op: 'read' | 'write'; offset: number; width: AccessWidth; value: number }[] = [];
  /** Called after each read or write with the offset; may raise interrupts, request stops... */
  onAccess: ((op: 'read' | 'write', offset: number, value: number) => void) | null = null;
  /** Offsets at which accesses throw a DeviceError (guest sees an access fault). */
  readonly failAt = new Set<number>();
  private readonly range: AddrRange<GuestPhysAddr>;

  constructor(name: string, base: number, rules: AccessRules = WORD_ACCESS_RULES) {
    this.name = name;
    this.accessRules = rules;
    this.range = AddrRange.fromStartSize(base as GuestPhysAddr, 0x100);
  }
  emuType(): EmuDeviceType {
    return EmuDeviceType.Dummy;
  }
  addressRange(): AddrRange<GuestPhysAddr> {
    return this.range;
  }
  handleRead(off: number, width: AccessWidth): AccessValue {
    if (this.failAt.has(off)) throw new DeviceError({ kind: 'unsupported-register', address: this.range.start + off, width, device: this.name });
    let v = 0;
    for (let i = width - 1; i >= 0; i--) v = v * 256 + this.bytes[off + i];
    this.log.push({ op: 'read', offset: off, width, value: v });
    this.onAccess?.('read', off, v);
    return v;
  }
  handleWrite(off: number, width: AccessWidth, val: AccessValue): void {
    if (this.failAt.has(off)) throw new DeviceError({ kind: 'read-only', address: this.range.start + off, width, device: this.name });
    let v = Number(val);
    this.log.push({ op: 'write', offset: off, width, value: v });
    for (let i = 0; i < width; i++) {
      this.bytes[off + i] = v % 256;
      v = Math.floor(v / 256);
    }
    this.onAccess?.('write', off, Number(val));
  }
  /** The 32-bit little-endian value at `off`. */
  word(off: number): number {
    return (this.bytes[off] | (this.bytes[off + 1] << 8) | (this.bytes[off + 2] << 16) | (this.bytes[off + 3] << 24)) >>> 0;
  }
}

export interface Rig {
  bus: GuestAddressSpace;
  hart: Hart;
  ram: Uint8Array;
  dev: RegDevice;
  stopper: RegDevice;
  /** The value readTime() returns. */
  time: { now: number };
}

/** Builds the machine; the hart is reset to RAM_BASE, mtvec and stvec point at HALT, PMP entry 15 opens everything to S and U. */
export function rig(options: { rom?: Uint8Array } = {}): Rig {
  const bus = new GuestAddressSpace();
  const ram = new Uint8Array(RAM_SIZE);
  bus.addRam({ name: 'ram', base: RAM_BASE as GuestPhysAddr, size: RAM_SIZE, bytes: ram });
  if (options.rom !== undefined) bus.addRom({ name: 'rom', base: ROM_BASE as GuestPhysAddr, bytes: options.rom });
  const dev = new RegDevice('regs', DEV_BASE);
  bus.addDevice(dev);
  const stopper = new RegDevice('stopper', STOP_BASE);
  bus.addDevice(stopper);
  const time = { now: 0 };
  const hart = new Hart({ bus, readTime: () => time.now });
  stopper.onAccess = (op) => {
    if (op === 'write') hart.requestStop();
  };
  const halt = new E.Program(HALT).i(E.wfi()).at(4, (pc) => E.jal(0, -4));
  ram.set(halt.bytes(), HALT - RAM_BASE);
  hart.reset(RAM_BASE);
  hart.writeCsr(Csr.mtvec, HALT);
  hart.writeCsr(Csr.stvec, HALT);
  // PMP as firmware leaves it (OpenSBI, guests/common/crt0.S): S and U may use everything, through the
  // lowest-priority entry (15: NAPOT over the whole bus, RWX), so tests that drop to S/U run as on QEMU.
  hart.writeCsr(Csr.pmpaddr15, 0xffffffff);
  hart.writeCsr(Csr.pmpcfg3, 0x1f << 24);
  return { bus, hart, ram, dev, stopper, time };
}

/** Copies a program's bytes into RAM at its base. */
export function place(r: Rig, p: E.Program): void {
  r.ram.set(p.bytes(), p.base - RAM_BASE);
}

/** Writes a 32-bit little-endian word into RAM. */
export function poke32(r: Rig, addr: number, value: number): void {
  const o = addr - RAM_BASE;
  for (let i = 0; i < 4; i++) r.ram[o + i] = (value >>> (8 * i)) & 0xff;
}

/** Reads a 32-bit little-endian word from RAM (unsigned). */
export function peek32(r: Rig, addr: number): number {
  const o = addr - RAM_BASE;
  return (r.ram[o] | (r.ram[o + 1] << 8) | (r.ram[o + 2] << 16) | (r.ram[o + 3] << 24)) >>> 0;
}

/**
 * Builds a rig, lays out a program at RAM_BASE with `build`, appends a
 * `wfi`, sets registers, runs until the hart parks (or `budget` runs out)
 * and returns the rig. `r.hart.pc` tells where it parked: END (after the
 * program's own WFI) or HALT + 4 (the trap handler).
 */
export function runProgram(
  build: (p: E.Program) => void,
  options: { regs?: [number, number][]; budget?: number; setup?: (r: Rig) => void } = {},
): Rig & { end: number; exit: number } {
  const r = rig();
  const p = new E.Program(RAM_BASE);
  build(p);
  p.i(E.wfi());
  const end = p.here;
  place(r, p);
  for (const [reg, v] of options.regs ?? []) r.hart.regs[reg] = v;
  options.setup?.(r);
  const exit = r.hart.run(options.budget ?? 10_000);
  return { ...r, end, exit };
}

/** True when the hart parked in the default trap handler. */
export function trapped(r: Rig): boolean {
  return r.hart.pc === HALT + 4;
}

/** The unsigned value of register `n`. */
export function ureg(r: Rig, n: number): number {
  return r.hart.regs[n] >>> 0;
}

export { ExitReason, Csr };
