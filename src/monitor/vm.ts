/**
 * A VM of xsvisor's `virt` machine: one hart, RAM at 0x8000_0000, and the
 * devices of QEMU's `virt` (CLINT, PLIC, UART0, test finisher, virtio-mmio
 * slots) plus the SiFive GPIO block and, for guests that have a `tohost`
 * symbol, an HTIF overlay.
 *
 * Owns the assembly (address space, devices, interrupt wiring, image and
 * device tree in RAM), the boot state and `run(budget)`, which executes the
 * hart in slices and turns what happens into a {@link VmExit}. Boot is as
 * QEMU's `-M virt -bios none -kernel IMAGE`: M-mode, a0 = hart id,
 * a1 = the device tree's address (the tree at the top of RAM, QEMU's
 * placement), every other register zero, pc = the image's entry point.
 *
 * No host services: time comes from the clock port, bytes from the serial
 * port factory, pins from digital pin factories. Yielding to the event
 * loop is the driver's job (driver.ts): `run` never waits.
 */

import { guestPhysAddr, type GuestPhysAddr } from '../addr/index.js';
import { GuestAddressSpace } from '../addrspace/index.js';
import { validateBoard, type Board, type GpioLineWiring } from '../board/index.js';
import { Csr, ExitReason, Hart, Mip } from '../cpu/index.js';
import type { InterruptTarget } from '../device/index.js';
import {
  Clint,
  Htif,
  HtifPlacementError,
  Ns16550a,
  Plic,
  SifiveGpio,
  TestFinisher,
  VIRT_IRQ,
  VIRT_MAP,
  virtioMmioSlots,
  type ExitReport,
  type VirtioMmioSlot,
} from '../devices/index.js';
import { buildVirtDeviceTree, fdtPlacement, FdtError } from '../fdt/index.js';
import { ImageError, loadImage, type LoadedImage } from '../loader/index.js';
import type { Clock, DigitalPinFactory, SerialPortFactory } from '../ports/index.js';
import { VmConfigError } from './errors.js';
import type { VmExit } from './exit.js';

/** RAM when the caller says nothing: 128 MiB, as QEMU's `virt`. */
export const DEFAULT_RAM_SIZE = 128 * 1024 * 1024;

/**
 * Instructions per hart slice inside `run`. Between slices the CLINT
 * compares mtime with mtimecmp, so this bounds timer latency (about 0.1 ms
 * on V8, a few ms on XS) without costing much.
 */
export const HART_SLICE = 10_000;

const TWO32 = 2 ** 32;

/** Options of a {@link VirtVm}. */
export interface VirtVmOptions {
  /** The guest image: ELF32 RISC-V, or a raw binary loaded at 0x8000_0000. Kept for resets. */
  readonly image: Uint8Array;
  /** Name of the image in messages (usually its file name). Default `image`. */
  readonly imageName?: string;
  /** Guest RAM in bytes: a positive multiple of 4 KiB within the board's ramBudget. Default 128 MiB. */
  readonly ramSize?: number;
  /** The board (validated). Default: {@link defaultVirtBoard}. */
  readonly board?: Board;
  /** Time for the CLINT (microseconds). */
  readonly clock: Clock;
  /** Opens UART0's serial port. Omitted: the guest's output is discarded and it receives nothing. */
  readonly serial?: SerialPortFactory;
  /** How UART0 takes bytes from its port (see Ns16550a): 'pull' (default) or 'drain'. */
  readonly uartReceive?: 'pull' | 'drain';
  /** Opens the pin of a GPIO line the board wires. Omitted: GPIO lines are not connected to pins. */
  readonly pins?: (line: GpioLineWiring) => DigitalPinFactory | undefined;
  /** Receives bytes of the HTIF console (device 1, command 1). Omitted: dropped. */
  readonly onConsoleOutput?: (byte: number) => void;
  /** /chosen/bootargs in the device tree. */
  readonly bootargs?: string;
  /** mhartid and the a0 the guest boots with. Default 0. */
  readonly hartId?: number;
}

