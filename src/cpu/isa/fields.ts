/**
 * Instruction fields and immediates of RV32IMAC, as bit layouts (unprivileged
 * ISA 20191213, 2.2-2.3 and 16.2-16.3), and the two ways to read them: at
 * run time ({@link fieldValue}, for decoders off the hot path) and as
 * JavaScript source ({@link fieldSource}, for the interpreter's generator
 * and the JIT). Each layout is written once here.
 */

/** A field: parts of the word, `[high bit, low bit, bit of the value the low bit lands at]`; `signed`: the value's top bit is its sign. */
export interface BitField {
  readonly signed: boolean;
  readonly parts: readonly (readonly [number, number, number])[];
  /** The parts as (low bit, mask, bit it lands at) triples, and the shift that sign-extends: for {@link fieldValue}. */
  readonly steps: readonly number[];
  readonly signShift: number;
}

function field(signed: boolean, ...parts: [number, number, number][]): BitField {
  const steps: number[] = [];
  let top = 0;
  for (const [hi, lo, at] of parts) {
    steps.push(lo, (1 << (hi - lo + 1)) - 1, at);
    top = Math.max(top, at + hi - lo);
  }
  return Object.freeze({
    signed, parts: Object.freeze(parts.map((p) => Object.freeze(p))), steps: Object.freeze(steps), signShift: signed ? 31 - top : 0,
  });
}

/** Fields of the 32-bit formats. */
export const Fields = Object.freeze({
  rd: field(false, [11, 7, 0]),
  rs1: field(false, [19, 15, 0]),
  rs2: field(false, [24, 20, 0]),
  funct3: field(false, [14, 12, 0]),
  funct7: field(false, [31, 25, 0]),
  funct5: field(false, [31, 27, 0]),
  csr: field(false, [31, 20, 0]),
  immI: field(true, [31, 20, 0]),
  immS: field(true, [31, 25, 5], [11, 7, 0]),
  immB: field(true, [31, 31, 12], [30, 25, 5], [11, 8, 1], [7, 7, 11]),
  immU: field(true, [31, 12, 12]),
  immJ: field(true, [31, 31, 20], [30, 21, 1], [20, 20, 11], [19, 12, 12]),
});

/** Fields of the 16-bit (RVC) formats, read from the parcel (16.2, tables 16.1-16.3). */
export const RvcFields = Object.freeze({
  /** rd/rs1 (CR, CI). */
  rd: field(false, [11, 7, 0]),
  /** rs2 (CR, CSS). */
  rs2: field(false, [6, 2, 0]),
  /** rd'/rs1' (bits 9:7), naming x8-x15: add 8. */
  rs1p: field(false, [9, 7, 0]),
  /** rd'/rs2' (bits 4:2), naming x8-x15: add 8. */
  rs2p: field(false, [4, 2, 0]),
  /** CI: imm[5] = bit 12, imm[4:0] = bits 6:2 (C.ADDI, C.LI, C.ANDI; C.LUI's nzimm[17:12]). */
  imm6: field(true, [12, 12, 5], [6, 2, 0]),
  /** CI shifts: shamt[4:0] = bits 6:2 (shamt[5], bit 12, is reserved on RV32C). */
  shamt: field(false, [6, 2, 0]),
  /** C.LWSP: uimm[5] = bit 12, uimm[4:2] = bits 6:4, uimm[7:6] = bits 3:2. */
  lwsp: field(false, [12, 12, 5], [6, 4, 2], [3, 2, 6]),
  /** C.SWSP: uimm[5:2] = bits 12:9, uimm[7:6] = bits 8:7. */
  swsp: field(false, [12, 9, 2], [8, 7, 6]),
  /** C.LW, C.SW: uimm[5:3] = bits 12:10, uimm[2] = bit 6, uimm[6] = bit 5. */
  lsw: field(false, [12, 10, 3], [6, 6, 2], [5, 5, 6]),
  /** C.ADDI4SPN: nzuimm[5:4|9:6|2|3] = bits 12:11|10:7|6|5. */
  addi4spn: field(false, [12, 11, 4], [10, 7, 6], [6, 6, 2], [5, 5, 3]),
  /** C.ADDI16SP: nzimm[9|4|6|8:7|5] = bits 12|6|5|4:3|2. */
  addi16sp: field(true, [12, 12, 9], [6, 6, 4], [5, 5, 6], [4, 3, 7], [2, 2, 5]),
  /** C.BEQZ, C.BNEZ: offset[8|4:3|7:6|2:1|5] = bits 12|11:10|6:5|4:3|2. */
  branch: field(true, [12, 12, 8], [11, 10, 3], [6, 5, 6], [4, 3, 1], [2, 2, 5]),
  /** C.J, C.JAL: offset[11|4|9:8|10|6|7|3:1|5] = bits 12|11|10:9|8|7|6|5:3|2. */
  jump: field(true, [12, 12, 11], [11, 11, 4], [10, 9, 8], [8, 8, 10], [7, 7, 6], [6, 6, 7], [5, 3, 1], [2, 2, 5]),
});

