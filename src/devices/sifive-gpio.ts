/**
 * The SiFive GPIO controller, `sifive,gpio0`: 32 lines, registers and
 * behaviour of the FE310-G002 manual, chapter 17, as QEMU's
 * hw/gpio/sifive_gpio.c reads it; xsvisor's addition to the virt map.
 *
 * Owns the registers, the pending bits, line n's level on `irq(n)`, and each
 * wired line's digital pin (option `pins`), reopened in the new mode when the
 * guest changes direction or pull-up. Unwired lines do not exist to the
 * guest (their bits read 0 and ignore writes). A pin that fails is let go for
 * good (`pinErrors`, `lastPinError`); one that cannot be opened makes the
 * register write fault (DeviceError). Register map and choices:
 * docs/design.md#sifive-gpio.
 */

import { type DeviceState, DeviceStateError, stateU32 } from '../state/index.js';
import { EmuDeviceType, WORD_ACCESS_RULES, type AccessRules, type AccessValue, type AccessWidth, type BaseDeviceOps, type IrqLine } from '../device/index.js';
import { DigitalEdge, DigitalMode, type DigitalPin, type DigitalPinFactory } from '../ports/index.js';
import { MmioDevice } from './mmio.js';
import { closePort, asError, openPort } from './port.js';
import { laneMerge, laneOnly, laneRead, num } from './regs.js';

/** Register offsets (FE310-G002 manual, table "GPIO Peripheral Register Offsets"). */
export const GpioReg = Object.freeze({
  InputVal: 0x00,
  InputEn: 0x04,
  OutputEn: 0x08,
  OutputVal: 0x0c,
  Pue: 0x10,
  Ds: 0x14,
  RiseIe: 0x18,
  RiseIp: 0x1c,
  FallIe: 0x20,
  FallIp: 0x24,
  HighIe: 0x28,
  HighIp: 0x2c,
  LowIe: 0x30,
  LowIp: 0x34,
  IofEn: 0x38,
  IofSel: 0x3c,
  OutXor: 0x40,
} as const);

/** Number of GPIO lines. */
export const GPIO_LINES = 32;
/** Bytes in the controller's window. */
export const GPIO_SIZE = 0x1000;

const NO_MODE = -1;
const BOTH_EDGES = DigitalEdge.Rising | DigitalEdge.Falling;

/** The fields of a GPIO snapshot: the registers, the latched input_val and the interrupt outputs (see saveState). */
const GPIO_STATE_FIELDS = Object.freeze([
  'inputEn', 'outputEn', 'port', 'pue', 'ds', 'riseIe', 'riseIp', 'fallIe', 'fallIp', 'highIe', 'highIp',
  'lowIe', 'lowIp', 'iofEn', 'iofSel', 'outXor', 'value', 'irqOut',
] as const);

/** Options of a {@link SifiveGpio}. */
export interface SifiveGpioOptions {
  /** Device name (default `gpio0`). */
  name?: string;
  /** Base address of the window. */
  base: number;
  /** A sparse map from line number (0..31) to the factory of the pin wired to it. */
  pins?: { readonly [line: number]: DigitalPinFactory | undefined };
  /**
   * The interrupt lines: an array indexed by GPIO line, or a function called
   * once per line at construction (on virt: `(n) => plic.line(64 + n)`).
   * A missing entry leaves that line's interrupt unwired.
   */
  irq?: ((line: number) => IrqLine) | readonly (IrqLine | undefined)[];
}

/** The SiFive GPIO controller. */
export class SifiveGpio extends MmioDevice implements BaseDeviceOps {
  readonly accessRules: AccessRules = WORD_ACCESS_RULES;
  /** Bit n set when line n is wired to a pin. */
  readonly wired: number;

