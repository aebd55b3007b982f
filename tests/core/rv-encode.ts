/**
 * A small RV32IMAC + Zicsr + privileged-instruction encoder for the hart's
 * tests, and a builder that lays instructions out in memory with labels.
 *
 * Written from the format figures of the unprivileged ISA (chapter 2.2-2.3,
 * 24 "RV32/64G instruction set listings", 16.2-16.8 and tables 16.4-16.7
 * for RVC), not from src/cpu/isa/, so that it checks the decoder
 * rather than mirroring it. Compressed immediates are placed with
 * `scatter`, which reads the spec figures literally: the list names, from
 * the highest instruction bit of the field down, which immediate bit goes
 * there (e.g. C.ADDI4SPN's "nzuimm[5:4|9:6|2|3]" in bits 12:5 is
 * [5, 4, 9, 8, 7, 6, 2, 3]).
 */

// Register numbers by ABI name, for readability.
export const zero = 0, ra = 1, sp = 2, gp = 3, tp = 4, t0 = 5, t1 = 6, t2 = 7, s0 = 8, s1 = 9;
export const a0 = 10, a1 = 11, a2 = 12, a3 = 13, a4 = 14, a5 = 15, a6 = 16, a7 = 17;
export const s2 = 18, s3 = 19, s4 = 20, s5 = 21, s6 = 22, s7 = 23, s8 = 24, s9 = 25, s10 = 26, s11 = 27;
export const t3 = 28, t4 = 29, t5 = 30, t6 = 31;

function reg(r: number): number {
  if (!Number.isInteger(r) || r < 0 || r > 31) throw new RangeError(`bad register ${r}`);
  return r;
}

function fits(imm: number, bits: number, signed: boolean): void {
  const lo = signed ? -(2 ** (bits - 1)) : 0;
  const hi = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  if (!Number.isInteger(imm) || imm < lo || imm > hi) throw new RangeError(`immediate ${imm} does not fit ${bits} bits`);
}

/** Bit `n` of `v`. */
function bit(v: number, n: number): number {
  return Math.floor(v / 2 ** n) % 2 === 0 ? 0 : 1;
}

/**
 * Places immediate bits into an instruction field whose highest bit is
 * `top`: `order[k]` is the immediate bit that lands in instruction bit
 * `top - k`. Works on two's-complement values (negative numbers included).
 */
export function scatter(imm: number, top: number, order: number[]): number {
  const u = imm < 0 ? imm + 2 ** 32 : imm;
  let w = 0;
  order.forEach((immBit, k) => {
    w |= bit(u, immBit) << (top - k);
  });
  return w >>> 0;
}

// ------------------------------------------------------------------ formats (unprivileged ISA figure 2.3)

export function rType(opcode: number, rd: number, f3: number, rs1: number, rs2: number, f7: number): number {
  return ((f7 << 25) | (reg(rs2) << 20) | (reg(rs1) << 15) | (f3 << 12) | (reg(rd) << 7) | opcode) >>> 0;
}

export function iType(opcode: number, rd: number, f3: number, rs1: number, imm: number): number {
  fits(imm, 12, true);
  return (((imm & 0xfff) << 20) | (reg(rs1) << 15) | (f3 << 12) | (reg(rd) << 7) | opcode) >>> 0;
}

export function sType(opcode: number, f3: number, rs1: number, rs2: number, imm: number): number {
  fits(imm, 12, true);
  const hi = scatter(imm, 31, [11, 10, 9, 8, 7, 6, 5]);
  const lo = scatter(imm, 11, [4, 3, 2, 1, 0]);
  return (hi | (reg(rs2) << 20) | (reg(rs1) << 15) | (f3 << 12) | lo | opcode) >>> 0;
}

export function bType(f3: number, rs1: number, rs2: number, offset: number): number {
  fits(offset, 13, true);
  if (offset % 2 !== 0) throw new RangeError('branch offsets are even');
  // imm[12|10:5] in bits 31:25, imm[4:1|11] in bits 11:7.
  const hi = scatter(offset, 31, [12, 10, 9, 8, 7, 6, 5]);
  const lo = scatter(offset, 11, [4, 3, 2, 1, 11]);
  return (hi | (reg(rs2) << 20) | (reg(rs1) << 15) | (f3 << 12) | lo | 0x63) >>> 0;
}

