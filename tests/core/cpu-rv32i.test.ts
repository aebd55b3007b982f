/**
 * RV32I semantics (unprivileged ISA chapter 2): every base instruction,
 * its edge cases (sign extension, shift amounts, x0, signed/unsigned
 * compares), misaligned loads and stores to RAM, FENCE and FENCE.I.
 * Expected values are computed here from the spec's definitions.
 */
import { describe, it, assert } from '../harness/index.js';
import * as E from './rv-encode.js';
import { Csr, DATA, ExitReason, RAM_BASE, runProgram, trapped, ureg, peek32 } from './cpu-fixture.js';

const { a0, a1, a2, a3, t0, t1 } = E;

/** Interesting 32-bit values, as unsigned numbers. */
const VALUES = [0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x12345678, 0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, 0xffffffff, 0xdeadbeef];

const s32 = (v: number): number => v | 0;
const u32 = (v: number): number => v >>> 0;
/** Two's-complement wrap of an exact integer (BigInt) to unsigned 32 bits. */
const wrap = (v: bigint): number => Number(BigInt.asUintN(32, v));
const big = (v: number): bigint => BigInt(s32(v));

/** Runs one R-type or I-type instruction with a1 = x, a2 = y and returns a0 (unsigned). */
function alu(inst: number, x: number, y = 0): number {
  const r = runProgram((p) => p.i(inst), { regs: [[a1, s32(x)], [a2, s32(y)]] });
  assert.equal(r.exit, ExitReason.Wfi);
  assert.equal(r.hart.pc, r.end, 'no trap');
  return ureg(r, a0);
}

describe('RV32I: register-register', () => {
  it('ADD, SUB wrap modulo 2^32', () => {
    for (const x of VALUES) for (const y of VALUES) {
      assert.equal(alu(E.add(a0, a1, a2), x, y), wrap(big(x) + big(y)), `add ${x} ${y}`);
      assert.equal(alu(E.sub(a0, a1, a2), x, y), wrap(big(x) - big(y)), `sub ${x} ${y}`);
    }
  });
  it('AND, OR, XOR', () => {
    for (const x of VALUES) for (const y of VALUES) {
      assert.equal(alu(E.and(a0, a1, a2), x, y), wrap(big(x) & big(y)));
      assert.equal(alu(E.or(a0, a1, a2), x, y), wrap(big(x) | big(y)));
      assert.equal(alu(E.xor(a0, a1, a2), x, y), wrap(big(x) ^ big(y)));
    }
  });
  it('SLT is signed, SLTU unsigned', () => {
    for (const x of VALUES) for (const y of VALUES) {
      assert.equal(alu(E.slt(a0, a1, a2), x, y), s32(x) < s32(y) ? 1 : 0, `slt ${x} ${y}`);
      assert.equal(alu(E.sltu(a0, a1, a2), x, y), x < y ? 1 : 0, `sltu ${x} ${y}`);
    }
  });
  it('SLL, SRL, SRA use only the low 5 bits of rs2', () => {
    for (const x of VALUES) {
      for (const sh of [0, 1, 4, 15, 31, 32, 33, 63, 0xffffffe1, 0x80000000]) {
        const k = sh % 32;
        assert.equal(alu(E.sll(a0, a1, a2), x, sh), wrap(BigInt(x) << BigInt(k)), `sll ${x} ${sh}`);
        assert.equal(alu(E.srl(a0, a1, a2), x, sh), Math.floor(x / 2 ** k), `srl ${x} ${sh}`);
        assert.equal(alu(E.sra(a0, a1, a2), x, sh), u32(Math.floor(s32(x) / 2 ** k)), `sra ${x} ${sh}`);
      }
    }
  });
  it('writes to x0 are discarded and x0 reads 0', () => {
    const r = runProgram((p) => p.i(E.addi(0, 0, 5), E.add(0, a1, a1), E.lui(0, 0x12345), E.addi(a0, 0, 0), E.add(a3, 0, 0)), {
      regs: [[a1, 7]],
    });
    assert.equal(r.hart.regs[0], 0);
    assert.equal(r.hart.regs[a0], 0);
    assert.equal(r.hart.regs[a3], 0);
  });
  it('rd may equal rs1 and rs2', () => {
    const r = runProgram((p) => p.i(E.add(a1, a1, a1)), { regs: [[a1, 0x40000001]] });
    assert.equal(ureg(r, a1), 0x80000002);
  });
});