/**
 * The board used when none is given: every device of the virt machine,
 * UART0 on the host's terminal, no GPIO lines wired, RAM up to 2 GiB.
 */
export function defaultVirtBoard(): Board {
  return validateBoard(
    {
      name: 'virt',
      description: 'built-in: the whole virt machine, nothing wired',
      platform: 'host',
      ramBudget: 2 * 1024 * 1024 * 1024,
      devices: ['clint', 'plic', 'uart0', 'gpio', 'test-finisher', 'virtio-mmio', 'htif'],
      uart0: { serial: 'stdio' },
      gpio: { lines: [] },
    },
    '(built-in virt board)',
  );
}

/** One VM of the virt machine. */
export class VirtVm {
  /** The guest physical address space. */
  readonly space: GuestAddressSpace;
  readonly hart: Hart;
  readonly clock: Clock;
  readonly board: Board;
  readonly clint: Clint;
  readonly plic: Plic;
  readonly uart: Ns16550a;
  readonly finisher: TestFinisher;
  /** Null when the board has no GPIO. */
  readonly gpio: SifiveGpio | null;
  readonly virtio: readonly VirtioMmioSlot[];
  /** Null unless the board allows HTIF and the image has a `tohost` symbol. */
  readonly htif: Htif | null;
  /** What the loader placed. */
  readonly image: LoadedImage;
  /** RAM base and size. */
  readonly ramBase: number;
  readonly ramSize: number;
  /** Where the device tree lies in guest RAM (a1 at boot), and its size. */
  readonly fdtAddress: number;
  readonly fdtSize: number;
  /** Times the guest asked for a reset (test finisher 0x7777) and got one. */
  resets = 0;

  private readonly imageBytes: Uint8Array;
  private readonly imageName: string;
  private readonly ram: Uint8Array;
  private readonly fdt: Uint8Array;
  private readonly hartId: number;
  private stepsBefore = 0; // steps of hart runs, for the driver's instruction limit
  private retiredBefore = 0; // instret of hart lives ended by a reset
  private request: ExitReport | null = null;
  private requestSource: 'finisher' | 'htif' = 'finisher';
  private stopReason: string | null = null;
  private finalExit: VmExit | null = null;
  private idle = false;
  private wake: (() => void) | null = null;
  private closed = false;

