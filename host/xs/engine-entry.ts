/**
 * The script `xsvisor run --engine xs` evaluates in an xsnap worker: it
 * asks Node for the set-up, the image and the data files, builds the VM
 * of the virt machine (the same src/monitor code the Node engine runs),
 * runs it under the monitor (one VM: the fault rules, and the warps of an
 * instruction-count clock, as `--deterministic` and `--icount` under V8),
 * and reports how it ended; it may resume a snapshot, save one and trace.
 * The UART, trace lines and snapshots cross the bridge (bridge.ts,
 * protocol.ts), one exchange per slice of instructions or chunk. Bundled
 * by run.ts with esbuild into one classic script that acts when evaluated
 * (Node modules cannot reach it: the bundler refuses them).
 */

import { parseBoard } from '../../src/board/index.js';
import { ImageError } from '../../src/loader/index.js';
import {
  DEFAULT_SLICE_INSTRUCTIONS, formatTraceStats, InstructionClock, Monitor, TraceBuffer, VirtVm, VmConfigError, VmTracer,
  type DataImage, type TraceCategory, type VmExit, type VmFault,
} from '../../src/monitor/index.js';
import type { Clock } from '../../src/ports/index.js';
import { SnapshotError } from '../../src/snapshot/index.js';
import { SimulatedBoardPins } from '../view/pins.js';
import { XsBridge } from './bridge.js';
import { OP, writeU32, type XsRunReport, type XsRunSetup } from './protocol.js';

interface XsnapGlobals {
  issueCommand(request: ArrayBuffer): ArrayBuffer;
  setImmediate(fn: () => void): void;
  performance: { now(): number };
  gc?(): void;
}
const xs = globalThis as unknown as XsnapGlobals;

const bridge = new XsBridge((request) => xs.issueCommand(request));
const setup = JSON.parse(new TextDecoder().decode(bridge.send(OP.SETUP))) as XsRunSetup;
const image = bridge.send(OP.IMAGE);
const dataFile = (index: number): Uint8Array => {
  const payload = new Uint8Array(4);
  writeU32(payload, 0, index);
  return bridge.send(OP.DATA, payload);
};
const dtb = setup.dtbName === null ? undefined : dataFile(0);
const loads: DataImage[] = setup.loads.map((l, i) => ({ name: l.name, addr: l.addr, bytes: dataFile(i + (dtb === undefined ? 0 : 1)) }));
// The last data file; asked for once the VM is built, so a bad image is said first, as under V8.
const snapshotIndex = loads.length + (dtb === undefined ? 0 : 1);
/** Trace lines cross in chunks of this many characters (at most), not one exchange per line. */
const TRACE_CHUNK = 16384;
const encoder = new TextEncoder();
const traceBuffer = new TraceBuffer({ write: (text) => void bridge.send(OP.TRACE, encoder.encode(text)), chunk: TRACE_CHUNK });
const tracer = setup.trace.length > 0 || setup.stats ? new VmTracer({ trace: setup.trace as readonly TraceCategory[], sink: traceBuffer.sink }) : null;
/** How often XS tells Node the instructions retired (OP.PROGRESS), by XS's clock. */
const PROGRESS_INTERVAL_MS = 500;
const wall: Clock = { now: () => xs.performance.now() * 1000 };
const icount = setup.clock === 'wall' ? null : new InstructionClock({ mode: setup.clock, host: wall });

function report(r: XsRunReport): void {
  bridge.send(OP.EXIT, new TextEncoder().encode(JSON.stringify(r)));
}

