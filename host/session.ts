/**
 * The session: the one composition root of `xsvisor run`, for one IMAGE
 * and for `--config FILE` alike, under V8 or XS. It reads the plan (board,
 * images; session/plan.ts), wires the board's pins, opens the serial ports
 * (session/io.ts), makes the run (session/local.ts, or xs/command.ts for
 * `--engine xs`), holds VMs whose TCP port waits for its client, arms
 * `--timeout` and the signals, then tears everything down in order and
 * turns the outcomes into the exit status and `--stats` (session/status.ts).
 */

import type { TraceBuffer } from '../src/monitor/index.js';
import { EXIT } from './exit-status.js';
import type { TerminalInput, TerminalOutput } from './node/terminal-serial.js';
import type { RunOptions } from './run-options.js';
import { openSessionIo, type SessionControl } from './session/io.js';
import { startLocalRun } from './session/local.js';
import { readPlan } from './session/plan.js';
import type { RunEnd, SessionRun } from './session/run.js';
import { statusOf, writeStats } from './session/status.js';
import { checkSnapshotTarget } from './snapshot-file.js';
import { BoardPinsError, ConsoleMirror, SimulatedBoardPins } from './view/index.js';
import { startXsRun } from './xs/command.js';

/** What the CLI hands a session. */
export interface SessionOptions {
  readonly opts: RunOptions;
  /** The package root (holds boards/). */
  readonly packageRoot: string;
  /** The version written into snapshots. */
  readonly producer: string;
  /** `--trace`'s buffer (stderr or --trace-file), or null. */
  readonly trace: TraceBuffer | null;
  readonly stdin: TerminalInput;
  readonly stdout: TerminalOutput;
  readonly stderr: { write(text: string): boolean };
  /** Registers handlers that stop the run on SIGTERM, SIGHUP, SIGINT; returns their removal. */
  onSignal?(stop: (signal: string) => void): () => void;
  /** Says `xsvisor: TEXT` on stderr. */
  readonly err: (text: string) => void;
  /** Progress while the VMs run (host/progress.ts); none: no progress. */
  readonly progress?: { start(instret: () => number): void; stop(): void };
}

/** Runs the session; resolves with the exit status. Rejects only for a bug (the CLI reports it as 70). */
export async function runSession(s: SessionOptions): Promise<number> {
  const { opts, err } = s;
  // Before anything runs: a snapshot that cannot be saved must not cost the run first.
  const unwritable = opts.snapshotSave === null ? null : checkSnapshotTarget(opts.snapshotSave, err);
  if (unwritable !== null) return unwritable;
  const plan = readPlan(opts, s.packageRoot, err, (text) => void s.stderr.write(text));
  if (typeof plan === 'number') return plan;

  // The board's GPIO lines on simulated pins, by name: the LED the view lights, the button it presses.
  let pins: SimulatedBoardPins;
  try {
    pins = new SimulatedBoardPins({ lines: plan.board.gpioLines });
  } catch (e) {
    if (!(e instanceof BoardPinsError)) throw e;
    err(`${plan.pinsWhere}${e.message}`);
    return EXIT.BAD_INPUT;
  }

  // The keys and a lost reader reach the run once it exists; a stop before that ends it as soon as it starts.
  let run: SessionRun | null = null;
  let stopped: string | null = null;
  let onStop: ((reason: string) => void) | null = null;
  const control: SessionControl = {
    stop(reason) {
      stopped ??= reason;
      run?.stop(reason);
      onStop?.(reason);
    },
    restart: () => run?.restart() ?? false,
    focus: (index) => run?.focus(index) ?? false,
  };
  const mirror = opts.view ? new ConsoleMirror() : null;
  const io = await openSessionIo({
    plan, stdin: s.stdin, stdout: s.stdout, escapes: opts.serialEscapes, mirror, control, err, sharedConsole: opts.engine === 'xs' ? 'engine' : 'here',
  });
  if (io === null) return EXIT.UNAVAILABLE;

  let end: RunEnd | number | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let releaseSignals: (() => void) | null = null;
  let started = performance.now();
  try {
    const made = opts.engine === 'xs'
      ? await startXsRun({ plan, io, opts, err, producer: s.producer, trace: s.trace, mirror })
      : await startLocalRun({ plan, io, pins, opts, trace: s.trace, mirror, producer: s.producer, err });
    if (typeof made === 'number') return made;
    run = made;
    if (stopped !== null) run.stop(stopped);
    releaseSignals = s.onSignal?.((signal) => control.stop(signal)) ?? null;
    for (const line of io.banners) err(line);
    // tcp:PORT without nowait: each such VM starts when its own client connects (QEMU's server,wait=on);
    // the others run meanwhile. --timeout (and --stats' wall time) count from when the last of them starts.
    const held = run;
    const released = Promise.all([...io.waiting].map(([name, backend]) => backend.waitForClient().then((connected) => {
      if (connected) held.release(name);
    }))).then(() => {
      started = performance.now();
      if (opts.timeout !== null && end === null) timer = setTimeout(() => control.stop('timeout'), opts.timeout * 1000);
    });
    // XS runs one IMAGE's VM, made when it may start: wait for its client first, or for a stop meanwhile (a configuration's VMs are released one by one).
    if (opts.engine === 'xs' && plan.single) await Promise.race([released, new Promise<void>((res) => { onStop = () => res(); })]);
    const running = run;
    s.progress?.start(() => running.instret());
    end = await run.run();
  } finally {
    s.progress?.stop();
    if (timer !== null) clearTimeout(timer);
    releaseSignals?.();
    const ran = end !== null && typeof end === 'object' ? end : null;
    await run?.close(ran);
    await io.close();
    await run?.closeView(ran);
  }
  const seconds = (performance.now() - started) / 1000;
  if (typeof end === 'number') return end;
  s.trace?.flush(); // the trace comes before the statistics
  if (opts.stats) writeStats(s.stderr, end.outcomes, end.seconds ?? seconds, end.traceStats);
  const status = statusOf(end.outcomes, plan.single, opts.timeout, err);
  return end.saveStatus ?? status;
}
