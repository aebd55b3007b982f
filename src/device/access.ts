/**
 * Access widths, values and per-device access rules.
 *
 * The rules follow QEMU's memory API (`MemoryRegionOps.valid` and `.impl`):
 * `valid` is what the guest may do (anything else is a guest-visible access
 * fault), `impl` is what the device's handlers implement (the address space
 * splits wider accesses into pieces of `impl.maxWidth`, little-endian).
 */

/** Width of one access in bytes. */
export type AccessWidth = 1 | 2 | 4 | 8;

/** All access widths, narrowest first. */
export const ACCESS_WIDTHS: readonly AccessWidth[] = Object.freeze([1, 2, 4, 8] as const);

/** True when `w` is 1, 2, 4 or 8. */
export function isAccessWidth(w: number): w is AccessWidth {
  return w === 1 || w === 2 || w === 4 || w === 8;
}

/**
 * The value of one access: an unsigned integer below 2^(8*width).
 * Widths 1, 2 and 4 carry a `number`; width 8 carries a `bigint`, so a
 * 64-bit register keeps every bit (a `number` is exact only below 2^53).
 */
export type AccessValue = number | bigint;

/** Guest-visible access rules (QEMU's `valid`). */
export interface ValidAccess {
  /** Narrowest width the guest may use. */
  readonly minWidth: AccessWidth;
  /** Widest width the guest may use. */
  readonly maxWidth: AccessWidth;
  /** Whether an access need not be aligned to its width. Misaligned device accesses trap when false. */
  readonly unaligned: boolean;
}

/** What the device's handlers implement (QEMU's `impl`). */
export interface ImplAccess {
  /** Widest width `handleRead`/`handleWrite` accept; wider valid accesses are split into this width. */
  readonly maxWidth: AccessWidth;
}

/** A device's access rules. */
export interface AccessRules {
  readonly valid: ValidAccess;
  readonly impl: ImplAccess;
}

/**
 * The rules of a device that says nothing: any width, aligned, handled
 * whole (an 8-byte access reaches the device as one `bigint` access).
 */
export const DEFAULT_ACCESS_RULES: AccessRules = Object.freeze({
  valid: Object.freeze({ minWidth: 1, maxWidth: 8, unaligned: false }),
  impl: Object.freeze({ maxWidth: 8 }),
}) as AccessRules;

/** Rules for a 32-bit register file: byte to word accesses, aligned, never 64-bit (e.g. PLIC, GPIO). */
export const WORD_ACCESS_RULES: AccessRules = Object.freeze({
  valid: Object.freeze({ minWidth: 1, maxWidth: 4, unaligned: false }),
  impl: Object.freeze({ maxWidth: 4 }),
}) as AccessRules;

/**
 * Builds access rules from a partial description. Refuses rules that cannot
 * be honoured (min > max, or a handler narrower than the narrowest valid
 * access, which would need read-modify-write) with a `RangeError`.
 */
export function accessRules(spec: {
  minWidth?: AccessWidth;
  maxWidth?: AccessWidth;
  unaligned?: boolean;
  implMaxWidth?: AccessWidth;
}): AccessRules {
  const minWidth = spec.minWidth ?? 1;
  const maxWidth = spec.maxWidth ?? 8;
  const implMax = spec.implMaxWidth ?? maxWidth;
  if (!isAccessWidth(minWidth) || !isAccessWidth(maxWidth) || !isAccessWidth(implMax)) {
    throw new RangeError('access widths must be 1, 2, 4 or 8');
  }
  if (minWidth > maxWidth) throw new RangeError(`access rules: minWidth ${minWidth} > maxWidth ${maxWidth}`);
  if (implMax < minWidth) {
    throw new RangeError(`access rules: implMaxWidth ${implMax} is narrower than minWidth ${minWidth}`);
  }
  return Object.freeze({
    valid: Object.freeze({ minWidth, maxWidth, unaligned: spec.unaligned ?? false }),
    impl: Object.freeze({ maxWidth: implMax }),
  });
}
