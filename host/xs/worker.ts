/**
 * Drives Moddable's XS engine through `xsnap-worker` (built by the
 * @agoric/xsnap package on install), without that package's JavaScript API,
 * which needs SES to lock down the whole Node process.
 *
 * Protocol (netstrings; the parent writes to the worker's fd 3 and reads its
 * fd 4):
 * - parent `e<source>`: evaluate a script; after it, the worker drains the
 *   promise jobs and `setImmediate` callbacks, then answers
 *   `.<meter JSON>\x01<result bytes>` or `!<message>`;
 * - worker `?<bytes>`: a synchronous `issueCommand(arrayBuffer)` from inside
 *   XS; the parent must answer `/<bytes>` (that ArrayBuffer is what
 *   `issueCommand` returns);
 * - parent `q`: quit.
 * Inside XS, `print(...)` writes a line to the worker's stdout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { encodeNetstring, NetstringDecoder } from './netstring.js';

/** What the worker reports after each evaluation. */
export interface XsMeter {
  /** Slots in the XS heap at the end of the evaluation. */
  readonly currentHeapCount: number;
  /** Computrons (roughly, bytecodes plus native work) spent by the evaluation; 32-bit, wraps. */
  readonly compute: number;
  /** Bytes of chunk space allocated by the machine so far. */
  readonly allocate: number;
}

/** What an `issueCommand` handler may answer; nothing means an empty ArrayBuffer. */
export type CommandReply = Uint8Array | string | undefined | void;

/**
 * Serves `issueCommand(arrayBuffer)` calls from XS. The XS side is blocked
 * until the reply is written, so the handler may be async.
 */
export type CommandHandler = (request: Uint8Array) => CommandReply | Promise<CommandReply>;

/** How the worker's stdout or stderr is handled. */
export type XsOutput = 'inherit' | 'ignore' | ((text: string) => void);

export interface XsWorkerOptions {
  /** Serves `issueCommand`; without one, every command gets an empty reply. */
  readonly onCommand?: CommandHandler;
  /** Where `print` output goes (default: inherit). */
  readonly stdout?: XsOutput;
  /** Where the worker's own diagnostics go (default: inherit). */
  readonly stderr?: XsOutput;
  /** Abort an evaluation after this many computrons (`-l`); 0 or absent for no limit. */
  readonly meteringLimit?: number;
  /** The parser's buffer in KiB (`-s`; the worker's default is 8192): the largest script it accepts. */
  readonly parserBufferKiB?: number;
  /** The xsnap-worker binary; default {@link findXsnapWorker}(). */
  readonly workerPath?: string;
}

/** How the worker process ended. */
export interface XsExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** A reading of the exit code (xsnap's E_* codes), e.g. "XS ran out of memory". */
  readonly reason: string;
}

/** The evaluated script threw (the worker answered `!`). */
export class XsEvalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XsEvalError';
  }
}

/** The worker died, or could not be driven, while an evaluation was in flight. */
export class XsWorkerError extends Error {
  readonly exit: XsExit | null;
  constructor(message: string, exit: XsExit | null, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'XsWorkerError';
    this.exit = exit;
  }
}

/** The result of one `e` evaluation. */
export interface XsEvalResult {
  readonly meter: XsMeter;
  /** The script's completion value when it is an ArrayBuffer (or has an ArrayBuffer `result`); else empty. */
  readonly result: Uint8Array;
}

const EXIT_REASONS: Record<number, string> = {
  0: 'exited normally',
  1: 'bad usage of xsnap-worker',
  2: 'I/O error on the command pipes',
  11: 'XS ran out of memory',
  12: 'XS stack overflow',
  15: 'unhandled exception in XS',
  16: 'XS ran out of keys',
  17: 'XS metering limit reached (too much computation)',
};

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal !== null) return `killed by ${signal}`;
  if (code === null) return 'ended';
  return EXIT_REASONS[code] ?? `exited with code ${code}`;
}

