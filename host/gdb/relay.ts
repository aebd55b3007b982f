/**
 * `xsvisor run --gdb PORT --engine xs`: the TCP side of the GDB stub when
 * the stub runs in the XS worker (src/debug/connection.ts there). Listens
 * as server.ts does (127.0.0.1 unless told otherwise, one debugger at a
 * time, others closed at once) and relays the connection's bytes both ways
 * through a serial port (a lane of the XS bridge); connects and
 * disconnects are told to the caller, which tells XS.
 */

import { createServer, type Server, type Socket } from 'node:net';
import type { SerialPort, SerialPortCallbacks, SerialPortFactory } from '../../src/ports/index.js';
import { closeWithGrace, listenForGdb } from './server.js';

/** Room the relay grants for output at a time: the socket buffers what it is given. */
const ROOM = 1 << 20;

/** Options of {@link startGdbRelay}. */
export interface GdbRelayOptions {
  /** TCP port; 0 picks a free one. */
  readonly port: number;
  /** Address to listen on; default 127.0.0.1. */
  readonly host?: string;
  /** Messages for the user (connections), without a trailing newline. */
  log(text: string): void;
  /** A debugger connected: its bytes follow on the port. */
  onConnect(): void;
  /** The debugger went away (closed its side, or the connection broke). */
  onGone(): void;
}

/** A listening relay. */
export interface GdbRelay {
  readonly port: number;
  /** host:port, for messages. */
  readonly address: string;
  /** The port whose far end is the debugger's socket (opened once). */
  readonly factory: SerialPortFactory;
  /** Ends the current connection once what was written has gone out (the stub said W, k or D). */
  endClient(): void;
  /** Stops listening and closes the connection. */
  close(): Promise<void>;
}

/** Starts listening; rejects with a GdbServerError when it cannot. */
export async function startGdbRelay(o: GdbRelayOptions): Promise<GdbRelay> {
  const host = o.host ?? '127.0.0.1';
  let client: Socket | null = null;
  const open = new Set<Socket>();
  let input: number[] = [];
  let out: number[] = [];
  let flushing = false;
  let callbacks: SerialPortCallbacks | null = null;
  const flush = (): void => {
    flushing = false;
    if (client !== null && out.length > 0) client.write(Uint8Array.from(out));
    out = [];
    callbacks?.onWritable?.(ROOM);
  };
  const factory: SerialPortFactory = (cb: SerialPortCallbacks): SerialPort => {
    if (callbacks !== null) throw new Error('the GDB relay port is already open');
    callbacks = cb;
    // Announced once the opener holds the port (ECMA-419's order).
    queueMicrotask(() => callbacks?.onWritable?.(ROOM));
    return {
      read: (): number | undefined => input.shift(),
      write: (byte: number): void => {
        out.push(byte & 0xff);
        if (!flushing) {
          flushing = true;
          setImmediate(flush);
        }
      },
      close: (): void => {
        callbacks = null;
      },
    };
  };

  const server: Server = createServer((socket) => {
    if (client !== null) {
      o.log(`gdb: refused a second connection from ${socket.remoteAddress}:${socket.remotePort} (one debugger at a time)`);
      socket.destroy();
      return;
    }
    client = socket;
    open.add(socket);
    input = [];
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      if (client !== socket) return;
      for (const b of chunk) input.push(b);
      callbacks?.onReadable?.(input.length);
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      open.delete(socket);
      if (client !== socket) return;
      client = null;
      o.onGone();
    });
    o.log(`gdb connected from ${socket.remoteAddress}:${socket.remotePort}`);
    o.onConnect();
  });

  const port = await listenForGdb(server, o.port, host);
  return {
    port,
    address: `${host}:${port}`,
    factory,
    endClient(): void {
      const c = client;
      if (c === null) return;
      flush();
      // The next debugger may connect at once, while this socket finishes closing.
      client = null;
      input = [];
      c.end();
    },
    close: async (): Promise<void> => {
      flush();
      client?.end();
      client = null;
      await closeWithGrace(server, open);
    },
  };
}
