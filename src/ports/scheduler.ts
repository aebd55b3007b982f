/**
 * Deferred work: the way the core yields to the engine's event loop.
 *
 * The run loop executes a slice of guest instructions, then asks the
 * scheduler to call it again `soon()` (Node: `setImmediate`; XS: `Timer.set(cb, 0)`)
 * or `after()` a delay (when the guest waits for a timer), so that serial
 * and pin callbacks run in between. Delays are in microseconds, the unit of
 * the {@link Clock} port; backends round them to what they can do.
 */

/** Identifies a scheduled callback, for {@link Scheduler.cancel}. Opaque to callers. */
export type ScheduledTask = unknown;

/** Runs callbacks later, once each. */
export interface Scheduler {
  /** Runs `callback` once, as soon as the event loop is free. Returns a handle for `cancel`. */
  soon(callback: () => void): ScheduledTask;
  /**
   * Runs `callback` once, no earlier than `delay` microseconds from now
   * (a negative or NaN delay counts as 0). Returns a handle for `cancel`.
   */
  after(delay: number, callback: () => void): ScheduledTask;
  /** Cancels a callback that has not run. Cancelling one that ran, or twice, is harmless. */
  cancel(task: ScheduledTask): void;
}
