/**
 * The XS side of the bridge (see protocol.ts), for both scripts that run
 * under xsnap (engine-entry.ts, host/moddable/xs-entry.ts): the exchanges
 * that carry bytes and stop requests across, a serial port for a VM's
 * UART whose far end is in Node (or an input sink of the caller's), and a
 * scheduler for the monitor. A configuration's VMs and shared console
 * use more ports, one lane each ({@link XsBridge.lane}); lane 0 is the
 * single VM's.
 *
 * Engine-neutral: the synchronous call to Node is passed in (`issue`,
 * xsnap's `issueCommand`), so nothing here needs XS itself. Output is kept
 * in a fixed buffer and sent once per slice; input lands in a fixed ring.
 * Port callbacks are delivered only from {@link XsBridge.exchange}'s
 * callers, between slices (the event loop's turn), never from inside
 * `read` or `write`, as ECMA-419 requires.
 */

import type { ScheduledTask, Scheduler, SerialPort, SerialPortCallbacks, SerialPortFactory } from '../../src/ports/index.js';
import { HEADER_BYTES, MAX_LANES, OP, readU16, readU32, REPLY_CONTROL, REPLY_RESTART, REPLY_STOP, writeU32, type XsControl } from './protocol.js';

/** Output bytes held in XS between exchanges, per lane: what one T carries at most. */
export const OUTPUT_CAPACITY = 16 * 1024;
/** Input bytes held in XS for a lane's port to pull. */
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

/** One serial stream: its buffers, the room the host gave it, its port's callbacks. */
class Lane {
  /** Bytes before the payload: the header, and for lanes past 0 the lane's number. */
  readonly at: number;
  readonly out: Uint8Array;
  outLength = 0;
  readonly consoleOut: Uint8Array;
  consoleLength = 0;
  readonly input = new Uint8Array(INPUT_CAPACITY);
  inHead = 0;
  inCount = 0;
  /** Output bytes the host takes in the next exchange. */
  room = 0;
  callbacks: SerialPortCallbacks | null = null;
  readonly factory: SerialPortFactory;

  constructor(readonly index: number) {
    this.at = HEADER_BYTES + (index === 0 ? 0 : 1);
    this.out = new Uint8Array(this.at + OUTPUT_CAPACITY);
    this.consoleOut = new Uint8Array(this.at + 256);
    this.out[HEADER_BYTES] = this.consoleOut[HEADER_BYTES] = index;
    this.factory = (callbacks: SerialPortCallbacks): SerialPort => this.open(callbacks);
  }

  private open(callbacks: SerialPortCallbacks): SerialPort {
    if (this.callbacks !== null) throw new Error(`the XS bridge port of lane ${this.index} is already open`);
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
        this.out[this.at + this.outLength++] = byte;
      },
      close: (): void => {
        this.callbacks = null;
      },
    };
    return port;
  }
}

/** The bridge: one per run. */
export class XsBridge {
  /** Opens lane 0's port (UART0 of the one VM); the UART calls it once. */
  readonly factory: SerialPortFactory;
  /** Set when the host asked the VM to stop: the reason. */
  stopReason: string | null = null;
  /** Called once when the host asks for a stop. */
  onStop: ((reason: string) => void) | null = null;
  /** Called when the host asks for the guest's restart, from {@link sync} or {@link wait} only (between slices). */
  onRestart: (() => void) | null = null;
  /** Called with each control the host sends (focus, release, gdb), from {@link sync} or {@link wait} only. */
  onControl: ((control: XsControl) => void) | null = null;
  /** Called at the end of every {@link sync} and {@link wait}, after the callbacks. */
  onExchanged: (() => void) | null = null;

  private readonly issue: IssueCommand;
  private readonly lanes: Lane[];
  private closed = false;
  private restartAsked = false;
  private readonly controls: XsControl[] = [];
  private readonly sink: BridgeInput | null;

  /** Takes the call to the host and, optionally, where lane 0's input goes instead of {@link factory}'s port. */
  constructor(issue: IssueCommand, input?: BridgeInput) {
    this.issue = issue;
    this.sink = input ?? null;
    this.lanes = [new Lane(0)];
    this.factory = this.lanes[0].factory;
  }

  /**
   * The port factory of lane `index` (0 to {@link MAX_LANES} - 1), made on
   * first use; from then on every exchange includes it. Refuses another
   * number with a RangeError.
   */
  lane(index: number): SerialPortFactory {
    if (!Number.isInteger(index) || index < 0 || index >= MAX_LANES) throw new RangeError(`XS bridge: no lane ${index} (0-${MAX_LANES - 1})`);
    while (this.lanes.length <= index) this.lanes.push(new Lane(this.lanes.length));
    return this.lanes[index].factory;
  }

  /** Output bytes waiting to be sent, on every lane. */
  get pendingOutput(): number {
    let n = 0;
    for (const l of this.lanes) n += l.outLength + l.consoleLength;
    return n;
  }

  /** One byte of the HTIF console of the VM on `lane` (default 0); sent with the next exchange. */
  consoleByte(b: number, lane = 0): void {
    const l = this.lanes[lane];
    if (l.consoleLength === l.consoleOut.length - l.at) this.exchange(l, lane === 0 ? OP.CONSOLE : OP.LANE_CONSOLE);
    l.consoleOut[l.at + l.consoleLength++] = b;
  }