  /**
   * Builds the VM, loads the image and the device tree into RAM and sets
   * the boot state. Refuses: a missing image or clock and a bad hart id or
   * RAM size, or RAM beyond the board's budget ({@link VmConfigError});
   * a bad image, a `tohost` symbol HTIF cannot use ({@link ImageError});
   * an image that overlaps where the device tree goes ({@link VmConfigError}).
   * Nothing is left open when it throws.
   */
  constructor(options: VirtVmOptions) {
    if (!(options.image instanceof Uint8Array)) throw new VmConfigError('bad-option', 'image', 'must be a Uint8Array of the image file');
    if (options.clock === undefined || typeof options.clock.now !== 'function') {
      throw new VmConfigError('bad-option', 'clock', 'must be a Clock (an object with now())');
    }
    const board = options.board ?? defaultVirtBoard();
    const ramSize = options.ramSize ?? DEFAULT_RAM_SIZE;
    if (!Number.isSafeInteger(ramSize) || ramSize <= 0 || ramSize % 4096 !== 0) {
      throw new VmConfigError('bad-ram-size', 'ramSize', `${ramSize} is not a positive multiple of 4 KiB`);
    }
    if (ramSize > board.ramBudget) {
      throw new VmConfigError('ram-exceeds-budget', 'ramSize',
        `${ramSize} bytes of RAM do not fit board '${board.name}', whose ramBudget is ${board.ramBudget} bytes`);
    }
    const hartId = options.hartId ?? 0;
    if (!Number.isInteger(hartId) || hartId < 0 || hartId >= TWO32) throw new VmConfigError('bad-option', 'hartId', `${hartId} is not an integer in [0, 2^32)`);

    this.board = board;
    this.clock = options.clock;
    this.hartId = hartId;
    this.imageBytes = options.image;
    this.imageName = options.imageName ?? 'image';
    this.ramBase = VIRT_MAP.dram.base;
    this.ramSize = ramSize;

    // Everything that depends on the image comes first, so a refusal opens no port.
    this.space = new GuestAddressSpace();
    this.space.addRam({ name: 'ram', base: guestPhysAddr(this.ramBase), size: ramSize });
    this.ram = this.space.ramBytes(this.ramBase as GuestPhysAddr, ramSize)!;
    this.image = loadImage({ image: this.imageBytes, ram: { base: this.ramBase, bytes: this.ram }, name: this.imageName });

    try {
      this.fdt = buildVirtDeviceTree({
        ramSize,
        ramBase: this.ramBase,
        gpio: board.has('gpio'),
        virtioSlots: board.has('virtio-mmio') ? undefined : 0,
        bootargs: options.bootargs,
      });
      this.fdtAddress = fdtPlacement(this.ramBase, ramSize, this.fdt.length);
    } catch (e) {
      if (e instanceof FdtError && e.reason === 'no-room') throw new VmConfigError('bad-ram-size', 'ramSize', e.message);
      throw e;
    }
    this.fdtSize = this.fdt.length;
    for (const s of this.image.segments) {
      if (s.paddr < this.fdtAddress + this.fdtSize && this.fdtAddress < s.paddr + s.memsz) {
        throw new VmConfigError('image-overlaps-device-tree', 'image',
          `${this.imageName}: segment [0x${s.paddr.toString(16)}, 0x${(s.paddr + s.memsz).toString(16)}) overlaps the device tree ` +
          `at [0x${this.fdtAddress.toString(16)}, 0x${(this.fdtAddress + this.fdtSize).toString(16)}); give the guest more RAM`);
      }
    }
    this.ram.set(this.fdt, this.fdtAddress - this.ramBase);

    const htifPlace = board.has('htif') && this.image.tohost !== null ? this.htifPlacement(this.image) : null;

    this.hart = new Hart({ bus: this.space, hartId, readTime: () => this.readMtime() });
    // Devices drive the hart's mip through this, so a rising level can wake a sleeping driver.
    const hart = this.hart;
    const target: InterruptTarget = {
      setInterruptPending: (cause: number, level: boolean): void => {
        hart.setInterruptPending(cause, level);
        if (level && this.idle && this.wake !== null) this.wake();
      },
    };
    const onExit = (source: 'finisher' | 'htif') => (report: ExitReport): void => {
      // Only the first request counts; it takes effect after the storing instruction.
      if (this.request !== null) return;
      this.request = report;
      this.requestSource = source;
      hart.requestStop();
    };

    this.clint = new Clint({ clock: this.clock, target });
    this.plic = new Plic({ target });
    this.finisher = new TestFinisher({ onExit: onExit('finisher') });
    const opened: { close(): void }[] = [];
    try {
      this.uart = new Ns16550a({ serial: options.serial, irq: this.plic.line(VIRT_IRQ.uart0), receive: options.uartReceive });
      opened.push(this.uart);
      this.gpio = board.has('gpio') ? this.makeGpio(board, options.pins) : null;
      if (this.gpio !== null) opened.push(this.gpio);
      this.virtio = Object.freeze(board.has('virtio-mmio') ? virtioMmioSlots() : []);
      this.htif = htifPlace === null ? null : new Htif({
        tohost: this.image.tohost!,
        fromhost: this.image.fromhost ?? undefined,
        backing: this.space.ramBytes(htifPlace.base as GuestPhysAddr, htifPlace.size)!,
        onExit: onExit('htif'),
        onConsoleOutput: options.onConsoleOutput,
      });

      for (const d of [this.clint, this.plic, this.uart, this.finisher, ...this.virtio]) this.space.addDevice(d);
      if (this.gpio !== null) this.space.addDevice(this.gpio);
      if (this.htif !== null) this.space.addDevice(this.htif, { overlayOf: 'ram' });
    } catch (e) {
      for (const d of opened) d.close();
      throw e;
    }
    this.boot();
  }

