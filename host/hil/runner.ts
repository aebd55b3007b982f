/**
 * Running a HIL scenario against an open console port.
 *
 * Owns the console's received text ({@link ConsoleCapture}: UTF-8, bounded
 * buffers) and the steps' semantics (docs/hil.md): `send` writes after its
 * `delay` and waits until the OS took it; `expect` matches the output since
 * the previous match, waiting up to its timeout, and consumes it; `reset`
 * pulses DTR or RTS or sends Ctrl-A r, dropping the output received before
 * it; `log` reports the output since the previous `log`. Each step is
 * timed; the first failure ends the run and the rest are reported skipped.
 */

import { performance } from 'node:perf_hooks';
import type { HilPort } from './port.js';
import type { Scenario, ScenarioStep } from './scenario.js';

/** Characters of received output an `expect` can see, and a `log` collects, at most: 1 Mi (1 MiB of ASCII). Older output is dropped. */
export const CAPTURE_CAPACITY = 1024 * 1024;
/** Characters of unmatched output quoted in a failed step's report. */
export const FAILURE_TAIL = 2048;
/** What the `monitor` reset sends: xsvisor's console escape Ctrl-A r (`xsvisor run --serial mon:pty`). */
export const MONITOR_RESET_BYTES = Object.freeze([0x01, 0x72]);

/** How one step went. */
export interface StepResult {
  /** 1-based, as the TAP test point. */
  readonly number: number;
  readonly step: ScenarioStep;
  /** The step's name, or one made from it (`expect /demo> /`). */
  readonly description: string;
  /** passed, failed, or skipped (an earlier step failed). */
  readonly status: 'passed' | 'failed' | 'skipped';
  /** Wall time of the step in seconds (0 when skipped). */
  readonly seconds: number;
  /** Why it failed (one line), or null. */
  readonly failure: string | null;
  /** For a failed `expect`: the output received since the last match (its last {@link FAILURE_TAIL} characters); else null. */
  readonly received: string | null;
  /** For a `log` step: the output collected; else null. */
  readonly output: string | null;
  /** For a `log` step: characters dropped from the front of `output` by the bound. */
  readonly outputDropped: number;
}

/** How the scenario went. */
export interface HilResult {
  readonly scenario: Scenario;
  /** The port's path. */
  readonly port: string;
  /** When the run started. */
  readonly startedAt: Date;
  /** Wall time of the whole run in seconds. */
  readonly seconds: number;
  readonly steps: readonly StepResult[];
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
}

/**
 * The console's output as the runner sees it. Feed it with {@link push}
 * (the port's `onData`) and {@link lose} (its `onLost`).
 */
export class ConsoleCapture {
  /** Characters kept in each buffer. */
  readonly capacity: number;
  private readonly decoder = new TextDecoder('utf-8');
  /** Output since the last match or reset: what `expect` searches. */
  private pending = '';
  /** Output since the last `log`: what `log` reports. */
  private transcript = '';
  private transcriptDropped = 0;
  private listener: (() => void) | null = null;
  private lostWhy: string | null = null;

  /** `capacity`: characters kept in each buffer (default {@link CAPTURE_CAPACITY}); refuses a non-positive one with a RangeError. */
  constructor(options: { capacity?: number } = {}) {
    this.capacity = options.capacity ?? CAPTURE_CAPACITY;
    if (!Number.isInteger(this.capacity) || this.capacity <= 0) throw new RangeError(`capacity ${String(options.capacity)} is not a positive integer`);
  }

  /** Why the port went away, or null while it is there. */
  get lost(): string | null {
    return this.lostWhy;
  }

  /** Output an `expect` would search now. */
  get unmatched(): string {
    return this.pending;
  }

