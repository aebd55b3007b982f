/**
 * The upper halves of 32 x 32 -> 64-bit products (MULH, MULHSU, MULHU of
 * the M extension, unprivileged ISA chapter 7.1), exact, with plain number
 * arithmetic: no BigInt, so nothing is allocated.
 *
 * Products are formed from 16-bit limbs so that every partial sum stays
 * below 2^53. Low halves need no help: `Math.imul` is exact.
 */

/** Takes two int32 (or uint32) values, reads them as unsigned, returns the high 32 bits of their product as an int32. */
export function mulhu(a: number, b: number): number {
  const al = a & 0xffff;
  const ah = a >>> 16;
  const bl = b & 0xffff;
  const bh = b >>> 16;
  const ll = al * bl;
  const lh = al * bh;
  const hl = ah * bl;
  const mid = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  return (ah * bh + (lh >>> 16) + (hl >>> 16) + (mid >>> 16)) | 0;
}

/** Takes two int32 values, returns the high 32 bits of their signed product as an int32. */
export function mulh(a: number, b: number): number {
  // hi_signed = hi_unsigned - (a < 0 ? b : 0) - (b < 0 ? a : 0)  (mod 2^32)
  let hi = mulhu(a, b);
  if (a < 0) hi = (hi - b) | 0;
  if (b < 0) hi = (hi - a) | 0;
  return hi;
}

/** Takes an int32 `a` (signed) and `b` (read as unsigned), returns the high 32 bits of their product as an int32. */
export function mulhsu(a: number, b: number): number {
  let hi = mulhu(a, b);
  if (a < 0) hi = (hi - b) | 0;
  return hi;
}
