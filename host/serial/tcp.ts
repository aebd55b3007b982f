/**
 * A guest UART on a TCP server: the `--serial tcp:PORT[,nowait]` backend,
 * QEMU's `-serial tcp::PORT,server[,nowait]` on loopback.
 *
 * Owns the listening socket and the choice of client; the bytes and their
 * buffers are the {@link SerialLink}'s. With `wait` the caller holds the
 * guest until {@link TcpSerial.firstClient} resolves; output with no client
 * is discarded and counted. One client at a time; later ones wait, paused,
 * in a queue of `maxWaiting`, and one beyond it is told the port is busy.
 * Raw bytes, no telnet; 127.0.0.1 unless the caller passes another `host`.
 * Why, after QEMU's socket chardev: docs/design.md#the-host.
 */

import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { SerialPortFactory } from '../../src/ports/serial.js';
import { SerialBackendError } from './errors.js';
import { SerialLink, type SerialBackendStats } from './link.js';

/** Default number of clients that may wait behind the connected one. */
export const DEFAULT_MAX_WAITING = 4;
/** How long a refused client has to read the busy message before it is cut off (ms). */
const REFUSE_LINGER_MS = 1000;
/** How long a client has to read the guest's last bytes once the backend closes (ms). */
const CLOSE_LINGER_MS = 500;

/** Options of a {@link TcpSerial}. */
export interface TcpSerialOptions {
  /** TCP port to listen on, 0-65535; 0 picks a free port (read it from {@link TcpSerial.port} after `start()`). */
  readonly port: number;
  /** Address to listen on (default `127.0.0.1`). Pass `0.0.0.0` or `::` only to offer the console to the network. */
  readonly host?: string;
  /** Bytes received from the client kept for the guest; the oldest are dropped beyond it (default 64 KiB). */
  readonly inputCapacity?: number;
  /** Bytes of guest output gathered before the guest waits for the client (default 64 KiB). */
  readonly outputCapacity?: number;
  /** Clients held waiting while one is connected (default 4); 0 refuses every second client at once. */
  readonly maxWaiting?: number;
  /** A client became the connected one; `peer` is its `address:port`. */
  onConnect?(peer: string): void;
  /** The connected client went away. */
  onDisconnect?(peer: string): void;
  /** Ctrl-A escapes on the client's input (`--serial mon:tcp:PORT`; see escape.ts): the key after Ctrl-A. Absent: raw. */
  onEscape?(key: number): void;
}

/** Where the server listens. */
export interface TcpSerialAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * The TCP serial backend. Make one, `await start()`, hand `factory` to the
 * UART, and `close()` it when the run ends.
 */
export class TcpSerial {
  /** Opens the guest's side of the port (the UART calls it once). */
  readonly factory: SerialPortFactory;
  /** Counters (bytes both ways, discards, drops, clients served and refused), updated in place. */
  readonly stats: SerialBackendStats;

  /** The address listened on (127.0.0.1 unless the caller chose another). */
  readonly host: string;
  private readonly requestedPort: number;
  private boundPort = 0;
  private readonly maxWaiting: number;
  private readonly link: SerialLink;
  private readonly onConnect: ((peer: string) => void) | undefined;
  private readonly onDisconnect: ((peer: string) => void) | undefined;
  private server: Server | null = null;
  private active: Socket | null = null;
  private readonly waitingClients: Socket[] = [];
  private closed = false;
  private served = false;
  private readonly firstClientWaiters: ((connected: boolean) => void)[] = [];

