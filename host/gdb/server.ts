/**
 * `xsvisor run --gdb PORT`: the GDB remote stub's TCP server on Node.
 *
 * Owns the socket side: listening (127.0.0.1 unless told otherwise), one
 * debugger connection at a time (others are closed at once). The
 * connection (acknowledgements, interrupt, stop replies), the protocol and
 * the VM control are the engine-neutral core's (src/debug/).
 *
 * A connection halts the VM (as QEMU's stub does), so GDB finds it
 * stopped; `D` or a dropped connection lets it run on without breakpoints;
 * `k` calls `onKill` (the CLI ends the run). When the guest exits while
 * GDB is connected, GDB gets `W` and the connection is closed.
 */

import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { VirtVm } from '../../src/monitor/index.js';
import { GDB_KILL, GdbConnection, GdbStub, VmDebugger, type StopEvent } from '../../src/debug/index.js';

export { GDB_KILL };

/** How long `close` waits for GDB to close its side of the connection before cutting it. */
const CLOSE_GRACE_MS = 1000;

/** The stub could not start: `code` is the system's error code (EADDRINUSE, EACCES, ...), when there is one. */
export class GdbServerError extends Error {
  readonly code: string | null;
  readonly address: string;
  constructor(message: string, address: string, code: string | null) {
    super(message);
    this.name = 'GdbServerError';
    this.address = address;
    this.code = code;
  }
}

/** Options of {@link startGdbServer}. */
export interface GdbServerOptions {
  /** The VM to debug; the server installs a {@link VmDebugger} on it. */
  readonly vm: VirtVm;
  /** TCP port; 0 picks a free one (see {@link GdbServer.port}). */
  readonly port: number;
  /** Address to listen on. Default 127.0.0.1: anything else lets other hosts control the guest. */
  readonly host?: string;
  /** Keep the VM halted before its first instruction until GDB resumes it. */
  readonly wait?: boolean;
  /** Messages for the user (connections), without a trailing newline. */
  log(text: string): void;
  /** GDB asked to kill the target (`k`, `vKill`): end the run. */
  onKill(): void;
  /** Logs every packet in and out through `log` (for debugging the stub). */
  readonly trace?: boolean;
}

/** A started server. */
export interface GdbServer {
  /** The port it listens on. */
  readonly port: number;
  /** host:port, for messages. */
  readonly address: string;
  readonly debugger: VmDebugger;
  /** Stops listening, closes the connection, and gives the VM back its own run. */
  close(): Promise<void>;
}

/** Starts the server; resolves once it listens. Rejects with a {@link GdbServerError} when it cannot listen. */
export async function startGdbServer(options: GdbServerOptions): Promise<GdbServer> {
  const host = options.host ?? '127.0.0.1';
  const log = options.log;
  const trace = options.trace === true;
  let client: Connection | null = null;
  /** Connections not yet closed (an ended one may still be closing). */
  const open = new Set<{ end(): void; destroy(): void }>();

  const dbg = new VmDebugger({
    vm: options.vm,
    halted: options.wait === true,
    onStop: (event: StopEvent) => client?.core.stopped(event),
  });
  const stub = new GdbStub({ target: dbg, lastStop: () => dbg.lastStop });

  /** A socket's connection: the engine-neutral core's (src/debug/connection.ts), its bytes on the socket. */
  class Connection {
    readonly core: GdbConnection;
    private readonly socket: Socket;

    constructor(socket: Socket) {
      this.socket = socket;
      this.core = new GdbConnection({
        debugger: dbg,
        stub,
        trace,
        log,
        onKill: options.onKill,
        write: (bytes) => socket.write(bytes),
        end: () => {
          if (client === this) client = null;
          socket.end();
        },
      });
      socket.setNoDelay(true);
      socket.on('data', (chunk: Buffer) => this.core.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
      socket.on('error', () => {});
      socket.on('close', () => this.gone());
    }

    /** Ends the session: the next debugger may connect at once, while this socket finishes closing. */
    end(): void {
      if (client === this) client = null;
      this.core.end();
    }

    destroy(): void {
      this.socket.destroy();
    }

    private gone(): void {
      open.delete(this);
      if (client === this) {
        client = null;
        // A debugger that vanished leaves no breakpoints behind, and no halted VM.
        this.core.gone();
      }
    }
  }

  const server: Server = createServer((socket) => {
    if (client !== null) {
      log(`gdb: refused a second connection from ${socket.remoteAddress}:${socket.remotePort} (one debugger at a time)`);
      socket.destroy();
      return;
    }
    client = new Connection(socket);
    open.add(client);
    log(`gdb connected from ${socket.remoteAddress}:${socket.remotePort}`);
    if (!dbg.hasEnded) dbg.halt();
  });

  let port: number;
  try {
    port = await listenForGdb(server, options.port, host);
  } catch (e) {
    dbg.close();
    throw e;
  }
  return {
    port,
    address: `${host}:${port}`,
    debugger: dbg,
    close: async (): Promise<void> => {
      dbg.close();
      client?.end();
      await closeWithGrace(server, open);
    },
  };
}

/**
 * Listens on `host:port` (0: any free port) for GDB, the server's errors
 * silenced afterwards (a socket's errors are its own). Returns the port;
 * refuses with a GdbServerError naming the address and why (port in use,
 * permission, no such address).
 */
export async function listenForGdb(server: Server, port: number, host: string): Promise<number> {
  const address = `${host}:${port}`;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? null;
    const why = code === 'EADDRINUSE' ? 'the port is in use' : code === 'EACCES' ? 'permission denied' : code === 'EADDRNOTAVAIL' ? 'no such local address' : String(e);
    throw new GdbServerError(`gdb: cannot listen on ${address}: ${why}`, address, code);
  }
  server.on('error', () => {});
  return (server.address() as AddressInfo).port;
}

/**
 * Closes the listening server. GDB closes its side after `W` or `k`; a
 * connection still open after CLOSE_GRACE_MS is destroyed.
 */
export async function closeWithGrace(server: Server, open: Iterable<{ destroy(): void }>): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  let timer: NodeJS.Timeout | null = null;
  const grace = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, CLOSE_GRACE_MS);
  });
  await Promise.race([closed, grace]);
  if (timer !== null) clearTimeout(timer);
  for (const c of open) c.destroy();
  await closed;
}
