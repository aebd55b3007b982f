/**
 * Alignment helpers for addresses and sizes on a bus wider than 32 bits.
 *
 * JavaScript's bitwise operators truncate to 32 bits, and the physical bus is
 * 34 bits wide, so these use arithmetic. `align` must be a power of two;
 * callers pass constants, so a bad one is a programming error and throws.
 */

function checkAlign(align: number): void {
  if (!Number.isInteger(align) || align <= 0 || (align & (align - 1)) !== 0 || align > 2 ** 30) {
    throw new RangeError(`alignment ${align} is not a power of two in [1, 2^30]`);
  }
}

/** True when `value` is a multiple of `align` (a power of two). */
export function isAligned(value: number, align: number): boolean {
  checkAlign(align);
  return value % align === 0;
}

/** The largest multiple of `align` that is <= `value`. */
export function alignDown(value: number, align: number): number {
  checkAlign(align);
  return value - (value % align);
}

/** The smallest multiple of `align` that is >= `value`. */
export function alignUp(value: number, align: number): number {
  checkAlign(align);
  const rem = value % align;
  return rem === 0 ? value : value + (align - rem);
}
