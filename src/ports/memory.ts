/**
 * In-memory port implementations: a serial line, a pin, a clock and a
 * scheduler that tests (and host simulations) drive by hand.
 *
 * They are engine-neutral and bounded: every buffer has a fixed capacity
 * chosen at construction, and what does not fit is refused or counted,
 * never stored. Like the ECMA-419 objects they stand in for, they never
 * call back from inside `read()`/`write()`; callbacks run from the methods
 * the test calls (`inject`, `setWritable`, `drive`, `runDue`, ...), which
 * play the part of the event loop.
 */

import type { Clock } from './clock.js';
import { DigitalEdge, DigitalMode, type DigitalPin, type DigitalPinFactory, type DigitalPinOptions } from './digital.js';
import type { ScheduledTask, Scheduler } from './scheduler.js';
import type { SerialPort, SerialPortCallbacks, SerialPortFactory } from './serial.js';

/** Why an in-memory port refused a request. */
export type PortErrorReason = 'in-use' | 'closed' | 'full' | 'bad-value';

/** A request an in-memory port refused. */
export class PortError extends Error {
  readonly reason: PortErrorReason;
  /** Which port: `serial`, `pin`, `clock` or `scheduler`. */
  readonly port: string;

  constructor(port: string, reason: PortErrorReason, detail: string) {
    super(`${port}: ${detail}`);
    this.name = 'PortError';
    this.port = port;
    this.reason = reason;
  }
}

function checkCapacity(port: string, what: string, n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 0x4000000) {
    throw new PortError(port, 'bad-value', `${what} ${n} is not an integer in [1, 2^26]`);
  }
  return n;
}

// ------------------------------------------------------------------ serial

/** Options of a {@link MemorySerial}. */
export interface MemorySerialOptions {
  /** Bytes the far end may queue towards the port; `inject` refuses the rest (default 4096). */
  inputCapacity?: number;
  /** Bytes of output held until `takeOutput()`; the port reports no room past it (default 65536). */
  outputCapacity?: number;
  /**
   * A write allowance that makes the port slow: at most this many bytes are
   * accepted until `setWritable` grants more. Omitted: limited only by the
   * output buffer.
   */
  writable?: number;
}

/** What a {@link MemorySerial} counted. */
export interface MemorySerialStats {
  /** Bytes `inject` refused because the input buffer was full. */
  injectRefused: number;
  /** Bytes written past the reported budget, and dropped. */
  overflowWrites: number;
}

/**
 * The far end of a serial line, in memory: a test injects bytes towards the
 * port and takes what the port wrote. `open` is a {@link SerialPortFactory}
 * (one port open at a time).
 */
export class MemorySerial {
  /** Opens the port end with the device's callbacks. Refuses a second open while one is open ({@link PortError} `in-use`). */
  readonly open: SerialPortFactory;
  readonly stats: MemorySerialStats = { injectRefused: 0, overflowWrites: 0 };

  private readonly input: Uint8Array;
  private inHead = 0;
  private inCount = 0;
  private readonly output: Uint8Array;
  private outCount = 0;
  private allowance: number | null;
  private callbacks: SerialPortCallbacks | null = null;
  private port: SerialPort | null = null;

  constructor(options: MemorySerialOptions = {}) {
    this.input = new Uint8Array(checkCapacity('serial', 'inputCapacity', options.inputCapacity ?? 4096));
    this.output = new Uint8Array(checkCapacity('serial', 'outputCapacity', options.outputCapacity ?? 65536));
    this.allowance = options.writable === undefined ? null : Math.max(0, Math.floor(options.writable));
    this.open = (callbacks: SerialPortCallbacks): SerialPort => this.openPort(callbacks);
  }

  /** True while a port is open. */
  get isOpen(): boolean {
    return this.port !== null;
  }

  /** Injected bytes the port has not read yet. */
  get waiting(): number {
    return this.inCount;
  }

  /** Bytes written and not yet taken. */
  get outputLength(): number {
    return this.outCount;
  }

  /** The number of bytes the port may write now. */
  get writable(): number {
    const free = this.output.length - this.outCount;
    return this.allowance === null ? free : Math.min(free, this.allowance);
  }

  /**
   * Queues bytes towards the port (a string is taken as Latin-1, one byte
   * per character). Returns how many were accepted: the rest did not fit in
   * the input buffer and were refused (counted in `stats.injectRefused`).
   * Reports `onReadable` when anything was accepted and a port is open.
   */
  inject(data: Uint8Array | readonly number[] | string): number {
    const n = data.length;
    let accepted = 0;
    for (let i = 0; i < n; i++) {
      if (this.inCount === this.input.length) break;
      const b = typeof data === 'string' ? data.charCodeAt(i) : data[i];
      this.input[(this.inHead + this.inCount) % this.input.length] = b;
      this.inCount++;
      accepted++;
    }
    this.stats.injectRefused += n - accepted;
    if (accepted > 0) this.callbacks?.onReadable?.(this.inCount);
    return accepted;
  }

  /** Returns the bytes written so far and empties the output buffer; reports `onWritable` when a port is open. */
  takeOutput(): Uint8Array {
    const out = this.output.slice(0, this.outCount);
    this.outCount = 0;
    this.reportWritable();
    return out;
  }

  /** Like {@link takeOutput}, decoded as Latin-1. */
  takeText(): string {
    const bytes = this.takeOutput();
    let s = '';
    for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return s;
  }

