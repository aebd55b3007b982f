// encode.test.ts: checks encode.ts and asm.ts against encodings produced by
// GNU as 2.40 (riscv64-unknown-elf-as -march=rv32imac, -misa-spec=2.2),
// recorded once so the test needs no assembler; branch and jump cases were
// assembled at a label plus the given offset and linked.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProgramBuilder } from './asm.js';
import * as E from './encode.js';

const GOLDEN: Array<[string, number, number]> = [
  ['add a0, a1, a2', E.alu('add', 10, 11, 12), 0x00c58533],
  ['sub t6, s11, ra', E.alu('sub', 31, 27, 1), 0x401d8fb3],
  ['sll x1, x2, x3', E.alu('sll', 1, 2, 3), 0x003110b3],
  ['slt a0, a1, a2', E.alu('slt', 10, 11, 12), 0x00c5a533],
  ['sltu a0, a1, a2', E.alu('sltu', 10, 11, 12), 0x00c5b533],
  ['xor a0, a1, a2', E.alu('xor', 10, 11, 12), 0x00c5c533],
  ['srl a0, a1, a2', E.alu('srl', 10, 11, 12), 0x00c5d533],
  ['sra a0, a1, a2', E.alu('sra', 10, 11, 12), 0x40c5d533],
  ['or a0, a1, a2', E.alu('or', 10, 11, 12), 0x00c5e533],
  ['and a0, a1, a2', E.alu('and', 10, 11, 12), 0x00c5f533],
  ['mul a0, a1, a2', E.mulOp('mul', 10, 11, 12), 0x02c58533],
  ['mulh a0, a1, a2', E.mulOp('mulh', 10, 11, 12), 0x02c59533],
  ['mulhsu a0, a1, a2', E.mulOp('mulhsu', 10, 11, 12), 0x02c5a533],
  ['mulhu a0, a1, a2', E.mulOp('mulhu', 10, 11, 12), 0x02c5b533],
  ['div a0, a1, a2', E.mulOp('div', 10, 11, 12), 0x02c5c533],
  ['divu a0, a1, a2', E.mulOp('divu', 10, 11, 12), 0x02c5d533],
  ['rem a0, a1, a2', E.mulOp('rem', 10, 11, 12), 0x02c5e533],
  ['remu t0, t1, t2', E.mulOp('remu', 5, 6, 7), 0x027372b3],
  ['addi a0, a1, -2048', E.aluImm('addi', 10, 11, -2048), 0x80058513],
  ['addi a0, a1, 2047', E.aluImm('addi', 10, 11, 2047), 0x7ff58513],
  ['slti a0, a1, -1', E.aluImm('slti', 10, 11, -1), 0xfff5a513],
  ['sltiu a0, a1, 5', E.aluImm('sltiu', 10, 11, 5), 0x0055b513],
  ['xori a0, a1, -1', E.aluImm('xori', 10, 11, -1), 0xfff5c513],
  ['ori a0, a1, 0x7ff', E.aluImm('ori', 10, 11, 0x7ff), 0x7ff5e513],
  ['andi a0, a1, -16', E.aluImm('andi', 10, 11, -16), 0xff05f513],
  ['slli a0, a1, 31', E.shiftImm('slli', 10, 11, 31), 0x01f59513],
  ['srli a0, a1, 1', E.shiftImm('srli', 10, 11, 1), 0x0015d513],
  ['srai a0, a1, 17', E.shiftImm('srai', 10, 11, 17), 0x4115d513],
  ['lb a0, -1(a1)', E.load('lb', 10, -1, 11), 0xfff58503],
  ['lh a0, 2047(a1)', E.load('lh', 10, 2047, 11), 0x7ff59503],
  ['lw a0, -2048(sp)', E.load('lw', 10, -2048, 2), 0x80012503],
  ['lbu a0, 3(a1)', E.load('lbu', 10, 3, 11), 0x0035c503],
  ['lhu a0, 6(a1)', E.load('lhu', 10, 6, 11), 0x0065d503],
  ['sb a0, -1(a1)', E.store('sb', 10, -1, 11), 0xfea58fa3],
  ['sh a0, 2047(a1)', E.store('sh', 10, 2047, 11), 0x7ea59fa3],
  ['sw t6, -2048(s0)', E.store('sw', 31, -2048, 8), 0x81f42023],
  ['lui a0, 0xfffff', E.lui(10, 0xfffff), 0xfffff537],
  ['lui t6, 0x80101', E.lui(31, 0x80101), 0x80101fb7],
  ['auipc a0, 0x12345', E.auipc(10, 0x12345), 0x12345517],
  ['jalr ra, -4(t0)', E.jalr(1, 5, -4), 0xffc280e7],
  ['jalr x0, 2047(a5)', E.jalr(0, 15, 2047), 0x7ff78067],
  ['amoswap.w a0, a1, (a2)', E.amo('amoswap', 10, 11, 12), 0x08b6252f],
  ['amoadd.w.aq a0, a1, (a2)', E.amo('amoadd', 10, 11, 12, true), 0x04b6252f],
  ['amoxor.w.rl a0, a1, (a2)', E.amo('amoxor', 10, 11, 12, false, true), 0x22b6252f],
  ['amoand.w.aqrl a0, a1, (a2)', E.amo('amoand', 10, 11, 12, true, true), 0x66b6252f],
  ['amoor.w a0, a1, (a2)', E.amo('amoor', 10, 11, 12), 0x40b6252f],
  ['amomin.w a0, a1, (a2)', E.amo('amomin', 10, 11, 12), 0x80b6252f],
  ['amomax.w a0, a1, (a2)', E.amo('amomax', 10, 11, 12), 0xa0b6252f],
  ['amominu.w a0, a1, (a2)', E.amo('amominu', 10, 11, 12), 0xc0b6252f],
  ['amomaxu.w a0, a1, (a2)', E.amo('amomaxu', 10, 11, 12), 0xe0b6252f],
  ['lr.w a0, (a2)', E.lrW(10, 12), 0x1006252f],
  ['sc.w.rl a0, a1, (a2)', E.scW(10, 11, 12, false, true), 0x1ab6252f],
  ['csrrw a0, mscratch, a1', E.csr('csrrw', 10, 0x340, 11), 0x34059573],
  ['csrrs a0, mstatus, x0', E.csr('csrrs', 10, 0x300, 0), 0x30002573],
  ['csrrc x0, mie, t0', E.csr('csrrc', 0, 0x304, 5), 0x3042b073],
  ['csrrwi a0, mscratch, 31', E.csrImm('csrrwi', 10, 0x340, 31), 0x340fd573],
  ['csrrsi a0, mstatus, 8', E.csrImm('csrrsi', 10, 0x300, 8), 0x30046573],
  ['csrrci a0, mstatus, 1', E.csrImm('csrrci', 10, 0x300, 1), 0x3000f573],
  ['fence', E.fence(), 0x0ff0000f],
  ['fence rw, rw', E.fence('rw', 'rw'), 0x0330000f],
  ['c.addi4spn a0, sp, 4', E.cAddi4spn(10, 4), 0x0048],
  ['c.addi4spn s0, sp, 1020', E.cAddi4spn(8, 1020), 0x1fe0],
  ['c.addi4spn a5, sp, 520', E.cAddi4spn(15, 520), 0x043c],
  ['c.lw a0, 124(a1)', E.cLw(10, 124, 11), 0x5de8],
  ['c.lw s1, 64(s0)', E.cLw(9, 64, 8), 0x4024],
  ['c.lw a5, 4(a4)', E.cLw(15, 4, 14), 0x435c],
  ['c.sw a0, 124(a1)', E.cSw(10, 124, 11), 0xdde8],
  ['c.sw s0, 40(a5)', E.cSw(8, 40, 15), 0xd780],
  ['c.nop', E.cAddi(0, 0), 0x0001],
  ['c.addi a0, -32', E.cAddi(10, -32), 0x1501],
  ['c.addi t6, 31', E.cAddi(31, 31), 0x0ffd],
  ['c.li a0, -1', E.cLi(10, -1), 0x557d],
  ['c.li s11, 17', E.cLi(27, 17), 0x4dc5],
  ['c.addi16sp sp, -512', E.cAddi16sp(-512), 0x7101],
  ['c.addi16sp sp, 496', E.cAddi16sp(496), 0x617d],
  ['c.addi16sp sp, 80', E.cAddi16sp(80), 0x6161],
  ['c.lui a0, 0xfffe0', E.cLui(10, -32), 0x7501],
  ['c.lui t6, 31', E.cLui(31, 31), 0x6ffd],
  ['c.lui ra, 1', E.cLui(1, 1), 0x6085],
  ['c.srli a0, 31', E.cSrli(10, 31), 0x817d],
  ['c.srai s1, 1', E.cSrai(9, 1), 0x8485],
  ['c.andi a5, -32', E.cAndi(15, -32), 0x9b81],
  ['c.andi s0, 21', E.cAndi(8, 21), 0x8855],
  ['c.sub a0, a1', E.cArith('c.sub', 10, 11), 0x8d0d],
  ['c.xor s0, a5', E.cArith('c.xor', 8, 15), 0x8c3d],
  ['c.or a2, a3', E.cArith('c.or', 12, 13), 0x8e55],
  ['c.and a4, s1', E.cArith('c.and', 14, 9), 0x8f65],
  ['c.slli a0, 31', E.cSlli(10, 31), 0x057e],
  ['c.slli t6, 1', E.cSlli(31, 1), 0x0f86],
  ['c.lwsp a0, 252(sp)', E.cLwsp(10, 252), 0x557e],
  ['c.lwsp ra, 0(sp)', E.cLwsp(1, 0), 0x4082],
  ['c.lwsp t6, 68(sp)', E.cLwsp(31, 68), 0x4f96],
  ['c.swsp a0, 252(sp)', E.cSwsp(10, 252), 0xdfaa],
  ['c.swsp t6, 68(sp)', E.cSwsp(31, 68), 0xc2fe],
  ['c.jr ra', E.cJr(1), 0x8082],
  ['c.jr t6', E.cJr(31), 0x8f82],
  ['c.jalr a0', E.cJalr(10), 0x9502],
  ['c.mv a0, a1', E.cMv(10, 11), 0x852e],
  ['c.mv t6, ra', E.cMv(31, 1), 0x8f86],
  ['c.add a0, a1', E.cAdd(10, 11), 0x952e],
  ['c.add sp, t6', E.cAdd(2, 31), 0x917e],
  ['c.ebreak', E.C_EBREAK, 0x9002],
  ['ecall', E.ECALL, 0x00000073],
  ['ebreak', E.EBREAK, 0x00100073],
  ['mret', E.MRET, 0x30200073],
  ['sret', E.SRET, 0x10200073],
  ['wfi', E.WFI, 0x10500073],
  ['fence.i', E.FENCE_I, 0x0000100f],
  ['beq a0, a1, 0x800', E.branch('beq', 10, 11, 0x800), 0x00b500e3],
  ['bne a0, a1, -4096', E.branch('bne', 10, 11, -4096), 0x80b51063],
  ['blt a0, a1, 4094', E.branch('blt', 10, 11, 4094), 0x7eb54fe3],
  ['bge a0, a1, 2', E.branch('bge', 10, 11, 2), 0x00b55163],
  ['bltu t6, zero, -2', E.branch('bltu', 31, 0, -2), 0xfe0fefe3],
  ['bgeu a0, a1, 0x7fe', E.branch('bgeu', 10, 11, 0x7fe), 0x7eb57f63],
  ['jal ra, 0x800', E.jal(1, 0x800), 0x001000ef],
  ['jal x0, -1048576', E.jal(0, -1048576), 0x8000006f],
  ['jal t6, 1048574', E.jal(31, 1048574), 0x7fffffef],
  ['jal a0, 0x12346', E.jal(10, 0x12346), 0x3461256f],
  ['c.j -2048', E.cJ(-2048), 0xb001],
  ['c.j 2046', E.cJ(2046), 0xaffd],
  ['c.j 0x2aa', E.cJ(0x2aa), 0xa46d],
  ['c.j 0x554', E.cJ(0x554), 0xab91],
  ['c.jal -2', E.cJal(-2), 0x3ffd],
  ['c.jal 0x400', E.cJal(0x400), 0x2101],
  ['c.beqz a0, -256', E.cBeqz(10, -256), 0xd101],
  ['c.beqz s0, 254', E.cBeqz(8, 254), 0xcc7d],
  ['c.bnez a5, 0xaa', E.cBnez(15, 0xaa), 0xe7cd],
  ['c.bnez s1, -0x56', E.cBnez(9, -0x56), 0xf4cd],
];