describe('RV32I: register-immediate', () => {
  const IMMS = [0, 1, -1, 2047, -2048, 0x555, -0x556];
  it('ADDI, ANDI, ORI, XORI sign-extend the 12-bit immediate', () => {
    for (const x of VALUES) for (const imm of IMMS) {
      assert.equal(alu(E.addi(a0, a1, imm), x), wrap(big(x) + BigInt(imm)));
      assert.equal(alu(E.andi(a0, a1, imm), x), wrap(big(x) & BigInt(imm)));
      assert.equal(alu(E.ori(a0, a1, imm), x), wrap(big(x) | BigInt(imm)));
      assert.equal(alu(E.xori(a0, a1, imm), x), wrap(big(x) ^ BigInt(imm)));
    }
  });
  it('SLTI compares signed; SLTIU compares the sign-extended immediate unsigned', () => {
    for (const x of VALUES) for (const imm of IMMS) {
      assert.equal(alu(E.slti(a0, a1, imm), x), s32(x) < imm ? 1 : 0);
      assert.equal(alu(E.sltiu(a0, a1, imm), x), x < u32(imm) ? 1 : 0, `sltiu ${x} ${imm}`);
    }
    // SLTIU rd, rs, 1 is SEQZ.
    assert.equal(alu(E.sltiu(a0, a1, 1), 0), 1);
    assert.equal(alu(E.sltiu(a0, a1, 1), 5), 0);
  });
  it('SLLI, SRLI, SRAI by every amount', () => {
    for (const x of VALUES) for (let k = 0; k < 32; k++) {
      assert.equal(alu(E.slli(a0, a1, k), x), wrap(BigInt(x) << BigInt(k)));
      assert.equal(alu(E.srli(a0, a1, k), x), Math.floor(x / 2 ** k));
      assert.equal(alu(E.srai(a0, a1, k), x), u32(Math.floor(s32(x) / 2 ** k)));
    }
  });
  it('LUI places imm[31:12]; AUIPC adds it to the pc', () => {
    assert.equal(alu(E.lui(a0, 0xfffff), 0), 0xfffff000);
    assert.equal(alu(E.lui(a0, 0x80000), 0), 0x80000000);
    assert.equal(alu(E.lui(a0, 1), 0), 0x1000);
    const r = runProgram((p) => p.i(E.addi(0, 0, 0), E.auipc(a0, 0x12345), E.auipc(a1, 0x80000)));
    assert.equal(ureg(r, a0), u32(RAM_BASE + 4 + 0x12345000));
    assert.equal(ureg(r, a1), u32(RAM_BASE + 8 + 0x80000000));
  });
});

