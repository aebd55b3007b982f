/**
 * HTIF `tohost`/`fromhost`: the host-target interface of Spike, which the
 * RISC-V ISA tests use to report pass or fail.
 *
 * Owns an overlay on RAM over the ELF's `tohost` (and `fromhost`) symbols,
 * at most 4 KiB, which the guest sees as memory, and the commands written
 * there: exit (device 0, command 0) and console output (device 1, command 1,
 * answered in `fromhost` as Spike does); anything else is ignored and
 * counted. A command is taken once both 32-bit halves, or one 8-byte write,
 * are in; a guest that writes the low word only is not served, as under QEMU.
 * Command layout and the RV32 halves: docs/design.md#htif.
 */

import { type DeviceState, stateBool, stateInt } from '../state/index.js';
import { EmuDeviceType, accessRules, type AccessRules, type AccessValue, type AccessWidth, type BaseDeviceOps } from '../device/index.js';
import type { ExitCallback } from './exit.js';
import { MmioDevice } from './mmio.js';

const RULES = accessRules({ minWidth: 1, maxWidth: 8, implMaxWidth: 8 });
const TWO32 = 2 ** 32;
const MAX_SPAN = 4096;

/** Options of an {@link Htif}. */
export interface HtifOptions {
  /** Device name (default `htif`). */
  name?: string;
  /** Address of the `tohost` symbol: 8-byte aligned. */
  tohost: number;
  /** Address of the `fromhost` symbol, when the ELF has one: 8-byte aligned, not overlapping `tohost`. */
  fromhost?: number;
  /**
   * The bytes behind the covered range, exactly `size` long (see
   * {@link Htif.span}): typically `addressSpace.ramBytes(base, size)` taken
   * before the overlay is added, so the device reads and writes RAM itself.
   * Omitted: the device keeps its own zeroed bytes.
   */
  backing?: Uint8Array;
  /** Receives pass and fail reports. */
  onExit: ExitCallback;
  /** Receives the bytes of console put-character commands (device 1, command 1). */
  onConsoleOutput?: (byte: number) => void;
}

/** Why an HTIF placement was refused. */
export class HtifPlacementError extends RangeError {
  readonly tohost: number;
  readonly fromhost: number | null;

  constructor(tohost: number, fromhost: number | null, detail: string) {
    super(`HTIF at tohost 0x${tohost.toString(16)}${fromhost === null ? '' : `, fromhost 0x${fromhost.toString(16)}`}: ${detail}`);
    Object.defineProperty(this, 'name', { value: 'HtifPlacementError', writable: true, configurable: true });
    this.tohost = tohost;
    this.fromhost = fromhost;
  }
}

/** The HTIF `tohost`/`fromhost` overlay. */
export class Htif extends MmioDevice implements BaseDeviceOps {
  readonly accessRules: AccessRules = RULES;
  /** Commands taken and ignored (unsupported device or command). */
  ignoredCommands = 0;

  private readonly bytes: Uint8Array;
  private readonly toOff: number;
  private readonly fromOff: number; // -1 without fromhost
  private readonly onExit: ExitCallback;
  private readonly onConsole: ((byte: number) => void) | null;
  private lowWritten = false;
  private highWritten = false;

  /** The range `[min(tohost, fromhost), max(tohost, fromhost) + 8)` the device covers, as {base, size}. */
  static span(options: { tohost: number; fromhost?: number }): { base: number; size: number } {
    const { tohost } = options;
    const fromhost = options.fromhost ?? null;
    for (const a of fromhost === null ? [tohost] : [tohost, fromhost]) {
      if (!Number.isInteger(a) || a < 0 || a % 8 !== 0) throw new HtifPlacementError(tohost, fromhost, `0x${a.toString(16)} is not an 8-byte aligned address`);
    }
    const base = fromhost === null ? tohost : Math.min(tohost, fromhost);
    const end = fromhost === null ? tohost + 8 : Math.max(tohost, fromhost) + 8;
    if (fromhost !== null && Math.abs(tohost - fromhost) < 8) throw new HtifPlacementError(tohost, fromhost, 'tohost and fromhost overlap');
    if (end - base > MAX_SPAN) throw new HtifPlacementError(tohost, fromhost, `the two symbols span ${end - base} bytes, more than ${MAX_SPAN}`);
    return { base, size: end - base };
  }

