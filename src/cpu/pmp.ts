/**
 * Physical memory protection (privileged spec 1.12, section 3.7) for the
 * hart: the 16 pmpcfg/pmpaddr entries as the guest wrote them, their
 * decoded address ranges, and the checks the hart's slow paths, the Sv32
 * walker and the fast-path gates ask for.
 *
 * Owns: the entries and their WARL rules, the decoding (OFF, TOR, NA4,
 * NAPOT, granularity 4 bytes), {@link Pmp.check} for one access and
 * {@link Pmp.covers} for a whole range (a RAM window, a page). Nothing is
 * allocated after construction. The rules, as QEMU 7.2 applies them
 * (checked with guests/pmp): the lowest-numbered entry that matches any
 * byte of an access decides; one that matches only some bytes fails the
 * access, in every mode; M-mode obeys an entry only when it is locked; an
 * S/U access that no entry matches fails (all 16 entries are implemented,
 * so even with every entry OFF); an M access that none matches succeeds.
 */

import { ACC_FETCH, ACC_LOAD, type AccessKind } from './sv32.js';

/** Entries (pmpcfg0-3 hold four each). */
export const PMP_ENTRIES = 16;

const L = 0x80;
const M = 3;
/** 2^34: the physical bus; NAPOT entries may reach past it. */
const BUS_END = 17179869184;

/** The permission bit an access kind needs: fetch X, load R, store W. */
function needBit(acc: AccessKind): number {
  return acc === ACC_FETCH ? 4 : acc === ACC_LOAD ? 1 : 2;
}

/** The PMP unit of one hart. */
export class Pmp {
  /** pmpcfg bytes as held (L, A, X, W, R; bits 6:5 always 0). Write through {@link writeCfg}. */
  readonly cfg = new Uint8Array(PMP_ENTRIES);
  /** pmpaddr registers (address bits 33:2). Write through {@link writeAddr}. */
  readonly addr = new Uint32Array(PMP_ENTRIES);
  /** Decoded ranges [lo, hi) of the entries in use, in priority order, with their cfg byte. */
  private readonly lo = new Float64Array(PMP_ENTRIES);
  private readonly hi = new Float64Array(PMP_ENTRIES);
  private readonly bits = new Uint8Array(PMP_ENTRIES);
  private n = 0;
  /**
   * Bit `3 * c + k`: every access of kind k (0 fetch, 1 load, 2 store) by
   * class c (0 S/U, 1 M) is allowed, wherever it falls. The checks start
   * with it, so a hart whose firmware opened everything pays one test.
   */
  private open = 0x3f;

  /** True when every access by every mode is allowed everywhere: no check can fail. */
  get uniform(): boolean {
    return this.open === 0x3f;
  }

  /** Every entry OFF, unlocked, address 0 (spec 3.4: the reset state QEMU gives). */
  reset(): void {
    this.cfg.fill(0);
    this.addr.fill(0);
    this.decode();
  }

  /** Sets entries as held (a snapshot): `cfg` 16 bytes, `addr` 16 words; the caller validated them. */
  restore(cfg: Uint8Array, addr: Uint32Array): void {
    this.cfg.set(cfg);
    this.addr.set(addr);
    this.decode();
  }

  /**
   * Writes pmpcfg bytes `first`..`first + 3` from `v`: each keeps L, A, X,
   * W, R; a locked byte ignores the write, and so does a byte with R = 0,
   * W = 1 (reserved: the old value stays, as later QEMU versions do; QEMU
   * 7.2 stores every bit). Returns true when some entry changed.
   */
  writeCfg(first: number, v: number): boolean {
    const c = this.cfg;
    let changed = false;
    for (let k = 0; k < 4; k++) {
      const byte = (v >>> (8 * k)) & 0x9f;
      if ((c[first + k] & L) !== 0 || (byte & 3) === 2 || c[first + k] === byte) continue;
      c[first + k] = byte;
      changed = true;
    }
    if (changed) this.decode();
    return changed;
  }

