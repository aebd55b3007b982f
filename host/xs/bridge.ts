/**
 * The XS side of the bridge (see protocol.ts), for both scripts that run
 * under xsnap (engine-entry.ts, host/moddable/xs-entry.ts): the exchanges
 * that carry bytes and stop requests across, a serial port for a VM's
 * UART whose far end is in Node (or an input sink of the caller's), and a
 * scheduler for the monitor.
 *
 * Engine-neutral: the synchronous call to Node is passed in (`issue`,
 * xsnap's `issueCommand`), so nothing here needs XS itself. Output is kept
 * in a fixed buffer and sent once per slice; input lands in a fixed ring.
 * Port callbacks are delivered only from {@link XsBridge.exchange}'s
 * callers, between slices (the event loop's turn), never from inside
 * `read` or `write`, as ECMA-419 requires.
 */

import type { ScheduledTask, Scheduler, SerialPort, SerialPortCallbacks, SerialPortFactory } from '../../src/ports/index.js';
import { HEADER_BYTES, OP, readU32, REPLY_RESTART, REPLY_STOP, writeU32 } from './protocol.js';

/** Output bytes held in XS between exchanges: what one T carries at most. */
export const OUTPUT_CAPACITY = 16 * 1024;
/** Input bytes held in XS for the UART to pull. */
export const INPUT_CAPACITY = 4096;

/** A synchronous call to the host: takes a request, returns the reply (xsnap's `issueCommand`). */
export type IssueCommand = (request: ArrayBuffer) => ArrayBuffer;

/** Where input goes instead of the bridge's own port (the Moddable app's simulated serial line). */
export interface BridgeInput {
  /** Bytes it can take now. */
  room(): number;
  push(bytes: Uint8Array): void;
}

const decoder = new TextDecoder();

/** The bridge: one per run. */
export class XsBridge {
  /** Opens UART0's port; the UART calls it once. */
  readonly factory: SerialPortFactory;
  /** Set when the host asked the VM to stop: the reason. */
  stopReason: string | null = null;
  /** Called once when the host asks for a stop. */
  onStop: ((reason: string) => void) | null = null;
  /** Called when the host asks for the guest's restart, from {@link sync} or {@link wait} only (between slices). */
  onRestart: (() => void) | null = null;

  private readonly issue: IssueCommand;
  private readonly out = new Uint8Array(HEADER_BYTES + OUTPUT_CAPACITY);
  private outLength = 0;
  private readonly consoleOut = new Uint8Array(HEADER_BYTES + 256);
  private consoleLength = 0;
  private readonly input = new Uint8Array(INPUT_CAPACITY);
  private inHead = 0;
  private inCount = 0;
  /** Output bytes the host takes in the next exchange. */
  private room = 0;
  private callbacks: SerialPortCallbacks | null = null;
  private closed = false;
  private restartAsked = false;
  private readonly sink: BridgeInput | null;

  /** Takes the call to the host and, optionally, where input goes instead of {@link factory}'s port. */
  constructor(issue: IssueCommand, input?: BridgeInput) {
    this.issue = issue;
    this.sink = input ?? null;
    this.factory = (callbacks: SerialPortCallbacks): SerialPort => this.open(callbacks);
  }

  /** Output bytes waiting to be sent. */
  get pendingOutput(): number {
    return this.outLength + this.consoleLength;
  }

  /** One byte of the HTIF console; sent with the next exchange. */
  consoleByte(b: number): void {
    if (this.consoleLength === this.consoleOut.length - HEADER_BYTES) this.exchange(OP.CONSOLE);
    this.consoleOut[HEADER_BYTES + this.consoleLength++] = b;
  }

  /**
   * Sends what is pending (T or C, else P) and takes the reply: input, the
   * host's room, a stop. Then delivers the port callbacks. With `takeInput`
   * false, asks for no input: before the guest's first slice, as under the
   * Node engine, where input arrives only once the event loop turns (a
   * byte received before the guest sets up its UART would be lost).
   */
  sync(takeInput = true): void {
    if (this.consoleLength > 0) this.exchange(OP.CONSOLE);
    this.exchange(this.outLength > 0 ? OP.TRANSMIT : OP.POLL, 0, takeInput);
    this.deliver();
    this.restartIfAsked();
  }

  /** A restart the host asked for, done now that the guest is between slices (an exchange for the console may come mid-slice). */
  private restartIfAsked(): void {
    if (!this.restartAsked) return;
    this.restartAsked = false;
    this.onRestart?.();
  }

