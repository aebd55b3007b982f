/**
 * The ns16550a UART: the registers, FIFOs and interrupts of the TI/National
 * PC16550D datasheet (byte registers 0-7 at stride 1) on a serial port
 * (src/ports), with QEMU 7.2's reset values.
 *
 * Owns the registers, both 16-byte FIFOs, the interrupt line and loopback.
 * Receive is bounded whatever the port does (option `receive`: 'pull' or
 * 'drain'); a write to a full transmit FIFO is dropped and counted. Offsets
 * 8-0xFF fault, as in QEMU. A failing port is let go: the UART keeps the
 * error (`portError`) and runs on without it; the guest takes no fault.
 * Registers, interrupt priorities and choices: docs/design.md#uart-ns16550a.
 */

import { type DeviceState, DeviceStateError, stateBool, stateBytes, stateInt } from '../state/index.js';
import { EmuDeviceType, WORD_ACCESS_RULES, type AccessRules, type AccessValue, type AccessWidth, type BaseDeviceOps, type IrqLine } from '../device/index.js';
import type { SerialPort, SerialPortFactory } from '../ports/index.js';
import { MmioDevice } from './mmio.js';
import { asError, closePort } from './port.js';
import { noRegister, num } from './regs.js';

/** Register offsets. */
export const UartReg = Object.freeze({
  RBR: 0, THR: 0, DLL: 0,
  IER: 1, DLM: 1,
  IIR: 2, FCR: 2,
  LCR: 3, MCR: 4, LSR: 5, MSR: 6, SCR: 7,
} as const);

/** LSR bits. */
export const Lsr = Object.freeze({ DR: 0x01, OE: 0x02, PE: 0x04, FE: 0x08, BI: 0x10, THRE: 0x20, TEMT: 0x40, RXFE: 0x80 } as const);
/** IER bits. */
export const Ier = Object.freeze({ ERBFI: 0x01, ETBEI: 0x02, ELSI: 0x04, EDSSI: 0x08 } as const);
/** IIR interrupt identifications (bits 3:0) and the FIFO-enabled bits. */
export const Iir = Object.freeze({ None: 0x01, LineStatus: 0x06, RxData: 0x04, Timeout: 0x0c, ThrEmpty: 0x02, ModemStatus: 0x00, FifoEnabled: 0xc0 } as const);
/** FCR bits. */
export const Fcr = Object.freeze({ Enable: 0x01, RxReset: 0x02, TxReset: 0x04, DmaMode: 0x08, TriggerMask: 0xc0 } as const);
/** LCR bits. */
export const Lcr = Object.freeze({ DLAB: 0x80 } as const);
/** MCR bits. */
export const Mcr = Object.freeze({ DTR: 0x01, RTS: 0x02, OUT1: 0x04, OUT2: 0x08, LOOP: 0x10 } as const);
/** MSR bits. */
export const Msr = Object.freeze({ DCTS: 0x01, DDSR: 0x02, TERI: 0x04, DDCD: 0x08, CTS: 0x10, DSR: 0x20, RI: 0x40, DCD: 0x80 } as const);

/** Bytes in the UART's window (the device tree's; only offsets 0..7 decode). */
export const UART_SIZE = 0x100;
/** The default input clock in Hz: 3686400, QEMU virt's (and the device tree's `clock-frequency`). */
export const UART_DEFAULT_CLOCK_HZ = 3_686_400;

/** FIFO depth of the 16550 (both ways). */
export const UART_FIFO_DEPTH = 16;
const FIFO_MASK = UART_FIFO_DEPTH - 1;
const TRIGGER_LEVELS = Object.freeze([1, 4, 8, 14]);
const LINE_ERRORS = Lsr.OE | Lsr.PE | Lsr.FE | Lsr.BI;
const READY_LINES = Msr.DCD | Msr.DSR | Msr.CTS;

/** Options of an {@link Ns16550a}. */
export interface Ns16550aOptions {
  /** Device name (default `uart0`). */
  name?: string;
  /** Base address of the window. */
  base: number;
  /** Opens the serial port the UART talks to; omitted: output is discarded and nothing is received. */
  serial?: SerialPortFactory;
  /** The interrupt line (on virt: `plic.line(10)`). */
  irq?: IrqLine;
  /** How received bytes are taken from the port: 'pull' (default) or 'drain' (see the module note). */
  receive?: 'pull' | 'drain';
  /** Input clock in Hz, for {@link Ns16550a.baudRate} (default 3686400, as the device tree says). */
  clockFrequency?: number;
}

