/**
 * The guest-facing half shared by the stream serial backends (TCP, pty):
 * a {@link SerialPortFactory} whose far end is whatever Node stream is
 * attached at the moment, or nothing.
 *
 * Owns the two bounded buffers and the ECMA-419 budget bookkeeping: input
 * in a ring that drops its oldest bytes (counted) when the guest does not
 * read; output gathered and written once per event-loop turn, with no room
 * reported while the stream pushes back; with no far end, output discarded
 * (counted) and the full budget reported. Callbacks run from the event
 * loop, never from inside `read()` or `write()`. See docs/design.md#the-host.
 */

import type { SerialPort, SerialPortCallbacks, SerialPortFactory } from '../../src/ports/serial.js';
import { SerialBackendError, type SerialBackendKind } from './errors.js';
import { EscapeFilter } from './escape.js';

/** Default capacity of each buffer, in bytes. */
export const DEFAULT_LINK_CAPACITY = 64 * 1024;
/** Largest capacity accepted for either buffer (16 MiB): anything more is a typo. */
export const MAX_LINK_CAPACITY = 16 * 1024 * 1024;

/** The parts of a writable stream the link writes to (a socket, a child's stdin). */
export interface LinkSink {
  write(chunk: Uint8Array): boolean;
  once(event: 'drain', listener: () => void): unknown;
  removeListener(event: 'drain', listener: () => void): unknown;
}

/** What a stream backend counted, in bytes unless said otherwise. */
export interface SerialBackendStats {
  /** Bytes received from the far end into the input buffer. */
  received: number;
  /** Received bytes dropped, oldest first, because the guest did not read them in time. */
  inputDropped: number;
  /** Bytes handed to the far end's stream. */
  sent: number;
  /** Bytes the guest wrote while no far end was attached (or left unsent when it went away). */
  discarded: number;
  /** Bytes written past the budget reported by `onWritable`, dropped. */
  overflow: number;
  /** Far ends that attached (TCP clients served, pty opens noticed). */
  connections: number;
  /** TCP clients turned away because the waiting queue was full. */
  refused: number;
}

/** Options of a {@link SerialLink}. */
export interface SerialLinkOptions {
  /** Which backend owns the link, for errors. */
  readonly backend: SerialBackendKind;
  /** The endpoint as the user names it (`tcp:127.0.0.1:4444`), for errors. */
  readonly endpoint: string;
  /** Bytes of received input kept for the guest (default 64 KiB). */
  readonly inputCapacity?: number;
  /** Bytes of output gathered before the guest is asked to wait (default 64 KiB). */
  readonly outputCapacity?: number;
  /** Ctrl-A escapes on the input (escape.ts): called with the key after Ctrl-A; absent, bytes pass unchanged. */
  onEscape?(key: number): void;
}

/** Checks a buffer capacity option; returns it or throws a `bad-option` error. */
export function checkCapacity(backend: SerialBackendKind, endpoint: string, what: string, n: number | undefined): number {
  const v = n ?? DEFAULT_LINK_CAPACITY;
  if (!Number.isInteger(v) || v < 1 || v > MAX_LINK_CAPACITY) {
    throw new SerialBackendError({ backend, reason: 'bad-option', endpoint, detail: `${what} ${String(n)} is not an integer in [1, ${MAX_LINK_CAPACITY}]` });
  }
  return v;
}

/**
 * One serial port and its buffers. The backend calls {@link attach} when a
 * far end arrives, {@link detach} when it leaves, and {@link receive} with
 * its bytes; the UART opens {@link factory}.
 */
export class SerialLink {
  /** Opens the port (one at a time; it may be opened again after `close()`). */
  readonly factory: SerialPortFactory;
  /** Counters, updated in place. */
  readonly stats: SerialBackendStats = { received: 0, inputDropped: 0, sent: 0, discarded: 0, overflow: 0, connections: 0, refused: 0 };

  private readonly backend: SerialBackendKind;
  private readonly endpoint: string;
  private readonly rx: Uint8Array;
  private rxHead = 0;
  private rxCount = 0;
  private readonly tx: Uint8Array;
  private txLength = 0;
  private sink: LinkSink | null = null;
  /** The drain listener while the sink pushes back; null when it does not. */
  private onDrain: (() => void) | null = null;
  private callbacks: SerialPortCallbacks | null = null;
  private port: SerialPort | null = null;
  private tickScheduled = false;
  private closed = false;
  private readonly escapes: EscapeFilter | null;

  constructor(options: SerialLinkOptions) {
    this.backend = options.backend;
    this.endpoint = options.endpoint;
    this.rx = new Uint8Array(checkCapacity(this.backend, this.endpoint, 'inputCapacity', options.inputCapacity));
    this.tx = new Uint8Array(checkCapacity(this.backend, this.endpoint, 'outputCapacity', options.outputCapacity));
    this.factory = (callbacks: SerialPortCallbacks): SerialPort => this.open(callbacks);
    this.escapes = options.onEscape === undefined ? null : new EscapeFilter({ onEscape: options.onEscape });
  }

  /** True while a far end is attached. */
  get attached(): boolean {
    return this.sink !== null;
  }

  /** True while the port is open. */
  get isOpen(): boolean {
    return this.port !== null;
  }

  /** Received bytes the guest has not read yet. */
  get waiting(): number {
    return this.rxCount;
  }

  /** Output bytes gathered and not yet handed to the stream. */
  get pendingOutput(): number {
    return this.txLength;
  }

