/**
 * The script `xsvisor run --engine xs` evaluates in an xsnap worker: it
 * asks Node for the set-up, the image and the data files, builds the VM
 * of the virt machine (the same src/monitor code the Node engine runs),
 * or a configuration's VMs (`--config`, parsed again by the same code),
 * runs them under the monitor (the fault rules, the shared console, and
 * the warps of an instruction-count clock, as under V8), and reports how
 * they ended; one VM may resume a snapshot, save one; all may trace.
 * The UART, trace lines and snapshots cross the bridge (bridge.ts,
 * protocol.ts), one exchange per slice of instructions or chunk. Bundled
 * by run.ts with esbuild into one classic script that acts when evaluated
 * (Node modules cannot reach it: the bundler refuses them).
 */

import { parseBoard } from '../../src/board/index.js';
import { GDB_KILL, GdbConnection, GdbStub, VmDebugger } from '../../src/debug/index.js';
import { ImageError } from '../../src/loader/index.js';
import {
  DEFAULT_SLICE_INSTRUCTIONS, formatTraceStats, InstructionClock, Monitor, parseMonitorConfig, SharedConsole, TraceBuffer, VirtVm,
  VmConfigError, VmTracer, type DataImage, type MonitorEvent, type MonitorVmOptions, type TraceCategory, type VmExit, type VmFault,
} from '../../src/monitor/index.js';
import type { Clock } from '../../src/ports/index.js';
import { SnapshotError } from '../../src/snapshot/index.js';
import { BoardPinsError } from '../view/errors.js';
import { SimulatedBoardPins } from '../view/pins.js';
import { XsBridge } from './bridge.js';
import { OP, writeU32, type XsConfigSetup, type XsExitDescription, type XsFault, type XsMonitorEvent, type XsRunReport, type XsRunSetup } from './protocol.js';

interface XsnapGlobals {
  issueCommand(request: ArrayBuffer): ArrayBuffer;
  setImmediate(fn: () => void): void;
  performance: { now(): number };
  gc?(): void;
}
const xs = globalThis as unknown as XsnapGlobals;

const bridge = new XsBridge((request) => xs.issueCommand(request));
const setup = JSON.parse(new TextDecoder().decode(bridge.send(OP.SETUP))) as XsRunSetup;
const cfg: XsConfigSetup | null = setup.config;
const image = cfg === null ? bridge.send(OP.IMAGE) : new Uint8Array(0);
const dataFile = (index: number): Uint8Array => {
  const payload = new Uint8Array(4);
  writeU32(payload, 0, index);
  return bridge.send(OP.DATA, payload);
};
const dtb = setup.dtbName === null || cfg !== null ? undefined : dataFile(0);
const loads: DataImage[] = cfg !== null ? [] : setup.loads.map((l, i) => ({ name: l.name, addr: l.addr, bytes: dataFile(i + (dtb === undefined ? 0 : 1)) }));
// The last data file; asked for once the VM is built, so a bad image is said first, as under V8.
const snapshotIndex = cfg !== null ? cfg.vms.reduce((n, v) => n + 1 + v.loads.length, 0) : loads.length + (dtb === undefined ? 0 : 1);
/** GDB's bytes are handed to the stub this many at a time. */
const INPUT_CHUNK = 4096;
/** Trace lines cross in chunks of this many characters (at most), not one exchange per line. */
const TRACE_CHUNK = 16384;
const encoder = new TextEncoder();
const traceBuffer = new TraceBuffer({ write: (text) => void bridge.send(OP.TRACE, encoder.encode(text)), chunk: TRACE_CHUNK });
const traced = setup.trace.length > 0 || setup.stats;
/** How often XS tells Node the instructions retired (OP.PROGRESS), by XS's clock. */
const PROGRESS_INTERVAL_MS = 500;
const wall: Clock = { now: () => xs.performance.now() * 1000 };

function report(r: XsRunReport): void {
  bridge.send(OP.EXIT, new TextEncoder().encode(JSON.stringify(r)));
}

function describeExit(exit: VmExit): XsExitDescription {
  switch (exit.kind) {
    case 'exit':
      return { kind: exit.kind, status: exit.status, source: exit.source };
    case 'limit':
      return { kind: exit.kind, instructions: exit.instructions };
    case 'stopped':
    case 'fatal':
      return { kind: exit.kind, reason: exit.reason };
    default:
      return { kind: exit.kind };
  }
}

