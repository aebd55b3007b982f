// encode.ts: a RISC-V machine-code encoder for the instruction formats the
// test generators emit (RV32I, M, A, Zicsr and RV32C), so tests can build
// guest images without an assembler. Bit layouts follow the RISC-V
// Unprivileged ISA 20191213: section 2.2-2.3 (R/I/S/B/U/J formats),
// chapter 24 (opcode map) and chapter 16, tables 16.5-16.7 (RVC).
// Every encoder checks its operands and throws RangeError rather than
// silently truncating an immediate.

export type Reg = number;

/** ABI register names, for readable generators and messages. */
export const X = {
  zero: 0, ra: 1, sp: 2, gp: 3, tp: 4, t0: 5, t1: 6, t2: 7, s0: 8, s1: 9,
  a0: 10, a1: 11, a2: 12, a3: 13, a4: 14, a5: 15, a6: 16, a7: 17,
  s2: 18, s3: 19, s4: 20, s5: 21, s6: 22, s7: 23, s8: 24, s9: 25, s10: 26, s11: 27,
  t3: 28, t4: 29, t5: 30, t6: 31,
} as const;

function reg(r: Reg, what = 'register'): number {
  if (!Number.isInteger(r) || r < 0 || r > 31) throw new RangeError(`${what} out of range: ${r}`);
  return r;
}

/** x8..x15, the registers reachable by the 3-bit fields of CIW/CL/CS/CA/CB. */
function creg(r: Reg): number {
  if (!Number.isInteger(r) || r < 8 || r > 15) throw new RangeError(`compressed register must be x8..x15: ${r}`);
  return r - 8;
}

function signedFits(v: number, bits: number): boolean {
  return Number.isInteger(v) && v >= -(2 ** (bits - 1)) && v < 2 ** (bits - 1);
}

function checkSigned(v: number, bits: number, what: string): void {
  if (!signedFits(v, bits)) throw new RangeError(`${what} does not fit ${bits} signed bits: ${v}`);
}

function checkUnsigned(v: number, bits: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v >= 2 ** bits) throw new RangeError(`${what} does not fit ${bits} unsigned bits: ${v}`);
}

function checkMultiple(v: number, m: number, what: string): void {
  if (v % m !== 0) throw new RangeError(`${what} must be a multiple of ${m}: ${v}`);
}

/** bit `i` of v (v may be negative: two's complement). */
function bit(v: number, i: number): number {
  return (v >> i) & 1;
}

/** bits hi..lo of v, right-aligned. */
function bits(v: number, hi: number, lo: number): number {
  return (v >> lo) & ((1 << (hi - lo + 1)) - 1);
}

// ---- base formats (section 2.3) ----

export function rType(opcode: number, rd: Reg, funct3: number, rs1: Reg, rs2: Reg, funct7: number): number {
  return ((funct7 << 25) | (reg(rs2) << 20) | (reg(rs1) << 15) | (funct3 << 12) | (reg(rd) << 7) | opcode) >>> 0;
}

export function iType(opcode: number, rd: Reg, funct3: number, rs1: Reg, imm: number): number {
  checkSigned(imm, 12, 'I-immediate');
  return (((imm & 0xfff) << 20) | (reg(rs1) << 15) | (funct3 << 12) | (reg(rd) << 7) | opcode) >>> 0;
}

export function sType(opcode: number, funct3: number, rs1: Reg, rs2: Reg, imm: number): number {
  checkSigned(imm, 12, 'S-immediate');
  return ((bits(imm, 11, 5) << 25) | (reg(rs2) << 20) | (reg(rs1) << 15) | (funct3 << 12) |
    (bits(imm, 4, 0) << 7) | opcode) >>> 0;
}

export function bType(opcode: number, funct3: number, rs1: Reg, rs2: Reg, offset: number): number {
  checkSigned(offset, 13, 'branch offset');
  checkMultiple(offset, 2, 'branch offset');
  return ((bit(offset, 12) << 31) | (bits(offset, 10, 5) << 25) | (reg(rs2) << 20) | (reg(rs1) << 15) |
    (funct3 << 12) | (bits(offset, 4, 1) << 8) | (bit(offset, 11) << 7) | opcode) >>> 0;
}

/** imm20 is the value of bits 31:12 (0..0xfffff). */
export function uType(opcode: number, rd: Reg, imm20: number): number {
  checkUnsigned(imm20, 20, 'U-immediate');
  return ((imm20 << 12) | (reg(rd) << 7) | opcode) >>> 0;
}

