/**
 * Deterministic time: a VM clock that counts retired instructions, as
 * QEMU's `-icount` does.
 *
 * Owns the rule: one retired instruction is {@link ICOUNT_MICROS_PER_INSTRUCTION}
 * microsecond of guest time (a 1 MIPS machine; QEMU's `-icount shift=10`
 * is the nearest, 1024 ns). With the CLINT's 10 MHz timebase that is 10
 * mtime ticks per instruction, and every reading is an integer, so no
 * rounding differs between engines. A VM waiting in WFI takes no
 * instructions, so its clock would never reach its timer: the monitor
 * then warps the clock to the deadline (QEMU's `-icount sleep=off`), which
 * costs no wall time. Output and exit status then depend only on the
 * guests and the configuration, run to run and between V8 and XS.
 */

import { stateInt, type DeviceState } from '../device/index.js';
import type { Clock } from '../ports/index.js';

/** Guest microseconds per retired instruction in deterministic mode. */
export const ICOUNT_MICROS_PER_INSTRUCTION = 1;

/** Options of an {@link InstructionClock}. */
export interface InstructionClockOptions {
  /**
   * Returns the instructions retired so far (non-decreasing), usually
   * `() => vm.instret`. May be given later with {@link InstructionClock.bind},
   * since the VM needs its clock before it exists; until then the count is 0.
   */
  readonly count?: () => number;
}

/** A {@link Clock} driven by an instruction count (see the module header). */
export class InstructionClock implements Clock {
  private count: () => number;
  private warped = 0;

  constructor(options: InstructionClockOptions = {}) {
    this.count = options.count ?? ((): number => 0);
  }

  /** Sets the instruction counter the clock follows. */
  bind(count: () => number): void {
    this.count = count;
  }

  /** Microseconds: instructions retired, plus the time skipped by {@link warpTo}. */
  now(): number {
    return this.count() * ICOUNT_MICROS_PER_INSTRUCTION + this.warped;
  }

  /**
   * Moves the clock forward to `us` (rounded up to a whole microsecond),
   * for a VM idle until a timer at `us`. Never moves it back; a deadline
   * that is not finite is ignored.
   */
  warpTo(us: number): void {
    if (!Number.isFinite(us)) return;
    const target = Math.ceil(us);
    const now = this.now();
    if (target > now) this.warped += target - now;
  }

  /** Microseconds skipped by warps so far. */
  get skipped(): number {
    return this.warped;
  }

  /** Snapshot: the time skipped by warps (the count is the VM's, saved with it). */
  saveState(): DeviceState {
    return { warped: this.warped };
  }

  /** Takes a record from {@link saveState}; refuses a bad one with a DeviceStateError before changing anything. */
  restoreState(s: DeviceState): void {
    this.warped = stateInt(s, 'clock', 'warped', 0, Number.MAX_SAFE_INTEGER);
  }
}
