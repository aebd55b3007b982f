/**
 * Helpers for devices whose registers are 32-bit words but which accept
 * narrower accesses: byte lanes are little-endian, as the RISC-V bus is.
 */

import { DeviceError, type AccessWidth } from '../device/index.js';

const LANE_MASK = [0, 0xff, 0xffff, 0, 0xffffffff];

/** The part of the 32-bit `word` that an access of `width` bytes at byte `offset` reads. */
export function laneRead(word: number, offset: number, width: AccessWidth): number {
  if (width === 4) return word >>> 0;
  return (word >>> ((offset & 3) * 8)) & LANE_MASK[width];
}

/** `word` with the lanes of an access of `width` bytes at `offset` replaced by `value`. */
export function laneMerge(word: number, offset: number, width: AccessWidth, value: number): number {
  if (width === 4) return value >>> 0;
  const shift = (offset & 3) * 8;
  const mask = LANE_MASK[width] << shift;
  return ((word & ~mask) | ((value << shift) & mask)) >>> 0;
}

/** `value` placed in its lanes, zeros elsewhere (for write-1-to-clear registers). */
export function laneOnly(offset: number, width: AccessWidth, value: number): number {
  if (width === 4) return value >>> 0;
  return ((value & LANE_MASK[width]) << ((offset & 3) * 8)) >>> 0;
}

/** The value of a 1-, 2- or 4-byte access as a number (an 8-byte one never reaches a device whose impl is 4). */
export function num(value: number | bigint): number {
  return typeof value === 'bigint' ? Number(value & 0xffffffffn) : value;
}

/** Builds the error for an offset where a device has no register. */
export function noRegister(device: string, addr: number, width: AccessWidth, detail: string): DeviceError {
  return new DeviceError({ kind: 'unsupported-register', address: addr, width, device, detail });
}
