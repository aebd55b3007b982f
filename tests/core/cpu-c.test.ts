/**
 * RV32C execution (unprivileged ISA chapter 16): each compressed
 * instruction run on the hart, links of pc + 2, mixed 16/32-bit code with
 * 32-bit instructions on 2-byte boundaries, and every reserved encoding
 * raising illegal instruction with the 16-bit parcel in mtval.
 */
import { describe, it, assert } from '../harness/index.js';
import * as E from './rv-encode.js';
import { Csr, DATA, RAM_BASE, peek32, poke32, runProgram, trapped, ureg, type Rig } from './cpu-fixture.js';

const { sp, ra, s0, s1, a0, a1, a2, a3, a4, a5, t0 } = E;
const u = (v: number): number => v >>> 0;

function c(parcels: number[], regs: [number, number][] = [], setup?: (r: Rig) => void) {
  const r = runProgram((p) => p.c(...parcels), { regs, setup });
  return r;
}

describe('RV32C: loads, stores and stack-relative forms', () => {
  it('C.ADDI4SPN adds a zero-extended scaled immediate to sp', () => {
    const r = c([E.cAddi4spn(s0, 1020), E.cAddi4spn(a5, 4)], [[sp, 0x1000]]);
    assert.equal(ureg(r, s0), 0x1000 + 1020);
    assert.equal(ureg(r, a5), 0x1004);
  });
  it('C.LW and C.SW with offsets up to 124', () => {
    const r = c([E.cLw(a0, s1, 124), E.cSw(a0, s0, 4), E.cLw(a1, s0, 0)], [[s1, DATA - 124 + 64], [s0, DATA + 256]], (r) => {
      poke32(r, DATA + 64, 0x89abcdef);
      poke32(r, DATA + 256, 0x13579bdf);
    });
    assert.equal(ureg(r, a0), 0x89abcdef);
    assert.equal(peek32(r, DATA + 260), 0x89abcdef);
    assert.equal(ureg(r, a1), 0x13579bdf);
  });
  it('C.LWSP and C.SWSP with offsets up to 252', () => {
    const r = c([E.cLwsp(t0, 252), E.cSwsp(t0, 4), E.cLwsp(ra, 0)], [[sp, DATA]], (r) => {
      poke32(r, DATA + 252, 0xfeedf00d);
      poke32(r, DATA, 0x0badcafe);
    });
    assert.equal(ureg(r, t0), 0xfeedf00d);
    assert.equal(peek32(r, DATA + 4), 0xfeedf00d);
    assert.equal(ureg(r, ra), 0x0badcafe);
  });
  it('compressed loads and stores outside the fast window (a device) work too', () => {
    const r = c([E.cLw(a0, s0, 4), E.cSw(a0, s0, 8), E.cLwsp(a1, 8), E.cSwsp(a1, 12)], [[s0, 0x1000_0000], [sp, 0x1000_0000]], (r) =>
      r.dev.bytes.set([1, 2, 3, 4], 4),
    );
    assert.equal(ureg(r, a0), 0x04030201);
    assert.equal(r.dev.word(8), 0x04030201);
    assert.equal(r.dev.word(12), 0x04030201);
  });
});

