/**
 * The monitor: several isolated VMs on one engine, scheduled round-robin.
 *
 * Owns the scheduling, fault containment and the end of each VM. Each VM
 * is a {@link VirtVm} of its own; nothing is shared but the engine. A round
 * gives each runnable VM one turn of `sliceInstructions`, then yields to
 * the event loop (`soon`); VMs in WFI take no turns, and when all wait the
 * monitor sleeps (`after`) until the earliest deadline or a wake-up. A
 * fault stops (or, by policy, restarts) that VM only; the others run on.
 * See docs/design.md#the-monitor.
 */

import type { Clock, ScheduledTask, Scheduler } from '../ports/index.js';
import type { VmExit } from './exit.js';
import { dumpRegisters, FaultWatch, type FaultPolicy, type VmFault } from './fault.js';
import type { InstructionClock } from './icount.js';
import type { VirtVm } from './vm.js';

/** Instructions per VM per round when not given. */
export const MONITOR_SLICE = 20_000;
/** Restarts a VM with `onFault: restart` gets before it is stopped. */
export const DEFAULT_MAX_RESTARTS = 3;
/** Longest sleep (µs) when every VM waits with no deadline: the monitor looks again after it. */
export const MONITOR_IDLE_RECHECK = 1_000_000;

/** One VM given to the monitor. */
export interface MonitorVmOptions {
  /** Its name in events and console tags. */
  readonly name: string;
  readonly vm: VirtVm;
  /** What a fault does: stop the VM (default) or restart it. */
  readonly onFault?: 'stop' | 'restart';
  /** The VM's clock when it counts instructions (deterministic mode): idle waits warp it instead of sleeping. */
  readonly icount?: InstructionClock;
  /** The VM takes no turns until {@link Monitor.release} names it (a serial port waiting for its client); a stop still ends it. */
  readonly held?: boolean;
}

/** Something that happened to a VM, reported through {@link MonitorOptions.onEvent}. */
export type MonitorEvent =
  /** A fault stopped the VM, or restarted it. */
  | { readonly kind: 'fault'; readonly vm: string; readonly fault: VmFault; readonly action: 'stopped' | 'restarted'; readonly restarts: number }
  /** The VM ended (for any reason, a fault included). */
  | { readonly kind: 'ended'; readonly vm: string; readonly exit: VmExit };

/** Options of a {@link Monitor}. */
export interface MonitorOptions {
  readonly vms: readonly MonitorVmOptions[];
  readonly scheduler: Scheduler;
  /** Instructions per VM per round (default {@link MONITOR_SLICE}). */
  readonly sliceInstructions?: number;
  /** Per VM: stop it with a `limit` exit after this many instructions (executed, trapping ones included). Null or omitted: no limit. */
  readonly maxInstructions?: number | null;
  /** Restarts per VM before a faulting VM is stopped for good (default {@link DEFAULT_MAX_RESTARTS}). */
  readonly maxRestarts?: number;
  /** Thresholds of the fault rules (see fault.ts). */
  readonly faultPolicy?: Partial<FaultPolicy>;
  /** Longest sleep in µs while every VM waits (default {@link MONITOR_IDLE_RECHECK}). */
  readonly idleRecheck?: number;
  /** Told of faults and ends; must not throw. */
  onEvent?(event: MonitorEvent): void;
  /** Called at the start of every round, from the event loop (e.g. to pump a shared console); must not throw. */
  onRound?(): void;
}

/** How one VM ended. */
export interface VmOutcome {
  readonly name: string;
  readonly exit: VmExit;
  /** The fault that stopped it, or null. */
  readonly fault: VmFault | null;
  /** Times the monitor restarted it after a fault. */
  readonly restarts: number;
  /** Instructions it retired. */
  readonly instret: number;
}

/** What {@link Monitor.run} resolves with: every VM's outcome, in configuration order. */
export interface MonitorResult {
  readonly vms: readonly VmOutcome[];
}

interface Entry {
  readonly name: string;
  readonly vm: VirtVm;
  readonly policy: 'stop' | 'restart';
  readonly icount: InstructionClock | null;
  readonly watch: FaultWatch;
  exit: VmExit | null;
  fault: VmFault | null;
  restarts: number;
  idle: boolean;
  deadline: number;
  woken: boolean;
  held: boolean;
}

/** Runs several VMs to their ends (see the module header). */
export class Monitor {
  private readonly entries: Entry[];
  private readonly scheduler: Scheduler;
  private readonly slice: number;
  private readonly max: number | null;
  private readonly maxRestarts: number;
  private readonly recheck: number;
  private readonly onEvent: ((event: MonitorEvent) => void) | undefined;
  private readonly onRound: (() => void) | undefined;
  private task: ScheduledTask | null = null;
  private sleeping = false;
  private running = false;
  private done = false;
  private stopReason: string | null = null;
  private resolve: ((result: MonitorResult) => void) | null = null;

