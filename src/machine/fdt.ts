/**
 * The device tree of an xsvisor `virt` VM, described as QEMU 7.2's `virt`
 * describes itself (hw/riscv/virt.c, `create_fdt`), minus what xsvisor does
 * not emulate (PCIe, flash, fw_cfg, RTC, PMU, platform bus) and plus the
 * SiFive GPIO block.
 *
 * Owns the nodes, their order, properties and phandles. The comparison with
 * QEMU's `dumpdtb` and the departures (`riscv,ndev`, the GPIO binding):
 * docs/design.md#the-device-tree.
 */

import { InterruptCause } from '../device/index.js';
import { FinisherCommand } from '../devices/index.js';
import { FdtBuilder, FdtError, type FdtNode, type FdtReservation } from '../fdt/index.js';
import { PLIC_NDEV, VIRT_GPIO_LINES, VIRT_IRQ, VIRT_MAP, VIRT_TIMEBASE_HZ, VIRT_UART_CLOCK_HZ, VIRTIO_SLOTS, VIRTIO_STRIDE } from './map.js';

/** QEMU 7.2's ISA string for an rv32 CPU with the extensions xsvisor implements. */
export const VIRT_RISCV_ISA = 'rv32imac_zicsr_zifencei_zihintpause';

/** cpu@0's default mmu-type: the hart translates with Sv32 (privileged spec 4.3). */
export const VIRT_MMU_TYPE = 'riscv,sv32';

/** Options of {@link virtDeviceTree}. */
export interface VirtDeviceTreeOptions {
  /** RAM size in bytes (positive). */
  ramSize: number;
  /** RAM base (default 0x8000_0000). */
  ramBase?: number;
  /** Kernel command line for /chosen/bootargs (omitted: no property). */
  bootargs?: string;
  /** /chosen/stdout-path (default "/soc/serial@10000000"). */
  stdoutPath?: string;
  /** cpu@0's riscv,isa (default {@link VIRT_RISCV_ISA}). */
  isa?: string;
  /** cpu@0's mmu-type (default "riscv,sv32", as QEMU's; null: no property). */
  mmuType?: string | null;
  /** /cpus/timebase-frequency (default 10 MHz). */
  timebaseFrequency?: number;
  /** The UART's clock-frequency (default 3686400). */
  uartClockFrequency?: number;
  /** Number of virtio-mmio slots to describe, 0..8 (default 8). */
  virtioSlots?: number;
  /** Describe the GPIO block (default true). */
  gpio?: boolean;
  /** /chosen/rng-seed bytes (default: none). */
  rngSeed?: Uint8Array;
  /** Memory reservation block entries. */
  reservations?: readonly FdtReservation[];
}

function hex(n: number): string {
  return n.toString(16);
}

/** Two-cell address and size pairs, as `reg` wants with #address-cells = #size-cells = 2. */
function reg2(base: number, size: number): number[] {
  const TWO32 = 2 ** 32;
  return [Math.floor(base / TWO32), base % TWO32, Math.floor(size / TWO32), size % TWO32];
}

/**
 * Builds the tree of a virt VM (see the module note) and returns the
 * builder, so a caller can add to it before `toBlob()`. Refuses a RAM size
 * that is not a positive integer or a slot count outside 0..8 with an
 * {@link FdtError}.
 */