/** What the UART counted. */
export interface UartStats {
  /** Bytes received into the FIFO. */
  rxBytes: number;
  /** Bytes transmitted (to the port, to loopback, or to no port). */
  txBytes: number;
  /** Received bytes lost to overrun (LSR.OE). */
  overruns: number;
  /** THR writes lost because the transmit FIFO was full. */
  txDropped: number;
  /** Bytes the port delivered during loopback, discarded ('drain' mode). */
  rxDiscarded: number;
}

/** The ns16550a UART. */
export class Ns16550a extends MmioDevice implements BaseDeviceOps {
  readonly accessRules: AccessRules = WORD_ACCESS_RULES;
  readonly stats: UartStats = { rxBytes: 0, txBytes: 0, overruns: 0, txDropped: 0, rxDiscarded: 0 };

  private readonly irq: IrqLine | null;
  private readonly drainMode: boolean;
  private readonly clockHz: number;
  private port: SerialPort | null = null;
  private portErr: Error | null = null;
  private closed = false;
  private budget = 0; // bytes the port may take now
  private readableBeforeOpen = -1;

  private readonly rx = new Uint8Array(UART_FIFO_DEPTH);
  private rxHead = 0;
  private rxCount = 0;
  private rxIdle = true; // the port had nothing more to give at the last attempt
  private rbrLast = 0;
  private readonly tx = new Uint8Array(UART_FIFO_DEPTH);
  private txHead = 0;
  private txCount = 0;

  private ier = 0;
  private lcr = 0;
  private mcr: number = Mcr.OUT2;
  private scr = 0;
  private dll = 0x0c;
  private dlm = 0;
  private fifoEnabled = false;
  private trigger = 1;
  private lineErrors = 0; // LSR bits 4:1
  private msrLines: number = READY_LINES;
  private msrDelta = 0;
  private thrPending = false;
  private irqLevel = false;

  /** Refuses a bad base (AddressError), a bad `receive` or clock (RangeError); rethrows what the serial factory throws. */
  constructor(options: Ns16550aOptions) {
    super({ name: options.name, defaultName: 'uart0', base: options.base, size: UART_SIZE, kind: EmuDeviceType.Uart });
    const receive = options.receive ?? 'pull';
    if (receive !== 'pull' && receive !== 'drain') throw new RangeError(`receive mode ${String(receive)} is not 'pull' or 'drain'`);
    this.drainMode = receive === 'drain';
    this.clockHz = options.clockFrequency ?? UART_DEFAULT_CLOCK_HZ;
    if (!(this.clockHz > 0)) throw new RangeError(`UART clock ${this.clockHz} is not positive`);
    this.irq = options.irq ?? null;
    this.irq?.set(false);
    if (options.serial !== undefined) {
      const port = options.serial({
        onReadable: (count: number): void => this.onReadable(count),
        onWritable: (count: number): void => this.onWritable(count),
        onError: (error: Error): void => this.portFailed(error),
      });
      if (this.portErr !== null) this.portFailed(this.portErr, port); // it failed while opening
      else this.port = port;
      // Callbacks delivered while the factory ran found no port yet: act on them now.
      if (this.readableBeforeOpen >= 0) this.onReadable(this.readableBeforeOpen);
      this.transmit();
      this.updateIrq();
    }
  }


  /** Closes the serial port (what its close() throws is kept in {@link portError}). The UART then behaves as if none were attached. Closing twice is harmless. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const p = this.port;
    this.port = null;
    const err = p === null ? null : closePort(p);
    if (err !== null && this.portErr === null) this.portErr = err;
  }

  /**
   * The error that made the UART let its port go, or null: the port's
   * read() or write() threw, or it reported onError (ECMA-419). From then on
   * the UART runs as with no port (output discarded and counted in
   * txBytes, nothing received): the guest sees a quiet line, never a fault,
   * and nothing is thrown into the port's callbacks.
   */
  get portError(): Error | null {
    return this.portErr;
  }

