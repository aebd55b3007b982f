/**
 * The opcode table and the semantics of RV32IMA + Zicsr + Zifencei
 * (unprivileged ISA 20191213, chapters 2, 7, 8, 9, 3; table 24.1), each
 * written once, as JavaScript source over named operands. The interpreter's
 * generator (scripts/gen-interp.ts) and the JIT (jit/translate.ts) both
 * emit code from these entries; what needs no source (widths, encodings)
 * is plain data. SYSTEM semantics (traps, CSRs, xRET) live in trap.ts and
 * csr.ts: they are the privileged architecture, not expressions.
 *
 * An `src` gives the result taken modulo 2^32 (ToInt32 of its value, as an
 * Int32Array store does); `int32` says it is already an int32, so code that
 * keeps it in a local needs no `| 0`. Operands are int32.
 */

/** Major opcodes (bits 6:0) of the 32-bit instructions this hart knows (unprivileged ISA, table 24.1). */
export const Opcode = Object.freeze({
  LOAD: 0x03,
  MISC_MEM: 0x0f,
  OP_IMM: 0x13,
  AUIPC: 0x17,
  STORE: 0x23,
  AMO: 0x2f,
  OP: 0x33,
  LUI: 0x37,
  BRANCH: 0x63,
  JALR: 0x67,
  JAL: 0x6f,
  SYSTEM: 0x73,
} as const);

/** A register-register or register-immediate operation: rd = src(rs1, rs2 or the immediate). */
export interface AluOp {
  readonly name: string;
  readonly funct3: number;
  /** The funct7 it requires; -1 for an OP-IMM whose bits 31:25 belong to the immediate. */
  readonly funct7: number;
  /** True for the OP-IMM shifts: the operand is the shift amount, the low 5 bits of the immediate. */
  readonly shamt: boolean;
  readonly src: (a: string, b: string) => string;
  readonly int32: boolean;
  /** Division and remainder: the result when b is 0 (table 7.1); `src` then gives it for b != 0 only. */
  readonly byZero?: (a: string) => string;
}

const alu = (
  name: string, funct3: number, funct7: number, int32: boolean, src: (a: string, b: string) => string, shamt = false,
  byZero?: (a: string) => string,
): AluOp => Object.freeze({ name, funct3, funct7, shamt, src, int32, ...(byZero !== undefined ? { byZero } : {}) });

/** A division or remainder: `byZero` for a zero divisor, `src` otherwise. */
const div = (name: string, funct3: number, int32: boolean, byZero: (a: string) => string, src: (a: string, b: string) => string): AluOp =>
  alu(name, funct3, 1, int32, src, false, byZero);

/** OP (0x33): RV32I and the M extension (chapter 7; division by zero and overflow per table 7.1). */
export const OP_OPS: readonly AluOp[] = Object.freeze([
  alu('ADD', 0, 0, false, (a, b) => `${a} + ${b}`),
  alu('SUB', 0, 0x20, false, (a, b) => `${a} - ${b}`),
  // JS shifts use the low 5 bits of the count, as RV32 does.
  alu('SLL', 1, 0, true, (a, b) => `${a} << ${b}`),
  alu('SLT', 2, 0, true, (a, b) => `${a} < ${b} ? 1 : 0`),
  alu('SLTU', 3, 0, true, (a, b) => `${a} >>> 0 < ${b} >>> 0 ? 1 : 0`),
  alu('XOR', 4, 0, true, (a, b) => `${a} ^ ${b}`),
  alu('SRL', 5, 0, false, (a, b) => `${a} >>> ${b}`),
  alu('SRA', 5, 0x20, true, (a, b) => `${a} >> ${b}`),
  alu('OR', 6, 0, true, (a, b) => `${a} | ${b}`),
  alu('AND', 7, 0, true, (a, b) => `${a} & ${b}`),
  alu('MUL', 0, 1, true, (a, b) => `Math.imul(${a}, ${b})`),
  alu('MULH', 1, 1, true, (a, b) => `mulh(${a}, ${b})`),
  alu('MULHSU', 2, 1, true, (a, b) => `mulhsu(${a}, ${b})`),
  alu('MULHU', 3, 1, true, (a, b) => `mulhu(${a}, ${b})`),
  // x/0 = -1; INT_MIN/-1 = 2^31, which ToInt32 makes INT_MIN; the quotient truncates toward zero.
  // (DIV keeps its | 0 in the expression: V8 then divides as int32.)
  div('DIV', 4, true, () => '-1', (a, b) => `(${a} / ${b}) | 0`),
  div('DIVU', 5, false, () => '-1', (a, b) => `(${a} >>> 0) / (${b} >>> 0)`),
  // x%0 = x; INT_MIN%-1 = -0, which ToInt32 makes 0.
  div('REM', 6, false, (a) => a, (a, b) => `${a} % ${b}`),
  div('REMU', 7, false, (a) => a, (a, b) => `(${a} >>> 0) % (${b} >>> 0)`),
]);

