/**
 * ECMA-419 glue: the core's ports (src/ports) made from Moddable's IO
 * classes, its Timer and its Time.
 *
 * Each adapter takes the class it wraps as an argument rather than
 * importing it, so the same code runs with Moddable's own modules on a
 * board and with the host stand-ins (host/moddable/) under Node and xsnap.
 * The classes are described structurally (the `...Like` types below, the
 * parts the glue uses); the Moddable type-check (src/moddable/tsconfig.json)
 * proves Moddable's own classes fit them. Nothing here touches hardware
 * until a factory is called.
 *
 * Where Moddable's ports differ from the letter of ECMA-419, the glue
 * absorbs it (see each adapter); the device models never see it.
 */

import type { GpioLineWiring } from '../board/index.js';
import {
  DigitalEdge,
  DigitalMode,
  type Clock,
  type DigitalPin,
  type DigitalPinFactory,
  type ScheduledTask,
  type Scheduler,
  type SerialPort,
  type SerialPortFactory,
} from '../ports/index.js';

/** A board UART as the board file gives it. */
export interface UartPins {
  readonly uart: number;
  readonly tx: number;
  readonly rx: number;
  readonly baud: number;
  /** Simulator boards: the host device Moddable's simulator serial opens. */
  readonly device?: string;
}

/** The options the glue opens a serial port with (ECMA-419 Serial, Moddable's properties). */
export interface SerialOpenOptions {
  /** Moddable's simulator (lin) opens this host device; boards take port and pins. */
  device?: string;
  port: number;
  transmit: number;
  receive: number;
  baud: number;
  format: 'number';
  onReadable(this: unknown, count: number): void;
  onWritable(this: unknown, count: number): void;
}

/** The parts of ECMA-419 `embedded:io/serial` the glue uses. */
export interface SerialClassLike {
  new (options: SerialOpenOptions): {
    read(): number | ArrayBuffer | undefined;
    write(value: number): void;
    close(): void;
  };
}

/**
 * The options the glue opens a digital pin with (ECMA-419 Digital). `M`
 * is the type of the class's mode constants: the SDK's own typings
 * ($MODDABLE/typings) say `number`, npm's @moddable/typings 5.6 say
 * `unknown`; being generic, the glue type-checks against both.
 */
export interface DigitalOpenOptions<M = unknown> {
  pin: number;
  mode: M;
  edge?: number;
  onReadable?(this: unknown): void;
}

/** The parts of ECMA-419 `embedded:io/digital` the glue uses: the class and its mode and edge constants (of type `M`). */
export interface DigitalClassLike<M = unknown> {
  new (options: DigitalOpenOptions<M>): {
    read(): number;
    write(value: 0 | 1): void;
    close(): void;
  };
  readonly Input: M;
  readonly InputPullUp: M;
  readonly InputPullDown: M;
  readonly Output: M;
  readonly Rising: number;
  readonly Falling: number;
}

/** The parts of Moddable's `timer` module the glue uses; `T` is its timer object. */
export interface TimerClassLike<T> {
  set(callback: () => void, interval?: number): T;
  clear(timer: T): void;
}

/** The parts of Moddable's `time` module the glue uses. */
export interface TimeLike {
  readonly ticks: number;
  readonly microseconds?: number;
}

/** What the serial adapter counted. */
export interface SerialGlueStats {
  /** Writes the port refused (a full output FIFO throws on Moddable); the byte is lost, as on a real line. */
  refusedWrites: number;
}

/**
 * Takes Moddable's Serial class and the board's UART; returns the factory
 * UART0 opens its port with (format "number": one byte per call, nothing
 * allocated). `stats` counts refused writes.
 *
 * Moddable's `read()` on an empty port returns undefined on ESP32 but
 * throws on the Pico; the adapter reads no more than `onReadable` last
 * announced, so it never asks an empty port, and treats a throw as empty.
 * A `write()` the port refuses (its FIFO full: Moddable throws "output
 * full") drops the byte instead of failing the guest's store.
 */
export function serialPortFactory(SerialClass: SerialClassLike, pins: UartPins, stats?: SerialGlueStats): SerialPortFactory {
  return (callbacks): SerialPort => {
    // Bytes the port said were waiting, less those read since.
    let waiting = 0;
    let open = true;
    const port = new SerialClass({
      ...(pins.device === undefined ? {} : { device: pins.device }),
      port: pins.uart,
      transmit: pins.tx,
      receive: pins.rx,
      baud: pins.baud,
      format: 'number',
      onReadable(count: number): void {
        waiting = count;
        if (open) callbacks.onReadable?.(count);
      },
      onWritable(count: number): void {
        if (open) callbacks.onWritable?.(count);
      },
    });
    return {
      read(): number | undefined {
        if (waiting <= 0) return undefined;
        let b: unknown;
        try {
          b = port.read();
        } catch {
          b = undefined;
        }
        if (typeof b !== 'number') {
          waiting = 0;
          return undefined;
        }
        waiting--;
        return b & 0xff;
      },
      write(byte: number): void {
        try {
          port.write(byte & 0xff);
        } catch {
          if (stats !== undefined) stats.refusedWrites++;
        }
      },
      close(): void {
        if (!open) return;
        open = false;
        port.close();
      },
    };
  };
}

