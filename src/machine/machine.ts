/**
 * The virt machine assembled: one hart, guest memory at 0x8000_0000, the
 * devices of QEMU's `virt` (CLINT, PLIC, UART0, test finisher, virtio-mmio
 * slots) plus the SiFive GPIO block and, for guests with a `tohost` symbol,
 * an HTIF overlay; the image, data images and device tree in RAM; and the
 * boot state. Boot is as QEMU's `-M virt -bios none -kernel IMAGE`:
 * M-mode, a0 = hart id, a1 = the device tree (at the top of RAM, QEMU's
 * placement), pc = the entry point. With `firmware: 'sbi'` it is as after
 * OpenSBI: S-mode, the same a0/a1, the SBI (sbi.ts) answering ECALLs.
 *
 * No host services and no run loop: src/monitor/vm.ts runs the machine.
 */

import { guestPhysAddr, type GuestPhysAddr } from '../addr/index.js';
import { GuestAddressSpace } from '../addrspace/index.js';
import type { Board, GpioLineWiring } from '../board/index.js';
import { Csr, Hart, Mip, PrivilegeMode, type TrapRecord } from '../cpu/index.js';
import { InterruptCause, type BaseDeviceOps, type InterruptTarget, type IrqLine } from '../device/index.js';
import { Clint, Htif, HtifPlacementError, Ns16550a, Plic, SifiveGpio, TestFinisher, type ExitReport, type VirtioMmioSlot } from '../devices/index.js';
import { FdtError } from '../fdt/index.js';
import { ImageError, loadImage, type LoadedImage, type RamTarget } from '../loader/index.js';
import type { Clock, DigitalPinFactory, SerialPortFactory } from '../ports/index.js';
import type { Snapshottable } from '../state/index.js';
import { defaultVirtBoard } from './board.js';
import { VmConfigError } from './errors.js';
import { buildVirtDeviceTree } from './fdt.js';
import { VIRT_IRQ, VIRT_MAP, virtioMmioSlots } from './map.js';
import { checkLoads, checkRom, givenDeviceTree, isElf, mapMemory, ramFrom, type DataImage, type RomRegion } from './memory.js';
import { fdtPlacement } from './placement.js';
import { SbiFirmware, type SbiPlatform } from './sbi.js';

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

const TWO32 = 2 ** 32;

/** What carried a guest's request to end: a device, or the SBI (system reset, legacy shutdown). */
export type ExitSource = 'finisher' | 'htif' | 'sbi';

/**
 * Watches the machine as it is built: each call returns what the machine
 * then uses instead of the original (src/monitor/trace.ts implements it).
 */
export interface MachineObserver {
  /** Returns what to register in the address space in place of `device` (same name, range and rules). */
  device(device: BaseDeviceOps): BaseDeviceOps;
  /** Returns the line `source` drives in place of `line`, which is line `number` of `sink` (e.g. uart0 -> plic 10). */
  irqLine(source: string, sink: string, number: number, line: IrqLine): IrqLine;
  /** Returns the target `source` (clint, plic) drives the hart's interrupt-pending bits through, in place of `target`. */
  interruptTarget(source: string, target: InterruptTarget): InterruptTarget;
  /** The hart took a trap (the hart's `onTrap` hook). */
  trap(hart: Hart, record: TrapRecord): void;
  /** Returns the hart's ECALL-from-S handler in place of `handler` (the SBI). */
  ecall(handler: (hart: Hart) => void): (hart: Hart) => void;
}

/** Options of a {@link VirtMachine} (and of the monitor's VirtVm). */
export interface VirtMachineOptions {
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
   * machine's SBI (sbi.ts); a raw image then loads at 0x8040_0000.
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
   * Traces and counts what the machine does: devices are registered
   * through its proxies, interrupt lines and the SBI wrapped, the hart
   * given a trap hook. Omitted (the default): none of that, so nothing is
   * paid for it.
   */
  readonly observe?: MachineObserver;
  /** How the hart executes (HartOptions.tier, docs/jit.md): 'interp' (default) or 'jit'. */
  readonly tier?: 'interp' | 'jit';
}

