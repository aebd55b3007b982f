/**
 * Runs one script to completion in a fresh XS machine: the building block of
 * the XS test lane and of `xsvisor run --engine xs` (where the guest's UART
 * reaches Node's stdin and stdout through `issueCommand`).
 */
import { XsEvalError, XsWorker, XsWorkerError, type CommandHandler, type XsExit, type XsMeter, type XsOutput } from './worker.js';

export interface RunXsOptions {
  /** Serves the script's `issueCommand(arrayBuffer)` calls (sync or async). */
  readonly onCommand?: CommandHandler;
  /** Kill the worker after this long (ms); absent or 0 for no limit. */
  readonly timeoutMs?: number;
  /** Where `print` output goes (default: inherit). */
  readonly stdout?: XsOutput;
  /** Where the worker's diagnostics go (default: collected into the result's `stderr`). */
  readonly stderr?: XsOutput;
  /** Abort after this many computrons; absent or 0 for no limit. */
  readonly meteringLimit?: number;
  /** Parser buffer in KiB (largest script accepted); default 8192 or enough for the script. */
  readonly parserBufferKiB?: number;
  /** The xsnap-worker binary (default: the one @agoric/xsnap built). */
  readonly workerPath?: string;
}

export interface RunXsResult {
  /** The script ran and every job it left settled without an uncaught exception. */
  readonly ok: boolean;
  /** Why not: the exception's text, the worker's exit reason or the timeout; null when ok. */
  readonly error: string | null;
  /** Set when the run was stopped by `timeoutMs`. */
  readonly timedOut: boolean;
  /** Meter data of the evaluation (absent if the worker died). */
  readonly meter: XsMeter | null;
  /** The script's completion value if it was an ArrayBuffer, else empty. */
  readonly result: Uint8Array;
  /** How the worker ended. */
  readonly exit: XsExit;
  /** The worker's stderr when not inherited (last 4000 characters). */
  readonly stderr: string;
  /** Wall time, spawn to exit. */
  readonly durationMs: number;
}

/**
 * Spawns a worker, evaluates `source` (a classic script, e.g. an IIFE bundle)
 * in it, lets every promise job and immediate run, then quits. Never throws
 * for what happens in XS: the result says what went wrong.
 */
export async function runXsScript(source: string, options: RunXsOptions = {}): Promise<RunXsResult> {
  const t0 = performance.now();
  const needKiB = Math.ceil((Buffer.byteLength(source) * 1.25) / 1024) + 64;
  const parserBufferKiB = options.parserBufferKiB ?? (needKiB > 8192 ? needKiB : undefined);
  const worker = new XsWorker({
    ...(options.onCommand !== undefined ? { onCommand: options.onCommand } : {}),
    stdout: options.stdout ?? 'inherit',
    stderr: options.stderr ?? (() => {}),
    ...(options.meteringLimit !== undefined ? { meteringLimit: options.meteringLimit } : {}),
    ...(parserBufferKiB !== undefined ? { parserBufferKiB } : {}),
    ...(options.workerPath !== undefined ? { workerPath: options.workerPath } : {}),
  });
  let timedOut = false;
  const timer =
    options.timeoutMs !== undefined && options.timeoutMs > 0
      ? setTimeout(() => {
          timedOut = true;
          worker.kill();
        }, options.timeoutMs)
      : null;
  let meter: XsMeter | null = null;
  let result: Uint8Array = new Uint8Array(0);
  let error: string | null = null;
  try {
    const r = await worker.evaluate(source);
    meter = r.meter;
    result = r.result;
  } catch (e) {
    if (e instanceof XsEvalError) error = e.message;
    else if (e instanceof XsWorkerError) error = e.message;
    else error = String(e);
  }
  const exit = await worker.close();
  if (timer !== null) clearTimeout(timer);
  if (timedOut) error = `timed out after ${options.timeoutMs} ms`;
  return {
    ok: error === null,
    error,
    timedOut,
    meter,
    result,
    exit,
    stderr: worker.stderr,
    durationMs: performance.now() - t0,
  };
}
