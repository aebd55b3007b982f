/**
 * `xsvisor run --engine xs`: a session's VMs run in Moddable's XS engine
 * (an xsnap worker, engine.ts) instead of V8: one IMAGE, or a
 * configuration's VMs under the monitor. The board file (and the
 * configuration) go to XS as text, the VMs are built and run there, each
 * UART port (and the shared console's) reaches the session's Node port on
 * a lane of the bridge; stops, Ctrl-A r and 1-9 and the release of a held
 * VM become requests sent across; snapshot files are read and written
 * here, trace lines land in the session's buffer, monitor events are said
 * as they come. The report comes back as the outcomes the session turns
 * into the exit status, as under V8.
 */

import { readFileSync } from 'node:fs';
import type { GuestExit, MonitorEvent, RegisterDump, TraceBuffer, VmExit, VmFault, VmOutcome } from '../../src/monitor/index.js';
import { EXIT } from '../exit-status.js';
import { GdbServerError, startGdbRelay, type GdbRelay } from '../gdb/index.js';
import type { RunOptions } from '../run-options.js';
import type { SessionIo } from '../session/io.js';
import type { SessionPlan, Say } from '../session/plan.js';
import type { RunEnd, SessionRun } from '../session/run.js';
import { endedBecause, sayEvent } from '../session/status.js';
import { BoardView, BoardViewError, RemoteBoardPins, type ConsoleMirror } from '../view/index.js';
import { readSnapshotFile, writeSnapshotFile } from '../snapshot-file.js';
import { stuckMessage } from '../stuck.js';
import { startXsEngine, XsEngineUnavailableError, type XsEngineOptions, type XsEngineResult, type XsEngineRun } from './engine.js';
import type { XsHostLane } from './host.js';
import type { XsControl, XsExitDescription, XsFault, XsMonitorEvent, XsVmSetup } from './protocol.js';

/** Options of {@link startXsRun}. */
export interface XsRunOptions {
  readonly plan: SessionPlan;
  readonly io: SessionIo;
  readonly opts: RunOptions;
  readonly err: Say;
  /** The version written into snapshots (`--snapshot-save`). */
  readonly producer: string;
  /** `--trace`'s buffer (stderr or --trace-file), or null. */
  readonly trace: TraceBuffer | null;
  /** `--view`'s console mirror (already teed in front of UART0's port by the session), or null. */
  readonly mirror: ConsoleMirror | null;
}

/**
 * Makes the run; the worker starts when the run does. Returns 65 when the
 * board file, the configuration or `--snapshot-load`'s file cannot be
 * read, 64 for a snapshot of a configuration of several VMs.
 */
