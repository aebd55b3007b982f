/**
 * The emulated board session behind `npm run board:sim`, test:board and
 * bench:board: a Pico in rp2040js running xsvisor's firmware, its guest
 * console UART on a host serial port, its GPIO lines on simulated board
 * pins (what the live board view and tests drive), and the firmware's
 * USB stdio read as the monitor's messages.
 *
 * Owns the wiring between the board file and the RP2040, and how a run
 * ends: the monitor's last line, a refusal to start, or the time limit.
 */

import type { Board } from '../../src/board/index.js';
import { DigitalEdge, DigitalMode, type DigitalPin } from '../../src/ports/digital.js';
import type { SerialPort, SerialPortFactory } from '../../src/ports/serial.js';
import { SimulatedBoardPins } from '../view/index.js';
import { PicoSim, type PicoSimStats } from './rp2040.js';

/** How a session's run ended. */
export type PicoOutcome =
  | { readonly kind: 'exit'; readonly status: number; readonly line: string }
  | { readonly kind: 'stopped'; readonly line: string }
  | { readonly kind: 'refused'; readonly line: string }
  | { readonly kind: 'limit' }
  | { readonly kind: 'quit' };

/** Options of {@link PicoSession}. */
export interface PicoSessionOptions {
  /** The board file the firmware was built with (its UART and GPIO lines). */
  readonly board: Board;
  /** The firmware. */
  readonly uf2: Uint8Array;
  /** The RP2040 boot ROM. */
  readonly bootrom: Uint32Array;
  /** The firmware's `stdio_usb_out_chars` address (build-info.json), to read its stdio. */
  readonly stdioUsbOut?: number;
  /** The host end of the guest's console UART (stdio, pty, TCP); omitted: its output is only kept. */
  readonly serial?: SerialPortFactory;
  /** Receives each console byte the board transmits (the view's mirror, a test's transcript). */
  onConsoleByte?(byte: number): void;
  /** Receives each line of the firmware's USB stdio (`trace()`: the monitor's messages, XS's aborts). */
  onUsbLine?(line: string): void;
}

/** Lines of USB stdio kept for {@link PicoSession.usbLines}. */
const MAX_USB_LINES = 1000;

/** A Pico running xsvisor, wired to the host. */
export class PicoSession {
  readonly pico: PicoSim;
  /** The board's GPIO lines by name: the LED the firmware drives, the button a test or the view presses. */
  readonly pins: SimulatedBoardPins;
  /** The firmware's USB stdio, a line each (the last {@link MAX_USB_LINES}). */
  readonly usbLines: string[] = [];
  private readonly board: Board;
  private readonly port: SerialPort | null;
  private readonly opened: DigitalPin[] = [];
  private readonly unsubscribe: (() => void)[] = [];
  private partial = '';
  private exitLine: string | null = null;
  private outcome: PicoOutcome | null = null;

  /** Loads the firmware; nothing runs until {@link run}. Refuses a bad UF2 (Uf2Error). */
  constructor(private readonly options: PicoSessionOptions) {
    this.board = options.board;
    const uart = this.board.uart0.kind === 'board' ? this.board.uart0.uart : 0;
    if (uart !== 0 && uart !== 1) throw new RangeError(`board ${this.board.name}: UART${uart} is not an RP2040 UART`);
    this.pico = new PicoSim({
      uf2: options.uf2,
      bootrom: options.bootrom,
      stdioUsbOut: options.stdioUsbOut,
      onStdio: (text) => this.usbText(text),
      onUartByte: (n, byte) => {
        if (n !== uart) return;
        options.onConsoleByte?.(byte);
        this.port?.write(byte);
      },
    });
    this.port = options.serial === undefined ? null : options.serial({
      onReadable: () => {
        const bytes: number[] = [];
        for (let b = this.port?.read(); b !== undefined; b = this.port?.read()) bytes.push(b);
        this.pico.sendToUart(uart as 0 | 1, bytes);
      },
    });
    this.pins = new SimulatedBoardPins({ lines: this.board.gpioLines });
    for (const line of this.board.gpioLines) {
      if (line.direction === 'output') {
        // The firmware drives the pin; the simulated line follows it (the view lights its LED).
        const sim = this.pins.factory(line.name)({ mode: DigitalMode.Output });
        this.opened.push(sim);
        this.unsubscribe.push(this.pico.onOutput(line.pin, (level) => sim.write(level ?? 0)));
      } else {
        // A button on the line drives the RP2040's input: released, the board's pull resistor; pressed, the other level.
        const pull = line.pull === 'up' ? DigitalMode.InputPullUp : DigitalMode.Input;
        const sim: DigitalPin = this.pins.factory(line.name)({
          mode: pull,
          edge: DigitalEdge.Rising | DigitalEdge.Falling,
          onReadable: () => this.pico.driveInput(line.pin, sim.read()),
        });
        this.opened.push(sim);
        this.pico.driveInput(line.pin, sim.read());
      }
    }
  }