/** The OP entry named `name`. */
export function opNamed(name: string): AluOp {
  const op = OP_OPS.find((o) => o.name === name) ?? OP_IMM_OPS.find((o) => o.name === name);
  if (op === undefined) throw new Error(`no ALU operation ${name}`);
  return op;
}

const fromOp = (name: string, opName: string, shamtF7 = -1): AluOp => {
  const o = OP_OPS.find((p) => p.name === opName)!;
  return alu(name, o.funct3, shamtF7, o.int32, o.src, shamtF7 >= 0);
};

/** OP-IMM (0x13): the same operations with the I-immediate (SLTIU compares it sign-extended, as unsigned). */
export const OP_IMM_OPS: readonly AluOp[] = Object.freeze([
  fromOp('ADDI', 'ADD'),
  fromOp('SLTI', 'SLT'),
  fromOp('SLTIU', 'SLTU'),
  fromOp('XORI', 'XOR'),
  fromOp('ORI', 'OR'),
  fromOp('ANDI', 'AND'),
  // shamt[5] = 1 (bit 25) is reserved on RV32: funct7 must be exactly 0 or 0x20.
  fromOp('SLLI', 'SLL', 0),
  fromOp('SRLI', 'SRL', 0),
  fromOp('SRAI', 'SRA', 0x20),
]);

/** A conditional branch: taken when cond(rs1, rs2). */
export interface BranchOp {
  readonly name: string;
  readonly funct3: number;
  readonly cond: (a: string, b: string) => string;
}

const br = (name: string, funct3: number, cond: (a: string, b: string) => string): BranchOp => Object.freeze({ name, funct3, cond });

/** BRANCH (0x63); funct3 2 and 3 are reserved. */
export const BRANCH_OPS: readonly BranchOp[] = Object.freeze([
  br('BEQ', 0, (a, b) => `${a} === ${b}`),
  br('BNE', 1, (a, b) => `${a} !== ${b}`),
  br('BLT', 4, (a, b) => `${a} < ${b}`),
  br('BGE', 5, (a, b) => `${a} >= ${b}`),
  br('BLTU', 6, (a, b) => `${a} >>> 0 < ${b} >>> 0`),
  br('BGEU', 7, (a, b) => `${a} >>> 0 >= ${b} >>> 0`),
]);

/** A load or store: `width` bytes; for a load, whether the value is sign-extended. */
export interface MemOp {
  readonly name: string;
  readonly funct3: number;
  readonly width: 1 | 2 | 4;
  readonly signed: boolean;
  /** The little-endian typed-array view that reads the value (aligned) as the load leaves it: m8, i8, m16, i16 or m32. */
  readonly view: string;
  /** The loaded value `v` (its `width` bytes, zero-extended) as rd receives it. */
  readonly extend: (v: string) => string;
}

const mem = (name: string, funct3: number, width: 1 | 2 | 4, signed: boolean): MemOp => {
  const view = width === 4 ? 'm32' : `${signed ? 'i' : 'm'}${8 * width}`;
  const k = 32 - 8 * width;
  const extend = signed && k > 0 ? (v: string) => `(${v} << ${k}) >> ${k}` : (v: string) => v;
  return Object.freeze({ name, funct3, width, signed, view, extend });
};

/** LOAD (0x03): funct3 3, 6 and 7 are reserved on RV32. */
export const LOAD_OPS: readonly MemOp[] = Object.freeze([
  mem('LB', 0, 1, true),
  mem('LH', 1, 2, true),
  mem('LW', 2, 4, true),
  mem('LBU', 4, 1, false),
  mem('LHU', 5, 2, false),
]);

/** STORE (0x23): funct3 above 2 is reserved on RV32. */
export const STORE_OPS: readonly MemOp[] = Object.freeze([mem('SB', 0, 1, false), mem('SH', 1, 2, false), mem('SW', 2, 4, false)]);

