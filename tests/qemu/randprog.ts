// randprog.ts: a seeded generator of random RV32IMC guest programs, emitted
// directly as a raw machine-code image for address 0x80000000 (QEMU virt
// loads a non-ELF -kernel there with -bios none). The program runs
// straight through: a prologue seeds a data buffer and all 31 registers,
// the body is N random valid instructions whose only control transfers
// are forward, and an epilogue prints every register and a checksum of
// the buffer over the UART, then writes 0x5555 to the test finisher.
// Loads and stores stay inside the data buffer, a RAM page well away
// from the code, so two correct harts must print the same text.

import { ProgramBuilder } from './asm.js';
import * as E from './encode.js';
import type { Reg } from './encode.js';

export const CODE_BASE = 0x8000_0000;
/** The data buffer: [DATA_START, DATA_END), 1 MiB above the code. */
export const DATA_START = 0x8010_0800;
export const DATA_END = 0x8010_1800;
/** lui value giving the buffer's midpoint, 0x80101000: offsets -2048..2047 cover the buffer. */
const DATA_MID_HI = 0x80101;
const SAVE_HI = 0x80102;          // register dump area at 0x80102000
const UART_HI = 0x10000;          // ns16550a at 0x10000000: THR +0, LSR +5
const FINISHER_HI = 0x00100;      // sifive,test0 at 0x00100000
const MSCRATCH = 0x340;
const X_SP = E.X.sp;

export interface RandomProgramOptions {
  seed: number;
  /** number of random instruction units in the body (default 400) */
  length?: number;
  /** emit RV32C forms too (default true) */
  compressed?: boolean;
  /** also emit aligned AMOs into the buffer (default false: RV32IMC only) */
  atomics?: boolean;
}

export interface RandomProgram {
  seed: number;
  length: number;
  image: Uint8Array;
}