/** The highest bit of the value a field yields. */
function topBit(f: BitField): number {
  let top = 0;
  for (const [hi, lo, at] of f.parts) top = Math.max(top, at + hi - lo);
  return top;
}

/**
 * The value of field `f` in `word` (int32, sign-extended when the field is
 * signed). Off the interpreter's inline paths, but on the expansion of
 * every compressed instruction they leave (under Sv32, every load and
 * store): a plain indexed loop, nothing allocated.
 */
export function fieldValue(f: BitField, word: number): number {
  const steps = f.steps;
  let v = 0;
  for (let i = 0; i < steps.length; i += 3) v |= ((word >>> steps[i]!) & steps[i + 1]!) << steps[i + 2]!;
  const k = f.signShift;
  return (v << k) >> k;
}

const hex = (n: number): string => (n >= 0 && n < 10 ? `${n}` : n < 0 ? `~0x${(~n >>> 0).toString(16)}` : `0x${n.toString(16)}`);

/** One part moved to bit `at`, as source. */
function partSource(v: string, hi: number, lo: number, at: number): string {
  if (hi === 31 && at === 0) return lo === 0 ? v : `(${v} >>> ${lo})`;
  const mask = hex(((1 << (hi - lo + 1)) - 1) << at);
  if (lo > at) return `((${v} >>> ${lo - at}) & ${mask})`;
  if (lo < at) return `((${v} << ${at - lo}) & ${mask})`;
  return `(${v} & ${mask})`;
}

/**
 * JavaScript source of an expression over the variable `v` giving the value
 * of field `f` divided by 2^`shift` (the interpreter counts pc in 2-byte
 * parcels: shift 1 gives a branch offset in parcels; the bits shifted out
 * must be zero). The shapes are those written by hand for XS, where each
 * operator costs: a sign from bit 31 comes with one `>>`, a lone sign bit
 * elsewhere is subtracted.
 */
export function fieldSource(f: BitField, v: string, shift = 0): string {
  const terms: string[] = [];
  const top = topBit(f);
  let sign = '';
  for (const [hi, lo, at] of f.parts) {
    if (at < shift) throw new Error(`fieldSource: bit ${at} would be shifted out`);
    if (f.signed && hi === 31) {
      // An arithmetic shift brings bit 31 and the sign above it; the mask clears what lies below this part.
      const sh = 31 - (at + hi - lo - shift);
      const moved = sh === 0 ? v : `(${v} >> ${sh})`;
      terms.push(at === shift ? moved : `(${moved} & ${hex(-(1 << (at - shift)))})`);
    } else if (f.signed && at + hi - lo === top) {
      if (hi !== lo) throw new Error('fieldSource: a sign part below bit 31 must be one bit');
      sign = partSource(v, hi, lo, at - shift);
    } else {
      terms.push(partSource(v, hi, lo, at - shift));
    }
  }
  const rest = terms.length === 1 ? terms[0] : `(${terms.join(' | ')})`;
  return sign === '' ? rest : `(${rest} - ${sign})`;
}

/** Bits 6:0, the major opcode. */
export const opcode = (inst: number): number => inst & 0x7f;
/** Bits 11:7. */
export const rd = (inst: number): number => fieldValue(Fields.rd, inst);
/** Bits 19:15. */
export const rs1 = (inst: number): number => fieldValue(Fields.rs1, inst);
/** Bits 24:20. */
export const rs2 = (inst: number): number => fieldValue(Fields.rs2, inst);
/** Bits 14:12. */
export const funct3 = (inst: number): number => fieldValue(Fields.funct3, inst);
/** Bits 31:25. */
export const funct7 = (inst: number): number => fieldValue(Fields.funct7, inst);
/** Bits 31:27 (the AMO operation). */
export const funct5 = (inst: number): number => fieldValue(Fields.funct5, inst);
/** The CSR number, bits 31:20. */
export const csrNumber = (inst: number): number => fieldValue(Fields.csr, inst);
/** I-type immediate, sign-extended: inst[31:20]. */
export const immI = (inst: number): number => fieldValue(Fields.immI, inst);
/** S-type immediate, sign-extended: inst[31:25] | inst[11:7]. */
export const immS = (inst: number): number => fieldValue(Fields.immS, inst);
/** B-type immediate, sign-extended, bit 0 zero: inst[31|7|30:25|11:8]. */
export const immB = (inst: number): number => fieldValue(Fields.immB, inst);
/** U-type immediate: inst[31:12] << 12, as an int32. */
export const immU = (inst: number): number => fieldValue(Fields.immU, inst);
/** J-type immediate, sign-extended, bit 0 zero: inst[31|19:12|20|30:21]. */
export const immJ = (inst: number): number => fieldValue(Fields.immJ, inst);

/** True when the 16-bit parcel `parcel` starts a compressed (16-bit) instruction: bits 1:0 are not 11. */
export function isCompressed(parcel: number): boolean {
  return (parcel & 3) !== 3;
}

/** Length in bytes (2 or 4) of the instruction whose first parcel is `parcel`. Longer encodings (bits 4:2 = 111) count as 4: this hart treats them as illegal 32-bit words. */
export function instructionLength(parcel: number): 2 | 4 {
  return (parcel & 3) === 3 ? 4 : 2;
}