  /**
   * Takes the VMs and the scheduler. Refuses no VMs, duplicate names, a
   * VM given twice, and a slice, limit or restart count that is not a
   * positive (non-negative for restarts) integer, with a RangeError.
   */
  constructor(options: MonitorOptions) {
    const slice = options.sliceInstructions ?? MONITOR_SLICE;
    const max = options.maxInstructions ?? null;
    const maxRestarts = options.maxRestarts ?? DEFAULT_MAX_RESTARTS;
    const recheck = options.idleRecheck ?? MONITOR_IDLE_RECHECK;
    if (!Number.isSafeInteger(slice) || slice <= 0 || slice > 0x7fffffff) throw new RangeError(`sliceInstructions ${slice} is not a positive integer below 2^31`);
    if (max !== null && (!Number.isSafeInteger(max) || max <= 0)) throw new RangeError(`maxInstructions ${max} is not a positive integer`);
    if (!Number.isSafeInteger(maxRestarts) || maxRestarts < 0) throw new RangeError(`maxRestarts ${maxRestarts} is not a non-negative integer`);
    if (!(recheck > 0)) throw new RangeError(`idleRecheck ${recheck} is not a positive number`);
    if (options.vms.length === 0) throw new RangeError('a monitor needs at least one VM');
    const names = new Set<string>();
    const vms = new Set<VirtVm>();
    for (const v of options.vms) {
      if (names.has(v.name)) throw new RangeError(`two VMs are named '${v.name}'`);
      if (vms.has(v.vm)) throw new RangeError(`VM '${v.name}' is given twice`);
      names.add(v.name);
      vms.add(v.vm);
    }
    this.scheduler = options.scheduler;
    this.slice = slice;
    this.max = max;
    this.maxRestarts = maxRestarts;
    this.recheck = recheck;
    this.onEvent = options.onEvent;
    this.onRound = options.onRound;
    this.entries = options.vms.map((v) => ({
      name: v.name,
      vm: v.vm,
      policy: v.onFault ?? 'stop',
      icount: v.icount ?? null,
      watch: new FaultWatch({ policy: options.faultPolicy }),
      exit: null,
      fault: null,
      restarts: 0,
      idle: false,
      deadline: Infinity,
      woken: false,
      held: v.held === true,
    }));
  }

  /** The VMs' names, in configuration order. */
  get names(): readonly string[] {
    return this.entries.map((e) => e.name);
  }

  /** The VM named `name`, or undefined. */
  vm(name: string): VirtVm | undefined {
    return this.entries.find((e) => e.name === name)?.vm;
  }

  /**
   * Runs every VM until each has ended: the guest exited, a fault stopped
   * it, its instruction limit was reached, or {@link stop} was called.
   * Resolves with each VM's outcome; never rejects. Call it once.
   */
  run(): Promise<MonitorResult> {
    if (this.running) throw new RangeError('the monitor is already running');
    this.running = true;
    return new Promise<MonitorResult>((resolve) => {
      this.resolve = resolve;
      for (const e of this.entries) e.vm.setWakeHandler(() => this.wake(e));
      this.task = this.scheduler.soon(() => this.round());
    });
  }

  /** Lets a VM given as `held` run from the next round; false for no such VM or one not held. */
  release(name: string): boolean {
    const e = this.entries.find((x) => x.name === name);
    if (e === undefined || !e.held) return false;
    e.held = false;
    this.wake(e);
    return true;
  }

  /** Stops every VM that has not ended, with a `stopped` exit for `reason` (e.g. `timeout`, `quit`). */
  stop(reason: string): void {
    if (this.done || this.stopReason !== null) return;
    this.stopReason = reason;
    for (const e of this.entries) if (e.exit === null) e.vm.stop(reason);
    this.reschedule();
  }

  /** Stops the run if it goes on and closes every VM (ports and pins). Closing twice is harmless. */
  close(): void {
    if (!this.done) this.stop('closed');
    for (const e of this.entries) e.vm.close();
  }

  // ------------------------------------------------------------- internals

  private wake(e: Entry): void {
    // Called from device callbacks and stop(): only reschedule.
    e.woken = true;
    this.reschedule();
  }

  private reschedule(): void {
    if (this.done || !this.sleeping) return;
    this.sleeping = false;
    if (this.task !== null) this.scheduler.cancel(this.task);
    this.task = this.scheduler.soon(() => this.round());
  }