/** The load (or store, with `store`) with funct3 `f3`, or undefined for a reserved encoding. */
export function memOp(f3: number, store: boolean): MemOp | undefined {
  return (store ? STORE_OPS : LOAD_OPS).find((o) => o.funct3 === f3);
}

/** An AMO (chapter 8.4): memory receives src(old, rs2), rd receives old. */
export interface AmoOp {
  readonly name: string;
  readonly funct5: number;
  readonly src: (old: string, b: string) => string;
}

const amo = (name: string, funct5: number, src: (old: string, b: string) => string): AmoOp => Object.freeze({ name, funct5, src });

/** AMO (0x2f) with funct3 = 2 (.W; the only width on RV32). */
export const AMO_OPS: readonly AmoOp[] = Object.freeze([
  amo('AMOADD.W', 0, (o, b) => `(${o} + ${b}) | 0`),
  amo('AMOSWAP.W', 1, (_o, b) => b),
  amo('AMOXOR.W', 4, (o, b) => `${o} ^ ${b}`),
  amo('AMOOR.W', 8, (o, b) => `${o} | ${b}`),
  amo('AMOAND.W', 12, (o, b) => `${o} & ${b}`),
  amo('AMOMIN.W', 16, (o, b) => `${o} < ${b} ? ${o} : ${b}`),
  amo('AMOMAX.W', 20, (o, b) => `${o} > ${b} ? ${o} : ${b}`),
  amo('AMOMINU.W', 24, (o, b) => `${o} >>> 0 < ${b} >>> 0 ? ${o} : ${b}`),
  amo('AMOMAXU.W', 28, (o, b) => `${o} >>> 0 > ${b} >>> 0 ? ${o} : ${b}`),
]);

/** funct5 of LR.W (rs2 must be 0) and SC.W. */
export const LR_FUNCT5 = 2;
export const SC_FUNCT5 = 3;

/** True when `f5` names an AMO or LR/SC (table 24.2). */
export function isAmoFunct5(f5: number): boolean {
  return f5 === LR_FUNCT5 || f5 === SC_FUNCT5 || AMO_OPS.some((o) => o.funct5 === f5);
}

/** The upper-immediate and jump instructions: what rd receives (`pc`, `imm`, `next` = the address after it) and where control goes. */
export const UPPER = Object.freeze({
  /** LUI: rd = imm (the U-immediate). */
  lui: (imm: string): string => imm,
  /** AUIPC: rd = pc + imm. */
  auipc: (pc: string, imm: string): string => `${pc} + ${imm}`,
  /** JAL, JALR: rd = the address of the next instruction. */
  link: (next: string): string => next,
  /** JALR's target: rs1 + immI with bit 0 cleared. */
  jalrTarget: (a: string, imm: string): string => `(${a} + ${imm}) & ~1`,
});

/** MISC-MEM (0x0f) funct3: FENCE is a no-op for one hart without caches; FENCE.I drops translated code (chapter 2.7, 3.1). */
export const FENCE_FUNCT3 = 0;
export const FENCE_I_FUNCT3 = 1;

/** SYSTEM (0x73) encodings with funct3 = 0 (privileged ISA 1.12, table 2.2 and 3.3). */
export const System = Object.freeze({
  /** funct12 0 and 1. */
  ECALL: 0x00000073,
  EBREAK: 0x00100073,
  /** The trap returns (funct12 0x302, 0x102) and WFI (0x105). */
  MRET: 0x30200073,
  SRET: 0x10200073,
  WFI: 0x10500073,
  /** SFENCE.VMA: match and mask (rs1 and rs2 free). */
  SFENCE_VMA: 0x12000073,
  SFENCE_VMA_MASK: 0xfe007fff | 0,
});

/** The entry of `table` (OP_OPS or OP_IMM_OPS) that `inst` encodes, or undefined for a reserved encoding. */
export function aluOp(table: readonly AluOp[], inst: number): AluOp | undefined {
  const f3 = (inst >>> 12) & 7;
  const f7 = inst >>> 25;
  return table.find((o) => o.funct3 === f3 && (o.funct7 === -1 || o.funct7 === f7));
}

/** The branch with funct3 `f3`, or undefined for a reserved one. */
export function branchOp(f3: number): BranchOp | undefined {
  return BRANCH_OPS.find((o) => o.funct3 === f3);
}