  /**
   * Sends what is pending on each lane (C or K, then T or U, else P or an
   * empty U) and takes the replies: input, the host's room, a stop. Then
   * delivers the port callbacks, a restart and the controls. With
   * `takeInput` false, asks for no input: before the guest's first slice,
   * as under the Node engine, where input arrives only once the event loop
   * turns (a byte received before the guest sets up its UART would be lost).
   */
  sync(takeInput = true): void {
    for (const l of this.lanes) {
      if (l.consoleLength > 0) this.exchange(l, l.index === 0 ? OP.CONSOLE : OP.LANE_CONSOLE);
      this.exchange(l, l.index !== 0 ? OP.LANE : l.outLength > 0 ? OP.TRANSMIT : OP.POLL, 0, takeInput);
    }
    this.deliver();
  }

  /** Bytes for the far end of the UART from a caller with its own port (the Moddable app's serial line); sent at once. */
  transmit(bytes: Uint8Array): void {
    const l = this.lanes[0];
    for (let i = 0; i < bytes.length; i++) {
      if (l.outLength === OUTPUT_CAPACITY) this.exchange(l, OP.TRANSMIT);
      l.out[HEADER_BYTES + l.outLength++] = bytes[i];
    }
    this.sync();
  }

  /** Bytes for lane `index` (made before with {@link lane}) from a caller that writes more than a port's room (a GDB reply); sent with the next exchange, or at once when the buffer fills. */
  transmitOn(index: number, bytes: Uint8Array): void {
    const l = this.lanes[index];
    for (let i = 0; i < bytes.length; i++) {
      if (l.outLength === OUTPUT_CAPACITY) this.exchange(l, index === 0 ? OP.TRANSMIT : OP.LANE);
      l.out[l.at + l.outLength++] = bytes[i];
    }
  }

  /** Blocks up to `ms` milliseconds for input on any lane or a stop (the host answers early), then delivers the callbacks. */
  wait(ms: number): void {
    if (this.pendingOutput > 0 || ms <= 0) {
      this.sync();
      return;
    }
    this.exchange(this.lanes[0], OP.WAIT, ms > 0xffffffff ? 0xffffffff : Math.ceil(ms));
    // The wait answered lane 0; the others' input is fetched now.
    for (let i = 1; i < this.lanes.length; i++) this.exchange(this.lanes[i], OP.LANE);
    this.deliver();
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
    for (const l of this.lanes) l.callbacks = null;
  }

  /** One request of lane `l` and its reply; `arg` is W's wait in milliseconds. */
  private exchange(l: Lane, op: number, arg = 0, takeInput = true): void {
    let request: Uint8Array;
    if (op === OP.TRANSMIT || op === OP.LANE) {
      request = l.out.subarray(0, l.at + l.outLength);
      l.outLength = 0;
    } else if (op === OP.CONSOLE || op === OP.LANE_CONSOLE) {
      request = l.consoleOut.subarray(0, l.at + l.consoleLength);
      l.consoleLength = 0;
    } else {
      request = l.out.subarray(0, HEADER_BYTES + (op === OP.WAIT ? 4 : 0));
      if (op === OP.WAIT) writeU32(request, HEADER_BYTES, arg);
    }
    request[0] = op;
    const room = this.sink === null || l.index !== 0 ? INPUT_CAPACITY - l.inCount : this.sink.room();
    writeU32(request, 1, takeInput ? room : 0);
    // issueCommand takes a whole ArrayBuffer: copy out the request (once per slice, not per byte).
    const reply = new Uint8Array(this.issue(request.slice().buffer));
    if (reply.length < HEADER_BYTES) throw new Error(`XS bridge: a reply of ${reply.length} bytes`);
    l.room = readU32(reply, 1);
    if ((reply[0] & REPLY_RESTART) !== 0) this.restartAsked = true;
    if ((reply[0] & REPLY_STOP) !== 0) {
      if (this.stopReason === null) {
        this.stopReason = decoder.decode(reply.subarray(HEADER_BYTES));
        this.onStop?.(this.stopReason);
      }
      return;
    }
    let from = HEADER_BYTES;
    if ((reply[0] & REPLY_CONTROL) !== 0) {
      const n = readU16(reply, from);
      for (const c of JSON.parse(decoder.decode(reply.subarray(from + 2, from + 2 + n))) as XsControl[]) this.controls.push(c);
      from += 2 + n;
    }
    if (this.sink !== null && l.index === 0) {
      if (reply.length > from) this.sink.push(reply.subarray(from));
      return;
    }
    for (let i = from; i < reply.length && l.inCount < INPUT_CAPACITY; i++) {
      l.input[(l.inHead + l.inCount) % INPUT_CAPACITY] = reply[i];
      l.inCount++;
    }
  }

  /**
   * After the exchanges, between slices: the controls the host asked for,
   * each lane's port callbacks (input waiting, room for output), then a
   * restart (an exchange for the console may come mid-slice).
   */
  private deliver(): void {
    // Controls first: a focus key pressed before the input in the same reply moves that input.
    while (this.controls.length > 0) this.onControl?.(this.controls.shift()!);
    if (!this.closed) {
      for (const l of this.lanes) {
        const cb = l.callbacks;
        if (cb === null) continue;
        if (l.inCount > 0) cb.onReadable?.(l.inCount);
        const free = OUTPUT_CAPACITY - l.outLength;
        cb.onWritable?.(l.room < free ? l.room : free);
      }
    }
    if (this.restartAsked) {
      this.restartAsked = false;
      this.onRestart?.();
    }
    this.onExchanged?.();
  }
}
