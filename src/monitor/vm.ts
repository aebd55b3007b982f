/**
 * A VM: the virt machine (src/machine/) and the run state around it.
 *
 * Owns `run(budget)`, which executes the hart in slices and turns what
 * happens into a {@link VmExit}; stopping, closing and restarting; the
 * guest's exit and reset requests; and snapshots of the whole VM. No host
 * services: yielding to the event loop is the driver's job (driver.ts):
 * `run` never waits.
 */

import { Csr, ExitReason, Mip } from '../cpu/index.js';
import type { ExitReport } from '../devices/index.js';
import { DeviceStateError, stateBool, stateInt, type DeviceState } from '../state/index.js';
import { VirtMachine, VmConfigError, type ExitSource, type VirtMachineOptions } from '../machine/index.js';
import { crc32, decodeVmSnapshot, encodeVmSnapshot, ramImages, SnapshotError, snapshotMismatch, type SnapshotMeta } from '../snapshot/index.js';
import type { GuestExit, VmExit } from './exit.js';
import { InstructionClock } from './icount.js';
import type { VmObserver } from './trace.js';

/**
 * Instructions per hart slice inside `run`. Between slices the CLINT
 * compares mtime with mtimecmp, so this bounds timer latency (about 0.1 ms
 * on V8, a few ms on XS) without costing much.
 */
export const HART_SLICE = 10_000;

/** Options of a {@link VirtVm}: the machine's, with an observer that also watches the run. */
export interface VirtVmOptions extends Omit<VirtMachineOptions, 'observe'> {
  /**
   * Traces and counts what the VM does (src/monitor/trace.ts): devices are
   * registered through its proxies, interrupt lines and the SBI wrapped, the
   * hart given a trap hook. Omitted (the default): none of that, so nothing
   * is paid for it.
   */
  readonly observe?: VmObserver;
}

/** How a snapshot numbers the source of a guest exit. */
const EXIT_SOURCES: readonly ExitSource[] = Object.freeze(['finisher', 'htif', 'sbi']);

/** The VM run state of a snapshot, checked; refuses a bad record with a DeviceStateError. */
function readRunState(s: DeviceState, sbi: boolean): {
  steps: number; retiredBefore: number; resets: number; phase: number; idle: boolean; exit: GuestExit | null; sbiCalls: number; sbiUnsupported: number;
} {
  const big = (f: string): number => stateInt(s, 'vm', f, 0, Number.MAX_SAFE_INTEGER);
  const exited = stateBool(s, 'vm', 'exited');
  const status = stateInt(s, 'vm', 'exitStatus', 0, Number.MAX_SAFE_INTEGER);
  const source = stateInt(s, 'vm', 'exitSource', 0, EXIT_SOURCES.length - 1);
  if (sbi !== Object.prototype.hasOwnProperty.call(s, 'sbiCalls')) throw new DeviceStateError('vm', 'sbiCalls', sbi ? 'is missing' : 'is present without firmware sbi');
  return {
    steps: big('steps'), retiredBefore: big('retiredBefore'), resets: big('resets'),
    phase: stateInt(s, 'vm', 'phase', 0, HART_SLICE - 1), idle: stateBool(s, 'vm', 'idle'),
    exit: exited ? { kind: 'exit', status, source: EXIT_SOURCES[source] } : null,
    sbiCalls: sbi ? big('sbiCalls') : 0, sbiUnsupported: sbi ? big('sbiUnsupported') : 0,
  };
}

/** The machine's parts a VM shows as its own (see {@link VirtMachine} for each). */
const MACHINE_PARTS = Object.freeze([
  'space', 'hart', 'clock', 'board', 'clint', 'plic', 'uart', 'finisher', 'gpio', 'virtio', 'htif', 'firmware', 'sbi', 'image',
  'ramBase', 'ramSize', 'ramAllocated', 'fdtAddress', 'fdtSize',
] as const);

/** The machine's parts on the VM: `vm.hart` is `vm.machine.hart`, and so on. */
export interface VirtVm extends Readonly<Pick<VirtMachine, (typeof MACHINE_PARTS)[number]>> {}

/** One VM of the virt machine. */
export class VirtVm {
  /** The machine: memory, devices, hart and boot state; its parts are also the VM's (`vm.hart`, `vm.uart`, ...). */
  readonly machine: VirtMachine;
  /** Times the guest asked for a reset (test finisher 0x7777) and got one. */
  resets = 0;

