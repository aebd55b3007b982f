/**
 * Half-open address ranges `[start, end)`, after the `memory_addr` crate's
 * `AddrRange`.
 *
 * Empty ranges (start === end) are allowed and behave as the crate's do:
 * - an empty range contains no address and overlaps nothing;
 * - an empty range is contained in `r` when its start lies in
 *   `[r.start, r.end]` (so `r.containsRange(empty)` can be true at `r.end`).
 * Layers above decide whether an empty range is acceptable (the address
 * space refuses an empty region: a device must occupy at least one byte).
 *
 * `end` may equal the bus limit (2^34 for physical ranges): it is one past
 * the last address, not itself an address.
 */

import { PHYS_ADDR_LIMIT, formatAddr, type GuestPhysAddr } from './guest-addr.js';

/** Why a range was refused. */
export type AddrRangeErrorReason = 'start-after-end' | 'beyond-bus' | 'bad-size';

/** A range that cannot exist: start > end, past the bus, or a bad size. */
export class AddrRangeError extends RangeError {
  readonly start: number;
  readonly end: number;
  readonly reason: AddrRangeErrorReason;

  constructor(start: number, end: number, reason: AddrRangeErrorReason, detail: string) {
    super(`address range [${formatAddr(start)}, ${formatAddr(end)}) ${detail}`);
    Object.defineProperty(this, 'name', { value: 'AddrRangeError', writable: true, configurable: true });
    this.start = start;
    this.end = end;
    this.reason = reason;
  }
}

/** A half-open range `[start, end)` of addresses of kind `A`. Immutable. */
export class AddrRange<A extends number = GuestPhysAddr> {
  /** First address in the range. */
  readonly start: A;
  /** One past the last address (may equal the bus limit). */
  readonly end: A;

  private constructor(start: A, end: A) {
    this.start = start;
    this.end = end;
    Object.freeze(this);
  }

  /**
   * Takes `start <= end <= busLimit` (integers, start >= 0) and returns the
   * range. Refuses start > end, an end past `busLimit` (default 2^34, the
   * physical bus) and non-integers with an {@link AddrRangeError}.
   */
  static new<A extends number>(start: A, end: number, busLimit: number = PHYS_ADDR_LIMIT): AddrRange<A> {
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0) {
      throw new AddrRangeError(start, end, 'bad-size', 'has a bound that is not a non-negative integer');
    }
    if (start > end) throw new AddrRangeError(start, end, 'start-after-end', 'starts after it ends');
    if (end > busLimit) {
      throw new AddrRangeError(start, end, 'beyond-bus', `ends past the bus limit ${formatAddr(busLimit)}`);
    }
    return new AddrRange(start, end as A);
  }

  /**
   * Takes a start and a size and returns `[start, start + size)`. Refuses a
   * negative or non-integer size and a range that would run past `busLimit`
   * (the 2^32 and 2^34 overflows) with an {@link AddrRangeError}.
   */
  static fromStartSize<A extends number>(start: A, size: number, busLimit: number = PHYS_ADDR_LIMIT): AddrRange<A> {
    if (!Number.isInteger(size) || size < 0) {
      throw new AddrRangeError(start, start + size, 'bad-size', `has size ${size}, not a non-negative integer`);
    }
    return AddrRange.new(start, start + size, busLimit);
  }

  /** Number of addresses in the range (0 for an empty range). */
  get size(): number {
    return this.end - this.start;
  }

  /** True when the range holds no address. */
  isEmpty(): boolean {
    return this.start === this.end;
  }

  /** True when `addr` lies in `[start, end)`. */
  contains(addr: number): boolean {
    return addr >= this.start && addr < this.end;
  }

  /** True when `other` lies entirely inside this range (see the module note on empty ranges). */
  containsRange(other: AddrRange<A>): boolean {
    return this.start <= other.start && other.end <= this.end;
  }

  /** True when this range lies entirely inside `other`. */
  containedIn(other: AddrRange<A>): boolean {
    return other.containsRange(this);
  }

  /** True when the two ranges share at least one address (never for an empty range). */
  overlaps(other: AddrRange<A>): boolean {
    // The bare interval test would call an empty range inside this one overlapping.
    return this.start < other.end && other.start < this.end && this.start !== this.end && other.start !== other.end;
  }

  /** `[0x1000, 0x2000)` */
  toString(): string {
    return `[${formatAddr(this.start)}, ${formatAddr(this.end)})`;
  }
}
