/**
 * Instruction-count time: a VM clock that counts retired instructions, as
 * QEMU's `-icount` does.
 *
 * Owns the rules: integer nanoseconds per instruction
 * ({@link ICOUNT_NANOS_PER_INSTRUCTION} under `--deterministic`, 2^SHIFT
 * under `--icount SHIFT` with SHIFT 0-{@link ICOUNT_MAX_SHIFT}, a shift
 * that follows the host under `auto`: {@link InstructionClock.adjust}),
 * mtime as floor(ns / 100) in integers below 2^53, and the warp
 * ({@link InstructionClock.warpTo}) the monitor applies to a VM in WFI.
 * V8 and XS read the same values. See docs/design.md#time.
 */

import { DeviceStateError, stateInt, type DeviceState } from '../state/index.js';
import type { Clock } from '../ports/index.js';

/** Guest microseconds per retired instruction under `--deterministic`. */
export const ICOUNT_MICROS_PER_INSTRUCTION = 1;
/** Guest nanoseconds per retired instruction under `--deterministic`. */
export const ICOUNT_NANOS_PER_INSTRUCTION = 1000;
/** The largest SHIFT of `--icount SHIFT` (QEMU's MAX_ICOUNT_SHIFT: 1024 ns per instruction). */
export const ICOUNT_MAX_SHIFT = 10;
/** The shift `--icount auto` starts from (QEMU's guess: 8 ns, 125 MIPS). */
export const ICOUNT_AUTO_INITIAL_SHIFT = 3;
/** How often, in host nanoseconds, `auto` looks at the host's clock. */
export const ICOUNT_AUTO_PERIOD_NS = 100_000_000;
/** The slack before `auto` changes its shift (QEMU's ICOUNT_WOBBLE: 0.1 s). */
const WOBBLE_NS = 100_000_000;

/** How a clock turns instructions into time: `--deterministic`, `--icount SHIFT` or `--icount auto`. */
export type IcountMode = 'deterministic' | number | 'auto';

/** Options of an {@link InstructionClock}. */
export interface InstructionClockOptions {
  /**
   * Returns the instructions retired so far (non-decreasing), usually
   * `() => vm.instret`. May be given later with {@link InstructionClock.bind},
   * since the VM needs its clock before it exists; until then the count is 0.
   */
  readonly count?: () => number;
  /** `deterministic` (default: 1000 ns per instruction), a shift 0-10, or `auto`. */
  readonly mode?: IcountMode;
  /** With `auto`: the host's clock the guest's time follows. Required then, ignored otherwise. */
  readonly host?: Clock;
}

/** Floor of a / b for integers a >= 0 and b > 0 below 2^53, exactly (the quotient is corrected for the division's rounding). */
function floorDiv(a: number, b: number): number {
  let q = Math.floor(a / b);
  const r = a - q * b;
  if (r < 0) q--;
  else if (r >= b) q++;
  return q;
}

/** A {@link Clock} driven by an instruction count (see the module header). */
export class InstructionClock implements Clock {
  /** The mode the clock was made with. */
  readonly mode: IcountMode;
  private count: () => number;
  private readonly host: Clock | null;
  /** Nanoseconds per instruction now (changes only under `auto`). */
  private nsPer: number;
  private shift: number;
  /** The time origin of the current rate: at `baseCount` instructions the clock read `baseNs` (warps apart). */
  private baseCount = 0;
  private baseNs = 0;
  private warpedNs = 0;
  private hostStart = -1;
  private lastAdjust = 0;
  private lastDelta = 0;

  /** Refuses a mode that is not `deterministic`, an integer 0-10 or `auto`, and `auto` without a host clock (RangeError). */
  constructor(options: InstructionClockOptions = {}) {
    const mode = options.mode ?? 'deterministic';
    if (mode === 'auto') {
      if (options.host === undefined || typeof options.host.now !== 'function') throw new RangeError('icount auto needs the host clock it follows');
      this.shift = ICOUNT_AUTO_INITIAL_SHIFT;
    } else if (mode === 'deterministic') {
      this.shift = -1;
    } else if (Number.isInteger(mode) && mode >= 0 && mode <= ICOUNT_MAX_SHIFT) {
      this.shift = mode;
    } else {
      throw new RangeError(`icount shift ${String(mode)} is not an integer 0-${ICOUNT_MAX_SHIFT} or 'auto'`);
    }
    this.mode = mode;
    this.nsPer = this.shift < 0 ? ICOUNT_NANOS_PER_INSTRUCTION : 2 ** this.shift;
    this.host = mode === 'auto' ? options.host! : null;
    this.count = options.count ?? ((): number => 0);
  }

  /** Sets the instruction counter the clock follows. */
  bind(count: () => number): void {
    this.count = count;
  }

  /** Nanoseconds of guest time per instruction now (2^shift, or 1000 under `deterministic`). */
  get nanosPerInstruction(): number {
    return this.nsPer;
  }