/** A digital pin factory whose Moddable pins outlive the device's close(); see {@link digitalPinFactory}. */
export interface HeldDigitalPinFactory extends DigitalPinFactory {
  /** Closes the Moddable pin it holds, if any (the app calls it when the VM is gone). */
  dispose(): void;
}

/**
 * Takes Moddable's Digital class and one GPIO line of the board; returns
 * the factory the GPIO device opens that pin with, in the mode the guest
 * chose. The board file has the last word on wiring: a line it calls an
 * input is never driven (a guest asking for an output there gets an input,
 * so a button to ground cannot be shorted), and its pull resistor is used
 * whenever the pin is an input, since the circuit needs it whatever the
 * guest's pue register says.
 *
 * On the Pico, Moddable 8.2.3 closing a pin that has onReadable removes
 * the Pico SDK's shared GPIO interrupt handler while its digitalbank.c
 * still believes it installed, so the next edge on any pin is an
 * unhandled IRQ 13 and the RP2040 panics. So no pin with onReadable is
 * closed while the VM runs: an output line never gets one, an input
 * line's mode is fixed by the board file, and the Moddable pin is held
 * open across the device's close() (the device reopens a line whenever
 * the guest touches its direction or pull-up) and reused when the next
 * open asks for the same mode and edges. `dispose()` closes it for good.
 */
export function digitalPinFactory<M>(DigitalClass: DigitalClassLike<M>, line: GpioLineWiring): HeldDigitalPinFactory {
  type Held = { pin: InstanceType<DigitalClassLike<M>>; readonly mode: M; readonly edge: number; onReadable: (() => void) | null };
  let held: Held | null = null;
  const release = (): void => {
    if (held === null) return;
    const h = held;
    held = null;
    h.pin.close();
  };
  const factory = (options: Parameters<DigitalPinFactory>[0]): DigitalPin => {
    const output = options.mode === DigitalMode.Output && line.direction === 'output';
    let mode: M;
    if (output) mode = DigitalClass.Output;
    else if (line.pull === 'up') mode = DigitalClass.InputPullUp;
    else if (line.pull === 'down') mode = DigitalClass.InputPullDown;
    else if (options.mode === DigitalMode.InputPullUp) mode = DigitalClass.InputPullUp;
    else mode = DigitalClass.Input;
    const wanted = options.edge ?? 0;
    // An output line read as an input (the guest's reset state) gets no edge interrupt: nothing outside drives an
    // LED, and a pin with onReadable must not be closed (see above) when the guest then makes the line an output.
    const edge = line.direction === 'output' || options.onReadable === undefined ? 0
      : ((wanted & DigitalEdge.Rising) !== 0 ? DigitalClass.Rising : 0) | ((wanted & DigitalEdge.Falling) !== 0 ? DigitalClass.Falling : 0);
    if (held === null || held.mode !== mode || held.edge !== edge) {
      release();
      const h = { mode, edge, onReadable: null } as Held;
      h.pin = edge !== 0
        ? new DigitalClass({ pin: line.pin, mode, edge, onReadable(): void { h.onReadable?.(); } })
        : new DigitalClass({ pin: line.pin, mode });
      held = h;
    }
    const mine = held;
    mine.onReadable = options.onReadable ?? null;
    let open = true;
    return {
      read: (): 0 | 1 => (mine.pin.read() ? 1 : 0),
      write(value: 0 | 1): void {
        if (output && open) mine.pin.write(value ? 1 : 0);
      },
      close(): void {
        if (!open) return;
        open = false;
        // Kept open for the next open of this line; only its callback goes.
        if (held === mine) mine.onReadable = null;
      },
    };
  };
  return Object.assign(factory, { dispose: release });
}

/** A scheduled callback and whether it still waits (Timer.clear on a fired one-shot timer is not needed, and not safe on every port). */
interface TimerTask<T> {
  readonly timer: T;
  pending: boolean;
}

/**
 * Takes Moddable's Timer; returns the scheduler the run loop yields
 * through. `soon` is an immediate timer (next turn of the event loop, so
 * IO callbacks run first); `after` rounds microseconds up to Timer's
 * milliseconds.
 */
export function timerScheduler<T>(TimerClass: TimerClassLike<T>): Scheduler {
  const start = (callback: () => void, ms: number): TimerTask<T> => {
    const task: TimerTask<T> = {
      timer: TimerClass.set(() => {
        task.pending = false;
        callback();
      }, ms),
      pending: true,
    };
    return task;
  };
  return Object.freeze({
    soon: (callback: () => void): ScheduledTask => start(callback, 0),
    after: (delay: number, callback: () => void): ScheduledTask => start(callback, delay > 0 ? Math.ceil(delay / 1000) : 0),
    cancel(task: ScheduledTask): void {
      const t = task as TimerTask<T> | null | undefined;
      if (t === null || t === undefined || !t.pending) return;
      t.pending = false;
      TimerClass.clear(t.timer);
    },
  });
}

