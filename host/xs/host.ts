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
 * stop arrives), the stop request, and the controls of a configuration's
 * run (focus, release). A configuration's ports are lanes past 0.
 */

import type { SerialPort, SerialPortFactory } from '../../src/ports/index.js';
import { HEADER_BYTES, MAX_LANES, OP, readU32, REPLY_CONTROL, REPLY_RESTART, REPLY_STOP, writeU32, type XsControl } from './protocol.js';
import type { CommandReply } from './worker.js';

/** One lane's far end in Node. */
export interface XsHostLane {
  /** The port; none: its output is dropped and it gets no input. */
  readonly port?: SerialPortFactory;
  /** Receives the HTIF console bytes of the VM on the lane; none: they are dropped. */
  readonly onConsole?: (byte: number) => void;
}

/** Options of an {@link XsBridgeHost}. */
export interface XsBridgeHostOptions {
  /** The answer to SETUP, sent as JSON. */
  readonly setup: unknown;
  /** The answer to IMAGE. */
  readonly image: Uint8Array;
  /** DATA n's answers. */
  readonly data?: readonly Uint8Array[];
  /** The far end of lane 0 (the guest's UART); none: its output is dropped and it gets no input. */
  readonly port?: SerialPortFactory;
  /** Receives lane 0's HTIF console bytes (CONSOLE); none: they are dropped. */
  readonly onConsole?: (byte: number) => void;
  /** Lanes 1, 2, ... (a configuration's other ports). */
  readonly lanes?: readonly XsHostLane[];
  /** Receives LOG text. */
  readonly onLog: (text: string) => void;
  /** Told each time XS blocks in an idle wait with nothing to hand it (its guest sleeps). */
  readonly onIdle?: () => void;
  /** Receives PROGRESS: the instructions retired so far. */
  readonly onProgress?: (instret: number) => void;
  /** Receives TRACE text (whole lines, each ending in a newline); none: it is dropped. */
  readonly onTrace?: (text: string) => void;
  /** Receives EVENT's JSON, parsed (a configuration's monitor events). */
  readonly onEvent?: (event: unknown) => void;
  /** Receives PINS' JSON, parsed (the lines that changed). */
  readonly onPins?: (states: unknown) => void;
  /** Told of GDB_END: the debugger's connection ended in XS. */
  readonly onGdbEnd?: () => void;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** A lane's Node end: its port, the output it has not taken yet, whether input waits. */
class HostLane {
  readonly port: SerialPort | null = null;
  readonly onConsole: ((byte: number) => void) | undefined;
  budget = 0;
  pending: Uint8Array = new Uint8Array(0);
  readable = false;

  constructor(lane: XsHostLane, wake: () => void) {
    this.onConsole = lane.onConsole;
    if (lane.port === undefined) return;
    this.port = lane.port({
      onReadable: () => {
        this.readable = true;
        wake();
      },
      onWritable: (count: number) => {
        this.budget = count > 0 ? count : 0;
        this.flush();
      },
    });
  }