  /** The port's next byte, or undefined when it has none or throws (then it is let go). */
  private readPort(p: SerialPort): number | undefined {
    try {
      return p.read();
    } catch (e) {
      this.portFailed(e);
      return undefined;
    }
  }

  /** Lets a failed port go (see {@link portError}); closing it may throw too, which changes nothing. */
  private portFailed(e: unknown, port: SerialPort | null = this.port): void {
    if (this.portErr === null) this.portErr = asError(e);
    if (port === this.port) this.port = null;
    if (port !== null) closePort(port); // what a broken port's close() throws changes nothing
  }

  /**
   * A system reset: every register to its reset value (see the module
   * note), both FIFOs emptied (bytes not yet handed to the port are lost,
   * as on the chip), line errors and modem deltas cleared. The serial port
   * stays open and its counters ({@link stats}) run on: the line outlives
   * the reset. Afterwards the UART takes a waiting byte from the port as it
   * would at power-on, and lowers its interrupt line (IER is 0).
   */
  reset(): void {
    this.clearRx();
    this.clearTx();
    this.rbrLast = 0;
    this.ier = 0;
    this.lcr = 0;
    this.mcr = Mcr.OUT2;
    this.scr = 0;
    this.dll = 0x0c;
    this.dlm = 0;
    this.fifoEnabled = false;
    this.trigger = 1;
    this.lineErrors = 0;
    this.msrLines = READY_LINES;
    this.msrDelta = 0;
    this.thrPending = false;
    this.rxIdle = true;
    this.pull();
    this.updateIrq();
  }

  /**
   * Snapshot (src/state/state.ts): every register, both FIFOs with their
   * positions, the interrupt state and the counters. Not the port or its
   * transmit budget: they belong to the line, which the restoring side opens.
   */
  saveState(): DeviceState {
    const st = this.stats;
    return {
      rx: this.rx.slice(), rxHead: this.rxHead, rxCount: this.rxCount, rxIdle: this.rxIdle, rbrLast: this.rbrLast,
      tx: this.tx.slice(), txHead: this.txHead, txCount: this.txCount,
      ier: this.ier, lcr: this.lcr, mcr: this.mcr, scr: this.scr, dll: this.dll, dlm: this.dlm,
      fifoEnabled: this.fifoEnabled, trigger: this.trigger, lineErrors: this.lineErrors, msrLines: this.msrLines, msrDelta: this.msrDelta,
      thrPending: this.thrPending, irqLevel: this.irqLevel,
      rxBytes: st.rxBytes, txBytes: st.txBytes, overruns: st.overruns, txDropped: st.txDropped, rxDiscarded: st.rxDiscarded,
    };
  }

  /**
   * Takes a record from {@link saveState}; refuses a bad one (a field
   * missing or out of range, a FIFO position past its depth) with a
   * DeviceStateError before changing anything. The interrupt line is
   * driven to the saved level. Bytes left in the transmit FIFO go to this
   * UART's port as it grants room, as they would have to the saved one.
   */
  restoreState(s: DeviceState): void {
    const n = this.name;
    const int = (f: string, max: number): number => stateInt(s, n, f, 0, max);
    const rx = stateBytes(s, n, 'rx', UART_FIFO_DEPTH);
    const tx = stateBytes(s, n, 'tx', UART_FIFO_DEPTH);
    const fifoEnabled = stateBool(s, n, 'fifoEnabled');
    const v = {
      rxHead: int('rxHead', FIFO_MASK), rxCount: int('rxCount', fifoEnabled ? UART_FIFO_DEPTH : 1), rbrLast: int('rbrLast', 0xff),
      txHead: int('txHead', FIFO_MASK), txCount: int('txCount', fifoEnabled ? UART_FIFO_DEPTH : 1),
      ier: int('ier', 0x0f), lcr: int('lcr', 0xff), mcr: int('mcr', 0x1f), scr: int('scr', 0xff), dll: int('dll', 0xff), dlm: int('dlm', 0xff),
      trigger: int('trigger', 14), lineErrors: int('lineErrors', LINE_ERRORS), msrLines: int('msrLines', 0xf0), msrDelta: int('msrDelta', 0x0f),
    };
    if (!TRIGGER_LEVELS.includes(v.trigger)) throw new DeviceStateError(n, 'trigger', `is ${v.trigger}, not 1, 4, 8 or 14`);
    if ((v.msrLines & 0x0f) !== 0) throw new DeviceStateError(n, 'msrLines', 'has bits outside 7:4');
    const counters = ['rxBytes', 'txBytes', 'overruns', 'txDropped', 'rxDiscarded'] as const;
    const counts = counters.map((f) => stateInt(s, n, f, 0, Number.MAX_SAFE_INTEGER));
    const rxIdle = stateBool(s, n, 'rxIdle');
    const thrPending = stateBool(s, n, 'thrPending');
    const irqLevel = stateBool(s, n, 'irqLevel');
    this.rx.set(rx);
    this.tx.set(tx);
    this.rxHead = v.rxHead;
    this.rxCount = v.rxCount;
    this.rbrLast = v.rbrLast;
    this.txHead = v.txHead;
    this.txCount = v.txCount;
    this.ier = v.ier;
    this.lcr = v.lcr;
    this.mcr = v.mcr;
    this.scr = v.scr;
    this.dll = v.dll;
    this.dlm = v.dlm;
    this.trigger = v.trigger;
    this.lineErrors = v.lineErrors;
    this.msrLines = v.msrLines;
    this.msrDelta = v.msrDelta;
    this.fifoEnabled = fifoEnabled;
    this.rxIdle = rxIdle;
    this.thrPending = thrPending;
    counters.forEach((f, i) => {
      this.stats[f] = counts[i];
    });
    this.irqLevel = irqLevel;
    if (this.irq !== null) this.irq.set(irqLevel);
  }

