/**
 * Empty virtio-mmio transport slots: what QEMU's `virt` shows at
 * 0x1000_1000 + 0x1000 * i (i = 0..7) when no virtio device is attached.
 *
 * Owns a slot's identity: magic "virt", the version (option `version`, 1 by
 * default as QEMU's legacy transports), vendor "QEMU" and device id 0, so a
 * driver probes and finds nothing; every other register reads 0 and writes
 * are ignored. An access past the 0x200 bytes of registers faults, as in
 * QEMU 7.2. Offsets, widths and the values read from a QEMU 7.2 guest:
 * docs/design.md#virtio-mmio-slots.
 */

import type { DeviceState } from '../state/index.js';
import { EmuDeviceType, WORD_ACCESS_RULES, type AccessRules, type AccessValue, type AccessWidth, type BaseDeviceOps } from '../device/index.js';
import { MmioDevice } from './mmio.js';

/** The magic value "virt", little-endian. */
export const VIRTIO_MMIO_MAGIC = 0x74726976;
/** QEMU's vendor id, "QEMU". */
export const VIRTIO_MMIO_QEMU_VENDOR = 0x554d4551;

const WIDTH_MASK = [0, 0xff, 0xffff, 0, 0xffffffff];

/** Bytes of registers QEMU maps at the start of each slot. */
export const VIRTIO_MMIO_WINDOW = 0x200;

/** Options of a {@link VirtioMmioSlot}. */
export interface VirtioMmioSlotOptions {
  /** Device name (default `virtio<index>`). */
  name?: string;
  /** Slot number, for the default name (default 0). */
  index?: number;
  /** Base address of the slot. */
  base: number;
  /** The transport version the slot reports: 1 (legacy, QEMU 7.2 virt's) or 2 (default 1). */
  version?: 1 | 2;
  /** The vendor id (default 0x554d4551, "QEMU"). */
  vendorId?: number;
}

/** One empty virtio-mmio slot. */
export class VirtioMmioSlot extends MmioDevice implements BaseDeviceOps {
  readonly accessRules: AccessRules = WORD_ACCESS_RULES;
  /** The slot number. */
  readonly index: number;
  private readonly version: number;
  private readonly vendor: number;

  /** Refuses a bad base (AddressError), an index that is not a non-negative integer and a version other than 1 or 2 (RangeError). */
  constructor(options: VirtioMmioSlotOptions) {
    const index = options.index ?? 0;
    super({ name: options.name, defaultName: `virtio${index}`, base: options.base, size: VIRTIO_MMIO_WINDOW, kind: EmuDeviceType.VirtioMmioSlot });
    if (!Number.isInteger(index) || index < 0) throw new RangeError(`virtio-mmio slot index ${index} is not a non-negative integer`);
    const version = options.version ?? 1;
    if (version !== 1 && version !== 2) throw new RangeError(`virtio-mmio version ${String(version)} is not 1 or 2`);
    this.index = index;
    this.version = version;
    this.vendor = (options.vendorId ?? VIRTIO_MMIO_QEMU_VENDOR) >>> 0;
  }


  handleRead(offset: number, width: AccessWidth): AccessValue {
    const v = offset === 0x000 ? VIRTIO_MMIO_MAGIC : offset === 0x004 ? this.version : offset === 0x00c ? this.vendor : 0;
    return width === 4 ? v : v & WIDTH_MASK[width];
  }

  /** Snapshot (src/state/state.ts): an empty slot holds no state; its registers are configuration. */
  saveState(): DeviceState {
    return {};
  }

  /** Takes a record from {@link saveState}: there is nothing to restore. */
  restoreState(_state: DeviceState): void {
    // Nothing changes in an empty slot.
  }

  handleWrite(_offset: number, _width: AccessWidth, _val: AccessValue): void {
    // No backend: every register ignores writes (QEMU virtio_mmio_write with no vdev).
  }
}
