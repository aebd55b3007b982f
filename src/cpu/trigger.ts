/**
 * The trigger module of the hart (RISC-V Debug Specification 0.13.2 / 1.0,
 * Sdtrig) as QEMU 7.2 implements it: two address-match triggers (mcontrol,
 * type 2, or mcontrol6, type 6) on execute, load and store, whose only
 * action is a breakpoint exception.
 *
 * Owns tselect, tdata1 and tdata2 of each trigger, their WARL rules, and the
 * matching the hart's slow paths ask for; the hart keeps these checks off its
 * fast paths while nothing is armed (`armed`). Writes of other types are
 * ignored, as in QEMU 7.2. The WARL rules, the watched ranges and the checks
 * against QEMU (guests/trigger): docs/design.md#pmp-and-triggers.
 */

/** Triggers implemented (QEMU 7.2: 2). */
export const TRIGGERS = 2;

/** tinfo: types 2 (mcontrol) and 6 (mcontrol6). */
export const TINFO = (1 << 2) | (1 << 6);

/** tdata1 of a trigger after reset: type 2, nothing enabled. */
const TDATA1_RESET = 0x20000000;

/** Kinds of match, as in tdata1: load, store, execute. */
export const TRIG_LOAD = 1;
export const TRIG_STORE = 2;
export const TRIG_EXEC = 4;

/** The legal value a tdata1 write of `v` leaves, or -1 when the write is ignored. */
export function tdata1Legal(v: number): number {
  const type = v >>> 28;
  if (type === 2) return (0x20000000 | (v & 0x3005f)) >>> 0;
  if (type === 6) {
    const size = (v >>> 16) & 15;
    return (0x60000000 | (v & 0x0180005f) | (size <= 3 || size === 5 ? size << 16 : 0)) >>> 0;
  }
  return -1;
}

/** The trigger state of one hart. */
export class Triggers {
  /** tselect. */
  select = 0;
  /** tdata1 and tdata2 of each trigger. */
  readonly tdata1 = new Uint32Array(TRIGGERS).fill(TDATA1_RESET);
  readonly tdata2 = new Uint32Array(TRIGGERS);

  /** Both triggers type 2, disabled, tdata2 0; tselect 0. */
  reset(): void {
    this.select = 0;
    this.tdata1.fill(TDATA1_RESET);
    this.tdata2.fill(0);
  }

  /**
   * The kinds (TRIG_LOAD | TRIG_STORE | TRIG_EXEC) some trigger matches in
   * mode `priv` (0 U, 1 S, 3 M): 0 when nothing can fire there.
   */
  armed(priv: number): number {
    let k = 0;
    for (let i = 0; i < TRIGGERS; i++) {
      const t = this.tdata1[i];
      if (((t >>> 3) & (1 << priv)) !== 0) k |= t & 7;
    }
    return k;
  }

  /** True when a trigger of kind `kind` (TRIG_LOAD or TRIG_STORE) fires for `width` bytes at virtual `a` (unsigned) in mode `priv`. */
  data(a: number, width: number, kind: number, priv: number): boolean {
    for (let i = 0; i < TRIGGERS; i++) {
      const t = this.tdata1[i];
      if ((t & kind) === 0 || ((t >>> 3) & (1 << priv)) === 0) continue;
      const size = (t >>> 16) & 15;
      const len = size !== 0 ? size : t >>> 28 === 6 ? 8 : 4;
      const lo = this.tdata2[i];
      if (a < lo + len && lo < a + width) return true;
    }
    return false;
  }

  /** True when an execute trigger fires for the instruction at `pc` (unsigned) in mode `priv`. */
  exec(pc: number, priv: number): boolean {
    for (let i = 0; i < TRIGGERS; i++) {
      const t = this.tdata1[i];
      if ((t & TRIG_EXEC) !== 0 && ((t >>> 3) & (1 << priv)) !== 0 && this.tdata2[i] === pc) return true;
    }
    return false;
  }

  /** True when an execute trigger armed in mode `priv` watches an address in [base, base + size). */
  execIn(base: number, size: number, priv: number): boolean {
    for (let i = 0; i < TRIGGERS; i++) {
      const t = this.tdata1[i];
      if ((t & TRIG_EXEC) !== 0 && ((t >>> 3) & (1 << priv)) !== 0 && this.tdata2[i] >= base && this.tdata2[i] < base + size) return true;
    }
    return false;
  }
}