  private round(): void {
    this.task = null;
    this.sleeping = false;
    if (this.done) return;
    try {
      this.onRound?.();
    } catch {
      // A host hook must not end the run.
    }
    let runnable = false;
    let sleepUntil = Infinity;
    for (const e of this.entries) {
      if (e.exit !== null) continue;
      if (e.held && this.stopReason === null) continue; // asleep until release() or stop() wakes the monitor
      if (e.idle && this.stopReason === null) {
        if (e.icount !== null) {
          if (Number.isFinite(e.deadline)) {
            // Deterministic: no wall time passes for the guest; its clock jumps to the timer.
            e.icount.warpTo(e.deadline);
            e.idle = false;
          } else if (!e.woken) continue;
        } else if (!e.woken) {
          const wait = e.deadline - e.vm.clock.now();
          if (wait > 0) {
            if (wait < sleepUntil) sleepUntil = wait;
            continue;
          }
        }
      }
      e.woken = false;
      this.safeTurn(e);
      // --icount auto: the rate follows the host's clock between turns (a no-op for fixed rates).
      if (e.icount !== null) e.icount.adjust();
      if (e.exit !== null) continue;
      if (!e.idle) runnable = true;
      else if (e.icount !== null) {
        if (Number.isFinite(e.deadline)) runnable = true; // warped next round
      } else {
        const wait = e.deadline - e.vm.clock.now();
        if (wait < sleepUntil) sleepUntil = wait;
      }
    }
    if (this.entries.every((e) => e.exit !== null)) {
      this.finish();
      return;
    }
    if (runnable) {
      this.task = this.scheduler.soon(() => this.round());
      return;
    }
    this.sleeping = true;
    const wait = sleepUntil < this.recheck ? (sleepUntil > 0 ? sleepUntil : 0) : this.recheck;
    this.task = this.scheduler.after(wait, () => this.round());
  }

  /** A turn that cannot throw: anything unexpected ends this VM alone, as a fault. */
  private safeTurn(e: Entry): void {
    try {
      this.turn(e);
    } catch (err) {
      const reason = `monitor error: ${err instanceof Error ? err.message : String(err)}`;
      try {
        this.fault(e, { kind: 'fatal', reason });
      } catch {
        e.vm.stop(reason);
        this.end(e, { kind: 'stopped', reason: `fault: ${reason}` });
      }
    }
  }

  /** One turn of VM `e`: run, then judge what happened. */
  private turn(e: Entry): void {
    let budget = this.slice;
    if (this.max !== null) {
      const left = this.max - e.vm.steps;
      if (left <= 0) {
        this.end(e, { kind: 'limit', instructions: e.vm.steps });
        return;
      }
      if (left < budget) budget = left;
    }
    const exit = e.vm.run(budget); // never throws
    e.idle = exit.kind === 'idle';
    if (exit.kind === 'idle') e.deadline = exit.deadline;
    if (exit.kind === 'fatal') {
      this.fault(e, { kind: 'fatal', reason: exit.reason });
      return;
    }
    if (exit.kind === 'exit' || exit.kind === 'stopped') {
      this.end(e, exit);
      return;
    }
    const found = e.watch.observe(e.vm);
    if (found !== null) this.fault(e, found);
  }

  private fault(e: Entry, found: { kind: VmFault['kind']; reason: string }): void {
    const fault: VmFault = Object.freeze({ kind: found.kind, reason: found.reason, dump: dumpRegisters(e.vm.hart) });
    if (e.policy === 'restart' && e.restarts < this.maxRestarts && this.stopReason === null) {
      e.restarts++;
      e.vm.restart();
      e.watch.reset();
      e.idle = false;
      this.emit({ kind: 'fault', vm: e.name, fault, action: 'restarted', restarts: e.restarts });
      return;
    }
    this.emit({ kind: 'fault', vm: e.name, fault, action: 'stopped', restarts: e.restarts });
    // The VM itself ends too (a later run() returns this), whatever it was doing.
    const reason = `fault: ${fault.reason}`;
    e.vm.stop(reason);
    this.end(e, { kind: 'stopped', reason }, fault);
  }

  private end(e: Entry, exit: VmExit, fault: VmFault | null = null): void {
    e.exit = exit;
    e.fault = fault;
    e.idle = false;
    e.vm.setWakeHandler(null);
    this.emit({ kind: 'ended', vm: e.name, exit });
  }

  private emit(event: MonitorEvent): void {
    try {
      this.onEvent?.(event);
    } catch {
      // A host hook must not end the run.
    }
  }

  private finish(): void {
    this.done = true;
    if (this.task !== null) this.scheduler.cancel(this.task);
    this.task = null;
    try {
      this.onRound?.();
    } catch {
      // as above
    }
    const result: MonitorResult = Object.freeze({
      vms: Object.freeze(this.entries.map((e) => Object.freeze({
        name: e.name,
        exit: e.exit!,
        fault: e.fault,
        restarts: e.restarts,
        instret: e.vm.instret,
      }))),
    });
    this.resolve?.(result);
  }
}