  /** Bytes waiting in the receive FIFO. */
  get rxFifoLength(): number {
    return this.rxCount;
  }

  /** Bytes waiting in the transmit FIFO. */
  get txFifoLength(): number {
    return this.txCount;
  }

  /**
   * Transmits `byte` as a THR write does, whatever LCR.DLAB says: for a
   * firmware console (the SBI's putchar) that shares the line with the
   * guest's driver. A full transmit FIFO drops it, as a THR write would.
   */
  consoleWrite(byte: number): void {
    this.writeThr(byte & 0xff);
  }

  /** Takes the next received byte as an RBR read does, whatever LCR.DLAB says; -1 when the receive FIFO is empty. */
  consoleRead(): number {
    return this.rxCount > 0 ? this.readRbr() : -1;
  }

  /** The programmed baud rate: clock / (16 * divisor); 0 while the divisor is 0. */
  get baudRate(): number {
    const divisor = (this.dlm << 8) | this.dll;
    return divisor === 0 ? 0 : this.clockHz / (16 * divisor);
  }

  /** True while the interrupt line is raised. */
  get interruptPending(): boolean {
    return this.irqLevel;
  }

  handleRead(offset: number, width: AccessWidth): AccessValue {
    switch (offset) {
      case 0: return (this.lcr & Lcr.DLAB) !== 0 ? this.dll : this.readRbr();
      case 1: return (this.lcr & Lcr.DLAB) !== 0 ? this.dlm : this.ier;
      case 2: return this.readIir();
      case 3: return this.lcr;
      case 4: return this.mcr;
      case 5: return this.readLsr();
      case 6: return this.readMsr();
      case 7: return this.scr;
      default: throw noRegister(this.name, this.range.start + offset, width, 'the UART decodes offsets 0..7 only');
    }
  }

  handleWrite(offset: number, width: AccessWidth, val: AccessValue): void {
    const v = num(val) & 0xff;
    switch (offset) {
      case 0:
        if ((this.lcr & Lcr.DLAB) !== 0) this.dll = v;
        else this.writeThr(v);
        return;
      case 1:
        if ((this.lcr & Lcr.DLAB) !== 0) this.dlm = v;
        else this.writeIer(v);
        return;
      case 2: this.writeFcr(v); return;
      case 3: this.lcr = v; return;
      case 4: this.writeMcr(v); return;
      case 5: return; // LSR: writing it is for factory test only; ignored, as QEMU
      case 6: return; // MSR: read-only
      case 7: this.scr = v; return;
      default: throw noRegister(this.name, this.range.start + offset, width, 'the UART decodes offsets 0..7 only');
    }
  }

  // ------------------------------------------------------------ registers

