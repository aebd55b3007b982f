/**
 * Host serial backends for a guest's UART beyond the terminal: a TCP
 * server (`tcp:PORT`) and a pseudo-terminal (`pty`).
 *
 * Owns the one entry point the CLI needs ({@link startSerialBackend}) and
 * the `--serial` spelling ({@link parseSerialSpec}); the backends
 * themselves are in tcp.ts and pty.ts. The terminal (`stdio`) backend is
 * host/node/terminal-serial.ts.
 */

import { parseHostSerial, type HostSerial } from '../../src/board/board.js';
import type { SerialPortFactory } from '../../src/ports/serial.js';
import type { SerialBackendStats } from './link.js';
import { PtySerial } from './pty.js';
import { TcpSerial } from './tcp.js';

export * from './errors.js';
export { SerialLink, type LinkSink, type SerialBackendStats, type SerialLinkOptions, DEFAULT_LINK_CAPACITY } from './link.js';
export { TcpSerial, DEFAULT_MAX_WAITING, type TcpSerialAddress, type TcpSerialOptions } from './tcp.js';
export { PtySerial, type PtySerialAddress, type PtySerialOptions } from './pty.js';
export { EscapeFilter, SERIAL_ESCAPE_BYTE, type EscapeFilterOptions } from './escape.js';

/**
 * Reads a `--serial` value: `stdio`, `none`, `pty`, `tcp:PORT` or
 * `tcp:PORT,nowait` (PORT 1-65535), the spelling of a board file's
 * `uart0.serial` (src/board's parseHostSerial). Returns null for anything
 * else, so the caller words its own usage error.
 */
export function parseSerialSpec(text: string): HostSerial | null {
  return parseHostSerial(text);
}

/** A started network or pty backend, as the CLI holds it. */
export interface StartedSerialBackend {
  /** Hand this to the VM as its UART0 serial factory. */
  readonly factory: SerialPortFactory;
  /** `tcp:127.0.0.1:4444` or `pty:/dev/pts/3`. */
  readonly endpoint: string;
  /** The line to print on stderr, in QEMU's words where QEMU has them. */
  readonly banner: string;
  /** True for `tcp:PORT` without `nowait`: the guest must not start before {@link waitForClient} resolves. */
  readonly waits: boolean;
  /**
   * Resolves true once a client has connected (at once for a backend
   * that does not wait), false if the backend closed first.
   */
  waitForClient(): Promise<boolean>;
  /** The backend's counters. */
  readonly stats: SerialBackendStats;
  /** Stops the backend (closes the server or ends the relay). */
  close(): Promise<void>;
}

/** Options of {@link startSerialBackend}. */
export interface StartSerialBackendOptions {
  /** For `tcp`: the address to listen on (default 127.0.0.1). */
  readonly host?: string;
  /** For `pty`: the Python interpreter (default `python3`). */
  readonly python?: string;
  /** A client connected (TCP: its `address:port`; pty: the slave's path). */
  onConnect?(who: string): void;
  /** The client went away. */
  onDisconnect?(who: string): void;
  /** Ctrl-A escapes on the input (`--serial mon:...`, escape.ts): called with the key after Ctrl-A. Absent: bytes pass unchanged. */
  onEscape?(key: number): void;
}

/**
 * Starts the backend for a `tcp` or `pty` host serial; resolves once it
 * listens or the pty exists. Rejects with the backend's
 * SerialBackendError (port in use, no python3, ...).
 */
export async function startSerialBackend(
  serial: Extract<HostSerial, { kind: 'tcp' | 'pty' }>,
  options: StartSerialBackendOptions = {},
): Promise<StartedSerialBackend> {
  if (serial.kind === 'tcp') {
    const tcp = new TcpSerial({ port: serial.port, host: options.host, onConnect: options.onConnect, onDisconnect: options.onDisconnect, onEscape: options.onEscape });
    try {
      await tcp.start();
    } catch (e) {
      await tcp.close();
      throw e;
    }
    const address = `${tcp.host.includes(':') ? `[${tcp.host}]` : tcp.host}:${tcp.port}`;
    return {
      factory: tcp.factory,
      endpoint: tcp.endpoint,
      // QEMU says "QEMU waiting for connection on: disconnected:tcp:...,server=on"; plainer words here.
      banner: serial.wait
        ? `waiting for a client on ${address} (connect with: nc ${tcp.host} ${tcp.port}); the guest starts when one connects`
        : `serial port UART0 listening on ${tcp.endpoint} (connect with: nc ${tcp.host} ${tcp.port})`,
      waits: serial.wait,
      waitForClient: () => (serial.wait ? tcp.firstClient() : Promise.resolve(true)),
      stats: tcp.stats,
      close: () => tcp.close(),
    };
  }
  const pty: PtySerial = new PtySerial({
    python: options.python,
    onConnect: () => options.onConnect?.(pty.path),
    onDisconnect: () => options.onDisconnect?.(pty.path),
    onEscape: options.onEscape,
  });
  try {
    await pty.start();
  } catch (e) {
    await pty.close();
    throw e;
  }
  return {
    factory: pty.factory,
    endpoint: pty.endpoint,
    banner: `char device redirected to ${pty.path} (label uart0)`,
    waits: false,
    waitForClient: () => Promise.resolve(true),
    stats: pty.stats,
    close: () => pty.close(),
  };
}

/**
 * Holds the caller until `backend`'s first client connects: what
 * `tcp:PORT` (without `nowait`) asks, as QEMU's `server,wait=on`. Returns
 * at once for no backend or one that does not wait. `onSignal` (the CLI's
 * signal hook: it registers a handler and returns its removal) ends the
 * wait early: resolves with the signal's name then, else with null.
 * `announce` is called with the backend's banner once the handler is in
 * place, so a signal sent on seeing the banner is always caught.
 */
export async function awaitClient(
  backend: StartedSerialBackend | null,
  onSignal?: (stop: (signal: string) => void) => () => void,
  announce?: (banner: string) => void,
): Promise<string | null> {
  if (backend === null || !backend.waits) return null;
  let release: (() => void) | null = null;
  const signalled = new Promise<string>((resolve) => {
    release = onSignal?.(resolve) ?? null;
  });
  announce?.(backend.banner);
  try {
    return await Promise.race([backend.waitForClient().then(() => null), signalled]);
  } finally {
    (release as (() => void) | null)?.();
  }
}