/**
 * The path of `xsnap-worker`: $XSNAP_WORKER if set, else the binary that
 * `npm install` built inside @agoric/xsnap. Throws, saying how to get it, if
 * there is none.
 */
export function findXsnapWorker(): string {
  const fromEnv = process.env['XSNAP_WORKER'];
  if (fromEnv !== undefined && fromEnv !== '') {
    if (!existsSync(fromEnv)) throw new Error(`XSNAP_WORKER=${fromEnv} does not exist`);
    return fromEnv;
  }
  const require = createRequire(import.meta.url);
  let pkg: string;
  try {
    pkg = require.resolve('@agoric/xsnap/package.json');
  } catch (e) {
    throw new Error('@agoric/xsnap is not installed: run `npm install` (it builds the XS engine)', { cause: e });
  }
  const platform = process.platform === 'darwin' ? 'mac' : 'lin';
  const bin = join(dirname(pkg), 'xsnap-native', 'xsnap', 'build', 'bin', platform, 'release', 'xsnap-worker');
  if (!existsSync(bin)) {
    throw new Error(
      `${bin} is missing: @agoric/xsnap's install script did not build XS ` +
        '(was it skipped by --ignore-scripts or an allowScripts policy?); run `npm rebuild @agoric/xsnap`',
    );
  }
  return bin;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

function toBytes(reply: CommandReply): Uint8Array {
  if (reply === undefined) return new Uint8Array(0);
  return typeof reply === 'string' ? enc.encode(reply) : reply;
}

interface Pending {
  resolve(r: XsEvalResult): void;
  reject(e: Error): void;
}

/**
 * One xsnap-worker process: a single XS machine that keeps its globals
 * across evaluations. Evaluations are queued and run one at a time.
 */
export class XsWorker {
  readonly process: ChildProcess;
  /** Settles when the process has ended (never rejects). */
  readonly exited: Promise<XsExit>;
  private readonly toWorker: Writable;
  private readonly decoder = new NetstringDecoder();
  private readonly onCommand: CommandHandler | undefined;
  private pending: Pending | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  /** Messages from the worker, handled strictly in order (a command handler may be async). */
  private inbox: Promise<void> = Promise.resolve();
  private exit: XsExit | null = null;
  private failure: Error | null = null;
  private stderrTail = '';

  constructor(options: XsWorkerOptions = {}) {
    const bin = options.workerPath ?? findXsnapWorker();
    const args = ['xsvisor', '-l', String(options.meteringLimit ?? 0)];
    if (options.parserBufferKiB !== undefined) args.push('-s', String(options.parserBufferKiB));
    const stdio = (o: XsOutput | undefined): 'inherit' | 'ignore' | 'pipe' => (o === undefined ? 'inherit' : typeof o === 'function' ? 'pipe' : o);
    this.onCommand = options.onCommand;
    this.process = spawn(bin, args, { stdio: ['ignore', stdio(options.stdout), stdio(options.stderr), 'pipe', 'pipe'] });
    const [, out, err, toWorker, fromWorker] = this.process.stdio as [unknown, Readable | null, Readable | null, Writable, Readable];
    this.toWorker = toWorker;
    if (typeof options.stdout === 'function' && out) {
      const sink = options.stdout;
      out.setEncoding('utf8');
      out.on('data', (s: string) => sink(s));
    }
    if (err) {
      err.setEncoding('utf8');
      const sink = typeof options.stderr === 'function' ? options.stderr : null;
      err.on('data', (s: string) => {
        this.stderrTail = (this.stderrTail + s).slice(-4000);
        sink?.(s);
      });
    }
    toWorker.on('error', (e) => this.fail(new XsWorkerError(`writing to xsnap-worker: ${e.message}`, this.exit, { cause: e })));
    fromWorker.on('data', (chunk: Buffer) => {
      let messages: Uint8Array[];
      try {
        messages = this.decoder.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength).slice());
      } catch (e) {
        this.fail(new XsWorkerError(`bad frame from xsnap-worker: ${(e as Error).message}`, this.exit, { cause: e }));
        return;
      }
      for (const m of messages) this.inbox = this.inbox.then(() => this.handle(m));
    });
    this.exited = new Promise<XsExit>((resolve) => {
      this.process.on('error', (e) => {
        this.exit = { code: null, signal: null, reason: `could not start ${bin}: ${e.message}` };
        this.fail(new XsWorkerError(this.exit.reason, this.exit, { cause: e }));
        resolve(this.exit);
      });
      // 'close' (not 'exit'): every message the worker wrote has been read by then.
      this.process.on('close', (code, signal) => {
        if (this.exit === null) this.exit = { code, signal, reason: describeExit(code, signal) };
        const detail = this.stderrTail.trim() === '' ? '' : `; its stderr ended with:\n${this.stderrTail.trim()}`;
        void this.inbox.then(() => {
          this.fail(new XsWorkerError(`xsnap-worker ${this.exit!.reason}${detail}`, this.exit));
          resolve(this.exit!);
        });
      });
    });
  }

  /** The worker's recent stderr (up to 4000 characters), when it is not inherited. */
  get stderr(): string {
    return this.stderrTail;
  }

  /**
   * Evaluates a script (sloppy-mode global code, as indirect eval) and waits
   * until XS has run every promise job and immediate it left. Rejects with
   * {@link XsEvalError} if the script threw, {@link XsWorkerError} if the
   * worker died or a command handler threw.
   */
  evaluate(source: string): Promise<XsEvalResult> {
    const run = (): Promise<XsEvalResult> =>
      new Promise<XsEvalResult>((resolve, reject) => {
        if (this.failure !== null) {
          reject(this.failure);
          return;
        }
        this.pending = { resolve, reject };
        this.send(enc.encode(`e${source}`));
      });
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  /** Asks the worker to quit and waits for it to end. */
  async close(): Promise<XsExit> {
    await this.queue;
    if (this.exit === null && this.failure === null) this.send(enc.encode('q'));
    return this.exited;
  }

  /** Ends the worker at once (SIGKILL). */
  kill(): void {
    if (this.exit === null) this.process.kill('SIGKILL');
  }

  private send(payload: Uint8Array): void {
    this.toWorker.write(encodeNetstring(payload));
  }

  private fail(e: Error): void {
    if (this.failure === null) this.failure = e;
    const p = this.pending;
    this.pending = null;
    p?.reject(e);
    this.kill();
  }

  private async handle(m: Uint8Array): Promise<void> {
    const kind = String.fromCharCode(m[0] ?? 0);
    const body = m.subarray(1);
    if (kind === '?') {
      let reply: Uint8Array;
      try {
        reply = toBytes(this.onCommand === undefined ? undefined : await this.onCommand(body));
      } catch (e) {
        this.fail(new XsWorkerError(`issueCommand handler threw: ${(e as Error)?.message ?? String(e)}`, this.exit, { cause: e }));
        return;
      }
      if (this.failure === null) {
        const out = new Uint8Array(reply.length + 1);
        out[0] = 0x2f; // '/'
        out.set(reply, 1);
        this.send(out);
      }
      return;
    }
    const p = this.pending;
    if (kind === '.') {
      const sep = body.indexOf(1);
      const json = dec.decode(sep < 0 ? body : body.subarray(0, sep));
      let meter: XsMeter;
      try {
        const parsed = JSON.parse(json) as XsMeter;
        meter = { currentHeapCount: parsed.currentHeapCount, compute: parsed.compute, allocate: parsed.allocate };
      } catch {
        meter = { currentHeapCount: NaN, compute: NaN, allocate: NaN };
      }
      this.pending = null;
      p?.resolve({ meter, result: sep < 0 ? new Uint8Array(0) : body.slice(sep + 1) });
    } else if (kind === '!') {
      this.pending = null;
      p?.reject(new XsEvalError(dec.decode(body)));
    } else {
      this.fail(new XsWorkerError(`unexpected message from xsnap-worker: ${JSON.stringify(dec.decode(m.subarray(0, 80)))}`, this.exit));
    }
  }
}
