/**
 * Host stand-in for Moddable's `timer` module (documentation/base/base.md,
 * "class Timer"): `set`, `repeat`, `schedule`, `clear`, `delay`.
 *
 * Timers live in one queue served by a single pump. An immediate timer
 * (`set` with no interval, or 0) runs on the next turn of the event loop,
 * after IO callbacks already queued, as on a board. When only future
 * timers remain, Node waits with `setTimeout`; xsnap, which has no
 * timers, blocks in the host's idle wait (see loop.ts), which returns
 * early when input arrives. `timerStats` counts callbacks, so a test can
 * tell a sleeping run loop from a spinning one.
 */

import { getIdleWaiter, later, pendingLater } from './loop.js';

type TimerCallback = (timer: Timer) => void;

/** What the timers did (for tests). */
export const timerStats = { set: 0, fired: 0, idleWaits: 0 };

const queue: Timer[] = [];
let seq = 0;
let pumpQueued = false;
let sleeper: { cancel(): void } | null = null;

const hostSetTimeout = (globalThis as { setTimeout?: (fn: () => void, ms: number) => unknown }).setTimeout;
const hostClearTimeout = (globalThis as { clearTimeout?: (h: unknown) => void }).clearTimeout;

function now(): number {
  return performance.now();
}

/** A timer; opaque to callers, as Moddable's are. */
export default class Timer {
  #callback: TimerCallback;
  #due = 0;
  #repeat = 0;
  #seq = 0;
  #active = false;

  private constructor(callback: TimerCallback) {
    this.#callback = callback;
  }

  /** Calls `callback` once after `interval` ms (none or 0: on the next turn), then every `repeat` ms if given. */
  static set(callback: TimerCallback, interval?: number, repeat?: number): Timer {
    if (typeof callback !== 'function') throw new TypeError('Timer.set: callback is not a function');
    timerStats.set++;
    const t = new Timer(callback);
    Timer.schedule(t, interval, repeat);
    return t;
  }

  /** Calls `callback` every `interval` ms until cleared. */
  static repeat(callback: TimerCallback, interval: number): Timer {
    return Timer.set(callback, interval, interval);
  }

  /** Reschedules `timer` (also one that has fired or was cleared). */
  static schedule(timer: Timer, interval?: number, repeat?: number): void {
    timer.#due = now() + (interval !== undefined && interval > 0 ? interval : 0);
    timer.#repeat = repeat !== undefined && repeat > 0 ? repeat : 0;
    timer.#seq = seq++;
    if (!timer.#active) {
      timer.#active = true;
      queue.push(timer);
    }
    requestPump();
  }

  /** Cancels `timer`; clearing a fired, cleared or absent timer does nothing. */
  static clear(timer: Timer | undefined | null): void {
    if (timer === undefined || timer === null || !timer.#active) return;
    timer.#active = false;
    queue.splice(queue.indexOf(timer), 1);
    if (queue.length === 0 && sleeper !== null) {
      // Nothing left to wait for: let Node's event loop end.
      sleeper.cancel();
      sleeper = null;
    }
  }

  /** Blocks for `ms` milliseconds (a busy wait, as the host has no better way to block JavaScript). */
  static delay(ms: number): void {
    const end = now() + ms;
    while (now() < end) {
      // spin: Timer.delay is a blocking call on a board too
    }
  }

  /** Runs the callbacks of the timers due now, in order of due time then of scheduling. */
  static runDue(): number {
    let ran = 0;
    const t0 = now();
    for (;;) {
      let next: Timer | null = null;
      for (const t of queue) {
        if (t.#due > t0) continue;
        if (next === null || t.#due < next.#due || (t.#due === next.#due && t.#seq < next.#seq)) next = t;
      }
      if (next === null) return ran;
      ran++;
      if (next.#repeat > 0) {
        next.#due += next.#repeat;
        next.#seq = seq++;
      } else {
        next.#active = false;
        queue.splice(queue.indexOf(next), 1);
      }
      timerStats.fired++;
      next.#callback(next);
    }
  }

  /** Milliseconds until the earliest timer, or null when none is set. */
  static nextDelay(): number | null {
    let due = Infinity;
    for (const t of queue) if (t.#due < due) due = t.#due;
    return due === Infinity ? null : Math.max(0, due - now());
  }
}

function requestPump(): void {
  if (sleeper !== null) {
    // Node is sleeping until a timer: a new one may be due earlier, so sleep again.
    sleeper.cancel();
    sleeper = null;
  }
  if (pumpQueued) return;
  const delay = Timer.nextDelay();
  if (delay === null) return;
  pumpQueued = true;
  if (delay <= 0) {
    later(pump);
  } else if (hostSetTimeout !== undefined && hostClearTimeout !== undefined) {
    const h = hostSetTimeout(() => {
      sleeper = null;
      pump();
    }, Math.ceil(delay));
    sleeper = { cancel: () => { pumpQueued = false; hostClearTimeout(h); } };
  } else {
    later(() => {
      // xsnap: block only when nothing else is queued (IO callbacks must not wait for a timer).
      const wait = getIdleWaiter();
      const d = Timer.nextDelay();
      if (wait !== null && pendingLater() === 0 && d !== null && d > 0) {
        timerStats.idleWaits++;
        wait(d);
      }
      pump();
    });
  }
}

function pump(): void {
  pumpQueued = false;
  Timer.runDue();
  requestPump();
}
