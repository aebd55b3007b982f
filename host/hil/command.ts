/**
 * `xsvisor hil`: what the command does, from arguments to exit status.
 *
 * Owns the order of things: parse the arguments, validate the whole
 * scenario, make sure the report can be written, open the port, run the
 * steps (a signal aborts the running step and skips the rest), write the
 * report, close the port. Resolves with the exit status ({@link HIL_EXIT});
 * never rejects (an unexpected error gives 70).
 */

import { closeSync, openSync, writeFileSync } from 'node:fs';
import { tagLines } from '../report-lines.js';
import { EXIT } from '../exit-status.js';
import { parseHilArgs, hilHelpText, type HilOptions } from './args.js';
import { HilPortError, HilUsageError, ScenarioError } from './errors.js';
import { openSerialPort, type HilPort, type OpenSerialPortOptions } from './port.js';
import { formatReport } from './report.js';
import { ConsoleCapture, runScenario } from './runner.js';
import { loadScenarioFile, type Scenario } from './scenario.js';

/** The exit statuses of `xsvisor hil`. */
export const HIL_EXIT = Object.freeze({
  /** Every step passed. */
  PASS: 0,
  /** A step failed. */
  FAIL: 1,
  USAGE: EXIT.USAGE,
  /** The scenario is unreadable or invalid. */
  BAD_SCENARIO: EXIT.BAD_INPUT,
  /** The serial port could not be opened. */
  NO_PORT: EXIT.UNAVAILABLE,
  INTERNAL: EXIT.INTERNAL,
  /** The --output file could not be written (sysexits EX_CANTCREAT, as `run --snapshot-save`). */
  CANT_CREATE: 73,
});

/** Signal numbers for the 128+N status. */
const SIGNALS: Readonly<Record<string, number>> = Object.freeze({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 });

/** What {@link runHilCommand} works with. */
export interface HilCommandOptions {
  /** The arguments after `hil`. */
  readonly argv: readonly string[];
  readonly stdout: { write(text: string): boolean };
  readonly stderr: { write(text: string): boolean };
  /** Subscribes to SIGINT/SIGTERM/SIGHUP (the entry point's); returns the unsubscribe. */
  onSignal?(stop: (signal: string) => void): () => void;
  /** Opens the port; default {@link openSerialPort}. Tests pass a stand-in. */
  openPort?(options: OpenSerialPortOptions): Promise<HilPort>;
}

/** Runs `xsvisor hil ARGS`; resolves with the exit status. */
export async function runHilCommand(options: HilCommandOptions): Promise<number> {
  const err = (text: string): void => {
    options.stderr.write(tagLines('xsvisor hil: ', text));
  };
  try {
    let opts: HilOptions;
    try {
      const cmd = parseHilArgs(options.argv);
      if (cmd.kind === 'help') {
        options.stdout.write(hilHelpText());
        return 0;
      }
      opts = cmd.options;
    } catch (e) {
      if (!(e instanceof HilUsageError)) throw e;
      err(e.message);
      options.stderr.write("Try 'xsvisor hil --help' for more information.\n");
      return HIL_EXIT.USAGE;
    }
    return await hil(options, opts, err);
  } catch (e) {
    err(`internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return HIL_EXIT.INTERNAL;
  }
}

async function hil(options: HilCommandOptions, opts: HilOptions, err: (text: string) => void): Promise<number> {
  // The whole scenario first: a typo in step 40 must not surface after a board was reset 39 steps in.
  let scenario: Scenario;
  try {
    scenario = loadScenarioFile(opts.scenario);
  } catch (e) {
    if (!(e instanceof ScenarioError)) throw e;
    err(e.message);
    return HIL_EXIT.BAD_SCENARIO;
  }
  if (opts.output !== null) {
    const why = writeFile(opts.output, '');
    if (why !== null) {
      err(`${opts.output}: cannot write the report: ${why}`);
      return HIL_EXIT.CANT_CREATE;
    }
  }

  const capture = new ConsoleCapture();
  let port: HilPort;
  try {
    port = await (options.openPort ?? openSerialPort)({
      path: opts.port,
      baudRate: opts.baud,
      onData: (chunk) => capture.push(chunk),
      onLost: (why) => capture.lose(why),
    });
  } catch (e) {
    if (!(e instanceof HilPortError)) throw e;
    err(e.message);
    return HIL_EXIT.NO_PORT;
  }

  const abort = new AbortController();
  const release = options.onSignal?.((signal) => abort.abort(signal)) ?? null;
  let result;
  try {
    result = await runScenario({ scenario, port, capture, signal: abort.signal });
  } finally {
    release?.();
    await port.close();
  }

  const report = formatReport(result, opts.format);
  const summary = `${scenario.name}: passed ${result.passed}, failed ${result.failed}, skipped ${result.skipped}`;
  if (opts.output === null) options.stdout.write(report);
  else {
    const why = writeFile(opts.output, report);
    if (why !== null) {
      err(`${opts.output}: cannot write the report: ${why}`);
      return HIL_EXIT.CANT_CREATE;
    }
    err(`${summary} (report in ${opts.output})`);
  }
  const firstFailure = result.steps.find((r) => r.status === 'failed');
  if (firstFailure !== undefined) err(`step ${firstFailure.number} (${firstFailure.description}) failed: ${firstFailure.failure ?? ''}`);
  if (abort.signal.aborted) return 128 + (SIGNALS[String(abort.signal.reason)] ?? 15);
  return result.failed > 0 ? HIL_EXIT.FAIL : HIL_EXIT.PASS;
}

/** Writes (truncates) `file`; returns null, or the OS's reason in words. */
function writeFile(file: string, text: string): string | null {
  try {
    if (text === '') closeSync(openSync(file, 'w'));
    else writeFileSync(file, text);
    return null;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'no such directory' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : e instanceof Error ? e.message : String(e);
  }
}
