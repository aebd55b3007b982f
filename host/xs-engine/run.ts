/**
 * The Node side of `xsvisor run --engine xs`: bundles entry.ts for XS,
 * starts an xsnap worker on it and serves its `issueCommand` requests
 * (protocol.ts): the set-up, the image, and the guest's UART bytes, which
 * it passes to and from a serial port factory of the Node engine's own
 * (the terminal, a TCP server or a pty), within that port's budget.
 *
 * Owns the far end of the bridge: the input handed to XS, the output kept
 * until the port takes it (never more than the room XS was told of), the
 * idle wait (answered early when input or a stop arrives), and the stop
 * requests. The worker is killed if it does not end soon after a stop.
 */

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SerialPort, SerialPortFactory } from '../../src/ports/index.js';
import { XsEvalError, XsWorker, XsWorkerError, findXsnapWorker, type XsExit, type XsMeter } from '../xs/index.js';
import { HEADER_BYTES, OP, readU32, REPLY_STOP, writeU32, type XsRunReport, type XsRunSetup } from './protocol.js';

const HERE = dirname(fileURLToPath(import.meta.url));

/** The XS engine cannot start here: xsnap-worker or esbuild is missing (both come with `npm install`). */
export class XsEngineUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'XsEngineUnavailableError';
  }
}

let bundled: Promise<string> | null = null;

/**
 * Bundles entry.ts (entry.js when running compiled, from dist/) and what
 * it imports into one classic script for xsnap; once per process. Refuses
 * Node modules: nothing of Node may reach XS.
 */
export function bundleXsEngine(): Promise<string> {
  bundled ??= (async () => {
    let esbuild: typeof import('esbuild');
    try {
      esbuild = await import('esbuild');
    } catch (e) {
      throw new XsEngineUnavailableError('--engine xs needs esbuild, a development dependency of xsvisor: run `npm install`', { cause: e });
    }
    const entry = existsSync(join(HERE, 'entry.ts')) ? join(HERE, 'entry.ts') : join(HERE, 'entry.js');
    const r = await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      format: 'iife',
      platform: 'neutral',
      target: 'es2022',
      legalComments: 'none',
      logLevel: 'silent',
      plugins: [{
        name: 'no-node',
        setup(b) {
          b.onResolve({ filter: /^node:/ }, (args) => ({ errors: [{ text: `${args.importer} imports ${args.path}: code for XS may not use Node modules` }] }));
        },
      }],
    });
    return r.outputFiles[0]!.text;
  })();
  return bundled;
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
  /** Instructions retired so far, as XS reports them while the guest runs (the CLI's progress). */
  readonly onProgress?: (instret: number) => void;
  /** Lines XS logs (loader warnings). */
  readonly log: (line: string) => void;
  /** The xsnap-worker binary (default: the one @agoric/xsnap built). */
  readonly workerPath?: string;
}

/** How a run in XS ended. */
export interface XsEngineResult {
  /** XS's report, or null when the worker ended without one (`error` says why). */
  readonly report: XsRunReport | null;
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
  const far = new FarEnd(options.port);
  let report: XsRunReport | null = null;
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
  };
  // DATA n: the --dtb blob first when there is one, then the --load files.
  const data: Uint8Array[] = [...(options.dtb === null || options.dtb === undefined ? [] : [options.dtb.bytes]), ...(options.loads ?? []).map((l) => l.bytes)];

  const worker = new XsWorker({
    workerPath,
    // Nothing in the engine prints; anything that does is a diagnostic.
    stdout: (s) => options.log(s.trimEnd()),
    stderr: () => {},
    onCommand: async (request) => {
      const op = request[0];
      const payload = request.subarray(HEADER_BYTES);
      switch (op) {
        case OP.SETUP:
          return JSON.stringify(setup);
        case OP.IMAGE:
          return options.image;
        case OP.DATA: {
          const bytes = data[readU32(payload, 0)];
          if (bytes === undefined) throw new Error(`the XS engine asked for data file ${readU32(payload, 0)} of ${data.length}`);
          return bytes;
        }
        case OP.TRANSMIT:
          far.transmit(payload);
          return far.reply(readU32(request, 1));
        case OP.CONSOLE:
          for (const b of payload) options.onConsoleOutput?.(b);
          return far.reply(readU32(request, 1));
        case OP.POLL:
          return far.reply(readU32(request, 1));
        case OP.WAIT:
          await far.waitForInput(readU32(payload, 0));
          return far.reply(readU32(request, 1));
        case OP.PROGRESS:
          options.onProgress?.(new DataView(payload.buffer, payload.byteOffset, 8).getFloat64(0, true));
          return undefined;
        case OP.LOG:
          options.log(new TextDecoder().decode(payload));
          return undefined;
        case OP.EXIT:
          report = JSON.parse(new TextDecoder().decode(payload)) as XsRunReport;
          return undefined;
        default:
          throw new Error(`unknown request ${op} from the XS engine`);
      }
    },
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
    return { report, error: report === null ? (error ?? 'the XS engine ended without a report') : error, stopReason: far.stopRequested, exit, meter };
  })();

  return {
    stop(reason: string): void {
      far.stop(reason);
      killTimer ??= setTimeout(() => worker.kill(), STOP_GRACE_MS);
    },
    done,
  };
}

