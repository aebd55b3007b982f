/**
 * `xsvisor run --engine xs`: the CLI's run of a guest in Moddable's XS
 * engine (an xsnap worker) instead of V8.
 *
 * Owns what differs from the Node engine's run in host/cli/main.ts: the
 * board file goes to XS as text, the VM is built and run there, its UART
 * reaches the same Node port (terminal, TCP, pty) through the bridge, and
 * the timeout, signals and Ctrl-A x become stop requests sent across.
 * What it returns is what main.ts turns into the exit status, so both
 * engines end with the same statuses and messages.
 */

import { readFileSync } from 'node:fs';
import type { GuestExit, RegisterDump, VmExit } from '../../src/monitor/index.js';
import type { SerialPortFactory } from '../../src/ports/index.js';
import { startXsEngine, XsEngineUnavailableError, type XsEngineResult } from './run.js';

/** What the CLI hands over. */
export interface XsCommandOptions {
  readonly image: Uint8Array;
  readonly imageName: string;
  /** The board file's path on disk, and its name in messages (`boards/NAME.json`). */
  readonly boardPath: string;
  readonly boardFile: string;
  readonly ramSize: number;
  /** The hart's tier (`--tier`). */
  readonly tier: 'interp' | 'jit';
  readonly maxInsns: number | null;
  /** The VM's clock: wall, `--deterministic`, or `--icount` SHIFT or auto. */
  readonly clock: 'wall' | 'deterministic' | number | 'auto';
  /** `--firmware`, `--append`, `--dtb` and `--load`, read already. */
  readonly firmware: 'none' | 'sbi';
  readonly bootargs: string | null;
  readonly dtb: { readonly name: string; readonly bytes: Uint8Array } | null;
  readonly loads: readonly { readonly name: string; readonly addr: number; readonly bytes: Uint8Array }[];
  /** Seconds of wall time before a `timeout` stop; null for none. */
  readonly timeout: number | null;
  /** UART0's Node port; none for `--serial none`. */
  readonly port?: SerialPortFactory;
  /** HTIF console bytes (the terminal only, as with the Node engine). */
  readonly onConsoleOutput?: (byte: number) => void;
  /** Registers signal handlers that stop the run; returns their removal (main.ts's `onSignal`). */
  readonly onSignal?: (stop: (signal: string) => void) => () => void;
  /** Progress of the run (host/progress.ts): started with the instructions XS last reported, stopped at the end. */
  readonly progress?: { start(instret: () => number): void; stop(): void };
  /** Receives the stop function while the run lasts (for Ctrl-A x and a closed stdout), null after. */
  readonly setStop: (stop: ((reason: string) => void) | null) => void;
  /** Writes `xsvisor: TEXT` to stderr. */
  readonly err: (text: string) => void;
}

/**
 * How it went: `ended` with the VM's exit (and the figures for --stats),
 * or `refused` with the category main.ts maps to a status: `bad-input` (an
 * image or board the monitor refused, as VirtVm's ImageError and
 * VmConfigError under Node), `unavailable` (no XS engine here), `internal`
 * (the worker failed). The message has been written already.
 */
export type XsCommandResult =
  /** `fault`: the monitor's fault rules stopped the guest (the exit is then `stopped`); null otherwise. */
  | { readonly kind: 'ended'; readonly exit: VmExit; readonly instret: number; readonly seconds: number; readonly fault: XsFault | null }
  | { readonly kind: 'refused'; readonly why: 'bad-input' | 'unavailable' | 'internal' };

/** A fault found in XS, as the CLI prints it (host/cli/stuck.ts). */
export interface XsFault {
  readonly kind: string;
  readonly reason: string;
  readonly dump: RegisterDump;
}

/** Runs the guest in XS; resolves when the worker has ended. Never rejects. */
export async function runXsCommand(options: XsCommandOptions): Promise<XsCommandResult> {
  const { err } = options;
  let boardText: string;
  try {
    boardText = readFileSync(options.boardPath, 'utf8');
  } catch (e) {
    err(`${options.boardFile}: cannot be read again for XS: ${(e as Error).message}`);
    return { kind: 'refused', why: 'bad-input' };
  }

  let run;
  let reported = 0; // instructions retired, as XS last said (OP.PROGRESS)
  try {
    run = await startXsEngine({
      image: options.image,
      imageName: options.imageName,
      boardText,
      boardFile: options.boardFile,
      ramSize: options.ramSize,
      tier: options.tier,
      maxInsns: options.maxInsns,
      clock: options.clock,
      firmware: options.firmware,
      bootargs: options.bootargs,
      dtb: options.dtb,
      loads: options.loads,
      port: options.port,
      onConsoleOutput: options.onConsoleOutput,
      onProgress: (instret) => {
        reported = instret;
      },
      log: (line) => err(line),
    });
  } catch (e) {
    if (!(e instanceof XsEngineUnavailableError)) throw e;
    err(e.message);
    return { kind: 'refused', why: 'unavailable' };
  }

  options.setStop((reason) => run.stop(reason));
  const timer = options.timeout === null ? null : setTimeout(() => run.stop('timeout'), options.timeout * 1000);
  const releaseSignals = options.onSignal?.((signal) => run.stop(signal)) ?? null;
  let result: XsEngineResult;
  options.progress?.start(() => reported);
  try {
    result = await run.done;
  } finally {
    options.progress?.stop();
    if (timer !== null) clearTimeout(timer);
    releaseSignals?.();
    options.setStop(null);
  }
  return interpret(result, err);
}

/** The report as a VmExit, or the refusal it stands for. */
function interpret(result: XsEngineResult, err: (text: string) => void): XsCommandResult {
  const r = result.report;
  const signal = result.exit?.signal ?? null;
  if (r === null && (result.stopReason !== null || signal === 'SIGINT' || signal === 'SIGTERM' || signal === 'SIGHUP')) {
    // Killed after a stop request, or by a signal sent to the whole process group (Ctrl-C, timeout(1)) along with us.
    return { kind: 'ended', exit: { kind: 'stopped', reason: result.stopReason ?? signal! }, instret: 0, seconds: 0, fault: null };
  }
  if (r === null) {
    const why = result.exit?.code === 11 ? ' (XS ran out of memory: try a smaller --ram)' : '';
    err(`internal error: the XS engine failed: ${result.error ?? 'no report'}${why}`);
    return { kind: 'refused', why: 'internal' };
  }
  if (r.kind === 'refused') {
    err(r.error ?? 'the VM could not be built');
    return { kind: 'refused', why: 'bad-input' };
  }
  let exit: VmExit;
  switch (r.kind) {
    case 'exit':
      exit = { kind: 'exit', status: r.status ?? 1, source: (r.source ?? 'finisher') as GuestExit['source'] };
      break;
    case 'limit':
      exit = { kind: 'limit', instructions: r.instructions ?? 0 };
      break;
    case 'stopped':
      exit = { kind: 'stopped', reason: r.reason ?? 'stopped' };
      break;
    default:
      exit = { kind: 'fatal', reason: r.reason ?? r.error ?? `the run ended with '${r.kind}'`, error: null };
  }
  const fault = r.fault === undefined ? null : { kind: r.fault.kind, reason: r.fault.reason, dump: r.fault.dump as unknown as RegisterDump };
  return { kind: 'ended', exit, instret: r.instret, seconds: r.seconds, fault };
}
