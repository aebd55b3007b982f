/**
 * The ISA description (src/cpu/isa/): field extractors against the test
 * encoder, and `expandCompressed` against the 32-bit instruction each RVC
 * instruction is defined to expand to (unprivileged ISA tables 16.5-16.7),
 * both built by the encoder from the spec's format figures.
 */
import { describe, it, assert } from '../harness/index.js';
import * as E from './rv-encode.js';
import {
  ILLEGAL_EXPANSION,
  csrNumber,
  expandCompressed,
  funct3,
  funct5,
  funct7,
  immB,
  immI,
  immJ,
  immS,
  immU,
  instructionLength,
  isCompressed,
  opcode,
  rd,
  rs1,
  rs2,
} from '../../src/cpu/index.js';

const { zero, ra, sp, s0, s1, a0, a1, a5, t0, t6 } = E;

describe('decode: 32-bit fields', () => {
  it('register and function fields', () => {
    const i = E.sub(t6, a1, a5);
    assert.equal(opcode(i), 0x33);
    assert.equal(rd(i), t6);
    assert.equal(rs1(i), a1);
    assert.equal(rs2(i), a5);
    assert.equal(funct3(i), 0);
    assert.equal(funct7(i), 0x20);
    assert.equal(funct5(E.amoW('maxu', a0, a1, a5)), 0b11100);
    assert.equal(csrNumber(E.csrrw(a0, 0xf14, a1)), 0xf14);
  });
  it('immediates of every format, extremes included', () => {
    for (const imm of [0, 1, -1, 2047, -2048, 0x555, -0x556]) {
      assert.equal(immI(E.addi(a0, a1, imm)), imm);
      assert.equal(immS(E.sw(a0, a1, imm)), imm);
    }
    for (const off of [0, 2, -2, 4094, -4096, 0x7fe, 0x800, -0x800]) assert.equal(immB(E.beq(a0, a1, off)), off);
    for (const off of [0, 2, -2, 0xffffe, -0x100000, 0x800, 0x7fe, 0x1000]) assert.equal(immJ(E.jal(ra, off)), off);
    for (const v of [0, 1, 0x80000, 0xfffff, 0x12345]) assert.equal(immU(E.lui(a0, v)) >>> 0, (v * 4096) >>> 0);
  });
  it('lengths: bits 1:0 = 11 mark a 32-bit instruction', () => {
    assert.equal(isCompressed(0x0001), true);
    assert.equal(isCompressed(0x0013), false);
    assert.equal(instructionLength(0x4501), 2);
    assert.equal(instructionLength(0x0013), 4);
  });
});