export function jType(opcode: number, rd: Reg, offset: number): number {
  checkSigned(offset, 21, 'jump offset');
  checkMultiple(offset, 2, 'jump offset');
  return ((bit(offset, 20) << 31) | (bits(offset, 10, 1) << 21) | (bit(offset, 11) << 20) |
    (bits(offset, 19, 12) << 12) | (reg(rd) << 7) | opcode) >>> 0;
}

// ---- RV32I / M ----

const OP = 0x33, OP_IMM = 0x13, LOAD = 0x03, STORE = 0x23, BRANCH = 0x63;
const LUI = 0x37, AUIPC = 0x17, JAL = 0x6f, JALR = 0x67, SYSTEM = 0x73, AMO = 0x2f, MISC_MEM = 0x0f;

export type AluOp = 'add' | 'sub' | 'sll' | 'slt' | 'sltu' | 'xor' | 'srl' | 'sra' | 'or' | 'and';
export type MulOp = 'mul' | 'mulh' | 'mulhsu' | 'mulhu' | 'div' | 'divu' | 'rem' | 'remu';
export type AluImmOp = 'addi' | 'slti' | 'sltiu' | 'xori' | 'ori' | 'andi';
export type ShiftImmOp = 'slli' | 'srli' | 'srai';
export type LoadOp = 'lb' | 'lh' | 'lw' | 'lbu' | 'lhu';
export type StoreOp = 'sb' | 'sh' | 'sw';
export type BranchOp = 'beq' | 'bne' | 'blt' | 'bge' | 'bltu' | 'bgeu';
export type AmoOp = 'amoswap' | 'amoadd' | 'amoxor' | 'amoand' | 'amoor' | 'amomin' | 'amomax' | 'amominu' | 'amomaxu';
export type CsrOp = 'csrrw' | 'csrrs' | 'csrrc';
export type CsrImmOp = 'csrrwi' | 'csrrsi' | 'csrrci';

const ALU: Record<AluOp, [number, number]> = {
  add: [0, 0x00], sub: [0, 0x20], sll: [1, 0x00], slt: [2, 0x00], sltu: [3, 0x00],
  xor: [4, 0x00], srl: [5, 0x00], sra: [5, 0x20], or: [6, 0x00], and: [7, 0x00],
};
const MUL: Record<MulOp, number> = { mul: 0, mulh: 1, mulhsu: 2, mulhu: 3, div: 4, divu: 5, rem: 6, remu: 7 };
const ALU_IMM: Record<AluImmOp, number> = { addi: 0, slti: 2, sltiu: 3, xori: 4, ori: 6, andi: 7 };
const SHIFT_IMM: Record<ShiftImmOp, [number, number]> = { slli: [1, 0x00], srli: [5, 0x00], srai: [5, 0x20] };
const LOADS: Record<LoadOp, number> = { lb: 0, lh: 1, lw: 2, lbu: 4, lhu: 5 };
const STORES: Record<StoreOp, number> = { sb: 0, sh: 1, sw: 2 };
const BRANCHES: Record<BranchOp, number> = { beq: 0, bne: 1, blt: 4, bge: 5, bltu: 6, bgeu: 7 };
const AMOS: Record<AmoOp, number> = {
  amoadd: 0x00, amoswap: 0x01, amoxor: 0x04, amoor: 0x08, amoand: 0x0c,
  amomin: 0x10, amomax: 0x14, amominu: 0x18, amomaxu: 0x1c,
};
const CSR_OPS: Record<CsrOp, number> = { csrrw: 1, csrrs: 2, csrrc: 3 };
const CSR_IMM_OPS: Record<CsrImmOp, number> = { csrrwi: 5, csrrsi: 6, csrrci: 7 };

export const ALU_OPS = Object.keys(ALU) as AluOp[];
export const MUL_OPS = Object.keys(MUL) as MulOp[];
export const ALU_IMM_OPS = Object.keys(ALU_IMM) as AluImmOp[];
export const SHIFT_IMM_OPS = Object.keys(SHIFT_IMM) as ShiftImmOp[];
export const LOAD_OPS = Object.keys(LOADS) as LoadOp[];
export const STORE_OPS = Object.keys(STORES) as StoreOp[];
export const BRANCH_OPS = Object.keys(BRANCHES) as BranchOp[];
export const AMO_OPS = Object.keys(AMOS) as AmoOp[];

/** Access width in bytes of a load or store. */
export function accessSize(op: LoadOp | StoreOp): 1 | 2 | 4 {
  return op === 'lb' || op === 'lbu' || op === 'sb' ? 1 : op === 'lh' || op === 'lhu' || op === 'sh' ? 2 : 4;
}

