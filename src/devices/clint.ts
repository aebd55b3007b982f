/**
 * The CLINT of the virt machine: machine software interrupt (MSWI) and
 * machine timer (MTIMER) for hart 0 in SiFive's layout, which the ACLINT
 * spec 1.0 keeps: `msip` at 0x0000, `mtimecmp` at 0x4000, `mtime` at 0xBFF8.
 *
 * Owns msip, mtimecmp and the mtime offset, and drives the hart's MSIP and
 * MTIP. mtime comes from the clock port at the timebase (10 MHz on virt);
 * MTIP follows it only when someone looks: on each access and on
 * {@link Clint.update}; {@link Clint.nextDeadline} says when to look next.
 * Byte and halfword accesses and offsets from 0xC000 fault, as in QEMU 7.2.
 * No 4-byte access allocates. Why, and QEMU's reset state: docs/design.md#clint.
 */

import { type DeviceState, stateBool, stateInt, stateU32 } from '../state/index.js';
import { EmuDeviceType, InterruptCause, accessRules, type AccessRules, type AccessValue, type AccessWidth, type BaseDeviceOps, type InterruptTarget } from '../device/index.js';
import { MICROS_PER_SECOND, type Clock } from '../ports/index.js';
import { MmioDevice } from './mmio.js';
import { noRegister } from './regs.js';

const RULES = accessRules({ minWidth: 4, maxWidth: 8, implMaxWidth: 8 });
const TWO32 = 2 ** 32;

/** Bytes in the CLINT's window (SiFive's layout: MSWI and MTIMER of up to 4095 harts). */
export const CLINT_SIZE = 0x1_0000;
/** mtime's default frequency: 10 MHz, QEMU's RISCV_ACLINT_DEFAULT_TIMEBASE_FREQ. */
export const CLINT_DEFAULT_TIMEBASE_HZ = 10_000_000;

/** Register offsets of hart 0 (ACLINT MSWI and MTIMER in the SiFive CLINT window). */
export const ClintReg = Object.freeze({
  Msip: 0x0000,
  Mtimecmp: 0x4000,
  Mtime: 0xbff8,
  /** First offset with nothing mapped (QEMU maps MSWI 0x4000 + MTIMER 0x8000 bytes). */
  End: 0xc000,
} as const);

/** Options of a {@link Clint}. */
export interface ClintOptions {
  /** Device name (default `clint`). */
  name?: string;
  /** Base address of the 64 KiB window. */
  base: number;
  /** Where time comes from (microseconds). */
  clock: Clock;
  /** The hart's interrupt-pending bits (MSIP, MTIP). */
  target: InterruptTarget;
  /** mtime's frequency in Hz (default 10 MHz; the device tree's `timebase-frequency` must say the same). */
  timebaseFrequency?: number;
}

/** The CLINT (MSWI + MTIMER) for one hart. */
export class Clint extends MmioDevice implements BaseDeviceOps {
  readonly accessRules: AccessRules = RULES;
  /** mtime ticks per clock microsecond. */
  readonly ticksPerMicro: number;

  private readonly clock: Clock;
  private readonly hz: number;
  private readonly target: InterruptTarget;
  private msip = 0;
  private mtip = false;
  private cmpLo = 0;
  private cmpHi = 0;
  private offLo = 0;
  private offHi = 0;
  // The last sample: mtime and the clock reading it came from.
  private sLo = 0;
  private sHi = 0;
  private sNow = 0;

  /** Refuses a missing clock or target (TypeError), a bad base (AddressError) and a timebase that is not a positive finite number (RangeError). */
  constructor(options: ClintOptions) {
    super({ name: options.name, defaultName: 'clint', base: options.base, size: CLINT_SIZE, kind: EmuDeviceType.Timer });
    if (options.clock === undefined || options.target === undefined) throw new TypeError('Clint needs a clock and a target');
    const hz = options.timebaseFrequency ?? CLINT_DEFAULT_TIMEBASE_HZ;
    if (!(hz > 0) || !Number.isFinite(hz)) throw new RangeError(`timebase frequency ${hz} is not a positive number`);
    this.ticksPerMicro = hz / MICROS_PER_SECOND;
    this.hz = hz;
    this.clock = options.clock;
    this.target = options.target;
    this.target.setInterruptPending(InterruptCause.MachineSoftware, false);
    this.target.setInterruptPending(InterruptCause.MachineTimer, false);
    this.update();
  }