export function uType(opcode: number, rd: number, imm20: number): number {
  fits(imm20, 20, false);
  return ((imm20 << 12) | (reg(rd) << 7) | opcode) >>> 0;
}

export function jType(rd: number, offset: number): number {
  fits(offset, 21, true);
  if (offset % 2 !== 0) throw new RangeError('jump offsets are even');
  // imm[20|10:1|11|19:12] in bits 31:12.
  const imm = scatter(offset, 31, [20, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 11, 19, 18, 17, 16, 15, 14, 13, 12]);
  return (imm | (reg(rd) << 7) | 0x6f) >>> 0;
}

// ------------------------------------------------------------------ RV32I

export const lui = (rd: number, imm20: number): number => uType(0x37, rd, imm20);
export const auipc = (rd: number, imm20: number): number => uType(0x17, rd, imm20);
export const jal = (rd: number, offset: number): number => jType(rd, offset);
export const jalr = (rd: number, rs1: number, imm = 0): number => iType(0x67, rd, 0, rs1, imm);
export const beq = (rs1: number, rs2: number, off: number): number => bType(0, rs1, rs2, off);
export const bne = (rs1: number, rs2: number, off: number): number => bType(1, rs1, rs2, off);
export const blt = (rs1: number, rs2: number, off: number): number => bType(4, rs1, rs2, off);
export const bge = (rs1: number, rs2: number, off: number): number => bType(5, rs1, rs2, off);
export const bltu = (rs1: number, rs2: number, off: number): number => bType(6, rs1, rs2, off);
export const bgeu = (rs1: number, rs2: number, off: number): number => bType(7, rs1, rs2, off);
export const lb = (rd: number, rs1: number, imm = 0): number => iType(0x03, rd, 0, rs1, imm);
export const lh = (rd: number, rs1: number, imm = 0): number => iType(0x03, rd, 1, rs1, imm);
export const lw = (rd: number, rs1: number, imm = 0): number => iType(0x03, rd, 2, rs1, imm);
export const lbu = (rd: number, rs1: number, imm = 0): number => iType(0x03, rd, 4, rs1, imm);
export const lhu = (rd: number, rs1: number, imm = 0): number => iType(0x03, rd, 5, rs1, imm);
export const sb = (rs2: number, rs1: number, imm = 0): number => sType(0x23, 0, rs1, rs2, imm);
export const sh = (rs2: number, rs1: number, imm = 0): number => sType(0x23, 1, rs1, rs2, imm);
export const sw = (rs2: number, rs1: number, imm = 0): number => sType(0x23, 2, rs1, rs2, imm);
export const addi = (rd: number, rs1: number, imm: number): number => iType(0x13, rd, 0, rs1, imm);
export const slti = (rd: number, rs1: number, imm: number): number => iType(0x13, rd, 2, rs1, imm);
export const sltiu = (rd: number, rs1: number, imm: number): number => iType(0x13, rd, 3, rs1, imm);
export const xori = (rd: number, rs1: number, imm: number): number => iType(0x13, rd, 4, rs1, imm);
export const ori = (rd: number, rs1: number, imm: number): number => iType(0x13, rd, 6, rs1, imm);
export const andi = (rd: number, rs1: number, imm: number): number => iType(0x13, rd, 7, rs1, imm);
function shiftImm(f3: number, f7: number, rd: number, rs1: number, shamt: number): number {
  fits(shamt, 5, false);
  return rType(0x13, rd, f3, rs1, shamt, f7);
}
export const slli = (rd: number, rs1: number, sh: number): number => shiftImm(1, 0, rd, rs1, sh);
export const srli = (rd: number, rs1: number, sh: number): number => shiftImm(5, 0, rd, rs1, sh);
export const srai = (rd: number, rs1: number, sh: number): number => shiftImm(5, 0x20, rd, rs1, sh);
export const add = (rd: number, rs1: number, rs2: number): number => rType(0x33, rd, 0, rs1, rs2, 0);
export const sub = (rd: number, rs1: number, rs2: number): number => rType(0x33, rd, 0, rs1, rs2, 0x20);
export const sll = (rd: number, rs1: number, rs2: number): number => rType(0x33, rd, 1, rs1, rs2, 0);
export const slt = (rd: number, rs1: number, rs2: number): number => rType(0x33, rd, 2, rs1, rs2, 0);
export const sltu = (rd: number, rs1: number, rs2: number): number => rType(0x33, rd, 3, rs1, rs2, 0);
export const xor = (rd: number, rs1: number, rs2: number): number => rType(0x33, rd, 4, rs1, rs2, 0);
export const srl = (rd: number, rs1: number, rs2: number): number => rType(0x33, rd, 5, rs1, rs2, 0);
export const sra = (rd: number, rs1: number, rs2: number): number => rType(0x33, rd, 5, rs1, rs2, 0x20);
export const or = (rd: number, rs1: number, rs2: number): number => rType(0x33, rd, 6, rs1, rs2, 0);
export const and = (rd: number, rs1: number, rs2: number): number => rType(0x33, rd, 7, rs1, rs2, 0);
/** FENCE pred, succ (4-bit sets IORW); fm 0. */
export const fence = (pred = 0xf, succ = 0xf): number => (((pred << 24) | (succ << 20) | 0x0f) >>> 0);
export const fenceI = (): number => 0x0000100f;
export const ecall = (): number => 0x00000073;
export const ebreak = (): number => 0x00100073;