  /** Guest nanoseconds: instructions retired at the current rate, plus the time skipped by {@link warpTo}. An integer. */
  nanos(): number {
    return (this.count() - this.baseCount) * this.nsPer + this.baseNs + this.warpedNs;
  }

  /** Microseconds (fractional unless `deterministic`). */
  now(): number {
    return this.nanos() / 1000;
  }

  /** Ticks of a `hz` counter since the origin, rounded down: exact when `hz` divides 10^9 (mtime's 10 MHz does). */
  ticks(hz: number): number {
    const ns = this.nanos();
    if (1e9 % hz === 0) return floorDiv(ns, 1e9 / hz);
    return Math.floor((ns / 1e9) * hz);
  }

  /**
   * Moves the clock forward to `us` (rounded up to a whole microsecond
   * under `deterministic`, to a whole nanosecond otherwise), for a VM idle
   * until a timer at `us`. Never moves it back; a deadline that is not
   * finite is ignored.
   */
  warpTo(us: number): void {
    if (!Number.isFinite(us)) return;
    const target = this.shift < 0 ? Math.ceil(us) * 1000 : Math.ceil(us * 1000);
    const now = this.nanos();
    if (target > now) this.warpedNs += target - now;
  }

  /** Microseconds skipped by warps so far. */
  get skipped(): number {
    return this.warpedNs / 1000;
  }

  /**
   * Under `auto`, at most every {@link ICOUNT_AUTO_PERIOD_NS} of host time:
   * compares guest time with the host's (both from the first call) and, as
   * QEMU's icount_adjust, takes one step down in shift when the guest is
   * ahead and getting further ahead (by more than 0.1 s of wobble), one
   * step up (at most 10) when it is behind and falling further behind. The
   * clock goes on from its current reading, so it never jumps. Does
   * nothing in the other modes. Call it between runs of the VM.
   */
  adjust(): void {
    if (this.host === null) return;
    const hostNs = this.host.now() * 1000;
    if (this.hostStart < 0) {
      this.hostStart = hostNs - this.nanos();
      this.lastAdjust = hostNs;
      return;
    }
    if (hostNs - this.lastAdjust < ICOUNT_AUTO_PERIOD_NS) return;
    this.lastAdjust = hostNs;
    const delta = this.nanos() - (hostNs - this.hostStart);
    let shift = this.shift;
    if (delta > 0 && this.lastDelta + WOBBLE_NS < delta * 2 && shift > 0) shift--;
    if (delta < 0 && this.lastDelta - WOBBLE_NS > delta * 2 && shift < ICOUNT_MAX_SHIFT) shift++;
    this.lastDelta = delta;
    if (shift !== this.shift) {
      const n = this.count();
      this.baseNs = (n - this.baseCount) * this.nsPer + this.baseNs;
      this.baseCount = n;
      this.shift = shift;
      this.nsPer = 2 ** shift;
    }
  }

  /**
   * Snapshot: the time skipped by warps (the count is the VM's, saved with
   * it): `warped` in microseconds under `deterministic` (the format older
   * snapshots have), `warpedNs` and `nsPerInstruction` under `--icount
   * SHIFT`. `auto` follows the host and has no state worth resuming:
   * refused with a DeviceStateError.
   */
  saveState(): DeviceState {
    if (this.mode === 'auto') throw new DeviceStateError('clock', 'mode', 'cannot be saved: icount auto follows the host clock');
    if (this.mode === 'deterministic') return { warped: this.warpedNs / 1000 };
    return { warpedNs: this.warpedNs, nsPerInstruction: this.nsPer };
  }

  /** Takes a record from {@link saveState} of a clock of the same mode; refuses a bad one, or one of another mode, with a DeviceStateError before changing anything. */
  restoreState(s: DeviceState): void {
    const has = (k: string): boolean => Object.prototype.hasOwnProperty.call(s, k);
    if (this.mode === 'deterministic') {
      if (has('nsPerInstruction')) {
        throw new DeviceStateError('clock', 'nsPerInstruction', `is present: the snapshot was taken with --icount (${String(s['nsPerInstruction'])} ns per instruction), this run has --deterministic (1000)`);
      }
      this.warpedNs = stateInt(s, 'clock', 'warped', 0, Number.MAX_SAFE_INTEGER / 1000) * 1000;
      return;
    }
    if (!has('nsPerInstruction')) throw new DeviceStateError('clock', 'nsPerInstruction', `is missing: the snapshot was taken with --deterministic (1000 ns per instruction), this run has --icount ${String(this.mode)} (${this.nsPer})`);
    const per = stateInt(s, 'clock', 'nsPerInstruction', 0, Number.MAX_SAFE_INTEGER);
    if (per !== this.nsPer) throw new DeviceStateError('clock', 'nsPerInstruction', `is ${per}: the snapshot was taken with another --icount; this run has ${this.nsPer} (--icount ${String(this.mode)})`);
    this.warpedNs = stateInt(s, 'clock', 'warpedNs', 0, Number.MAX_SAFE_INTEGER);
  }
}