  /** Checks the options (`bad-option` {@link SerialBackendError}); does not listen yet. */
  constructor(options: TcpSerialOptions) {
    this.host = options.host ?? '127.0.0.1';
    this.requestedPort = options.port;
    const endpoint = `tcp:${this.host}:${String(options.port)}`;
    if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
      throw new SerialBackendError({ backend: 'tcp', reason: 'bad-option', endpoint, detail: `port ${String(options.port)} is not an integer in [0, 65535]` });
    }
    const maxWaiting = options.maxWaiting ?? DEFAULT_MAX_WAITING;
    if (!Number.isInteger(maxWaiting) || maxWaiting < 0 || maxWaiting > 64) {
      throw new SerialBackendError({ backend: 'tcp', reason: 'bad-option', endpoint, detail: `maxWaiting ${String(maxWaiting)} is not an integer in [0, 64]` });
    }
    this.maxWaiting = maxWaiting;
    this.link = new SerialLink({ backend: 'tcp', endpoint, inputCapacity: options.inputCapacity, outputCapacity: options.outputCapacity, onEscape: options.onEscape });
    this.factory = this.link.factory;
    this.stats = this.link.stats;
    this.onConnect = options.onConnect;
    this.onDisconnect = options.onDisconnect;
  }

  /** The port listened on: the actual one once started (also when 0 was asked for), else the one asked for. */
  get port(): number {
    return this.boundPort !== 0 ? this.boundPort : this.requestedPort;
  }

  /** The endpoint as a user names it: `tcp:127.0.0.1:4444`. */
  get endpoint(): string {
    const h = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `tcp:${h}:${this.port}`;
  }

  /** True while a client is connected. */
  get connected(): boolean {
    return this.active !== null;
  }

  /**
   * Resolves true once a client has been served (at once if one has
   * already), false if the backend closes before any: what a caller that
   * waits for its client (`tcp:PORT` without `nowait`) awaits.
   */
  firstClient(): Promise<boolean> {
    if (this.served) return Promise.resolve(true);
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve) => this.firstClientWaiters.push(resolve));
  }

  /** Clients waiting behind the connected one. */
  get waiting(): number {
    return this.waitingClients.length;
  }

  /**
   * Starts listening; resolves with the address once it does. Rejects with
   * a {@link SerialBackendError}: `address-in-use` when another process
   * has the port, `listen-failed` otherwise, `closed` after `close()`.
   * Starting twice returns the same address.
   */
  start(): Promise<TcpSerialAddress> {
    if (this.closed) return Promise.reject(this.error('closed', 'the serial backend is closed'));
    if (this.server !== null && this.boundPort !== 0) return Promise.resolve({ host: this.host, port: this.boundPort });
    return new Promise((resolve, reject) => {
      // Paused on connect: a waiting client's bytes must stay in the kernel until it is served, as in QEMU.
      const server = createServer({ pauseOnConnect: true, noDelay: true }, (socket) => this.accept(socket));
      this.server = server;
      const onError = (e: NodeJS.ErrnoException): void => {
        this.server = null;
        if (e.code === 'EADDRINUSE') reject(this.error('address-in-use', 'the port is already in use (by another program, or another xsvisor)', e));
        else reject(this.error('listen-failed', `cannot listen: ${e.message}`, e));
      };
      server.once('error', onError);
      server.listen({ host: this.host, port: this.requestedPort, exclusive: true }, () => {
        server.removeListener('error', onError);
        // Errors after listening (rare: EMFILE on accept) must not crash the monitor; accept() handles per-socket ones.
        server.on('error', () => {});
        this.boundPort = (server.address() as AddressInfo).port;
        resolve({ host: this.host, port: this.boundPort });
      });
    });
  }

  /**
   * Stops listening, hands the connected client what the guest wrote last
   * (waiting at most a second for a slow one), then disconnects every
   * client and closes the port. Resolves when the server has closed.
   * Closing twice is harmless.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.firstClientWaiters.splice(0)) w(false);
    const server = this.server;
    this.server = null;
    const serverClosed = server === null ? Promise.resolve() : new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.waitingClients.splice(0)) s.destroy();
    await this.link.flush();
    this.link.close();
    const active = this.active;
    this.active = null;
    if (active !== null) {
      // end() lets the last bytes leave before the FIN; destroy() a moment later in case the client never reads them.
      active.end();
      setTimeout(() => active.destroy(), CLOSE_LINGER_MS).unref();
    }
    await serverClosed;
  }

  private accept(socket: Socket): void {
    socket.on('error', () => {
      // A reset client is just a disconnected one; 'close' follows.
    });
    if (this.closed) {
      socket.destroy();
      return;
    }
    if (this.active === null) {
      this.serve(socket);
      return;
    }
    if (this.waitingClients.length < this.maxWaiting) {
      this.waitingClients.push(socket);
      socket.once('close', () => {
        const i = this.waitingClients.indexOf(socket);
        if (i >= 0) this.waitingClients.splice(i, 1);
      });
      return;
    }
    this.refuse(socket);
  }

  /** Turns a client away with a line of text, then cuts it off (a client that never closes must not hold a descriptor). */
  private refuse(socket: Socket): void {
    this.stats.refused++;
    // Read and drop what it sent: closing with unread input makes the kernel reset the connection, losing the message.
    socket.on('data', () => {});
    socket.resume();
    socket.end(`xsvisor: ${this.endpoint} is busy: another client is connected to the guest's serial port\r\n`);
    setTimeout(() => socket.destroy(), REFUSE_LINGER_MS).unref();
  }

  private serve(socket: Socket): void {
    this.active = socket;
    const peer = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    socket.on('data', (chunk: Uint8Array) => this.link.receive(chunk));
    socket.once('close', () => {
      if (this.active !== socket) return;
      this.active = null;
      this.link.detach();
      this.onDisconnect?.(peer);
      this.promote();
    });
    this.link.attach(socket);
    socket.resume();
    this.onConnect?.(peer);
    this.served = true;
    for (const w of this.firstClientWaiters.splice(0)) w(true);
  }

  /** Serves the longest-waiting client that is still there (QEMU accepts from its backlog at this point). */
  private promote(): void {
    if (this.closed) return;
    while (this.waitingClients.length > 0) {
      const next = this.waitingClients.shift()!;
      if (next.destroyed || next.readyState !== 'open') {
        next.destroy();
        continue;
      }
      this.serve(next);
      return;
    }
  }

  private error(reason: 'address-in-use' | 'listen-failed' | 'closed', detail: string, cause?: unknown): SerialBackendError {
    return new SerialBackendError({ backend: 'tcp', reason, endpoint: this.endpoint, detail, cause });
  }
}