test('encoder matches GNU as on every format', () => {
  for (const [asm, got, want] of GOLDEN) {
    assert.equal(got >>> 0, want, `${asm}: got 0x${(got >>> 0).toString(16)}, want 0x${want.toString(16)}`);
  }
});

test('out-of-range operands are refused, not truncated', () => {
  assert.throws(() => E.aluImm('addi', 1, 1, 2048), RangeError);
  assert.throws(() => E.aluImm('addi', 1, 1, -2049), RangeError);
  assert.throws(() => E.branch('beq', 1, 2, 3), RangeError);
  assert.throws(() => E.branch('beq', 1, 2, 4096), RangeError);
  assert.throws(() => E.jal(1, 1 << 20), RangeError);
  assert.throws(() => E.alu('add', 32, 1, 1), RangeError);
  assert.throws(() => E.shiftImm('slli', 1, 1, 32), RangeError);
  assert.throws(() => E.cLw(7, 0, 8), RangeError);
  assert.throws(() => E.cLw(8, 128, 8), RangeError);
  assert.throws(() => E.cAddi4spn(8, 0), RangeError);
  assert.throws(() => E.cAddi16sp(0), RangeError);
  assert.throws(() => E.cLui(2, 1), RangeError);
  assert.throws(() => E.cLui(1, 0), RangeError);
  assert.throws(() => E.cLwsp(0, 4), RangeError);
  assert.throws(() => E.cJr(0), RangeError);
  assert.throws(() => E.cBeqz(8, 256), RangeError);
  assert.throws(() => E.cJ(2048), RangeError);
});

