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
 * With `firmware: 'sbi'` the boot is as after OpenSBI instead: S-mode, the
 * same a0/a1, and the monitor's SBI (sbi.ts) answering the guest's ECALLs.
 *
 * No host services: time comes from the clock port, bytes from the serial
 * port factory, pins from digital pin factories. Yielding to the event
 * loop is the driver's job (driver.ts): `run` never waits.
 *
 * ROM in place (`rom`): guest memory is `[ramBase, ramBase + ramSize)` as
 * the device tree says, but parts of it may be the caller's read-only
 * bytes (on a board, the image's code in flash), used where they are and
 * never copied; RAM is allocated only for the rest. See
 * {@link VirtVmOptions.rom} for the rule.
 */

import { guestPhysAddr, type GuestPhysAddr } from '../addr/index.js';
import { GuestAddressSpace } from '../addrspace/index.js';
import { validateBoard, type Board, type GpioLineWiring } from '../board/index.js';
import { Csr, ExitReason, Hart, Mip, PrivilegeMode, type TrapRecord } from '../cpu/index.js';
import { InterruptCause, type BaseDeviceOps, type InterruptTarget, type IrqLine } from '../device/index.js';
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
import { buildVirtDeviceTree, fdtPlacement, fdtWithBootargs, FdtError, parseFdt } from '../fdt/index.js';
import { ImageError, loadImage, type LoadedImage, type RamTarget } from '../loader/index.js';
import type { Clock, DigitalPinFactory, SerialPortFactory } from '../ports/index.js';
import { VmConfigError } from './errors.js';
import type { GuestExit, VmExit } from './exit.js';
import { SbiFirmware, type SbiPlatform } from './sbi.js';
import { DeviceStateError, stateBool, stateInt, type DeviceState, type Snapshottable } from '../state/index.js';
import { InstructionClock } from './icount.js';
import { crc32, decodeVmSnapshot, encodeVmSnapshot, ramImages, SnapshotError, snapshotMismatch, type SnapshotMeta } from '../snapshot/index.js';
import type { VmObserver } from './trace.js';

/** RAM when the caller says nothing: 128 MiB, as QEMU's `virt`. */
export const DEFAULT_RAM_SIZE = 128 * 1024 * 1024;

/** Where OpenSBI's fw_jump puts its payload on virt, from the start of RAM: a raw S-mode image loads at 0x8040_0000 (QEMU's 32-bit default). */
export const SBI_PAYLOAD_OFFSET = 0x40_0000;

/**
 * Under the SBI, M-mode's trap vector: `wfi; j .-4` in a ROM at QEMU's
 * mask-ROM address, so that a trap reaching M (none should: everything an
 * S-mode guest may raise is delegated or goes to the SBI) stops there with
 * mcause, mepc and mtval intact, for the monitor's fault report.
 */
const SBI_MTRAP_BASE = 0x1000;
const SBI_MTRAP_CODE = new Uint8Array([0x73, 0x00, 0x50, 0x10, 0x6f, 0xf0, 0xdf, 0xff]);

/** Exceptions delegated to S under the SBI: 0-8 and the page faults 12, 13, 15 (ECALL from S, 9, stays with the SBI). */
const SBI_MEDELEG = 0x1ff | (1 << 12) | (1 << 13) | (1 << 15);

/** True when the image starts with the ELF magic (the loader's own test for `auto`). */
function isElf(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46;
}

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
  /** /chosen/bootargs in the device tree (QEMU's `-append`): in the generated tree, or set in {@link dtb}. */
  readonly bootargs?: string;
  /**
   * A device tree blob to give the guest instead of the generated one
   * (QEMU's `-dtb`), placed where the generated one would be. Checked
   * (it must parse); with {@link bootargs}, its /chosen/bootargs is set.
   */
  readonly dtb?: Uint8Array;
  /** Name of {@link dtb} in messages (usually its file name). Default `dtb`. */
  readonly dtbName?: string;
  /**
   * Data images copied into RAM at their addresses after the image, on
   * every boot and guest reset (QEMU's `-device loader,file=F,addr=A,
   * force-raw=on`). Each must lie in one RAM piece and overlap no other,
   * no file byte of the image and not the device tree.
   */
  readonly loads?: readonly DataImage[];
  /** mhartid and the a0 the guest boots with. Default 0. */
  readonly hartId?: number;
  /**
   * `none` (default): M-mode boot, as QEMU's `-bios none`. `sbi`: the
   * guest boots in S-mode as after OpenSBI, its ECALLs served by the
   * monitor's SBI (sbi.ts); a raw image then loads at 0x8040_0000.
   * See {@link VirtVm.firmware}.
   */
  readonly firmware?: 'none' | 'sbi';
  /**
   * Read-only regions of guest memory whose bytes are used in place (never
   * copied; a guest store there is an access fault): typically the image's
   * PT_LOAD segments without PF_W whose p_filesz = p_memsz, as views of
   * the image (src/moddable/image.ts picks them). Each must lie inside
   * guest memory and overlap no other; an image segment that touches one
   * must be exactly its bytes (the loader checks, for free when the ROM is
   * a view of the image). RAM is allocated only outside them. A ROM that
   * starts on a 4 KiB page boundary (as linkers place code) shares no page
   * with RAM below it, and its bytes then lie at the same page offset in
   * the image file (ELF requires p_offset = p_vaddr modulo the page),
   * which keeps them aligned for typed-array views. Default: none.
   */
  readonly rom?: readonly RomRegion[];
  /**
   * Traces and counts what the VM does (src/monitor/trace.ts): devices are
   * registered through its proxies, interrupt lines and the SBI wrapped, the
   * hart given a trap hook. Omitted (the default): none of that, so nothing
   * is paid for it.
   */
  readonly observe?: VmObserver;
  /** How the hart executes (HartOptions.tier, docs/jit.md): 'interp' (default) or 'jit'. */
  readonly tier?: 'interp' | 'jit';
}

