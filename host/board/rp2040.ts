/**
 * A Raspberry Pi Pico in rp2040js: boots a UF2 from the boot ROM at the
 * RP2040's 125 MHz, in slices on Node's event loop, and gives the host its
 * UARTs (paced at the line's baud in simulated time), its GPIO pins and
 * the firmware's stdio (captured where it enters USB CDC, which has no host
 * in the emulator).
 *
 * Owns the simulated board and its clocks: simulated time, CPU cycles and
 * wall time. Knows nothing of xsvisor; host/board/session.ts wires it up.
 */

import { ConsoleLogger, GPIOPinState, LogLevel, Simulator } from 'rp2040js';

/** The RP2040's system clock as the Pico SDK sets it (clk_sys 125 MHz): 8 ns a cycle. */
export const PICO_CLOCK_HZ = 125_000_000;
const NS_PER_CYCLE = 1e9 / PICO_CLOCK_HZ;

/** Simulated ns per byte on a UART line at `baud` with 8N1 framing (10 bits). */
export function byteTimeNs(baud: number): number {
  return Math.ceil(10e9 / baud);
}

/** A UF2 file that is not one, or has nothing for the RP2040's flash. */
export class Uf2Error extends Error {
  constructor(readonly offset: number, detail: string) {
    super(`UF2 at byte ${offset}: ${detail}`);
    this.name = 'Uf2Error';
  }
}

const UF2_MAGIC0 = 0x0a324655;
const UF2_MAGIC1 = 0x9e5d5157;
const UF2_MAGIC_END = 0x0ab16f30;
const FLASH_BASE = 0x1000_0000;
const FLASH_SIZE = 16 * 1024 * 1024;

/**
 * Takes a UF2 image (512-byte blocks, github.com/microsoft/uf2); calls
 * `put(offset, bytes)` for each block that targets the flash. Refuses a
 * file that is not a whole number of blocks, a block with bad magic, and
 * a file with no flash block.
 */
export function forEachUf2Block(uf2: Uint8Array, put: (flashOffset: number, bytes: Uint8Array) => void): number {
  if (uf2.length === 0 || uf2.length % 512 !== 0) throw new Uf2Error(uf2.length, 'not a whole number of 512-byte blocks');
  const view = new DataView(uf2.buffer, uf2.byteOffset, uf2.byteLength);
  let blocks = 0;
  for (let off = 0; off < uf2.length; off += 512) {
    if (view.getUint32(off, true) !== UF2_MAGIC0 || view.getUint32(off + 4, true) !== UF2_MAGIC1 || view.getUint32(off + 508, true) !== UF2_MAGIC_END) {
      throw new Uf2Error(off, 'bad magic');
    }
    const addr = view.getUint32(off + 12, true);
    const size = view.getUint32(off + 16, true);
    if (size > 476) throw new Uf2Error(off, `payload of ${size} bytes`);
    // picotool adds an absolute block for the RP2350-E10 erratum; blocks outside the flash are not the RP2040's.
    if (addr < FLASH_BASE || addr + size > FLASH_BASE + FLASH_SIZE) continue;
    put(addr - FLASH_BASE, uf2.subarray(off + 32, off + 32 + size));
    blocks++;
  }
  if (blocks === 0) throw new Uf2Error(0, 'no block for the RP2040 flash');
  return blocks;
}

/** Options of {@link PicoSim}. */
export interface PicoSimOptions {
  /** The firmware. */
  readonly uf2: Uint8Array;
  /** The RP2040 boot ROM (the vendor folder's `bootromB1`). */
  readonly bootrom: Uint32Array;
  /** Address of the firmware's `stdio_usb_out_chars` (from its ELF), to capture its stdio; omitted: not captured. */
  readonly stdioUsbOut?: number;
  /** Receives the firmware's stdio text (`trace()` in a Moddable app). */
  onStdio?(text: string): void;
  /** Receives each byte a UART transmits. */
  onUartByte?(uart: 0 | 1, byte: number): void;
  /** Instructions per slice before yielding to the event loop (default 100,000). */
  readonly sliceInstructions?: number;
  /** Bytes held for each UART's receive side (default 64 KiB); beyond, the newest are dropped and counted. */
  readonly rxCapacity?: number;
}

/** Counters of a {@link PicoSim}. */
export interface PicoSimStats {
  /** Simulated time, ns. */
  readonly simNs: number;
  /** CPU cycles executed (time asleep in WFE/WFI excluded). */
  readonly cycles: number;
  /** Wall time spent running slices, ms. */
  readonly wallMs: number;
  /** Bytes dropped from full receive queues. */
  readonly rxDropped: number;
}

interface RxQueue {
  readonly bytes: number[];
  nextAt: number;
  baud: number;
}

/** A Pico running a UF2 in rp2040js. */
export class PicoSim {
  private readonly sim = new Simulator();
  private readonly stdioUsbOut: number;
  private readonly onStdio: ((text: string) => void) | undefined;
  private readonly slice: number;
  private readonly rxCapacity: number;
  private readonly rx: [RxQueue, RxQueue] = [{ bytes: [], nextAt: 0, baud: 115200 }, { bytes: [], nextAt: 0, baud: 115200 }];
  private cycleCount = 0;
  private wall = 0;
  private dropped = 0;
  private running: Promise<void> | null = null;
  private stopRequested = false;

