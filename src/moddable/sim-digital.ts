/**
 * `embedded:io/digital` for Moddable's simulator (`mcconfig -p lin`, mcsim),
 * which has none: a pin kept in memory. An output's level changes are
 * traced (`xsvisor: pin 25 -> 1`, in xsbug's console); an input reads its
 * pull resistor's level (pull-up 1, else 0), so a button is never pressed.
 * The class has ECMA-419's Digital constructor, constants and methods.
 */

/** ECMA-419 Digital, simulated. */
export default class Digital {
  static readonly Input = 0;
  static readonly InputPullUp = 1;
  static readonly InputPullDown = 2;
  static readonly InputPullUpDown = 3;
  static readonly Output = 8;
  static readonly OutputOpenDrain = 9;
  static readonly Rising = 1;
  static readonly Falling = 2;

  #pin: number;
  #mode: number;
  #level: 0 | 1;

  /** Takes ECMA-419's options (`pin`, `mode`; `edge` and `onReadable` are accepted: a simulated input never changes). */
  constructor(options: { pin: number; mode: number; edge?: number; onReadable?: () => void }) {
    this.#pin = options.pin;
    this.#mode = options.mode;
    this.#level = options.mode === Digital.InputPullUp ? 1 : 0;
  }

  read(): 0 | 1 {
    return this.#level;
  }

  write(value: 0 | 1): void {
    if (this.#mode < Digital.Output) return;
    const level = value ? 1 : 0;
    if (level !== this.#level) trace(`xsvisor: pin ${this.#pin} -> ${level}\n`);
    this.#level = level;
  }

  close(): void {}
}