/** xorshift32 (Marsaglia 2003), seeded; 0 is mapped to a fixed nonzero state. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = (seed >>> 0) || 0x9e3779b9;
    for (let i = 0; i < 4; i++) this.next();
  }

  next(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state;
  }

  /** integer in [lo, hi] */
  int(lo: number, hi: number): number {
    return lo + (this.next() % (hi - lo + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[this.next() % items.length] as T;
  }

  chance(p: number): boolean {
    return this.next() / 2 ** 32 < p;
  }
}

const SPECIAL_VALUES = [
  0, 1, -1, 2, -2, 0x8000_0000, 0x7fff_ffff, 0x8000_0001, 0xffff, 0x8000, 0x7fff,
  0x80, 0x7f, 31, 32, 33, 10, 0x5555_5555, 0xaaaa_aaaa, 0x0000_0800, 0xffff_f800,
];

function randomValue(rng: Rng): number {
  return rng.chance(0.5) ? rng.pick(SPECIAL_VALUES) | 0 : rng.next() | 0;
}

function randomImm12(rng: Rng): number {
  return rng.chance(0.3) ? rng.pick([0, 1, -1, 2047, -2048, 31, 32, -32, 0x7f, 0x80]) : rng.int(0, 4095) - 2048;
}

/** any register but x0 */
function anyReg(rng: Rng): Reg {
  return rng.int(1, 31);
}

/** a destination: occasionally x0, whose writes must vanish */
function destReg(rng: Rng): Reg {
  return rng.chance(0.04) ? 0 : anyReg(rng);
}

/** x8..x15, for the 3-bit compressed register fields */
function cReg(rng: Rng): Reg {
  return rng.int(8, 15);
}

function nonzero(rng: Rng, lo: number, hi: number): number {
  for (;;) {
    const v = rng.int(lo, hi);
    if (v !== 0) return v;
  }
}

/** byte offset from the buffer midpoint for an access of `size` bytes, misaligned at times */
function dataOffset(rng: Rng, size: number): number {
  let off = rng.int(-2048, 2048 - size);
  if (rng.chance(0.7)) off -= ((off % size) + size) % size;   // usually aligned
  return off;
}

const MAX_SKIP = 8;   // forward distance in units: keeps every target within c.beqz range

type Unit = (b: ProgramBuilder, target: () => string) => void;

function bodyUnit(rng: Rng, opts: Required<RandomProgramOptions>): Unit {
  const choices: Array<[number, () => Unit]> = [
    [20, () => { const op = rng.pick(E.ALU_OPS), rd = destReg(rng), a = anyReg(rng), c = anyReg(rng); return (b) => b.emit32(E.alu(op, rd, a, c)); }],
    [12, () => { const op = rng.pick(E.MUL_OPS), rd = destReg(rng), a = anyReg(rng), c = anyReg(rng); return (b) => b.emit32(E.mulOp(op, rd, a, c)); }],
    [14, () => { const op = rng.pick(E.ALU_IMM_OPS), rd = destReg(rng), a = anyReg(rng), imm = randomImm12(rng); return (b) => b.emit32(E.aluImm(op, rd, a, imm)); }],
    [6, () => { const op = rng.pick(E.SHIFT_IMM_OPS), rd = destReg(rng), a = anyReg(rng), sh = rng.int(0, 31); return (b) => b.emit32(E.shiftImm(op, rd, a, sh)); }],
    [3, () => { const rd = destReg(rng), imm = rng.next() >>> 12; return (b) => b.emit32(E.lui(rd, imm)); }],
    [2, () => { const rd = destReg(rng), imm = rng.next() >>> 12; return (b) => b.emit32(E.auipc(rd, imm)); }],
    [10, () => {
      const op = rng.pick(E.LOAD_OPS), base = anyReg(rng), rd = destReg(rng), off = dataOffset(rng, E.accessSize(op));
      return (b) => { b.emit32(E.lui(base, DATA_MID_HI)); b.emit32(E.load(op, rd, off, base)); };
    }],
    [10, () => {
      const op = rng.pick(E.STORE_OPS), base = anyReg(rng), src = rng.int(0, 31), off = dataOffset(rng, E.accessSize(op));
      return (b) => { b.emit32(E.lui(base, DATA_MID_HI)); b.emit32(E.store(op, src, off, base)); };
    }],
    [8, () => { const op = rng.pick(E.BRANCH_OPS), a = rng.int(0, 31), c = rng.int(0, 31); return (b, t) => b.branchTo(op, a, c, t()); }],
    [2, () => { const rd = destReg(rng); return (b, t) => b.jalTo(rd, t()); }],
    [2, () => { const tmp = anyReg(rng), rd = destReg(rng); return (b, t) => b.auipcJalrTo(tmp, rd, t()); }],
  ];
  if (opts.atomics) {
    choices.push([4, () => {
      const op = rng.pick(E.AMO_OPS), base = anyReg(rng), rd = destReg(rng), src = rng.int(0, 31);
      const off = dataOffset(rng, 4) & ~3;
      return (b) => {
        b.emit32(E.lui(base, DATA_MID_HI));
        b.emit32(E.aluImm('addi', base, base, off));
        b.emit32(E.amo(op, rd, src, base, rng.chance(0.5), rng.chance(0.5)));
      };
    }]);
  }
  if (opts.compressed) {
    const c: Array<[number, () => Unit]> = [
      [3, () => { const rd = anyReg(rng), imm = nonzero(rng, -32, 31); return (b) => b.emit16(E.cAddi(rd, imm)); }],
      [3, () => { const rd = anyReg(rng), imm = rng.int(-32, 31); return (b) => b.emit16(E.cLi(rd, imm)); }],
      [2, () => { let rd = anyReg(rng); if (rd === 2) rd = 3; const imm = nonzero(rng, -32, 31); return (b) => b.emit16(E.cLui(rd, imm)); }],
      [1, () => { const imm = 16 * nonzero(rng, -32, 31); return (b) => b.emit16(E.cAddi16sp(imm)); }],
      [1, () => { const rd = cReg(rng), imm = 4 * rng.int(1, 255); return (b) => b.emit16(E.cAddi4spn(rd, imm)); }],
      [2, () => { const rd = anyReg(rng), sh = rng.int(1, 31); return (b) => b.emit16(E.cSlli(rd, sh)); }],
      [2, () => { const rd = cReg(rng), sh = rng.int(1, 31); return (b) => b.emit16(E.cSrli(rd, sh)); }],
      [2, () => { const rd = cReg(rng), sh = rng.int(1, 31); return (b) => b.emit16(E.cSrai(rd, sh)); }],
      [2, () => { const rd = cReg(rng), imm = rng.int(-32, 31); return (b) => b.emit16(E.cAndi(rd, imm)); }],
      [4, () => { const op = rng.pick(E.C_ARITH_OPS), rd = cReg(rng), rs = cReg(rng); return (b) => b.emit16(E.cArith(op, rd, rs)); }],
      [2, () => { const rd = anyReg(rng), rs = anyReg(rng); return (b) => b.emit16(E.cMv(rd, rs)); }],
      [2, () => { const rd = anyReg(rng), rs = anyReg(rng); return (b) => b.emit16(E.cAdd(rd, rs)); }],
      [1, () => (b) => b.emit16(E.C_NOP)],
      [3, () => {
        const base = cReg(rng), rd = cReg(rng), off = 4 * rng.int(0, 31);
        return (b) => { b.emit32(E.lui(base, DATA_MID_HI)); b.emit16(E.cLw(rd, off, base)); };
      }],
      [3, () => {
        const base = cReg(rng), rs = cReg(rng), off = 4 * rng.int(0, 31);
        return (b) => { b.emit32(E.lui(base, DATA_MID_HI)); b.emit16(E.cSw(rs, off, base)); };
      }],
      [2, () => {
        const rd = anyReg(rng), off = 4 * rng.int(0, 63);
        return (b) => { b.emit32(E.lui(X_SP, DATA_MID_HI)); b.emit16(E.cLwsp(rd, off)); };
      }],
      [2, () => {
        const rs = rng.int(0, 31), off = 4 * rng.int(0, 63);
        return (b) => { b.emit32(E.lui(X_SP, DATA_MID_HI)); b.emit16(E.cSwsp(rs, off)); };
      }],
      [2, () => { const rs = cReg(rng); return (b, t) => b.cBeqzTo(rs, t()); }],
      [2, () => { const rs = cReg(rng); return (b, t) => b.cBnezTo(rs, t()); }],
      [1, () => (b, t) => b.cJTo(t())],
      [1, () => (b, t) => b.cJalTo(t())],
      [1, () => { const r = anyReg(rng); return (b, t) => { b.addressOf(r, t()); b.emit16(E.cJr(r)); }; }],
      [1, () => { const r = anyReg(rng); return (b, t) => { b.addressOf(r, t()); b.emit16(E.cJalr(r)); }; }],
    ];
    choices.push(...c);
  }
  const total = choices.reduce((s, [w]) => s + w, 0);
  let roll = rng.int(0, total - 1);
  for (const [w, make] of choices) {
    if (roll < w) return make();
    roll -= w;
  }
  throw new Error('unreachable');
}


/** Generate the program for `opts.seed`: the same options always give the same bytes. */
export function generateProgram(options: RandomProgramOptions): RandomProgram {
  const opts: Required<RandomProgramOptions> = {
    length: 400, compressed: true, atomics: false, ...options,
  };
  const rng = new Rng(opts.seed);
  const b = new ProgramBuilder(CODE_BASE);
  const T = E.X;

  // Prologue 1: fill the buffer from a seeded LCG (Numerical Recipes constants).
  b.emit32(E.lui(T.t0, DATA_MID_HI));
  b.emit32(E.aluImm('addi', T.t0, T.t0, DATA_START - DATA_MID_HI * 4096));
  b.emit32(E.lui(T.t1, SAVE_HI));
  b.emit32(E.aluImm('addi', T.t1, T.t1, DATA_END - SAVE_HI * 4096));
  b.li(T.t2, rng.next());
  b.li(T.t3, 1664525);
  b.li(T.t4, 1013904223);
  b.label('fill');
  b.emit32(E.mulOp('mul', T.t2, T.t2, T.t3));
  b.emit32(E.alu('add', T.t2, T.t2, T.t4));
  b.emit32(E.store('sw', T.t2, 0, T.t0));
  b.emit32(E.aluImm('addi', T.t0, T.t0, 4));
  b.branchTo('bne', T.t0, T.t1, 'fill');

  // Prologue 2: every register gets a seeded value.
  for (let r = 1; r < 32; r++) b.li(r, randomValue(rng));

  // Body: units, each a labelled boundary that forward jumps may target.
  const n = opts.length;
  for (let i = 0; i < n; i++) {
    const unit = bodyUnit(rng, opts);
    b.label(`u${i}`);
    unit(b, () => `u${rng.int(i + 1, Math.min(n, i + MAX_SKIP))}`);
  }
  b.label(`u${n}`);
  emitEpilogue(b);
  return { seed: opts.seed, length: n, image: b.finish() };
}

function emitEpilogue(b: ProgramBuilder): void {
  const T = E.X;
  // Dump x1..x31 to the save area; mscratch holds x31 while x31 is the base.
  b.emit32(E.csr('csrrw', 0, MSCRATCH, 31));
  b.emit32(E.lui(31, SAVE_HI));
  for (let r = 1; r <= 30; r++) b.emit32(E.store('sw', r, 4 * r, 31));
  b.emit32(E.csr('csrrs', 30, MSCRATCH, 0));
  b.emit32(E.store('sw', 30, 124, 31));

  // "xNN=hhhhhhhh\n" for each register
  b.emit32(E.lui(T.s0, SAVE_HI));
  b.emit32(E.aluImm('addi', T.s1, 0, 1));
  b.label('regloop');
  b.emit32(E.aluImm('addi', T.a0, 0, 'x'.charCodeAt(0)));
  b.jalTo(T.ra, 'putc');
  b.emit32(E.aluImm('addi', T.t0, 0, 10));
  b.emit32(E.mulOp('divu', T.a0, T.s1, T.t0));
  b.emit32(E.aluImm('addi', T.a0, T.a0, '0'.charCodeAt(0)));
  b.jalTo(T.ra, 'putc');
  b.emit32(E.aluImm('addi', T.t0, 0, 10));
  b.emit32(E.mulOp('remu', T.a0, T.s1, T.t0));
  b.emit32(E.aluImm('addi', T.a0, T.a0, '0'.charCodeAt(0)));
  b.jalTo(T.ra, 'putc');
  b.emit32(E.aluImm('addi', T.a0, 0, '='.charCodeAt(0)));
  b.jalTo(T.ra, 'putc');
  b.emit32(E.shiftImm('slli', T.t0, T.s1, 2));
  b.emit32(E.alu('add', T.t0, T.t0, T.s0));
  b.emit32(E.load('lw', T.a0, 0, T.t0));
  b.jalTo(T.ra, 'puthex');
  b.emit32(E.aluImm('addi', T.a0, 0, 10));
  b.jalTo(T.ra, 'putc');
  b.emit32(E.aluImm('addi', T.s1, T.s1, 1));
  b.emit32(E.aluImm('addi', T.t0, 0, 32));
  b.branchTo('bne', T.s1, T.t0, 'regloop');

  // checksum: sum = rotl(sum, 5) ^ word over the buffer
  b.emit32(E.lui(T.t1, DATA_MID_HI));
  b.emit32(E.aluImm('addi', T.t1, T.t1, DATA_START - DATA_MID_HI * 4096));
  b.emit32(E.lui(T.t2, SAVE_HI));
  b.emit32(E.aluImm('addi', T.t2, T.t2, DATA_END - SAVE_HI * 4096));
  b.emit32(E.aluImm('addi', T.s2, 0, 0));
  b.label('sumloop');
  b.emit32(E.load('lw', T.t0, 0, T.t1));
  b.emit32(E.shiftImm('slli', T.t3, T.s2, 5));
  b.emit32(E.shiftImm('srli', T.t4, T.s2, 27));
  b.emit32(E.alu('or', T.s2, T.t3, T.t4));
  b.emit32(E.alu('xor', T.s2, T.s2, T.t0));
  b.emit32(E.aluImm('addi', T.t1, T.t1, 4));
  b.branchTo('bne', T.t1, T.t2, 'sumloop');
  for (const ch of 'sum=') {
    b.emit32(E.aluImm('addi', T.a0, 0, ch.charCodeAt(0)));
    b.jalTo(T.ra, 'putc');
  }
  b.emit32(E.aluImm('addi', T.a0, T.s2, 0));
  b.jalTo(T.ra, 'puthex');
  b.emit32(E.aluImm('addi', T.a0, 0, 10));
  b.jalTo(T.ra, 'putc');

  // finisher: pass
  b.emit32(E.lui(T.t0, FINISHER_HI));
  b.li(T.t1, 0x5555);
  b.emit32(E.store('sw', T.t1, 0, T.t0));
  b.label('hang');
  b.jalTo(0, 'hang');

  // putc(a0): poll LSR.THRE (bit 5), then write THR. Clobbers t5, t6.
  b.label('putc');
  b.emit32(E.lui(T.t5, UART_HI));
  b.label('txwait');
  b.emit32(E.load('lbu', T.t6, 5, T.t5));
  b.emit32(E.aluImm('andi', T.t6, T.t6, 0x20));
  b.branchTo('beq', T.t6, 0, 'txwait');
  b.emit32(E.store('sb', T.a0, 0, T.t5));
  b.emit32(E.jalr(0, T.ra, 0));

  // puthex(a0): eight lowercase hex digits. Clobbers a0, s3-s5, t0, t5, t6.
  b.label('puthex');
  b.emit32(E.aluImm('addi', T.s3, T.ra, 0));
  b.emit32(E.aluImm('addi', T.s5, T.a0, 0));
  b.emit32(E.aluImm('addi', T.s4, 0, 28));
  b.label('hexloop');
  b.emit32(E.alu('srl', T.a0, T.s5, T.s4));
  b.emit32(E.aluImm('andi', T.a0, T.a0, 15));
  b.emit32(E.aluImm('addi', T.t0, 0, 10));
  b.branchTo('blt', T.a0, T.t0, 'hexdigit');
  b.emit32(E.aluImm('addi', T.a0, T.a0, 'a'.charCodeAt(0) - 10 - '0'.charCodeAt(0)));
  b.label('hexdigit');
  b.emit32(E.aluImm('addi', T.a0, T.a0, '0'.charCodeAt(0)));
  b.jalTo(T.ra, 'putc');
  b.emit32(E.aluImm('addi', T.s4, T.s4, -4));
  b.branchTo('bge', T.s4, 0, 'hexloop');
  b.emit32(E.jalr(0, T.s3, 0));
}

export interface RandomProgramResult {
  /** x1..x31 at the end of the body, index 0 is x1 */
  regs: number[];
  sum: number;
}

/** Parse the epilogue's output; null if it is not complete and well formed. */
export function parseRandomOutput(stdout: string): RandomProgramResult | null {
  const lines = stdout.split('\n');
  if (lines.length !== 33 || lines[32] !== '') return null;
  const regs: number[] = [];
  for (let r = 1; r <= 31; r++) {
    const m = /^x(\d\d)=([0-9a-f]{8})$/.exec(lines[r - 1] ?? '');
    if (!m || Number(m[1]) !== r) return null;
    regs.push(parseInt(m[2] ?? '', 16));
  }
  const s = /^sum=([0-9a-f]{8})$/.exec(lines[31] ?? '');
  if (!s) return null;
  return { regs, sum: parseInt(s[1] ?? '', 16) };
}