function describeExit(exit: VmExit): Pick<XsRunReport, 'kind' | 'status' | 'source' | 'reason' | 'instructions'> {
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

let vm: VirtVm | null = null;
try {
  const board = parseBoard(setup.boardText, setup.boardFile);
  // The board's lines at rest (buttons released), as the Node engine's simulated pins without --view.
  const pins = new SimulatedBoardPins({ lines: board.gpioLines });
  vm = new VirtVm({
    image,
    imageName: setup.imageName,
    ramSize: setup.ramSize,
    tier: setup.tier,
    board,
    clock: icount ?? wall,
    firmware: setup.firmware,
    bootargs: setup.bootargs ?? undefined,
    dtb,
    dtbName: setup.dtbName ?? undefined,
    loads,
    serial: setup.serial ? bridge.factory : undefined,
    pins: pins.wire,
    onConsoleOutput: setup.console ? (b: number) => bridge.consoleByte(b) : undefined,
    observe: tracer ?? undefined,
  });
  const built = vm;
  icount?.bind(() => built.instret);
  // Resume instead of booting; a refused snapshot closes the VM (restore's own rule), said as Node says it.
  if (setup.snapshotLoad !== null) vm.restore(dataFile(snapshotIndex));
} catch (e) {
  const refused = e instanceof ImageError || e instanceof VmConfigError || e instanceof SnapshotError;
  vm?.close();
  vm = null;
  report({
    kind: refused ? 'refused' : 'fatal',
    errorName: e instanceof Error ? e.name : 'Error',
    error: e instanceof SnapshotError ? `${setup.snapshotLoad}: ${e.message}` : e instanceof Error ? e.message : String(e),
    reason: refused ? undefined : `monitor error: ${e instanceof Error ? e.message : String(e)}`,
    instret: 0,
    seconds: 0,
  });
}

if (vm !== null) {
  const running = vm;
  for (const w of running.image.warnings) bridge.log(`warning: ${w}`);
  bridge.onStop = (reason) => running.stop(reason);
  // Ctrl-A r (the terminal's, or --serial mon:'s): between slices, as V8 restarts the VM between event-loop turns.
  bridge.onRestart = () => {
    try {
      running.restart();
      bridge.log('guest restarted (Ctrl-A r)');
    } catch (e) {
      // Refused once the VM is closed (the run is ending).
      if (!(e instanceof VmConfigError)) throw e;
    }
  };
  // The first exchange gives the UART its room for output; input waits for the first slice.
  bridge.sync(false);
  const started = xs.performance.now();
  let fault: VmFault | null = null;
  let rounds = 0;
  let progressAt = started;
  const monitor = new Monitor({
    vms: [{ name: 'vm', vm: running, icount: icount ?? undefined }],
    scheduler: bridge.scheduler((fn) => xs.setImmediate(fn)),
    // The slices of V8's run: the driver's with a wall clock, the monitor's with an instruction clock (so faults are found at the same count).
    sliceInstructions: icount === null ? DEFAULT_SLICE_INSTRUCTIONS : undefined,
    maxInstructions: setup.maxInsns,
    maxRestarts: 0,
    // An exchange after every round: not before the first, so input waits until the guest has run (and set its UART up), as under V8.
    onRound: () => {
      if (rounds++ > 0) bridge.sync();
      const now = xs.performance.now();
      if (now - progressAt >= PROGRESS_INTERVAL_MS) {
        progressAt = now;
        bridge.progress(running.instret);
      }
    },
    onEvent: (e) => {
      // The guest's own wedging (not a failure of the monitor, which ends as a fatal exit).
      if (e.kind === 'fault' && e.fault.kind !== 'fatal') fault = e.fault;
    },
  });
  void monitor.run().then((result) => {
    const exit = result.vms[0].exit;
    const seconds = (xs.performance.now() - started) / 1000;
    // The guest's last words: what is still in the UART's FIFO goes out as the host makes room.
    for (let i = 0; i < 64 && (running.uart.txFifoLength > 0 || bridge.pendingOutput > 0); i++) bridge.sync();
    traceBuffer.flush();
    if (setup.snapshotProducer !== null) bridge.send(OP.SNAPSHOT, running.snapshot({ producer: setup.snapshotProducer }));
    monitor.close();
    bridge.close();
    const f = fault as VmFault | null;
    report({
      ...describeExit(exit), instret: running.instret, seconds,
      fault: f === null ? undefined : { kind: f.kind, reason: f.reason, dump: { ...f.dump } },
      traceStats: tracer === null ? undefined : formatTraceStats(tracer.stats),
    });
  });
}