  private stepsBefore = 0; // steps of hart runs, for the driver's instruction limit
  private retiredBefore = 0; // instret of hart lives ended by a reset
  private request: ExitReport | null = null;
  private requestSource: ExitSource = 'finisher';
  private stopReason: string | null = null;
  private finalExit: VmExit | null = null;
  private idle = false;
  /**
   * Steps into the current hart slice of HART_SLICE instructions (0 at a
   * boundary). Slices end at the same instruction counts however `run`
   * budgets are cut (a driver's turns, an instruction limit, a snapshot
   * taken and resumed), and the CLINT is looked at only at their ends and
   * after a WFI, so a deterministic run resumed from a snapshot takes its
   * timer interrupts where the uninterrupted one does.
   */
  private phase = 0;
  private wake: (() => void) | null = null;
  private closed = false;
  /** The observer (options.observe), or undefined: then nothing is wrapped or hooked. */
  private readonly observer: VmObserver | undefined;

  /** Builds the machine (see {@link VirtMachine}'s constructor for what it refuses); nothing is left open when it throws. */
  constructor(options: VirtVmOptions) {
    this.observer = options.observe;
    this.observer?.attach(this);
    const m = new VirtMachine(options, {
      exit: (source: ExitSource, report: ExitReport): void => {
        // Only the first request counts; it takes effect after the storing instruction.
        if (this.request !== null) return;
        this.request = report;
        this.requestSource = source;
        m.hart.requestStop();
      },
      interrupt: (): void => {
        if (this.idle && this.wake !== null) this.wake();
      },
    });
    this.machine = m;
    const self = this as unknown as Record<string, unknown>;
    for (const part of MACHINE_PARTS) self[part] = m[part];
  }

  /** Instructions retired since the VM was built (resets included), as the hart counts them. */
  get instret(): number {
    // An observer may ask while the machine is still being built.
    return this.retiredBefore + (this.machine === undefined ? 0 : this.machine.hart.instret);
  }

  /** Instructions executed since the VM was built, trapping ones included: what an instruction limit counts. */
  get steps(): number {
    return this.stepsBefore;
  }

  /** The exit that ended the VM, or null while it can run. */
  get exit(): VmExit | null {
    return this.finalExit;
  }

  /** True while the hart waits in WFI for an interrupt. */
  get isIdle(): boolean {
    return this.idle;
  }

  /**
   * Runs the guest for up to `budget` instructions (a non-negative
   * integer) and returns why it stopped: `budget`, `idle` (WFI with nothing
   * to wake it; see {@link IdleExit}), or a final exit (`exit`, `fatal`,
   * `stopped`), which every later call returns again. Never throws: a
   * failure inside becomes a `fatal` exit.
   */
  run(budget: number): VmExit {
    if (this.finalExit !== null) return this.finalExit;
    try {
      return this.runSlices(budget);
    } catch (e) {
      return this.finish({ kind: 'fatal', reason: `monitor error: ${e instanceof Error ? e.message : String(e)}`, error: e });
    }
  }

  /**
   * Asks the VM to stop for `reason` (e.g. `timeout`): the current or next
   * `run` returns a `stopped` exit, and a driver sleeping on the VM wakes.
   * Has no effect once the VM has ended.
   */
  stop(reason: string): void {
    if (this.finalExit !== null || this.stopReason !== null) return;
    this.stopReason = reason;
    this.hart.requestStop();
    if (this.wake !== null) this.wake();
  }

  /**
   * Sets the function called when something may end an idle wait (an
   * interrupt level rises, or `stop` is called); null to clear it. A
   * driver uses it to sleep on WFI instead of spinning. It is called from
   * device callbacks, so it must only schedule work.
   */
  setWakeHandler(handler: (() => void) | null): void {
    this.wake = handler;
  }