// ------------------------------------------------------------------ M

const mOp = (f3: number) => (rd: number, rs1: number, rs2: number): number => rType(0x33, rd, f3, rs1, rs2, 1);
export const mul = mOp(0), mulh = mOp(1), mulhsu = mOp(2), mulhu = mOp(3);
export const div = mOp(4), divu = mOp(5), rem = mOp(6), remu = mOp(7);

// ------------------------------------------------------------------ A (funct5 in bits 31:27, aq bit 26, rl bit 25)

function amo(f5: number, rd: number, rs1: number, rs2: number, aq = 0, rl = 0): number {
  return rType(0x2f, rd, 2, rs1, rs2, (f5 << 2) | (aq << 1) | rl);
}
export const lrW = (rd: number, rs1: number, aq = 0, rl = 0): number => amo(0b00010, rd, rs1, 0, aq, rl);
export const scW = (rd: number, rs2: number, rs1: number, aq = 0, rl = 0): number => amo(0b00011, rd, rs1, rs2, aq, rl);
/** AMO funct5 values (unprivileged ISA table 24.2). */
export const AMO = Object.freeze({ add: 0b00000, swap: 0b00001, xor: 0b00100, or: 0b01000, and: 0b01100, min: 0b10000, max: 0b10100, minu: 0b11000, maxu: 0b11100 });
export const amoW = (op: keyof typeof AMO, rd: number, rs2: number, rs1: number): number => amo(AMO[op], rd, rs1, rs2);
/** Any encoding of the AMO major opcode, for illegal-encoding tests. */
export const amoRaw = (f5: number, f3: number, rd: number, rs1: number, rs2: number): number =>
  rType(0x2f, rd, f3, rs1, rs2, f5 << 2);

// ------------------------------------------------------------------ Zicsr and privileged

