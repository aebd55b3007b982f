/**
 * One serial port shared by several VMs as their console (`"uart":
 * "console"` in a monitor configuration).
 *
 * Owns the multiplexing: a {@link SerialPortFactory} per VM, output sent
 * as whole `[name] line`s (a line longer than `lineLimit` is broken there;
 * one VM alone passes through untouched), input to the VM in focus only
 * ({@link SharedConsole.focus}, bound to Ctrl-A 1-9 by the host). Bounded:
 * a VM's UART is granted room only for what its line buffer can take, more
 * at each {@link SharedConsole.pump}. See docs/design.md#the-monitor.
 */

import type { SerialPort, SerialPortCallbacks, SerialPortFactory } from '../ports/index.js';

/** Options of a {@link SharedConsole}. */
export interface SharedConsoleOptions {
  /** Opens the shared port (the board's UART0 wiring). Opened at once. */
  readonly serial: SerialPortFactory;
  /** The VMs sharing it, in focus order: Ctrl-A 1 focuses the first. */
  readonly names: readonly string[];
  /** Tag lines with `[name] `. Default: when more than one VM shares the port. */
  readonly tagged?: boolean;
  /** Longest line held before it is broken (default 1024 bytes). */
  readonly lineLimit?: number;
  /** Bytes queued for the shared port while it pushes back (default 16 KiB; at least two lines). */
  readonly outputCapacity?: number;
}

/** What the console counted. */
export interface SharedConsoleStats {
  /** Lines broken because they reached `lineLimit`. */
  brokenLines: number;
  /** Bytes VMs wrote past the room they were granted (dropped). */
  overflow: number;
}

interface Slot {
  readonly name: string;
  readonly tag: Uint8Array;
  readonly line: Uint8Array;
  len: number;
  /** A complete line waits for room in the queue. */
  waiting: boolean;
  /** Room granted to the VM and not yet used. */
  granted: number;
  callbacks: SerialPortCallbacks | null;
  port: SerialPort | null;
}

const NL = 0x0a;

