/**
 * The driver: runs a VM to its end on the engine's event loop.
 *
 * Owns the pacing. Each turn runs one slice of instructions, then hands
 * the event loop back through the scheduler port (`soon`) so that serial
 * and pin callbacks run between slices. When the hart waits in WFI the
 * driver sleeps (`after`) until the CLINT's next deadline, or until the VM
 * reports a wake-up (an interrupt level rose: input arrived, a pin
 * changed) or a stop, instead of spinning. Given a {@link FaultWatch}, it
 * applies the monitor's fault rules (fault.ts) after every slice and stops
 * a guest that makes no progress. It resolves with the exit that ended
 * the run.
 */

import type { ScheduledTask, Scheduler } from '../ports/index.js';
import type { VmExit } from './exit.js';
import { dumpRegisters, type FaultWatch, type VmFault, type WatchedVm } from './fault.js';
import type { VirtVm } from './vm.js';

/** Instructions per turn of the event loop: about 1 ms on V8; an XS board wants fewer. */
export const DEFAULT_SLICE_INSTRUCTIONS = 100_000;
/**
 * Longest idle sleep, in microseconds, when no timer is due: the driver
 * looks again after it. This also keeps the event loop alive (a guest
 * parked forever with nothing that can wake it waits, as under QEMU,
 * rather than letting the process end under it).
 */
export const DEFAULT_IDLE_RECHECK = 1_000_000;

/** What the driver needs of a VM (a {@link VirtVm}, or a stand-in in tests). */
export type DrivableVm = Pick<VirtVm, 'run' | 'steps' | 'clock' | 'setWakeHandler'>;

/** Options of {@link runVm}. */
export interface RunVmOptions {
  readonly vm: DrivableVm;
  readonly scheduler: Scheduler;
  /** Stop after this many instructions (executed, trapping ones included) with a `limit` exit. Omitted or null: no limit. */
  readonly maxInstructions?: number | null;
  /** Instructions per turn of the event loop (default {@link DEFAULT_SLICE_INSTRUCTIONS}). */
  readonly sliceInstructions?: number;
  /** Longest idle sleep in microseconds (default {@link DEFAULT_IDLE_RECHECK}). */
  readonly idleRecheck?: number;
  /** Called after every slice (e.g. for statistics); must not throw. */
  onSlice?(): void;
  /**
   * The monitor's fault rules for this VM (fault.ts), sampled after every
   * slice: a fault found ends the run with a `stopped` exit whose reason is
   * `fault: ...`, after `onFault` was told (it should stop the VM). Omitted:
   * no rules.
   */
  readonly faults?: { readonly watch: FaultWatch; readonly vm: WatchedVm; onFault(fault: VmFault): void };
}

/**
 * Takes a VM and a scheduler; runs the VM in slices on the event loop and
 * resolves with the exit that ended the run: the guest's `exit`, a
 * `fatal` error, a `stopped` VM (`vm.stop(reason)`, e.g. on a timeout), or
 * `limit` when `maxInstructions` were executed. Never rejects. Refuses
 * (throws at once) a slice or limit that is not a positive integer.
 */
export function runVm(options: RunVmOptions): Promise<VmExit> {
  const { vm, scheduler } = options;
  const slice = options.sliceInstructions ?? DEFAULT_SLICE_INSTRUCTIONS;
  const max = options.maxInstructions ?? null;
  const recheck = options.idleRecheck ?? DEFAULT_IDLE_RECHECK;
  if (!Number.isSafeInteger(slice) || slice <= 0) throw new RangeError(`sliceInstructions ${slice} is not a positive integer`);
  if (max !== null && (!Number.isSafeInteger(max) || max <= 0)) throw new RangeError(`maxInstructions ${max} is not a positive integer`);
  if (!(recheck > 0)) throw new RangeError(`idleRecheck ${recheck} is not a positive number`);

  return new Promise<VmExit>((resolve) => {
    let task: ScheduledTask | null = null;
    let sleeping = false;
    let done = false;

    const finish = (exit: VmExit): void => {
      done = true;
      sleeping = false;
      vm.setWakeHandler(null);
      if (task !== null) scheduler.cancel(task);
      task = null;
      resolve(exit);
    };

    const wakeUp = (): void => {
      // Called from device callbacks or stop(): only reschedule.
      if (done || !sleeping) return;
      sleeping = false;
      if (task !== null) scheduler.cancel(task);
      task = scheduler.soon(step);
    };

    function step(): void {
      task = null;
      sleeping = false;
      if (done) return;
      let budget = slice;
      if (max !== null) {
        const left = max - vm.steps;
        if (left <= 0) {
          finish({ kind: 'limit', instructions: vm.steps });
          return;
        }
        if (left < budget) budget = left;
      }
      let exit: VmExit;
      try {
        exit = vm.run(budget);
        options.onSlice?.();
      } catch (e) {
        finish({ kind: 'fatal', reason: `monitor error: ${e instanceof Error ? e.message : String(e)}`, error: e });
        return;
      }
      if ((exit.kind === 'budget' || exit.kind === 'idle') && options.faults !== undefined) {
        const f = options.faults;
        const found = f.watch.observe(f.vm);
        if (found !== null) {
          const fault: VmFault = Object.freeze({ kind: found.kind, reason: found.reason, dump: dumpRegisters(f.vm.hart) });
          try {
            f.onFault(fault);
          } catch {
            // A host hook must not keep the run going.
          }
          finish({ kind: 'stopped', reason: `fault: ${fault.reason}` });
          return;
        }
      }
      if (exit.kind === 'budget') {
        task = scheduler.soon(step);
      } else if (exit.kind === 'idle') {
        const wait = exit.deadline - vm.clock.now();
        sleeping = true;
        vm.setWakeHandler(wakeUp);
        task = scheduler.after(wait < recheck ? (wait > 0 ? wait : 0) : recheck, step);
      } else {
        finish(exit);
      }
    }

    task = scheduler.soon(step);
  });
}