  /** Loads the boot ROM and the UF2 into flash; the core starts at the flash's second-stage boot loader. Refuses a bad UF2 ({@link Uf2Error}). */
  constructor(options: PicoSimOptions) {
    const mcu = this.sim.rp2040;
    mcu.logger = new ConsoleLogger(LogLevel.Error);
    mcu.loadBootrom(options.bootrom);
    forEachUf2Block(options.uf2, (offset, bytes) => mcu.flash.set(bytes, offset));
    this.stdioUsbOut = options.stdioUsbOut === undefined ? -1 : options.stdioUsbOut & ~1;
    this.onStdio = options.onStdio;
    this.slice = options.sliceInstructions ?? 100_000;
    this.rxCapacity = options.rxCapacity ?? 64 * 1024;
    for (const n of [0, 1] as const) {
      mcu.uart[n].onByte = (byte: number): void => options.onUartByte?.(n, byte);
      mcu.uart[n].onBaudRateChange = (baud: number): void => {
        if (baud > 0) this.rx[n].baud = baud;
      };
    }
    mcu.core.PC = FLASH_BASE;
  }

  /** The simulated RP2040 (rp2040js), for what this class does not wrap. */
  get mcu(): Simulator['rp2040'] {
    return this.sim.rp2040;
  }

  /** Simulated time in ns. */
  get simNs(): number {
    return this.sim.clock.nanos;
  }

  /** The counters. */
  get stats(): PicoSimStats {
    return { simNs: this.sim.clock.nanos, cycles: this.cycleCount, wallMs: this.wall, rxDropped: this.dropped };
  }

  /** Queues bytes for UART `n`'s receive line; they arrive one per byte time at the UART's baud, in simulated time. */
  sendToUart(n: 0 | 1, bytes: Iterable<number>): void {
    const q = this.rx[n];
    for (const b of bytes) {
      if (q.bytes.length >= this.rxCapacity) this.dropped++;
      else q.bytes.push(b & 0xff);
    }
  }

  /** The level the firmware drives on GPIO `pin` (1 high, 0 low), or null while the pin is an input. */
  outputLevel(pin: number): 0 | 1 | null {
    const s = this.sim.rp2040.gpio[pin]!.value;
    return s === GPIOPinState.High ? 1 : s === GPIOPinState.Low ? 0 : null;
  }

  /** Calls `listener(level)` when the firmware's output on `pin` changes (null: the pin became an input). Returns the unsubscribe function. */
  onOutput(pin: number, listener: (level: 0 | 1 | null) => void): () => void {
    const gpio = this.sim.rp2040.gpio[pin]!;
    const l = (state: GPIOPinState): void => listener(state === GPIOPinState.High ? 1 : state === GPIOPinState.Low ? 0 : null);
    const remove = gpio.addListener(l);
    return () => {
      remove();
    };
  }

  /** Drives GPIO `pin` from outside (a button, a wire) to `level`. */
  driveInput(pin: number, level: 0 | 1): void {
    this.sim.rp2040.gpio[pin]!.setInputValue(level === 1);
  }

  /** Runs one slice of instructions (or sleep up to the next timer alarm). */
  private step(): void {
    const started = Date.now();
    const mcu = this.sim.rp2040;
    const clock = this.sim.clock;
    const core = mcu.core;
    const usbOut = this.stdioUsbOut;
    for (let i = 0; i < this.slice; i++) {
      this.feedUarts();
      if (core.waiting) {
        const next = clock.nanosToNextAlarm;
        const rxAt = Math.min(this.rx[0].bytes.length > 0 ? this.rx[0].nextAt : Infinity, this.rx[1].bytes.length > 0 ? this.rx[1].nextAt : Infinity);
        const until = Math.max(1, Math.min(next, rxAt - clock.nanos));
        clock.tick(Number.isFinite(until) ? until : next);
        continue;
      }
      if (core.PC === usbOut) this.captureStdio();
      const cycles = core.executeInstruction();
      this.cycleCount += cycles;
      clock.tick(cycles * NS_PER_CYCLE);
    }
    this.wall += Date.now() - started;
  }

  private feedUarts(): void {
    const now = this.sim.clock.nanos;
    for (const n of [0, 1] as const) {
      const q = this.rx[n];
      if (q.bytes.length === 0) continue;
      if (now < q.nextAt) continue;
      this.sim.rp2040.uart[n].feedByte(q.bytes.shift()!);
      q.nextAt = now + byteTimeNs(q.baud);
    }
  }

  private captureStdio(): void {
    const mcu = this.sim.rp2040;
    const r0 = mcu.core.registers[0]!;
    const len = mcu.core.registers[1]!;
    let s = '';
    for (let k = 0; k < len && k < 4096; k++) s += String.fromCharCode(mcu.readUint8(r0 + k));
    this.onStdio?.(s);
  }

  /**
   * Runs until `until()` is true (checked after every slice), the
   * simulated time reaches `maxSimNs`, or {@link stop}. Resolves true when
   * `until` held. Yields to the event loop between slices, so host IO runs.
   */
  runUntil(until: () => boolean, maxSimNs = Infinity): Promise<boolean> {
    if (this.running !== null) throw new Error('PicoSim: already running');
    this.stopRequested = false;
    const p = new Promise<boolean>((resolve) => {
      const turn = (): void => {
        if (until()) return resolve(true);
        if (this.stopRequested || this.sim.clock.nanos >= maxSimNs) return resolve(false);
        this.step();
        setImmediate(turn);
      };
      turn();
    });
    this.running = p.then(() => undefined);
    return p.finally(() => {
      this.running = null;
    });
  }

  /** Makes a {@link runUntil} in progress return (false) after its current slice. */
  stop(): void {
    this.stopRequested = true;
  }
}