  /** Makes `sink` the far end. Output goes to it from the next event-loop turn. */
  attach(sink: LinkSink): void {
    if (this.closed) return;
    this.detach();
    this.sink = sink;
    this.stats.connections++;
    this.schedule();
  }

  /**
   * Forgets the far end: output not yet handed to it is discarded (counted),
   * and the full budget is reported again, since from now on output goes
   * nowhere. Received bytes stay for the guest to read.
   */
  detach(): void {
    const sink = this.sink;
    if (sink === null) return;
    this.sink = null;
    if (this.onDrain !== null) {
      sink.removeListener('drain', this.onDrain);
      this.onDrain = null;
    }
    this.stats.discarded += this.txLength;
    this.txLength = 0;
    this.schedule();
  }

  /** Takes bytes from the far end; reports `onReadable` with the number waiting. Call from a stream event. */
  receive(chunk: Uint8Array): void {
    if (this.closed) return;
    // Escapes act even when the guest reads nothing (a hung guest can still be restarted).
    if (this.escapes !== null) chunk = this.escapes.filter(chunk);
    if (chunk.length === 0) return;
    const cap = this.rx.length;
    let start = 0;
    if (chunk.length >= cap) {
      // The chunk alone fills the ring: everything older, and its own head, is dropped.
      this.stats.inputDropped += this.rxCount + (chunk.length - cap);
      start = chunk.length - cap;
      this.rxHead = 0;
      this.rxCount = 0;
    } else if (this.rxCount + chunk.length > cap) {
      const drop = this.rxCount + chunk.length - cap;
      this.rxHead = (this.rxHead + drop) % cap;
      this.rxCount -= drop;
      this.stats.inputDropped += drop;
    }
    for (let i = start; i < chunk.length; i++) {
      this.rx[(this.rxHead + this.rxCount) % cap] = chunk[i];
      this.rxCount++;
    }
    this.stats.received += chunk.length;
    this.callbacks?.onReadable?.(this.rxCount);
  }

  /** Reports a failure of the far end to the open port's `onError`. Call from the event loop. */
  fail(error: Error): void {
    this.callbacks?.onError?.(error);
  }

  /**
   * Resolves once the output gathered so far has been handed to the far
   * end's stream (at once when there is no far end), or after `timeoutMs`
   * if the stream keeps pushing back. Lets a backend close without losing
   * the guest's last words.
   */
  flush(timeoutMs = 1000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.closed || this.sink === null || (this.txLength === 0 && this.onDrain === null) || Date.now() >= deadline) resolve();
        else setTimeout(check, 5);
      };
      check();
    });
  }

  /** Closes the port, forgets the far end and refuses further opens. Closing twice is harmless. */
  close(): void {
    if (this.closed) return;
    this.detach();
    this.closed = true;
    this.port = null;
    this.callbacks = null;
  }

  private open(callbacks: SerialPortCallbacks): SerialPort {
    if (this.closed) throw new SerialBackendError({ backend: this.backend, reason: 'closed', endpoint: this.endpoint, detail: 'the serial backend is closed' });
    if (this.port !== null) throw new SerialBackendError({ backend: this.backend, reason: 'in-use', endpoint: this.endpoint, detail: 'the serial port is already open' });
    const port: SerialPort = {
      read: (): number | undefined => {
        if (this.port !== port || this.rxCount === 0) return undefined;
        const b = this.rx[this.rxHead];
        this.rxHead = (this.rxHead + 1) % this.rx.length;
        this.rxCount--;
        return b;
      },
      write: (byte: number): void => this.write(port, byte),
      close: (): void => {
        if (this.port !== port) return;
        this.port = null;
        this.callbacks = null;
      },
    };
    this.port = port;
    this.callbacks = callbacks;
    // The initial room (and any bytes that arrived before the port opened) are reported from the event loop.
    this.schedule();
    const waiting = this.rxCount;
    if (waiting > 0) {
      setImmediate(() => {
        if (this.port === port && this.rxCount > 0) this.callbacks?.onReadable?.(this.rxCount);
      });
    }
    return port;
  }

  private write(port: SerialPort, byte: number): void {
    if (this.port !== port) {
      throw new SerialBackendError({ backend: this.backend, reason: 'closed', endpoint: this.endpoint, detail: 'write after close' });
    }
    if (this.sink === null) {
      this.stats.discarded++;
    } else if (this.txLength === this.tx.length) {
      this.stats.overflow++;
      return;
    } else {
      this.tx[this.txLength++] = byte & 0xff;
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.tickScheduled || this.closed) return;
    this.tickScheduled = true;
    setImmediate(() => {
      this.tickScheduled = false;
      this.tick();
    });
  }

  /** Hands gathered output to the stream, then reports the room unless the stream pushes back. */
  private tick(): void {
    if (this.closed) return;
    const sink = this.sink;
    if (sink !== null && this.onDrain === null && this.txLength > 0) {
      // A copy: the stream may hold the chunk after write() returns, and tx is reused.
      const chunk = this.tx.slice(0, this.txLength);
      this.stats.sent += this.txLength;
      this.txLength = 0;
      if (!sink.write(chunk) && this.sink === sink) {
        const onDrain = (): void => {
          if (this.onDrain !== onDrain) return;
          this.onDrain = null;
          this.schedule();
        };
        this.onDrain = onDrain;
        sink.once('drain', onDrain);
      }
    }
    if (this.onDrain === null) this.callbacks?.onWritable?.(this.tx.length - this.txLength);
  }
}