  /** Makes the port slow: grants an allowance of `count` bytes (replacing the previous one) and reports `onWritable`. */
  setWritable(count: number): void {
    if (!(count >= 0)) throw new PortError('serial', 'bad-value', `writable ${count} is not a non-negative number`);
    this.allowance = Math.floor(count);
    this.reportWritable();
  }

  /** Removes the allowance: the port is limited by its output buffer only. Reports `onWritable`. */
  unthrottle(): void {
    this.allowance = null;
    this.reportWritable();
  }

  private reportWritable(): void {
    const cb = this.callbacks;
    if (cb !== null && cb.onWritable !== undefined) cb.onWritable(this.writable);
  }

  private openPort(callbacks: SerialPortCallbacks): SerialPort {
    if (this.port !== null) throw new PortError('serial', 'in-use', 'the port is already open');
    const port: SerialPort = {
      read: (): number | undefined => {
        if (this.port !== port || this.inCount === 0) return undefined;
        const b = this.input[this.inHead];
        this.inHead = (this.inHead + 1) % this.input.length;
        this.inCount--;
        return b;
      },
      write: (byte: number): void => {
        if (this.port !== port) throw new PortError('serial', 'closed', 'write after close');
        if (this.writable === 0) {
          this.stats.overflowWrites++;
          return;
        }
        this.output[this.outCount++] = byte & 0xff;
        if (this.allowance !== null) this.allowance--;
      },
      close: (): void => {
        if (this.port !== port) return;
        this.port = null;
        this.callbacks = null;
      },
    };
    this.port = port;
    this.callbacks = callbacks;
    // ECMA-419 ports announce their initial room through onWritable; bytes already queued through onReadable.
    this.reportWritable();
    if (this.inCount > 0) callbacks.onReadable?.(this.inCount);
    return port;
  }
}

// --------------------------------------------------------------------- pin

/** What a {@link SimulatedPin} counted. */
export interface SimulatedPinStats {
  /** Times the pin was opened. */
  opens: number;
  /** Writes in output mode. */
  writes: number;
  /** Edges reported through `onReadable`. */
  edges: number;
}

/**
 * A pin and the wire it sits on, in memory. `open` is a
 * {@link DigitalPinFactory} (one open at a time); `drive` plays the
 * external circuit. The wire's level is the pin's own output when it is an
 * output, else the external driver's, else 1 with the pull-up, else 0.
 */
export class SimulatedPin {
  /** Opens the pin. Refuses a second open while one is open ({@link PortError} `in-use`). */
  readonly open: DigitalPinFactory;
  readonly stats: SimulatedPinStats = { opens: 0, writes: 0, edges: 0 };

  private external: 0 | 1 | null;
  private openMode: DigitalMode | null = null;
  private driven: 0 | 1 = 0;
  private options: DigitalPinOptions | null = null;
  private handle: DigitalPin | null = null;

  /** Takes the external driver's initial level (`null`, the default, for none). */
  constructor(options: { drive?: 0 | 1 | null } = {}) {
    this.external = options.drive ?? null;
    this.open = (o: DigitalPinOptions): DigitalPin => this.openPin(o);
  }

  /** The mode the pin is open in, or null when closed. */
  get mode(): DigitalMode | null {
    return this.openMode;
  }

  /** The level on the wire (see the class note). */
  get level(): 0 | 1 {
    if (this.openMode === DigitalMode.Output) return this.driven;
    if (this.external !== null) return this.external;
    return this.openMode === DigitalMode.InputPullUp ? 1 : 0;
  }

  /**
   * Sets the external driver: 0, 1, or null to let the wire float. When the
   * pin is an input and the wire changes along a reported edge, calls its
   * `onReadable`. An output pin wins over the external driver.
   */
  drive(level: 0 | 1 | null): void {
    const before = this.level;
    this.external = level;
    const after = this.level;
    const o = this.options;
    if (before === after || o === null || this.openMode === DigitalMode.Output) return;
    const edge = after === 1 ? DigitalEdge.Rising : DigitalEdge.Falling;
    if (((o.edge ?? 0) & edge) !== 0 && o.onReadable !== undefined) {
      this.stats.edges++;
      o.onReadable();
    }
  }

  private openPin(o: DigitalPinOptions): DigitalPin {
    if (this.handle !== null) throw new PortError('pin', 'in-use', 'the pin is already open');
    if (o.mode !== DigitalMode.Input && o.mode !== DigitalMode.InputPullUp && o.mode !== DigitalMode.Output) {
      throw new PortError('pin', 'bad-value', `mode ${String(o.mode)} is not supported`);
    }
    const handle: DigitalPin = {
      read: (): 0 | 1 => this.level,
      write: (value: 0 | 1): void => {
        if (this.handle !== handle) throw new PortError('pin', 'closed', 'write after close');
        if (this.openMode !== DigitalMode.Output) return;
        this.driven = value ? 1 : 0;
        this.stats.writes++;
      },
      close: (): void => {
        if (this.handle !== handle) return;
        this.handle = null;
        this.options = null;
        this.openMode = null;
      },
    };
    this.handle = handle;
    this.options = o;
    this.openMode = o.mode;
    this.stats.opens++;
    return handle;
  }
}

// ------------------------------------------------------------------- clock

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
