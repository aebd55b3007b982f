/**
 * The errors of the hardware-in-the-loop harness (`xsvisor hil`).
 *
 * Owns the three ways a HIL run is refused before any step runs: bad
 * command-line arguments ({@link HilUsageError}, exit 64), a bad scenario
 * file ({@link ScenarioError}, exit 65) and a serial port that cannot be
 * opened ({@link HilPortError}, exit 69). A step that fails while running
 * is not an error: it is a `not ok` in the report (exit 1).
 */

/** Bad `xsvisor hil` arguments. */
export class HilUsageError extends Error {
  /** The argument at fault, or null. */
  readonly argument: string | null;
  constructor(message: string, argument: string | null = null) {
    super(message);
    this.name = 'HilUsageError';
    this.argument = argument;
  }
}

/** A scenario file that cannot be read, is not JSON, or breaks the format (docs/hil.md). */
export class ScenarioError extends Error {
  /** The scenario file as the user named it. */
  readonly file: string;
  /** JSONPath-like place of the (first) problem (`$`, `$.steps[2].timeout`). */
  readonly path: string;
  /** What is wrong there, in words. */
  readonly problem: string;
  /** Every problem found, in file order (the first is `path`/`problem`); the message has one line for each. */
  readonly problems: readonly { readonly path: string; readonly problem: string }[];
  /** Takes one problem (`path`, `problem`) or several (`problems`, at least one). */
  constructor(fields: { file: string; path: string; problem: string } | { file: string; problems: readonly { path: string; problem: string }[] }) {
    const problems = 'problems' in fields ? fields.problems : [{ path: fields.path, problem: fields.problem }];
    super(problems.map((p) => `${fields.file}: ${p.path}: ${p.problem}`).join('\n'));
    this.name = 'ScenarioError';
    this.file = fields.file;
    this.path = problems[0]?.path ?? '$';
    this.problem = problems[0]?.problem ?? 'invalid';
    this.problems = Object.freeze(problems.map((p) => Object.freeze({ path: p.path, problem: p.problem })));
  }
}

/** The serial port could not be opened (or its driver could not be loaded). */
export class HilPortError extends Error {
  /** The port's path as given with --port. */
  readonly path: string;
  /** The operating system's (or the driver's) own words. */
  readonly osError: string;
  constructor(fields: { path: string; osError: string; cause?: unknown }) {
    super(`cannot open serial port ${fields.path}: ${fields.osError}`, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.name = 'HilPortError';
    this.path = fields.path;
    this.osError = fields.osError;
  }
}
