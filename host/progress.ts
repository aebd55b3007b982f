/**
 * Progress of a long run, shown where it cannot mix with the guest's
 * console: the terminal's title while the console is on that terminal,
 * else a status line on stderr when stderr is a terminal. `--progress`
 * forces plain lines on stderr (for logs and pipes); `--no-progress`
 * shows nothing. Figures: instructions retired, their rate and wall time.
 */

/** How progress is shown: `auto` as above, `on` (`--progress`), `off` (`--no-progress`). */
export type ProgressMode = 'auto' | 'on' | 'off';

/** A stream the display writes to; `isTTY` as Node's streams have it. */
export interface ProgressStream {
  write(text: string): boolean;
  readonly isTTY?: boolean;
}

/** Options of {@link ProgressDisplay}. */
export interface ProgressOptions {
  readonly mode: ProgressMode;
  readonly stderr: ProgressStream;
  /** Whether the guest's console is this process's stdout and stdout is a terminal (then the title is used). */
  readonly consoleOnTerminal: boolean;
  /** What runs, e.g. the image's name or `3 VMs`. */
  readonly label: string;
  /** Milliseconds between updates; default 1000 on a terminal, 10 000 for plain lines. */
  readonly intervalMs?: number;
}

/** Where the figures go, decided once from the mode and the streams. */
type Sink = 'title' | 'status' | 'lines' | 'none';

// XTerm control sequences: set the window title (OSC 2), save and restore the title stack (CSI 22/23 t), erase the line.
const TITLE = (text: string): string => `\x1b]2;${text}\x07`;
const PUSH_TITLE = '\x1b[22;2t';
const POP_TITLE = '\x1b[23;2t';
const CLEAR_LINE = '\r\x1b[K';

/** The sink for `mode` on these streams (exported for the tests). */
export function progressSink(mode: ProgressMode, stderrIsTTY: boolean, consoleOnTerminal: boolean): Sink {
  if (mode === 'off') return 'none';
  if (mode === 'on') return stderrIsTTY && !consoleOnTerminal ? 'status' : 'lines';
  if (!stderrIsTTY) return 'none';
  return consoleOnTerminal ? 'title' : 'status';
}

/** `1234567` -> `1.23 M`: the count of instructions, short. */
export function formatCount(n: number): string {
  if (n < 1e4) return String(n);
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} k`;
  if (n < 1e9) return `${(n / 1e6).toFixed(2)} M`;
  return `${(n / 1e9).toFixed(2)} G`;
}

/** `75` -> `1:15`: elapsed wall time. */
export function formatElapsed(seconds: number): string {
  const s = Math.floor(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/**
 * Shows the figures of a run every interval. {@link start} takes the
 * reading of instructions retired (V8's VMs are read directly; under XS
 * the worker reports them); {@link write} is stderr for the run's own
 * messages, which first clear a status line; {@link stop} erases what it
 * showed (the title is restored, the status line cleared).
 */
export class ProgressDisplay {
  readonly sink: Sink;
  private readonly stderr: ProgressStream;
  private readonly label: string;
  private readonly intervalMs: number;
  private timer: ReturnType<typeof setInterval> | null = null;
  private started = 0;
  private read: () => number = () => 0;
  private shown = false;

  constructor(options: ProgressOptions) {
    this.sink = progressSink(options.mode, options.stderr.isTTY === true, options.consoleOnTerminal);
    this.stderr = options.stderr;
    this.label = options.label;
    this.intervalMs = options.intervalMs ?? (this.sink === 'lines' ? 10_000 : 1000);
  }

  /** Starts the updates; `instret` reads the instructions retired so far. */
  start(instret: () => number): void {
    this.read = instret;
    if (this.sink === 'none' || this.timer !== null) return;
    this.started = performance.now();
    if (this.sink === 'title') this.stderr.write(PUSH_TITLE);
    this.timer = setInterval(() => this.update(), this.intervalMs);
  }

  /** The text of one update (exported for the tests through the instance). */
  text(instructions: number, seconds: number): string {
    const mips = seconds > 0 ? instructions / seconds / 1e6 : 0;
    return `xsvisor: ${this.label}: ${formatCount(instructions)} instructions, ${mips.toFixed(2)} MIPS, ${formatElapsed(seconds)} wall`;
  }

  /** A message of the run's own for stderr: a status line is cleared first, and redrawn at the next update. */
  write(text: string): boolean {
    if (this.shown && this.sink === 'status') {
      this.stderr.write(CLEAR_LINE);
      this.shown = false;
    }
    return this.stderr.write(text);
  }

  /** Ends the updates and erases what they showed. */
  stop(): void {
    if (this.timer === null) return;
    clearInterval(this.timer);
    this.timer = null;
    if (this.sink === 'title') this.stderr.write(POP_TITLE);
    else if (this.sink === 'status' && this.shown) this.stderr.write(CLEAR_LINE);
    this.shown = false;
  }

  private update(): void {
    const line = this.text(this.read(), (performance.now() - this.started) / 1000);
    if (this.sink === 'title') this.stderr.write(TITLE(line));
    else if (this.sink === 'status') this.stderr.write(`${CLEAR_LINE}${line}`);
    else this.stderr.write(`${line}\n`);
    this.shown = true;
  }
}
