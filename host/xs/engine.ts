/**
 * `--engine xs` on Node's side: bundles engine-entry.ts, starts an xsnap
 * worker on it and serves its requests through the bridge's Node end
 * (host.ts), whose UART far end is the session's port (the terminal, a
 * TCP server or a pty). The worker is killed if it does not end soon
 * after a stop.
 */

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SerialPortFactory } from '../../src/ports/index.js';
import type { PinState } from '../view/pins.js';
import { bundleForXs } from './bundle.js';
import { XsBridgeHost, type XsHostLane } from './host.js';
import { XsEvalError, XsWorker, XsWorkerError, findXsnapWorker, type XsExit, type XsMeter } from './worker.js';
import type { XsConfigSetup, XsControl, XsMonitorEvent, XsRunReport, XsRunSetup } from './protocol.js';

// This module's folder, host/xs or dist/host/xs; reached from dist/host/cli too, where the CLI's bundle (scripts/bundle-cli.mjs) holds this code.
const HERE = join(dirname(fileURLToPath(import.meta.url)), '..', 'xs');

/** The XS engine cannot start here: xsnap-worker or esbuild is missing (both come with `npm install`). */
export class XsEngineUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'XsEngineUnavailableError';
  }
}

/**
 * Bundles engine-entry.ts (engine-entry.js when running compiled, from
 * dist/) for xsnap; once per process. Rejects with
 * {@link XsEngineUnavailableError} when esbuild is missing.
 */
export async function bundleXsEngine(): Promise<string> {
  const entry = existsSync(join(HERE, 'engine-entry.ts')) ? join(HERE, 'engine-entry.ts') : join(HERE, 'engine-entry.js');
  try {
    await import('esbuild');
  } catch (e) {
    throw new XsEngineUnavailableError('--engine xs needs esbuild, a development dependency of xsvisor: run `npm install`', { cause: e });
  }
  return bundleForXs({ entry });
}

/** Options of {@link startXsEngine}. */
export interface XsEngineOptions {
  readonly image: Uint8Array;
  readonly imageName: string;
  /** The board file's text and its name for messages. */
  readonly boardText: string;
  readonly boardFile: string;
  readonly ramSize: number;
  /** The hart's tier (`--tier`); default interp. */
  readonly tier?: 'interp' | 'jit';
  readonly maxInsns: number | null;
  /** The VM's clock (protocol.ts XsRunSetup.clock); default wall. */
  readonly clock?: XsRunSetup['clock'];
  /** `--firmware`, `--append`, `--dtb` (name and bytes) and `--load` files; defaults: none. */
  readonly firmware?: 'none' | 'sbi';
  readonly bootargs?: string | null;
  readonly dtb?: { readonly name: string; readonly bytes: Uint8Array } | null;
  readonly loads?: readonly { readonly name: string; readonly addr: number; readonly bytes: Uint8Array }[];
  /** The far end of UART0 (the Node engine's terminal, TCP or pty port); none: the guest's UART goes nowhere. */
  readonly port?: SerialPortFactory;
  /** Receives HTIF console bytes; none: they are dropped. */
  readonly onConsoleOutput?: (byte: number) => void;
  /** Lines XS logs (loader warnings). */
  readonly log: (line: string) => void;
  /** Instructions retired so far, as XS reports them while the guest runs (the CLI's progress). */
  readonly onProgress?: (instret: number) => void;
  /** `--snapshot-load`: the file's name for messages and its bytes, restored in XS before the run; none: the guest boots. */
  readonly snapshotLoad?: { readonly name: string; readonly bytes: Uint8Array } | null;
  /** With `--snapshot-save`: the producer to write into the snapshot XS takes at the end (in the result); none: no snapshot. */
  readonly snapshotProducer?: string | null;
  /** `--trace`'s categories, and where the trace lines go (whole lines, each ending in a newline). */
  readonly trace?: readonly string[];
  readonly onTrace?: (text: string) => void;
  /** `--stats`: XS counts device accesses, traps and SBI calls (the report's traceStats). */
  readonly stats?: boolean;
  /**
   * `--config`: the configuration (image, board, dtb and loads above are
   * then unused); its images and `load` files as DATA files 0, 1, ... in
   * the order its VMs name them; lanes 1, 2, ... (`port` and
   * `onConsoleOutput` are lane 0's); its monitor events as they happen.
   */
  readonly config?: {
    readonly setup: XsConfigSetup;
    readonly data: readonly Uint8Array[];
    readonly lanes: readonly XsHostLane[];
    readonly onEvent: (event: XsMonitorEvent) => void;
  } | null;
  /** `--gdb`: the VM debugged (its index), `--wait`, the port whose far end is the debugger's socket, and what to do when the stub ends a connection. */
  readonly gdb?: { readonly vm: number; readonly wait: boolean; readonly port: SerialPortFactory; readonly onEnd: () => void } | null;
  /** `--view`: receives the board's lines as they change (host/view's PinState[]); none: not reported. */
  readonly onPins?: (states: readonly PinState[]) => void;
  /** The xsnap-worker binary (default: the one @agoric/xsnap built). */
  readonly workerPath?: string;
}

