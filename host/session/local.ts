/**
 * A session's VMs in this process (V8): each a VirtVm with its clock,
 * observer and ports, run by the monitor (src/monitor/monitor.ts), one VM
 * or several; with the snapshot files, the board view and the GDB server
 * around them. Faults and ends are said on stderr as they happen.
 */

import { ImageError } from '../../src/loader/index.js';
import {
  formatTraceStats, InstructionClock, Monitor, VirtVm, VmConfigError, VmTracer, type MonitorVmOptions, type TraceBuffer,
} from '../../src/monitor/index.js';
import { EXIT } from '../exit-status.js';
import { GDB_KILL, GdbServerError, startGdbServer, type GdbServer } from '../gdb/index.js';
import { createNodeClock } from '../node/clock.js';
import { createNodeScheduler } from '../node/scheduler.js';
import type { RunOptions } from '../run-options.js';
import { loadSnapshotFile, saveSnapshotFile } from '../snapshot-file.js';
import { BoardView, BoardViewError, type ConsoleMirror, type SimulatedBoardPins } from '../view/index.js';
import type { SessionIo } from './io.js';
import type { SessionPlan, Say } from './plan.js';
import type { RunEnd, SessionRun } from './run.js';
import { endedBecause, sayEvent } from './status.js';

/** Options of {@link startLocalRun}. */
export interface LocalRunOptions {
  readonly plan: SessionPlan;
  readonly io: SessionIo;
  readonly pins: SimulatedBoardPins;
  readonly opts: RunOptions;
  /** `--trace`'s buffer, or null. */
  readonly trace: TraceBuffer | null;
  /** `--view`'s console mirror, or null. */
  readonly mirror: ConsoleMirror | null;
  /** The version written into snapshots. */
  readonly producer: string;
  readonly err: Say;
}

/**
 * Builds the VMs, resumes a snapshot, starts the board view and the GDB
 * server; returns the run, or the exit status after saying why not (65 for
 * an image or snapshot refused, 64 for a snapshot of several VMs or an
 * unknown --gdb-vm, 69 for a view or GDB server that could not start).
 */
