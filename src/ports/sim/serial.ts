/** An in-memory serial line (src/ports/serial.ts) that tests and host simulations drive by hand: bounded, refusing what does not fit. */

import type { SerialPort, SerialPortCallbacks, SerialPortFactory } from '../serial.js';
import { checkCapacity, PortError } from './errors.js';

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
