/**
 * Instruction decoding for RV32IMAC + Zicsr + Zifencei: field extractors
 * for the 32-bit formats and the RV32C -> 32-bit expansion.
 *
 * Owns the encoding knowledge only; nothing here executes anything. The
 * interpreter in hart.ts inlines the same shifts by hand (a call per field
 * costs 25-50 ns on XS), and uses {@link expandCompressed} behind a small
 * cache; a later translation tier and a disassembler can call these
 * functions directly. Bit positions follow the unprivileged ISA
 * (20191213), chapter 2.2-2.3 (base formats) and chapter 16 (RVC).
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

/** True when the 16-bit parcel `parcel` starts a compressed (16-bit) instruction: bits 1:0 are not 11. */
export function isCompressed(parcel: number): boolean {
  return (parcel & 3) !== 3;
}

/** Length in bytes (2 or 4) of the instruction whose first parcel is `parcel`. Longer encodings (bits 4:2 = 111) count as 4: this hart treats them as illegal 32-bit words. */
export function instructionLength(parcel: number): 2 | 4 {
  return (parcel & 3) === 3 ? 4 : 2;
}

/** Bits 6:0. */
export function opcode(inst: number): number {
  return inst & 0x7f;
}
/** Bits 11:7. */
export function rd(inst: number): number {
  return (inst >>> 7) & 31;
}
/** Bits 19:15. */
export function rs1(inst: number): number {
  return (inst >>> 15) & 31;
}
/** Bits 24:20. */
export function rs2(inst: number): number {
  return (inst >>> 20) & 31;
}
/** Bits 14:12. */
export function funct3(inst: number): number {
  return (inst >>> 12) & 7;
}
/** Bits 31:25. */
export function funct7(inst: number): number {
  return inst >>> 25;
}
/** Bits 31:27 (the AMO operation). */
export function funct5(inst: number): number {
  return inst >>> 27;
}
/** The CSR number, bits 31:20. */
export function csrNumber(inst: number): number {
  return inst >>> 20;
}
/** I-type immediate, sign-extended: inst[31:20]. */
export function immI(inst: number): number {
  return inst >> 20;
}
/** S-type immediate, sign-extended: inst[31:25] | inst[11:7]. */
export function immS(inst: number): number {
  return ((inst >> 20) & ~31) | ((inst >>> 7) & 31);
}
/** B-type immediate, sign-extended, bit 0 zero: inst[31|7|30:25|11:8]. */
export function immB(inst: number): number {
  return ((inst >> 19) & ~0xfff) | ((inst << 4) & 0x800) | ((inst >>> 20) & 0x7e0) | ((inst >>> 7) & 0x1e);
}
/** U-type immediate: inst[31:12] << 12, as an int32. */
export function immU(inst: number): number {
  return inst & ~0xfff;
}
/** J-type immediate, sign-extended, bit 0 zero: inst[31|19:12|20|30:21]. */
export function immJ(inst: number): number {
  return ((inst >> 11) & ~0xfffff) | (inst & 0xff000) | ((inst >>> 9) & 0x800) | ((inst >>> 20) & 0x7fe);
}

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

/** The word `expandCompressed` returns for a reserved or unsupported compressed encoding. */
export const ILLEGAL_EXPANSION = 0;