function describeFault(f: VmFault | null): XsFault | undefined {
  return f === null ? undefined : { kind: f.kind, reason: f.reason, dump: { ...f.dump } };
}

/** One VM built: what the monitor takes, and its tracer. */
interface Built extends MonitorVmOptions {
  readonly tracer: VmTracer | null;
}

/** A VM's clock, and its tracer (named in the trace lines when the run has several VMs). */
function clockAndTracer(vmName: string | undefined): { icount: InstructionClock | null; tracer: VmTracer | null } {
  return {
    icount: setup.clock === 'wall' ? null : new InstructionClock({ mode: setup.clock, host: wall }),
    tracer: traced ? new VmTracer({ trace: setup.trace as readonly TraceCategory[], sink: traceBuffer.sink, vmName }) : null,
  };
}

/** The one IMAGE's board pins (reported with --view). */
let boardPins: SimulatedBoardPins | null = null;

/** The one IMAGE's VM. */
function buildOne(): Built {
  const board = parseBoard(setup.boardText, setup.boardFile);
  // The board's lines at rest (buttons released), as the Node engine's simulated pins; --view reports them and presses them.
  const pins = new SimulatedBoardPins({ lines: board.gpioLines });
  boardPins = pins;
  const { icount, tracer } = clockAndTracer(undefined);
  const vm = new VirtVm({
    image, imageName: setup.imageName, ramSize: setup.ramSize, tier: setup.tier, board, clock: icount ?? wall, firmware: setup.firmware,
    bootargs: setup.bootargs ?? undefined, dtb, dtbName: setup.dtbName ?? undefined, loads, serial: setup.serial ? bridge.factory : undefined,
    pins: pins.wire, onConsoleOutput: setup.console ? (b: number) => bridge.consoleByte(b) : undefined, observe: tracer ?? undefined,
  });
  icount?.bind(() => vm.instret);
  for (const w of vm.image.warnings) bridge.log(`warning: ${w}`);
  return { name: 'vm', vm, icount: icount ?? undefined, tracer };
}

/** Thrown with the messages of every VM a configuration could not build (each named as under V8). */
class VmsRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VmConfigError';
  }
}

/** A configuration's VMs, on the board's pins; their UARTs on their lanes or on the shared console. */
function buildConfig(c: XsConfigSetup, built: Built[]): SharedConsole | null {
  const boardOf = parseBoard(c.boardText, c.boardFile);
  const config = parseMonitorConfig(c.text, c.file, () => boardOf);
  const pins = new SimulatedBoardPins({ lines: config.board.gpioLines });
  const shared = c.sharedLane === null ? null : new SharedConsole({ serial: bridge.lane(c.sharedLane), names: c.sharedNames });
  const problems: string[] = [];
  config.vms.forEach((v, i) => {
    const s = c.vms[i];
    const { icount, tracer } = clockAndTracer(v.name);
    const lane = s.lane;
    try {
      const vm = new VirtVm({
        image: dataFile(s.image), imageName: v.image, ramSize: v.ramSize, board: v.board, clock: icount ?? wall, tier: setup.tier,
        serial: lane !== null ? bridge.lane(lane) : s.shared !== null && shared !== null ? shared.factory(s.shared) : undefined,
        pins: pins.wire, firmware: v.firmware, observe: tracer ?? undefined,
        loads: s.loads.map((d, j) => ({ name: v.loads[j].file, addr: v.loads[j].addr, bytes: dataFile(d) })),
        onConsoleOutput: s.console && lane !== null ? (b: number) => bridge.consoleByte(b, lane) : undefined,
      });
      icount?.bind(() => vm.instret);
      for (const w of vm.image.warnings) bridge.log(`warning: VM '${v.name}': ${w}`);
      built.push({ name: v.name, vm, onFault: v.onFault, icount: icount ?? undefined, held: s.held, tracer });
    } catch (e) {
      if (!(e instanceof ImageError || e instanceof VmConfigError)) throw e;
      problems.push(`${c.file}: ${v.path}: VM '${v.name}': ${e.message}`);
    }
  });
  if (problems.length > 0) throw new VmsRefused(problems.join('\nxsvisor: '));
  return shared;
}

