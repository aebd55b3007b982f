/**
 * Host stand-in for ECMA-419 `embedded:io/serial` as Moddable implements
 * it on ESP32 and Pico, wired to simulated lines.
 *
 * A {@link HostSerialLine} is the far end of one board UART: the harness
 * injects bytes and takes what the app wrote. The `Serial` class is the
 * near end the app opens (through `device.io.Serial`), with Moddable's
 * behaviour: a small transmit FIFO whose room `onWritable(count)` reports
 * (a write into a full FIFO throws "output full"); a receive FIFO that
 * `onReadable(count)` announces; callbacks from the event loop, never
 * from inside read or write; none after `close()`. Reading an empty port
 * returns undefined (ESP32) or throws (Pico), as the line says.
 */

import { later } from './loop.js';

/** Options of a {@link HostSerialLine}. */
export interface HostSerialLineOptions {
  /** The UART number the app opens it as (ECMA-419 `port`). */
  readonly port: number;
  /** The transmit and receive pins it is wired to; an app opening other pins is refused. */
  readonly transmit?: number;
  readonly receive?: number;
  /** What `read()` does on an empty port: `undefined` (ESP32, the default) or `throw` (Pico). */
  readonly emptyRead?: 'undefined' | 'throw';
  /** Size of each FIFO (default 128, the Pico port's). */
  readonly fifo?: number;
}

/** What a line counted. */
export interface HostSerialStats {
  opens: number;
  /** Bytes the app wrote. */
  written: number;
  /** Bytes the app read. */
  read: number;
  /** Reads of an empty port. */
  emptyReads: number;
  /** Writes refused because the transmit FIFO was full. */
  refused: number;
}

const lines = new Map<number, HostSerialLine>();

/** The far end of one simulated UART. */
export class HostSerialLine {
  readonly port: number;
  readonly transmit: number | undefined;
  readonly receive: number | undefined;
  readonly emptyRead: 'undefined' | 'throw';
  readonly fifo: number;
  readonly stats: HostSerialStats = { opens: 0, written: 0, read: 0, emptyReads: 0, refused: 0 };
  /** Called with each batch of bytes the port puts on the wire (the XS bridge streams them to Node). */
  onTransmit: ((bytes: Uint8Array) => void) | null = null;

  /** Bytes injected and not yet taken into the port's receive FIFO. */
  backlog: number[] = [];
  private out: number[] = [];
  /** @internal The open port, if any. */
  openPort: Serial | null = null;

  constructor(options: HostSerialLineOptions) {
    this.port = options.port;
    this.transmit = options.transmit;
    this.receive = options.receive;
    this.emptyRead = options.emptyRead ?? 'undefined';
    this.fifo = options.fifo ?? 128;
  }

  /** Sends bytes towards the port (a string as Latin-1). */
  inject(data: string | Uint8Array | readonly number[]): void {
    for (let i = 0; i < data.length; i++) this.backlog.push((typeof data === 'string' ? data.charCodeAt(i) : data[i]) & 0xff);
    this.openPort?.refill();
  }

  /** Bytes written so far and not taken. */
  get outputLength(): number {
    return this.out.length;
  }

  /** Returns and forgets the bytes written so far. */
  takeOutput(): Uint8Array {
    const b = Uint8Array.from(this.out);
    this.out = [];
    return b;
  }

  /** Like {@link takeOutput}, as Latin-1 text. */
  takeText(): string {
    return String.fromCharCode(...this.takeOutput());
  }

  /** @internal Bytes leaving the port. */
  wire(bytes: number[]): void {
    for (const b of bytes) this.out.push(b);
    this.onTransmit?.(Uint8Array.from(bytes));
  }
}

/** Makes `line` the far end of its UART (replacing any line of that number). */
export function attachSerialLine(line: HostSerialLine): HostSerialLine {
  lines.get(line.port)?.openPort?.close();
  lines.set(line.port, line);
  return line;
}

/** Removes every line (closing ports still open). */
export function detachSerialLines(): void {
  for (const l of lines.values()) l.openPort?.close();
  lines.clear();
}

type Callback = (this: unknown, count: number) => void;

/** The options the app passes (ECMA-419 Serial, Moddable's flavour). */
export interface SerialOptions {
  port?: number;
  receive?: number;
  transmit?: number;
  baud: number;
  format?: 'number' | 'buffer';
  onReadable?: Callback;
  onWritable?: Callback;
  target?: unknown;
}

function checkPin(v: unknown, what: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new RangeError(`invalid ${what}`);
  return v;
}

/** The port the app opens. */
export default class Serial {
  #line: HostSerialLine | null;
  #format: 'number' | 'buffer';
  #rx: number[] = [];
  #tx: number[] = [];
  #onReadable: Callback | undefined;
  #onWritable: Callback | undefined;
  #readablePosted = false;
  #drainPosted = false;
  readonly target: unknown;

