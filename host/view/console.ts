/**
 * The guest's console output, kept for the board view: a read-only mirror
 * of what UART0 (and the HTIF console) print.
 *
 * Owns a fixed-size ring of the most recent bytes, addressed by absolute
 * offset (bytes since the start), so each viewer reads from where it left
 * off and a viewer that fell too far behind is told how much it missed
 * rather than making the mirror grow. It also owns the tee that puts the
 * mirror between the UART and its real serial backend.
 */

import type { SerialPort, SerialPortCallbacks, SerialPortFactory } from '../../src/ports/serial.js';

/** Default bytes of console history kept (64 KiB). */
export const DEFAULT_CONSOLE_CAPACITY = 64 * 1024;
/** Budget a sink port (a mirror with no backend behind it) reports: output only goes to the ring. */
const SINK_BUDGET = 64 * 1024;

/** Options of a {@link ConsoleMirror}. */
export interface ConsoleMirrorOptions {
  /** Bytes of history kept for viewers (default 64 KiB; 1 KiB to 16 MiB). */
  readonly capacity?: number;
}

/** A stretch of console output read from the mirror. */
export interface ConsoleSlice {
  /** Absolute offset of `bytes[0]`. */
  readonly offset: number;
  readonly bytes: Uint8Array;
  /** Bytes between the asked-for offset and `offset` that are no longer kept. */
  readonly skipped: number;
}

/** A ring of recent console output with listeners. */
export class ConsoleMirror {
  private readonly ring: Uint8Array;
  private written = 0;
  private readonly listeners = new Set<() => void>();
  private notifyScheduled = false;

  /** Refuses a capacity outside 1 KiB..16 MiB (RangeError). */
  constructor(options: ConsoleMirrorOptions = {}) {
    const cap = options.capacity ?? DEFAULT_CONSOLE_CAPACITY;
    if (!Number.isInteger(cap) || cap < 1024 || cap > 16 * 1024 * 1024) throw new RangeError(`console capacity ${cap} is not an integer in [1024, 16 MiB]`);
    this.ring = new Uint8Array(cap);
  }

  /** Bytes ever pushed: the offset the next byte will have. */
  get total(): number {
    return this.written;
  }

  /** The oldest offset still kept. */
  get oldest(): number {
    return Math.max(0, this.written - this.ring.length);
  }

  /** Records one byte of console output. Listeners hear about it once per event-loop turn, not per byte. */
  push(byte: number): void {
    this.ring[this.written % this.ring.length] = byte & 0xff;
    this.written++;
    this.scheduleNotify();
  }

  /** Records several bytes (or Latin-1 text, one byte per character). */
  pushBytes(data: Uint8Array | string): void {
    for (let i = 0; i < data.length; i++) this.push(typeof data === 'string' ? data.charCodeAt(i) : data[i]);
  }

  /** Reads up to `max` bytes from offset `from`; when `from` is older than what is kept, starts at the oldest and says how much was skipped. */
  since(from: number, max: number): ConsoleSlice {
    const start = Math.min(Math.max(from, this.oldest), this.written);
    const skipped = Math.max(0, start - Math.max(0, from));
    const n = Math.max(0, Math.min(max, this.written - start));
    const bytes = new Uint8Array(n);
    const cap = this.ring.length;
    for (let i = 0; i < n; i++) bytes[i] = this.ring[(start + i) % cap];
    return { offset: start, bytes, skipped };
  }

  /** Calls `listener` (from the event loop) after new output. Returns the unsubscribe function. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /**
   * A serial port factory that mirrors the guest's output: each byte the
   * UART writes is recorded here and passed on to the port `inner` opens
   * (input and callbacks pass through unchanged). With no `inner` (a board
   * whose UART goes nowhere), the port is a sink: output is only mirrored,
   * nothing is ever received, and room is always reported.
   */
  tee(inner?: SerialPortFactory): SerialPortFactory {
    if (inner === undefined) return (callbacks) => this.openSink(callbacks);
    return (callbacks: SerialPortCallbacks): SerialPort => {
      const port = inner(callbacks);
      return {
        read: () => port.read(),
        write: (byte: number): void => {
          this.push(byte);
          port.write(byte);
        },
        close: () => port.close(),
      };
    };
  }

  private openSink(callbacks: SerialPortCallbacks): SerialPort {
    let open = true;
    let scheduled = false;
    // Room is reported from the event loop after writes, as a real port would, and never from inside write().
    const report = (): void => {
      if (scheduled) return;
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        if (open) callbacks.onWritable?.(SINK_BUDGET);
      });
    };
    report();
    return {
      read: () => undefined,
      write: (byte: number): void => {
        if (!open) return;
        this.push(byte);
        report();
      },
      close: (): void => {
        open = false;
      },
    };
  }

  private scheduleNotify(): void {
    if (this.notifyScheduled || this.listeners.size === 0) return;
    this.notifyScheduled = true;
    setImmediate(() => {
      this.notifyScheduled = false;
      for (const l of this.listeners) {
        try {
          l();
        } catch {
          // A viewer's bug must not stop the others.
        }
      }
    });
  }
}