export async function startXsRun(o: XsRunOptions): Promise<SessionRun | number> {
  const { plan, err, opts } = o;
  const vm = plan.vms[0];
  let boardText: string;
  const boardPath = plan.config?.boardPath ?? plan.boardPath;
  const boardFile = plan.config?.boardFile ?? plan.boardFile;
  try {
    boardText = readFileSync(boardPath, 'utf8');
  } catch (e) {
    err(`${boardFile}: cannot be read again for XS: ${(e as Error).message}`);
    return EXIT.BAD_INPUT;
  }
  if ((opts.snapshotSave !== null || opts.snapshotLoad !== null) && plan.vms.length !== 1) {
    err(`${plan.file}: --snapshot-save and --snapshot-load take a configuration of one VM; this one has ${plan.vms.length}`);
    return EXIT.USAGE;
  }
  // The snapshot's bytes go to XS, which restores (and checks) them as the Node engine does.
  const snapshot = opts.snapshotLoad === null ? null : readSnapshotFile(opts.snapshotLoad, err);
  if (typeof snapshot === 'number') return snapshot;
  const config = plan.config === null ? null : configOf(plan, o.io, boardText, boardFile, (e) => sayEvent(monitorEvent(e), plan, err));
  /** Controls asked for before the worker started (a client connecting at once), sent when it has. */
  const early: XsControl[] = [];
  const control = (c: XsControl): void => {
    if (worker === null) early.push(c);
    else worker.control(c);
  };
  let worker: XsEngineRun | null = null;
  // --view: the page here, the pins in XS (their changes reported, presses sent back); the console is mirrored here.
  let view: BoardView | null = null;
  let pins: RemoteBoardPins | null = null;
  if (o.mirror !== null) {
    pins = new RemoteBoardPins({ lines: plan.board.gpioLines, press: (name, pressed) => control({ kind: 'press', name, pressed }) });
    view = new BoardView({ pins, console: o.mirror, boardName: plan.board.name });
    try {
      err(`board view at ${await view.start()}`);
    } catch (e) {
      await view.close();
      if (!(e instanceof BoardViewError)) throw e;
      err(e.message);
      return EXIT.UNAVAILABLE;
    }
  }
  const viewPins = pins;
  // --gdb: the stub runs in XS beside the VM; this process relays the socket's bytes (host/gdb/relay.ts).
  let relay: GdbRelay | null = null;
  let gdbVm = 0;
  if (opts.gdb !== null) {
    const g = opts.gdb;
    gdbVm = g.vm === null ? 0 : plan.vms.findIndex((v) => v.name === g.vm);
    if (gdbVm < 0) {
      await view?.close();
      err(`--gdb-vm: ${plan.file} has no VM named '${g.vm}' (VMs: ${plan.vms.map((v) => v.name).join(', ')})`);
      return EXIT.USAGE;
    }
    try {
      relay = await startGdbRelay({
        port: g.port, host: g.host, log: err, onConnect: () => control({ kind: 'gdb', event: 'connect' }), onGone: () => control({ kind: 'gdb', event: 'gone' }),
      });
    } catch (e) {
      await view?.close();
      if (!(e instanceof GdbServerError)) throw e;
      err(e.message);
      return EXIT.UNAVAILABLE;
    }
    err(`gdb listening on ${relay.address}${plan.single ? '' : ` for VM '${plan.vms[gdbVm].name}'`}${g.wait ? ' (the guest waits for gdb)' : ''}`);
  }
  const debugged = relay;
  let stopped: string | null = null;
  let reported = 0; // instructions retired, as XS last said (OP.PROGRESS)
  const stoppedEnd = (reason: string): RunEnd => end({ kind: 'stopped', reason }, 0, 0, null, null);
  return {
    async run(): Promise<RunEnd | number> {
      if (stopped !== null) return stoppedEnd(stopped);
      try {
        worker = await startXsEngine({
          image: vm.image, imageName: vm.imageName, boardText, boardFile: plan.boardFile, ramSize: vm.ramSize,
          tier: opts.tier, clock: plan.clock, firmware: vm.firmware, bootargs: vm.bootargs, dtb: vm.dtb, loads: config === null ? vm.loads : [],
          maxInsns: opts.maxInsns, port: o.io.ports[0], onConsoleOutput: o.io.console[0], log: (line) => err(line),
          snapshotLoad: snapshot === null ? null : { name: opts.snapshotLoad!, bytes: snapshot },
          snapshotProducer: opts.snapshotSave === null ? null : `xsvisor ${o.producer}`,
          trace: opts.trace, onTrace: (text) => sink(o.trace, text), stats: opts.stats,
          onProgress: (instret) => {
            reported = instret;
          },
          config,
          onPins: viewPins === null ? undefined : (states) => viewPins.update(states),
          gdb: debugged === null ? null : { vm: gdbVm, wait: opts.gdb!.wait, port: debugged.factory, onEnd: () => debugged.endClient() },
        });
      } catch (e) {
        if (!(e instanceof XsEngineUnavailableError)) throw e;
        err(e.message);
        return EXIT.UNAVAILABLE;
      }
      if (stopped !== null) worker.stop(stopped);
      for (const c of early.splice(0)) worker.control(c);
      const result = await worker.done;
      const ran = interpret(result, plan, err);
      if (typeof ran === 'number' || opts.snapshotSave === null || result.snapshot === null) return ran;
      return { ...ran, saveStatus: writeSnapshotFile(result.snapshot, opts.snapshotSave, err) };
    },
    stop(reason) {
      stopped ??= reason;
      worker?.stop(reason);
    },
    instret: () => reported,
    release: (name) => control({ kind: 'release', vm: name }),
    restart(): boolean {
      if (!plan.single) return false;
      worker?.restart();
      return true;
    },
    focus(index): boolean {
      if (plan.single || worker === null) return false;
      control({ kind: 'focus', index });
      return true;
    },
    close: async () => {
      await relay?.close();
    },
    // Last, so the page gets the guest's final output before it is told why the run ended.
    closeView: async (end) => view?.close(end === null ? 'stopped' : endedBecause(end.outcomes[0].exit)),
  };
}

/** XS's trace text (whole lines) into the session's buffer, line by line as a tracer in this process gives them. */
function sink(trace: TraceBuffer | null, text: string): void {
  if (trace === null) return;
  let at = 0;
  for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', at)) {
    trace.sink(text.slice(at, nl));
    at = nl + 1;
  }
}