  /** Bytes from the guest: to the port within its budget, the rest kept until it has room. */
  transmit(bytes: Uint8Array): void {
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

  /** Room for output XS may use in its next exchange. */
  get outRoom(): number {
    return this.port === null ? 0xffffffff : Math.max(0, this.budget - this.pending.length);
  }

  /** Up to `room` input bytes. */
  take(room: number): number[] {
    const input: number[] = [];
    if (this.port === null) return input;
    while (input.length < room) {
      const b = this.port.read();
      if (b === undefined) {
        this.readable = false;
        break;
      }
      input.push(b);
    }
    return input;
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

/** One bridge's Node end; hand {@link serve} to the worker as its command handler. */
export class XsBridgeHost {
  /** EXIT's JSON, parsed; null until XS has reported. */
  report: unknown = null;
  /** SNAPSHOT's bytes; null until XS has sent them. */
  snapshot: Uint8Array | null = null;

  private readonly options: XsBridgeHostOptions;
  private readonly lanes: HostLane[];
  private stopReason: string | null = null;
  private restartAsked = false;
  private controls: XsControl[] = [];
  private wake: (() => void) | null = null;

  /** Opens every lane's port. Refuses more than {@link MAX_LANES} lanes (RangeError). */
  constructor(options: XsBridgeHostOptions) {
    this.options = options;
    const all: XsHostLane[] = [{ port: options.port, onConsole: options.onConsole }, ...(options.lanes ?? [])];
    if (all.length > MAX_LANES) throw new RangeError(`the XS bridge takes ${MAX_LANES} lanes at most, not ${all.length}`);
    this.lanes = all.map((l) => new HostLane(l, () => this.wake?.()));
  }

  /** Answers one request. Refuses (throws) an unknown operation, data file or lane. */
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
        this.lanes[0].transmit(payload);
        return this.reply(room, this.lanes[0]);
      case OP.CONSOLE:
        for (const b of payload) this.lanes[0].onConsole?.(b);
        return this.reply(room, this.lanes[0]);
      case OP.LANE:
      case OP.LANE_CONSOLE: {
        const lane = this.lanes[payload[0] ?? MAX_LANES];
        if (lane === undefined) throw new Error(`XS sent bytes on lane ${payload[0]} of ${this.lanes.length}`);
        if (op === OP.LANE) {
          if (payload.length > 1) lane.transmit(payload.subarray(1));
        } else {
          for (let i = 1; i < payload.length; i++) lane.onConsole?.(payload[i]);
        }
        return this.reply(room, lane);
      }
      case OP.POLL:
        return this.reply(room, this.lanes[0]);
      case OP.WAIT:
        return this.waitForInput(readU32(payload, 0)).then(() => this.reply(room, this.lanes[0]));
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
      case OP.EVENT:
        this.options.onEvent?.(JSON.parse(decoder.decode(payload)) as unknown);
        return undefined;
      case OP.PINS:
        this.options.onPins?.(JSON.parse(decoder.decode(payload)) as unknown);
        return undefined;
      case OP.GDB_END:
        this.options.onGdbEnd?.();
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

  /** Sends XS a control (a configuration's focus or release): in the reply to its next exchange (a wait ends at once). */
  control(c: XsControl): void {
    this.controls.push(c);
    this.wake?.();
  }

  /** Ends a wait in progress: the worker is gone. */
  close(): void {
    this.wake?.();
  }

  /** The reply to T, C, P, W, U and K: a stop, or the controls and up to `room` input bytes of `lane`; with the lane's room for output. */
  private reply(room: number, lane: HostLane): Uint8Array {
    if (this.stopReason !== null) {
      const reason = encoder.encode(this.stopReason);
      const r = new Uint8Array(HEADER_BYTES + reason.length);
      r[0] = REPLY_STOP;
      writeU32(r, 1, lane.outRoom);
      r.set(reason, HEADER_BYTES);
      return r;
    }
    let flags = this.restartAsked ? REPLY_RESTART : 0;
    this.restartAsked = false;
    let controls: Uint8Array | null = null;
    if (this.controls.length > 0) {
      flags |= REPLY_CONTROL;
      controls = encoder.encode(JSON.stringify(this.controls));
      this.controls = [];
    }
    const input = lane.take(room);
    const at = HEADER_BYTES + (controls === null ? 0 : 2 + controls.length);
    const r = new Uint8Array(at + input.length);
    r[0] = flags;
    writeU32(r, 1, lane.outRoom);
    if (controls !== null) {
      r[HEADER_BYTES] = controls.length & 0xff;
      r[HEADER_BYTES + 1] = controls.length >>> 8;
      r.set(controls, HEADER_BYTES + 2);
    }
    r.set(input, at);
    return r;
  }

  /** Resolves after `ms` milliseconds, or at once when input (on any lane), a stop, a restart or a control arrives. */
  private waitForInput(ms: number): Promise<void> {
    const ready = this.lanes.some((l) => l.readable);
    if (ready || this.stopReason !== null || this.restartAsked || this.controls.length > 0 || ms <= 0) return Promise.resolve();
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
}
