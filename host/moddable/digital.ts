/**
 * Host stand-in for ECMA-419 `embedded:io/digital` as Moddable implements
 * it, on simulated wires.
 *
 * A {@link HostWire} is what is connected to one GPIO: the harness drives
 * it (a button) or reads it (an LED). Its level is the pin's own output
 * when the pin is an output, else the external driver's, else the pull
 * resistor's (up 1, down 0), else 0. The `Digital` class is the pin the
 * app opens: mode fixed at construction, one open per pin ("in use"),
 * `onReadable` after a requested edge, from the event loop. The mode and
 * edge constants are Moddable's values.
 */

import { later } from './loop.js';

/** What a wire counted. */
export interface HostWireStats {
  opens: number;
  writes: number;
  /** Edges reported to the app. */
  edges: number;
}

const wires = new Map<number, HostWire>();

/** One GPIO's wire. */
export class HostWire {
  readonly pin: number;
  readonly stats: HostWireStats = { opens: 0, writes: 0, edges: 0 };
  /** Every level the pin drove, in order (for tests of an LED). */
  readonly history: (0 | 1)[] = [];
  private external: 0 | 1 | null = null;
  /** @internal The open pin, if any. */
  openPin: Digital | null = null;

  constructor(pin: number) {
    this.pin = pin;
  }

  /** The level on the wire now. */
  get level(): 0 | 1 {
    const p = this.openPin;
    if (p !== null && p.isOutput) return p.driven;
    if (this.external !== null) return this.external;
    return p !== null ? p.pullLevel : 0;
  }

  /** Sets the external driver: 0, 1, or null to let the wire float. Reports an edge to an input pin that asked for it. */
  drive(level: 0 | 1 | null): void {
    const before = this.level;
    this.external = level;
    const after = this.level;
    if (before !== after) this.openPin?.edge(after);
  }
}

/** The wire of GPIO `pin` (made on first use). */
export function hostWire(pin: number): HostWire {
  let w = wires.get(pin);
  if (w === undefined) {
    w = new HostWire(pin);
    wires.set(pin, w);
  }
  return w;
}

/** Forgets every wire (closing pins still open). */
export function resetHostWires(): void {
  for (const w of wires.values()) w.openPin?.close();
  wires.clear();
}

/** The options the app passes. */
export interface DigitalOptions {
  pin: number;
  /** One of the mode constants (checked at run time, as Moddable does). */
  mode: unknown;
  edge?: number;
  onReadable?: (this: unknown) => void;
  format?: 'number';
  target?: unknown;
}

const MODES = Object.freeze({ Input: 0, InputPullUp: 1, InputPullDown: 2, InputPullUpDown: 3, Output: 8, OutputOpenDrain: 9 });

/** A pin the app opened. */
export default class Digital {
  static readonly Input = MODES.Input;
  static readonly InputPullUp = MODES.InputPullUp;
  static readonly InputPullDown = MODES.InputPullDown;
  static readonly InputPullUpDown = MODES.InputPullUpDown;
  static readonly Output = MODES.Output;
  static readonly OutputOpenDrain = MODES.OutputOpenDrain;
  static readonly Rising = 1;
  static readonly Falling = 2;

  readonly target: unknown;
  #wire: HostWire | null;
  #mode: number;
  #edge: number;
  #onReadable: ((this: unknown) => void) | undefined;
  #driven: 0 | 1 = 0;

  constructor(options: DigitalOptions) {
    const { pin, mode } = options;
    if (typeof pin !== 'number' || !Number.isInteger(pin) || pin < 0 || pin > 63) throw new RangeError('invalid pin');
    if (typeof mode !== 'number' || !(Object.values(MODES) as number[]).includes(mode)) throw new RangeError('invalid mode');
    const edge = options.edge ?? 0;
    if (edge !== 0 && (mode === MODES.Output || mode === MODES.OutputOpenDrain)) throw new RangeError('edge on an output');
    if (edge !== 0 && options.onReadable === undefined) throw new RangeError('edge without onReadable');
    const wire = hostWire(pin);
    if (wire.openPin !== null) throw new Error('in use');
    this.#wire = wire;
    this.#mode = mode;
    this.#edge = edge;
    this.#onReadable = options.onReadable;
    this.target = options.target;
    wire.openPin = this;
    wire.stats.opens++;
  }

  get format(): 'number' {
    return 'number';
  }

  /** The level on the wire. */
  read(): 0 | 1 {
    return this.#open().level;
  }

  /** Drives the pin (outputs only; an input ignores it, as Moddable's does). */
  write(value: 0 | 1): void {
    const wire = this.#open();
    if (!this.isOutput) return;
    const before = wire.level;
    this.#driven = value ? 1 : 0;
    wire.stats.writes++;
    wire.history.push(this.#driven);
    if (before !== wire.level) this.edge(wire.level);
  }

  /** Releases the pin; no callback is delivered after. */
  close(): void {
    const wire = this.#wire;
    if (wire === null) return;
    this.#wire = null;
    if (wire.openPin === this) wire.openPin = null;
  }

  /** @internal True for output modes. */
  get isOutput(): boolean {
    return this.#mode === MODES.Output || this.#mode === MODES.OutputOpenDrain;
  }

  /** @internal What the level is when nothing drives the wire. */
  get pullLevel(): 0 | 1 {
    return this.#mode === MODES.InputPullUp ? 1 : 0;
  }

  /** @internal The level driven by an output. */
  get driven(): 0 | 1 {
    return this.#driven;
  }

  /** @internal The wire changed to `level`: report the edge if it was asked for. */
  edge(level: 0 | 1): void {
    const wanted = level === 1 ? Digital.Rising : Digital.Falling;
    if ((this.#edge & wanted) === 0 || this.#onReadable === undefined || this.isOutput) return;
    const wire = this.#wire!;
    wire.stats.edges++;
    later(() => {
      if (this.#wire !== null) this.#onReadable!.call(this);
    });
  }

  #open(): HostWire {
    if (this.#wire === null) throw new Error('closed');
    return this.#wire;
  }
}
