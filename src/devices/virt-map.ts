/**
 * The guest physical memory map and interrupt numbers of xsvisor's `virt`
 * machine, compatible with QEMU's `virt` (hw/riscv/virt.c, `virt_memmap`),
 * plus the SiFive GPIO block that is xsvisor's own addition.
 *
 * Devices default to these addresses and the device tree describes them;
 * keep the two in step through this table only.
 */

/** One region of the map: base address and size in bytes. */
export interface VirtRegion {
  readonly base: number;
  readonly size: number;
}

function region(base: number, size: number): VirtRegion {
  return Object.freeze({ base, size });
}

/** Base and size of every region of the virt machine. */
export const VIRT_MAP = Object.freeze({
  /** `sifive,test0` finisher. */
  test: region(0x0010_0000, 0x1000),
  /** SiFive CLINT (ACLINT MSWI + MTIMER layout). */
  clint: region(0x0200_0000, 0x1_0000),
  /** `sifive,plic-1.0.0`. */
  plic: region(0x0c00_0000, 0x60_0000),
  /** ns16550a UART0. */
  uart0: region(0x1000_0000, 0x100),
  /** First of the virtio-mmio slots. */
  virtio: region(0x1000_1000, 0x1000),
  /** `sifive,gpio0` (not in QEMU's virt). */
  gpio: region(0x1006_0000, 0x1000),
  /** Start of RAM; its size is the board's. */
  dram: region(0x8000_0000, 0),
});

/** Number of virtio-mmio slots (QEMU's VIRTIO_COUNT) and their stride. */
export const VIRTIO_SLOTS = 8;
export const VIRTIO_STRIDE = 0x1000;

/** PLIC source numbers (QEMU's `UART0_IRQ`, `VIRTIO_IRQ`), and the GPIO lines' first source. */
export const VIRT_IRQ = Object.freeze({
  /** Slot i (0-based) of virtio-mmio raises source 1 + i. */
  virtioBase: 1,
  uart0: 10,
  /** GPIO line n raises source 64 + n. */
  gpioBase: 64,
});

/** PLIC sources, counting the reserved source 0: ids 0..95 (QEMU's VIRT_IRQCHIP_NUM_SOURCES = 96). */
export const PLIC_NUM_SOURCES = 96;
/** Highest PLIC source id, the device tree's `riscv,ndev`. */
export const PLIC_NDEV = PLIC_NUM_SOURCES - 1;
/** Priority bits of the virt PLIC (QEMU's VIRT_IRQCHIP_NUM_PRIO_BITS): priorities and thresholds are 0..7. */
export const PLIC_PRIORITY_BITS = 3;

/** CLINT timebase: `mtime` counts at 10 MHz (QEMU's RISCV_ACLINT_DEFAULT_TIMEBASE_FREQ). */
export const VIRT_TIMEBASE_HZ = 10_000_000;
/** Input clock of UART0 in Hz, as the device tree's `clock-frequency` (QEMU: 3686400). */
export const VIRT_UART_CLOCK_HZ = 3_686_400;