test('li expands like the assembler', () => {
  assert.deepEqual(E.li(10, 5), [E.aluImm('addi', 10, 0, 5)]);
  assert.deepEqual(E.li(10, -2048), [E.aluImm('addi', 10, 0, -2048)]);
  assert.deepEqual(E.li(10, 0x12345000), [E.lui(10, 0x12345)]);
  assert.deepEqual(E.li(10, 0x12345fff), [E.lui(10, 0x12346), E.aluImm('addi', 10, 10, -1)]);
  assert.deepEqual(E.li(10, 0x80000000), [E.lui(10, 0x80000)]);
  assert.deepEqual(E.li(10, 0xffffffff), [E.aluImm('addi', 10, 0, -1)]);
  assert.deepEqual(E.li(10, 0x7ffff800), [E.lui(10, 0x80000), E.aluImm('addi', 10, 10, -2048)]);
  for (const v of [0, 1, 0x800, 0xfff, 0x7fffffff, 0x80000800, 0xdeadbeef, -1, -2049]) {
    const [hi, lo] = E.splitConstant(v);
    assert.equal(((hi << 12) + lo) | 0, v | 0, `splitConstant(${v})`);
  }
});

test('ProgramBuilder resolves forward and backward labels', () => {
  const b = new ProgramBuilder(0x80000000);
  b.label('top');
  b.branchTo('beq', 10, 11, 'end');     // +12
  b.cJTo('top');                        // -4
  b.cBnezTo(8, 'end');                  // +6
  b.jalTo(1, 'top');                    // -8
  b.label('end');
  const img = b.finish();
  const w32 = (at: number): number => (img[at]! | (img[at + 1]! << 8) | (img[at + 2]! << 16) | (img[at + 3]! << 24)) >>> 0;
  const w16 = (at: number): number => img[at]! | (img[at + 1]! << 8);
  assert.equal(img.length, 12);
  assert.equal(w32(0), E.branch('beq', 10, 11, 12));
  assert.equal(w16(4), E.cJ(-4));
  assert.equal(w16(6), E.cBnez(8, 6));
  assert.equal(w32(8), E.jal(1, -8));
  assert.throws(() => { const c = new ProgramBuilder(0); c.jalTo(0, 'nowhere'); c.finish(); }, /undefined label/);
});