/**
 * Takes Moddable's Time; returns the monotonic microsecond clock of the
 * ports: `Time.microseconds` where the port has it (ESP32, Pico), else the
 * millisecond `Time.ticks`.
 */
export function moddableClock(TimeModule: TimeLike): Clock {
  if (typeof TimeModule.microseconds === 'number') return Object.freeze({ now: (): number => TimeModule.microseconds as number });
  return Object.freeze({ now: (): number => TimeModule.ticks * 1000 });
}

/** A console port shared by the guest's UART and the monitor's messages; see {@link sharedConsole}. */
export interface SharedConsole {
  /** The factory UART0 opens its port with (the wrapped one). */
  readonly factory: SerialPortFactory;
  /** Sends one line of the monitor's on the console, between the guest's lines. */
  say(line: string): void;
  /** Message bytes still waiting for room on the port. */
  readonly pending: number;
  /** Message bytes dropped because the waiting room was full. */
  readonly dropped: number;
}

/**
 * Takes the factory of the guest's console port; returns it wrapped so
 * the monitor's messages go to the same line: on a board, the console
 * a user watches is the serial adapter, and its messages would otherwise
 * go only to `trace` (USB, lost before a host enumerates it on a Pico).
 *
 * Messages wait in a queue of `capacity` bytes (beyond, they are dropped
 * and counted) and are written only into room the port has reported,
 * ahead of the guest, whose UART is told the room that remains:
 * Moddable's ports throw "output full" past the room they reported. A
 * guest byte written when the messages have taken that room (or while
 * some wait) joins the queue behind them. A message starts on a new
 * line if the guest's output is mid-line.
 */
export function sharedConsole(factory: SerialPortFactory, capacity = 2048): SharedConsole {
  const queue = new Uint8Array(capacity);
  let head = 0;
  let length = 0;
  let dropped = 0;
  let port: SerialPort | null = null;
  let guestAtLineStart = true;
  // The room the port last reported, less what was written since: its FIFO only drains meanwhile, so this never overstates.
  let room = 0;
  const put = (byte: number): void => {
    if (length === capacity) {
      dropped++;
      return;
    }
    queue[(head + length) % capacity] = byte;
    length++;
  };
  const drain = (): void => {
    while (length > 0 && room > 0 && port !== null) {
      port.write(queue[head]!);
      head = (head + 1) % capacity;
      length--;
      room--;
    }
  };
  return {
    factory: (callbacks): SerialPort => {
      const opened = factory({
        onReadable: callbacks.onReadable,
        onWritable(count: number): void {
          room = count;
          drain();
          if (room > 0) callbacks.onWritable?.(room);
        },
      });
      port = opened;
      return {
        read: (): number | undefined => opened.read(),
        write(byte: number): void {
          guestAtLineStart = (byte & 0xff) === 0x0a;
          // Messages took the room the guest's side was told of, or wait ahead of it: queue the byte behind them, in order.
          if (length > 0 || room <= 0) {
            put(byte & 0xff);
            return;
          }
          room--;
          opened.write(byte);
        },
        close(): void {
          port = null;
          opened.close();
        },
      };
    },
    say(line: string): void {
      if (!guestAtLineStart) put(0x0a);
      guestAtLineStart = true;
      for (let i = 0; i < line.length; i++) put(line.charCodeAt(i) & 0xff);
      put(0x0a);
      drain();
    },
    get pending(): number {
      return length;
    },
    get dropped(): number {
      return dropped;
    },
  };
}

/**
 * Takes the factory of the board's console port and a key handler; returns
 * the factory wrapped so that Ctrl-A followed by `1`-`9` is taken out of
 * the input and handed to `onKey` (the digit's code), as the host's
 * terminal does for a shared console (docs/monitor.md). Ctrl-A Ctrl-A sends
 * one Ctrl-A; Ctrl-A and any other byte pass through unchanged. The keys
 * are seen as the guest in focus reads, so `onKey` is called from inside a
 * port's `read()`: it must only schedule what it does.
 */
export function consoleEscapes(factory: SerialPortFactory, onKey: (key: number) => void): SerialPortFactory {
  return (callbacks): SerialPort => {
    const port = factory(callbacks);
    let escaped = false;
    // A byte held back after a Ctrl-A that was not an escape.
    let held = -1;
    return {
      read(): number | undefined {
        if (held >= 0) {
          const b = held;
          held = -1;
          return b;
        }
        for (;;) {
          const b = port.read();
          if (b === undefined) return undefined;
          if (!escaped) {
            if (b !== 0x01) return b;
            escaped = true;
            continue;
          }
          escaped = false;
          if (b >= 0x31 && b <= 0x39) {
            onKey(b);
            continue;
          }
          if (b === 0x01) return b;
          held = b;
          return 0x01;
        }
      },
      write: (byte: number): void => port.write(byte),
      close: (): void => port.close(),
    };
  };
}
