/**
 * The terminal as a serial port: the {@link SerialPortFactory} backend that
 * puts a guest's UART on Node's stdin and stdout.
 *
 * Owns the terminal's mode and the QEMU-style escape keys. A terminal input
 * is put in raw mode (Ctrl-C reaches the guest, as with `qemu -nographic`)
 * and Ctrl-A is the escape: Ctrl-A x quits, Ctrl-A Ctrl-A sends one,
 * Ctrl-A h lists the keys, other keys go to the owner's `onEscape` (the
 * console focus keys) or are dropped. A pipe passes every byte unchanged.
 * Output is written in chunks when the event loop is next free; while the
 * stream pushes back, no room is reported (`onWritable`) until it drains.
 */

import type { SerialPort, SerialPortCallbacks, SerialPortFactory } from '../../src/ports/serial.js';

/** The byte Ctrl-A sends: QEMU's escape key. */
export const ESCAPE_BYTE = 0x01;

/** Bytes the port takes before it asks the guest to wait for output to drain. */
const OUTPUT_CAPACITY = 64 * 1024;
/** Received bytes kept for the guest before the oldest are dropped (a UART would overrun too). */
const INPUT_CAPACITY = 1024 * 1024;

/** The parts of a readable stream (and tty.ReadStream) the port uses. */
export interface TerminalInput {
  readonly isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
  on(event: 'data', listener: (chunk: Uint8Array | string) => void): unknown;
  on(event: 'end' | 'close', listener: () => void): unknown;
  on(event: 'error', listener: (e: Error) => void): unknown;
  removeAllListeners(event?: string): unknown;
  resume(): unknown;
  pause(): unknown;
}

/** The parts of a writable stream the port uses. */
export interface TerminalOutput {
  write(chunk: Uint8Array, callback?: (err?: Error | null) => void): boolean;
  once(event: 'drain', listener: () => void): unknown;
  on(event: 'error', listener: (e: Error) => void): unknown;
}

/** Options of {@link TerminalSerial}. */
export interface TerminalSerialOptions {
  readonly input: TerminalInput;
  readonly output: TerminalOutput;
  /** Raw mode and Ctrl-A escapes. Default: when `input.isTTY`. */
  readonly interactive?: boolean;
  /** Called when the user types Ctrl-A x. */
  onQuit?(): void;
  /** Called once when the output fails (e.g. EPIPE: the reader went away); later output is dropped. */
  onOutputError?(error: Error): void;
  /**
   * More Ctrl-A commands (the monitor's console focus, Ctrl-A 1-9): called
   * with the key typed after Ctrl-A when it is not one of the port's own
   * (x, h, ?, Ctrl-A); returns true when it took the key, else the key is
   * dropped as before.
   */
  onEscape?(key: number): boolean;
  /** Lines for the Ctrl-A h help describing the keys `onEscape` takes, each ending in a newline. */
  readonly escapeHelp?: string;
}

// Plain newlines: raw mode keeps the terminal's output processing (ONLCR), as QEMU's does.
const HELP = '\nC-a h    print this help\nC-a x    exit xsvisor\nC-a C-a  send C-a\n';

/**
 * The terminal port. Make one per run, hand `factory` to the UART, and
 * `close()` it when the run ends (restores the terminal's mode).
 */
export class TerminalSerial {
  /** Opens the port; the UART calls it once. A second open while one is open is refused. */
  readonly factory: SerialPortFactory;
  /** True when in raw mode with escapes. */
  readonly interactive: boolean;

  private readonly input: TerminalInput;
  private readonly output: TerminalOutput;
  private readonly onQuit: (() => void) | undefined;
  private readonly onOutputError: ((error: Error) => void) | undefined;
  private readonly onEscape: ((key: number) => boolean) | undefined;
  private readonly escapeHelp: string;
  private outputFailed = false;
  private callbacks: SerialPortCallbacks | null = null;
  private rx = new Uint8Array(256);
  private rxHead = 0;
  private rxTail = 0;
  private escaped = false;
  private readonly tx = new Uint8Array(OUTPUT_CAPACITY);
  private txLength = 0;
  private flushScheduled = false;
  private blocked = false;
  private rawSet = false;
  private closed = false;
  private written = 0;

  constructor(options: TerminalSerialOptions) {
    this.input = options.input;
    this.output = options.output;
    this.onQuit = options.onQuit;
    this.onOutputError = options.onOutputError;
    this.onEscape = options.onEscape;
    this.escapeHelp = options.escapeHelp ?? '';
    this.interactive = options.interactive ?? options.input.isTTY === true;
    this.factory = (callbacks: SerialPortCallbacks): SerialPort => this.open(callbacks);
  }

  /** Bytes the guest has written so far (for statistics). */
  get bytesWritten(): number {
    return this.written;
  }

