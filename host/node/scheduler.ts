/**
 * The Node scheduler backend: the {@link Scheduler} port on `setImmediate`
 * and `setTimeout`.
 *
 * `soon()` uses `setImmediate`, which runs after pending I/O callbacks, so a
 * run loop that reschedules itself with `soon()` still lets stdin and
 * socket data in between slices (a resolved promise would not).
 * `after()` takes microseconds and rounds up to the millisecond timers of
 * Node; a delay under a millisecond becomes `setImmediate`, since a
 * `setTimeout(0)` would cost a whole millisecond for nothing.
 */

import type { ScheduledTask, Scheduler } from '../../src/ports/scheduler.js';

type Handle = { readonly kind: 'immediate'; readonly id: NodeJS.Immediate } | { readonly kind: 'timeout'; readonly id: NodeJS.Timeout };

/** Returns a scheduler backed by Node's timers. */
export function createNodeScheduler(): Scheduler {
  return Object.freeze({
    soon(callback: () => void): ScheduledTask {
      return { kind: 'immediate', id: setImmediate(callback) } satisfies Handle;
    },
    after(delay: number, callback: () => void): ScheduledTask {
      const us = delay > 0 ? delay : 0;
      if (us < 1000) return { kind: 'immediate', id: setImmediate(callback) } satisfies Handle;
      return { kind: 'timeout', id: setTimeout(callback, Math.ceil(us / 1000)) } satisfies Handle;
    },
    cancel(task: ScheduledTask): void {
      const h = task as Handle | null | undefined;
      if (h === null || h === undefined || typeof h !== 'object') return;
      if (h.kind === 'immediate') clearImmediate(h.id);
      else if (h.kind === 'timeout') clearTimeout(h.id);
    },
  });
}