  private readRbr(): number {
    if (this.rxCount === 0) return this.fifoEnabled ? 0 : this.rbrLast;
    const b = this.rx[this.rxHead];
    this.rxHead = (this.rxHead + 1) & FIFO_MASK;
    this.rxCount--;
    this.rbrLast = b;
    this.pull();
    this.updateIrq();
    return b;
  }

  private readIir(): number {
    const id = this.currentInterrupt();
    if (id === Iir.ThrEmpty) {
      this.thrPending = false;
      this.updateIrq();
    }
    return id | (this.fifoEnabled ? Iir.FifoEnabled : 0);
  }

  private readLsr(): number {
    const v = (this.rxCount > 0 ? Lsr.DR : 0) | this.lineErrors | (this.txCount === 0 ? Lsr.THRE | Lsr.TEMT : 0);
    if (this.lineErrors !== 0) {
      this.lineErrors = 0;
      this.updateIrq();
    }
    return v;
  }

  private readMsr(): number {
    const v = this.msrLines | this.msrDelta;
    if (this.msrDelta !== 0) {
      this.msrDelta = 0;
      this.updateIrq();
    }
    return v;
  }

  private writeThr(b: number): void {
    this.thrPending = false;
    if (this.txCount < this.capacity()) {
      this.tx[(this.txHead + this.txCount) & FIFO_MASK] = b;
      this.txCount++;
    } else {
      this.stats.txDropped++;
    }
    this.transmit();
    this.updateIrq();
  }

  private writeIer(v: number): void {
    const was = this.ier;
    this.ier = v & 0x0f;
    // Enabling ETBEI with the transmitter empty raises the THRE interrupt at once.
    if ((was & Ier.ETBEI) === 0 && (this.ier & Ier.ETBEI) !== 0 && this.txCount === 0) this.thrPending = true;
    this.updateIrq();
  }

  private writeFcr(v: number): void {
    const enable = (v & Fcr.Enable) !== 0;
    if (enable !== this.fifoEnabled) {
      this.fifoEnabled = enable;
      this.clearRx();
      this.clearTx();
    }
    if (enable) {
      if ((v & Fcr.RxReset) !== 0) this.clearRx();
      if ((v & Fcr.TxReset) !== 0) this.clearTx();
      // Bit 3 (DMA mode) selects the RXRDY/TXRDY pin behaviour; there are no such pins here.
      this.trigger = TRIGGER_LEVELS[(v & Fcr.TriggerMask) >>> 6];
    }
    this.pull();
    this.updateIrq();
  }

  private writeMcr(v: number): void {
    const wasLoop = (this.mcr & Mcr.LOOP) !== 0;
    this.mcr = v & 0x1f;
    const loop = (this.mcr & Mcr.LOOP) !== 0;
    const old = this.msrLines;
    const lines = loop
      ? ((this.mcr & Mcr.DTR) !== 0 ? Msr.DSR : 0) | ((this.mcr & Mcr.RTS) !== 0 ? Msr.CTS : 0) |
        ((this.mcr & Mcr.OUT1) !== 0 ? Msr.RI : 0) | ((this.mcr & Mcr.OUT2) !== 0 ? Msr.DCD : 0)
      : READY_LINES;
    const changed = old ^ lines;
    if ((changed & Msr.CTS) !== 0) this.msrDelta |= Msr.DCTS;
    if ((changed & Msr.DSR) !== 0) this.msrDelta |= Msr.DDSR;
    if ((changed & Msr.DCD) !== 0) this.msrDelta |= Msr.DDCD;
    if ((old & Msr.RI) !== 0 && (lines & Msr.RI) === 0) this.msrDelta |= Msr.TERI;
    this.msrLines = lines;
    if (loop && !wasLoop) this.transmit(); // what waits for the port goes round the loop instead
    if (!loop && wasLoop) this.pull();
    this.updateIrq();
  }

  // ------------------------------------------------------------- data path

  private capacity(): number {
    return this.fifoEnabled ? UART_FIFO_DEPTH : 1;
  }

  private clearRx(): void {
    this.rxCount = 0;
    this.rxHead = 0;
  }

  private clearTx(): void {
    if (this.txCount > 0) this.thrPending = true; // the FIFO just became empty
    this.txCount = 0;
    this.txHead = 0;
  }

