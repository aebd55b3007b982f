/**
 * Host stand-in for Moddable's `time` module: `ticks` (milliseconds),
 * monotonic from the engine's `performance.now()` (Node and xsnap have
 * it), and `microseconds` where the simulated board's build has it: the
 * manifest includes Moddable's microseconds module for ESP32 only, since
 * it does not compile for the Pico in SDK 8.2.3 (docs/moddable.md).
 * `set`, `timezone` and `dst` are accepted and have no effect.
 */

let microseconds = true;

/** Says whether the simulated board's build has `Time.microseconds` (device.ts sets it from the platform). */
export function setHostMicroseconds(has: boolean): void {
  microseconds = has;
}

const Time = {
  /** A millisecond counter (only differences mean anything). */
  get ticks(): number {
    return Math.floor(performance.now());
  },
  /** A microsecond counter (only differences mean anything), or undefined as on a Pico. */
  get microseconds(): number | undefined {
    return microseconds ? performance.now() * 1000 : undefined;
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
