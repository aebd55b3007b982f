/**
 * Guest address kinds.
 *
 * Owns the branded number types that name *which* address space a number
 * belongs to. A `GuestPhysAddr` is a guest physical address on the 34-bit
 * bus that Sv32 defines (privileged spec 1.12, section 4.3: physical
 * addresses are 34 bits); a `GuestVirtAddr` is a 32-bit guest virtual
 * address. The brands exist only for the type checker: at run time both are
 * plain numbers, so they cost nothing on the interpreter's hot path.
 */

declare const physBrand: unique symbol;
declare const virtBrand: unique symbol;

/** A guest physical address: an integer in [0, 2^34). Made only by {@link guestPhysAddr}. */
export type GuestPhysAddr = number & { readonly [physBrand]: true };

/** A guest virtual address: an integer in [0, 2^32). Made only by {@link guestVirtAddr}. */
export type GuestVirtAddr = number & { readonly [virtBrand]: true };

/** Width of the guest physical bus in bits (Sv32 physical addresses). */
export const PHYS_ADDR_BITS = 34;
/** One past the highest guest physical address: 2^34. */
export const PHYS_ADDR_LIMIT = 2 ** PHYS_ADDR_BITS;
/** Width of a guest virtual address on RV32. */
export const VIRT_ADDR_BITS = 32;
/** One past the highest guest virtual address: 2^32. */
export const VIRT_ADDR_LIMIT = 2 ** VIRT_ADDR_BITS;

/** Why a number was refused as an address. */
export type AddressErrorReason = 'not-an-integer' | 'negative' | 'beyond-bus';

/** A number that is not a valid address of the named kind. */
export class AddressError extends RangeError {
  readonly value: number;
  readonly kind: 'physical' | 'virtual';
  readonly reason: AddressErrorReason;

  constructor(value: number, kind: 'physical' | 'virtual', reason: AddressErrorReason) {
    const limit = kind === 'physical' ? '2^34' : '2^32';
    const why = reason === 'not-an-integer' ? 'is not an integer'
      : reason === 'negative' ? 'is negative'
      : `is not below ${limit}, the end of the ${kind} address space`;
    super(`guest ${kind} address ${formatAddr(value)} ${why}`);
    Object.defineProperty(this, 'name', { value: 'AddressError', writable: true, configurable: true });
    this.value = value;
    this.kind = kind;
    this.reason = reason;
  }
}

function check(value: number, limit: number, kind: 'physical' | 'virtual'): void {
  if (!Number.isInteger(value)) throw new AddressError(value, kind, 'not-an-integer');
  if (value < 0) throw new AddressError(value, kind, 'negative');
  if (value >= limit) throw new AddressError(value, kind, 'beyond-bus');
}

/**
 * Takes an integer in [0, 2^34) and returns it as a guest physical address.
 * Refuses non-integers (including NaN and infinities), negatives and values
 * at or past 2^34 with an {@link AddressError}.
 */
export function guestPhysAddr(value: number): GuestPhysAddr {
  check(value, PHYS_ADDR_LIMIT, 'physical');
  return value as GuestPhysAddr;
}

/**
 * Takes an integer in [0, 2^32) and returns it as a guest virtual address.
 * Refuses what {@link guestPhysAddr} refuses, with the 2^32 limit.
 */
export function guestVirtAddr(value: number): GuestVirtAddr {
  check(value, VIRT_ADDR_LIMIT, 'virtual');
  return value as GuestVirtAddr;
}

/** True when `value` would be accepted by {@link guestPhysAddr}. */
export function isGuestPhysAddr(value: number): value is GuestPhysAddr {
  return Number.isInteger(value) && value >= 0 && value < PHYS_ADDR_LIMIT;
}

/** Formats any number as a hexadecimal address for messages (`0x8000_0000` style is left to callers). */
export function formatAddr(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (!Number.isInteger(value)) return String(value);
  return value < 0 ? `-0x${(-value).toString(16)}` : `0x${value.toString(16)}`;
}