  /** Refuses misaligned or overlapping symbols, a span over 4 KiB (HtifPlacementError), a backing of the wrong size and a missing `onExit` (TypeError). */
  constructor(options: HtifOptions) {
    const { base, size } = Htif.span(options);
    super({ name: options.name, defaultName: 'htif', base, size, kind: EmuDeviceType.Htif });
    if (typeof options.onExit !== 'function') throw new TypeError('Htif needs an onExit callback');
    if (options.backing !== undefined && options.backing.length !== size) {
      throw new TypeError(`Htif backing holds ${options.backing.length} bytes, not ${size}`);
    }
    this.bytes = options.backing ?? new Uint8Array(size);
    this.toOff = options.tohost - base;
    this.fromOff = options.fromhost === undefined ? -1 : options.fromhost - base;
    this.onExit = options.onExit;
    this.onConsole = options.onConsoleOutput ?? null;
  }


  /**
   * A system reset: a half-written command is forgotten. The words
   * themselves are memory (the image's, reloaded by a reset), so they are
   * left to whoever restores RAM; the `ignoredCommands` count runs on.
   */
  reset(): void {
    this.lowWritten = false;
    this.highWritten = false;
  }

  /**
   * Snapshot (src/state/state.ts): which halves of a command were
   * written, and the ignored-command count. tohost/fromhost are RAM and
   * saved with it.
   */
  saveState(): DeviceState {
    return { lowWritten: this.lowWritten, highWritten: this.highWritten, ignoredCommands: this.ignoredCommands };
  }

  /** Takes a record from {@link saveState}; refuses a bad one with a DeviceStateError before changing anything. */
  restoreState(s: DeviceState): void {
    const low = stateBool(s, this.name, 'lowWritten');
    const high = stateBool(s, this.name, 'highWritten');
    this.ignoredCommands = stateInt(s, this.name, 'ignoredCommands', 0, Number.MAX_SAFE_INTEGER);
    this.lowWritten = low;
    this.highWritten = high;
  }

  /** The current 64-bit value of `tohost`. */
  get tohost(): bigint {
    return this.read64(this.toOff);
  }

  /** The current 64-bit value of `fromhost` (0n without a fromhost symbol). */
  get fromhost(): bigint {
    return this.fromOff < 0 ? 0n : this.read64(this.fromOff);
  }

  handleRead(offset: number, width: AccessWidth): AccessValue {
    if (width === 8) return this.read64(offset);
    return this.read32(offset, width);
  }

  handleWrite(offset: number, width: AccessWidth, val: AccessValue): void {
    if (width === 8) {
      const v = val as bigint;
      this.write32(offset, 4, Number(v & 0xffffffffn));
      this.write32(offset + 4, 4, Number(v >> 32n));
      if (offset === this.toOff) {
        this.lowWritten = this.highWritten = true;
        this.take();
      }
      return;
    }
    this.write32(offset, width, val as number);
    if (width !== 4) return;
    if (offset === this.toOff) this.lowWritten = true;
    else if (offset === this.toOff + 4) this.highWritten = true;
    else return;
    if (this.lowWritten && this.highWritten) this.take();
  }

  private take(): void {
    this.lowWritten = this.highWritten = false;
    const lo = this.read32(this.toOff, 4);
    const hi = this.read32(this.toOff + 4, 4);
    if (lo === 0 && hi === 0) return;
    const device = hi >>> 24;
    const command = (hi >>> 16) & 0xff;
    if (device === 0 && command === 0 && (lo & 1) === 1) {
      // payload 47:1 is the exit code; below 2^47, so exact as a number.
      const code = (hi & 0xffff) * (TWO32 / 2) + (lo >>> 1);
      this.onExit(code === 0 ? { kind: 'pass', status: 0 } : { kind: 'fail', status: code });
      return;
    }
    if (device === 1 && command === 1) {
      const ch = lo & 0xff;
      if (this.onConsole !== null) this.onConsole(ch);
      // Spike's fesvr: clear tohost, answer (dev << 56) | (cmd << 48) | 0x100 | ch in fromhost.
      this.write32(this.toOff, 4, 0);
      this.write32(this.toOff + 4, 4, 0);
      if (this.fromOff >= 0) {
        this.write32(this.fromOff, 4, 0x100 | ch);
        this.write32(this.fromOff + 4, 4, 0x01010000);
      }
      return;
    }
    this.ignoredCommands++;
  }

  private read32(o: number, width: 1 | 2 | 4): number {
    const b = this.bytes;
    if (width === 1) return b[o];
    if (width === 2) return b[o] | (b[o + 1] << 8);
    return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
  }

  private read64(o: number): bigint {
    return (BigInt(this.read32(o + 4, 4)) << 32n) | BigInt(this.read32(o, 4));
  }

  private write32(o: number, width: 1 | 2 | 4, v: number): void {
    const b = this.bytes;
    b[o] = v;
    if (width === 1) return;
    b[o + 1] = v >>> 8;
    if (width === 2) return;
    b[o + 2] = v >>> 16;
    b[o + 3] = v >>> 24;
  }
}