  /** Takes received bytes (UTF-8; invalid sequences become U+FFFD). */
  push(chunk: Uint8Array): void {
    const text = this.decoder.decode(chunk, { stream: true });
    if (text === '') return;
    this.pending = bound(this.pending + text, this.capacity);
    const t = this.transcript + text;
    if (t.length > this.capacity) this.transcriptDropped += t.length - this.capacity;
    this.transcript = bound(t, this.capacity);
    this.listener?.();
  }

  /** The port is gone (`why` in the OS's words); waiting steps fail at once. */
  lose(why: string): void {
    if (this.lostWhy !== null) return;
    this.lostWhy = why;
    this.listener?.();
  }

  /** Forgets the output up to `end` (a match's end). */
  consume(end: number): void {
    this.pending = this.pending.slice(end);
  }

  /** Forgets all output not yet matched (a reset). */
  clear(): void {
    this.pending = '';
  }

  /** Returns the output since the last call (and how many characters the bound dropped from its front), and starts again. */
  takeTranscript(): { text: string; dropped: number } {
    const r = { text: this.transcript, dropped: this.transcriptDropped };
    this.transcript = '';
    this.transcriptDropped = 0;
    return r;
  }

  /** Sets the function called after new output or a loss (one at a time; null to clear). */
  onChange(listener: (() => void) | null): void {
    this.listener = listener;
  }
}

function bound(s: string, cap: number): string {
  return s.length > cap ? s.slice(s.length - cap) : s;
}

/** Options of {@link runScenario}. */
export interface RunScenarioOptions {
  readonly scenario: Scenario;
  /** The open port. */
  readonly port: HilPort;
  /** Fed by the port's callbacks. */
  readonly capture: ConsoleCapture;
  /** Aborting fails the running step with the signal's reason (e.g. `SIGINT`) and skips the rest. */
  readonly signal?: AbortSignal;
}

/**
 * Runs the steps in order. Resolves with the {@link HilResult}; never
 * rejects for a step's failure (an OS error on DTR, a timeout, a lost port
 * are failed steps).
 */
export async function runScenario(options: RunScenarioOptions): Promise<HilResult> {
  const { scenario, port, capture, signal } = options;
  const startedAt = new Date();
  const t0 = performance.now();
  const results: StepResult[] = [];
  let failed = false;
  for (let i = 0; i < scenario.steps.length; i++) {
    const step = scenario.steps[i];
    const description = describe(step);
    if (failed) {
      results.push(Object.freeze({ number: i + 1, step, description, status: 'skipped', seconds: 0, failure: null, received: null, output: null, outputDropped: 0 }));
      continue;
    }
    const s0 = performance.now();
    let failure: string | null = null;
    let received: string | null = null;
    let output: string | null = null;
    let outputDropped = 0;
    try {
      switch (step.kind) {
        case 'send':
          if (step.delay > 0) await sleep(step.delay, signal);
          checkAlive(capture, signal);
          await withTimeout(port.write(new TextEncoder().encode(step.text)), scenario.timeout, `the port did not take the text within ${scenario.timeout} s`);
          break;
        case 'expect': {
          const r = await expect(capture, step.pattern, step.timeout, signal);
          if (r !== null) {
            failure = r;
            received = tail(capture.unmatched);
          }
          break;
        }
        case 'reset':
          checkAlive(capture, signal);
          // Before, not after: the fresh boot's first words may arrive before the write or the pulse completes.
          capture.clear();
          if (step.method === 'monitor') {
            await withTimeout(port.write(Uint8Array.from(MONITOR_RESET_BYTES)), scenario.timeout, `the port did not take Ctrl-A r within ${scenario.timeout} s`);
          } else {
            const line = step.method;
            const held = { dtr: true, rts: true };
            try {
              await port.setLines({ ...held, [line]: false });
              await sleep(step.pulse, signal);
              await port.setLines(held);
            } catch (e) {
              if (e instanceof Aborted) throw e;
              throw new Error(`cannot set ${line.toUpperCase()} on ${port.path}: ${e instanceof Error ? e.message : String(e)}`);
            }
          }
          break;
        case 'log': {
          const t = capture.takeTranscript();
          output = t.text;
          outputDropped = t.dropped;
          break;
        }
      }
    } catch (e) {
      failure = e instanceof Error ? e.message : String(e);
    }
    if (failure !== null) failed = true;
    results.push(Object.freeze({
      number: i + 1,
      step,
      description,
      status: failure === null ? 'passed' : 'failed',
      seconds: (performance.now() - s0) / 1000,
      failure,
      received,
      output,
      outputDropped,
    }));
  }
  const count = (s: StepResult['status']): number => results.filter((r) => r.status === s).length;
  return Object.freeze({
    scenario,
    port: port.path,
    startedAt,
    seconds: (performance.now() - t0) / 1000,
    steps: Object.freeze(results),
    passed: count('passed'),
    failed: count('failed'),
    skipped: count('skipped'),
  });
}

