/**
 * What the address space refuses, at registration time and at access time.
 *
 * Registration errors are thrown (they are the monitor's own mistakes or a
 * bad board file). Access faults are never thrown: the access methods return
 * a failure value and leave an {@link AccessFault} in `lastFault`, which the
 * hart turns into a load/store/fetch access (or misaligned) exception.
 */

import { formatAddr, type AddrRange, type GuestPhysAddr } from '../addr/index.js';
import type { AccessWidth } from '../device/index.js';

/** Two regions would share addresses. Names both. */
export class RegionOverlapError extends Error {
  /** The region being added. */
  readonly region: string;
  readonly range: AddrRange<GuestPhysAddr>;
  /** The region already there. */
  readonly other: string;
  readonly otherRange: AddrRange<GuestPhysAddr>;

  constructor(region: string, range: AddrRange<GuestPhysAddr>, other: string, otherRange: AddrRange<GuestPhysAddr>) {
    super(`region '${region}' ${range} overlaps '${other}' ${otherRange}`);
    Object.defineProperty(this, 'name', { value: 'RegionOverlapError', writable: true, configurable: true });
    this.region = region;
    this.range = range;
    this.other = other;
    this.otherRange = otherRange;
  }
}

/** Why a registration or removal was refused (other than an overlap). */
export type AddressSpaceErrorReason =
  | 'empty-region' // a region must hold at least one byte
  | 'duplicate-name' // names identify regions in errors, traces and removal
  | 'unknown-region' // removal or overlay of a region that is not registered
  | 'overlay-outside' // an overlay must lie inside the region it names
  | 'overlay-target' // overlays sit on RAM or ROM, not on devices or other overlays
  | 'bad-size'; // RAM size not a positive integer, or backing bytes of the wrong length

/** A registration or removal the address space refused. */
export class AddressSpaceError extends Error {
  readonly reason: AddressSpaceErrorReason;
  /** The region the request named. */
  readonly region: string;

  constructor(reason: AddressSpaceErrorReason, region: string, message: string) {
    super(`region '${region}': ${message}`);
    Object.defineProperty(this, 'name', { value: 'AddressSpaceError', writable: true, configurable: true });
    this.reason = reason;
    this.region = region;
  }
}

/** Why an access failed; each is guest-visible. */
export type AccessFaultKind =
  | 'unassigned' // nothing is mapped at the address
  | 'crosses-boundary' // the access starts in one region and ends outside it
  | 'misaligned' // a device access not aligned to its width, on a device that refuses that
  | 'width-refused' // a width outside the device's valid range
  | 'read-only' // a write to ROM
  | 'device-error'; // the device handler refused or failed

/** An access the guest made that the address space could not complete. */
export class AccessFault extends Error {
  readonly kind: AccessFaultKind;
  readonly op: 'read' | 'write';
  /** The guest physical address of the access (its first byte). */
  readonly address: number;
  readonly width: AccessWidth;
  /** The region that refused it, or null when nothing is mapped there. */
  readonly region: string | null;

  constructor(
    kind: AccessFaultKind,
    op: 'read' | 'write',
    address: number,
    width: AccessWidth,
    region: string | null,
    cause?: unknown,
  ) {
    const where = region === null ? '' : ` in '${region}'`;
    const why = cause instanceof Error ? `: ${cause.message}` : cause === undefined ? '' : `: ${String(cause)}`;
    super(`${op} of ${width} byte(s) at ${formatAddr(address)}${where}: ${kind}${why}`, cause === undefined ? undefined : { cause });
    // Defined, not assigned: on a board, preloading freezes Error.prototype, so assigning the
    // inherited read-only `name` throws (every error class of src/ does the same).
    Object.defineProperty(this, 'name', { value: 'AccessFault', writable: true, configurable: true });
    this.kind = kind;
    this.op = op;
    this.address = address;
    this.width = width;
    this.region = region;
  }
}
