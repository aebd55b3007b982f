/**
 * What every device model shares: a name and the guest physical window it
 * occupies, both fixed at construction, and its kind. A machine places
 * each model (src/machine/map.ts); a model knows only its own window
 * size, and its handlers receive offsets into that window.
 */

import { AddrRange, guestPhysAddr, type GuestPhysAddr } from '../addr/index.js';
import type { EmuDeviceType } from '../device/index.js';

/** Where a device goes and what it is called. */
export interface MmioPlacement {
  /** The name given, or undefined for `defaultName`. */
  readonly name: unknown;
  readonly defaultName: string;
  /** Guest physical address of the window's first byte. */
  readonly base: number;
  /** Bytes in the window. */
  readonly size: number;
  readonly kind: EmuDeviceType;
}

/** The name, window and kind of a device model (the non-handler half of `BaseDeviceOps`). */
export abstract class MmioDevice {
  readonly name: string;
  protected readonly range: AddrRange<GuestPhysAddr>;
  private readonly kind: EmuDeviceType;

  /** Refuses a name that is not a non-empty string (TypeError), and a base or size the bus cannot hold (AddressError, AddrRangeError). */
  constructor(placement: MmioPlacement) {
    const n = placement.name ?? placement.defaultName;
    if (typeof n !== 'string' || n.length === 0) throw new TypeError(`device name ${String(n)} is not a non-empty string`);
    this.name = n;
    this.range = AddrRange.fromStartSize(guestPhysAddr(placement.base), placement.size);
    this.kind = placement.kind;
  }

  emuType(): EmuDeviceType {
    return this.kind;
  }

  addressRange(): AddrRange<GuestPhysAddr> {
    return this.range;
  }
}