/**
 * The far end of the guest's UART in Node: the port, the output it has
 * not taken yet, the stop request, and the wait XS blocks in when idle.
 */
class FarEnd {
  private readonly port: SerialPort | null = null;
  private budget = 0;
  private pending: Uint8Array = new Uint8Array(0);
  private stopReason: string | null = null;
  private wake: (() => void) | null = null;
  private readable = false;

  constructor(factory: SerialPortFactory | undefined) {
    if (factory === undefined) return;
    this.port = factory({
      onReadable: () => {
        this.readable = true;
        this.wake?.();
      },
      onWritable: (count: number) => {
        this.budget = count > 0 ? count : 0;
        this.flush();
      },
    });
  }

  /** Bytes from the guest: to the port within its budget, the rest kept until it has room. */
  transmit(bytes: Uint8Array): void {
    if (this.pending.length > 0) {
      const joined = new Uint8Array(this.pending.length + bytes.length);
      joined.set(this.pending, 0);
      joined.set(bytes, this.pending.length);
      this.pending = joined;
    } else {
      this.pending = bytes.slice();
    }
    this.flush();
  }

  /** The reply to T, C, P and W: a stop, or up to `room` input bytes; with the room for output. */
  reply(room: number): Uint8Array {
    const outRoom = this.port === null ? 0xffffffff : Math.max(0, this.budget - this.pending.length);
    if (this.stopReason !== null) {
      const reason = new TextEncoder().encode(this.stopReason);
      const r = new Uint8Array(HEADER_BYTES + reason.length);
      r[0] = REPLY_STOP;
      writeU32(r, 1, outRoom);
      r.set(reason, HEADER_BYTES);
      return r;
    }
    const input: number[] = [];
    if (this.port !== null) {
      while (input.length < room) {
        const b = this.port.read();
        if (b === undefined) {
          this.readable = false;
          break;
        }
        input.push(b);
      }
    }
    const r = new Uint8Array(HEADER_BYTES + input.length);
    writeU32(r, 1, outRoom);
    r.set(input, HEADER_BYTES);
    return r;
  }

  /** Resolves after `ms` milliseconds, or at once when input or a stop arrives. */
  waitForInput(ms: number): Promise<void> {
    if (this.readable || this.stopReason !== null || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      const self = this;
      function done(): void {
        clearTimeout(t);
        self.wake = null;
        resolve();
      }
      this.wake = done;
    });
  }

  /** The reason of the stop requested, or null. */
  get stopRequested(): string | null {
    return this.stopReason;
  }

  stop(reason: string): void {
    if (this.stopReason !== null) return;
    this.stopReason = reason;
    this.wake?.();
  }

  close(): void {
    this.wake?.();
  }

  private flush(): void {
    const p = this.port;
    if (p === null) {
      this.pending = new Uint8Array(0);
      return;
    }
    let i = 0;
    while (i < this.pending.length && this.budget > 0) {
      p.write(this.pending[i++]!);
      this.budget--;
    }
    if (i > 0) this.pending = this.pending.subarray(i);
  }
}