/** A data image for {@link VirtVmOptions.loads}. */
export interface DataImage {
  /** Its name in messages (usually the file name). */
  readonly name: string;
  /** Guest physical address of its first byte. */
  readonly addr: number;
  readonly bytes: Uint8Array;
}

/** One read-only region of guest memory (see {@link VirtVmOptions.rom}). */
export interface RomRegion {
  /** Region name in the address space, e.g. `rom@80000000`. */
  readonly name: string;
  /** Guest physical address of its first byte. */
  readonly base: number;
  /** Its contents, used in place. */
  readonly bytes: Uint8Array;
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

/**
 * Checks the ROM regions (each inside guest memory, non-empty, overlapping
 * no other) and returns them sorted by address.
 */
function checkRom(rom: readonly RomRegion[], base: number, size: number): RomRegion[] {
  for (const r of rom) {
    if (r === null || typeof r !== 'object' || !(r.bytes instanceof Uint8Array) || typeof r.name !== 'string' || !Number.isSafeInteger(r.base)) {
      throw new VmConfigError('bad-option', 'rom', 'each ROM region must be { name: string, base: number, bytes: Uint8Array }');
    }
  }
  const sorted = [...rom].sort((a, b) => a.base - b.base);
  for (let i = 0; i < sorted.length; i++) {
    const r = sorted[i];
    const end = r.base + r.bytes.length;
    const span = `[0x${r.base.toString(16)}, 0x${end.toString(16)})`;
    if (r.bytes.length === 0) throw new VmConfigError('bad-option', 'rom', `${r.name} holds no bytes`);
    if (r.base < base || end > base + size) {
      throw new VmConfigError('bad-option', 'rom', `${r.name} ${span} is not inside guest memory [0x${base.toString(16)}, 0x${(base + size).toString(16)})`);
    }
    const prev = i > 0 ? sorted[i - 1] : null;
    if (prev !== null && prev.base + prev.bytes.length > r.base) throw new VmConfigError('bad-option', 'rom', `${r.name} ${span} overlaps ${prev.name}`);
  }
  return sorted;
}

/**
 * A device tree blob given instead of the generated one: checked (it must
 * parse), cut to its totalsize, and with `bootargs` set in /chosen as
 * QEMU's -append does. Refuses a bad blob with a VmConfigError naming it.
 */
function givenDeviceTree(dtb: Uint8Array, name: string, bootargs: string | undefined): Uint8Array {
  try {
    const parsed = parseFdt(dtb);
    return bootargs === undefined ? dtb.slice(0, parsed.totalSize) : fdtWithBootargs(dtb, bootargs);
  } catch (e) {
    if (!(e instanceof FdtError)) throw e;
    throw new VmConfigError('bad-device-tree', 'dtb', `${name}: not a usable device tree blob: ${e.message}`);
  }
}

/** How a snapshot numbers the source of a guest exit. */
const EXIT_SOURCES: readonly GuestExit['source'][] = Object.freeze(['finisher', 'htif', 'sbi']);

/** The VM run state of a snapshot, checked; refuses a bad record with a DeviceStateError. */
function readRunState(s: DeviceState, sbi: boolean): {
  steps: number; retiredBefore: number; resets: number; phase: number; idle: boolean; exit: GuestExit | null; sbiCalls: number; sbiUnsupported: number;
} {
  const big = (f: string): number => stateInt(s, 'vm', f, 0, Number.MAX_SAFE_INTEGER);
  const exited = stateBool(s, 'vm', 'exited');
  const status = stateInt(s, 'vm', 'exitStatus', 0, Number.MAX_SAFE_INTEGER);
  const source = stateInt(s, 'vm', 'exitSource', 0, EXIT_SOURCES.length - 1);
  if (sbi !== Object.prototype.hasOwnProperty.call(s, 'sbiCalls')) throw new DeviceStateError('vm', 'sbiCalls', sbi ? 'is missing' : 'is present without firmware sbi');
  return {
    steps: big('steps'), retiredBefore: big('retiredBefore'), resets: big('resets'),
    phase: stateInt(s, 'vm', 'phase', 0, HART_SLICE - 1), idle: stateBool(s, 'vm', 'idle'),
    exit: exited ? { kind: 'exit', status, source: EXIT_SOURCES[source] } : null,
    sbiCalls: sbi ? big('sbiCalls') : 0, sbiUnsupported: sbi ? big('sbiUnsupported') : 0,
  };
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
  /**
   * The boot firmware. With `sbi` the VM stands in for OpenSBI: the hart
   * starts in S-mode at the entry (a0 = hart id, a1 = device tree, as
   * OpenSBI hands over to its payload), S-level interrupts and the usual
   * exceptions are delegated to S (see `enterSupervisor`), ECALLs from S go
   * to {@link sbi}, and the CLINT's timer level drives STIP instead of MTIP
   * (so SBI set_timer is a write of mtimecmp, and a new deadline clears
   * STIP as the spec asks). M-mode CSRs stay out of the guest's reach: it
   * runs in S-mode, where they are illegal instructions.
   */
  readonly firmware: 'none' | 'sbi';
  /** The SBI serving the guest's ECALLs (firmware `sbi`), else null. */
  readonly sbi: SbiFirmware | null;
  /** What the loader placed. */
  readonly image: LoadedImage;
  /** Guest memory's base and size (the memory node of the device tree; ROM regions included). */
  readonly ramBase: number;
  readonly ramSize: number;
  /** Bytes of guest RAM the VM allocated: `ramSize` less the ROM regions (plus at most 3 bytes of alignment padding per piece, not counted). */
  readonly ramAllocated: number;
  /** Where the device tree lies in guest RAM (a1 at boot), and its size. */
  readonly fdtAddress: number;
  readonly fdtSize: number;
  /** Times the guest asked for a reset (test finisher 0x7777) and got one. */
  resets = 0;

  private readonly imageBytes: Uint8Array;
  private readonly imageName: string;
  /** The RAM pieces of guest memory (one unless ROM regions split it), lowest first. */
  private readonly ram: readonly RamTarget[];
  private readonly rom: readonly RomRegion[];
  private readonly fdt: Uint8Array;
  /** The data images ({@link VirtVmOptions.loads}), by address. */
  private readonly loads: readonly DataImage[];
  private readonly hartId: number;
  private stepsBefore = 0; // steps of hart runs, for the driver's instruction limit
  private retiredBefore = 0; // instret of hart lives ended by a reset
  private request: ExitReport | null = null;
  private requestSource: GuestExit['source'] = 'finisher';
  private stopReason: string | null = null;
  private finalExit: VmExit | null = null;
  private idle = false;
  /**
   * Steps into the current hart slice of HART_SLICE instructions (0 at a
   * boundary). Slices end at the same instruction counts however `run`
   * budgets are cut (a driver's turns, an instruction limit, a snapshot
   * taken and resumed), and the CLINT is looked at only at their ends and
   * after a WFI, so a deterministic run resumed from a snapshot takes its
   * timer interrupts where the uninterrupted one does.
   */
  private phase = 0;
  private wake: (() => void) | null = null;
  private closed = false;
  /** The observer (options.observe), or undefined: then nothing is wrapped or hooked. */
  private readonly observer: VmObserver | undefined;

  /**
   * Builds the VM, loads the image, the data images and the device tree
   * into RAM and sets the boot state. Refuses: a missing image or clock and
   * a bad hart id or RAM size, or RAM beyond the board's budget
   * ({@link VmConfigError}); a bad image, an odd entry point, a `tohost`
   * symbol HTIF cannot use ({@link ImageError}); image file bytes where the
   * device tree goes, a given device tree that does not parse, a data image
   * outside RAM or overlapping ({@link VmConfigError}). Nothing is left open
   * when it throws.
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
    const firmware = options.firmware ?? 'none';
    if (firmware !== 'none' && firmware !== 'sbi') throw new VmConfigError('bad-option', 'firmware', `${String(firmware)} is not 'none' or 'sbi'`);
    this.firmware = firmware;
    if (firmware === 'sbi' && !isElf(this.imageBytes) && ramSize <= SBI_PAYLOAD_OFFSET) {
      throw new VmConfigError('bad-ram-size', 'ramSize', `a raw S-mode image loads at 0x${(VIRT_MAP.dram.base + SBI_PAYLOAD_OFFSET).toString(16)}: give the VM more than 4 MiB of RAM`);
    }
    this.ramBase = VIRT_MAP.dram.base;
    this.ramSize = ramSize;

    // Everything that depends on the image comes first, so a refusal opens no port.
    this.space = new GuestAddressSpace();
    this.rom = checkRom(options.rom ?? [], this.ramBase, ramSize);
    this.ram = this.mapMemory();
    let allocated = 0;
    for (const piece of this.ram) allocated += piece.bytes.length;
    this.ramAllocated = allocated;
    this.image = loadImage({ image: this.imageBytes, ram: this.imageRam(), rom: this.rom, name: this.imageName });
    if ((this.image.entry & 1) !== 0) {
      // The hart cannot start there (IALIGN is 16 with C): refuse it as a bad image, before any port opens.
      throw new ImageError({ reason: 'entry-outside-ram', image: this.imageName, place: 'ELF header', offset: 24,
        detail: `e_entry 0x${this.image.entry.toString(16)} is odd: no instruction starts there` });
    }

    try {
      this.fdt = options.dtb === undefined
        ? buildVirtDeviceTree({
          ramSize,
          ramBase: this.ramBase,
          gpio: board.has('gpio'),
          virtioSlots: board.has('virtio-mmio') ? undefined : 0,
          bootargs: options.bootargs,
        })
        : givenDeviceTree(options.dtb, options.dtbName ?? 'dtb', options.bootargs);
      this.fdtAddress = fdtPlacement(this.ramBase, ramSize, this.fdt.length);
    } catch (e) {
      if (e instanceof FdtError && e.reason === 'no-room') throw new VmConfigError('bad-ram-size', 'ramSize', e.message);
      throw e;
    }
    this.fdtSize = this.fdt.length;
    // File bytes only, as QEMU's ROM check: a zero fill under the tree is overwritten by it (the tree is written after the image).
    for (const s of this.image.segments) {
      if (s.filesz > 0 && s.paddr < this.fdtAddress + this.fdtSize && this.fdtAddress < s.paddr + s.filesz) {
        throw new VmConfigError('image-overlaps-device-tree', 'image',
          `${this.imageName}: segment [0x${s.paddr.toString(16)}, 0x${(s.paddr + s.filesz).toString(16)}) overlaps the device tree ` +
          `at [0x${this.fdtAddress.toString(16)}, 0x${(this.fdtAddress + this.fdtSize).toString(16)}); give the guest more RAM`);
      }
    }
    for (const r of this.rom) {
      if (r.base < this.fdtAddress + this.fdtSize && this.fdtAddress < r.base + r.bytes.length) {
        throw new VmConfigError('image-overlaps-device-tree', 'rom',
          `${r.name} overlaps the device tree at [0x${this.fdtAddress.toString(16)}, 0x${(this.fdtAddress + this.fdtSize).toString(16)}); give the guest more RAM`);
      }
    }
    this.loads = this.checkLoads(options.loads ?? []);
    this.writeLoads();
    this.writeFdt();

    const htifPlace = board.has('htif') && this.image.tohost !== null ? this.htifPlacement(this.image) : null;

    this.sbi = firmware === 'sbi' ? new SbiFirmware({ ram: this.ram, platform: this.sbiPlatform(), hartId }) : null;
    if (this.sbi !== null) this.space.addRom({ name: 'sbi-mtrap', base: guestPhysAddr(SBI_MTRAP_BASE), bytes: SBI_MTRAP_CODE });
    const sbi = this.sbi;
    const observe = options.observe;
    this.observer = observe;
    observe?.attach(this);
    this.hart = new Hart({
      bus: this.space, hartId, readTime: () => this.readMtime(), tier: options.tier,
      onSupervisorEcall: sbi === null ? undefined : observe === undefined ? (h: Hart): void => sbi.handleEcall(h) : observe.ecall((h: Hart): void => sbi.handleEcall(h)),
      onTrap: observe === undefined ? undefined : (h: Hart, r: TrapRecord): void => observe.trap(h, r),
    });
    // Under the SBI the CLINT's timer is the supervisor timer: MTIP's level drives STIP.
    const timerCause = sbi === null ? InterruptCause.MachineTimer : InterruptCause.SupervisorTimer;
    // Devices drive the hart's mip through this, so a rising level can wake a sleeping driver.
    const hart = this.hart;
    const target: InterruptTarget = {
      setInterruptPending: (cause: number, level: boolean): void => {
        hart.setInterruptPending(cause === InterruptCause.MachineTimer ? timerCause : cause, level);
        if (level && this.idle && this.wake !== null) this.wake();
      },
    };
    const onExit = (source: GuestExit['source']) => (report: ExitReport): void => {
      // Only the first request counts; it takes effect after the storing instruction.
      if (this.request !== null) return;
      this.request = report;
      this.requestSource = source;
      hart.requestStop();
    };

    this.clint = new Clint({ clock: this.clock, target: observe === undefined ? target : observe.interruptTarget('clint', target) });
    this.plic = new Plic({ target: observe === undefined ? target : observe.interruptTarget('plic', target) });
    this.finisher = new TestFinisher({ onExit: onExit('finisher') });
    this.sbiExit = onExit('sbi');
    const opened: { close(): void }[] = [];
    try {
      this.uart = new Ns16550a({ serial: options.serial, irq: this.plicLine('uart0', VIRT_IRQ.uart0), receive: options.uartReceive });
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

      const reg = observe === undefined ? (d: BaseDeviceOps): BaseDeviceOps => d : (d: BaseDeviceOps): BaseDeviceOps => observe.device(d);
      for (const d of [this.clint, this.plic, this.uart, this.finisher, ...this.virtio]) this.space.addDevice(reg(d));
      if (this.gpio !== null) this.space.addDevice(reg(this.gpio));
      if (this.htif !== null) this.space.addDevice(reg(this.htif), { overlayOf: this.space.regionAt(this.htif.addressRange().start)!.name });
      this.boot();
    } catch (e) {
      for (const d of opened) d.close();
      throw e;
    }
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
      if (this.phase === 0 || this.idle) this.clint.update();
      if (this.idle) {
        // WFI ends when an interrupt is pending and enabled in mie (privileged spec 3.3.3).
        if (!hart.wakeupPending) {
          // Only a timer interrupt the guest enabled can end the wait by itself; with MTIE clear
          // the CLINT's deadline (possibly already past) wakes nothing.
          const timerEnabled = (hart.readCsr(Csr.mie) & (this.sbi === null ? Mip.MTIP : Mip.STIP)) !== 0;
          return { kind: 'idle', deadline: timerEnabled ? this.clint.nextDeadline() : Infinity };
        }
        this.idle = false;
      }
      if (left === 0) return { kind: 'budget' };
      const room = HART_SLICE - this.phase;
      const slice = left < room ? left : room;
      const why = hart.run(slice);
      if (this.observer !== undefined) this.observer.runExit(why);
      const steps = hart.lastRunSteps;
      this.stepsBefore += steps;
      left -= steps;
      this.phase = this.phase + steps >= HART_SLICE ? 0 : this.phase + steps;
      if (this.request !== null) {
        const report = this.request;
        this.request = null;
        if (report.kind === 'reset') {
          this.resetGuest();
          continue;
        }
        return this.finish({ kind: 'exit', status: report.status, source: this.requestSource });
      }
      if (why === ExitReason.Wfi) {
        this.idle = true;
        this.phase = 0;
      } else if (why === ExitReason.Fatal) {
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
    if (this.sbi !== null) this.enterSupervisor();
    this.idle = false;
  }

  // ---- firmware 'sbi' and restart (src/monitor/sbi.ts, monitor.ts)

  /**
   * Boots the VM afresh, for a monitor restarting it (a fault with
   * `onFault: restart`, or any time): RAM cleared, devices reset, image and
   * device tree written again, the hart at the entry; the exit that ended
   * the VM is forgotten, so `run` goes on. Ports and pins stay open. Counts
   * in {@link resets}; wakes a driver sleeping on the VM. Refuses a closed VM (VmConfigError 'bad-option').
   */
  restart(): void {
    if (this.closed) throw new VmConfigError('bad-option', 'restart', 'the VM is closed');
    for (const piece of this.ram) piece.bytes.fill(0);
    this.request = null;
    this.stopReason = null;
    this.finalExit = null;
    this.resetGuest();
    // A driver sleeping on WFI must run the fresh hart now, not at its next recheck.
    if (this.wake !== null) this.wake();
  }

  /** Set in the constructor: how the SBI ends or reboots the VM (as the finisher does). */
  private sbiExit: ((report: ExitReport) => void) | null = null;

  /**
   * The state OpenSBI leaves its payload in: S-mode, satp = 0, sstatus.SIE
   * = 0. medeleg: every exception S-mode handles itself. OpenSBI delegates
   * misaligned fetch, breakpoint, ECALL from U and the page faults, and
   * redirects illegal instructions, access faults and the misaligned
   * loads/stores it cannot emulate to S through its own handler; delegating
   * those too gives the guest the same trap. ECALL from S stays with M: the
   * hook hands it to the SBI. mideleg: SSI, STI, SEI (priv. spec 3.1.8).
   * mcounteren: cycle, time and instret readable from S (spec 3.1.11).
   * PMP: OpenSBI's last, lowest-priority region lets S and U reach all
   * memory (NAPOT over the whole bus, RWX; spec 3.7.1: without a matching
   * entry they could reach nothing); this SBI lives outside the guest, so
   * it has no region of its own to close.
   */
  private enterSupervisor(): void {
    const h = this.hart;
    h.writeCsr(Csr.pmpaddr15, 0xffffffff);
    h.writeCsr(Csr.pmpcfg3, 0x1f << 24);
    h.writeCsr(Csr.medeleg, SBI_MEDELEG);
    h.writeCsr(Csr.mideleg, Mip.SSIP | Mip.STIP | Mip.SEIP);
    h.writeCsr(Csr.mcounteren, 7);
    // No trap should reach M; one that does parks in the catcher with mcause/mepc/mtval intact for the fault report.
    h.writeCsr(Csr.mtvec, SBI_MTRAP_BASE);
    h.priv = PrivilegeMode.Supervisor;
  }

  /** Where the loader may place the image: all of RAM; for a raw image under the SBI, RAM from 0x8040_0000 (the loader puts a raw image at the start of what it is given). */
  private imageRam(): readonly RamTarget[] {
    if (this.firmware !== 'sbi' || isElf(this.imageBytes)) return this.ram;
    const from = this.ramBase + SBI_PAYLOAD_OFFSET;
    const out: RamTarget[] = [];
    for (const p of this.ram) {
      const end = p.base + p.bytes.length;
      if (end <= from) continue;
      const start = p.base > from ? p.base : from;
      out.push({ base: start, bytes: p.bytes.subarray(start - p.base) });
    }
    return out;
  }

  /** The SBI's effects on this VM: mtimecmp, UART0 as the console, exit and reboot. */
  private sbiPlatform(): SbiPlatform {
    return {
      setTimer: (hi: number, lo: number): void => this.clint.setTimecmp(hi, lo),
      putByte: (byte: number): boolean => {
        if (this.uart.txFifoLength > 0) return false;
        this.uart.consoleWrite(byte);
        return true;
      },
      forceByte: (byte: number): void => this.uart.consoleWrite(byte),
      getByte: (): number => this.uart.consoleRead(),
      systemReset: (kind: 'shutdown' | 'reboot', status: number): void => {
        this.sbiExit?.(kind === 'reboot' ? { kind: 'reset', status: 0 } : { kind: status === 0 ? 'pass' : 'fail', status });
      },
    };
  }

  // ---- end of firmware 'sbi' and restart

  // ---- snapshot (src/snapshot/, docs/snapshot.md)

  /**
   * Saves the VM as a snapshot file: what it was taken from (board, RAM
   * size, image, firmware, deterministic clock, hart id), the hart, RAM
   * (pages that are not all zero), every device, the instruction clock and
   * the VM's run state (instruction counts, WFI, resets, the guest's exit
   * if it exited). Call between runs. `producer` names the xsvisor version
   * in the file (default `unknown`). Returns the file's bytes; changes
   * nothing the guest can see.
   */
  snapshot(options: { readonly producer?: string } = {}): Uint8Array {
    const exit = this.finalExit !== null && this.finalExit.kind === 'exit' ? this.finalExit : null;
    const run: { [field: string]: number | boolean } = {
      steps: this.stepsBefore, retiredBefore: this.retiredBefore, resets: this.resets, idle: this.idle, phase: this.phase,
      exited: exit !== null, exitStatus: exit?.status ?? 0, exitSource: exit === null ? 0 : EXIT_SOURCES.indexOf(exit.source),
    };
    if (this.sbi !== null) {
      run.sbiCalls = this.sbi.stats.calls;
      run.sbiUnsupported = this.sbi.stats.unsupported;
    }
    return encodeVmSnapshot({
      meta: this.snapshotMeta(options.producer ?? 'unknown'),
      hart: this.hart.saveState(),
      vm: run,
      clock: this.clock instanceof InstructionClock ? this.clock.saveState() : null,
      devices: this.snapshotDevices().map((d) => ({ name: d.name, state: d.saveState() })),
      ram: ramImages(this.ram),
    });
  }

  /**
   * Puts this VM in the state a {@link snapshot} saved, so that `run` goes
   * on from there; for a VM just built with the options of the saved one
   * (ports and pins stay this VM's). A guest that had exited is ended again
   * with the same exit. Refuses with a {@link SnapshotError}: a file that
   * is not a snapshot, of another format version, truncated or corrupt
   * (checked before anything changes); one taken from another image,
   * board, RAM size, firmware, clock mode or device set (`mismatch`,
   * before anything changes); saved state a device or the hart refuses
   * (`bad-state`): the VM is then closed, so no half-restored VM runs.
   * Refuses a closed VM (VmConfigError 'bad-option').
   */
  restore(bytes: Uint8Array): void {
    if (this.closed) throw new VmConfigError('bad-option', 'restore', 'the VM is closed');
    const snap = decodeVmSnapshot(bytes);
    const mismatch = snapshotMismatch(snap.meta, this.snapshotMeta(snap.meta.producer));
    if (mismatch !== null) throw mismatch;
    const devices = this.snapshotDevices();
    const saved = new Map(snap.devices.map((d) => [d.name, d.state]));
    const names = devices.map((d) => d.name);
    const extra = snap.devices.filter((d) => !names.includes(d.name)).map((d) => d.name);
    const missing = names.filter((n) => !saved.has(n));
    if (extra.length > 0 || missing.length > 0) {
      const why = [missing.length > 0 ? `no saved state for ${missing.join(', ')}` : '', extra.length > 0 ? `saved devices this VM lacks: ${extra.join(', ')}` : ''];
      throw new SnapshotError('mismatch', 'devices', why.filter((w) => w !== '').join('; '));
    }
    if (snap.ram.length !== this.ram.length || snap.ram.some((r, i) => r.base !== this.ram[i].base || r.length !== this.ram[i].bytes.length)) {
      throw new SnapshotError('mismatch', 'ram', 'the saved RAM pieces do not lie where this VM has RAM (another ROM layout)');
    }
    const icount = this.clock instanceof InstructionClock ? this.clock : null;
    if ((icount !== null) !== (snap.clock !== null)) {
      throw new SnapshotError('corrupt', 'section CLCK', icount === null ? 'present, but the snapshot says the wall clock' : 'missing for deterministic time');
    }
    try {
      const run = readRunState(snap.vm, this.sbi !== null);
      this.hart.restoreState(snap.hart);
      this.stepsBefore = run.steps;
      this.retiredBefore = run.retiredBefore;
      this.resets = run.resets;
      this.phase = run.phase;
      this.idle = run.idle;
      this.request = null;
      this.stopReason = null;
      this.finalExit = run.exit;
      if (this.sbi !== null) {
        this.sbi.stats.calls = run.sbiCalls;
        this.sbi.stats.unsupported = run.sbiUnsupported;
      }
      // The clock before the CLINT, which sets mtime against it; the hart's mip as saved, after the devices drove it.
      if (icount !== null) icount.restoreState(snap.clock!);
      for (const d of devices) d.restoreState(saved.get(d.name)!);
      const mip = stateInt(snap.hart, 'hart', 'mipHw', 0, 0xfff);
      for (const cause of [1, 3, 5, 7, 9, 11]) this.hart.setInterruptPending(cause, ((mip >>> cause) & 1) !== 0);
      for (let i = 0; i < this.ram.length; i++) {
        const piece = this.ram[i].bytes;
        piece.fill(0);
        for (const p of snap.ram[i].pages) piece.set(p.bytes, p.offset);
      }
    } catch (e) {
      this.close();
      if (e instanceof DeviceStateError) throw new SnapshotError('bad-state', e.device, e.message);
      throw e;
    }
  }

  /** What this VM is, as a snapshot records it (the board as a CRC-32 of what guests can tell of it). */
  private snapshotMeta(producer: string): SnapshotMeta {
    if (this.imageHash < 0) this.imageHash = crc32(this.imageBytes);
    const b = this.board;
    const lines = b.gpioLines.map((l) => [l.line, l.name, l.pin, l.direction, l.pull]);
    const description = JSON.stringify([b.platform, [...b.devices].sort(), lines]);
    const units = new Uint8Array(description.length * 2);
    for (let i = 0; i < description.length; i++) {
      units[2 * i] = description.charCodeAt(i) & 0xff;
      units[2 * i + 1] = description.charCodeAt(i) >>> 8;
    }
    return {
      producer, board: b.name, boardHash: crc32(units), ramBase: this.ramBase, ramSize: this.ramSize,
      imageHash: this.imageHash, imageLength: this.imageBytes.length, firmware: this.firmware,
      deterministic: this.clock instanceof InstructionClock, hartId: this.hartId,
    };
  }

  /** CRC-32 of the image, computed at the first snapshot. */
  private imageHash = -1;

  /** Every device with its name, in restore order: those driving PLIC lines, then the PLIC, then the CLINT. */
  private snapshotDevices(): (Snapshottable & { readonly name: string })[] {
    const list: (Snapshottable & { readonly name: string })[] = [this.uart];
    if (this.gpio !== null) list.push(this.gpio);
    if (this.htif !== null) list.push(this.htif);
    list.push(this.finisher, ...this.virtio, this.plic, this.clint);
    return list;
  }

  // ---- end of snapshot

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
    loadImage({ image: this.imageBytes, ram: this.imageRam(), rom: this.rom, name: this.imageName });
    this.writeLoads();
    this.writeFdt();
    this.resets++;
    this.phase = 0;
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
    if (this.space.ramBytes(span.base as GuestPhysAddr, span.size) === null) {
      throw new ImageError({ reason: 'bad-symtab', image: this.imageName, place: 'symbol tohost',
        detail: `tohost/fromhost [0x${span.base.toString(16)}, 0x${(span.base + span.size).toString(16)}) is not inside one RAM piece (ROM cannot hold it)` });
    }
    return span;
  }