  /** One byte off the line into the receive FIFO, or an overrun. */
  private receive(b: number): void {
    if (this.rxCount < this.capacity()) {
      this.rx[(this.rxHead + this.rxCount) & FIFO_MASK] = b;
      this.rxCount++;
      this.stats.rxBytes++;
      return;
    }
    this.lineErrors |= Lsr.OE;
    this.stats.overruns++;
    if (!this.fifoEnabled) this.rx[this.rxHead] = b; // the 16450 RBR is overwritten
  }

  /** 'pull' mode: takes bytes from the port while the FIFO has room. */
  private pull(): void {
    const p = this.port;
    if (this.drainMode || p === null || (this.mcr & Mcr.LOOP) !== 0) return;
    const cap = this.capacity();
    while (this.rxCount < cap) {
      const b = this.readPort(p);
      if (b === undefined) {
        this.rxIdle = true;
        return;
      }
      this.receive(b & 0xff);
    }
    this.rxIdle = false; // full: whether more waits is unknown until the guest makes room
  }

  private onReadable(count: number): void {
    if (this.closed || this.portErr !== null) return;
    const p = this.port;
    if (p === null) {
      this.readableBeforeOpen = count;
      return;
    }
    this.readableBeforeOpen = -1;
    if (this.drainMode) {
      const loop = (this.mcr & Mcr.LOOP) !== 0;
      // At most `count` bytes: a port that keeps producing cannot hold the UART here.
      for (let i = 0; i < count; i++) {
        const b = this.readPort(p);
        if (b === undefined) break;
        if (loop) this.stats.rxDiscarded++;
        else this.receive(b & 0xff);
      }
      this.rxIdle = true;
    } else {
      this.pull();
    }
    this.updateIrq();
  }

  private onWritable(count: number): void {
    if (this.closed || this.portErr !== null) return;
    this.budget = count > 0 ? count : 0;
    if (this.port === null) return; // still inside the factory: the constructor transmits
    this.transmit();
    this.updateIrq();
  }

  /** Moves bytes out of the transmit FIFO: round the loop, to the port within its budget, or nowhere. */
  private transmit(): void {
    if (this.txCount === 0) return;
    const loop = (this.mcr & Mcr.LOOP) !== 0;
    const p = this.port;
    if (!loop && p !== null && this.closed === false) {
      while (this.txCount > 0 && this.budget > 0) {
        const b = this.tx[this.txHead];
        this.txHead = (this.txHead + 1) & FIFO_MASK;
        this.txCount--;
        this.budget--;
        this.stats.txBytes++;
        try {
          p.write(b);
        } catch (e) {
          // The rest of the FIFO goes nowhere, as with no port.
          this.portFailed(e);
          this.transmit();
          return;
        }
      }
      if (this.txCount === 0) this.thrPending = true;
      return;
    }
    while (this.txCount > 0) {
      const b = this.tx[this.txHead];
      this.txHead = (this.txHead + 1) & FIFO_MASK;
      this.txCount--;
      this.stats.txBytes++;
      if (loop) this.receive(b);
    }
    if (loop) this.rxIdle = true;
    this.thrPending = true;
  }

  // ------------------------------------------------------------ interrupts

  /** The IIR identification of the highest-priority pending interrupt (datasheet table IV). */
  private currentInterrupt(): number {
    const ier = this.ier;
    if ((ier & Ier.ELSI) !== 0 && (this.lineErrors & LINE_ERRORS) !== 0) return Iir.LineStatus;
    if ((ier & Ier.ERBFI) !== 0 && this.rxCount > 0) {
      if (!this.fifoEnabled || this.rxCount >= this.trigger) return Iir.RxData;
      if (this.rxIdle) return Iir.Timeout;
    }
    if ((ier & Ier.ETBEI) !== 0 && this.thrPending) return Iir.ThrEmpty;
    if ((ier & Ier.EDSSI) !== 0 && this.msrDelta !== 0) return Iir.ModemStatus;
    return Iir.None;
  }

  private updateIrq(): void {
    const level = this.currentInterrupt() !== Iir.None;
    if (level === this.irqLevel) return;
    this.irqLevel = level;
    if (this.irq !== null) this.irq.set(level);
  }
}