const vms: Built[] = [];
let shared: SharedConsole | null = null;
let ready = false;
try {
  if (cfg === null) vms.push(buildOne());
  else shared = buildConfig(cfg, vms);
  // Resume instead of booting; a refused snapshot closes the VM (restore's own rule), said as Node says it.
  if (setup.snapshotLoad !== null) vms[0].vm.restore(dataFile(snapshotIndex));
  ready = true;
} catch (e) {
  const refused = e instanceof ImageError || e instanceof VmConfigError || e instanceof SnapshotError || e instanceof VmsRefused;
  for (const v of vms) v.vm.close();
  shared?.close();
  report({
    kind: refused ? 'refused' : 'fatal',
    errorName: e instanceof Error ? e.name : 'Error',
    error: e instanceof SnapshotError ? `${setup.snapshotLoad}: ${e.message}` : e instanceof Error ? e.message : String(e),
    reason: refused ? undefined : `monitor error: ${e instanceof Error ? e.message : String(e)}`,
    instret: 0,
    seconds: 0,
  });
}

if (ready) {
  const first = vms[0].vm;
  const single = cfg === null;
  const instret = (): number => vms.reduce((n, v) => n + v.vm.instret, 0);
  // Ctrl-A r (the terminal's, or --serial mon:'s), one IMAGE: between slices, as V8 restarts the VM between event-loop turns.
  bridge.onRestart = () => {
    if (!single) return;
    try {
      first.restart();
      bridge.log('guest restarted (Ctrl-A r)');
    } catch (e) {
      // Refused once the VM is closed (the run is ending).
      if (!(e instanceof VmConfigError)) throw e;
    }
  };
  const started = xs.performance.now();
  let fault: VmFault | null = null;
  let rounds = 0;
  let progressAt = started;
  const monitor = new Monitor({
    vms,
    scheduler: bridge.scheduler((fn) => xs.setImmediate(fn)),
    // The slices of V8's run: the driver's with a wall clock, the monitor's with an instruction clock (so faults are found at the same count); a configuration's own.
    sliceInstructions: cfg !== null ? cfg.slice : setup.clock === 'wall' ? DEFAULT_SLICE_INSTRUCTIONS : undefined,
    maxInstructions: setup.maxInsns,
    maxRestarts: single ? 0 : undefined,
    // An exchange after every round: not before the first, so input waits until the guest has run (and set its UART up), as under V8.
    onRound: () => {
      if (rounds++ > 0) bridge.sync();
      shared?.pump();
      const now = xs.performance.now();
      if (now - progressAt >= PROGRESS_INTERVAL_MS) {
        progressAt = now;
        bridge.progress(instret());
      }
    },
    onEvent: (e) => {
      // One IMAGE: the guest's own wedging, in the report (a failure of the monitor ends as a fatal exit). Several: said as they happen.
      if (single && e.kind === 'fault' && e.fault.kind !== 'fatal') fault = e.fault;
      if (!single) bridge.send(OP.EVENT, encoder.encode(JSON.stringify(crossing(e))));
    },
  });
  bridge.onStop = (reason) => monitor.stop(reason);
  const gdb = setup.gdb === null ? null : debuggerOn(setup.gdb, vms[setup.gdb.vm].vm, () => monitor.stop(GDB_KILL));
  const view = setup.view && boardPins !== null ? pinReports(boardPins) : null;
  bridge.onControl = (c) => {
    if (c.kind === 'focus') shared?.focus(c.index);
    else if (c.kind === 'release') monitor.release(c.vm);
    else if (c.kind === 'press') view?.press(c.name, c.pressed);
    else gdb?.control(c.event);
  };
  bridge.onExchanged = () => {
    view?.report();
    gdb?.afterExchange();
  };
  // The first exchange gives the UARTs their room for output; input waits for the first slice.
  bridge.sync(false);
  void monitor.run().then((result) => {
    const seconds = (xs.performance.now() - started) / 1000;
    // The guests' last words: what is still in the UARTs' FIFOs goes out as the host makes room.
    const fifos = (): number => vms.reduce((n, v) => n + v.vm.uart.txFifoLength, 0);
    for (let i = 0; i < 64 && (fifos() > 0 || bridge.pendingOutput > 0); i++) bridge.sync();
    view?.report();
    traceBuffer.flush();
    if (setup.snapshotProducer !== null) bridge.send(OP.SNAPSHOT, first.snapshot({ producer: setup.snapshotProducer }));
    gdb?.close();
    monitor.close();
    if (shared !== null) {
      // Unfinished lines end as under V8 (the VMs' ports closing), then the queue goes out as the host takes it.
      const console = shared;
      console.flush();
      for (let i = 0; i < 64 && (console.queued > 0 || bridge.pendingOutput > 0); i++) {
        bridge.sync();
        console.pump();
      }
      console.close();
      if (bridge.pendingOutput > 0) bridge.sync();
    }
    bridge.close();
    const f = fault as VmFault | null;
    const one = result.vms[0];
    report({
      ...describeExit(one.exit), instret: single ? first.instret : instret(), seconds, fault: describeFault(f),
      traceStats: vms[0].tracer === null ? undefined : formatTraceStats(vms[0].tracer.stats),
      vms: single ? undefined : result.vms.map((o, i) => ({
        name: o.name, ...describeExit(o.exit), fault: describeFault(o.fault), restarts: o.restarts, instret: o.instret,
        traceStats: vms[i].tracer === null ? undefined : formatTraceStats(vms[i].tracer!.stats),
      })),
    });
  });
}