export function alu(op: AluOp, rd: Reg, rs1: Reg, rs2: Reg): number {
  const [f3, f7] = ALU[op];
  return rType(OP, rd, f3, rs1, rs2, f7);
}

export function mulOp(op: MulOp, rd: Reg, rs1: Reg, rs2: Reg): number {
  return rType(OP, rd, MUL[op], rs1, rs2, 0x01);
}

export function aluImm(op: AluImmOp, rd: Reg, rs1: Reg, imm: number): number {
  return iType(OP_IMM, rd, ALU_IMM[op], rs1, imm);
}

export function shiftImm(op: ShiftImmOp, rd: Reg, rs1: Reg, shamt: number): number {
  checkUnsigned(shamt, 5, 'shift amount');
  const [f3, f7] = SHIFT_IMM[op];
  return rType(OP_IMM, rd, f3, rs1, shamt, f7);
}

export function load(op: LoadOp, rd: Reg, offset: number, rs1: Reg): number {
  return iType(LOAD, rd, LOADS[op], rs1, offset);
}

export function store(op: StoreOp, rs2: Reg, offset: number, rs1: Reg): number {
  return sType(STORE, STORES[op], rs1, rs2, offset);
}

export function branch(op: BranchOp, rs1: Reg, rs2: Reg, offset: number): number {
  return bType(BRANCH, BRANCHES[op], rs1, rs2, offset);
}

export function lui(rd: Reg, imm20: number): number {
  return uType(LUI, rd, imm20);
}

export function auipc(rd: Reg, imm20: number): number {
  return uType(AUIPC, rd, imm20);
}

export function jal(rd: Reg, offset: number): number {
  return jType(JAL, rd, offset);
}

export function jalr(rd: Reg, rs1: Reg, offset: number): number {
  return iType(JALR, rd, 0, rs1, offset);
}

export function amo(op: AmoOp, rd: Reg, rs2: Reg, rs1: Reg, aq = false, rl = false): number {
  return rType(AMO, rd, 2, rs1, rs2, (AMOS[op] << 2) | (aq ? 2 : 0) | (rl ? 1 : 0));
}

export function lrW(rd: Reg, rs1: Reg, aq = false, rl = false): number {
  return rType(AMO, rd, 2, rs1, 0, (0x02 << 2) | (aq ? 2 : 0) | (rl ? 1 : 0));
}

export function scW(rd: Reg, rs2: Reg, rs1: Reg, aq = false, rl = false): number {
  return rType(AMO, rd, 2, rs1, rs2, (0x03 << 2) | (aq ? 2 : 0) | (rl ? 1 : 0));
}

export function csr(op: CsrOp, rd: Reg, csrNum: number, rs1: Reg): number {
  checkUnsigned(csrNum, 12, 'CSR number');
  return ((csrNum << 20) | (reg(rs1) << 15) | (CSR_OPS[op] << 12) | (reg(rd) << 7) | SYSTEM) >>> 0;
}

export function csrImm(op: CsrImmOp, rd: Reg, csrNum: number, uimm: number): number {
  checkUnsigned(csrNum, 12, 'CSR number');
  checkUnsigned(uimm, 5, 'CSR immediate');
  return ((csrNum << 20) | (uimm << 15) | (CSR_IMM_OPS[op] << 12) | (reg(rd) << 7) | SYSTEM) >>> 0;
}

export const ECALL = 0x00000073;
export const EBREAK = 0x00100073;
export const MRET = 0x30200073;
export const SRET = 0x10200073;
export const WFI = 0x10500073;
export const FENCE_I = 0x0000100f;
export const NOP = 0x00000013;

/** fence pred, succ: each a subset of "iorw". */
export function fence(pred = 'iorw', succ = 'iorw'): number {
  const set = (s: string): number =>
    (s.includes('i') ? 8 : 0) | (s.includes('o') ? 4 : 0) | (s.includes('r') ? 2 : 0) | (s.includes('w') ? 1 : 0);
  return ((set(pred) << 24) | (set(succ) << 20) | MISC_MEM) >>> 0;
}

/**
 * Split a 32-bit constant into lui/addi parts (the `li` expansion): returns
 * [hi20, lo12] with value == (hi20 << 12) + lo12 modulo 2^32.
 */
export function splitConstant(value: number): [number, number] {
  const v = value | 0;
  const lo = ((v & 0xfff) ^ 0x800) - 0x800;
  const hi = ((v - lo) >>> 12) & 0xfffff;
  return [hi, lo];
}