/** A step's name, or words made from the step. */
export function describe(step: ScenarioStep): string {
  if (step.name !== null) return step.name;
  switch (step.kind) {
    case 'send': return `send ${JSON.stringify(step.text.length > 60 ? `${step.text.slice(0, 57)}...` : step.text)}`;
    case 'expect': return `expect ${String(step.pattern)}`;
    case 'reset': return `reset ${step.method}`;
    case 'log': return `log ${step.label}`;
  }
}

/** The reason a run was aborted, as a failure. */
class Aborted extends Error {}

function checkAlive(capture: ConsoleCapture, signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new Aborted(`interrupted (${String(signal.reason)})`);
  if (capture.lost !== null) throw new Error(`the port is gone: ${capture.lost}`);
}

/** Resolves with null on a match (consumed), or with why there was none. */
function expect(capture: ConsoleCapture, pattern: RegExp, timeout: number, signal: AbortSignal | undefined): Promise<string | null> {
  return new Promise((resolve) => {
    let scheduled = false;
    let finished = false;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const done = (why: string | null): void => {
      if (finished) return;
      finished = true;
      capture.onChange(null);
      if (timer !== null) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(why);
    };
    const onAbort = (): void => done(`interrupted (${String(signal?.reason)}) while waiting for ${String(pattern)}`);
    const check = (): void => {
      scheduled = false;
      if (finished) return;
      const m = pattern.exec(capture.unmatched);
      if (m !== null) {
        capture.consume(m.index + m[0].length);
        done(null);
      } else if (capture.lost !== null) {
        done(`the port is gone (${capture.lost}) while waiting for ${String(pattern)}`);
      }
    };
    if (signal?.aborted === true) {
      onAbort();
      return;
    }
    signal?.addEventListener('abort', onAbort);
    timer = setTimeout(() => {
      // One last look: output may have arrived in this very turn.
      const m = pattern.exec(capture.unmatched);
      if (m !== null) {
        capture.consume(m.index + m[0].length);
        done(null);
        return;
      }
      done(`no match for ${String(pattern)} within ${timeout} s (${capture.unmatched.length} characters received since the last match)`);
    }, timeout * 1000);
    // A burst of small chunks is searched once per event-loop turn, not once per chunk.
    capture.onChange(() => {
      if (scheduled) return;
      scheduled = true;
      setImmediate(check);
    });
    check();
  });
}

function sleep(secondsToWait: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(new Aborted(`interrupted (${String(signal.reason)})`));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new Aborted(`interrupted (${String(signal?.reason)})`));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, secondsToWait * 1000);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** `p`, or a rejection with `why` after `secondsToWait` (a port that never drains, with flow control held off). */
function withTimeout<T>(p: Promise<T>, secondsToWait: number, why: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(why)), secondsToWait * 1000);
  });
  return Promise.race([p, t]).finally(() => {
    if (timer !== null) clearTimeout(timer);
  });
}

function tail(s: string): string {
  return s.length > FAILURE_TAIL ? s.slice(s.length - FAILURE_TAIL) : s;
}
