/**
 * The device contract: what every emulated device offers the address space.
 *
 * Shaped after axdevice_base's `BaseDeviceOps` (emu_type, address_range,
 * handle_read, handle_write) with two additions: a `name` for errors and
 * traces, and optional QEMU-style access rules.
 */

import type { AddrRange, GuestPhysAddr } from '../addr/index.js';
import type { AccessRules, AccessValue, AccessWidth } from './access.js';
import type { EmuDeviceType } from './emu-type.js';

export interface BaseDeviceOps {
  /** A short unique name, used in errors, traces and statistics (e.g. `uart0`). */
  readonly name: string;

  /**
   * Access rules (QEMU's `valid`/`impl`). Omitted means
   * `DEFAULT_ACCESS_RULES`: any width, aligned, handled whole.
   */
  readonly accessRules?: AccessRules;

  /** The kind of device. */
  emuType(): EmuDeviceType;

  /** The guest physical range the device occupies; must not change while registered. */
  addressRange(): AddrRange<GuestPhysAddr>;

  /**
   * Reads `width` bytes at byte `offset` from the start of
   * `addressRange()` (the access lies inside the range, is allowed by the
   * rules and is never wider than `impl.maxWidth`: QEMU's MemoryRegionOps
   * and rust-vmm's bus hand devices offsets too). Returns an unsigned integer
   * below 2^(8*width): a `number` for widths 1, 2 and 4 (an int32 such as
   * -1 is accepted and read as its unsigned value), a `bigint` for width 8.
   * May throw `DeviceError` to refuse the access: the guest sees an
   * access fault.
   */
  handleRead(offset: number, width: AccessWidth): AccessValue;

  /**
   * Writes `val` (unsigned, below 2^(8*width); a `bigint` for width 8) to
   * `width` bytes at byte `offset` of the device's range. May throw
   * `DeviceError` to refuse it.
   */
  handleWrite(offset: number, width: AccessWidth, val: AccessValue): void;
}