function csrOp(f3: number, rd: number, csr: number, src: number): number {
  fits(csr, 12, false);
  return ((csr << 20) | (src << 15) | (f3 << 12) | (reg(rd) << 7) | 0x73) >>> 0;
}
export const csrrw = (rd: number, csr: number, rs1: number): number => csrOp(1, rd, csr, reg(rs1));
export const csrrs = (rd: number, csr: number, rs1: number): number => csrOp(2, rd, csr, reg(rs1));
export const csrrc = (rd: number, csr: number, rs1: number): number => csrOp(3, rd, csr, reg(rs1));
export const csrrwi = (rd: number, csr: number, uimm: number): number => (fits(uimm, 5, false), csrOp(5, rd, csr, uimm));
export const csrrsi = (rd: number, csr: number, uimm: number): number => (fits(uimm, 5, false), csrOp(6, rd, csr, uimm));
export const csrrci = (rd: number, csr: number, uimm: number): number => (fits(uimm, 5, false), csrOp(7, rd, csr, uimm));
export const csrr = (rd: number, csr: number): number => csrrs(rd, csr, 0);
export const csrw = (csr: number, rs1: number): number => csrrw(0, csr, rs1);
export const mret = (): number => 0x30200073;
export const sret = (): number => 0x10200073;
export const wfi = (): number => 0x10500073;
export const sfenceVma = (rs1 = 0, rs2 = 0): number => rType(0x73, 0, 0, rs1, rs2, 0b0001001);

// ------------------------------------------------------------------ RV32C (16-bit parcels; figure 16.1 formats)

function creg(r: number): number {
  if (r < 8 || r > 15) throw new RangeError(`register x${r} is not one of x8-x15`);
  return r - 8;
}
const q = (f3: number, body: number, quadrant: number): number => ((f3 << 13) | body | quadrant) >>> 0;

export const cAddi4spn = (rd: number, nzuimm: number): number =>
  q(0, scatter(nzuimm, 12, [5, 4, 9, 8, 7, 6, 2, 3]) | (creg(rd) << 2), 0);
export const cLw = (rd: number, rs1: number, uimm: number): number =>
  q(2, scatter(uimm, 12, [5, 4, 3]) | (creg(rs1) << 7) | scatter(uimm, 6, [2, 6]) | (creg(rd) << 2), 0);
export const cSw = (rs2: number, rs1: number, uimm: number): number =>
  q(6, scatter(uimm, 12, [5, 4, 3]) | (creg(rs1) << 7) | scatter(uimm, 6, [2, 6]) | (creg(rs2) << 2), 0);
export const cNop = (): number => 0x0001;
const ci = (f3: number, rd: number, imm: number, quadrant: number): number =>
  q(f3, scatter(imm, 12, [5]) | (reg(rd) << 7) | scatter(imm, 6, [4, 3, 2, 1, 0]), quadrant);
export const cAddi = (rd: number, imm: number): number => ci(0, rd, imm, 1);
const cjOff = (off: number): number => scatter(off, 12, [11, 4, 9, 8, 10, 6, 7, 3, 2, 1, 5]);
export const cJal = (off: number): number => q(1, cjOff(off), 1);
export const cLi = (rd: number, imm: number): number => ci(2, rd, imm, 1);
export const cAddi16sp = (nzimm: number): number =>
  q(3, scatter(nzimm, 12, [9]) | (2 << 7) | scatter(nzimm, 6, [4, 6, 8, 7, 5]), 1);
/** C.LUI rd, nzimm[17:12] given as the 6-bit field value (sign-extended by the hart). */
export const cLui = (rd: number, imm6: number): number => ci(3, rd, imm6, 1);
export const cSrli = (rd: number, shamt: number): number =>
  q(4, scatter(shamt, 12, [5]) | (0 << 10) | (creg(rd) << 7) | scatter(shamt, 6, [4, 3, 2, 1, 0]), 1);
export const cSrai = (rd: number, shamt: number): number =>
  q(4, scatter(shamt, 12, [5]) | (1 << 10) | (creg(rd) << 7) | scatter(shamt, 6, [4, 3, 2, 1, 0]), 1);
export const cAndi = (rd: number, imm: number): number =>
  q(4, scatter(imm, 12, [5]) | (2 << 10) | (creg(rd) << 7) | scatter(imm, 6, [4, 3, 2, 1, 0]), 1);