  /** The current mtime (the hart's `time`/`timeh` CSRs). */
  mtime(): bigint {
    this.sample();
    return (BigInt(this.sHi) << 32n) | BigInt(this.sLo);
  }

  /** The low 32 bits of the current mtime (the `time` CSR), without allocating. */
  mtimeLow(): number {
    this.sample();
    return this.sLo;
  }

  /** The high 32 bits of the current mtime (the `timeh` CSR), without allocating. */
  mtimeHigh(): number {
    this.sample();
    return this.sHi;
  }

  /** True while MTIP is raised (as of the last access or update). */
  get timerPending(): boolean {
    return this.mtip;
  }

  /** True while MSIP is raised. */
  get softwarePending(): boolean {
    return this.msip !== 0;
  }

  /**
   * A system reset, as QEMU 7.2's (checked from a guest): msip clears and
   * mtime counts again from 0; mtimecmp keeps its value (the spec gives
   * neither register a reset value, and QEMU 7.2 leaves mtimecmp alone).
   * The hart's MSIP and MTIP follow at once.
   */
  reset(): void {
    if (this.msip !== 0) {
      this.msip = 0;
      this.target.setInterruptPending(InterruptCause.MachineSoftware, false);
    }
    this.setMtime(0, 0);
  }

  /**
   * Snapshot (src/state/state.ts): msip, mtimecmp, MTIP as last evaluated,
   * and mtime now. mtime is saved as a value, not as an offset of this
   * clock, so it goes on from there under whatever clock restores it (the
   * same reading exactly under an instruction clock restored first).
   */
  saveState(): DeviceState {
    this.sample();
    return { msip: this.msip, mtip: this.mtip, cmpLo: this.cmpLo, cmpHi: this.cmpHi, mtimeLo: this.sLo, mtimeHi: this.sHi };
  }

  /**
   * Takes a record from {@link saveState}; refuses a bad one with a
   * DeviceStateError before changing anything. MTIP is restored as saved,
   * not re-evaluated, so it rises when it would have in the saved run.
   */
  restoreState(s: DeviceState): void {
    const n = this.name;
    const msip = stateInt(s, n, 'msip', 0, 1);
    const mtip = stateBool(s, n, 'mtip');
    const cmpLo = stateU32(s, n, 'cmpLo');
    const cmpHi = stateU32(s, n, 'cmpHi');
    const lo = stateU32(s, n, 'mtimeLo');
    const hi = stateU32(s, n, 'mtimeHi');
    this.msip = msip;
    this.mtip = mtip;
    this.cmpLo = cmpLo;
    this.cmpHi = cmpHi;
    // mtime continues from the saved value; MTIP is restored as saved, not re-evaluated.
    this.setOffset(hi, lo);
    this.sample();
    this.target.setInterruptPending(InterruptCause.MachineSoftware, msip !== 0);
    this.target.setInterruptPending(InterruptCause.MachineTimer, mtip);
  }

  /**
   * Sets mtimecmp to the 64-bit value hi:lo (each taken as unsigned 32
   * bits) and re-evaluates MTIP, as an 8-byte guest write of the register
   * does: for firmware such as the SBI's set_timer.
   */
  setTimecmp(hi: number, lo: number): void {
    this.cmpLo = lo >>> 0;
    this.cmpHi = hi >>> 0;
    this.update();
  }

  /** Re-evaluates MTIP against the clock and drives the hart's bit when it changed. */
  update(): void {
    this.sample();
    this.evaluate();
  }

  /**
   * The clock time (microseconds) at which MTIP will be pending: now when
   * it already is, Infinity when mtimecmp is out of reach (2^53 ticks or
   * more away, e.g. the all-ones "disabled" value).
   */
  nextDeadline(): number {
    this.sample();
    let dLo = this.cmpLo - this.sLo;
    let dHi = this.cmpHi - this.sHi;
    if (dLo < 0) {
      dLo += TWO32;
      dHi -= 1;
    }
    if (dHi < 0 || (dHi === 0 && dLo === 0)) return this.sNow;
    if (dHi >= 0x200000) return Infinity; // 2^53 ticks or more
    return this.sNow + (dHi * TWO32 + dLo) / this.ticksPerMicro;
  }