  /** Instructions retired since the VM was built (resets included), as the hart counts them. */
  get instret(): number {
    return this.retiredBefore + this.hart.instret;
  }

  /** Instructions executed since the VM was built, trapping ones included: what an instruction limit counts. */
  get steps(): number {
    return this.stepsBefore;
  }

  /** The exit that ended the VM, or null while it can run. */
  get exit(): VmExit | null {
    return this.finalExit;
  }

  /** True while the hart waits in WFI for an interrupt. */
  get isIdle(): boolean {
    return this.idle;
  }

  /**
   * Runs the guest for up to `budget` instructions (a non-negative
   * integer) and returns why it stopped: `budget`, `idle` (WFI with nothing
   * to wake it; see {@link IdleExit}), or a final exit (`exit`, `fatal`,
   * `stopped`), which every later call returns again. Never throws: a
   * failure inside becomes a `fatal` exit.
   */
  run(budget: number): VmExit {
    if (this.finalExit !== null) return this.finalExit;
    try {
      return this.runSlices(budget);
    } catch (e) {
      return this.finish({ kind: 'fatal', reason: `monitor error: ${e instanceof Error ? e.message : String(e)}`, error: e });
    }
  }

  /**
   * Asks the VM to stop for `reason` (e.g. `timeout`): the current or next
   * `run` returns a `stopped` exit, and a driver sleeping on the VM wakes.
   * Has no effect once the VM has ended.
   */
  stop(reason: string): void {
    if (this.finalExit !== null || this.stopReason !== null) return;
    this.stopReason = reason;
    this.hart.requestStop();
    if (this.wake !== null) this.wake();
  }

  /**
   * Sets the function called when something may end an idle wait (an
   * interrupt level rises, or `stop` is called); null to clear it. A
   * driver uses it to sleep on WFI instead of spinning. It is called from
   * device callbacks, so it must only schedule work.
   */
  setWakeHandler(handler: (() => void) | null): void {
    this.wake = handler;
  }

  /** Closes the UART's serial port and the GPIO pins. The VM ends with `stopped` if it had not ended. Closing twice is harmless. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.finalExit === null) this.finalExit = { kind: 'stopped', reason: 'closed' };
    this.wake = null;
    this.uart.close();
    this.gpio?.close();
  }

  // ------------------------------------------------------------- internals

  private runSlices(budget: number): VmExit {
    if (!Number.isInteger(budget) || budget < 0) throw new VmConfigError('bad-option', 'budget', `${budget} is not a non-negative integer`);
    const hart = this.hart;
    let left = budget;
    for (;;) {
      if (this.stopReason !== null) return this.finish({ kind: 'stopped', reason: this.stopReason });
      this.clint.update();
      if (this.idle) {
        // WFI ends when an interrupt is pending and enabled in mie (privileged spec 3.3.3).
        if (!hart.wakeupPending) {
          // Only a timer interrupt the guest enabled can end the wait by itself; with MTIE clear
          // the CLINT's deadline (possibly already past) wakes nothing.
          const timerEnabled = (hart.readCsr(Csr.mie) & Mip.MTIP) !== 0;
          return { kind: 'idle', deadline: timerEnabled ? this.clint.nextDeadline() : Infinity };
        }
        this.idle = false;
      }
      if (left === 0) return { kind: 'budget' };
      const slice = left < HART_SLICE ? left : HART_SLICE;
      const why = hart.run(slice);
      const steps = hart.lastRunSteps;
      this.stepsBefore += steps;
      left -= steps;
      if (this.request !== null) {
        const report = this.request;
        this.request = null;
        if (report.kind === 'reset') {
          this.resetGuest();
          continue;
        }
        return this.finish({ kind: 'exit', status: report.status, source: this.requestSource });
      }
      if (why === ExitReason.Wfi) this.idle = true;
      else if (why === ExitReason.Fatal) {
        const e = hart.fatalError;
        return this.finish({ kind: 'fatal', reason: `hart stopped: ${e instanceof Error ? e.message : String(e)}`, error: e });
      }
      // ExitReason.Stop without a request is a stop(): the loop's first check returns it.
    }
  }

  private finish(exit: VmExit): VmExit {
    this.finalExit = exit;
    this.idle = false;
    return exit;
  }

  /** a0 = hart id, a1 = device tree, pc = entry, M-mode: QEMU's state after its reset vector. */
  private boot(): void {
    this.hart.reset(this.image.entry);
    this.hart.regs[10] = this.hartId | 0;
    this.hart.regs[11] = this.fdtAddress | 0;
    this.idle = false;
  }