  constructor(options: SerialOptions) {
    const transmit = checkPin(options.transmit, 'transmit');
    const receive = checkPin(options.receive, 'receive');
    if (transmit === undefined && receive === undefined) throw new Error('invalid: no transmit or receive pin');
    const baud = options.baud;
    if (typeof baud !== 'number' || !(baud > 0) || baud > 20_000_000) throw new RangeError('invalid baud');
    let line: HostSerialLine | undefined;
    if (options.port !== undefined) line = lines.get(options.port);
    else for (const l of lines.values()) if (l.transmit === transmit || l.receive === receive) line = l;
    if (line === undefined) throw new RangeError(`invalid port${options.port !== undefined ? ` ${options.port}` : ''}: nothing is wired there`);
    if ((line.transmit !== undefined && transmit !== undefined && line.transmit !== transmit) ||
        (line.receive !== undefined && receive !== undefined && line.receive !== receive)) {
      throw new RangeError(`UART ${line.port} is wired to transmit ${line.transmit}, receive ${line.receive}; not ${transmit}, ${receive}`);
    }
    if (line.openPort !== null) throw new Error('port in use');
    const format = options.format ?? 'buffer';
    if (format !== 'number' && format !== 'buffer') throw new RangeError('invalid format');
    this.#line = line;
    this.#format = format;
    this.#onReadable = options.onReadable;
    this.#onWritable = options.onWritable;
    this.target = options.target;
    line.openPort = this;
    line.stats.opens++;
    // As on the boards: room for output is announced once the port is open, and bytes already waiting are taken in.
    this.#postDrain();
    this.refill();
  }

  get format(): 'number' | 'buffer' {
    return this.#format;
  }

  set format(value: 'number' | 'buffer') {
    if (value !== 'number' && value !== 'buffer') throw new RangeError('invalid format');
    this.#format = value;
  }

  /** One byte (format "number"), or an ArrayBuffer of up to `count` bytes (format "buffer"); undefined when nothing waits. */
  read(count?: number): number | ArrayBuffer | undefined {
    const line = this.#open();
    if (this.#rx.length === 0) {
      line.stats.emptyReads++;
      if (line.emptyRead === 'throw') throw new Error('no data');
      return undefined;
    }
    let result: number | ArrayBuffer;
    if (this.#format === 'number') {
      result = this.#rx.shift()!;
      line.stats.read++;
    } else {
      const n = Math.min(count ?? this.#rx.length, this.#rx.length);
      result = Uint8Array.from(this.#rx.splice(0, n)).buffer;
      line.stats.read += n;
    }
    this.refill();
    return result;
  }

  /** Queues a byte (format "number") or a buffer's bytes; throws "output full" past the room `onWritable` reported. */
  write(value: number | ArrayBuffer | ArrayBufferView): void {
    const line = this.#open();
    let bytes: number[];
    if (typeof value === 'number') bytes = [value & 0xff];
    else if (value instanceof ArrayBuffer) bytes = Array.from(new Uint8Array(value));
    else bytes = Array.from(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
    if (this.#tx.length + bytes.length > line.fifo) {
      line.stats.refused++;
      throw new Error('output full');
    }
    for (const b of bytes) this.#tx.push(b);
    line.stats.written += bytes.length;
    this.#postDrain();
  }

  /** Nothing to flush on the host: bytes reach the line on the next turn. */
  flush(): void {}

  /** Releases the port; pending callbacks are dropped, queued output is lost (as Moddable's close). */
  close(): void {
    const line = this.#line;
    if (line === null) return;
    this.#line = null;
    if (line.openPort === this) line.openPort = null;
    this.#tx = [];
    this.#rx = [];
  }

  /** @internal Takes injected bytes into the receive FIFO and announces them. */
  refill(): void {
    const line = this.#line;
    if (line === null) return;
    while (this.#rx.length < line.fifo && line.backlog.length > 0) this.#rx.push(line.backlog.shift()!);
    if (this.#rx.length > 0 && this.#onReadable !== undefined && !this.#readablePosted) {
      this.#readablePosted = true;
      later(() => {
        this.#readablePosted = false;
        if (this.#line !== null && this.#rx.length > 0) this.#onReadable!.call(this, this.#rx.length);
      });
    }
  }

  #postDrain(): void {
    if (this.#drainPosted) return;
    this.#drainPosted = true;
    later(() => {
      this.#drainPosted = false;
      const line = this.#line;
      if (line === null) return;
      if (this.#tx.length > 0) line.wire(this.#tx.splice(0, this.#tx.length));
      if (this.#onWritable !== undefined) this.#onWritable.call(this, line.fifo - this.#tx.length);
    });
  }

  #open(): HostSerialLine {
    if (this.#line === null) throw new Error('closed');
    return this.#line;
  }
}