const ca = (f2: number, rd: number, rs2: number): number => q(4, (3 << 10) | (creg(rd) << 7) | (f2 << 5) | (creg(rs2) << 2), 1);
export const cSub = (rd: number, rs2: number): number => ca(0, rd, rs2);
export const cXor = (rd: number, rs2: number): number => ca(1, rd, rs2);
export const cOr = (rd: number, rs2: number): number => ca(2, rd, rs2);
export const cAnd = (rd: number, rs2: number): number => ca(3, rd, rs2);
export const cJ = (off: number): number => q(5, cjOff(off), 1);
const cbOff = (off: number): number => scatter(off, 12, [8, 4, 3]) | scatter(off, 6, [7, 6, 2, 1, 5]);
export const cBeqz = (rs1: number, off: number): number => q(6, cbOff(off) | (creg(rs1) << 7), 1);
export const cBnez = (rs1: number, off: number): number => q(7, cbOff(off) | (creg(rs1) << 7), 1);
export const cSlli = (rd: number, shamt: number): number => ci(0, rd, shamt, 2);
export const cLwsp = (rd: number, uimm: number): number =>
  q(2, scatter(uimm, 12, [5]) | (reg(rd) << 7) | scatter(uimm, 6, [4, 3, 2, 7, 6]), 2);
export const cJr = (rs1: number): number => q(4, (0 << 12) | (reg(rs1) << 7), 2);
export const cMv = (rd: number, rs2: number): number => q(4, (0 << 12) | (reg(rd) << 7) | (reg(rs2) << 2), 2);
export const cEbreak = (): number => 0x9002;
export const cJalr = (rs1: number): number => q(4, (1 << 12) | (reg(rs1) << 7), 2);
export const cAdd = (rd: number, rs2: number): number => q(4, (1 << 12) | (reg(rd) << 7) | (reg(rs2) << 2), 2);
export const cSwsp = (rs2: number, uimm: number): number =>
  q(6, scatter(uimm, 12, [5, 4, 3, 2, 7, 6]) | (reg(rs2) << 2), 2);

// ------------------------------------------------------------------ layout

/** An item of a program: a 32-bit word, a 16-bit parcel, or either computed once labels are known. */
type Item =
  | { size: 2 | 4; value: number }
  | { size: 2 | 4; make: (pc: number, label: (name: string) => number) => number };

/**
 * Lays out instructions from `base`: `i()` appends 32-bit words, `c()`
 * 16-bit parcels, `at()` resolves labels (`label(name)` marks the current
 * address). `bytes()` returns the little-endian image.
 */
export class Program {
  readonly base: number;
  private readonly items: Item[] = [];
  private readonly labels = new Map<string, number>();
  private size = 0;

  constructor(base: number) {
    this.base = base;
  }

  /** The address the next item will have. */
  get here(): number {
    return this.base + this.size;
  }

  /** Appends 32-bit instruction words. */
  i(...words: number[]): this {
    for (const w of words) {
      this.items.push({ size: 4, value: w });
      this.size += 4;
    }
    return this;
  }

  /** Appends 16-bit parcels. */
  c(...parcels: number[]): this {
    for (const p of parcels) {
      this.items.push({ size: 2, value: p });
      this.size += 2;
    }
    return this;
  }

  /** Appends an item of `size` bytes computed from its own address and the label table. */
  at(size: 2 | 4, make: (pc: number, label: (name: string) => number) => number): this {
    this.items.push({ size, make });
    this.size += size;
    return this;
  }

  /** Marks the current address as `name`. */
  label(name: string): this {
    this.labels.set(name, this.here);
    return this;
  }

  /** The address of label `name`. */
  addr(name: string): number {
    const a = this.labels.get(name);
    if (a === undefined) throw new Error(`no label ${name}`);
    return a;
  }

  /** Appends `li rd, value` as LUI + ADDI (always two words). */
  li(rd: number, value: number): this {
    const v = value | 0;
    const lo = (v << 20) >> 20;
    const hi = ((v - lo) >>> 12) & 0xfffff;
    return this.i(lui(rd, hi), addi(rd, rd, lo));
  }

  /** The image. */
  bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let off = 0;
    const label = (name: string): number => this.addr(name);
    for (const it of this.items) {
      const pc = this.base + off;
      const v = 'value' in it ? it.value : it.make(pc, label);
      for (let k = 0; k < it.size; k++) out[off + k] = (v >>> (8 * k)) & 0xff;
      off += it.size;
    }
    return out;
  }
}