describe('RV32C: integer computation', () => {
  it('C.NOP changes nothing but the pc', () => {
    const r = c([E.cNop()]);
    assert.equal(r.hart.pc, r.end);
  });
  it('C.ADDI, C.LI sign-extend their 6-bit immediate', () => {
    const r = c([E.cAddi(a0, -32), E.cAddi(a1, 31), E.cLi(a2, -1), E.cLi(a3, 31), E.cAddi(a4, 1)], [[a0, 100], [a1, 1], [a4, 0x7fffffff]]);
    assert.equal(r.hart.regs[a0], 68);
    assert.equal(r.hart.regs[a1], 32);
    assert.equal(r.hart.regs[a2], -1);
    assert.equal(r.hart.regs[a3], 31);
    assert.equal(ureg(r, a4), 0x80000000);
  });
  it('C.ADDI16SP adds a scaled signed immediate to sp', () => {
    const r = c([E.cAddi16sp(-512), E.cAddi16sp(496), E.cAddi16sp(16)], [[sp, 0x10000]]);
    assert.equal(ureg(r, sp), 0x10000 - 512 + 496 + 16);
  });
  it('C.LUI loads a sign-extended 6-bit immediate into bits 17:12', () => {
    const r = c([E.cLui(a0, 1), E.cLui(a1, -1), E.cLui(a2, 31), E.cLui(a3, -32)]);
    assert.equal(ureg(r, a0), 0x1000);
    assert.equal(ureg(r, a1), 0xfffff000);
    assert.equal(ureg(r, a2), 0x1f000);
    assert.equal(ureg(r, a3), 0xfffe0000);
  });
  it('C.SLLI, C.SRLI, C.SRAI', () => {
    const v = 0x80000f0f;
    const r = c([E.cSlli(a0, 4), E.cSrli(a1, 31), E.cSrai(a2, 8), E.cSrli(a3, 1), E.cSlli(t0, 31)], [[a0, v], [a1, v], [a2, v], [a3, v], [t0, 3]]);
    assert.equal(ureg(r, a0), u(v * 16));
    assert.equal(ureg(r, a1), 1);
    assert.equal(ureg(r, a2), u(Math.floor((v | 0) / 256)));
    assert.equal(ureg(r, a3), Math.floor(v / 2));
    assert.equal(ureg(r, t0), 0x80000000);
  });
  it('C.ANDI sign-extends its immediate', () => {
    const r = c([E.cAndi(a0, -16), E.cAndi(a1, 5)], [[a0, 0x12345678], [a1, 0xff]]);
    assert.equal(ureg(r, a0), 0x12345670);
    assert.equal(ureg(r, a1), 5);
  });
  it('C.SUB, C.XOR, C.OR, C.AND on x8-x15', () => {
    const x = 0xf0f0ff00;
    const y = 0x0ff0f00f;
    const regs: [number, number][] = [[s0, x], [s1, y], [a0, x], [a1, y], [a2, x], [a3, y], [a4, x], [a5, y]];
    const r = c([E.cSub(s0, s1), E.cXor(a0, a1), E.cOr(a2, a3), E.cAnd(a4, a5)], regs);
    assert.equal(ureg(r, s0), u(x - y));
    assert.equal(ureg(r, a0), u(x ^ y));
    assert.equal(ureg(r, a2), u(x | y));
    assert.equal(ureg(r, a4), u(x & y));
  });
  it('C.MV copies, C.ADD adds (any registers)', () => {
    const r = c([E.cMv(t0, a1), E.cAdd(a1, a1), E.cMv(E.t6, sp), E.cAdd(E.t6, t0)], [[a1, 0x40000001], [sp, 8]]);
    assert.equal(ureg(r, t0), 0x40000001);
    assert.equal(ureg(r, a1), 0x80000002);
    assert.equal(ureg(r, E.t6), 0x40000009);
  });
  it('HINTs (rd = x0, zero immediates, shamt 0) change nothing', () => {
    const r = c([E.cAddi(0, 5), E.cLi(0, 3), E.cMv(0, a1), E.cAdd(0, a1), E.cLui(0, 1), E.cSlli(0, 3), E.cSlli(a0, 0), E.cAddi(a2, 0)], [
      [a1, 9],
      [a0, 0x1234],
      [a2, 77],
    ]);
    assert.equal(r.hart.regs[0], 0);
    assert.equal(r.hart.regs[a0], 0x1234);
    assert.equal(r.hart.regs[a2], 77);
    assert.equal(trapped(r), false);
  });
});

describe('RV32C: control transfer', () => {
  it('C.J jumps both ways; C.JAL links pc + 2', () => {
    const r = runProgram((p) => {
      p.at(2, (pc, L) => E.cJal(L('fwd') - pc)); // +0
      p.c(E.cLi(a0, 1)); // +2, skipped
      p.label('back').c(E.cLi(a1, 2)); // +4
      p.at(2, (pc, L) => E.cJ(L('end') - pc)); // +6
      p.label('fwd').c(E.cLi(a2, 3)); // +8
      p.at(2, (pc, L) => E.cJ(L('back') - pc)); // +10
      p.label('end');
    });
    assert.equal(r.hart.regs[a0], 0);
    assert.equal(r.hart.regs[a1], 2);
    assert.equal(r.hart.regs[a2], 3);
    assert.equal(ureg(r, ra), RAM_BASE + 2);
    assert.equal(r.hart.pc, r.end);
  });
  it('C.JR jumps to rs1 (bit 0 cleared); C.JALR links pc + 2, reading rs1 first', () => {
    const r = runProgram(
      (p) => {
        p.c(E.cJalr(ra)); // +0: ra = target
        p.c(E.cLi(a0, 1)); // +2 skipped
        p.label('t').c(E.cLi(a1, 2)); // +4
        p.c(E.cJr(t0)); // +6 -> +11 & ~1 = +10
        p.c(E.cLi(a2, 3)); // +8 skipped
        p.c(E.cLi(a3, 4)); // +10
      },
      { regs: [[ra, RAM_BASE + 4], [t0, RAM_BASE + 11]] },
    );
    assert.equal(r.hart.regs[a0], 0);
    assert.equal(r.hart.regs[a1], 2);
    assert.equal(r.hart.regs[a2], 0);
    assert.equal(r.hart.regs[a3], 4);
    assert.equal(ureg(r, ra), RAM_BASE + 2);
  });
  it('C.BEQZ and C.BNEZ, taken and not, forward and backward', () => {
    for (const [v, beqzTaken] of [[0, true], [1, false], [-1, false], [0x80000000, false]] as [number, boolean][]) {
      const r = runProgram((p) => {
        p.at(2, (pc, L) => E.cBeqz(s0, L('a') - pc));
        p.c(E.cAddi(a0, 1));
        p.label('a');
        p.at(2, (pc, L) => E.cBnez(s0, L('b') - pc));
        p.c(E.cAddi(a1, 1));
        p.label('b');
      }, { regs: [[s0, v | 0]] });
      assert.equal(r.hart.regs[a0], beqzTaken ? 0 : 1, `beqz ${v}`);
      assert.equal(r.hart.regs[a1], beqzTaken ? 1 : 0, `bnez ${v}`);
    }
    const r = runProgram((p) => {
      p.c(E.cLi(s1, 5));
      p.label('loop').c(E.cAddi(a0, 2), E.cAddi(s1, -1));
      p.at(2, (pc, L) => E.cBnez(s1, L('loop') - pc));
    });
    assert.equal(r.hart.regs[a0], 10);
  });
  it('C.EBREAK raises a breakpoint with mepc at the parcel', () => {
    const r = c([E.cNop(), E.cEbreak()]);
    assert.equal(r.hart.readCsr(Csr.mcause), 3);
    assert.equal(r.hart.readCsr(Csr.mepc), RAM_BASE + 2);
    assert.equal(r.hart.readCsr(Csr.mtval), 0);
  });
});