/** The 32-bit EBREAK, which C.EBREAK expands to. */
const EBREAK = 0x00100073;

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
  // rd'/rs1' (bits 9:7) and rd'/rs2' (bits 4:2) name x8-x15.
  const r97 = ((h >>> 7) & 7) + 8;
  const r42 = ((h >>> 2) & 7) + 8;
  const rdFull = (h >>> 7) & 31;
  const rs2Full = (h >>> 2) & 31;
  // The 6-bit immediate of CI instructions: imm[5] = bit 12, imm[4:0] = bits 6:2.
  const imm6 = ((((h >>> 7) & 0x20) | ((h >>> 2) & 0x1f)) << 26) >> 26;
  switch (h & 3) {
    case 0:
      switch (f3) {
        case 0: {
          // C.ADDI4SPN: nzuimm[5:4|9:6|2|3] = bits 12:11|10:7|6|5.
          const imm = ((h >>> 7) & 0x30) | ((h >>> 1) & 0x3c0) | ((h >>> 4) & 0x4) | ((h >>> 2) & 0x8);
          if (imm === 0) return ILLEGAL_EXPANSION;
          return encI(Opcode.OP_IMM, r42, 0, 2, imm);
        }
        case 2: // C.LW: uimm[5:3] = bits 12:10, uimm[2] = bit 6, uimm[6] = bit 5.
          return encI(Opcode.LOAD, r42, 2, r97, ((h >>> 7) & 0x38) | ((h >>> 4) & 4) | ((h << 1) & 0x40));
        case 6: // C.SW
          return encS(Opcode.STORE, 2, r97, r42, ((h >>> 7) & 0x38) | ((h >>> 4) & 4) | ((h << 1) & 0x40));
        default: // C.FLD, C.FLW, C.FSD, C.FSW (no F/D) and the reserved funct3 = 100
          return ILLEGAL_EXPANSION;
      }
    case 1:
      switch (f3) {
        case 0: // C.ADDI (C.NOP and HINTs included)
          return encI(Opcode.OP_IMM, rdFull, 0, rdFull, imm6);
        case 1: // C.JAL (RV32 only)
        case 5: {
          // C.J; offset[11|4|9:8|10|6|7|3:1|5] = bits 12|11|10:9|8|7|6|5:3|2.
          let off =
            ((h >>> 1) & 0x800) |
            ((h >>> 7) & 0x10) |
            ((h >>> 1) & 0x300) |
            ((h << 2) & 0x400) |
            ((h >>> 1) & 0x40) |
            ((h << 1) & 0x80) |
            ((h >>> 2) & 0xe) |
            ((h << 3) & 0x20);
          off = (off << 20) >> 20;
          return encJ(f3 === 1 ? 1 : 0, off);
        }
        case 2: // C.LI
          return encI(Opcode.OP_IMM, rdFull, 0, 0, imm6);
        case 3: {
          if (rdFull === 2) {
            // C.ADDI16SP: nzimm[9|4|6|8:7|5] = bits 12|6|5|4:3|2.
            let imm =
              ((h >>> 3) & 0x200) | ((h >>> 2) & 0x10) | ((h << 1) & 0x40) | ((h << 4) & 0x180) | ((h << 3) & 0x20);
            if (imm === 0) return ILLEGAL_EXPANSION;
            imm = (imm << 22) >> 22;
            return encI(Opcode.OP_IMM, 2, 0, 2, imm);
          }
          // C.LUI: nzimm[17:12]; zero is reserved, rd = x0 is a HINT.
          if (imm6 === 0) return ILLEGAL_EXPANSION;
          return ((imm6 << 12) & ~0xfff) | (rdFull << 7) | Opcode.LUI;
        }
        case 4: {
          const f2 = (h >>> 10) & 3;
          if (f2 < 2) {
            // C.SRLI / C.SRAI: shamt[5] = 1 is reserved on RV32C (16.5).
            if ((h & 0x1000) !== 0) return ILLEGAL_EXPANSION;
            const shamt = (h >>> 2) & 31;
            return encI(Opcode.OP_IMM, r97, 5, r97, f2 === 0 ? shamt : shamt | 0x400);
          }
          if (f2 === 2) return encI(Opcode.OP_IMM, r97, 7, r97, imm6); // C.ANDI
          if ((h & 0x1000) !== 0) return ILLEGAL_EXPANSION; // C.SUBW, C.ADDW (RV64) and reserved
          switch ((h >>> 5) & 3) {
            case 0:
              return encR(Opcode.OP, r97, 0, r97, r42, 0x20); // C.SUB
            case 1:
              return encR(Opcode.OP, r97, 4, r97, r42, 0); // C.XOR
            case 2:
              return encR(Opcode.OP, r97, 6, r97, r42, 0); // C.OR
            default:
              return encR(Opcode.OP, r97, 7, r97, r42, 0); // C.AND
          }
        }
        default: {
          // C.BEQZ (6) / C.BNEZ (7): offset[8|4:3|7:6|2:1|5] = bits 12|11:10|6:5|4:3|2.
          let off =
            ((h >>> 4) & 0x100) | ((h >>> 7) & 0x18) | ((h << 1) & 0xc0) | ((h >>> 2) & 6) | ((h << 3) & 0x20);
          off = (off << 23) >> 23;
          return encB(f3 === 6 ? 0 : 1, r97, 0, off);
        }
      }
    default:
      // Quadrant 2.
      switch (f3) {
        case 0: // C.SLLI
          if ((h & 0x1000) !== 0) return ILLEGAL_EXPANSION;
          return encI(Opcode.OP_IMM, rdFull, 1, rdFull, (h >>> 2) & 31);
        case 2: // C.LWSP: uimm[5] = bit 12, uimm[4:2] = bits 6:4, uimm[7:6] = bits 3:2; rd = x0 reserved.
          if (rdFull === 0) return ILLEGAL_EXPANSION;
          return encI(Opcode.LOAD, rdFull, 2, 2, ((h >>> 7) & 0x20) | ((h >>> 2) & 0x1c) | ((h << 4) & 0xc0));
        case 4:
          if ((h & 0x1000) === 0) {
            if (rs2Full === 0) {
              if (rdFull === 0) return ILLEGAL_EXPANSION; // C.JR x0 is reserved
              return encI(Opcode.JALR, 0, 0, rdFull, 0); // C.JR
            }
            return encR(Opcode.OP, rdFull, 0, 0, rs2Full, 0); // C.MV
          }
          if (rs2Full === 0) {
            if (rdFull === 0) return EBREAK; // C.EBREAK
            return encI(Opcode.JALR, 1, 0, rdFull, 0); // C.JALR
          }
          return encR(Opcode.OP, rdFull, 0, rdFull, rs2Full, 0); // C.ADD
        case 6: // C.SWSP: uimm[5:2] = bits 12:9, uimm[7:6] = bits 8:7.
          return encS(Opcode.STORE, 2, 2, rs2Full, ((h >>> 7) & 0x3c) | ((h >>> 1) & 0xc0));
        default: // C.FLDSP, C.FLWSP, C.FSDSP, C.FSWSP (no F/D)
          return ILLEGAL_EXPANSION;
      }
  }
}
