/**
 * Why a board file was refused.
 *
 * Owns {@link BoardError}. Validation collects every problem in a file
 * rather than stopping at the first, so one edit fixes them all; each
 * problem names the JSON path (`$.gpio.lines[3].pin`) and what is wrong.
 */

/** One thing wrong in a board file. */
export interface BoardProblem {
  /** JSONPath of the offending value, `$` for the whole document. */
  readonly path: string;
  /** What is wrong, e.g. `must be an integer 0-39`. */
  readonly problem: string;
}

/** A board file that cannot be used. The message lists every problem, one per line. */
export class BoardError extends Error {
  /** The file as the caller named it (e.g. `boards/esp32-c3.json`). */
  readonly file: string;
  /** Every problem found, in document order; never empty. */
  readonly problems: readonly BoardProblem[];
  /** The first problem's path. */
  readonly path: string;
  /** The first problem's description. */
  readonly problem: string;

  constructor(file: string, problems: readonly BoardProblem[]) {
    const list = problems.length > 0 ? problems : [{ path: '$', problem: 'is not a valid board' }];
    super(list.map((p) => `${file}: ${p.path}: ${p.problem}`).join('\n'));
    Object.defineProperty(this, 'name', { value: 'BoardError', writable: true, configurable: true });
    this.file = file;
    this.problems = Object.freeze(list.slice());
    this.path = list[0].path;
    this.problem = list[0].problem;
  }
}
