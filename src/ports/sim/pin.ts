/** An in-memory digital pin (src/ports/digital.ts) that tests and host simulations drive by hand. */

import { DigitalEdge, DigitalMode, type DigitalPin, type DigitalPinFactory, type DigitalPinOptions } from '../digital.js';
import { PortError } from './errors.js';

/** What a {@link SimulatedPin} counted. */
export interface SimulatedPinStats {
  /** Times the pin was opened. */
  opens: number;
  /** Writes in output mode. */
  writes: number;
  /** Edges reported through `onReadable`. */
  edges: number;
}

/**
 * A pin and the wire it sits on, in memory. `open` is a
 * {@link DigitalPinFactory} (one open at a time); `drive` plays the
 * external circuit. The wire's level is the pin's own output when it is an
 * output, else the external driver's, else 1 with the pull-up, else 0.
 */
export class SimulatedPin {
  /** Opens the pin. Refuses a second open while one is open ({@link PortError} `in-use`). */
  readonly open: DigitalPinFactory;
  readonly stats: SimulatedPinStats = { opens: 0, writes: 0, edges: 0 };

  private external: 0 | 1 | null;
  private openMode: DigitalMode | null = null;
  private driven: 0 | 1 = 0;
  private options: DigitalPinOptions | null = null;
  private handle: DigitalPin | null = null;

  /** Takes the external driver's initial level (`null`, the default, for none). */
  constructor(options: { drive?: 0 | 1 | null } = {}) {
    this.external = options.drive ?? null;
    this.open = (o: DigitalPinOptions): DigitalPin => this.openPin(o);
  }

  /** The mode the pin is open in, or null when closed. */
  get mode(): DigitalMode | null {
    return this.openMode;
  }

  /** The level on the wire (see the class note). */
  get level(): 0 | 1 {
    if (this.openMode === DigitalMode.Output) return this.driven;
    if (this.external !== null) return this.external;
    return this.openMode === DigitalMode.InputPullUp ? 1 : 0;
  }

  /**
   * Sets the external driver: 0, 1, or null to let the wire float. When the
   * pin is an input and the wire changes along a reported edge, calls its
   * `onReadable`. An output pin wins over the external driver.
   */
  drive(level: 0 | 1 | null): void {
    const before = this.level;
    this.external = level;
    const after = this.level;
    const o = this.options;
    if (before === after || o === null || this.openMode === DigitalMode.Output) return;
    const edge = after === 1 ? DigitalEdge.Rising : DigitalEdge.Falling;
    if (((o.edge ?? 0) & edge) !== 0 && o.onReadable !== undefined) {
      this.stats.edges++;
      o.onReadable();
    }
  }

  private openPin(o: DigitalPinOptions): DigitalPin {
    if (this.handle !== null) throw new PortError('pin', 'in-use', 'the pin is already open');
    if (o.mode !== DigitalMode.Input && o.mode !== DigitalMode.InputPullUp && o.mode !== DigitalMode.Output) {
      throw new PortError('pin', 'bad-value', `mode ${String(o.mode)} is not supported`);
    }
    const handle: DigitalPin = {
      read: (): 0 | 1 => this.level,
      write: (value: 0 | 1): void => {
        if (this.handle !== handle) throw new PortError('pin', 'closed', 'write after close');
        if (this.openMode !== DigitalMode.Output) return;
        this.driven = value ? 1 : 0;
        this.stats.writes++;
      },
      close: (): void => {
        if (this.handle !== handle) return;
        this.handle = null;
        this.options = null;
        this.openMode = null;
      },
    };
    this.handle = handle;
    this.options = o;
    this.openMode = o.mode;
    this.stats.opens++;
    return handle;
  }
}