  /**
   * Registers guest memory: the ROM regions, and RAM for every stretch
   * between them (all of it when there is no ROM). Returns the RAM pieces,
   * lowest first.
   */
  private mapMemory(): RamTarget[] {
    if (this.rom.length === 0) {
      this.space.addRam({ name: 'ram', base: guestPhysAddr(this.ramBase), size: this.ramSize });
      return [{ base: this.ramBase, bytes: this.space.ramBytes(this.ramBase as GuestPhysAddr, this.ramSize)! }];
    }
    const pieces: RamTarget[] = [];
    const addPiece = (from: number, to: number): void => {
      if (to <= from) return;
      // The backing store sits at the guest address's offset modulo 4, so the hart's word views of it stay aligned.
      const pad = from & 3;
      const bytes = new Uint8Array(new ArrayBuffer(to - from + pad), pad, to - from);
      this.space.addRam({ name: pieces.length === 0 ? 'ram' : `ram.${pieces.length}`, base: guestPhysAddr(from), size: to - from, bytes });
      pieces.push({ base: from, bytes });
    };
    let at = this.ramBase;
    for (const r of this.rom) {
      addPiece(at, r.base);
      this.space.addRom({ name: r.name, base: guestPhysAddr(r.base), bytes: r.bytes });
      at = r.base + r.bytes.length;
    }
    addPiece(at, this.ramBase + this.ramSize);
    return pieces;
  }