  private readonly factories: (DigitalPinFactory | null)[] = [];
  private readonly pins: (DigitalPin | null)[] = [];
  private readonly modes = new Int8Array(GPIO_LINES).fill(NO_MODE);
  private readonly irqs: (IrqLine | null)[] = [];
  private readonly readable: (() => void)[] = [];
  private inputEn = 0;
  private outputEn = 0;
  private port = 0;
  private pue = 0;
  private ds = 0;
  private riseIe = 0;
  private riseIp = 0;
  private fallIe = 0;
  private fallIp = 0;
  private highIe = 0;
  private highIp = 0;
  private lowIe = 0;
  private lowIp = 0;
  private iofEn = 0;
  private iofSel = 0;
  private outXor = 0;
  /** input_val as last evaluated. */
  private value = 0;
  /** Levels of wired input pins, from the ports. */
  private external = 0;
  /** Levels last written to output pins (bit valid where the pin is an output). */
  private driven = 0;
  /** Interrupt outputs as last driven. */
  private irqOut = 0;
  private closed = false;
  /** Bit n set when line n's pin failed and was let go. */
  private failed = 0;
  /** Pins let go because they threw (see the module note). */
  pinErrors = 0;
  /** The last error a pin threw, or null. */
  lastPinError: Error | null = null;

  /**
   * Refuses a bad base (AddressError) and a pin map key that is not a line 0..31 (RangeError). Opens every wired pin as an input;
   * a pin that cannot be opened refuses the device (DeviceError) with every pin opened before it closed.
   */
  constructor(options: SifiveGpioOptions) {
    super({ name: options.name, defaultName: 'gpio0', base: options.base, size: GPIO_SIZE, kind: EmuDeviceType.Gpio });
    const pins = options.pins ?? {};
    let wired = 0;
    for (const key of Object.keys(pins)) {
      const line = Number(key);
      if (!Number.isInteger(line) || line < 0 || line >= GPIO_LINES) throw new RangeError(`GPIO line ${key} is not in 0..${GPIO_LINES - 1}`);
      if (pins[line] !== undefined) wired |= 1 << line;
    }
    this.wired = wired >>> 0;
    for (let n = 0; n < GPIO_LINES; n++) {
      this.factories.push(pins[n] ?? null);
      this.pins.push(null);
      const irq = options.irq;
      this.irqs.push((irq === undefined ? undefined : typeof irq === 'function' ? irq(n) : irq[n]) ?? null);
      this.readable.push(() => this.pinChanged(n));
    }
    try {
      for (let n = 0; n < GPIO_LINES; n++) if (this.factories[n] !== null) this.configure(n);
    } catch (e) {
      // A pin that cannot be opened refuses the device: release the pins already opened.
      this.close();
      throw e;
    }
    this.evaluate();
  }


  /** Closes every open pin; the device then behaves as if nothing were wired to a port. Closing twice is harmless. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (let n = 0; n < GPIO_LINES; n++) {
      const p = this.pins[n];
      this.pins[n] = null;
      this.modes[n] = NO_MODE;
      if (p !== null) this.closeQuietly(p);
    }
  }

  /** Closes a pin; what its close() throws is counted, not thrown. */
  private closeQuietly(p: DigitalPin): void {
    const err = closePort(p);
    if (err === null) return;
    this.pinErrors++;
    this.lastPinError = err;
  }

  /** Lets line n's pin go after it threw `e` (see the module note). */
  private pinFailed(n: number, e: unknown): void {
    this.pinErrors++;
    this.lastPinError = asError(e);
    this.failed = (this.failed | (1 << n)) >>> 0;
    const p = this.pins[n];
    this.pins[n] = null;
    if (p !== null) this.closeQuietly(p);
  }

  /**
   * A system reset: every register to 0 (the FE310 manual's reset values;
   * QEMU's sifive_gpio does the same), so every wired line becomes an
   * input again without pull-up: its pin is reopened in that mode and stays
   * wired. Interrupt outputs drop. Pending bits then latch from the inputs
   * as they always do (low_ip for lines reading 0, since input_en is 0).
   */
  reset(): void {
    this.inputEn = 0;
    this.outputEn = 0;
    this.port = 0;
    this.pue = 0;
    this.ds = 0;
    this.riseIe = this.riseIp = 0;
    this.fallIe = this.fallIp = 0;
    this.highIe = this.highIp = 0;
    this.lowIe = this.lowIp = 0;
    this.iofEn = 0;
    this.iofSel = 0;
    this.outXor = 0;
    this.value = 0;
    this.reconfigure();
    this.evaluate();
  }