describe('RV32I: control transfer', () => {
  it('JAL links pc+4 and jumps by the J-immediate, both ways', () => {
    const r = runProgram((p) => {
      p.at(4, (pc, L) => E.jal(E.ra, L('fwd') - pc));
      p.i(E.addi(a0, 0, 1)); // skipped
      p.label('back').i(E.addi(a2, 0, 3));
      p.at(4, (pc, L) => E.jal(0, L('end') - pc));
      p.label('fwd').i(E.addi(a1, 0, 2));
      p.at(4, (pc, L) => E.jal(t0, L('back') - pc));
      p.label('end');
    });
    assert.equal(r.hart.regs[a0], 0);
    assert.equal(r.hart.regs[a1], 2);
    assert.equal(r.hart.regs[a2], 3);
    assert.equal(ureg(r, E.ra), RAM_BASE + 4);
    assert.equal(ureg(r, t0), RAM_BASE + 24); // the JAL at +20 links +24
    assert.equal(r.hart.pc, r.end);
  });
  it('JALR clears bit 0 of the target, links pc+4, and reads rs1 before writing rd', () => {
    const r = runProgram(
      (p) => {
        p.i(E.jalr(a1, a1, 5)); // a1 + 5 = RAM_BASE + 9: bit 0 is cleared
        p.i(E.addi(a0, 0, 1)); // skipped
        p.i(E.addi(a2, 0, 2));
      },
      { regs: [[a1, RAM_BASE + 4]] },
    );
    assert.equal(r.hart.regs[a0], 0);
    assert.equal(r.hart.regs[a2], 2);
    assert.equal(ureg(r, a1), RAM_BASE + 4);
  });
  it('JALR with a negative offset and rd = x0', () => {
    const r = runProgram(
      (p) => {
        p.at(4, (pc, L) => E.jal(0, L('go') - pc));
        p.label('target').i(E.addi(a0, 0, 9));
        p.at(4, (pc, L) => E.jal(0, L('end') - pc));
        p.label('go').i(E.jalr(0, a1, -16));
        p.label('end');
      },
      { regs: [[a1, RAM_BASE + 4 + 16]] },
    );
    assert.equal(r.hart.regs[a0], 9);
    assert.equal(r.hart.regs[0], 0);
  });
  it('every branch, taken and not taken, signed and unsigned', () => {
    const cases: [string, (x: number, y: number, o: number) => number, (x: number, y: number) => boolean][] = [
      ['beq', (x, y, o) => E.beq(x, y, o), (x, y) => x === y],
      ['bne', (x, y, o) => E.bne(x, y, o), (x, y) => x !== y],
      ['blt', (x, y, o) => E.blt(x, y, o), (x, y) => s32(x) < s32(y)],
      ['bge', (x, y, o) => E.bge(x, y, o), (x, y) => s32(x) >= s32(y)],
      ['bltu', (x, y, o) => E.bltu(x, y, o), (x, y) => x < y],
      ['bgeu', (x, y, o) => E.bgeu(x, y, o), (x, y) => x >= y],
    ];
    const vals = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff];
    for (const [name, enc, pred] of cases) {
      for (const x of vals) for (const y of vals) {
        const r = runProgram((p) => {
          p.i(enc(a1, a2, 8)); // forward over the next instruction
          p.i(E.addi(a0, 0, 1));
        }, { regs: [[a1, s32(x)], [a2, s32(y)]] });
        assert.equal(r.hart.regs[a0], pred(x, y) ? 0 : 1, `${name} ${x} ${y}`);
      }
    }
  });
  it('a backward branch loops', () => {
    const r = runProgram((p) => {
      p.i(E.addi(a1, 0, 10));
      p.label('loop').i(E.addi(a0, a0, 3), E.addi(a1, a1, -1));
      p.at(4, (pc, L) => E.bne(a1, 0, L('loop') - pc));
    });
    assert.equal(r.hart.regs[a0], 30);
  });
});

