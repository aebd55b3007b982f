/**
 * The command line of `xsvisor hil`: its options and help text.
 *
 * Owns the syntax only; command.ts acts on it. As for `xsvisor run`,
 * values may be given as `--opt VALUE` or `--opt=VALUE`, and `--` ends the
 * options. host/cli/args.ts hands over everything after `hil`.
 */

import { splitOptions } from '../options.js';
import { HilUsageError } from './errors.js';
import { DEFAULT_BAUD } from './port.js';
import { REPORT_FORMATS, type ReportFormat } from './report.js';

/** Fastest line speed accepted (bits per second); USB bridges top out around 12 Mbit/s. */
export const MAX_BAUD = 12_000_000;

/** Options of `xsvisor hil`. */
export interface HilOptions {
  /** The serial device: `/dev/ttyUSB0`, `/dev/pts/3`, `COM3`. */
  readonly port: string;
  /** Line speed, bits per second. */
  readonly baud: number;
  readonly format: ReportFormat;
  /** Where the report goes; null: stdout. */
  readonly output: string | null;
  /** The scenario file. */
  readonly scenario: string;
}

/** What `xsvisor hil ARGS` asks for. */
export type HilCommand = { readonly kind: 'help' } | { readonly kind: 'run'; readonly options: HilOptions };

const VALUE_OPTIONS = Object.freeze(['--port', '--baud', '--format', '--output']);

/**
 * Takes the arguments after `hil`; returns the command. Refuses unknown
 * or repeated options, missing or malformed values, a missing `--port`,
 * and anything but one scenario with a {@link HilUsageError}.
 */
export function parseHilArgs(argv: readonly string[]): HilCommand {
  const split = splitOptions(argv, { values: VALUE_OPTIONS, flags: [], early: ['-h', '--help'] }, (message, argument) => new HilUsageError(message, argument));
  if (split.early !== null) return { kind: 'help' };
  const seen = split.values;
  const positional = split.operands;
  const port = seen.get('--port');
  if (port === undefined) throw new HilUsageError('no --port PATH given (the board\'s serial device, e.g. /dev/ttyUSB0)');
  if (port === '') throw new HilUsageError('--port: no path given', '--port');

  const baudText = seen.get('--baud');
  let baud = DEFAULT_BAUD;
  if (baudText !== undefined) {
    baud = /^[0-9]{1,9}$/.test(baudText) ? Number(baudText) : NaN;
    if (!(baud >= 1 && baud <= MAX_BAUD)) throw new HilUsageError(`--baud: '${baudText}' is not a line speed in bits per second (1-${MAX_BAUD})`, baudText);
  }

  const formatText = seen.get('--format') ?? REPORT_FORMATS[0];
  if (!(REPORT_FORMATS as readonly string[]).includes(formatText)) throw new HilUsageError(`--format: '${formatText}' is not ${REPORT_FORMATS.join(' or ')}`, formatText);

  const output = seen.get('--output') ?? null;
  if (output === '') throw new HilUsageError('--output: no file named', '--output');

  if (positional.length === 0) throw new HilUsageError('no SCENARIO.json given');
  if (positional.length > 1) throw new HilUsageError(`one SCENARIO.json expected, got ${positional.length}: ${positional.join(' ')}`, positional[1]);

  return { kind: 'run', options: Object.freeze({ port, baud, format: formatText as ReportFormat, output, scenario: positional[0] }) };
}

/** The help text of `xsvisor hil --help`. */
export function hilHelpText(): string {
  return `Usage: xsvisor hil --port PATH [--baud N] [--format tap|junit] [--output FILE] SCENARIO.json

Runs a hardware-in-the-loop scenario against a serial console: a board
running xsvisor (or anything with a console), or a guest of 'xsvisor run
--serial mon:pty'. The scenario (JSON, docs/hil.md) sends text, expects
regular expressions in the output, resets the board (DTR, RTS, or the
monitor's Ctrl-A r) and logs output; each step is one TAP test point or
one JUnit testcase. The scenario is checked fully before the port opens.

Options:
  --port PATH       the serial device (/dev/ttyUSB0, /dev/ttyACM0, /dev/pts/N, COM3)
  --baud N          line speed in bits per second (default ${DEFAULT_BAUD}), 8N1
  --format FORMAT   tap (default): TAP version 14; junit: JUnit XML
  --output FILE     write the report to FILE instead of stdout
  -h, --help        show this help and exit

Exit status:
  0    every step passed
  1    a step failed (the steps after it are skipped)
  64   bad arguments
  65   bad or unreadable scenario (the message names the file, the JSON path and the problem)
  69   the serial port could not be opened (the message names the path and the OS error)
  73   the --output file could not be written
  128+N  interrupted by signal N (the report is still written)
`;
}
