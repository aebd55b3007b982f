/**
 * M extension (unprivileged ISA chapter 7): products and their high halves
 * against exact BigInt arithmetic, and the division edge cases of table
 * 7.1 (division by zero, INT_MIN / -1).
 */
import { describe, it, assert } from '../harness/index.js';
import * as E from './rv-encode.js';
import { mulh, mulhsu, mulhu } from '../../src/cpu/index.js';
import { ExitReason, runProgram, ureg } from './cpu-fixture.js';

const { a0, a1, a2 } = E;

const VALUES = [
  0, 1, 2, 3, 7, 10, 0xff, 0x7fff, 0x8000, 0xffff, 0x10000, 0x12345678, 0x7ffffffe, 0x7fffffff, 0x80000000, 0x80000001,
  0xaaaaaaaa, 0xfffffff9, 0xfffffffe, 0xffffffff, 0xdeadbeef,
];

const S = (v: number): bigint => BigInt(v | 0);
const U = (v: number): bigint => BigInt(v >>> 0);
const lo32 = (v: bigint): number => Number(BigInt.asUintN(32, v));
// Reduce to 64 unsigned bits before shifting: XS 13.3 gets `>>` wrong for negative
// multiples of 2^32 (-4294967296n >> 32n gives -2n there).
const hi32 = (v: bigint): number => Number(BigInt.asUintN(64, v) >> 32n);

function op(inst: number, x: number, y: number): number {
  const r = runProgram((p) => p.i(inst), { regs: [[a1, x | 0], [a2, y | 0]] });
  assert.equal(r.exit, ExitReason.Wfi);
  assert.equal(r.hart.pc, r.end, 'no trap');
  return ureg(r, a0);
}

/** Truncating signed division per table 7.1. */
function divS(x: number, y: number): [number, number] {
  const a = S(x);
  const b = S(y);
  if (b === 0n) return [0xffffffff, lo32(a)];
  if (a === -(2n ** 31n) && b === -1n) return [lo32(a), 0];
  return [lo32(a / b), lo32(a % b)]; // BigInt division truncates toward zero, as RISC-V does
}

function divU(x: number, y: number): [number, number] {
  const a = U(x);
  const b = U(y);
  if (b === 0n) return [0xffffffff, lo32(a)];
  return [lo32(a / b), lo32(a % b)];
}

describe('M: multiplication', () => {
  it('MUL, MULH, MULHSU, MULHU match exact 64-bit products', () => {
    for (const x of VALUES) for (const y of VALUES) {
      assert.equal(op(E.mul(a0, a1, a2), x, y), lo32(S(x) * S(y)), `mul ${x} ${y}`);
      assert.equal(op(E.mulh(a0, a1, a2), x, y), hi32(S(x) * S(y)), `mulh ${x} ${y}`);
      assert.equal(op(E.mulhsu(a0, a1, a2), x, y), hi32(S(x) * U(y)), `mulhsu ${x} ${y}`);
      assert.equal(op(E.mulhu(a0, a1, a2), x, y), hi32(U(x) * U(y)), `mulhu ${x} ${y}`);
    }
  });
  it('the helpers agree with BigInt on pseudo-random operands', () => {
    let s = 0x2545f491;
    const next = (): number => {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      return s >>> 0;
    };
    for (let i = 0; i < 20000; i++) {
      const x = next();
      const y = next();
      assert.equal(mulh(x | 0, y | 0) >>> 0, hi32(S(x) * S(y)));
      assert.equal(mulhsu(x | 0, y | 0) >>> 0, hi32(S(x) * U(y)));
      assert.equal(mulhu(x | 0, y | 0) >>> 0, hi32(U(x) * U(y)));
    }
  });
  it('rd may equal a source', () => {
    const r = runProgram((p) => p.i(E.mulhu(a1, a1, a1)), { regs: [[a1, -1]] });
    assert.equal(ureg(r, a1), 0xfffffffe);
  });
});

describe('M: division', () => {
  it('DIV, REM, DIVU, REMU match truncating division', () => {
    for (const x of VALUES) for (const y of VALUES) {
      const [q, rm] = divS(x, y);
      const [qu, ru] = divU(x, y);
      assert.equal(op(E.div(a0, a1, a2), x, y), q, `div ${x} ${y}`);
      assert.equal(op(E.rem(a0, a1, a2), x, y), rm, `rem ${x} ${y}`);
      assert.equal(op(E.divu(a0, a1, a2), x, y), qu, `divu ${x} ${y}`);
      assert.equal(op(E.remu(a0, a1, a2), x, y), ru, `remu ${x} ${y}`);
    }
  });
  it('division by zero: quotient all ones, remainder the dividend (table 7.1)', () => {
    assert.equal(op(E.div(a0, a1, a2), 7, 0), 0xffffffff);
    assert.equal(op(E.div(a0, a1, a2), -7, 0), 0xffffffff);
    assert.equal(op(E.divu(a0, a1, a2), 7, 0), 0xffffffff);
    assert.equal(op(E.rem(a0, a1, a2), -7, 0), 0xfffffff9);
    assert.equal(op(E.remu(a0, a1, a2), 0x80000000, 0), 0x80000000);
  });
  it('overflow: INT_MIN / -1 = INT_MIN, remainder 0 (table 7.1)', () => {
    assert.equal(op(E.div(a0, a1, a2), 0x80000000, -1), 0x80000000);
    assert.equal(op(E.rem(a0, a1, a2), 0x80000000, -1), 0);
    assert.equal(op(E.divu(a0, a1, a2), 0x80000000, -1), 0);
    assert.equal(op(E.remu(a0, a1, a2), 0x80000000, -1), 0x80000000);
  });
  it('the remainder takes the sign of the dividend', () => {
    assert.equal(op(E.rem(a0, a1, a2), -7, 2) | 0, -1);
    assert.equal(op(E.rem(a0, a1, a2), 7, -2) | 0, 1);
    assert.equal(op(E.div(a0, a1, a2), -7, 2) | 0, -3);
    assert.equal(op(E.rem(a0, a1, a2), -8, 2), 0);
  });
});