/** `li rd, value` as one (addi) or two (lui + addi) instructions. */
export function li(rd: Reg, value: number): number[] {
  const v = value | 0;
  if (signedFits(v, 12)) return [aluImm('addi', rd, 0, v)];
  const [hi, lo] = splitConstant(v);
  return lo === 0 ? [lui(rd, hi)] : [lui(rd, hi), aluImm('addi', rd, rd, lo)];
}

// ---- RV32C (chapter 16) ----

const C0 = 0b00, C1 = 0b01, C2 = 0b10;

/** c.addi4spn rd', sp, nzuimm (multiple of 4, 4..1020) */
export function cAddi4spn(rd: Reg, nzuimm: number): number {
  checkUnsigned(nzuimm, 10, 'c.addi4spn immediate');
  checkMultiple(nzuimm, 4, 'c.addi4spn immediate');
  if (nzuimm === 0) throw new RangeError('c.addi4spn immediate must be nonzero');
  const imm = (bits(nzuimm, 5, 4) << 6) | (bits(nzuimm, 9, 6) << 2) | (bit(nzuimm, 2) << 1) | bit(nzuimm, 3);
  return (0b000 << 13) | (imm << 5) | (creg(rd) << 2) | C0;
}

function clsOffset(uimm: number, what: string): number {
  checkUnsigned(uimm, 7, what);
  checkMultiple(uimm, 4, what);
  return (bits(uimm, 5, 3) << 10) | (bit(uimm, 2) << 6) | (bit(uimm, 6) << 5);
}

/** c.lw rd', uimm(rs1'), uimm multiple of 4, 0..124 */
export function cLw(rd: Reg, uimm: number, rs1: Reg): number {
  return (0b010 << 13) | clsOffset(uimm, 'c.lw offset') | (creg(rs1) << 7) | (creg(rd) << 2) | C0;
}

/** c.sw rs2', uimm(rs1') */
export function cSw(rs2: Reg, uimm: number, rs1: Reg): number {
  return (0b110 << 13) | clsOffset(uimm, 'c.sw offset') | (creg(rs1) << 7) | (creg(rs2) << 2) | C0;
}

function ciImm6(imm: number, what: string): number {
  checkSigned(imm, 6, what);
  return (bit(imm, 5) << 12) | (bits(imm, 4, 0) << 2);
}

export const C_NOP = 0x0001;
export const C_EBREAK = 0x9002;

/** c.addi rd, nzimm; rd = 0 or imm = 0 are HINTs (c.nop is both 0). */
export function cAddi(rd: Reg, imm: number): number {
  return (0b000 << 13) | ciImm6(imm, 'c.addi immediate') | (reg(rd) << 7) | C1;
}

function cjOffset(offset: number): number {
  checkSigned(offset, 12, 'c.j offset');
  checkMultiple(offset, 2, 'c.j offset');
  return (bit(offset, 11) << 12) | (bit(offset, 4) << 11) | (bits(offset, 9, 8) << 9) | (bit(offset, 10) << 8) |
    (bit(offset, 6) << 7) | (bit(offset, 7) << 6) | (bits(offset, 3, 1) << 3) | (bit(offset, 5) << 2);
}

/** c.jal offset (RV32 only): jal ra, offset */
export function cJal(offset: number): number {
  return (0b001 << 13) | cjOffset(offset) | C1;
}

export function cJ(offset: number): number {
  return (0b101 << 13) | cjOffset(offset) | C1;
}

export function cLi(rd: Reg, imm: number): number {
  return (0b010 << 13) | ciImm6(imm, 'c.li immediate') | (reg(rd) << 7) | C1;
}

/** c.addi16sp nzimm: multiple of 16 in -512..496, nonzero */
export function cAddi16sp(nzimm: number): number {
  checkSigned(nzimm, 10, 'c.addi16sp immediate');
  checkMultiple(nzimm, 16, 'c.addi16sp immediate');
  if (nzimm === 0) throw new RangeError('c.addi16sp immediate must be nonzero');
  return (0b011 << 13) | (bit(nzimm, 9) << 12) | (2 << 7) | (bit(nzimm, 4) << 6) | (bit(nzimm, 6) << 5) |
    (bits(nzimm, 8, 7) << 3) | (bit(nzimm, 5) << 2) | C1;
}

/** c.lui rd, nzimm6 where rd != 0, 2 and nzimm6 in -32..31, nonzero: rd = nzimm6 << 12 */
export function cLui(rd: Reg, nzimm6: number): number {
  if (rd === 0 || rd === 2) throw new RangeError('c.lui rd must not be x0 or x2');
  if (nzimm6 === 0) throw new RangeError('c.lui immediate must be nonzero');
  return (0b011 << 13) | ciImm6(nzimm6, 'c.lui immediate') | (reg(rd) << 7) | C1;
}