  /** Snapshot (src/state/state.ts): every register, input_val as last latched, and the interrupt outputs. Pin levels belong to the pins. */
  saveState(): DeviceState {
    const out: { [field: string]: number } = {};
    for (const f of GPIO_STATE_FIELDS) out[f] = this[f];
    return out;
  }

  /**
   * Takes a record from {@link saveState}; refuses a bad one (a field
   * missing, or bits for lines not wired here) with a DeviceStateError
   * before changing anything. Wired pins are reopened in the restored
   * modes and outputs driven; interrupt outputs are driven to the saved
   * levels. Inputs read the pins as they are now: a level that changed
   * while the VM was saved latches its edge at the next evaluation.
   */
  restoreState(s: DeviceState): void {
    const vals = GPIO_STATE_FIELDS.map((f) => {
      const v = stateU32(s, this.name, f);
      if ((v & ~this.wired) !== 0) throw new DeviceStateError(this.name, f, `has bits for lines not wired here (wired: 0x${this.wired.toString(16)})`);
      return v;
    });
    GPIO_STATE_FIELDS.forEach((f, i) => {
      this[f] = vals[i];
    });
    this.reconfigure();
    for (let n = 0; n < GPIO_LINES; n++) this.irqs[n]?.set((this.irqOut & (1 << n)) !== 0);
  }

  handleRead(offset: number, width: AccessWidth): AccessValue {
    return laneRead(this.register(offset & ~3) & this.wired, offset, width);
  }

  handleWrite(offset: number, width: AccessWidth, val: AccessValue): void {
    const reg = offset & ~3;
    const v = num(val);
    const cur = this.register(reg);
    // A plain register takes the written lanes; a pending register clears the bits written as 1.
    const merged = (laneMerge(cur, offset, width, v) & this.wired) >>> 0;
    const cleared = (cur & ~laneOnly(offset, width, v)) >>> 0;
    switch (reg) {
      case GpioReg.InputEn: this.inputEn = merged; break;
      case GpioReg.OutputEn: this.outputEn = merged; this.reconfigure(); break;
      case GpioReg.OutputVal: this.port = merged; this.drive(); break;
      case GpioReg.Pue: this.pue = merged; this.reconfigure(); break;
      case GpioReg.Ds: this.ds = merged; break;
      case GpioReg.RiseIe: this.riseIe = merged; break;
      case GpioReg.RiseIp: this.riseIp = cleared; break;
      case GpioReg.FallIe: this.fallIe = merged; break;
      case GpioReg.FallIp: this.fallIp = cleared; break;
      case GpioReg.HighIe: this.highIe = merged; break;
      case GpioReg.HighIp: this.highIp = cleared; break;
      case GpioReg.LowIe: this.lowIe = merged; break;
      case GpioReg.LowIp: this.lowIp = cleared; break;
      case GpioReg.IofEn: this.iofEn = merged; break;
      case GpioReg.IofSel: this.iofSel = merged; break;
      case GpioReg.OutXor: this.outXor = merged; this.drive(); break;
      default: return; // input_val is read-only; other offsets hold nothing
    }
    this.evaluate();
  }

  private register(reg: number): number {
    switch (reg) {
      case GpioReg.InputVal: return this.value;
      case GpioReg.InputEn: return this.inputEn;
      case GpioReg.OutputEn: return this.outputEn;
      case GpioReg.OutputVal: return this.port;
      case GpioReg.Pue: return this.pue;
      case GpioReg.Ds: return this.ds;
      case GpioReg.RiseIe: return this.riseIe;
      case GpioReg.RiseIp: return this.riseIp;
      case GpioReg.FallIe: return this.fallIe;
      case GpioReg.FallIp: return this.fallIp;
      case GpioReg.HighIe: return this.highIe;
      case GpioReg.HighIp: return this.highIp;
      case GpioReg.LowIe: return this.lowIe;
      case GpioReg.LowIp: return this.lowIp;
      case GpioReg.IofEn: return this.iofEn;
      case GpioReg.IofSel: return this.iofSel;
      case GpioReg.OutXor: return this.outXor;
      default: return 0;
    }
  }