export function virtDeviceTree(options: VirtDeviceTreeOptions): FdtBuilder {
  const ramBase = options.ramBase ?? VIRT_MAP.dram.base;
  const { ramSize } = options;
  if (!Number.isSafeInteger(ramSize) || ramSize <= 0) throw new FdtError('bad-value', '/memory', `RAM size ${ramSize} is not a positive integer`);
  const slots = options.virtioSlots ?? VIRTIO_SLOTS;
  if (!Number.isInteger(slots) || slots < 0 || slots > VIRTIO_SLOTS) throw new FdtError('bad-value', '/soc', `${slots} virtio slots is not in 0..${VIRTIO_SLOTS}`);

  const fdt = new FdtBuilder({ reservations: options.reservations });
  const root = fdt.root;
  root.setCells('#address-cells', 2).setCells('#size-cells', 2);
  root.setString('compatible', 'riscv-virtio').setString('model', 'riscv-virtio,qemu');

  // Nodes are added in QEMU's order; phandles are taken in QEMU's order (cpu, intc, plic, test).
  const chosen = root.addNode('chosen');
  const poweroff = root.addNode('poweroff');
  const reboot = root.addNode('reboot');
  const memory = root.addNode(`memory@${hex(ramBase)}`);
  const cpus = root.addNode('cpus');
  const soc = root.addNode('soc');

  memory.setString('device_type', 'memory').setCells('reg', ...reg2(ramBase, ramSize));

  cpus.setCells('#address-cells', 1).setCells('#size-cells', 0);
  cpus.setCells('timebase-frequency', options.timebaseFrequency ?? VIRT_TIMEBASE_HZ);
  const cpu = cpus.addNode('cpu@0');
  const cpuPhandle = cpu.phandle();
  cpu.setString('device_type', 'cpu').setCells('reg', 0).setString('status', 'okay');
  cpu.setString('compatible', 'riscv').setString('riscv,isa', options.isa ?? VIRT_RISCV_ISA);
  const mmuType = options.mmuType === undefined ? VIRT_MMU_TYPE : options.mmuType;
  if (mmuType !== null) cpu.setString('mmu-type', mmuType);
  const intc = cpu.addNode('interrupt-controller');
  intc.setCells('#interrupt-cells', 1).setEmpty('interrupt-controller').setString('compatible', 'riscv,cpu-intc');
  const intcPhandle = intc.phandle();
  cpus.addNode('cpu-map').addNode('cluster0').addNode('core0').setCells('cpu', cpuPhandle);

  soc.setCells('#address-cells', 2).setCells('#size-cells', 2);
  soc.setString('compatible', 'simple-bus').setEmpty('ranges');

  // The PLIC's phandle comes before the test finisher's, as in QEMU, though its node comes later.
  const plicPhandle = fdt.allocatePhandle();

  const serial = soc.addNode(`serial@${hex(VIRT_MAP.uart0.base)}`);
  serial.setCells('interrupts', VIRT_IRQ.uart0).setCells('interrupt-parent', plicPhandle);
  serial.setCells('clock-frequency', options.uartClockFrequency ?? VIRT_UART_CLOCK_HZ);
  serial.setCells('reg', ...reg2(VIRT_MAP.uart0.base, VIRT_MAP.uart0.size)).setString('compatible', 'ns16550a');

  if (options.gpio ?? true) addGpio(soc, plicPhandle);

  const test = soc.addNode(`test@${hex(VIRT_MAP.test.base)}`);
  const testPhandle = test.phandle();
  test.setCells('reg', ...reg2(VIRT_MAP.test.base, VIRT_MAP.test.size));
  test.setStrings('compatible', ['sifive,test1', 'sifive,test0', 'syscon']);

  for (let i = slots - 1; i >= 0; i--) {
    const base = VIRT_MAP.virtio.base + VIRTIO_STRIDE * i;
    const slot = soc.addNode(`virtio_mmio@${hex(base)}`);
    slot.setCells('interrupts', VIRT_IRQ.virtioBase + i).setCells('interrupt-parent', plicPhandle);
    slot.setCells('reg', ...reg2(base, VIRTIO_STRIDE)).setString('compatible', 'virtio,mmio');
  }

  const plic = soc.addNode(`plic@${hex(VIRT_MAP.plic.base)}`).setPhandle(plicPhandle);
  plic.setCells('riscv,ndev', PLIC_NDEV);
  plic.setCells('reg', ...reg2(VIRT_MAP.plic.base, VIRT_MAP.plic.size));
  // Context 0 is hart 0's M-mode external interrupt, context 1 its S-mode one.
  plic.setCells('interrupts-extended', intcPhandle, InterruptCause.MachineExternal, intcPhandle, InterruptCause.SupervisorExternal);
  plic.setEmpty('interrupt-controller');
  plic.setStrings('compatible', ['sifive,plic-1.0.0', 'riscv,plic0']);
  plic.setCells('#address-cells', 0).setCells('#interrupt-cells', 1);

  const clint = soc.addNode(`clint@${hex(VIRT_MAP.clint.base)}`);
  clint.setCells('interrupts-extended', intcPhandle, InterruptCause.MachineSoftware, intcPhandle, InterruptCause.MachineTimer);
  clint.setCells('reg', ...reg2(VIRT_MAP.clint.base, VIRT_MAP.clint.size));
  clint.setStrings('compatible', ['sifive,clint0', 'riscv,clint0']);

  // syscon-poweroff/-reboot write their value to offset 0 of the finisher (regmap).
  poweroff.setCells('value', FinisherCommand.Pass).setCells('offset', 0).setCells('regmap', testPhandle);
  poweroff.setString('compatible', 'syscon-poweroff');
  reboot.setCells('value', FinisherCommand.Reset).setCells('offset', 0).setCells('regmap', testPhandle);
  reboot.setString('compatible', 'syscon-reboot');

  if (options.rngSeed !== undefined) chosen.setBytes('rng-seed', options.rngSeed);
  chosen.setString('stdout-path', options.stdoutPath ?? `/soc/serial@${hex(VIRT_MAP.uart0.base)}`);
  if (options.bootargs !== undefined) chosen.setString('bootargs', options.bootargs);
  return fdt;
}

function addGpio(soc: FdtNode, plicPhandle: number): void {
  const gpio = soc.addNode(`gpio@${hex(VIRT_MAP.gpio.base)}`);
  const irqs: number[] = [];
  for (let n = 0; n < VIRT_GPIO_LINES; n++) irqs.push(VIRT_IRQ.gpioBase + n);
  gpio.setStrings('compatible', ['sifive,gpio0']);
  gpio.setCells('reg', ...reg2(VIRT_MAP.gpio.base, VIRT_MAP.gpio.size));
  gpio.setCells('interrupt-parent', plicPhandle).setCells('interrupts', ...irqs);
  gpio.setEmpty('gpio-controller').setCells('#gpio-cells', 2);
  gpio.setEmpty('interrupt-controller').setCells('#interrupt-cells', 2);
  gpio.setCells('#address-cells', 0); // dtc's interrupt_provider check wants it; there are no children
  gpio.setCells('ngpios', VIRT_GPIO_LINES);
}

/** Builds the virt VM's tree (see {@link virtDeviceTree}) and returns the blob. */
export function buildVirtDeviceTree(options: VirtDeviceTreeOptions): Uint8Array {
  return virtDeviceTree(options).toBlob();
}