  /**
   * The guest asked for a reset (finisher 0x7777): as QEMU's system reset,
   * the devices return to their reset state (ports and pins stay open),
   * the image and device tree are written again (their RAM may have been
   * overwritten) and the hart boots afresh. Other RAM keeps its contents.
   */
  private resetGuest(): void {
    this.retiredBefore += this.hart.instret;
    // Devices that drive PLIC lines first, so the PLIC's reset sees their lowered levels.
    this.uart.reset();
    this.gpio?.reset();
    this.htif?.reset();
    this.plic.reset();
    this.clint.reset();
    loadImage({ image: this.imageBytes, ram: { base: this.ramBase, bytes: this.ram }, name: this.imageName });
    this.ram.set(this.fdt, this.fdtAddress - this.ramBase);
    this.resets++;
    this.boot();
  }

  /** mtime as a number, from the CLINT's halves read high-low-high so a carry between them is not torn. */
  private readMtime(): number {
    const c = this.clint;
    let hi = c.mtimeHigh();
    let lo = c.mtimeLow();
    const hi2 = c.mtimeHigh();
    if (hi2 !== hi) {
      hi = hi2;
      lo = c.mtimeLow();
    }
    return hi * TWO32 + lo;
  }

  private htifPlacement(image: LoadedImage): { base: number; size: number } {
    const tohost = image.tohost!;
    const fromhost = image.fromhost ?? undefined;
    let span: { base: number; size: number };
    try {
      span = Htif.span({ tohost, fromhost });
    } catch (e) {
      if (!(e instanceof HtifPlacementError)) throw e;
      throw new ImageError({ reason: 'bad-symtab', image: this.imageName, place: 'symbol tohost', detail: e.message });
    }
    if (span.base < this.ramBase || span.base + span.size > this.ramBase + this.ramSize) {
      throw new ImageError({ reason: 'bad-symtab', image: this.imageName, place: 'symbol tohost',
        detail: `tohost/fromhost [0x${span.base.toString(16)}, 0x${(span.base + span.size).toString(16)}) is not inside RAM` });
    }
    if (span.base < this.fdtAddress + this.fdtSize && this.fdtAddress < span.base + span.size) {
      throw new ImageError({ reason: 'bad-symtab', image: this.imageName, place: 'symbol tohost', detail: 'tohost lies inside the device tree' });
    }
    return span;
  }

  private makeGpio(board: Board, pins: VirtVmOptions['pins']): SifiveGpio {
    const map: { [line: number]: DigitalPinFactory | undefined } = {};
    if (pins !== undefined) {
      for (const wiring of board.gpioLines) {
        const f = pins(wiring);
        if (f !== undefined) map[wiring.line] = f;
      }
    }
    const plic = this.plic;
    return new SifiveGpio({ pins: map, irq: (n: number) => plic.line(VIRT_IRQ.gpioBase + n) });
  }
}