  /** Closes the UART's serial port and the GPIO pins. The VM ends with `stopped` if it had not ended. Closing twice is harmless. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.finalExit === null) this.finalExit = { kind: 'stopped', reason: 'closed' };
    this.wake = null;
    this.machine.close();
  }

  // ------------------------------------------------------------- internals

  private runSlices(budget: number): VmExit {
    if (!Number.isInteger(budget) || budget < 0) throw new VmConfigError('bad-option', 'budget', `${budget} is not a non-negative integer`);
    const hart = this.hart;
    let left = budget;
    for (;;) {
      if (this.stopReason !== null) return this.finish({ kind: 'stopped', reason: this.stopReason });
      if (this.phase === 0 || this.idle) this.clint.update();
      if (this.idle) {
        // WFI ends when an interrupt is pending and enabled in mie (privileged spec 3.3.3).
        if (!hart.wakeupPending) {
          // Only a timer interrupt the guest enabled can end the wait by itself; with MTIE clear
          // the CLINT's deadline (possibly already past) wakes nothing.
          const timerEnabled = (hart.readCsr(Csr.mie) & (this.sbi === null ? Mip.MTIP : Mip.STIP)) !== 0;
          return { kind: 'idle', deadline: timerEnabled ? this.clint.nextDeadline() : Infinity };
        }
        this.idle = false;
      }
      if (left === 0) return { kind: 'budget' };
      const room = HART_SLICE - this.phase;
      const slice = left < room ? left : room;
      const why = hart.run(slice);
      if (this.observer !== undefined) this.observer.runExit(why);
      const steps = hart.lastRunSteps;
      this.stepsBefore += steps;
      left -= steps;
      this.phase = this.phase + steps >= HART_SLICE ? 0 : this.phase + steps;
      if (this.request !== null) {
        const report = this.request;
        this.request = null;
        if (report.kind === 'reset') {
          this.resetGuest();
          continue;
        }
        return this.finish({ kind: 'exit', status: report.status, source: this.requestSource });
      }
      if (why === ExitReason.Wfi) {
        this.idle = true;
        this.phase = 0;
      } else if (why === ExitReason.Fatal) {
        const e = hart.fatalError;
        return this.finish({ kind: 'fatal', reason: `hart stopped: ${e instanceof Error ? e.message : String(e)}`, error: e });
      }
      // ExitReason.Stop without a request is a stop(): the loop's first check returns it.
    }
  }

  private finish(exit: VmExit): VmExit {
    this.finalExit = exit;
    this.idle = false;
    return exit;
  }

  /**
   * Boots the VM afresh, for a monitor restarting it (a fault with
   * `onFault: restart`, or any time): RAM cleared, devices reset, image and
   * device tree written again, the hart at the entry; the exit that ended
   * the VM is forgotten, so `run` goes on. Ports and pins stay open. Counts
   * in {@link resets}; wakes a driver sleeping on the VM. Refuses a closed VM (VmConfigError 'bad-option').
   */
  restart(): void {
    if (this.closed) throw new VmConfigError('bad-option', 'restart', 'the VM is closed');
    for (const piece of this.machine.ram) piece.bytes.fill(0);
    this.request = null;
    this.stopReason = null;
    this.finalExit = null;
    this.resetGuest();
    // A driver sleeping on WFI must run the fresh hart now, not at its next recheck.
    if (this.wake !== null) this.wake();
  }

  /**
   * The guest asked for a reset (finisher 0x7777): as QEMU's system reset
   * (see {@link VirtMachine.reset}); the hart's retired count carries over.
   */
  private resetGuest(): void {
    this.retiredBefore += this.hart.instret;
    this.machine.reset();
    this.resets++;
    this.phase = 0;
    this.idle = false;
  }

  /**
   * Saves the VM as a snapshot file: what it was taken from (board, RAM
   * size, image, firmware, deterministic clock, hart id), the hart, RAM
   * (pages that are not all zero), every device, the instruction clock and
   * the VM's run state (instruction counts, WFI, resets, the guest's exit
   * if it exited). Call between runs. `producer` names the xsvisor version
   * in the file (default `unknown`). Returns the file's bytes; changes
   * nothing the guest can see.
   */
  snapshot(options: { readonly producer?: string } = {}): Uint8Array {
    const exit = this.finalExit !== null && this.finalExit.kind === 'exit' ? this.finalExit : null;
    const run: { [field: string]: number | boolean } = {
      steps: this.stepsBefore, retiredBefore: this.retiredBefore, resets: this.resets, idle: this.idle, phase: this.phase,
      exited: exit !== null, exitStatus: exit?.status ?? 0, exitSource: exit === null ? 0 : EXIT_SOURCES.indexOf(exit.source),
    };
    if (this.sbi !== null) {
      run.sbiCalls = this.sbi.stats.calls;
      run.sbiUnsupported = this.sbi.stats.unsupported;
    }
    return encodeVmSnapshot({
      meta: this.snapshotMeta(options.producer ?? 'unknown'),
      hart: this.hart.saveState(),
      vm: run,
      clock: this.clock instanceof InstructionClock ? this.clock.saveState() : null,
      devices: this.machine.stateDevices().map((d) => ({ name: d.name, state: d.saveState() })),
      ram: ramImages(this.machine.ram),
    });
  }