  handleRead(offset: number, width: AccessWidth): AccessValue {
    if (offset >= ClintReg.End) throw noRegister(this.name, this.range.start + offset, width, 'nothing is mapped past 0xc000');
    if (width === 8) {
      if (offset === ClintReg.Mtime) return this.mtime();
      return (BigInt(this.readWord(offset + 4)) << 32n) | BigInt(this.readWord(offset));
    }
    return this.readWord(offset);
  }

  handleWrite(offset: number, width: AccessWidth, val: AccessValue): void {
    if (offset >= ClintReg.End) throw noRegister(this.name, this.range.start + offset, width, 'nothing is mapped past 0xc000');
    if (width === 8) {
      const v = val as bigint;
      const lo = Number(v & 0xffffffffn);
      const hi = Number(v >> 32n);
      if (offset === ClintReg.Mtimecmp) {
        this.setTimecmp(hi, lo);
      } else if (offset === ClintReg.Mtime) {
        this.setMtime(hi, lo);
      } else {
        this.writeWord(offset, lo);
        this.writeWord(offset + 4, hi);
      }
      return;
    }
    this.writeWord(offset, val as number);
  }

  private readWord(o: number): number {
    switch (o) {
      case ClintReg.Msip:
        return this.msip;
      case ClintReg.Mtimecmp:
        return this.cmpLo;
      case ClintReg.Mtimecmp + 4:
        return this.cmpHi;
      case ClintReg.Mtime:
        this.update();
        return this.sLo;
      case ClintReg.Mtime + 4:
        this.update();
        return this.sHi;
      default:
        return 0;
    }
  }

  private writeWord(o: number, v: number): void {
    switch (o) {
      case ClintReg.Msip: {
        const bit = v & 1;
        if (bit !== this.msip) {
          this.msip = bit;
          this.target.setInterruptPending(InterruptCause.MachineSoftware, bit !== 0);
        }
        return;
      }
      case ClintReg.Mtimecmp:
        this.cmpLo = v >>> 0;
        this.update();
        return;
      case ClintReg.Mtimecmp + 4:
        this.cmpHi = v >>> 0;
        this.update();
        return;
      case ClintReg.Mtime:
        this.sample();
        this.setMtime(this.sHi, v >>> 0);
        return;
      case ClintReg.Mtime + 4:
        this.sample();
        this.setMtime(v >>> 0, this.sLo);
        return;
      default:
        return; // no register for hart 0 here: ignored, as QEMU
    }
  }

  /** Reads the clock into sNow and mtime into sHi:sLo. */
  private sample(): void {
    const now = this.clock.now();
    this.sNow = now;
    const ticks = this.ticksAt(now);
    const tHi = Math.floor(ticks / TWO32);
    let lo = ticks - tHi * TWO32 + this.offLo;
    let hi = tHi + this.offHi;
    if (lo >= TWO32) {
      lo -= TWO32;
      hi += 1;
    }
    this.sLo = lo;
    this.sHi = hi % TWO32;
  }

  /** Timebase ticks at clock time `now` (just read): the clock's exact count when it keeps one. */
  private ticksAt(now: number): number {
    if (this.clock.ticks !== undefined) return this.clock.ticks(this.hz);
    return now > 0 ? Math.floor(now * this.ticksPerMicro) : 0;
  }

  /** Makes mtime read hi:lo now and re-evaluates MTIP. */
  private setMtime(hi: number, lo: number): void {
    this.setOffset(hi, lo);
    this.update();
  }

  /** Sets the offset that makes mtime read hi:lo now: offset = value - ticks (mod 2^64). */
  private setOffset(hi: number, lo: number): void {
    const ticks = this.ticksAt(this.clock.now());
    const tHi = Math.floor(ticks / TWO32);
    let oLo = lo - (ticks - tHi * TWO32);
    let oHi = hi - tHi;
    if (oLo < 0) {
      oLo += TWO32;
      oHi -= 1;
    }
    this.offLo = oLo;
    this.offHi = ((oHi % TWO32) + TWO32) % TWO32;
  }

  private evaluate(): void {
    const pending = this.sHi > this.cmpHi || (this.sHi === this.cmpHi && this.sLo >= this.cmpLo);
    if (pending !== this.mtip) {
      this.mtip = pending;
      this.target.setInterruptPending(InterruptCause.MachineTimer, pending);
    }
  }
}
