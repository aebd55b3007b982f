/**
 * The host board's GPIO lines as simulated pins, by name: what the guest's
 * `sifive,gpio0` device opens, what the board view draws, and what tests
 * drive (`press('button')`, `level('led')`).
 *
 * Owns the board-level meaning of a line. Each line is a {@link SimulatedPin}
 * (src/ports/sim/pin.ts: the wire model, one open at a time, edges reported
 * through `onReadable`); this class adds names, the board's pull resistor
 * and the button a person presses, and reports changes to listeners (the
 * view) by wrapping the pin handles the device gets.
 *
 * A board file's `pull` is the board's resistor: it decides what a button
 * reads at rest and pressed; LEDs are active high. See docs/design.md#the-host.
 */

import type { GpioLineWiring } from '../../src/board/board.js';
import { DigitalMode, type DigitalPin, type DigitalPinFactory, type DigitalPinOptions } from '../../src/ports/digital.js';
import { SimulatedPin } from '../../src/ports/sim/index.js';
import { BoardPinsError } from './errors.js';

/** The mode a line's pin is open in, as the view shows it. */
export type PinModeName = 'output' | 'input' | 'input-pullup' | 'closed';

/** A line's state, as the view draws it. */
export interface PinState {
  readonly name: string;
  /** GPIO line number in the guest's block. */
  readonly line: number;
  /** The board's pin number. */
  readonly pin: number;
  readonly direction: 'input' | 'output';
  readonly pull: 'up' | 'down' | 'none';
  /** How the guest has the pin open now. */
  readonly mode: PinModeName;
  /** The level on the wire. */
  readonly level: 0 | 1;
  /** Output lines: the LED is lit. */
  readonly lit: boolean;
  /** Input lines: the button is held down. */
  readonly pressed: boolean;
  /** Times the level or mode changed: lets a viewer notice a blink shorter than its frame. */
  readonly changes: number;
}

/** Told the name of a line whose state changed. Runs synchronously, possibly inside a guest's pin write: keep it short, never throw, never drive pins from it. */
export type PinListener = (name: string) => void;

/** What the board view uses of the pins (SimulatedBoardPins, or RemoteBoardPins for pins in another engine). */
export interface BoardPinsView {
  /** The lines, in line-number order. */
  readonly lines: readonly GpioLineWiring[];
  states(): PinState[];
  subscribe(listener: PinListener): () => void;
  press(name: string): void;
  release(name: string): void;
}

/** Options of {@link SimulatedBoardPins}. */
export interface SimulatedBoardPinsOptions {
  /** The board's GPIO lines (a board's `gpioLines`). Names and line numbers must be unique. */
  readonly lines: readonly GpioLineWiring[];
}

interface Entry {
  readonly wiring: GpioLineWiring;
  readonly sim: SimulatedPin;
  readonly factory: DigitalPinFactory;
  pressed: boolean;
  changes: number;
  lastMode: PinModeName;
  lastLevel: 0 | 1;
}

function modeName(mode: DigitalMode | null): PinModeName {
  if (mode === DigitalMode.Output) return 'output';
  if (mode === DigitalMode.InputPullUp) return 'input-pullup';
  if (mode === DigitalMode.Input) return 'input';
  return 'closed';
}

/** The external drive of a released button: the board's resistor, or nothing. */
function restDrive(pull: GpioLineWiring['pull']): 0 | 1 | null {
  return pull === 'up' ? 1 : pull === 'down' ? 0 : null;
}

/** The board's named GPIO lines on simulated pins. */
export class SimulatedBoardPins implements BoardPinsView {
  /** The lines, in line-number order. */
  readonly lines: readonly GpioLineWiring[];
  /**
   * The VM's `pins` option: the factory for a line the board wires, by its
   * name. Pass it as `new VirtVm({ ..., pins: boardPins.wire })`.
   */
  readonly wire: (wiring: GpioLineWiring) => DigitalPinFactory | undefined;

  private readonly entries = new Map<string, Entry>();
  private readonly listeners = new Set<PinListener>();

