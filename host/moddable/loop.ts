/**
 * The event loop the host stand-ins share (Node and xsnap).
 *
 * Moddable delivers IO callbacks and timers from its run loop, never from
 * inside a call into the IO object; `later` does the same here, on
 * `setImmediate` (both Node and xsnap have it). It counts what is queued,
 * so that under xsnap, which has no timers, the Timer stand-in can tell
 * when nothing but a future timer is left and block in the host's idle
 * wait (which the XS bridge answers early when input arrives) instead of
 * spinning.
 */

type Immediate = (fn: () => void) => unknown;

const g = globalThis as { setImmediate?: Immediate };
const immediate: Immediate = typeof g.setImmediate === 'function'
  ? g.setImmediate.bind(globalThis)
  : (fn) => Promise.resolve().then(fn);

let queued = 0;
let idleWaiter: ((ms: number) => void) | null = null;

/** Runs `fn` on a later turn of the event loop (after what is already queued). */
export function later(fn: () => void): void {
  queued++;
  immediate(() => {
    queued--;
    fn();
  });
}

/** Callbacks queued with {@link later} that have not run yet. */
export function pendingLater(): number {
  return queued;
}

/**
 * Sets the function that blocks the engine for up to `ms` milliseconds or
 * until input arrives (the XS bridge's issueCommand wait), or null for
 * none (Node, which has real timers).
 */
export function setIdleWaiter(waiter: ((ms: number) => void) | null): void {
  idleWaiter = waiter;
}

/** The idle waiter, if the host has one. */
export function getIdleWaiter(): ((ms: number) => void) | null {
  return idleWaiter;
}