  /** The level the firmware drives on the named line's pin (null while it is not an output). */
  outputLevel(name: string): 0 | 1 | null {
    return this.pico.outputLevel(this.line(name).pin);
  }

  /** Presses (true) or releases (false) the button on the named input line. */
  press(name: string, down = true): void {
    if (down) this.pins.press(name);
    else this.pins.release(name);
  }

  /** The simulator's counters. */
  get stats(): PicoSimStats {
    return this.pico.stats;
  }

  /**
   * Runs until the monitor's last line (the guest ended), its refusal to
   * start, {@link quit}, or `maxSimNs` of simulated time (`limit`).
   */
  async run(maxSimNs = Infinity): Promise<PicoOutcome> {
    await this.pico.runUntil(() => this.outcome !== null, maxSimNs);
    return this.outcome ?? { kind: 'limit' };
  }

  /** Runs until `until()` holds (checked between slices) or `maxSimNs` more simulated time passes; resolves whether it held. */
  runUntil(until: () => boolean, maxSimNs: number): Promise<boolean> {
    return this.pico.runUntil(() => until() || this.outcome !== null, this.pico.simNs + maxSimNs).then(() => until());
  }

  /** Ends a {@link run} in progress with `quit` (Ctrl-A x). */
  quit(): void {
    this.outcome ??= { kind: 'quit' };
    this.pico.stop();
  }

  /** Closes the host serial port and the simulated pins. */
  close(): void {
    this.pico.stop();
    for (const u of this.unsubscribe) u();
    for (const p of this.opened) p.close();
    this.port?.close();
  }

  private line(name: string): Board['gpioLines'][number] {
    const l = this.board.gpioLines.find((g) => g.name === name);
    if (l === undefined) throw new RangeError(`board ${this.board.name} has no GPIO line called "${name}"`);
    return l;
  }

  private usbText(text: string): void {
    this.partial += text;
    for (let nl = this.partial.indexOf('\n'); nl >= 0; nl = this.partial.indexOf('\n')) {
      const line = this.partial.slice(0, nl).replace(/\r$/, '');
      this.partial = this.partial.slice(nl + 1);
      if (this.usbLines.length === MAX_USB_LINES) this.usbLines.shift();
      this.usbLines.push(line);
      this.options.onUsbLine?.(line);
      this.noteMonitorLine(line);
    }
    if (this.partial.length > 4096) this.partial = this.partial.slice(-4096);
  }

  /** The app's last messages say how the run ended (src/moddable/app.ts, describeExit and the count that follows). */
  private noteMonitorLine(line: string): void {
    if (/^xsvisor: (guest exited|guest stopped|monitor error|stopped after|run ended|all VMs ended)/.test(line)) this.exitLine = line;
    else if (line.startsWith('xsvisor: cannot start: ')) this.outcome ??= { kind: 'refused', line };
    else if (/^xsvisor: \d+ instructions in /.test(line) && this.exitLine !== null) {
      // One guest: its exit; a configuration: the run's status (docs/monitor.md, "Exit status").
      const m = /^xsvisor: (?:guest exited with|all VMs ended,) status (\d+)/.exec(this.exitLine);
      this.outcome ??= m !== null ? { kind: 'exit', status: Number(m[1]), line: this.exitLine } : { kind: 'stopped', line: this.exitLine };
    }
  }
}