/** How the machine tells its runner about the guest (called from inside guest stores, ECALLs and device callbacks: record, never run). */
export interface MachineHooks {
  /** The guest asked to end or reset, through `source`. */
  exit(source: ExitSource, report: ExitReport): void;
  /** A device raised an interrupt level (a sleeping runner may have to wake). */
  interrupt(): void;
}

/** The virt machine: memory, devices, wiring, hart and boot state (see the module note). */
export class VirtMachine {
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
   * The boot firmware. With `sbi` the machine stands in for OpenSBI: the
   * hart starts in S-mode at the entry (a0 = hart id, a1 = device tree, as
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
  /** The image file, as given. */
  readonly imageBytes: Uint8Array;
  readonly imageName: string;
  readonly hartId: number;
  /** Guest memory's base and size (the memory node of the device tree; ROM regions included). */
  readonly ramBase: number;
  readonly ramSize: number;
  /** Bytes of guest RAM allocated: `ramSize` less the ROM regions (plus at most 3 bytes of alignment padding per piece, not counted). */
  readonly ramAllocated: number;
  /** The RAM pieces of guest memory (one unless ROM regions split it), lowest first. */
  readonly ram: readonly RamTarget[];
  /** Where the device tree lies in guest RAM (a1 at boot), and its size. */
  readonly fdtAddress: number;
  readonly fdtSize: number;

  private readonly rom: readonly RomRegion[];
  private readonly fdt: Uint8Array;
  /** The data images ({@link VirtMachineOptions.loads}), by address. */
  private readonly loads: readonly DataImage[];
  private readonly observer: MachineObserver | undefined;

  /**
   * Builds the machine, loads the image, the data images and the device
   * tree into RAM and sets the boot state. Refuses: a missing image or
   * clock, a bad hart id or RAM size, or RAM beyond the board's budget
   * ({@link VmConfigError}); a bad image, an odd entry point, a `tohost`
   * symbol HTIF cannot use ({@link ImageError}); image file bytes where the
   * device tree goes, a given device tree that does not parse, a data image
   * outside RAM or overlapping ({@link VmConfigError}). Nothing is left open
   * when it throws.
   */
  constructor(options: VirtMachineOptions, hooks: MachineHooks) {
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
    this.ram = mapMemory(this.space, this.ramBase, ramSize, this.rom);
    let allocated = 0;
    for (const piece of this.ram) allocated += piece.bytes.length;
    this.ramAllocated = allocated;
    this.image = loadImage({ image: this.imageBytes, ram: this.imageRam(), rom: this.rom, name: this.imageName });
    if ((this.image.entry & 1) !== 0) {
      // The hart cannot start there (IALIGN is 16 with C): refuse it as a bad image, before any port opens.
      throw new ImageError({ reason: 'entry-outside-ram', image: this.imageName, place: 'ELF header', offset: 24,
        detail: `e_entry 0x${this.image.entry.toString(16)} is odd: no instruction starts there` });
    }
    this.fdt = this.deviceTree(options);
    this.fdtAddress = this.placeDeviceTree();
    this.fdtSize = this.fdt.length;
    this.loads = checkLoads(options.loads ?? [], {
      space: this.space, image: this.image, imageName: this.imageName, fdtAddress: this.fdtAddress, fdtSize: this.fdtSize,
      ramBase: this.ramBase, ramSize, hasRom: this.rom.length > 0,
    });
    this.writeLoads();
    this.writeFdt();

    const htifPlace = board.has('htif') && this.image.tohost !== null ? this.htifPlacement(this.image) : null;
    this.sbi = firmware === 'sbi' ? new SbiFirmware({ ram: this.ram, platform: this.sbiPlatform((r) => hooks.exit('sbi', r)), hartId }) : null;
    if (this.sbi !== null) this.space.addRom({ name: 'sbi-mtrap', base: guestPhysAddr(SBI_MTRAP_BASE), bytes: SBI_MTRAP_CODE });
    const sbi = this.sbi;
    const observe = options.observe;
    this.observer = observe;
    this.hart = new Hart({
      bus: this.space, hartId, readTime: () => this.readMtime(), tier: options.tier,
      onSupervisorEcall: sbi === null ? undefined : observe === undefined ? (h: Hart): void => sbi.handleEcall(h) : observe.ecall((h: Hart): void => sbi.handleEcall(h)),
      onTrap: observe === undefined ? undefined : (h: Hart, r: TrapRecord): void => observe.trap(h, r),
    });
    const target = this.interruptTarget(hooks);
    const onExit = (source: ExitSource) => (report: ExitReport): void => hooks.exit(source, report);

    this.clint = new Clint({ base: VIRT_MAP.clint.base, clock: this.clock, target: observe === undefined ? target : observe.interruptTarget('clint', target) });
    this.plic = new Plic({ base: VIRT_MAP.plic.base, target: observe === undefined ? target : observe.interruptTarget('plic', target) });
    this.finisher = new TestFinisher({ base: VIRT_MAP.test.base, onExit: onExit('finisher') });
    const opened: { close(): void }[] = [];
    try {
      this.uart = new Ns16550a({ base: VIRT_MAP.uart0.base, serial: options.serial, irq: this.plicLine('uart0', VIRT_IRQ.uart0), receive: options.uartReceive });
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

  /** a0 = hart id, a1 = device tree, pc = entry, M-mode (QEMU's state after its reset vector); S-mode as after OpenSBI under the SBI. */
  boot(): void {
    this.hart.reset(this.image.entry);
    this.hart.regs[10] = this.hartId | 0;
    this.hart.regs[11] = this.fdtAddress | 0;
    if (this.sbi !== null) this.enterSupervisor();
  }

  /**
   * A system reset, as QEMU's: the devices return to their reset state
   * (ports and pins stay open), the image, data images and device tree are
   * written again (their RAM may have been overwritten) and the hart boots
   * afresh. Other RAM keeps its contents.
   */
  reset(): void {
    // Devices that drive PLIC lines first, so the PLIC's reset sees their lowered levels.
    this.uart.reset();
    this.gpio?.reset();
    this.htif?.reset();
    this.plic.reset();
    this.clint.reset();
    loadImage({ image: this.imageBytes, ram: this.imageRam(), rom: this.rom, name: this.imageName });
    this.writeLoads();
    this.writeFdt();
    this.boot();
  }

  /** Closes the UART's serial port and the GPIO pins. Closing twice is harmless. */
  close(): void {
    this.uart.close();
    this.gpio?.close();
  }

  /** Every device with state, with its name, in restore order: those driving PLIC lines, then the PLIC, then the CLINT. */
  stateDevices(): (Snapshottable & { readonly name: string })[] {
    const list: (Snapshottable & { readonly name: string })[] = [this.uart];
    if (this.gpio !== null) list.push(this.gpio);
    if (this.htif !== null) list.push(this.htif);
    list.push(this.finisher, ...this.virtio, this.plic, this.clint);
    return list;
  }

  /** mtime as a number, from the CLINT's halves read high-low-high so a carry between them is not torn. */
  readMtime(): number {
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

  // ------------------------------------------------------------- internals

  /** The hart's mip as devices drive it: under the SBI the CLINT's timer is the supervisor timer; a rising level tells the runner. */
  private interruptTarget(hooks: MachineHooks): InterruptTarget {
    const timerCause = this.sbi === null ? InterruptCause.MachineTimer : InterruptCause.SupervisorTimer;
    const hart = this.hart;
    return {
      setInterruptPending: (cause: number, level: boolean): void => {
        hart.setInterruptPending(cause === InterruptCause.MachineTimer ? timerCause : cause, level);
        if (level) hooks.interrupt();
      },
    };
  }

  /** The generated device tree, or the given one checked; a VmConfigError for one that does not parse. */
  private deviceTree(options: VirtMachineOptions): Uint8Array {
    if (options.dtb !== undefined) return givenDeviceTree(options.dtb, options.dtbName ?? 'dtb', options.bootargs);
    return buildVirtDeviceTree({
      ramSize: this.ramSize,
      ramBase: this.ramBase,
      gpio: this.board.has('gpio'),
      virtioSlots: this.board.has('virtio-mmio') ? undefined : 0,
      bootargs: options.bootargs,
    });
  }

  /** Where the tree goes (QEMU's placement), refused when the image's file bytes or a ROM lie there. */
  private placeDeviceTree(): number {
    let at: number;
    try {
      at = fdtPlacement(this.ramBase, this.ramSize, this.fdt.length);
    } catch (e) {
      if (e instanceof FdtError && e.reason === 'no-room') throw new VmConfigError('bad-ram-size', 'ramSize', e.message);
      throw e;
    }
    const end = at + this.fdt.length;
    const where = `[0x${at.toString(16)}, 0x${end.toString(16)})`;
    // File bytes only, as QEMU's ROM check: a zero fill under the tree is overwritten by it (the tree is written after the image).
    for (const s of this.image.segments) {
      if (s.filesz > 0 && s.paddr < end && at < s.paddr + s.filesz) {
        throw new VmConfigError('image-overlaps-device-tree', 'image',
          `${this.imageName}: segment [0x${s.paddr.toString(16)}, 0x${(s.paddr + s.filesz).toString(16)}) overlaps the device tree ` +
          `at ${where}; give the guest more RAM`);
      }
    }
    for (const r of this.rom) {
      if (r.base < end && at < r.base + r.bytes.length) {
        throw new VmConfigError('image-overlaps-device-tree', 'rom', `${r.name} overlaps the device tree at ${where}; give the guest more RAM`);
      }
    }
    return at;
  }

  /** Where the loader may place the image: all of RAM; for a raw image under the SBI, RAM from 0x8040_0000. */
  private imageRam(): readonly RamTarget[] {
    if (this.firmware !== 'sbi' || isElf(this.imageBytes)) return this.ram;
    return ramFrom(this.ram, this.ramBase + SBI_PAYLOAD_OFFSET);
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

  /** The SBI's effects on this machine: mtimecmp, UART0 as the console, exit and reboot. */
  private sbiPlatform(exit: (report: ExitReport) => void): SbiPlatform {
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
        exit(kind === 'reboot' ? { kind: 'reset', status: 0 } : { kind: status === 0 ? 'pass' : 'fail', status });
      },
    };
  }

  private htifPlacement(image: LoadedImage): { base: number; size: number } {
    const tohost = image.tohost!;
    const fromhost = image.fromhost ?? undefined;
    const refuse = (detail: string): ImageError => new ImageError({ reason: 'bad-symtab', image: this.imageName, place: 'symbol tohost', detail });
    let span: { base: number; size: number };
    try {
      span = Htif.span({ tohost, fromhost });
    } catch (e) {
      if (!(e instanceof HtifPlacementError)) throw e;
      throw refuse(e.message);
    }
    const where = `[0x${span.base.toString(16)}, 0x${(span.base + span.size).toString(16)})`;
    if (span.base < this.ramBase || span.base + span.size > this.ramBase + this.ramSize) throw refuse(`tohost/fromhost ${where} is not inside RAM`);
    if (span.base < this.fdtAddress + this.fdtSize && this.fdtAddress < span.base + span.size) throw refuse('tohost lies inside the device tree');
    if (this.space.ramBytes(span.base as GuestPhysAddr, span.size) === null) {
      throw refuse(`tohost/fromhost ${where} is not inside one RAM piece (ROM cannot hold it)`);
    }
    return span;
  }

  private makeGpio(board: Board, pins: VirtMachineOptions['pins']): SifiveGpio {
    const map: { [line: number]: DigitalPinFactory | undefined } = {};
    if (pins !== undefined) {
      for (const wiring of board.gpioLines) {
        const f = pins(wiring);
        if (f !== undefined) map[wiring.line] = f;
      }
    }
    return new SifiveGpio({ base: VIRT_MAP.gpio.base, pins: map, irq: (n: number) => this.plicLine('gpio0', VIRT_IRQ.gpioBase + n) });
  }

  /** PLIC source `n` as device `source` drives it: through the observer when there is one. */
  private plicLine(source: string, n: number): IrqLine {
    const line = this.plic.line(n);
    return this.observer === undefined ? line : this.observer.irqLine(source, 'plic', n, line);
  }
}
