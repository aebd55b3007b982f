/**
 * The RVC expansion (unprivileged ISA chapter 16, tables 16.5-16.7): each
 * compressed parcel to the 32-bit instruction it stands for, with the
 * fields of fields.ts. The interpreter runs the frequent forms directly
 * (generated from the same fields) and expands the rest behind a cache.
 */

import { RvcFields, fieldValue } from './fields.js';
import { Opcode, System, opNamed } from './ops.js';

// ------------------------------------------------------------ encoders
// Used only to build expansions; each returns an int32 instruction word.

function encR(op: number, rdN: number, f3: number, rs1N: number, rs2N: number, f7: number): number {
  return (f7 << 25) | (rs2N << 20) | (rs1N << 15) | (f3 << 12) | (rdN << 7) | op;
}
function encI(op: number, rdN: number, f3: number, rs1N: number, imm: number): number {
  return ((imm & 0xfff) << 20) | (rs1N << 15) | (f3 << 12) | (rdN << 7) | op;
}
function encS(op: number, f3: number, rs1N: number, rs2N: number, imm: number): number {
  return (((imm >> 5) & 0x7f) << 25) | (rs2N << 20) | (rs1N << 15) | (f3 << 12) | ((imm & 31) << 7) | op;
}
function encB(f3: number, rs1N: number, rs2N: number, imm: number): number {
  return (
    (((imm >> 12) & 1) << 31) |
    (((imm >> 5) & 0x3f) << 25) |
    (rs2N << 20) |
    (rs1N << 15) |
    (f3 << 12) |
    (((imm >> 1) & 0xf) << 8) |
    (((imm >> 11) & 1) << 7) |
    Opcode.BRANCH
  );
}
function encJ(rdN: number, imm: number): number {
  return (
    (((imm >> 20) & 1) << 31) |
    (((imm >> 1) & 0x3ff) << 21) |
    (((imm >> 11) & 1) << 20) |
    (((imm >> 12) & 0xff) << 12) |
    (rdN << 7) |
    Opcode.JAL
  );
}

/** The OP each CA-format instruction (quadrant 1, funct3 100, bits 11:10 = 11, bit 12 = 0) stands for, by bits 6:5 (table 16.6). */
export const RVC_CA_OPS: readonly string[] = Object.freeze(['SUB', 'XOR', 'OR', 'AND']);

/**
 * The forms the interpreter runs directly, keyed by `parcel & 0xe003`
 * (funct3 and quadrant, tables 16.5-16.7): some keys hold several forms
 * (0x8001: C.SRLI to C.AND; 0x8002: C.MV, C.ADD, C.JR, C.JALR, C.EBREAK).
 */
export const RvcKey = Object.freeze({
  ADDI: 0x0001,
  JAL: 0x2001,
  LI: 0x4001,
  MISC_ALU: 0x8001,
  J: 0xa001,
  BEQZ: 0xc001,
  BNEZ: 0xe001,
  SLLI: 0x0002,
  LWSP: 0x4002,
  CR: 0x8002,
  SWSP: 0xc002,
  LW: 0x4000,
  SW: 0xc000,
});

/** The word `expandCompressed` returns for a reserved or unsupported compressed encoding. */
export const ILLEGAL_EXPANSION = 0;

/** The 32-bit EBREAK, which C.EBREAK expands to. */
const EBREAK = System.EBREAK;

// rd'/rs1' (bits 9:7) and rd'/rs2' (bits 4:2) name x8-x15.
const r97 = (h: number): number => fieldValue(RvcFields.rs1p, h) + 8;
const r42 = (h: number): number => fieldValue(RvcFields.rs2p, h) + 8;
const rdFull = (h: number): number => fieldValue(RvcFields.rd, h);
const rs2Full = (h: number): number => fieldValue(RvcFields.rs2, h);
const imm6 = (h: number): number => fieldValue(RvcFields.imm6, h);

/**
 * Takes a 16-bit parcel whose bits 1:0 are not 11 and returns the 32-bit
 * instruction it expands to (unprivileged ISA chapter 16, tables 16.5-16.7),
 * or {@link ILLEGAL_EXPANSION} (0) when the encoding is reserved, is an
 * RV64/RV128-only or F/D code point, or when `parcel` is not compressed.
 *
 * HINT encodings (e.g. C.ADDI with rd = x0, C.LI x0, C.MV x0, C.SLLI with
 * shamt 0) expand to their base instruction, which writes x0 or changes
 * nothing, as the spec allows (section 16.7). Refused as reserved:
 * C.ADDI4SPN with a zero immediate (this covers the all-zero parcel),
 * C.ADDI16SP and C.LUI with a zero immediate, C.LWSP with rd = x0, C.JR
 * with rs1 = x0, shifts with shamt[5] = 1 (RV32C, 16.5), C.SUBW/C.ADDW and
 * the other bit-12 encodings of the CA group, and quadrant 0 funct3 = 100.
 */