  /**
   * Checks the data images: each non-empty, inside one RAM piece (not ROM),
   * clear of the image's file bytes, the device tree and each other (QEMU
   * refuses overlapping ROM blobs). Returns them sorted by address.
   */
  private checkLoads(loads: readonly DataImage[]): readonly DataImage[] {
    const span = (a: number, n: number): string => `[0x${a.toString(16)}, 0x${(a + n).toString(16)})`;
    const taken: { what: string; start: number; end: number }[] = [];
    for (const s of this.image.segments) {
      if (s.filesz > 0) taken.push({ what: `${this.imageName} (program header ${s.index}) at ${span(s.paddr, s.filesz)}`, start: s.paddr, end: s.paddr + s.filesz });
    }
    taken.push({ what: `the device tree at ${span(this.fdtAddress, this.fdtSize)}`, start: this.fdtAddress, end: this.fdtAddress + this.fdtSize });
    for (const l of loads) {
      if (l === null || typeof l !== 'object' || !(l.bytes instanceof Uint8Array) || typeof l.name !== 'string' || !Number.isSafeInteger(l.addr) || l.addr < 0) {
        throw new VmConfigError('bad-option', 'loads', 'each data image must be { name: string, addr: number, bytes: Uint8Array }');
      }
      const at = `${l.name}@0x${l.addr.toString(16)}`;
      if (l.bytes.length === 0) throw new VmConfigError('bad-load', 'loads', `${at}: the file is empty (0 bytes)`);
      if (this.space.ramBytes(l.addr as GuestPhysAddr, l.bytes.length) === null) {
        throw new VmConfigError('bad-load', 'loads', `${at}: ${span(l.addr, l.bytes.length)} (${l.bytes.length} bytes) is not inside guest RAM ` +
          `${span(this.ramBase, this.ramSize)}${this.rom.length > 0 ? ' outside its ROM regions' : ''}`);
      }
      const end = l.addr + l.bytes.length;
      const hit = taken.find((t) => l.addr < t.end && t.start < end);
      if (hit !== undefined) throw new VmConfigError('bad-load', 'loads', `${at}: ${span(l.addr, l.bytes.length)} overlaps ${hit.what}`);
      taken.push({ what: `${at} ${span(l.addr, l.bytes.length)}`, start: l.addr, end });
    }
    return Object.freeze([...loads].sort((a, b) => a.addr - b.addr));
  }

