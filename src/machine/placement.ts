/**
 * Where the device tree goes in guest RAM: QEMU's rule, with a fallback for
 * boards with little RAM.
 *
 * QEMU 7.2 (hw/riscv/boot.c, `riscv_load_fdt`; `riscv_compute_fdt_addr`
 * from 8.0) puts the tree as high as possible so that a kernel and initrd
 * loaded low do not overwrite it, yet addressable by a 32-bit kernel:
 *
 *   top  = ramBase < 3 GiB ? min(ramEnd, 3 GiB) : ramEnd
 *   addr = alignDown(top - size, 2 MiB)
 *
 * Checked against qemu-system-riscv32 7.2 `-M virt -bios none` (a1 at
 * entry): -m 128M -> 0x87e00000, 16M -> 0x80e00000, 3M -> 0x80200000,
 * 2G and 3G -> 0xbfe00000 (capped at 3 GiB). QEMU 7.2 takes `size` before
 * packing the tree, i.e. its 1 MiB buffer (8.0 fixed that to the packed
 * size); the results above are the same with either for RAM sizes that are
 * multiples of 2 MiB. Pass 1 MiB as `blobSize` to reproduce 7.2 exactly.
 *
 * Little RAM: when that address would leave less than half of the RAM
 * below `top` under the tree (QEMU would put it at or near the RAM base, over the kernel,
 * e.g. for 256 KiB), xsvisor instead takes the highest 4 KiB-aligned
 * address where the blob fits below the same top. The spec needs only 8-byte
 * alignment (DT spec 0.4, 5.1); 4 KiB keeps it on its own page.
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
