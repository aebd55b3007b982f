/**
 * Host stand-in for Moddable's `time` module: `ticks` (milliseconds) and
 * `microseconds`, both monotonic from the engine's `performance.now()`
 * (Node and xsnap have it); `set`, `timezone` and `dst` are accepted and
 * have no effect on the host's clock.
 */

const Time = {
  /** A millisecond counter (only differences mean anything). */
  get ticks(): number {
    return Math.floor(performance.now());
  },
  /** A microsecond counter (only differences mean anything). */
  get microseconds(): number {
    return performance.now() * 1000;
  },
  /** Milliseconds from `start` to `end` (default: now). */
  delta(start: number, end?: number): number {
    return (end ?? Math.floor(performance.now())) - start;
  },
  /** Sets the time of day; the host's is left alone. */
  set(_seconds: number): void {},
  timezone: 0,
  dst: 0,
};

export default Time;