  /** Copies the data images into RAM (after the image, whose zero fill they may lie in, as QEMU writes them after it). */
  private writeLoads(): void {
    for (const l of this.loads) this.space.ramBytes(l.addr as GuestPhysAddr, l.bytes.length)!.set(l.bytes);
  }

  /** Writes the device tree at its place in RAM. */
  private writeFdt(): void {
    const target = this.space.ramBytes(this.fdtAddress as GuestPhysAddr, this.fdtSize);
    if (target === null) {
      throw new VmConfigError('image-overlaps-device-tree', 'rom',
        `the device tree at [0x${this.fdtAddress.toString(16)}, 0x${(this.fdtAddress + this.fdtSize).toString(16)}) is not inside one RAM piece`);
    }
    target.set(this.fdt);
  }

  private makeGpio(board: Board, pins: VirtVmOptions['pins']): SifiveGpio {
    const map: { [line: number]: DigitalPinFactory | undefined } = {};
    if (pins !== undefined) {
      for (const wiring of board.gpioLines) {
        const f = pins(wiring);
        if (f !== undefined) map[wiring.line] = f;
      }
    }
    return new SifiveGpio({ pins: map, irq: (n: number) => this.plicLine('gpio0', VIRT_IRQ.gpioBase + n) });
  }

  /** PLIC source `n` as device `source` drives it: through the observer when there is one. */
  private plicLine(source: string, n: number): IrqLine {
    const line = this.plic.line(n);
    return this.observer === undefined ? line : this.observer.irqLine(source, 'plic', n, line);
  }
}
