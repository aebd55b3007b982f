/**
 * How a guest asks to stop: the report the test finisher and HTIF deliver
 * to the monitor through their `onExit` callback.
 */

/** What the guest asked for. */
export type ExitKind = 'pass' | 'fail' | 'reset';

/** A guest's request to end (or restart) the run. */
export interface ExitReport {
  readonly kind: ExitKind;
  /** The exit status the host should return: 0 for pass and reset, never 0 for fail. */
  readonly status: number;
}

/** Receives exit reports. Called from inside a guest store, so it should only record the request. */
export type ExitCallback = (report: ExitReport) => void;
