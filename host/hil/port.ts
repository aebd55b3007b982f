/**
 * The board's serial console as the HIL harness sees it: a {@link HilPort}
 * on npm `serialport` (its native binding comes prebuilt for Linux, macOS
 * and Windows), or any stand-in a test provides.
 *
 * Owns opening the port (the OS's own words on failure, in a
 * {@link HilPortError}), writing and waiting until the OS has taken the
 * bytes, the DTR/RTS modem lines, and turning the port's errors and its
 * closing (a board unplugged, a pty gone) into callbacks. `serialport` is
 * loaded on first use, so the rest of the CLI never loads a native add-on.
 */

import { HilPortError } from './errors.js';

/** The default line speed: what ESP32 and RP2040 consoles and xsvisor boards use. */
export const DEFAULT_BAUD = 115200;

/** The modem control lines a reset drives, as `serialport`'s `set()` takes them (true: asserted). */
export interface ModemLines {
  readonly dtr: boolean;
  readonly rts: boolean;
}

/** An open console port. */
export interface HilPort {
  /** The path it was opened with. */
  readonly path: string;
  /** Writes the bytes; resolves once the OS has taken them (tcdrain), rejects with the OS error. */
  write(bytes: Uint8Array): Promise<void>;
  /** Sets DTR and RTS; rejects with the OS error (e.g. a pty has no modem lines). */
  setLines(lines: ModemLines): Promise<void>;
  /** Closes the port; resolves when closed. Closing twice is harmless. */
  close(): Promise<void>;
}

/** Where the port's events go. Called from the event loop. */
export interface HilPortCallbacks {
  /** Bytes received from the board. */
  onData(chunk: Uint8Array): void;
  /** The port failed or closed by itself (`why` in the OS's words); no more data will come. */
  onLost(why: string): void;
}

/** Options of {@link openSerialPort}. */
export interface OpenSerialPortOptions extends HilPortCallbacks {
  /** The device: `/dev/ttyUSB0`, `/dev/pts/3`, `COM3`. */
  readonly path: string;
  /** Line speed in bits per second (default {@link DEFAULT_BAUD}). */
  readonly baudRate?: number;
}

/** The parts of serialport's SerialPort class used here. */
interface SerialPortLike {
  open(callback: (err: Error | null) => void): void;
  write(data: Uint8Array, callback: (err: Error | null | undefined) => void): boolean;
  drain(callback: (err: Error | null) => void): void;
  set(options: { dtr: boolean; rts: boolean }, callback: (err: Error | null) => void): void;
  close(callback: (err: Error | null) => void): void;
  on(event: 'data', listener: (chunk: Uint8Array) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'close', listener: (err?: Error | null) => void): unknown;
  readonly isOpen: boolean;
}

type SerialPortClass = new (options: { path: string; baudRate: number; autoOpen: boolean; lock: boolean }) => SerialPortLike;

/**
 * Opens a serial port 8N1 at `baudRate`, locked against a second harness
 * (flock). Resolves with the {@link HilPort}; rejects with a
 * {@link HilPortError} naming the path and the OS error (no such device,
 * permission denied, busy) or the binding's failure to load.
 */
export async function openSerialPort(options: OpenSerialPortOptions): Promise<HilPort> {
  const path = options.path;
  let SerialPort: SerialPortClass;
  try {
    SerialPort = (await import('serialport')).SerialPort as unknown as SerialPortClass;
  } catch (e) {
    throw new HilPortError({ path, osError: `the serialport module could not be loaded: ${e instanceof Error ? e.message : String(e)}`, cause: e });
  }
  const sp = new SerialPort({ path, baudRate: options.baudRate ?? DEFAULT_BAUD, autoOpen: false, lock: true });
  await new Promise<void>((resolve, reject) => {
    sp.open((err) => (err === null ? resolve() : reject(new HilPortError({ path, osError: osWords(err, path), cause: err }))));
  });
  let closing = false;
  let lost = false;
  const lose = (why: string): void => {
    if (lost || closing) return;
    lost = true;
    options.onLost(why);
  };
  sp.on('data', (chunk) => options.onData(chunk));
  sp.on('error', (err) => lose(osWords(err, path)));
  sp.on('close', (err) => lose(err instanceof Error ? osWords(err, path) : 'the port was closed'));

  const call = (fn: (cb: (err: Error | null | undefined) => void) => unknown): Promise<void> =>
    new Promise((resolve, reject) => {
      fn((err) => (err === null || err === undefined ? resolve() : reject(new Error(osWords(err, path)))));
    });
  return {
    path,
    write: async (bytes) => {
      if (!sp.isOpen) throw new Error('the port is closed');
      await call((cb) => sp.write(bytes, cb));
      await call((cb) => sp.drain(cb));
    },
    setLines: (lines) => {
      if (!sp.isOpen) return Promise.reject(new Error('the port is closed'));
      return call((cb) => sp.set({ dtr: lines.dtr, rts: lines.rts }, cb));
    },
    close: async () => {
      if (closing) return;
      closing = true;
      if (!sp.isOpen) return;
      await new Promise<void>((resolve) => sp.close(() => resolve()));
    },
  };
}

/**
 * The OS's words in a serialport error. The binding words them as
 * `Error: No such file or directory, cannot open /dev/x`; this keeps
 * `No such file or directory`.
 */
export function osWords(err: Error, path: string): string {
  let m = err.message.replace(/^Error: /, '');
  const tail = new RegExp(`, cannot (open|set|get|drain|flush|write|read|close)( ${escapeRegExp(path)})?$`);
  m = m.replace(tail, '');
  return m === '' ? err.message : m;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