describe('RV32I: loads and stores', () => {
  function withData(bytes: number[], build: (p: E.Program) => void) {
    return runProgram(build, {
      regs: [[a1, DATA]],
      setup: (r) => r.ram.set(bytes, DATA - RAM_BASE),
    });
  }
  const BYTES = [0x81, 0x92, 0xa3, 0xf4, 0x05, 0x16, 0x27, 0x38];
  it('LB, LBU, LH, LHU, LW sign- or zero-extend', () => {
    const r = withData(BYTES, (p) =>
      p.i(E.lb(a0, a1, 0), E.lbu(a2, a1, 0), E.lh(a3, a1, 0), E.lhu(t0, a1, 0), E.lw(t1, a1, 0), E.lb(E.s2, a1, 4), E.lh(E.s3, a1, 4)),
    );
    assert.equal(ureg(r, a0), 0xffffff81);
    assert.equal(ureg(r, a2), 0x81);
    assert.equal(ureg(r, a3), 0xffff9281);
    assert.equal(ureg(r, t0), 0x9281);
    assert.equal(ureg(r, t1), 0xf4a39281);
    assert.equal(ureg(r, E.s2), 0x05);
    assert.equal(ureg(r, E.s3), 0x1605);
  });
  it('negative and maximum offsets', () => {
    const r = runProgram((p) => p.i(E.lw(a0, a1, -2048), E.lw(a2, a1, 2044), E.sw(a3, a1, -4)), {
      regs: [[a1, DATA + 2048], [a3, 0x11223344]],
      setup: (r) => {
        r.ram.set([1, 2, 3, 4], DATA - RAM_BASE);
        r.ram.set([5, 6, 7, 8], DATA + 2048 + 2044 - RAM_BASE);
      },
    });
    assert.equal(ureg(r, a0), 0x04030201);
    assert.equal(ureg(r, a2), 0x08070605);
    assert.equal(peek32(r, DATA + 2044), 0x11223344);
  });
  it('SB, SH, SW store the low bytes, little-endian', () => {
    const r = runProgram((p) => p.i(E.sw(a2, a1, 0), E.sh(a2, a1, 4), E.sb(a2, a1, 8), E.sb(a2, a1, 9)), {
      regs: [[a1, DATA], [a2, s32(0xcafebabe)]],
    });
    assert.deepEqual(Array.from(r.ram.subarray(DATA - RAM_BASE, DATA - RAM_BASE + 12)), [
      0xbe, 0xba, 0xfe, 0xca, 0xbe, 0xba, 0, 0, 0xbe, 0xbe, 0, 0,
    ]);
  });
  it('misaligned loads and stores to RAM are performed (as QEMU does)', () => {
    const r = withData(BYTES, (p) =>
      p.i(E.lw(a0, a1, 1), E.lh(a2, a1, 3), E.lhu(a3, a1, 1), E.sw(a0, a1, 13), E.sh(a2, a1, 19), E.lw(t0, a1, 13), E.lhu(t1, a1, 19)),
    );
    assert.equal(trapped(r), false);
    assert.equal(ureg(r, a0), 0x05f4a392);
    assert.equal(ureg(r, a2), 0x05f4); // bytes f4 05: positive
    assert.equal(ureg(r, a3), 0xa392);
    assert.equal(ureg(r, t0), 0x05f4a392);
    assert.equal(ureg(r, t1), 0x05f4);
    assert.deepEqual(Array.from(r.ram.subarray(DATA + 13 - RAM_BASE, DATA + 17 - RAM_BASE)), [0x92, 0xa3, 0xf4, 0x05]);
  });
  it('a load into x0 is performed and discarded', () => {
    const r = withData(BYTES, (p) => p.i(E.lw(0, a1, 0), E.addi(a0, 0, 0)));
    assert.equal(r.hart.regs[0], 0);
    assert.equal(r.hart.regs[a0], 0);
  });
  it('the last bytes of RAM are reachable, and a word crossing the end faults', () => {
    const last = RAM_BASE + 0x10000 - 4;
    const r = runProgram((p) => p.i(E.sw(a2, a1, 0), E.lw(a0, a1, 0), E.lbu(a3, a1, 3), E.lw(t0, a1, 2)), {
      regs: [[a1, last], [a2, 0x01020304]],
    });
    assert.equal(ureg(r, a0), 0x01020304);
    assert.equal(ureg(r, a3), 1);
    assert.equal(trapped(r), true);
    assert.equal(r.hart.readCsr(Csr.mcause), 5); // load access fault: the word crosses out of RAM
    // mtval names the portion that faulted, the first byte past RAM (privileged spec 3.1.16; QEMU 7.2 agrees).
    assert.equal(r.hart.readCsr(Csr.mtval), last + 4);
  });
});

describe('RV32I: FENCE, FENCE.I', () => {
  it('are no-ops, whatever their unused fields hold', () => {
    const r = runProgram((p) => p.i(E.fence(), E.fence(2, 1), E.fenceI(), E.fenceI() | (5 << 7) | (6 << 15) | (0x123 << 20), E.addi(a0, 0, 1)));
    assert.equal(r.hart.regs[a0], 1);
    assert.equal(r.hart.pc, r.end);
  });
  it('other MISC-MEM funct3 values are illegal', () => {
    const r = runProgram((p) => p.i(E.fence() | (2 << 12)));
    assert.equal(trapped(r), true);
    assert.equal(r.hart.readCsr(Csr.mcause), 2);
  });
});