  /**
   * Writes pmpaddr `i`. A locked entry keeps its address, and a locked TOR
   * entry the address below it (spec 3.7.1). Returns true when it changed.
   */
  writeAddr(i: number, v: number): boolean {
    const c = this.cfg;
    if ((c[i] & L) !== 0 || (i + 1 < PMP_ENTRIES && (c[i + 1] & 0x98) === 0x88) || this.addr[i] === v >>> 0) return false;
    this.addr[i] = v;
    this.decode();
    return true;
  }

  /**
   * True when an access of `width` bytes at physical `pa` of kind `acc`
   * by a hart in mode `priv` (the effective mode for loads and stores) is
   * allowed; false means an access fault.
   */
  check(pa: number, width: number, acc: AccessKind, priv: number): boolean {
    if (((this.open >>> ((priv === M ? 3 : 0) + acc)) & 1) !== 0) return true;
    const end = pa + width;
    for (let j = 0; j < this.n; j++) {
      const lo = this.lo[j];
      const hi = this.hi[j];
      if (end <= lo || pa >= hi) continue;
      if (pa < lo || end > hi) return false; // matches some bytes only
      const b = this.bits[j];
      return (priv === M && (b & L) === 0) || (b & needBit(acc)) !== 0;
    }
    return priv === M;
  }

  /**
   * True when every access of kind `acc` by mode `priv` lying wholly in
   * [base, base + size) is allowed, misaligned ones included: the first
   * entry that touches the range holds all of it and grants the access,
   * or (M-mode) no entry touches it. A conservative test for the fast
   * paths: false sends the hart to its slow path, which asks {@link check}.
   */
  covers(base: number, size: number, acc: AccessKind, priv: number): boolean {
    if (((this.open >>> ((priv === M ? 3 : 0) + acc)) & 1) !== 0) return true;
    const end = base + size;
    for (let j = 0; j < this.n; j++) {
      const lo = this.lo[j];
      const hi = this.hi[j];
      if (end <= lo || base >= hi) continue;
      if (base < lo || end > hi) return false;
      const b = this.bits[j];
      return (priv === M && (b & L) === 0) || (b & needBit(acc)) !== 0;
    }
    return priv === M;
  }

  /** Rebuilds the ranges in use and the `open` summary from cfg and addr. */
  private decode(): void {
    let n = 0;
    for (let i = 0; i < PMP_ENTRIES; i++) {
      const c = this.cfg[i];
      const a = (c >>> 3) & 3;
      if (a === 0) continue;
      let lo: number;
      let hi: number;
      const v = this.addr[i];
      if (a === 1) {
        // TOR: [pmpaddr[i-1], pmpaddr[i]) (from 0 for entry 0); empty when reversed.
        lo = i === 0 ? 0 : this.addr[i - 1] * 4;
        hi = v * 4;
      } else if (a === 2) {
        lo = v * 4;
        hi = lo + 4;
      } else {
        // NAPOT: t trailing ones give 2^(t+3) bytes, aligned to their size.
        let t = 0;
        while (t < 32 && ((v >>> t) & 1) === 1) t++;
        const unit = 2 ** (t + 1);
        lo = Math.floor(v / unit) * unit * 4;
        hi = lo + 2 ** (t + 3);
      }
      if (lo >= hi) continue;
      this.lo[n] = lo;
      this.hi[n] = hi;
      this.bits[n] = c;
      n++;
    }
    this.n = n;
    let open = 0;
    for (let cls = 0; cls < 2; cls++) {
      for (let acc = 0; acc < 3; acc++) {
        this.open = 0;
        if (this.covers(0, BUS_END, acc as AccessKind, cls === 1 ? M : 0)) open |= 1 << (3 * cls + acc);
      }
    }
    this.open = open;
  }
}