  /** Called from a pin's onReadable: caches its level and re-evaluates. */
  private pinChanged(n: number): void {
    const p = this.pins[n];
    if (p === null || this.modes[n] === DigitalMode.Output) return;
    const bit = 1 << n;
    let level: number;
    try {
      level = p.read();
    } catch (e) {
      this.pinFailed(n, e);
      return;
    }
    if (level) this.external |= bit;
    else this.external &= ~bit;
    this.evaluate();
  }

  /** Reopens the wired lines whose mode changed. */
  private reconfigure(): void {
    let bits = this.wired;
    while (bits !== 0) {
      const n = 31 - Math.clz32(bits & -bits);
      bits &= bits - 1;
      this.configure(n);
    }
    this.drive();
  }

  /** Puts wired line n in the mode its registers ask for. */
  private configure(n: number): void {
    const bit = 1 << n;
    if (this.closed || (this.failed & bit) !== 0) return;
    const mode = (this.outputEn & bit) !== 0 ? DigitalMode.Output : (this.pue & bit) !== 0 ? DigitalMode.InputPullUp : DigitalMode.Input;
    if (this.modes[n] === mode) return;
    const old = this.pins[n];
    this.pins[n] = null;
    this.modes[n] = NO_MODE;
    if (old !== null) this.closeQuietly(old);
    const factory = this.factories[n]!;
    const pinOptions = mode === DigitalMode.Output ? { mode } : { mode, edge: BOTH_EDGES, onReadable: this.readable[n] };
    const pin = openPort(factory, pinOptions, { device: this.name, address: this.range.start, failure: `GPIO line ${n} could not be opened in mode ${mode}` });
    this.pins[n] = pin;
    this.modes[n] = mode;
    try {
      if (mode === DigitalMode.Output) {
        const level = ((this.port ^ this.outXor) & bit) !== 0 ? 1 : 0;
        pin.write(level);
        this.driven = level ? this.driven | bit : this.driven & ~bit;
      } else {
        this.external = pin.read() ? this.external | bit : this.external & ~bit;
      }
    } catch (e) {
      this.pinFailed(n, e);
    }
  }

  /** Writes output pins whose level changed. */
  private drive(): void {
    const want = this.port ^ this.outXor;
    let bits = (want ^ this.driven) & this.outputEn & this.wired;
    while (bits !== 0) {
      const n = 31 - Math.clz32(bits & -bits);
      bits &= bits - 1;
      const p = this.pins[n];
      if (p === null || this.modes[n] !== DigitalMode.Output) continue;
      const bit = 1 << n;
      const level = (want & bit) !== 0 ? 1 : 0;
      try {
        p.write(level);
      } catch (e) {
        this.pinFailed(n, e);
        continue;
      }
      this.driven = level ? this.driven | bit : this.driven & ~bit;
    }
  }

  /** Recomputes input_val, latches pending bits and drives the interrupt lines that changed. */
  private evaluate(): void {
    const m = this.wired;
    const pin = (this.outputEn & (this.port ^ this.outXor)) | (~this.outputEn & this.external);
    const ival = (this.inputEn & pin & m) >>> 0;
    const prev = this.value;
    this.riseIp = (this.riseIp | (ival & ~prev)) >>> 0;
    this.fallIp = (this.fallIp | (~ival & prev & m)) >>> 0;
    this.highIp = (this.highIp | ival) >>> 0;
    this.lowIp = (this.lowIp | (~ival & m)) >>> 0;
    this.value = ival;
    const out = ((this.riseIp & this.riseIe) | (this.fallIp & this.fallIe) | (this.highIp & this.highIe) | (this.lowIp & this.lowIe)) & m;
    let changed = (out ^ this.irqOut) >>> 0;
    this.irqOut = out >>> 0;
    while (changed !== 0) {
      const n = 31 - Math.clz32(changed & -changed);
      changed &= changed - 1;
      const l = this.irqs[n];
      if (l !== null) l.set((out & (1 << n)) !== 0);
    }
  }
}
