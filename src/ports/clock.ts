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
}

/** Microseconds in one second, for converting frequencies. */
export const MICROS_PER_SECOND = 1_000_000;
