/**
 * The Node side of the XS bridge (protocol.ts): serves the requests a
 * script in an xsnap worker makes through `issueCommand` (set-up, image,
 * data files, the UART's bytes, the idle wait, log and trace text, the
 * snapshot saved, the report). Used by `--engine xs` (engine.ts) and by
 * the Moddable app under XS (host/moddable/xs.ts).
 *
 * Owns the far end of the guest's UART: input handed to XS within the
 * room it reports, output kept until the port takes it (never more than
 * the room XS was told of), the idle wait (answered early when input or a
 * stop arrives), and the stop request.
 */

import type { SerialPort, SerialPortFactory } from '../../src/ports/index.js';
import { HEADER_BYTES, OP, readU32, REPLY_RESTART, REPLY_STOP, writeU32 } from './protocol.js';
import type { CommandReply } from './worker.js';

/** Options of an {@link XsBridgeHost}. */
export interface XsBridgeHostOptions {
  /** The answer to SETUP, sent as JSON. */
  readonly setup: unknown;
  /** The answer to IMAGE. */
  readonly image: Uint8Array;
  /** DATA n's answers. */
  readonly data?: readonly Uint8Array[];
  /** The far end of the guest's UART; none: its output is dropped and it gets no input. */
  readonly port?: SerialPortFactory;
  /** Receives HTIF console bytes (CONSOLE); none: they are dropped. */
  readonly onConsole?: (byte: number) => void;
  /** Receives LOG text. */
  readonly onLog: (text: string) => void;
  /** Told each time XS blocks in an idle wait with nothing to hand it (its guest sleeps). */
  readonly onIdle?: () => void;
  /** Receives PROGRESS: the instructions retired so far. */
  readonly onProgress?: (instret: number) => void;
  /** Receives TRACE text (whole lines, each ending in a newline); none: it is dropped. */
  readonly onTrace?: (text: string) => void;
}

const decoder = new TextDecoder();

/** One bridge's Node end; hand {@link serve} to the worker as its command handler. */
export class XsBridgeHost {
  /** EXIT's JSON, parsed; null until XS has reported. */
  report: unknown = null;
  /** SNAPSHOT's bytes; null until XS has sent them. */
  snapshot: Uint8Array | null = null;

  private readonly options: XsBridgeHostOptions;
  private readonly port: SerialPort | null = null;
  private budget = 0;
  private pending: Uint8Array = new Uint8Array(0);
  private stopReason: string | null = null;
  private restartAsked = false;
  private wake: (() => void) | null = null;
  private readable = false;

  constructor(options: XsBridgeHostOptions) {
    this.options = options;
    if (options.port === undefined) return;
    this.port = options.port({
      onReadable: () => {
        this.readable = true;
        this.wake?.();
      },
      onWritable: (count: number) => {
        this.budget = count > 0 ? count : 0;
        this.flush();
      },
    });
  }

  /** Answers one request. Refuses (throws) an unknown operation or data file. */
  serve(request: Uint8Array): CommandReply | Promise<CommandReply> {
    const op = request[0];
    const room = readU32(request, 1);
    const payload = request.subarray(HEADER_BYTES);
    switch (op) {
      case OP.SETUP:
        return JSON.stringify(this.options.setup);
      case OP.IMAGE:
        return this.options.image;
      case OP.DATA: {
        const data = this.options.data ?? [];
        const bytes = data[readU32(payload, 0)];
        if (bytes === undefined) throw new Error(`XS asked for data file ${readU32(payload, 0)} of ${data.length}`);
        return bytes;
      }
      case OP.TRANSMIT:
        this.transmit(payload);
        return this.reply(room);
      case OP.CONSOLE:
        for (const b of payload) this.options.onConsole?.(b);
        return this.reply(room);
      case OP.POLL:
        return this.reply(room);
      case OP.WAIT:
        return this.waitForInput(readU32(payload, 0)).then(() => this.reply(room));
      case OP.PROGRESS:
        this.options.onProgress?.(new DataView(payload.buffer, payload.byteOffset, 8).getFloat64(0, true));
        return undefined;
      case OP.LOG:
        this.options.onLog(decoder.decode(payload));
        return undefined;
      case OP.SNAPSHOT:
        this.snapshot = payload.slice();
        return undefined;
      case OP.TRACE:
        this.options.onTrace?.(decoder.decode(payload));
        return undefined;
      case OP.EXIT:
        this.report = JSON.parse(decoder.decode(payload)) as unknown;
        return undefined;
      default:
        throw new Error(`unknown request ${op} from XS`);
    }
  }

  /** The reason of the stop requested, or null. */
  get stopRequested(): string | null {
    return this.stopReason;
  }

  /** Asks XS to stop for `reason` (in the reply to its next exchange; a wait ends at once). */
  stop(reason: string): void {
    if (this.stopReason !== null) return;
    this.stopReason = reason;
    this.wake?.();
  }

  /** Asks XS to restart the guest (Ctrl-A r): in the reply to its next exchange (a wait ends at once). */
  restart(): void {
    this.restartAsked = true;
    this.wake?.();
  }

  /** Ends a wait in progress: the worker is gone. */
  close(): void {
    this.wake?.();
  }

  /** Bytes from the guest: to the port within its budget, the rest kept until it has room. */
  private transmit(bytes: Uint8Array): void {
    if (this.pending.length > 0) {
      const joined = new Uint8Array(this.pending.length + bytes.length);
      joined.set(this.pending, 0);
      joined.set(bytes, this.pending.length);
      this.pending = joined;
    } else {
      this.pending = bytes.slice();
    }
    this.flush();
  }

  /** The reply to T, C, P and W: a stop, or up to `room` input bytes; with the room for output. */
  private reply(room: number): Uint8Array {
    const outRoom = this.port === null ? 0xffffffff : Math.max(0, this.budget - this.pending.length);
    if (this.stopReason !== null) {
      const reason = new TextEncoder().encode(this.stopReason);
      const r = new Uint8Array(HEADER_BYTES + reason.length);
      r[0] = REPLY_STOP;
      writeU32(r, 1, outRoom);
      r.set(reason, HEADER_BYTES);
      return r;
    }
    const input: number[] = [];
    const flags = this.restartAsked ? REPLY_RESTART : 0;
    this.restartAsked = false;
    if (this.port !== null) {
      while (input.length < room) {
        const b = this.port.read();
        if (b === undefined) {
          this.readable = false;
          break;
        }
        input.push(b);
      }
    }
    const r = new Uint8Array(HEADER_BYTES + input.length);
    r[0] = flags;
    writeU32(r, 1, outRoom);
    r.set(input, HEADER_BYTES);
    return r;
  }

  /** Resolves after `ms` milliseconds, or at once when input or a stop arrives. */
  private waitForInput(ms: number): Promise<void> {
    if (this.readable || this.stopReason !== null || this.restartAsked || ms <= 0) return Promise.resolve();
    this.options.onIdle?.();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        this.wake = null;
        resolve();
      };
      const t = setTimeout(done, ms);
      this.wake = done;
    });
  }

  private flush(): void {
    const p = this.port;
    if (p === null) {
      this.pending = new Uint8Array(0);
      return;
    }
    let i = 0;
    while (i < this.pending.length && this.budget > 0) {
      p.write(this.pending[i++]!);
      this.budget--;
    }
    if (i > 0) this.pending = this.pending.subarray(i);
  }
}
