/**
 * Where the device tree goes in guest RAM: QEMU 7.2's rule (hw/riscv/boot.c,
 * `riscv_load_fdt`), with a fallback for boards with little RAM.
 *
 *   top  = ramBase < 3 GiB ? min(ramEnd, 3 GiB) : ramEnd
 *   addr = alignDown(top - size, 2 MiB)
 *
 * When that would leave less than half of the RAM below `top` under the
 * tree, the highest 4 KiB-aligned address where the blob fits below the same
 * top instead. Pass 1 MiB as `blobSize` to reproduce 7.2 exactly. Why, and
 * the figures checked against QEMU: docs/design.md#the-device-tree.
 */

import { FdtError } from '../fdt/index.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const LIMIT_32 = 3 * GiB;

/**
 * Returns the guest physical address for a blob of `blobSize` bytes in RAM
 * `[ramBase, ramBase + ramSize)` (see the module note for the rule).
 * Refuses non-integer or negative arguments and a blob that does not fit
 * below the top with an {@link FdtError}.
 */
export function fdtPlacement(ramBase: number, ramSize: number, blobSize: number): number {
  for (const [what, v] of [['ramBase', ramBase], ['ramSize', ramSize], ['blobSize', blobSize]] as const) {
    if (!Number.isSafeInteger(v) || v < 0) throw new FdtError('bad-value', '', `${what} ${v} is not a non-negative integer`);
  }
  const ramEnd = ramBase + ramSize;
  const top = ramBase < LIMIT_32 ? Math.min(ramEnd, LIMIT_32) : ramEnd;
  if (blobSize === 0 || top - ramBase < blobSize) {
    throw new FdtError('no-room', '', `a ${blobSize}-byte tree does not fit in RAM [0x${ramBase.toString(16)}, 0x${top.toString(16)})`);
  }
  const qemu = alignDown(top - blobSize, 2 * MiB);
  if (qemu >= ramBase + (top - ramBase) / 2) return qemu;
  for (const align of [4096, 8]) {
    const addr = alignDown(top - blobSize, align);
    if (addr >= ramBase) return addr;
  }
  throw new FdtError('no-room', '', `no 8-byte aligned place for a ${blobSize}-byte tree in RAM at 0x${ramBase.toString(16)}`);
}

function alignDown(v: number, a: number): number {
  return v - (v % a);
}