  /** Bytes for the far end of the UART from a caller with its own port (the Moddable app's serial line); sent at once. */
  transmit(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) {
      if (this.outLength === OUTPUT_CAPACITY) this.exchange(OP.TRANSMIT);
      this.out[HEADER_BYTES + this.outLength++] = bytes[i];
    }
    this.sync();
  }

  /** Blocks up to `ms` milliseconds for input or a stop (the host answers early), then delivers the callbacks. */
  wait(ms: number): void {
    if (this.pendingOutput > 0 || ms <= 0) {
      this.sync();
      return;
    }
    this.exchange(OP.WAIT, ms > 0xffffffff ? 0xffffffff : Math.ceil(ms));
    this.deliver();
    this.restartIfAsked();
  }

  /** Sends a line for the host's stderr. */
  log(text: string): void {
    this.send(OP.LOG, new TextEncoder().encode(text));
  }

  /** Tells the host how many instructions have retired (its progress display). */
  progress(instret: number): void {
    const payload = new Uint8Array(8);
    new DataView(payload.buffer).setFloat64(0, instret, true);
    this.send(OP.PROGRESS, payload);
  }

  /** Sends a message that needs no answer beyond an acknowledgement (set-up, image, exit). */
  send(op: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
    const request = new Uint8Array(HEADER_BYTES + payload.length);
    request[0] = op;
    request.set(payload, HEADER_BYTES);
    return new Uint8Array(this.issue(request.buffer));
  }

  /**
   * A scheduler for the driver on xsnap, which has `setImmediate` and no
   * timers: a delayed task blocks in {@link wait} (the host answers early
   * when input or a stop arrives), then runs unless it was cancelled
   * meanwhile (input woke the VM, and the driver rescheduled).
   */
  scheduler(immediate: (fn: () => void) => void): Scheduler {
    const bridge = this;
    interface Task {
      cancelled: boolean;
    }
    return {
      soon(callback: () => void): ScheduledTask {
        const task: Task = { cancelled: false };
        immediate(() => {
          if (!task.cancelled) callback();
        });
        return task;
      },
      after(delay: number, callback: () => void): ScheduledTask {
        const task: Task = { cancelled: false };
        immediate(() => {
          if (task.cancelled) return;
          bridge.wait(delay > 0 ? delay / 1000 : 0);
          if (!task.cancelled) callback();
        });
        return task;
      },
      cancel(task: ScheduledTask): void {
        (task as Task).cancelled = true;
      },
    };
  }

  /** Stops delivering callbacks; pending output stays for a last {@link sync}. */
  close(): void {
    this.closed = true;
    this.callbacks = null;
  }

  private open(callbacks: SerialPortCallbacks): SerialPort {
    if (this.callbacks !== null) throw new Error('the XS bridge port is already open');
    this.callbacks = callbacks;
    const port: SerialPort = {
      read: (): number | undefined => {
        if (this.inCount === 0) return undefined;
        const b = this.input[this.inHead];
        this.inHead = (this.inHead + 1) % INPUT_CAPACITY;
        this.inCount--;
        return b;
      },
      write: (byte: number): void => {
        // The UART keeps within the budget it was given; a byte past the buffer would be lost, so it is refused loudly.
        if (this.outLength === OUTPUT_CAPACITY) throw new Error('XS bridge: output written past the reported room');
        this.out[HEADER_BYTES + this.outLength++] = byte;
      },
      close: (): void => {
        this.callbacks = null;
      },
    };
    return port;
  }

  /** One request and its reply; `arg` is W's wait in milliseconds. */
  private exchange(op: number, arg = 0, takeInput = true): void {
    let request: Uint8Array;
    if (op === OP.TRANSMIT) {
      request = this.out.subarray(0, HEADER_BYTES + this.outLength);
      this.outLength = 0;
    } else if (op === OP.CONSOLE) {
      request = this.consoleOut.subarray(0, HEADER_BYTES + this.consoleLength);
      this.consoleLength = 0;
    } else {
      request = this.out.subarray(0, HEADER_BYTES + (op === OP.WAIT ? 4 : 0));
      if (op === OP.WAIT) writeU32(request, HEADER_BYTES, arg);
    }
    request[0] = op;
    const room = this.sink === null ? INPUT_CAPACITY - this.inCount : this.sink.room();
    writeU32(request, 1, takeInput ? room : 0);
    // issueCommand takes a whole ArrayBuffer: copy out the request (once per slice, not per byte).
    const reply = new Uint8Array(this.issue(request.slice().buffer));
    if (reply.length < HEADER_BYTES) throw new Error(`XS bridge: a reply of ${reply.length} bytes`);
    this.room = readU32(reply, 1);
    if ((reply[0] & REPLY_RESTART) !== 0) this.restartAsked = true;
    if ((reply[0] & REPLY_STOP) !== 0) {
      if (this.stopReason === null) {
        this.stopReason = decoder.decode(reply.subarray(HEADER_BYTES));
        this.onStop?.(this.stopReason);
      }
      return;
    }
    if (this.sink !== null) {
      if (reply.length > HEADER_BYTES) this.sink.push(reply.subarray(HEADER_BYTES));
      return;
    }
    for (let i = HEADER_BYTES; i < reply.length && this.inCount < INPUT_CAPACITY; i++) {
      this.input[(this.inHead + this.inCount) % INPUT_CAPACITY] = reply[i];
      this.inCount++;
    }
  }

  /** The port callbacks after an exchange: input waiting, room for output. */
  private deliver(): void {
    const cb = this.callbacks;
    if (cb === null || this.closed) return;
    if (this.inCount > 0) cb.onReadable?.(this.inCount);
    const free = OUTPUT_CAPACITY - this.outLength;
    cb.onWritable?.(this.room < free ? this.room : free);
  }
}