export async function startLocalRun(o: LocalRunOptions): Promise<SessionRun | number> {
  const { plan, io, opts, err } = o;
  const wall = createNodeClock();
  const vms: MonitorVmOptions[] = [];
  const tracers: (VmTracer | null)[] = [];
  const problems: string[] = [];
  const closeVms = (): void => {
    for (const v of vms) v.vm.close();
  };
  plan.vms.forEach((p, i) => {
    const icount = plan.clock === 'wall' ? null : new InstructionClock({ mode: plan.clock, host: wall });
    // --trace and --stats: an observer per VM (src/monitor/trace.ts); none otherwise, so nothing is paid.
    const tracer = opts.trace.length > 0 || opts.stats
      ? new VmTracer({ trace: opts.trace, sink: o.trace?.sink, vmName: plan.single ? undefined : p.name })
      : null;
    try {
      const vm = new VirtVm({
        image: p.image, imageName: p.imageName, ramSize: p.ramSize, board: p.board, clock: icount ?? wall,
        serial: io.ports[i], pins: o.pins.wire, firmware: p.firmware, loads: p.loads,
        bootargs: p.bootargs ?? undefined, dtb: p.dtb?.bytes, dtbName: p.dtb?.name,
        tier: opts.tier, observe: tracer ?? undefined, onConsoleOutput: io.console[i],
      });
      icount?.bind(() => vm.instret);
      for (const w of vm.image.warnings) err(plan.single ? `warning: ${w}` : `warning: VM '${p.name}': ${w}`);
      vms.push({ name: p.name, vm, onFault: p.onFault, icount: icount ?? undefined, held: io.waiting.has(p.name) });
      tracers.push(tracer);
    } catch (e) {
      if (!(e instanceof ImageError || e instanceof VmConfigError)) throw e;
      problems.push(`${p.where}${e.message}`);
    }
  });
  if (problems.length > 0) {
    closeVms();
    err(problems.join('\nxsvisor: '));
    return EXIT.BAD_INPUT;
  }

  // Snapshots: of one VM (a configuration with several is refused).
  if ((opts.snapshotSave !== null || opts.snapshotLoad !== null) && vms.length !== 1) {
    closeVms();
    err(`${plan.file}: --snapshot-save and --snapshot-load take a configuration of one VM; this one has ${vms.length}`);
    return EXIT.USAGE;
  }
  if (opts.snapshotLoad !== null) {
    // Resume instead of booting: refused (65, the VM closed) unless the snapshot fits this image, board and RAM.
    const refused = loadSnapshotFile(vms[0].vm, opts.snapshotLoad, err);
    if (refused !== null) return refused;
  }

  let view: BoardView | null = null;
  if (o.mirror !== null) {
    view = new BoardView({ pins: o.pins, console: o.mirror, boardName: plan.board.name });
    try {
      err(`board view at ${await view.start()}`);
    } catch (e) {
      closeVms();
      await view.close();
      if (!(e instanceof BoardViewError)) throw e;
      err(e.message);
      return EXIT.UNAVAILABLE;
    }
  }

  const monitor = new Monitor({
    vms,
    scheduler: createNodeScheduler(),
    sliceInstructions: plan.slice,
    maxInstructions: opts.maxInsns,
    onEvent: (e) => sayEvent(e, plan, err),
    onRound: io.shared === null ? undefined : () => io.shared?.pump(),
  });

  // --gdb: the stub takes over one VM's run (src/debug/vm-debugger.ts); the monitor drives it unchanged.
  let gdb: GdbServer | null = null;
  if (opts.gdb !== null) {
    const g = opts.gdb;
    const target = g.vm === null ? vms[0] : vms.find((v) => v.name === g.vm);
    let problem = target === undefined ? `--gdb-vm: ${plan.file} has no VM named '${g.vm}' (VMs: ${vms.map((v) => v.name).join(', ')})` : null;
    if (target !== undefined) {
      try {
        gdb = await startGdbServer({ vm: target.vm, port: g.port, host: g.host, wait: g.wait, log: err, onKill: () => monitor.stop(GDB_KILL) });
        err(`gdb listening on ${gdb.address}${plan.single ? '' : ` for VM '${target.name}'`}${g.wait ? ' (the guest waits for gdb)' : ''}`);
      } catch (e) {
        if (!(e instanceof GdbServerError)) throw e;
        problem = e.message;
      }
    }
    if (problem !== null) {
      monitor.close();
      await view?.close();
      err(problem);
      return target === undefined ? EXIT.USAGE : EXIT.UNAVAILABLE;
    }
  }

  return {
    async run(): Promise<RunEnd> {
      const outcomes = (await monitor.run()).vms;
      const saveStatus = opts.snapshotSave === null ? null : saveSnapshotFile(vms[0].vm, opts.snapshotSave, o.producer, err);
      return { outcomes, seconds: null, saveStatus, traceStats: tracers.map((t) => (t === null ? null : formatTraceStats(t.stats))) };
    },
    stop: (reason) => monitor.stop(reason),
    instret: () => vms.reduce((sum, v) => sum + v.vm.instret, 0),
    release: (name) => void monitor.release(name),
    restart(): boolean {
      if (!plan.single) return false;
      try {
        vms[0].vm.restart();
        err('guest restarted (Ctrl-A r)');
      } catch (e) {
        // Refused once the VM is closed.
        if (!(e instanceof VmConfigError)) throw e;
      }
      return true;
    },
    // The shared console is the session's (io.ts) under V8.
    focus: () => false,
    async close(): Promise<void> {
      await gdb?.close();
      monitor.close();
    },
    // Last, so the page gets the guest's final output before it is told why the run ended.
    closeView: async (end) => view?.close(end === null ? 'stopped' : endedBecause(end.outcomes[0].exit)),
  };
}