  /**
   * Puts this VM in the state a {@link snapshot} saved, so that `run` goes
   * on from there; for a VM just built with the options of the saved one
   * (ports and pins stay this VM's). A guest that had exited is ended again
   * with the same exit. Refuses with a {@link SnapshotError}: a file that
   * is not a snapshot, of another format version, truncated or corrupt
   * (checked before anything changes); one taken from another image,
   * board, RAM size, firmware, clock mode or device set (`mismatch`,
   * before anything changes); saved state a device or the hart refuses
   * (`bad-state`): the VM is then closed, so no half-restored VM runs.
   * Refuses a closed VM (VmConfigError 'bad-option').
   */
  restore(bytes: Uint8Array): void {
    if (this.closed) throw new VmConfigError('bad-option', 'restore', 'the VM is closed');
    const snap = decodeVmSnapshot(bytes);
    const mismatch = snapshotMismatch(snap.meta, this.snapshotMeta(snap.meta.producer));
    if (mismatch !== null) throw mismatch;
    const devices = this.machine.stateDevices();
    const saved = new Map(snap.devices.map((d) => [d.name, d.state]));
    const names = devices.map((d) => d.name);
    const extra = snap.devices.filter((d) => !names.includes(d.name)).map((d) => d.name);
    const missing = names.filter((n) => !saved.has(n));
    if (extra.length > 0 || missing.length > 0) {
      const why = [missing.length > 0 ? `no saved state for ${missing.join(', ')}` : '', extra.length > 0 ? `saved devices this VM lacks: ${extra.join(', ')}` : ''];
      throw new SnapshotError('mismatch', 'devices', why.filter((w) => w !== '').join('; '));
    }
    if (snap.ram.length !== this.machine.ram.length || snap.ram.some((r, i) => r.base !== this.machine.ram[i].base || r.length !== this.machine.ram[i].bytes.length)) {
      throw new SnapshotError('mismatch', 'ram', 'the saved RAM pieces do not lie where this VM has RAM (another ROM layout)');
    }
    const icount = this.clock instanceof InstructionClock ? this.clock : null;
    if ((icount !== null) !== (snap.clock !== null)) {
      throw new SnapshotError('corrupt', 'section CLCK', icount === null ? 'present, but the snapshot says the wall clock' : 'missing for deterministic time');
    }
    try {
      const run = readRunState(snap.vm, this.sbi !== null);
      this.hart.restoreState(snap.hart);
      this.stepsBefore = run.steps;
      this.retiredBefore = run.retiredBefore;
      this.resets = run.resets;
      this.phase = run.phase;
      this.idle = run.idle;
      this.request = null;
      this.stopReason = null;
      this.finalExit = run.exit;
      if (this.sbi !== null) {
        this.sbi.stats.calls = run.sbiCalls;
        this.sbi.stats.unsupported = run.sbiUnsupported;
      }
      // The clock before the CLINT, which sets mtime against it; the hart's mip as saved, after the devices drove it.
      if (icount !== null) icount.restoreState(snap.clock!);
      for (const d of devices) d.restoreState(saved.get(d.name)!);
      const mip = stateInt(snap.hart, 'hart', 'mipHw', 0, 0xfff);
      for (const cause of [1, 3, 5, 7, 9, 11]) this.hart.setInterruptPending(cause, ((mip >>> cause) & 1) !== 0);
      for (let i = 0; i < this.machine.ram.length; i++) {
        const piece = this.machine.ram[i].bytes;
        piece.fill(0);
        for (const p of snap.ram[i].pages) piece.set(p.bytes, p.offset);
      }
    } catch (e) {
      this.close();
      if (e instanceof DeviceStateError) throw new SnapshotError('bad-state', e.device, e.message);
      throw e;
    }
  }

  /** What this VM is, as a snapshot records it (the board as a CRC-32 of what guests can tell of it). */
  private snapshotMeta(producer: string): SnapshotMeta {
    if (this.imageHash < 0) this.imageHash = crc32(this.machine.imageBytes);
    const b = this.board;
    const lines = b.gpioLines.map((l) => [l.line, l.name, l.pin, l.direction, l.pull]);
    const description = JSON.stringify([b.platform, [...b.devices].sort(), lines]);
    const units = new Uint8Array(description.length * 2);
    for (let i = 0; i < description.length; i++) {
      units[2 * i] = description.charCodeAt(i) & 0xff;
      units[2 * i + 1] = description.charCodeAt(i) >>> 8;
    }
    return {
      producer, board: b.name, boardHash: crc32(units), ramBase: this.ramBase, ramSize: this.ramSize,
      imageHash: this.imageHash, imageLength: this.machine.imageBytes.length, firmware: this.firmware,
      deterministic: this.clock instanceof InstructionClock, hartId: this.machine.hartId,
    };
  }

  /** CRC-32 of the image, computed at the first snapshot. */
  private imageHash = -1;
}