  /**
   * Writes what is buffered and resolves when the output stream has taken
   * it (so a process can exit without losing the guest's last words).
   */
  flush(): Promise<void> {
    return new Promise((resolve) => {
      if (this.outputFailed) {
        resolve();
        return;
      }
      if (this.txLength === 0) {
        this.output.write(new Uint8Array(0), () => resolve());
        return;
      }
      const chunk = this.tx.slice(0, this.txLength);
      this.txLength = 0;
      this.output.write(chunk, () => resolve());
    });
  }

  /** Stops reading, restores the terminal's mode and drops the callbacks. Output already buffered is kept for {@link flush}. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.callbacks = null;
    this.input.removeAllListeners('data');
    this.input.removeAllListeners('end');
    this.input.pause();
    this.restoreMode();
  }

  /** Takes the terminal out of raw mode if this port put it there. Safe to call from an exit handler. */
  restoreMode(): void {
    if (this.rawSet && this.input.setRawMode !== undefined) {
      this.rawSet = false;
      try {
        this.input.setRawMode(false);
      } catch {
        // The terminal may already be gone (hung up); nothing to restore then.
      }
    }
  }

  private open(callbacks: SerialPortCallbacks): SerialPort {
    if (this.closed) throw new Error('the terminal serial port is closed');
    if (this.callbacks !== null) throw new Error('the terminal serial port is already open');
    this.callbacks = callbacks;
    if (this.interactive && this.input.setRawMode !== undefined) {
      this.input.setRawMode(true);
      this.rawSet = true;
    }
    this.input.on('data', (chunk) => this.receive(typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk));
    this.input.on('end', () => {
      // No more input: the guest simply gets no more bytes.
    });
    this.input.on('error', () => {
      // A broken input is the same as an ended one for the guest.
    });
    this.output.on('error', (e) => {
      if (this.outputFailed) return;
      this.outputFailed = true;
      this.callbacks?.onError?.(e);
      this.onOutputError?.(e);
    });
    this.input.resume();
    // The whole output budget is free at the start; tell the UART from the event loop, as ECMA-419 does.
    setImmediate(() => this.callbacks?.onWritable?.(OUTPUT_CAPACITY));
    return {
      read: (): number | undefined => this.readByte(),
      write: (byte: number): void => this.writeByte(byte),
      close: (): void => this.close(),
    };
  }

  private receive(chunk: Uint8Array): void {
    if (this.closed) return;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (!this.interactive) {
        this.queue(b);
        continue;
      }
      if (this.escaped) {
        this.escaped = false;
        if (b === ESCAPE_BYTE) this.queue(b);
        else if (b === 0x78 /* x */ || b === 0x58 /* X */) {
          this.onQuit?.();
          return;
        } else if (b === 0x68 /* h */ || b === 0x3f /* ? */) this.emit(HELP + this.escapeHelp);
        else this.onEscape?.(b);
        // Anything else after the escape key is dropped, as in QEMU.
      } else if (b === ESCAPE_BYTE) this.escaped = true;
      else this.queue(b);
    }
    const waiting = this.rxTail - this.rxHead;
    if (waiting > 0) this.callbacks?.onReadable?.(waiting);
  }

  private queue(b: number): void {
    if (this.rxTail - this.rxHead >= INPUT_CAPACITY) return; // overrun: drop the newest, like a full FIFO
    if (this.rxTail === this.rx.length) {
      // Compact, or grow when more than half is in use.
      const live = this.rxTail - this.rxHead;
      const next = live * 2 > this.rx.length ? new Uint8Array(this.rx.length * 2) : this.rx;
      next.set(this.rx.subarray(this.rxHead, this.rxTail), 0);
      this.rx = next;
      this.rxHead = 0;
      this.rxTail = live;
    }
    this.rx[this.rxTail++] = b;
  }

  private readByte(): number | undefined {
    if (this.rxHead === this.rxTail) return undefined;
    const b = this.rx[this.rxHead++];
    if (this.rxHead === this.rxTail) this.rxHead = this.rxTail = 0;
    return b;
  }

  private writeByte(byte: number): void {
    if (this.closed) return;
    this.tx[this.txLength++] = byte & 0xff;
    this.written++;
    if (this.txLength >= OUTPUT_CAPACITY) this.flushNow();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.flushNow();
      });
    }
  }

  /** Writes a byte that does not come through UART0 (e.g. the HTIF console), in order with the guest's. */
  emitByte(byte: number): void {
    this.writeByte(byte);
  }

  /** Text from the port itself (the escape help), written in order with the guest's bytes. */
  private emit(text: string): void {
    for (let i = 0; i < text.length; i++) this.writeByte(text.charCodeAt(i));
  }

  private flushNow(): void {
    if (this.outputFailed) this.txLength = 0;
    if (this.txLength === 0 || this.closed) return;
    const chunk = this.tx.slice(0, this.txLength);
    this.txLength = 0;
    const room = this.output.write(chunk);
    if (room) {
      if (!this.blocked) this.callbacks?.onWritable?.(OUTPUT_CAPACITY);
      return;
    }
    if (this.blocked) return;
    this.blocked = true;
    this.output.once('drain', () => {
      this.blocked = false;
      this.callbacks?.onWritable?.(OUTPUT_CAPACITY);
    });
  }
}