/** An exit as XS described it. */
function exitOf(r: XsExitDescription & { readonly error?: string }): VmExit {
  switch (r.kind) {
    case 'exit':
      return { kind: 'exit', status: r.status ?? 1, source: (r.source ?? 'finisher') as GuestExit['source'] };
    case 'limit':
      return { kind: 'limit', instructions: r.instructions ?? 0 };
    case 'stopped':
      return { kind: 'stopped', reason: r.reason ?? 'stopped' };
    default:
      return { kind: 'fatal', reason: r.reason ?? r.error ?? `the run ended with '${r.kind}'`, error: null };
  }
}

function faultOf(f: XsFault | undefined): VmFault | null {
  return f === undefined ? null : { kind: f.kind as VmFault['kind'], reason: f.reason, dump: f.dump as unknown as RegisterDump };
}

/** A monitor event from XS, as the monitor in this process would give it. */
function monitorEvent(e: XsMonitorEvent): MonitorEvent {
  return e.kind === 'fault'
    ? { kind: 'fault', vm: e.vm, fault: faultOf(e.fault)!, action: e.action, restarts: e.restarts }
    : { kind: 'ended', vm: e.vm, exit: exitOf(e.exit) };
}

/**
 * A configuration for XS: its VMs' images and `load` files as DATA files,
 * and a lane for each port the session opened (the shared console's first),
 * each VM held as under V8 until its port's client connects.
 */
function configOf(plan: SessionPlan, io: SessionIo, boardText: string, boardFile: string, onEvent: (e: XsMonitorEvent) => void): NonNullable<XsEngineOptions['config']> {
  const data: Uint8Array[] = [];
  const lanes: XsHostLane[] = [];
  const sharedLane = io.sharedPort === undefined ? null : lanes.push({ port: io.sharedPort }) - 1;
  const sharedNames = plan.vms.filter((v) => v.uart.kind === 'console').map((v) => v.name);
  const vms = plan.vms.map((v, i): XsVmSetup => {
    const image = data.push(v.image) - 1;
    const loads = v.loads.map((l) => data.push(l.bytes) - 1);
    const port = io.ports[i];
    const lane = port === undefined ? null : lanes.push({ port, onConsole: io.console[i] }) - 1;
    const shared = v.uart.kind === 'console' && sharedLane !== null ? sharedNames.indexOf(v.name) : null;
    return { image, loads, lane, shared, console: io.console[i] !== undefined, held: io.waiting.has(v.name) };
  });
  return {
    setup: { text: plan.config!.text, file: plan.file, boardText, boardFile, vms, slice: plan.slice, sharedLane, sharedNames },
    data,
    lanes,
    onEvent,
  };
}

function end(exit: VmExit, instret: number, seconds: number, fault: VmFault | null, traceStats: readonly string[] | null): RunEnd {
  const outcome: VmOutcome = { name: 'vm', exit, fault, restarts: 0, instret };
  return { outcomes: [outcome], seconds, traceStats: [traceStats], saveStatus: null };
}

/** XS's report as the VM's outcome, or the status of a run that failed (said already). */
function interpret(result: XsEngineResult, plan: SessionPlan, err: Say): RunEnd | number {
  const r = result.report;
  const signal = result.exit?.signal ?? null;
  if (r === null && (result.stopReason !== null || signal === 'SIGINT' || signal === 'SIGTERM' || signal === 'SIGHUP')) {
    // Killed after a stop request, or by a signal sent to the whole process group (Ctrl-C, timeout(1)) along with us.
    return end({ kind: 'stopped', reason: result.stopReason ?? signal! }, 0, 0, null, null);
  }
  if (r === null) {
    const why = result.exit?.code === 11 ? ' (XS ran out of memory: try a smaller --ram)' : '';
    err(`internal error: the XS engine failed: ${result.error ?? 'no report'}${why}`);
    return EXIT.INTERNAL;
  }
  if (r.kind === 'refused') {
    err(r.error ?? 'the VM could not be built');
    return EXIT.BAD_INPUT;
  }
  if (r.vms !== undefined) {
    const outcomes = r.vms.map((v): VmOutcome => ({ name: v.name, exit: exitOf(v), fault: faultOf(v.fault), restarts: v.restarts, instret: v.instret }));
    return { outcomes, seconds: r.seconds, traceStats: r.vms.map((v) => v.traceStats ?? null), saveStatus: null };
  }
  const exit = exitOf(r);
  const fault = faultOf(r.fault);
  if (fault !== null) {
    // The guest's own wedging (XS reports no other faults): the cause and the likely fix, as under V8.
    const v = plan.vms[0];
    for (const line of stuckMessage({ ...fault, imageName: v.imageName, image: v.image, firmware: v.firmware })) err(line);
  }
  return end(exit, r.instret, r.seconds, fault, r.traceStats ?? null);
}