describe('decode: RVC expansion (tables 16.5-16.7)', () => {
  const pairs: [string, number, number][] = [
    ['C.ADDI4SPN', E.cAddi4spn(s1, 1020), E.addi(s1, sp, 1020)],
    ['C.ADDI4SPN min', E.cAddi4spn(s0, 4), E.addi(s0, sp, 4)],
    ['C.LW', E.cLw(a0, a5, 124), E.lw(a0, a5, 124)],
    ['C.LW 64', E.cLw(s0, s1, 64), E.lw(s0, s1, 64)],
    ['C.SW', E.cSw(a0, a5, 68), E.sw(a0, a5, 68)],
    ['C.NOP', E.cNop(), E.addi(zero, zero, 0)],
    ['C.ADDI', E.cAddi(t6, -32), E.addi(t6, t6, -32)],
    ['C.ADDI +31', E.cAddi(ra, 31), E.addi(ra, ra, 31)],
    ['C.JAL', E.cJal(-2048), E.jal(ra, -2048)],
    ['C.JAL odd bits', E.cJal(0x2aa), E.jal(ra, 0x2aa)],
    ['C.JAL more bits', E.cJal(0x554), E.jal(ra, 0x554)],
    ['C.LI', E.cLi(a0, -17), E.addi(a0, zero, -17)],
    ['C.ADDI16SP', E.cAddi16sp(-512), E.addi(sp, sp, -512)],
    ['C.ADDI16SP +496', E.cAddi16sp(496), E.addi(sp, sp, 496)],
    ['C.ADDI16SP bits', E.cAddi16sp(0x150), E.addi(sp, sp, 0x150)],
    ['C.LUI', E.cLui(a0, -32), E.lui(a0, 0xfffe0)],
    ['C.LUI +31', E.cLui(t6, 31), E.lui(t6, 31)],
    ['C.SRLI', E.cSrli(s0, 31), E.srli(s0, s0, 31)],
    ['C.SRAI', E.cSrai(a5, 1), E.srai(a5, a5, 1)],
    ['C.ANDI', E.cAndi(s1, -32), E.andi(s1, s1, -32)],
    ['C.SUB', E.cSub(s0, a5), E.sub(s0, s0, a5)],
    ['C.XOR', E.cXor(a0, a1), E.xor(a0, a0, a1)],
    ['C.OR', E.cOr(a0, s1), E.or(a0, a0, s1)],
    ['C.AND', E.cAnd(a5, s0), E.and(a5, a5, s0)],
    ['C.J', E.cJ(2046), E.jal(zero, 2046)],
    ['C.J back', E.cJ(-2), E.jal(zero, -2)],
    ['C.BEQZ', E.cBeqz(s0, -256), E.beq(s0, zero, -256)],
    ['C.BEQZ bits', E.cBeqz(a0, 0xaa), E.beq(a0, zero, 0xaa)],
    ['C.BNEZ', E.cBnez(a5, 254), E.bne(a5, zero, 254)],
    ['C.BNEZ bits', E.cBnez(a0, -0xac), E.bne(a0, zero, -0xac)],
    ['C.SLLI', E.cSlli(t0, 31), E.slli(t0, t0, 31)],
    ['C.LWSP', E.cLwsp(a0, 252), E.lw(a0, sp, 252)],
    ['C.LWSP bits', E.cLwsp(ra, 0xa4), E.lw(ra, sp, 0xa4)],
    ['C.JR', E.cJr(ra), E.jalr(zero, ra, 0)],
    ['C.MV', E.cMv(a0, t6), E.add(a0, zero, t6)],
    ['C.EBREAK', E.cEbreak(), E.ebreak()],
    ['C.JALR', E.cJalr(t0), E.jalr(ra, t0, 0)],
    ['C.ADD', E.cAdd(a0, t6), E.add(a0, a0, t6)],
    ['C.SWSP', E.cSwsp(a0, 252), E.sw(a0, sp, 252)],
    ['C.SWSP bits', E.cSwsp(ra, 0xa4), E.sw(ra, sp, 0xa4)],
    // HINTs expand to their base instruction.
    ['C.ADDI x0 (HINT)', E.cAddi(zero, 5), E.addi(zero, zero, 5)],
    ['C.LI x0 (HINT)', E.cLi(zero, 5), E.addi(zero, zero, 5)],
    ['C.MV x0 (HINT)', E.cMv(zero, a1), E.add(zero, zero, a1)],
    ['C.SLLI shamt 0 (HINT)', E.cSlli(a0, 0), E.slli(a0, a0, 0)],
  ];
  for (const [name, parcel, word] of pairs) {
    it(name, () => assert.equal(expandCompressed(parcel) >>> 0, word >>> 0));
  }
  it('reserved encodings, F/D forms and non-compressed parcels expand to ILLEGAL_EXPANSION', () => {
    const bad = [0x0000, 0x2000, 0x6000, 0x8000, 0xa000, 0xe000, 0x6101, 0x6001, 0x9001, 0x9c01, 0x9c21, 0x9c41, 0x9c61, 0x1002, 0x2002, 0x4002, 0x6002, 0x8002, 0xa002, 0xe002, 0x0013, 0x10000];
    for (const h of bad) assert.equal(expandCompressed(h), ILLEGAL_EXPANSION, h.toString(16));
  });
  it('every parcel expands to 0 or to a 32-bit word (bits 1:0 = 11)', () => {
    let legal = 0;
    for (let h = 0; h < 0x10000; h++) {
      if ((h & 3) === 3) continue;
      const w = expandCompressed(h);
      if (w === ILLEGAL_EXPANSION) continue;
      legal++;
      assert.equal(w & 3, 3);
    }
    // 49152 non-32-bit parcels minus reserved and F/D ones.
    assert.ok(legal > 25000 && legal < 49152, `${legal} legal parcels`);
  });
});
