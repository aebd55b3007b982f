/**
 * Time as the core sees it.
 *
 * One unit throughout the ports: **microseconds**. A clock's `now()` is
 * monotonic (never decreases) and may be fractional. On Node a backend can
 * return `performance.now() * 1000`; on a board, Moddable's
 * `Time.microseconds` or `Time.ticks * 1000`; in deterministic mode, a count
 * derived from retired instructions. Only differences matter: the origin is
 * the backend's.
 */

/** A monotonic time source in microseconds. */
export interface Clock {
  /** The current time in microseconds (non-decreasing; may be fractional). */
  now(): number;
  /**
   * Optional: the ticks of a `hz` counter since the origin, rounded down,
   * for clocks that can count them exactly (an instruction clock keeps
   * integer nanoseconds, which `now()`'s fractional microseconds would
   * round). A timer device uses it instead of `floor(now() * hz / 10^6)`.
   */
  ticks?(hz: number): number;
}

/** Microseconds in one second, for converting frequencies. */
export const MICROS_PER_SECOND = 1_000_000;
