/**
 * A digital pin the core reaches the outside through.
 *
 * Shaped after ECMA-419's Digital class (section 10, `embedded:io/digital`):
 * a pin is opened in one mode, reports input edges through `onReadable`
 * (which takes no argument: the callee calls `read()`), and is closed with
 * `close()`. ECMA-419 fixes the mode at construction, so a device that lets
 * the guest change a line's direction closes the pin and opens it again
 * through its {@link DigitalPinFactory}.
 */

/**
 * Pin modes. The numbers are Moddable's values of the ECMA-419 static
 * properties (`Digital.Input`, `Digital.InputPullUp`, `Digital.Output`);
 * a backend should still map them through its own class's constants.
 */
export const DigitalMode = Object.freeze({
  Input: 0,
  InputPullUp: 1,
  Output: 8,
} as const);

/** One of the values of {@link DigitalMode}. */
export type DigitalMode = (typeof DigitalMode)[keyof typeof DigitalMode];

/** Edges an input reports (ECMA-419 `Digital.Rising`, `Digital.Falling`; OR them for both). */
export const DigitalEdge = Object.freeze({
  Rising: 1,
  Falling: 2,
} as const);

/** Options a pin is opened with: the mode, and for inputs the edges to report. */
export interface DigitalPinOptions {
  readonly mode: DigitalMode;
  /** For inputs: a mask of {@link DigitalEdge} values; 0 or absent reports nothing. */
  readonly edge?: number;
  /** For inputs: called (from the event loop, never inside `read`/`write`) after a reported edge. */
  onReadable?(): void;
}

/** One open digital pin. */
export interface DigitalPin {
  /** The level on the pin: 0 or 1. */
  read(): 0 | 1;
  /** For outputs: drives the pin to `value` (0 or 1). */
  write(value: 0 | 1): void;
  /** Releases the pin. No callback is delivered after `close()` returns; closing twice is harmless. */
  close(): void;
}

/**
 * Opens the pin in the given mode. A backend binds the pin number; the
 * device chooses the mode. It may throw (e.g. a mode the pin lacks).
 */
export type DigitalPinFactory = (options: DigitalPinOptions) => DigitalPin;
