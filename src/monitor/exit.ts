/**
 * Why a VM's run (a `vm.run(budget)` call, or a whole `runVm`) ended.
 *
 * Owns the {@link VmExit} union. `budget` and `idle` end one call of
 * `vm.run` only (the driver carries on); `exit`, `fatal` and `stopped`
 * end the VM for good; `limit` ends a `runVm` whose instruction limit
 * was reached (the VM itself could go on).
 */

import type { ExitSource } from '../machine/index.js';

/** The guest asked to end: status from the test finisher, HTIF or the SBI. */
export interface GuestExit {
  readonly kind: 'exit';
  /** The guest's exit status: 0 for a pass, non-zero for a fail. */
  readonly status: number;
  /** What carried the request: a device, or the SBI (system reset, legacy shutdown). */
  readonly source: ExitSource;
}

/** `vm.run` spent its budget; call again. */
export interface BudgetExit {
  readonly kind: 'budget';
}

/**
 * The hart waits in WFI with no interrupt to wake it. `deadline` is the
 * clock time (microseconds, the VM's clock) when the CLINT timer will
 * fire, or Infinity when nothing is scheduled: until then only input (an
 * interrupt from a device) or a stop can wake the VM.
 */
export interface IdleExit {
  readonly kind: 'idle';
  readonly deadline: number;
}

/** `runVm` reached its instruction limit (`maxInstructions`). */
export interface LimitExit {
  readonly kind: 'limit';
  /** Instructions executed when it stopped. */
  readonly instructions: number;
}

/** The host stopped the VM (`vm.stop(reason)`): e.g. a timeout or the user quitting. */
export interface StoppedExit {
  readonly kind: 'stopped';
  readonly reason: string;
}

/** The VM cannot go on: a bug in the monitor or a host callback that threw. Never caused by a guest alone. */
export interface FatalExit {
  readonly kind: 'fatal';
  readonly reason: string;
  readonly error: unknown;
}

/** Why a run ended. */
export type VmExit = GuestExit | BudgetExit | IdleExit | LimitExit | StoppedExit | FatalExit;

/** True for exits after which the VM runs no more. */
export function isFinalExit(exit: VmExit): boolean {
  return exit.kind === 'exit' || exit.kind === 'fatal' || exit.kind === 'stopped';
}