export function expandCompressed(parcel: number): number {
  const h = parcel & 0xffff;
  if (h !== parcel || (h & 3) === 3) return ILLEGAL_EXPANSION;
  const f3 = h >>> 13;
  // Fields are read where a form uses them: under Sv32 the interpreter
  // expands every load and store it meets (see fieldValue).
  switch (h & 3) {
    case 0:
      switch (f3) {
        case 0: {
          // C.ADDI4SPN
          const imm = fieldValue(RvcFields.addi4spn, h);
          if (imm === 0) return ILLEGAL_EXPANSION;
          return encI(Opcode.OP_IMM, r42(h), 0, 2, imm);
        }
        case 2: // C.LW
          return encI(Opcode.LOAD, r42(h), 2, r97(h), fieldValue(RvcFields.lsw, h));
        case 6: // C.SW
          return encS(Opcode.STORE, 2, r97(h), r42(h), fieldValue(RvcFields.lsw, h));
        default: // C.FLD, C.FLW, C.FSD, C.FSW (no F/D) and the reserved funct3 = 100
          return ILLEGAL_EXPANSION;
      }
    case 1:
      switch (f3) {
        case 0: // C.ADDI (C.NOP and HINTs included)
          return encI(Opcode.OP_IMM, rdFull(h), 0, rdFull(h), imm6(h));
        case 1: // C.JAL (RV32 only)
        case 5: // C.J
          return encJ(f3 === 1 ? 1 : 0, fieldValue(RvcFields.jump, h));
        case 2: // C.LI
          return encI(Opcode.OP_IMM, rdFull(h), 0, 0, imm6(h));
        case 3: {
          if (rdFull(h) === 2) {
            // C.ADDI16SP
            const imm = fieldValue(RvcFields.addi16sp, h);
            if (imm === 0) return ILLEGAL_EXPANSION;
            return encI(Opcode.OP_IMM, 2, 0, 2, imm);
          }
          // C.LUI: nzimm[17:12]; zero is reserved, rd = x0 is a HINT.
          if (imm6(h) === 0) return ILLEGAL_EXPANSION;
          return ((imm6(h) << 12) & ~0xfff) | (rdFull(h) << 7) | Opcode.LUI;
        }
        case 4: {
          const f2 = (h >>> 10) & 3;
          if (f2 < 2) {
            // C.SRLI / C.SRAI: shamt[5] = 1 is reserved on RV32C (16.5).
            if ((h & 0x1000) !== 0) return ILLEGAL_EXPANSION;
            const shamt = fieldValue(RvcFields.shamt, h);
            return encI(Opcode.OP_IMM, r97(h), 5, r97(h), f2 === 0 ? shamt : shamt | 0x400);
          }
          if (f2 === 2) return encI(Opcode.OP_IMM, r97(h), 7, r97(h), imm6(h)); // C.ANDI
          if ((h & 0x1000) !== 0) return ILLEGAL_EXPANSION; // C.SUBW, C.ADDW (RV64) and reserved
          const op = opNamed(RVC_CA_OPS[(h >>> 5) & 3]); // C.SUB, C.XOR, C.OR, C.AND
          return encR(Opcode.OP, r97(h), op.funct3, r97(h), r42(h), op.funct7);
        }
        default: // C.BEQZ (6) / C.BNEZ (7)
          return encB(f3 === 6 ? 0 : 1, r97(h), 0, fieldValue(RvcFields.branch, h));
      }
    default:
      // Quadrant 2.
      switch (f3) {
        case 0: // C.SLLI
          if ((h & 0x1000) !== 0) return ILLEGAL_EXPANSION;
          return encI(Opcode.OP_IMM, rdFull(h), 1, rdFull(h), fieldValue(RvcFields.shamt, h));
        case 2: // C.LWSP (rd = x0 reserved)
          if (rdFull(h) === 0) return ILLEGAL_EXPANSION;
          return encI(Opcode.LOAD, rdFull(h), 2, 2, fieldValue(RvcFields.lwsp, h));
        case 4:
          if ((h & 0x1000) === 0) {
            if (rs2Full(h) === 0) {
              if (rdFull(h) === 0) return ILLEGAL_EXPANSION; // C.JR x0 is reserved
              return encI(Opcode.JALR, 0, 0, rdFull(h), 0); // C.JR
            }
            return encR(Opcode.OP, rdFull(h), 0, 0, rs2Full(h), 0); // C.MV
          }
          if (rs2Full(h) === 0) {
            if (rdFull(h) === 0) return EBREAK; // C.EBREAK
            return encI(Opcode.JALR, 1, 0, rdFull(h), 0); // C.JALR
          }
          return encR(Opcode.OP, rdFull(h), 0, rdFull(h), rs2Full(h), 0); // C.ADD
        case 6: // C.SWSP
          return encS(Opcode.STORE, 2, 2, rs2Full(h), fieldValue(RvcFields.swsp, h));
        default: // C.FLDSP, C.FLWSP, C.FSDSP, C.FSWSP (no F/D)
          return ILLEGAL_EXPANSION;
      }
  }
}