/**
 * `--gdb`: the VM under a debugger, its connection's bytes on `lane`: a
 * connection made when Node says a debugger connected, and ended (Node told,
 * after its last bytes) when the stub ends it.
 */
function debuggerOn(g: NonNullable<XsRunSetup['gdb']>, vm: VirtVm, onKill: () => void): { control(event: 'connect' | 'gone'): void; afterExchange(): void; close(): void } {
  let conn: GdbConnection | null = null;
  let ending = false;
  const dbg = new VmDebugger({ vm, halted: g.wait, onStop: (e) => conn?.stopped(e) });
  const stub = new GdbStub({ target: dbg, lastStop: () => dbg.lastStop });
  const chunk = new Uint8Array(INPUT_CHUNK);
  const port = bridge.lane(g.lane)({
    onReadable: () => {
      for (;;) {
        let n = 0;
        for (let b = port.read(); b !== undefined; b = n < chunk.length ? port.read() : undefined) chunk[n++] = b;
        if (n === 0) return;
        conn?.push(chunk.subarray(0, n));
      }
    },
  });
  return {
    // Node is told of the end once the connection's last bytes have crossed.
    afterExchange(): void {
      if (!ending || bridge.pendingOutput > 0) return;
      ending = false;
      bridge.send(OP.GDB_END);
    },
    control(event): void {
      if (event === 'gone') {
        conn?.gone();
        conn = null;
        return;
      }
      conn = new GdbConnection({
        debugger: dbg, stub, onKill,
        write: (bytes) => bridge.transmitOn(g.lane, bytes),
        end: () => {
          ending = true;
        },
        log: (text) => bridge.log(text),
      });
      if (!dbg.hasEnded) dbg.halt();
    },
    close(): void {
      for (let i = 0; i < 64 && ending; i++) bridge.sync();
      dbg.close();
    },
  };
}

/** `--view`: the lines that changed since the last exchange, reported once per exchange (not per guest pin write); presses from the page. */
function pinReports(pins: SimulatedBoardPins): { report(): void; press(name: string, pressed: boolean): void } {
  // Every line once at the start, so the page draws the board as it is.
  const changed = new Set<string>(pins.lines.map((l) => l.name));
  pins.subscribe((name) => changed.add(name));
  return {
    report(): void {
      if (changed.size === 0) return;
      const states = pins.states().filter((s) => changed.has(s.name));
      changed.clear();
      bridge.send(OP.PINS, encoder.encode(JSON.stringify(states)));
    },
    press(name, pressed): void {
      try {
        if (pressed) pins.press(name);
        else pins.release(name);
      } catch (e) {
        // Node checked the name already; a stale one is dropped.
        if (!(e instanceof BoardPinsError)) throw e;
      }
    },
  };
}

/** A monitor event as it crosses to Node. */
function crossing(e: MonitorEvent): XsMonitorEvent {
  return e.kind === 'fault'
    ? { kind: 'fault', vm: e.vm, fault: describeFault(e.fault)!, action: e.action, restarts: e.restarts }
    : { kind: 'ended', vm: e.vm, exit: describeExit(e.exit) };
}
