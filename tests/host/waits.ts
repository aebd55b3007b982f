/**
 * Small helpers the host suites share for waiting on things outside the
 * process: a free TCP port, and a condition checked whenever an event fires
 * (never by polling the clock; the timeout is a hang guard only).
 */
import { createServer } from 'node:net';

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const p = (probe.address() as { port: number }).port;
      probe.close(() => resolve(p));
    });
  });
}

/**
 * Resolves once `test()` holds, checking now and whenever `on`'s callback
 * is called (hook it to the events that can change the answer); rejects
 * with `no WHAT` after `ms`.
 */
export function until(on: (check: () => void) => void, test: () => boolean, what: string, ms = 60_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const guard = setTimeout(() => reject(new Error(`no ${what}`)), ms);
    const check = (): void => {
      if (!test()) return;
      clearTimeout(guard);
      resolve();
    };
    on(check);
    check();
  });
}