function cbShift(funct2: number, rd: Reg, shamt: number): number {
  checkUnsigned(shamt, 5, 'RV32C shift amount');   // shamt[5] = 1 is reserved on RV32
  return (0b100 << 13) | (funct2 << 10) | (creg(rd) << 7) | (shamt << 2) | C1;
}

export function cSrli(rd: Reg, shamt: number): number {
  return cbShift(0b00, rd, shamt);
}

export function cSrai(rd: Reg, shamt: number): number {
  return cbShift(0b01, rd, shamt);
}

export function cAndi(rd: Reg, imm: number): number {
  return (0b100 << 13) | ciImm6(imm, 'c.andi immediate') | (0b10 << 10) | (creg(rd) << 7) | C1;
}

export type CArithOp = 'c.sub' | 'c.xor' | 'c.or' | 'c.and';
const C_ARITH: Record<CArithOp, number> = { 'c.sub': 0, 'c.xor': 1, 'c.or': 2, 'c.and': 3 };
export const C_ARITH_OPS = Object.keys(C_ARITH) as CArithOp[];

export function cArith(op: CArithOp, rd: Reg, rs2: Reg): number {
  return (0b100011 << 10) | (creg(rd) << 7) | (C_ARITH[op] << 5) | (creg(rs2) << 2) | C1;
}

function cbOffset(offset: number): number {
  checkSigned(offset, 9, 'c.beqz/c.bnez offset');
  checkMultiple(offset, 2, 'c.beqz/c.bnez offset');
  return (bit(offset, 8) << 12) | (bits(offset, 4, 3) << 10) | (bits(offset, 7, 6) << 5) |
    (bits(offset, 2, 1) << 3) | (bit(offset, 5) << 2);
}

export function cBeqz(rs1: Reg, offset: number): number {
  return (0b110 << 13) | cbOffset(offset) | (creg(rs1) << 7) | C1;
}

export function cBnez(rs1: Reg, offset: number): number {
  return (0b111 << 13) | cbOffset(offset) | (creg(rs1) << 7) | C1;
}

export function cSlli(rd: Reg, shamt: number): number {
  checkUnsigned(shamt, 5, 'RV32C shift amount');
  return (0b000 << 13) | (reg(rd) << 7) | (shamt << 2) | C2;
}

/** c.lwsp rd, uimm(sp): rd != 0, uimm multiple of 4, 0..252 */
export function cLwsp(rd: Reg, uimm: number): number {
  if (rd === 0) throw new RangeError('c.lwsp rd must not be x0');
  checkUnsigned(uimm, 8, 'c.lwsp offset');
  checkMultiple(uimm, 4, 'c.lwsp offset');
  return (0b010 << 13) | (bit(uimm, 5) << 12) | (reg(rd) << 7) | (bits(uimm, 4, 2) << 4) | (bits(uimm, 7, 6) << 2) | C2;
}

/** c.swsp rs2, uimm(sp) */
export function cSwsp(rs2: Reg, uimm: number): number {
  checkUnsigned(uimm, 8, 'c.swsp offset');
  checkMultiple(uimm, 4, 'c.swsp offset');
  return (0b110 << 13) | (bits(uimm, 5, 2) << 9) | (bits(uimm, 7, 6) << 7) | (reg(rs2) << 2) | C2;
}

export function cJr(rs1: Reg): number {
  if (rs1 === 0) throw new RangeError('c.jr rs1 must not be x0');
  return (0b1000 << 12) | (reg(rs1) << 7) | C2;
}

export function cJalr(rs1: Reg): number {
  if (rs1 === 0) throw new RangeError('c.jalr rs1 must not be x0');
  return (0b1001 << 12) | (reg(rs1) << 7) | C2;
}

/** c.mv rd, rs2 (rs2 != 0; rd = 0 is a HINT) */
export function cMv(rd: Reg, rs2: Reg): number {
  if (rs2 === 0) throw new RangeError('c.mv rs2 must not be x0');
  return (0b1000 << 12) | (reg(rd) << 7) | (reg(rs2) << 2) | C2;
}

/** c.add rd, rs2 (rs2 != 0; rd = 0 is a HINT) */
export function cAdd(rd: Reg, rs2: Reg): number {
  if (rs2 === 0) throw new RangeError('c.add rs2 must not be x0');
  return (0b1001 << 12) | (reg(rd) << 7) | (reg(rs2) << 2) | C2;
}

/** True when a 16-bit parcel starts a 32-bit instruction (spec 1.5). */
export function isCompressed(parcel: number): boolean {
  return (parcel & 3) !== 3;
}
