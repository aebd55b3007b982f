/**
 * `xsvisor`: the command-line front end on Node.
 *
 * Owns the command line's dispatch: parses it, answers --help and
 * --version, hands `hil` to the HIL harness and `run` to the session
 * (host/session.ts) with the --trace output opened, and turns a usage
 * error or a bug into its exit status (host/exit-status.ts). Resolves with
 * the status; the entry point exits with it.
 */

import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { TraceBuffer } from '../../src/monitor/index.js';
import { EXIT } from '../exit-status.js';
import { runHilCommand } from '../hil/command.js';
import type { TerminalInput, TerminalOutput } from '../node/terminal-serial.js';
import { tagLines } from '../report-lines.js';
import { ProgressDisplay } from '../progress.js';
import { runSession } from '../session.js';
import { helpText, parseArgs, UsageError, type RunOptions } from './args.js';

/** What `main` works with; the entry point passes the process's own. */
export interface MainOptions {
  /** Arguments after the program name. */
  readonly argv: readonly string[];
  /** The package's root directory (holds package.json and boards/). */
  readonly packageRoot: string;
  readonly stdin: TerminalInput;
  readonly stdout: TerminalOutput & { write(text: string): boolean; readonly isTTY?: boolean };
  readonly stderr: { write(text: string): boolean; readonly isTTY?: boolean };
  /** Milliseconds between progress updates (host/progress.ts); default its own. */
  readonly progressIntervalMs?: number;
  /** Called with a cleanup to run if the process is killed while the terminal is in raw mode. */
  onSignal?(stop: (signal: string) => void): () => void;
}

/** The version in package.json, or `unknown`. */
export function packageVersion(root: string): string {
  try {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Runs one command line; resolves with the exit status. Never rejects: unexpected errors give {@link EXIT.INTERNAL}. */
export async function main(options: MainOptions): Promise<number> {
  let progress: ProgressDisplay | null = null;
  const err = (text: string): void => {
    options.stderr.write(tagLines('xsvisor: ', text));
  };
  try {
    let command;
    try {
      command = parseArgs(options.argv);
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      err(e.message);
      options.stderr.write("Try 'xsvisor --help' for more information.\n");
      return EXIT.USAGE;
    }
    if (command.kind === 'help') {
      options.stdout.write(helpText());
      return 0;
    }
    if (command.kind === 'version') {
      options.stdout.write(`xsvisor ${packageVersion(options.packageRoot)}\n`);
      return 0;
    }
    if (command.kind === 'hil') return await runHilCommand({ argv: command.argv, stdout: options.stdout, stderr: options.stderr, onSignal: options.onSignal });
    // Progress of a long run (--progress, --no-progress; host/progress.ts); the run's own messages pass through it.
    const o = command.options;
    const shown = new ProgressDisplay({
      mode: o.progress,
      stderr: options.stderr,
      consoleOnTerminal: options.stdout.isTTY === true && (o.config !== null || o.serial === null || o.serial.kind === 'stdio'),
      label: o.config ?? o.image,
      intervalMs: options.progressIntervalMs,
    });
    progress = shown;
    options = { ...options, stderr: { write: (text: string) => shown.write(text), isTTY: options.stderr.isTTY } };
    // --trace: the lines go to stderr or --trace-file, in chunks, flushed before --stats and at the end (docs/trace.md).
    const trace = openTraceOutput(command.options, options.stderr, err);
    if (trace === null) return EXIT.CANT_CREATE;
    try {
      return await runSession({
        opts: command.options,
        packageRoot: options.packageRoot,
        producer: packageVersion(options.packageRoot),
        trace: trace.buffer,
        stdin: options.stdin,
        stdout: options.stdout,
        stderr: options.stderr,
        onSignal: options.onSignal,
        err,
        progress: shown,
      });
    } finally {
      trace.close();
    }
  } catch (e) {
    err(`internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return EXIT.INTERNAL;
  } finally {
    progress?.stop();
  }
}

/** Where --trace lines go: a buffer in front of stderr or the --trace-file (null without --trace). */
interface TraceOutput {
  readonly buffer: TraceBuffer | null;
  /** Flushes the buffer and closes the file. */
  close(): void;
}

/** Opens the --trace output; null (after saying why) when the --trace-file cannot be created. */
function openTraceOutput(opts: RunOptions, stderr: MainOptions['stderr'], err: (text: string) => void): TraceOutput | null {
  if (opts.trace.length === 0) return { buffer: null, close: () => {} };
  if (opts.traceFile === null) {
    const buffer = new TraceBuffer({ write: (text) => void stderr.write(text) });
    return { buffer, close: () => buffer.flush() };
  }
  let fd: number;
  try {
    fd = openSync(opts.traceFile, 'w');
  } catch (e) {
    err(`--trace-file ${opts.traceFile}: cannot create it: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    return null;
  }
  const buffer = new TraceBuffer({ write: (text) => void writeSync(fd, text) });
  return {
    buffer,
    close: () => {
      buffer.flush();
      closeSync(fd);
    },
  };
}