function latin1(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

/** A serial port shared by several VMs (see the module header). Make one per shared port; `close()` it at the end. */
export class SharedConsole {
  readonly stats: SharedConsoleStats = { brokenLines: 0, overflow: 0 };
  /** True when lines are tagged with the VM's name. */
  readonly tagged: boolean;

  private readonly slots: Slot[];
  private readonly lineLimit: number;
  private readonly queue: Uint8Array;
  private qHead = 0;
  private qLen = 0;
  private port: SerialPort | null = null;
  private budget = 0;
  private focusIndex = 0;
  private closed = false;

  /** Refuses an empty name list or bad sizes (RangeError); rethrows what the port factory throws. */
  constructor(options: SharedConsoleOptions) {
    if (options.names.length === 0) throw new RangeError('a shared console needs at least one VM');
    this.lineLimit = options.lineLimit ?? 1024;
    if (!Number.isSafeInteger(this.lineLimit) || this.lineLimit < 16 || this.lineLimit > 65536) throw new RangeError(`lineLimit ${this.lineLimit} is not an integer 16-65536`);
    this.tagged = options.tagged ?? options.names.length > 1;
    const longestTag = Math.max(...options.names.map((n) => n.length)) + 3;
    const capacity = options.outputCapacity ?? 16 * 1024;
    if (!Number.isSafeInteger(capacity) || capacity < 2 * (this.lineLimit + longestTag + 1)) {
      throw new RangeError(`outputCapacity ${capacity} does not hold two lines of ${this.lineLimit} bytes`);
    }
    this.queue = new Uint8Array(capacity);
    this.slots = options.names.map((name) => ({
      name,
      tag: latin1(`[${name}] `),
      line: new Uint8Array(this.lineLimit),
      len: 0,
      waiting: false,
      granted: 0,
      callbacks: null,
      port: null,
    }));
    const port = options.serial({
      onReadable: (count: number): void => {
        const s = this.slots[this.focusIndex];
        if (!this.closed && s.port !== null) s.callbacks?.onReadable?.(count);
      },
      onWritable: (count: number): void => {
        this.budget = count > 0 ? count : 0;
        if (this.port !== null) this.pump();
      },
    });
    this.port = port;
    this.drain();
  }

  /** The VM in focus (its index in `names`). */
  get focused(): number {
    return this.focusIndex;
  }

  /** Bytes queued for the shared port. */
  get queued(): number {
    return this.qLen;
  }

  /** The serial port factory of VM `index` (its UART0 opens it; it may be opened again after a close). */
  factory(index: number): SerialPortFactory {
    const s = this.slots[index];
    if (s === undefined) throw new RangeError(`no VM ${index} on this console`);
    return (callbacks: SerialPortCallbacks): SerialPort => {
      if (this.closed) throw new Error('the shared console is closed');
      if (s.port !== null) throw new Error(`the console port of VM '${s.name}' is already open`);
      s.callbacks = callbacks;
      s.len = 0;
      s.waiting = false;
      s.granted = 0;
      const port: SerialPort = {
        read: (): number | undefined => (s.port === port && this.slots[this.focusIndex] === s && this.port !== null ? this.port.read() : undefined),
        write: (byte: number): void => {
          if (s.port === port) this.put(s, byte & 0xff);
        },
        close: (): void => {
          if (s.port !== port) return;
          this.endLine(s);
          s.port = null;
          s.callbacks = null;
        },
      };
      s.port = port;
      // ECMA-419 ports announce their initial room once open (the UART accepts it from inside the factory).
      this.grant(s);
      return port;
    };
  }

  /**
   * Moves the input focus to VM `index` and tells its port that bytes may
   * be waiting. Returns false (and changes nothing) when there is no such
   * VM. Call it from the event loop (e.g. a key callback).
   */
  focus(index: number): boolean {
    const s = this.slots[index];
    if (s === undefined || this.closed) return false;
    this.focusIndex = index;
    if (s.port !== null) s.callbacks?.onReadable?.(1);
    return true;
  }

  /** The VMs' names, in focus order. */
  get names(): readonly string[] {
    return this.slots.map((s) => s.name);
  }

  /**
   * Sends what the queue holds as far as the shared port takes it, moves
   * waiting lines into the queue, and grants the VMs room again. Call it
   * from the event loop (the monitor does, between rounds).
   */
  pump(): void {
    if (this.closed) return;
    this.drain();
    for (const s of this.slots) {
      if (s.waiting && this.commit(s, false)) s.waiting = false;
    }
    this.drain();
    for (const s of this.slots) if (s.port !== null) this.grant(s);
  }

  /** Ends every VM's unfinished line (a newline is added when tagged) and sends what the port takes. */
  flush(): void {
    for (const s of this.slots) this.endLine(s);
    this.drain();
  }

  /** Flushes, then closes the shared port. The VMs' ports read and write nothing afterwards. Closing twice is harmless. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    const p = this.port;
    this.port = null;
    p?.close();
  }

  // ------------------------------------------------------------- internals

  private put(s: Slot, b: number): void {
    if (s.granted === 0) {
      this.stats.overflow++;
      return;
    }
    s.granted--;
    if (!this.tagged) {
      // Untagged: straight through the queue (the grant never exceeds its free room).
      if (!this.enqueue1(b)) this.stats.overflow++;
      this.drain();
      return;
    }
    // The grant never exceeds the line buffer's free room, so the byte always fits.
    s.line[s.len++] = b;
    if (s.waiting) return; // lines already wait for the queue: pump() moves them
    if (b === NL || s.len === this.lineLimit) {
      if (!this.commit(s, false)) s.waiting = true;
      this.drain();
    }
  }

  /**
   * Moves VM `s`'s complete lines, each tagged, into the queue, in order,
   * as far as they fit; a full buffer without a newline goes as one
   * broken line, and so does an unfinished line when `force` is set (both
   * with a newline added). What remains moves to the front of the buffer.
   * Returns false when a line had to stay for want of room.
   */
  private commit(s: Slot, force: boolean): boolean {
    const line = s.line;
    let from = 0;
    let ok = true;
    while (from < s.len) {
      let end = from;
      while (end < s.len && line[end] !== NL) end++;
      const complete = end < s.len;
      const broken = !complete && (force || (from === 0 && s.len === this.lineLimit));
      if (!complete && !broken) break;
      const n = complete ? end + 1 - from : end - from;
      if (this.queue.length - this.qLen < s.tag.length + n + (broken ? 1 : 0)) {
        ok = false;
        break;
      }
      this.enqueue(s.tag, 0, s.tag.length);
      this.enqueue(line, from, n);
      if (broken) {
        this.enqueue1(NL);
        if (!force) this.stats.brokenLines++;
      }
      from += n;
    }
    if (from > 0) {
      line.copyWithin(0, from, s.len);
      s.len -= from;
    }
    return ok;
  }

  private endLine(s: Slot): void {
    if (s.len === 0) return;
    if (this.tagged) {
      if (!this.commit(s, true)) this.stats.overflow += s.len; // only when closing with the port jammed
    } else {
      s.len = 0;
    }
    s.len = 0;
    s.waiting = false;
  }

  /** Grants VM `s` room for what its line buffer (untagged: the queue) can take now. */
  private grant(s: Slot): void {
    const room = this.tagged ? this.lineLimit - s.len : Math.min(this.lineLimit, this.queue.length - this.qLen);
    if (room === s.granted) return;
    s.granted = room;
    if (room > 0) s.callbacks?.onWritable?.(room);
  }

  private enqueue(bytes: Uint8Array, from: number, n: number): void {
    for (let i = from; i < from + n; i++) this.enqueue1(bytes[i]);
  }

  private enqueue1(b: number): boolean {
    if (this.qLen === this.queue.length) return false;
    this.queue[(this.qHead + this.qLen) % this.queue.length] = b;
    this.qLen++;
    return true;
  }

  /** Writes queued bytes to the shared port within its budget. */
  private drain(): void {
    const p = this.port;
    if (p === null) return;
    while (this.qLen > 0 && this.budget > 0) {
      p.write(this.queue[this.qHead]);
      this.qHead = (this.qHead + 1) % this.queue.length;
      this.qLen--;
      this.budget--;
    }
  }
}