/** How a run in XS ended. */
export interface XsEngineResult {
  /** XS's report, or null when the worker ended without one (`error` says why). */
  readonly report: XsRunReport | null;
  /** The snapshot XS took at the end (with `snapshotProducer`), or null. */
  readonly snapshot: Uint8Array | null;
  readonly error: string | null;
  /** The reason of the host's stop request, if one was made. */
  readonly stopReason: string | null;
  /** How the worker ended, and its meter data (null if it died). */
  readonly exit: XsExit | null;
  readonly meter: XsMeter | null;
}

/** A started run. */
export interface XsEngineRun {
  /** Asks the VM to stop for `reason`; the worker is killed if it has not ended 10 s later. */
  stop(reason: string): void;
  /** Asks XS to restart the guest (Ctrl-A r), as a fresh boot of the same VM. */
  restart(): void;
  /** Sends a configuration's run a control (focus, release), acted on between slices. */
  control(c: XsControl): void;
  /** Settles when the worker has ended. Never rejects. */
  readonly done: Promise<XsEngineResult>;
}

/** Time a stopped run gets to report before its worker is killed. */
const STOP_GRACE_MS = 10_000;

/**
 * Bundles the engine, starts the worker and runs the guest. Rejects only
 * with {@link XsEngineUnavailableError} (no xsnap-worker, no esbuild);
 * everything that happens in XS is in the result.
 */
export async function startXsEngine(options: XsEngineOptions): Promise<XsEngineRun> {
  let workerPath: string;
  try {
    workerPath = options.workerPath ?? findXsnapWorker();
  } catch (e) {
    throw new XsEngineUnavailableError(`--engine xs: ${(e as Error).message}`, { cause: e });
  }
  const code = await bundleXsEngine();
  // Lane 0 is the UART's (a configuration's first port); then the configuration's other ports; then GDB's.
  const lanes: XsHostLane[] = [...(options.config?.lanes.slice(1) ?? [])];
  const gdb = options.gdb ?? null;
  const gdbLane = gdb === null ? 0 : lanes.push({ port: gdb.port });
  const setup: XsRunSetup = {
    boardText: options.boardText,
    boardFile: options.boardFile,
    imageName: options.imageName,
    ramSize: options.ramSize,
    tier: options.tier ?? 'interp',
    maxInsns: options.maxInsns,
    serial: options.port !== undefined,
    console: options.onConsoleOutput !== undefined,
    clock: options.clock ?? 'wall',
    firmware: options.firmware ?? 'none',
    bootargs: options.bootargs ?? null,
    dtbName: options.dtb?.name ?? null,
    loads: (options.loads ?? []).map((l) => ({ name: l.name, addr: l.addr })),
    snapshotLoad: options.snapshotLoad?.name ?? null,
    snapshotProducer: options.snapshotProducer ?? null,
    trace: options.trace ?? [],
    stats: options.stats ?? false,
    config: options.config?.setup ?? null,
    gdb: gdb === null ? null : { lane: gdbLane, vm: gdb.vm, wait: gdb.wait },
    view: options.onPins !== undefined,
  };
  const far = new XsBridgeHost({
    setup,
    image: options.image,
    // DATA n: the --dtb blob first when there is one, then the --load files, then the snapshot to resume.
    data: [
      ...(options.config?.data ?? []),
      ...(options.dtb === null || options.dtb === undefined ? [] : [options.dtb.bytes]),
      ...(options.loads ?? []).map((l) => l.bytes),
      ...(options.snapshotLoad === null || options.snapshotLoad === undefined ? [] : [options.snapshotLoad.bytes]),
    ],
    // A configuration's lane 0 is its first port's.
    port: options.config ? options.config.lanes[0]?.port : options.port,
    onConsole: options.config ? options.config.lanes[0]?.onConsole : options.onConsoleOutput,
    onLog: options.log,
    onProgress: options.onProgress,
    onTrace: options.onTrace,
    lanes,
    onGdbEnd: gdb?.onEnd,
    onPins: options.onPins === undefined ? undefined : (states) => options.onPins!(states as readonly PinState[]),
    onEvent: options.config === null || options.config === undefined ? undefined : (e) => options.config!.onEvent(e as XsMonitorEvent),
  });

  const worker = new XsWorker({
    workerPath,
    // Nothing in the engine prints; anything that does is a diagnostic.
    stdout: (s) => options.log(s.trimEnd()),
    stderr: () => {},
    onCommand: (request) => far.serve(request),
  });

  let killTimer: ReturnType<typeof setTimeout> | null = null;
  const done = (async (): Promise<XsEngineResult> => {
    let error: string | null = null;
    let meter: XsMeter | null = null;
    try {
      meter = (await worker.evaluate(code)).meter;
    } catch (e) {
      error = e instanceof XsEvalError || e instanceof XsWorkerError ? e.message : String(e);
    }
    const exit = await worker.close();
    if (killTimer !== null) clearTimeout(killTimer);
    far.close();
    const report = far.report as XsRunReport | null;
    return { report, snapshot: far.snapshot, error: report === null ? (error ?? 'the XS engine ended without a report') : error, stopReason: far.stopRequested, exit, meter };
  })();

  return {
    stop(reason: string): void {
      far.stop(reason);
      killTimer ??= setTimeout(() => worker.kill(), STOP_GRACE_MS);
    },
    restart: () => far.restart(),
    control: (c) => far.control(c),
    done,
  };
}
