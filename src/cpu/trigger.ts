/**
 * The trigger module (RISC-V Debug Specification 0.13.2 / 1.0, Sdtrig) of
 * the hart, as QEMU 7.2 implements it (target/riscv/debug.c; every rule
 * below was checked with guests/trigger under qemu-system-riscv32 7.2):
 * two triggers selected by tselect, each an address match (mcontrol, type
 * 2, or mcontrol6, type 6) on execute, load and store in the modes its M,
 * S and U bits name, whose only action is a breakpoint exception.
 *
 * Owns: tselect, tdata1 and tdata2 of each trigger, their WARL rules, and
 * the matching the hart's slow paths ask for. The hart keeps these checks
 * off its fast paths while nothing is armed (see hart.ts, `armed`).
 *
 * QEMU 7.2's rules: tselect ignores values >= 2; tinfo reads 0x44 (types 2
 * and 6); a tdata1 write of another type is ignored; type 2 keeps sizelo,
 * M, S, U, execute, store and load (dmode, hit, select, timing, action,
 * chain and match read 0); type 6 keeps vs, vu, M, S, U, execute, store,
 * load and a size of 0-3 or 5; tdata3 reads 0 and ignores writes. A data
 * trigger watches [tdata2, tdata2 + len) and fires for an access
 * overlapping it, where len is the size field as a byte count (QEMU passes
 * the encoding itself: size 3 watches 3 bytes), or 4 (type 2) or 8 (type 6)
 * for size 0; an AMO is both a load and a store, LR a load, a successful SC
 * a store. An execute trigger fires for the instruction starting at
 * tdata2. The mode that counts is the hart's, not MPRV's effective mode.
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
