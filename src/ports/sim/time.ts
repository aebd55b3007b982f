/** A clock and a scheduler (src/ports/clock.ts, scheduler.ts) that tests advance by hand. */

import type { Clock } from '../clock.js';
import type { ScheduledTask, Scheduler } from '../scheduler.js';
import { checkCapacity, PortError } from './errors.js';

/** A clock that moves only when told to (microseconds). */
export class ManualClock implements Clock {
  private t: number;

  /** Takes the starting time in microseconds (default 0). */
  constructor(options: { now?: number } = {}) {
    this.t = options.now ?? 0;
    if (!Number.isFinite(this.t)) throw new PortError('clock', 'bad-value', `start time ${this.t} is not finite`);
  }

  now(): number {
    return this.t;
  }

  /** Moves the clock forward by `us` microseconds. Refuses a negative or non-finite step. */
  advance(us: number): void {
    if (!(us >= 0) || !Number.isFinite(us)) throw new PortError('clock', 'bad-value', `step ${us} is not a finite non-negative number`);
    this.t += us;
  }

  /** Sets the clock to `us`. Refuses going backwards (the clock is monotonic). */
  set(us: number): void {
    if (!(us >= this.t) || !Number.isFinite(us)) throw new PortError('clock', 'bad-value', `time ${us} is before ${this.t} or not finite`);
    this.t = us;
  }
}

interface Task {
  readonly seq: number;
  readonly due: number;
  readonly callback: () => void;
}

/**
 * A scheduler driven by hand: callbacks run only from {@link runDue} and
 * {@link advance}. `soon` callbacks are due at once; `after` callbacks when
 * the clock reaches their time. Holds at most `capacity` tasks.
 */
export class ManualScheduler implements Scheduler {
  /** The clock that decides which tasks are due. */
  readonly clock: ManualClock;
  private readonly capacity: number;
  private tasks: Task[] = [];
  private seq = 0;

  /** Takes the clock to follow (default: a new ManualClock at 0) and the task capacity (default 1024). */
  constructor(options: { clock?: ManualClock; capacity?: number } = {}) {
    this.clock = options.clock ?? new ManualClock();
    this.capacity = checkCapacity('scheduler', 'capacity', options.capacity ?? 1024);
  }

  /** Tasks scheduled and not yet run or cancelled. */
  get pending(): number {
    return this.tasks.length;
  }

  soon(callback: () => void): ScheduledTask {
    return this.add(this.clock.now(), callback);
  }

  after(delay: number, callback: () => void): ScheduledTask {
    return this.add(this.clock.now() + (delay > 0 ? delay : 0), callback);
  }

  cancel(task: ScheduledTask): void {
    const i = this.tasks.indexOf(task as Task);
    if (i >= 0) this.tasks.splice(i, 1);
  }

  /**
   * Runs, in order of due time then scheduling order, the tasks that are due
   * now and were scheduled before this call (a task that schedules another
   * does not make this call loop). Returns how many ran.
   */
  runDue(): number {
    const now = this.clock.now();
    const limit = this.seq;
    let ran = 0;
    for (;;) {
      const next = this.earliest(now, limit);
      if (next === null) return ran;
      this.tasks.splice(this.tasks.indexOf(next), 1);
      ran++;
      next.callback();
    }
  }

  /**
   * Moves the clock forward by `us`, stopping at each task's due time to run
   * what is due then. Returns how many tasks ran.
   */
  advance(us: number): number {
    if (!(us >= 0) || !Number.isFinite(us)) throw new PortError('scheduler', 'bad-value', `step ${us} is not a finite non-negative number`);
    const end = this.clock.now() + us;
    let ran = this.runDue();
    for (let rounds = 0; ; rounds++) {
      // A task that keeps rescheduling itself at once would never let the clock move.
      if (rounds > 1_000_000) throw new PortError('scheduler', 'full', 'tasks keep rescheduling themselves at the same time');
      let due = Infinity;
      for (const t of this.tasks) if (t.due < due) due = t.due;
      if (due > end) break;
      if (due > this.clock.now()) this.clock.set(due);
      ran += this.runDue();
    }
    this.clock.set(end);
    return ran;
  }

  private earliest(now: number, limit: number): Task | null {
    let best: Task | null = null;
    for (const t of this.tasks) {
      if (t.due > now || t.seq >= limit) continue;
      if (best === null || t.due < best.due || (t.due === best.due && t.seq < best.seq)) best = t;
    }
    return best;
  }

  private add(due: number, callback: () => void): ScheduledTask {
    if (this.tasks.length >= this.capacity) {
      throw new PortError('scheduler', 'full', `more than ${this.capacity} tasks are pending`);
    }
    const task: Task = { seq: this.seq++, due, callback };
    this.tasks.push(task);
    return task;
  }
}
