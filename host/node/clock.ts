/**
 * The Node clock backend: the {@link Clock} port on `performance.now()`.
 *
 * Microseconds, as the port requires; monotonic because
 * `performance.now()` is (it does not follow wall-clock adjustments).
 */

import { performance } from 'node:perf_hooks';
import type { Clock } from '../../src/ports/clock.js';

/** Returns a clock whose `now()` is microseconds since the process's time origin. */
export function createNodeClock(): Clock {
  return Object.freeze({
    now: (): number => performance.now() * 1000,
  });
}