  /** Refuses two lines with one name or one line number ({@link BoardPinsError} `duplicate-line`). */
  constructor(options: SimulatedBoardPinsOptions) {
    const seenLines = new Set<number>();
    for (const w of options.lines) {
      if (this.entries.has(w.name)) throw new BoardPinsError('duplicate-line', w.name, 'the name is used twice');
      if (seenLines.has(w.line)) throw new BoardPinsError('duplicate-line', w.name, `line ${w.line} is used twice`);
      seenLines.add(w.line);
      const sim = new SimulatedPin({ drive: w.direction === 'input' ? restDrive(w.pull) : null });
      const entry: Entry = {
        wiring: w,
        sim,
        factory: (o: DigitalPinOptions): DigitalPin => this.open(entry, o),
        pressed: false,
        changes: 0,
        lastMode: 'closed',
        lastLevel: sim.level,
      };
      this.entries.set(w.name, entry);
    }
    this.lines = Object.freeze([...options.lines].sort((a, b) => a.line - b.line));
    this.wire = (wiring: GpioLineWiring): DigitalPinFactory | undefined => this.entries.get(wiring.name)?.factory;
  }

  /** The pin factory of the named line (what the GPIO device opens). */
  factory(name: string): DigitalPinFactory {
    return this.entry(name).factory;
  }

  /** The level on the named line's wire: 0 or 1. */
  level(name: string): 0 | 1 {
    return this.entry(name).sim.level;
  }

  /** True while the named output line's LED is lit (the guest drives it high as an output). */
  isLit(name: string): boolean {
    const e = this.entry(name);
    return e.wiring.direction === 'output' && e.sim.mode === DigitalMode.Output && e.sim.level === 1;
  }

  /** True while the named input line's button is held down. */
  isPressed(name: string): boolean {
    return this.entry(name).pressed;
  }

  /**
   * Presses the named input line's button (see the module note for the
   * level it drives). The guest's GPIO sees the edge at once through the
   * pin's `onReadable`. Refuses an output line (`not-input`).
   */
  press(name: string): void {
    const e = this.inputEntry(name);
    e.pressed = true;
    const pullUp = e.wiring.pull === 'up' || (e.wiring.pull === 'none' && e.sim.mode === DigitalMode.InputPullUp);
    e.sim.drive(pullUp ? 0 : 1);
    this.update(e, true);
  }

  /** Releases the named input line's button: the line returns to rest. */
  release(name: string): void {
    const e = this.inputEntry(name);
    e.pressed = false;
    e.sim.drive(restDrive(e.wiring.pull));
    this.update(e, true);
  }

  /** The named line's state. */
  state(name: string): PinState {
    return this.describe(this.entry(name));
  }

  /** Every line's state, in line-number order. */
  states(): PinState[] {
    return this.lines.map((w) => this.describe(this.entries.get(w.name)!));
  }

  /** Calls `listener` with a line's name whenever its level, mode or button changes. Returns the unsubscribe function. */
  subscribe(listener: PinListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private entry(name: string): Entry {
    const e = this.entries.get(name);
    if (e === undefined) {
      throw new BoardPinsError('unknown-line', name, `no such line (the board has ${[...this.entries.keys()].join(', ') || 'none'})`);
    }
    return e;
  }

  private inputEntry(name: string): Entry {
    const e = this.entry(name);
    if (e.wiring.direction !== 'input') throw new BoardPinsError('not-input', name, 'is an output: it has an LED, not a button');
    return e;
  }

  private describe(e: Entry): PinState {
    const w = e.wiring;
    return {
      name: w.name,
      line: w.line,
      pin: w.pin,
      direction: w.direction,
      pull: w.pull,
      mode: modeName(e.sim.mode),
      level: e.sim.level,
      lit: this.isLit(w.name),
      pressed: e.pressed,
      changes: e.changes,
    };
  }

  /** Wraps the simulated pin's handle so that the guest's writes and mode changes reach the listeners. */
  private open(e: Entry, o: DigitalPinOptions): DigitalPin {
    const inner = e.sim.open(o);
    this.update(e);
    return {
      read: () => inner.read(),
      write: (value: 0 | 1): void => {
        inner.write(value);
        this.update(e);
      },
      close: (): void => {
        inner.close();
        this.update(e);
      },
    };
  }

  /** Counts a change of level or mode and tells the listeners; a button change is told even when the level stays. */
  private update(e: Entry, buttonChanged = false): void {
    const mode = modeName(e.sim.mode);
    const level = e.sim.level;
    if (mode !== e.lastMode || level !== e.lastLevel) {
      e.lastMode = mode;
      e.lastLevel = level;
      e.changes++;
    } else if (!buttonChanged) return; // a guest rewriting the same level is not news
    for (const l of this.listeners) {
      try {
        l(e.wiring.name);
      } catch {
        // A viewer's bug must not reach the guest's pin write.
      }
    }
  }
}
