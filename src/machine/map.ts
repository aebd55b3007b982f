/**
 * The guest physical memory map and interrupt numbers of xsvisor's `virt`
 * machine, compatible with QEMU's `virt` (hw/riscv/virt.c, `virt_memmap`),
 * plus the SiFive GPIO block that is xsvisor's own addition.
 *
 * The machine places its devices at these addresses and its device tree
 * describes them; keep the two in step through this table only. Window
 * sizes and the PLIC's shape are the device models' own.
 */

import {
  CLINT_DEFAULT_TIMEBASE_HZ,
  CLINT_SIZE,
  FINISHER_SIZE,
  GPIO_LINES,
  GPIO_SIZE,
  PLIC_NUM_SOURCES,
  PLIC_SIZE,
  UART_DEFAULT_CLOCK_HZ,
  UART_SIZE,
  VirtioMmioSlot,
} from '../devices/index.js';

/** One region of the map: base address and size in bytes. */
export interface VirtRegion {
  readonly base: number;
  readonly size: number;
}

function region(base: number, size: number): VirtRegion {
  return Object.freeze({ base, size });
}

/** Number of virtio-mmio slots (QEMU's VIRTIO_COUNT) and their stride. */
export const VIRTIO_SLOTS = 8;
export const VIRTIO_STRIDE = 0x1000;

/** Base and size of every region of the virt machine. */
export const VIRT_MAP = Object.freeze({
  /** `sifive,test0` finisher. */
  test: region(0x0010_0000, FINISHER_SIZE),
  /** SiFive CLINT (ACLINT MSWI + MTIMER layout). */
  clint: region(0x0200_0000, CLINT_SIZE),
  /** `sifive,plic-1.0.0`. */
  plic: region(0x0c00_0000, PLIC_SIZE),
  /** ns16550a UART0. */
  uart0: region(0x1000_0000, UART_SIZE),
  /** First of the virtio-mmio slots. */
  virtio: region(0x1000_1000, VIRTIO_STRIDE),
  /** `sifive,gpio0` (not in QEMU's virt). */
  gpio: region(0x1006_0000, GPIO_SIZE),
  /** Start of RAM; its size is the board's. */
  dram: region(0x8000_0000, 0),
});

/** PLIC source numbers (QEMU's `UART0_IRQ`, `VIRTIO_IRQ`), and the GPIO lines' first source. */
export const VIRT_IRQ = Object.freeze({
  /** Slot i (0-based) of virtio-mmio raises source 1 + i. */
  virtioBase: 1,
  uart0: 10,
  /** GPIO line n raises source 64 + n. */
  gpioBase: 64,
});

/** Highest PLIC source id, the device tree's `riscv,ndev`. */
export const PLIC_NDEV = PLIC_NUM_SOURCES - 1;
/** GPIO lines of the virt machine's controller, all wired to PLIC sources from {@link VIRT_IRQ}.gpioBase. */
export const VIRT_GPIO_LINES = GPIO_LINES;

/** CLINT timebase: `mtime` counts at 10 MHz (QEMU's RISCV_ACLINT_DEFAULT_TIMEBASE_FREQ). */
export const VIRT_TIMEBASE_HZ = CLINT_DEFAULT_TIMEBASE_HZ;
/** Input clock of UART0 in Hz, as the device tree's `clock-frequency` (QEMU: 3686400). */
export const VIRT_UART_CLOCK_HZ = UART_DEFAULT_CLOCK_HZ;

/**
 * Makes `count` (default 8) empty virtio-mmio slots at their places,
 * slot i at 0x1000_1000 + 0x1000 * i and named `virtio<i>`. Refuses a
 * count outside 0..8 (RangeError).
 */
export function virtioMmioSlots(options: { count?: number; version?: 1 | 2 } = {}): VirtioMmioSlot[] {
  const count = options.count ?? VIRTIO_SLOTS;
  if (!Number.isInteger(count) || count < 0 || count > VIRTIO_SLOTS) throw new RangeError(`${count} virtio-mmio slots is not in 0..${VIRTIO_SLOTS}`);
  const slots: VirtioMmioSlot[] = [];
  for (let i = 0; i < count; i++) slots.push(new VirtioMmioSlot({ index: i, base: VIRT_MAP.virtio.base + VIRTIO_STRIDE * i, version: options.version }));
  return slots;
}
