/**
 * The board's lines as the view sees them when the pins live in another
 * engine (`--view --engine xs`: the SimulatedBoardPins are in the XS
 * worker): states as the engine last reported them, changes told to the
 * view, presses handed back to the engine. A stand-in for the view only.
 */

import type { GpioLineWiring } from '../../src/board/board.js';
import { BoardPinsError } from './errors.js';
import type { BoardPinsView, PinListener, PinState } from './pins.js';

/** Options of {@link RemoteBoardPins}. */
export interface RemoteBoardPinsOptions {
  /** The board's GPIO lines, as the engine has them. */
  readonly lines: readonly GpioLineWiring[];
  /** Hands a press or release of an input line to the engine. */
  press(name: string, pressed: boolean): void;
}

/** Pins reported by another engine (see the module header). */
export class RemoteBoardPins implements BoardPinsView {
  readonly lines: readonly GpioLineWiring[];
  private readonly current = new Map<string, PinState>();
  private readonly listeners = new Set<PinListener>();
  private readonly o: RemoteBoardPinsOptions;

  /** Starts with every line closed and at rest, until the engine reports. */
  constructor(options: RemoteBoardPinsOptions) {
    this.o = options;
    this.lines = [...options.lines].sort((a, b) => a.line - b.line);
    for (const w of this.lines) {
      this.current.set(w.name, {
        name: w.name, line: w.line, pin: w.pin, direction: w.direction, pull: w.pull, mode: 'closed',
        level: w.pull === 'up' ? 1 : 0, lit: false, pressed: false, changes: 0,
      });
    }
  }

  /** Takes the engine's report of changed lines (unknown names are ignored) and tells the listeners. */
  update(states: readonly PinState[]): void {
    for (const s of states) {
      if (!this.current.has(s.name)) continue;
      this.current.set(s.name, s);
      for (const l of this.listeners) l(s.name);
    }
  }

  /** Every line's state, in line-number order. */
  states(): PinState[] {
    return this.lines.map((w) => this.current.get(w.name)!);
  }

  /** Calls `listener` with a line's name when the engine reports it changed. Returns the unsubscribe function. */
  subscribe(listener: PinListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Hands a press to the engine. Refuses an unknown line or an output with a BoardPinsError, as SimulatedBoardPins does. */
  press(name: string): void {
    this.input(name);
    this.o.press(name, true);
  }

  /** As {@link press}, for a release. */
  release(name: string): void {
    this.input(name);
    this.o.press(name, false);
  }

  private input(name: string): void {
    const s = this.current.get(name);
    if (s === undefined) throw new BoardPinsError('unknown-line', name, `no such line (the board has ${this.lines.map((l) => l.name).join(', ') || 'none'})`);
    if (s.direction !== 'input') throw new BoardPinsError('not-input', name, 'is an output: it has an LED, not a button');
  }
}