describe('RV32C: mixed widths', () => {
  it('32-bit instructions at 2-byte boundaries, across 4-byte words', () => {
    const r = runProgram((p) => {
      p.c(E.cLi(a0, 1));
      p.i(E.addi(a0, a0, 100), E.slli(a0, a0, 1));
      p.c(E.cAddi(a0, 3));
      p.i(E.addi(a1, a0, 0));
    });
    // The two 32-bit instructions sit at +2 and +6, each straddling a word boundary.
    assert.equal(r.hart.regs[a1], 205);
    assert.equal(r.hart.pc, r.end);
  });
  it('AUIPC and JAL at a 2-byte boundary see that pc', () => {
    const r = runProgram((p) => {
      p.c(E.cNop());
      p.i(E.auipc(a0, 0));
      p.at(4, (pc, L) => E.jal(a1, L('x') - pc));
      p.label('x');
    });
    assert.equal(ureg(r, a0), RAM_BASE + 2);
    assert.equal(ureg(r, a1), RAM_BASE + 10);
  });
});

describe('RV32C: reserved encodings are illegal, with the parcel in mtval', () => {
  const reserved: [string, number][] = [
    ['all-zero parcel', 0x0000],
    ['C.ADDI4SPN with imm 0', E.cAddi4spn(a0, 0) | 0],
    ['C.ADDI4SPN with imm 0 (rd x15)', 0x001c],
    ['C.FLD (no D)', 0x2000 | (1 << 2)],
    ['C.FLW (no F)', 0x6000 | (1 << 2)],
    ['quadrant 0 funct3 100', 0x8000],
    ['C.FSD', 0xa000],
    ['C.FSW', 0xe000],
    ['C.ADDI16SP with imm 0', 0x6101],
    ['C.LUI with imm 0', 0x6501],
    ['C.LUI x0 with imm 0', 0x6001],
    ['C.SRLI with shamt[5] = 1', E.cSrli(a0, 32)],
    ['C.SRAI with shamt[5] = 1', E.cSrai(a0, 33)],
    ['C.SUBW (RV64)', 0x9c01 | (0 << 5)],
    ['C.ADDW (RV64)', 0x9c01 | (1 << 5)],
    ['CA funct 1 10', 0x9c01 | (2 << 5)],
    ['CA funct 1 11', 0x9c01 | (3 << 5)],
    ['C.SLLI with shamt[5] = 1', E.cSlli(a0, 32)],
    ['C.FLDSP', 0x2002 | (1 << 7)],
    ['C.LWSP with rd x0', E.cLwsp(a0, 4) & ~(31 << 7)],
    ['C.FLWSP', 0x6002 | (1 << 7)],
    ['C.JR with rs1 x0', 0x8002],
    ['C.FSDSP', 0xa002],
    ['C.FSWSP', 0xe002],
  ];
  for (const [name, parcel] of reserved) {
    it(name, () => {
      const r = runProgram((p) => p.c(E.cNop(), parcel));
      assert.equal(r.hart.readCsr(Csr.mcause), 2, name);
      assert.equal(r.hart.readCsr(Csr.mtval), parcel, name);
      assert.equal(r.hart.readCsr(Csr.mepc), RAM_BASE + 2, name);
    });
  }
});
