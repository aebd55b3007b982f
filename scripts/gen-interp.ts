/**
 * Generates the hart's interpreter loop (src/cpu/interp.ts) and its AMO
 * helper (src/cpu/amo.ts) from the ISA description in src/cpu/isa/: the
 * fields, immediates and semantics come from there; this script adds what
 * is specialised by hand for XS (docs/xs-performance.md): if-chains in the
 * frequency order of guests/bin/mips.elf whose arms continue the loop, the
 * RAM fast paths, pc kept as a parcel index, the frequent compressed forms
 * run directly, and the statement shapes XS runs in fewest bytecodes.
 *
 * `node --loader ts-node/esm --no-warnings scripts/gen-interp.ts` writes
 * both files; `--check` exits 1 when a committed file differs from what it
 * would write (tests/host/cpu-interp-generated.test.ts does the same).
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  AMO_OPS, BRANCH_OPS, FENCE_I_FUNCT3, Fields, LOAD_OPS, LR_FUNCT5, OP_IMM_OPS, OP_OPS, Opcode, RVC_CA_OPS, RvcFields, RvcKey, SC_FUNCT5,
  STORE_OPS, UPPER,
  fieldSource, fieldValue, opNamed, type AluOp, type BitField, type MemOp,
} from '../src/cpu/isa/index.js';

// ---------------------------------------------------------------- frequency orders (guests/bin/mips.elf; XS tests cases one by one)

const MAJOR_ORDER = ['BRANCH', 'OP_IMM', 'OP', 'STORE', 'LOAD', 'JAL', 'JALR', 'LUI', 'AUIPC', 'SYSTEM', 'AMO', 'MISC_MEM'] as const;
const BRANCH_ORDER = ['BNE', 'BLT', 'BEQ', 'BGE', 'BLTU', 'BGEU'];
const OP_IMM_ORDER = ['SRLI', 'SRAI', 'SLLI', 'ANDI', 'ADDI', 'XORI', 'ORI', 'SLTI', 'SLTIU'];
const OP_ORDER = ['XOR', 'ADD', 'OR', 'AND', 'SLL', 'SRL', 'SLT', 'SLTU', 'REMU', 'MUL', 'DIVU', 'MULH', 'MULHSU', 'MULHU', 'DIV', 'REM', 'SUB', 'SRA'];
const LOAD_ORDER = ['LW', 'LBU', 'LH', 'LB', 'LHU'];
const STORE_ORDER = ['SB', 'SW', 'SH'];

// ---------------------------------------------------------------- helpers

/**
 * fieldSource(f, v, shift) with one term less for a signed field whose sign
 * (bit 31) lies above its next part's bits 30..lo in the word but lands
 * higher in the value (B and J immediates): one arithmetic shift brings
 * both, the sign spread over the bits between, which a mask clears for the
 * parts that fill them. Checked here against fieldValue over every value
 * of the field's bits; fieldSource's text when the form does not apply.
 */
function fieldExpr(f: BitField, v: string, shift = 0): string {
  const plain = fieldSource(f, v, shift);
  const [sign, next, ...rest] = f.parts;
  if (!f.signed || sign === undefined || next === undefined || sign[0] !== 31 || sign[1] !== 31 || next[0] !== 30) return plain;
  const at = next[2] - shift;
  const s = next[1] - at; // the right shift that puts bit `lo` at its place
  const top = sign[2] - shift;
  if (s <= 0 || 31 - s > top) return plain;
  // Cleared: the bits below the part, and those between where bit 31 lands and the sign's own place.
  const clear = ((1 << at) - 1) | (((1 << top) - 1) & ~((1 << (31 - s)) - 1));
  const part = ([hi, lo, to]: readonly [number, number, number]): string => {
    const mask = hex((((1 << (hi - lo + 1)) - 1) << (to - shift)) >>> 0);
    const d = lo - (to - shift);
    return `((${v} ${d >= 0 ? '>>' : '<<'} ${Math.abs(d)}) & ${mask})`;
  };
  const text = `((${v} >> ${s}) & ~${hex(clear)}) | ${rest.map(part).join(' | ')}`.replace(/ \| $/, '');
  const fn = new Function(v, `return (${text});`) as (w: number) => number;
  const bits = f.parts.flatMap(([hi, lo]) => Array.from({ length: hi - lo + 1 }, (_, i) => lo + i));
  for (let k = 0; k < 2 ** bits.length; k++) {
    let w = 0x5a5a5a5a & ~bits.reduce((m, b) => m | (1 << b), 0);
    bits.forEach((b, i) => { if ((k >>> i) & 1) w |= 1 << b; });
    if (fn(w) !== fieldValue(f, w) >> shift) throw new Error(`gen-interp: fieldExpr(${text}) differs from the field at ${hex(w)}`);
  }
  return `(${text})`;
}

const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;
const byName = <T extends { name: string }>(list: readonly T[], order: readonly string[]): T[] =>
  order.map((n) => {
    const e = list.find((o) => o.name === n);
    if (e === undefined) throw new Error(`gen-interp: ${n} is not in the table`);
    return e;
  });
/** Refuses an order that leaves out an entry of the table (a new instruction must get its place). */
function complete(list: readonly { name: string }[], order: readonly string[]): readonly string[] {
  const missing = list.filter((o) => !order.includes(o.name));
  if (missing.length > 0) throw new Error(`gen-interp: no place in the order for ${missing.map((o) => o.name).join(', ')}`);
  return order;
}
const f3case = (f3: number): string => `0x${(f3 << 12).toString(16).padStart(4, '0')}`;
const key16 = (k: number): string => `0x${k.toString(16).padStart(4, '0')}`;
/** Indents every line of `text` by `n` spaces. */
const ind = (n: number, text: string): string =>
  text
    .split('\n')
    .map((l) => (l === '' ? l : ' '.repeat(n) + l))
    .join('\n');

/**
 * How every arm of the execute chains leaves: the next instruction, with no
 * break out of nested blocks (XS pays a jump, and a pop for a switch, at
 * each level). Only if-chains, no switch: a \`continue\` out of a switch
 * leaks a stack slot in XS 13.3 (see the loop).
 */
const NEXT = 'ADVANCE\ncontinue;';
/** An illegal instruction: parcel stays at it; the loop is left (LEAVE_LOOP, a \`break\` out of the while loop) for the code after it. */
const ILLEGAL = 'status = ST_ILLEGAL;\nLEAVE_LOOP;';
const rdField = fieldSource(Fields.rd, 'inst');
const rs1Field = fieldSource(Fields.rs1, 'inst');
const rs2Field = fieldSource(Fields.rs2, 'inst');
const funct3Field = fieldSource(Fields.funct3, 'inst');
/**
 * funct7 by a signed shift: XS runs \`>>\` inline and \`>>>\` through a
 * conversion (see signedShifts); every funct7 the arms compare with is below
 * 0x40, so the negative values bit 31 gives match none, as they should not.
 */
const funct7Field = fieldSource(Fields.funct7, 'inst').replace('>>>', '>>');
/** rd, or slot 32 for x0 (see HartCore.xr): no store to x0 after every instruction. */
const RD = `${rdField} || 32`;

/** A little-endian value of `width` bytes at RAM offset `off`, read bytewise. */
function bytesRead(width: number, off: string): string {
  const parts = [`m8[${off}]`];
  for (let i = 1; i < width; i++) parts.push(`(m8[${off} + ${i}] << ${8 * i})`);
  return parts.join(' | ');
}

/** The value load `m` gives at RAM offset `off`: through its view when aligned, else bytewise. */
function ramLoad(m: MemOp, off: string): string {
  if (m.width === 1) return `${m.view}[${off}]`;
  const bytes = bytesRead(m.width, off);
  const extended = m.extend('v') === 'v' ? bytes : m.extend(`(${bytes})`);
  // A truth test, not \`=== 0\`: two bytecodes less in XS.
  return `${off} & ${m.width - 1} ? ${extended} : ${m.view}[${off} >> ${m.width >> 1}]`;
}

/** Stores `value` as `width` bytes at RAM offset `off`: through a view when aligned, else bytewise. */
function ramStore(width: number, off: string, value: string): string {
  if (width === 1) return `m8[${off}] = ${value};`;
  const bytes = [`m8[${off}] = ${value};`];
  for (let i = 1; i < width; i++) bytes.push(`m8[${off} + ${i}] = ${value} >> ${8 * i};`);
  const view = width === 4 ? 'm32' : 'm16';
  return `if (${off} & ${width - 1}) {\n${ind(2, bytes.join('\n'))}\n} else {\n  ${view}[${off} >> ${width >> 1}] = ${value};\n}`;
}

/**
 * RAM_OFF: a load or store computes its RAM offset as \`(address - ramBase)
 * >>> 0\`, the address taken modulo 2^32 as the hart does, unsigned, so one
 * signed test \`off <= limit\` checks it lies in the window (2 bytecodes
 * less in XS than \`| 0\` and an unsigned test).
 *
 * The store limits (see the loop's prologue): -1, every store on the slow
 * path, under the JIT tier, while PMP or a trigger looks at stores, and
 * while a reservation is held (the slow path kills it on a store to its
 * word, so the fast paths need no reservation check).
 */
const STORE_LIMITS = [1, 2, 4].map((w) => `storeLimit${w} = jit || hart.stSlow !== 0 || hart.resvW !== NO_RESV ? -1 : loadLimit${w};`).join('\n');

/** x[rd] = the result of `e` on src1 and src2 (an Int32Array store: ToInt32 of any result). */
const aluStore = (e: AluOp, a = 'src1', b = 'src2', dest = 'x[rd]'): string =>
  `${dest} = ${e.byZero !== undefined ? `${b} === 0 ? ${e.byZero(a)} : ` : ''}${e.src(a, b)};`;

/**
 * An if-chain on funct3 (in tmp) over `ops`, tests in `order`; the last
 * group needs no test when every funct3 has an entry. With `checkF7`, an
 * entry's funct7 (unless -1) is tested inside its arm. `store` gives an
 * entry's statement. Every arm leaves with NEXT (or ILLEGAL): see NEXT.
 */
function funct3Chain(ops: readonly AluOp[], order: readonly string[], checkF7: boolean, store: (e: AluOp) => string): string {
  complete(ops, order);
  const groups = new Map<number, AluOp[]>();
  for (const e of byName(ops, order.filter((n) => ops.some((o) => o.name === n)))) {
    if (!groups.has(e.funct3)) groups.set(e.funct3, []);
    groups.get(e.funct3)!.push(e);
  }
  const all = groups.size === 8;
  const arms: string[] = [];
  let k = 0;
  for (const [f3, list] of groups) {
    const last = all && ++k === groups.size;
    const names = list.map((e) => e.name).join(' / ');
    let body: string;
    if (list.length === 1 && (!checkF7 || list[0].funct7 === -1)) body = `${store(list[0])}\n${NEXT}`;
    else if (list.length === 1) body = `if (${list[0].funct7 === 0 ? `!${funct7Field}` : `${funct7Field} === ${list[0].funct7}`}) {\n${ind(2, `${store(list[0])}\n${NEXT}`)}\n}\n${ILLEGAL}`;
    else {
      body = `tmp = ${funct7Field};\n` + list.map((e) => `if (${e.funct7 === 0 ? '!tmp' : `tmp === ${hex(e.funct7)}`}) {\n${ind(2, `${store(e)}\n${NEXT}`)}\n}`).join('\n') + `\n${ILLEGAL}`;
    }
    arms.push(last ? `// ${names}\n${body}` : `if (tmp === ${f3case(f3)}) {\n  // ${names}\n${ind(2, body)}\n}`);
  }
  if (!all) arms.push(ILLEGAL);
  return `tmp = inst & 0x7000;\n${arms.join('\n')}`;
}

// ---------------------------------------------------------------- the execute cases

function caseBranch(): string {
  // Operands and the B-immediate (in parcels: pc counts parcels) inline in each arm: no temporaries (XS pays for each).
  const target = `parcel += ${fieldExpr(Fields.immB, 'inst', 1)};`;
  const a = `x[${rs1Field}]`;
  const b = `x[${rs2Field}]`;
  const arms = byName(BRANCH_OPS, complete(BRANCH_OPS, BRANCH_ORDER)).map((e) =>
    `if (tmp === ${f3case(e.funct3)}) {\n  // ${e.name}\n  if (${e.cond(a, b)}) ${target}\n  else ADVANCE\n  continue;\n}`);
  return `// BRANCH
tmp = inst & 0x7000;
${arms.join('\n')}
${ILLEGAL}`;
}

function caseOpImm(): string {
  return `// OP-IMM (JS shifts use the low 5 bits of the immediate: its shamt)
${funct3Chain(OP_IMM_OPS, OP_IMM_ORDER, true, (e) => aluStore(e, `x[${rs1Field}]`, `(${fieldSource(Fields.immI, 'inst')})`, `x[${RD}]`))}`;
}

function caseOp(): string {
  const f7s: number[] = [];
  for (const e of byName(OP_OPS, complete(OP_OPS, OP_ORDER))) if (!f7s.includes(e.funct7)) f7s.push(e.funct7);
  const arms = f7s.map((f7) => {
    const ops = OP_OPS.filter((e) => e.funct7 === f7);
    // Operands inline (each read once); divisions, which read them twice, take them in temporaries.
    const io = { a: `x[${rs1Field}]`, b: `x[${rs2Field}]`, dest: `x[${RD}]` };
    const temps = `src1 = x[${rs1Field}];\nsrc2 = x[${rs2Field}];\n`;
    const store = (e: AluOp): string => (e.byZero === undefined ? aluStore(e, io.a, io.b, io.dest) : `${temps}${aluStore(e, 'src1', 'src2', io.dest)}`);
    let body: string;
    if (ops.length === 8) body = funct3Chain(ops, OP_ORDER, false, store);
    else {
      const list = byName(ops, OP_ORDER.filter((n) => ops.some((o) => o.name === n)));
      body = `tmp = ${funct3Field};\n` + list.map((e) => `if (tmp === ${e.funct3}) {\n  // ${e.name}\n${ind(2, store(e))}\n${ind(2, NEXT)}\n}`).join('\n') + `\n${ILLEGAL}`;
    }
    return `if (${f7 === 0 ? '!tmp' : `tmp === ${hex(f7)}`}) {\n${ind(2, body)}\n}`;
  });
  return `// OP
tmp = ${funct7Field};
${arms.join('\n')}
${ILLEGAL}`;
}

/**
 * After a slow path (the address space, system, amoSlow) that succeeded:
 * the next instruction, or the loop's end when it raised events.
 */
const AFTER_SLOW = `ADVANCE\nif (hart.events !== 0) {\n  status = ST_EVENT;\n  LEAVE_LOOP;\n}\ncontinue;`;
/** A fault the slow path reported: the exception, with parcel left at the instruction. */
const SLOW_FAULT = 'excCause = hart.faultCause;\nexcTval = hart.faultTval;\nstatus = ST_EXC;\nLEAVE_LOOP;';

function caseStore(): string {
  const fast = byName(STORE_OPS, complete(STORE_OPS, STORE_ORDER)).map((m, i) => {
    const lim = `storeLimit${m.width}`;
    return `${i > 0 ? ' else ' : ''}if (tmp === ${f3case(m.funct3)}) {
  // ${m.name}
  if (off <= ${lim}) {
${ind(4, ramStore(m.width, 'off', `x[${rs2Field}]`))}
${ind(4, NEXT)}
  }
  tmp = ${m.width};
}`;
  });
  const byWidth = byName(STORE_OPS, ['SW', 'SB', 'SH']).map((m, i, all) => {
    const test = i === all.length - 1 ? '' : `if (tmp === ${m.width}) `;
    return `${i > 0 ? ' else ' : ''}${test}{\n${ind(2, ramStore(m.width, 'off', 'src2'))}\n}`;
  });
  return `// STORE: off the address less ramBase (the RAM offset, unsigned: see RAM_OFF), operands inline on the
// fast path; then src1 the address, src2 the value, tmp the width
off = (x[${rs1Field}] + ${fieldSource(Fields.immS, 'inst')} - ramBase) >>> 0;
tmp = inst & 0x7000;
${fast.join('')} else {
${ind(2, ILLEGAL)}
}
src1 = (off + ramBase) | 0;
src2 = x[${rs2Field}];
if (dataTranslated !== 0) {
  // Sv32: the store TLB (a page whose D bit is set), unless the access spans two pages.
  tlbEntry = (src1 >>> 12) & 255; // 255 = DTLB_ENTRIES - 1
  if (storeTags[tlbEntry] === (((src1 + tmp - 1) >>> 12) | dataKey)) {
    off = (src1 + storeOffsets[tlbEntry]) | 0;
${ind(4, byWidth.join(''))}
    if (jit) hart.jitc!.noteStore((off + ramBase) >>> 0, tmp); // translated code in that page is stale
    // The reservation is on a physical word: off + ramBase is the physical address.
    if (hart.resvW !== 0x40000000) {
      off = (off + ramBase) | 0;
      if (off >> 2 === hart.resvW || (off + tmp - 1) >> 2 === hart.resvW) hart.resvW = 0x40000000;
    }
${ind(4, NEXT)}
  }
}
hart.sliceLeft = left - 1;
if (!store(hart, src1, tmp as 1 | 2 | 4, src2)) {
${ind(2, SLOW_FAULT)}
}
${AFTER_SLOW}`;
}

function caseLoad(): string {
  const ordered = byName(LOAD_OPS, complete(LOAD_OPS, LOAD_ORDER));
  const fast = ordered.map((m, i) => `${i > 0 ? ' else ' : ''}if (tmp === ${f3case(m.funct3)}) {
  // ${m.name}
  if (off <= loadLimit${m.width}) {
    x[${RD}] = ${ramLoad(m, 'off')};
${ind(4, NEXT)}
  }
  src2 = ${m.width};
}`);
  const tlb = byName(LOAD_OPS, ['LW', 'LBU', 'LB', 'LHU', 'LH']).map((m, i, all) => {
    const test = i === all.length - 1 ? '' : `if (tmp === ${f3case(m.funct3)}) `;
    return `${i > 0 ? 'else ' : ''}${test}x[rd] = ${ramLoad(m, 'off')};`;
  });
  const extend = LOAD_OPS.filter((m) => m.extend('v') !== 'v').map((m, i) => `${i > 0 ? 'else ' : ''}if (tmp === ${f3case(m.funct3)}) off = ${m.extend('off')};`);
  return `// LOAD: off the address less ramBase (the RAM offset, unsigned: see RAM_OFF), rd inline on the fast
// path; then src1 the address; tmp the funct3 (in place, inst & 0x7000); src2 the width
off = (x[${rs1Field}] + ${fieldSource(Fields.immI, 'inst')} - ramBase) >>> 0;
tmp = inst & 0x7000;
${fast.join('')} else {
${ind(2, ILLEGAL)}
}
src1 = (off + ramBase) | 0;
rd = ${RD};
if (dataTranslated !== 0) {
  // Sv32: the load TLB, unless the access spans two pages.
  tlbEntry = (src1 >>> 12) & 255; // 255 = DTLB_ENTRIES - 1
  if (loadTags[tlbEntry] === (((src1 + src2 - 1) >>> 12) | dataKey)) {
    off = (src1 + loadOffsets[tlbEntry]) | 0;
${ind(4, tlb.join('\n'))}
${ind(4, NEXT)}
  }
}
// Through the address space (translating first with Sv32): -1 is a fault.
hart.sliceLeft = left - 1;
off = load(hart, src1, src2 as 1 | 2 | 4);
if (off < 0) {
${ind(2, SLOW_FAULT)}
}
${extend.join('\n')}
x[rd] = off;
${AFTER_SLOW}`;
}

/** The link value of a jump: the address of the next instruction (NEXTP, its parcel, as an address). */
const LINK = UPPER.link('fetchBase + (NEXTP << 1)');

function caseJumps(): Record<string, string> {
  return {
    JAL: `// JAL; the J-immediate in parcels, as for BRANCH
x[${RD}] = ${LINK};
parcel += ${fieldExpr(Fields.immJ, 'inst', 1)};
continue;`,
    JALR: `// JALR
if ((inst & 0x7000) !== 0) {
${ind(2, ILLEGAL)}
}
tmp = ${UPPER.jalrTarget(`x[${rs1Field}]`, fieldSource(Fields.immI, 'inst'))};
x[${RD}] = ${LINK};
parcel = (tmp - fetchBase) >> 1;
continue;`,
    LUI: `// LUI
x[${RD}] = ${UPPER.lui(fieldSource(Fields.immU, 'inst'))};
${NEXT}`,
    AUIPC: `// AUIPC
x[${RD}] = ${UPPER.auipc('fetchBase + (parcel << 1)', fieldSource(Fields.immU, 'inst'))};
${NEXT}`,
  };
}

function caseSystem(): string {
  return `// SYSTEM: out of line (CSRs, xRET, WFI, ECALL, EBREAK, SFENCE.VMA: trap.ts, csr.ts)
hart.sliceLeft = left - 1;
tmp = system(hart, inst);
if (tmp === SYS_NEXT) {
${ind(2, AFTER_SLOW)}
}
if (tmp === SYS_JUMP) {
  parcel = (hart.jumpTarget - fetchBase) >> 1;
  status = ST_EVENT; // an xRET changes what may interrupt
  LEAVE_LOOP;
}
if (tmp === SYS_WFI) {
  ADVANCE
  status = ST_WFI;
  LEAVE_LOOP;
}
excCause = hart.excCause;
excTval = hart.excTval;
status = ST_EXC;
LEAVE_LOOP;`;
}

function caseAmo(): string {
  let valid = (1 << LR_FUNCT5) | (1 << SC_FUNCT5);
  for (const e of AMO_OPS) valid |= 1 << e.funct5;
  return `// AMO (A extension, chapter 8): only .W on RV32; tmp is funct5. LR needs rs2 = 0.
tmp = ${fieldSource(Fields.funct5, 'inst')};
if ((inst & 0x7000) !== 0x2000 || ((${hex(valid)} >>> tmp) & 1) === 0 || (tmp === ${LR_FUNCT5} && (inst & 0x1f00000) !== 0)) {
${ind(2, ILLEGAL)}
}
src1 = x[${rs1Field}];
if ((src1 & 3) !== 0) {
  // Misaligned atomics always trap (spec 8.2, 8.4): LR as a load, SC/AMO as a store.
  excCause = tmp === ${LR_FUNCT5} ? EXC_LOAD_MISALIGNED : EXC_STORE_MISALIGNED;
  excTval = src1 >>> 0;
  status = ST_EXC;
  LEAVE_LOOP;
}
off = (src1 - ramBase) | 0;
src2 = x[${rs2Field}];
rd = ${rdField};
if (off >>> 0 <= storeLimit4) {
  off >>= 2;
  if (tmp === ${LR_FUNCT5}) {
    // LR.W
    x[rd] = m32[off];
    hart.resvW = src1 >> 2;
    storeLimit1 = storeLimit2 = storeLimit4 = -1; // stores take the slow path while it is held
  } else if (tmp === ${SC_FUNCT5}) {
    // SC.W: succeeds only with a valid reservation on this word; always clears it.
    if (hart.resvW === src1 >> 2) {
      m32[off] = src2;
      x[rd] = 0;
    } else {
      x[rd] = 1;
    }
    hart.resvW = NO_RESV;
  } else {
    tmp = amoValue(tmp, m32[off], src2);
    x[rd] = m32[off];
    m32[off] = tmp;
    if (src1 >> 2 === hart.resvW) hart.resvW = NO_RESV;
  }
  x[0] = 0;
${ind(2, NEXT)}
}
hart.sliceLeft = left - 1;
tmp = amoSlow(hart, inst, src1, src2) ? 1 : 0;
// An LR there takes a reservation, an SC gives it up: the store limits follow.
${STORE_LIMITS}
if (tmp === 0) {
${ind(2, SLOW_FAULT)}
}
${AFTER_SLOW}`;
}

function caseMiscMem(): string {
  return `// MISC-MEM: FENCE (0) and FENCE.I (1) are no-ops for one hart without caches; other fields are ignored (spec 2.7, 3.1).
if ((inst & 0x6000) !== 0) {
${ind(2, ILLEGAL)}
}
if ((inst & 0x7000) === ${f3case(FENCE_I_FUNCT3)} && hart.jitc !== null) hart.jitc.flush(); // FENCE.I: translated code may be stale
${NEXT}`;
}

/**
 * The execute chain: the major opcode's arms in MAJOR_ORDER. (Generating
 * it twice, the 32-bit arms moving on with \`parcel += 2\` and no nextParcel,
 * saved XS 1.3 computrons per instruction but doubled the function for V8:
 * three times the deoptimisations and compile time, the boot benchmark
 * 3.7 -> 6.4 s CPU. Dropped.)
 */
function executeChain(): string {
  const arms: Record<string, string> = {
    BRANCH: caseBranch(),
    OP_IMM: caseOpImm(),
    OP: caseOp(),
    STORE: caseStore(),
    LOAD: caseLoad(),
    ...caseJumps(),
    SYSTEM: caseSystem(),
    AMO: caseAmo(),
    MISC_MEM: caseMiscMem(),
  };
  const chain = MAJOR_ORDER.map((k, i) => `${i > 0 ? ' else ' : ''}if (tmp === ${hex(Opcode[k])}) {\n${ind(2, arms[k])}\n}`).join('');
  return `tmp = inst & 0x7f;\n${chain} else {\n${ind(2, ILLEGAL)}\n}`
    .replace(/LEAVE_LOOP;/g, 'break;')
    .replace(/ADVANCE/g, 'parcel = nextParcel;')
    .replace(/NEXTP/g, 'nextParcel');
}

// ---------------------------------------------------------------- the compressed forms run directly

/**
 * RV32C's frequent forms, run without expansion (+20 % MIPS on V8; on XS
 * they skip the expansion and the 32-bit dispatch), tested by frequency.
 * Memory forms take the RAM fast path only; the rare forms, reserved
 * encodings and anything needing a slow path (a translated or device
 * access, C.EBREAK) fall through to the expansion. Each form computes what
 * its 32-bit equivalent (isa/compressed.ts) does, with the same semantics;
 * C.MV, C.LI and C.JR(AL) use the value an operand of 0 leaves.
 */
function compressedFastPaths(): string {
  const rvcRd = fieldSource(RvcFields.rd, 'inst');
  const rvcRs2 = fieldSource(RvcFields.rs2, 'inst');
  const rs1p = `${fieldSource(RvcFields.rs1p, 'inst')} + 8`;
  const rs2p = `${fieldSource(RvcFields.rs2p, 'inst')} + 8`;
  const imm6 = fieldSource(RvcFields.imm6, 'inst');
  const shamt = fieldSource(RvcFields.shamt, 'inst');
  const lw = LOAD_OPS.find((m) => m.name === 'LW')!;
  const op = (name: string, a: string, b: string): string => opNamed(name).src(a, b);
  // \`dest op= b\` where the operation is a plain binary operator: XS then reads the element with one dub_at
  // instead of evaluating the object and index again (2 bytecodes less; V8 compiles both alike).
  const update = (name: string, dest: string, b: string): string => {
    const m = /^\$A (\S+) \$B$/.exec(opNamed(name).src('$A', '$B'));
    return m !== null ? `${dest} ${m[1]}= ${b}` : `${dest} = ${op(name, dest, b)}`;
  };
  const ca = RVC_CA_OPS.map((n, i) => `${i > 0 ? 'else ' : ''}${i < RVC_CA_OPS.length - 1 ? `if (off === ${i}) ` : ''}${update(n, 'x[rd]', 'src2')}; // C.${n}`);
  const next = 'parcel++;\ncontinue;';
  const storeWord = `src2 = REG;\n${ramStore(4, 'off', 'src2')}\n${next}`;
  const ramOff = (base: string, imm: string): string => `off = (${base} + ${imm} - ramBase) >>> 0; // RAM_OFF`;
  const branch = fieldSource(RvcFields.branch, 'inst', 1);
  // Truth tests (\`if (v)\`, \`if ((off = e))\`) where XS would otherwise compare with 0: fewer bytecodes, same V8 code.
  return `tmp = inst & 0xe003;
if (tmp === ${key16(RvcKey.ADDI)}) {
  // C.ADDI (rd = x0 or imm = 0 are HINTs: harmless here)
  ${update('ADDI', `x[${rvcRd} || 32]`, imm6)};
${ind(2, next)}
}
if (tmp === ${key16(RvcKey.CR)}) {
  // C.MV, C.ADD, C.JR, C.JALR; C.EBREAK and C.JR x0 (reserved) go through expansion
  if ((off = ${rvcRs2})) {
    if (inst & 0x1000) ${update('ADD', `x[${rvcRd} || 32]`, 'x[off]')}; // C.ADD (rd = x0, a HINT, updates slot 32)
    else x[${rvcRd} || 32] = x[off]; // C.MV
${ind(4, next)}
  }
  if ((rd = ${rvcRd})) {
    off = x[rd] & ~1;
    if (inst & 0x1000) x[1] = ${UPPER.link('fetchBase + (parcel << 1) + 2')};
    parcel = (off - fetchBase) >> 1;
    continue;
  }
} else if (tmp === ${key16(RvcKey.BNEZ)}) {
  // C.BNEZ: the offset in parcels
  if (x[${rs1p}]) parcel += ${branch};
  else parcel++;
  continue;
} else if (tmp === ${key16(RvcKey.BEQZ)}) {
  // C.BEQZ
  if (x[${rs1p}]) parcel++;
  else parcel += ${branch};
  continue;
} else if (tmp === ${key16(RvcKey.MISC_ALU)}) {
  // C.SRLI, C.SRAI, C.ANDI, C.SUB, C.XOR, C.OR, C.AND on rd' (x8-x15: never x0)
  rd = ${rs1p};
  if ((off = (inst >>> 10) & 3) === 3) {
    if (!(inst & 0x1000)) {
      src2 = x[${rs2p}];
      off = (inst >>> 5) & 3;
${ind(6, ca.join('\n'))}
${ind(6, next)}
    }
  } else if (off === 2) {
    ${update('ANDI', 'x[rd]', imm6)}; // C.ANDI
${ind(4, next)}
  } else if (!(inst & 0x1000)) {
    // shamt[5] = 1 is reserved on RV32C: expanded (illegal)
    if (off) ${update('SRAI', 'x[rd]', shamt)};
    else ${update('SRLI', 'x[rd]', shamt)};
${ind(4, next)}
  }
} else if (tmp === ${key16(RvcKey.LWSP)}) {
  // C.LWSP (rd = x0 reserved)
  ${ramOff('x[2]', fieldSource(RvcFields.lwsp, 'inst'))}
  if (off <= loadLimit4 && (rd = ${rvcRd})) {
    x[rd] = ${ramLoad(lw, 'off')};
${ind(4, next)}
  }
} else if (tmp === ${key16(RvcKey.SLLI)}) {
  // C.SLLI (shamt[5] = 1 is reserved on RV32C: expanded; rd = x0 is a HINT)
  if (!(inst & 0x1000)) {
    ${update('SLLI', `x[${rvcRd} || 32]`, shamt)};
${ind(4, next)}
  }
} else if (tmp === ${key16(RvcKey.LI)}) {
  // C.LI (rd = x0 is a HINT)
  x[${rvcRd} || 32] = ${imm6};
${ind(2, next)}
} else if (tmp === ${key16(RvcKey.SWSP)}) {
  // C.SWSP
  ${ramOff('x[2]', fieldSource(RvcFields.swsp, 'inst'))}
  if (off <= storeLimit4) {
${ind(4, storeWord.replace('REG', `x[${rvcRs2}]`))}
  }
} else if ((tmp & 0x7fff) === ${key16(RvcKey.JAL)}) {
  // C.JAL, C.J: the offset in parcels
  if (tmp === ${key16(RvcKey.JAL)}) x[1] = ${UPPER.link('fetchBase + (parcel << 1) + 2')};
  parcel += ${fieldSource(RvcFields.jump, 'inst', 1)};
  continue;
} else if ((tmp & 0x7fff) === ${key16(RvcKey.LW)}) {
  // C.LW, C.SW
  ${ramOff(`x[${rs1p}]`, fieldSource(RvcFields.lsw, 'inst'))}
  rd = ${rs2p};
  if (tmp === ${key16(RvcKey.LW)}) {
    if (off <= loadLimit4) {
      x[rd] = ${ramLoad(lw, 'off')};
${ind(6, next)}
    }
  } else if (off <= storeLimit4) {
${ind(4, storeWord.replace('REG', 'x[rd]'))}
  }
}`;
}

// ---------------------------------------------------------------- the files

const GENERATED = '// Generated by scripts/gen-interp.ts from src/cpu/isa/: do not edit (npm run gen:interp).';

/**
 * `(v >>> n) & m` as `(v >> n) & m` where m has no bit at or above 32 - n
 * (the same value): XS runs `>>` on integers inline but `>>>` through two
 * fxToUnsigned calls and fxUnsigned, about 5 % of the Pico's cycles in
 * this loop (docs/moddable.md); the bytecodes and V8's code are the same.
 */
function signedShifts(text: string): string {
  return text.replace(/\((\w+) >>> (\d+)\) & (0x[0-9a-f]+|\d+)\b/g, (all, v: string, n: string, m: string) =>
    Number(m) < 2 ** (32 - Number(n)) ? `(${v} >> ${n}) & ${m}` : all);
}

/**
 * \`tmp = e;\` followed by a test \`if (tmp === k)\` as \`if ((tmp = e) === k)\`:
 * XS then keeps the value on its stack (set_local) instead of storing it
 * and loading it again (one bytecode less per chain); V8 compiles both alike.
 */
function fusedTests(text: string): string {
  return text
    .replace(/^( *)tmp = ([^;\n]+);\n\1if \(tmp === /gm, (_all, sp: string, e: string) => `${sp}if ((tmp = ${e}) === `)
    .replace(/^( *)tmp = ([^;\n]+);\n\1if \(!tmp\)/gm, (_all, sp: string, e: string) => `${sp}if (!(tmp = ${e}))`);
}

/** The text of src/cpu/interp.ts. */
export function interpreterSource(): string {
  return fusedTests(signedShifts(interpreterText()));
}

function interpreterText(): string {
  return `${GENERATED}
/**
 * The hart's interpreter: one loop dispatching by if-chains (opcode, then
 * funct3) over the hart's internal view (core.ts), with fields, immediates
 * and semantics from isa/, specialised for XS by scripts/gen-interp.ts
 * (whose header says how). Nothing is allocated per instruction; \`try\`
 * sits outside the loop and no exception is thrown for a guest trap. Each
 * arm ends in \`continue\` (or a \`break\` out of the loop); there is no
 * \`switch\` in the loop: XS 13.3 leaks a stack slot for each \`continue\` or
 * labelled \`break\` that leaves one.
 */

import { amoValue } from './amo.js';
import { mulh, mulhsu, mulhu } from './arith.js';
import {
  EV_IRQ, EV_MMU, EV_STOP, EXC_ILLEGAL, EXC_LOAD_MISALIGNED, EXC_STORE_MISALIGNED, EXIT_BUDGET, EXIT_FATAL, EXIT_STOP, EXIT_WFI, NO_RESV,
  ST_EVENT, ST_EXC, ST_ILLEGAL, ST_OK, ST_WFI, SYS_JUMP, SYS_NEXT, SYS_WFI, type HartCore,
} from './core.js';
import { expandCompressed } from './isa/index.js';
import { amoSlow, fetchSlow, illegalBits, load, mmuRefresh, refreshWindow, store } from './mem.js';
import { enterTrap, exception, pendingInterrupt, system } from './trap.js';

/**
 * Runs \`hart\` for up to \`budget\` instructions (Hart.run without the
 * argument check) and returns the ExitReason.
 */
${loopPrologue()}${loopBody()}`;
}

/** The interpreter from its start to the inner loop: locals from the hart, the outer loop and its events. */
function loopPrologue(): string {
  return `export function interpret(hart: HartCore, budget: number): number {
  hart.parkedv = false;
  if (hart.bus.generation !== hart.gen) refreshWindow(hart);
  mmuRefresh(hart);
  const x = hart.xr; // results for x0 go to x[32]: see xr
  x[0] = 0;
  const expansions = hart.ccache;
  let m8 = hart.m8;
  let i8 = hart.i8;
  let m16 = hart.m16;
  let i16 = hart.i16;
  let m32 = hart.m32;
  let ramBase = hart.ramBase;
  // Loads and stores use the window directly when untranslated; with
  // translation the limits are -1, so those checks always fail and the
  // access goes through the TLB (loadTags/loadOffsets, storeTags/storeOffsets, keyed with dataKey). While PMP
  // or a trigger needs a look at every access (ldSlow, stSlow, dataKeyLoop),
  // the limits are -1 and the key matches nothing: the slow path checks.
  let dataTranslated = hart.dataTranslated;
  let dataKey = hart.dataKeyLoop;
  let loadLimit1 = dataTranslated !== 0 || hart.ldSlow !== 0 ? -1 : hart.ramSize - 1;
  let loadLimit2 = dataTranslated !== 0 || hart.ldSlow !== 0 ? -1 : hart.ramSize - 2;
  let loadLimit4 = dataTranslated !== 0 || hart.ldSlow !== 0 ? -1 : hart.ramSize - 4;
  // Stores (and AMOs) use their own limits: under the JIT tier they all take
  // the slow path, which tells the tier about writes to translated code;
  // while a reservation is held too (STORE_LIMITS in gen-interp.ts).
  const jit = hart.jitc !== null;
  let storeLimit1 = -1;
  let storeLimit2 = -1;
  let storeLimit4 = -1;
${ind(2, STORE_LIMITS)}
  // The fetch page (see the field): the whole window without translation.
  // fetchLo is the same view less its last parcel: its valid indices are
  // the parcel indices [0, fetchLimit / 2] where an instruction starts
  // inside the window, so a fetch outside reads undefined (see the loop).
  let fetchBase = hart.fetchBase;
  let fetch16 = hart.fetch16;
  let fetchLo = hart.fetchLo;
  const loadTags = hart.mmu.tagR;
  const loadOffsets = hart.mmu.offR;
  const storeTags = hart.mmu.tagW;
  const storeOffsets = hart.mmu.offW;
  let tlbEntry = 0;
  // The loop keeps pc as parcel, its parcel index in the fetch window:
  // pc = fetchBase + 2 * parcel (modulo 2^32; fetchBase + (parcel << 1) wraps). The fetch then
  // needs no subtraction, and sequential steps add 1 or 2 to parcel. pc, the
  // address, is computed where it is needed (links, AUIPC, traps, the
  // slow fetch) and kept consistent with parcel and fetchBase outside the inner loop.
  let pc = hart.pcv;
  let parcel = (pc - fetchBase) >> 1;
  let left = budget;
  let exit: number = EXIT_BUDGET;
  // What the instruction just run needs beyond moving on (ST_OK when
  // nothing): an arm sets it and leaves the inner loop with \`break\`. The
  // loop has no \`switch\`: XS 13.3 leaks a stack slot for every \`continue\`
  // or labelled \`break\` that leaves one (tests/host/xs-lane.test.ts), which
  // here would overflow its stack within a few thousand instructions.
  let status = ST_OK;
  let excCause = 0; // exception cause, with status = ST_EXC
  let excTval = 0; // exception tval
  let inst = 0;
  let nextParcel = 0;
  let src1 = 0;
  let src2 = 0;
  let off = 0;
  let tmp = 0;
  let rd = 0;
  let inner = false; // in the inner loop, where left is one more (see there)
  hart.sliceBudget = budget;
  hart.sliceLeft = budget;
  hart.inRun = true;
  hart.events |= EV_IRQ;
  try {
    outer: for (;;) {
      if (hart.events !== 0) {
        const ev = hart.events;
        hart.events = 0;
        if ((ev & EV_STOP) !== 0) {
          exit = EXIT_STOP;
          break;
        }
        const cause = pendingInterrupt(hart);
        if (cause >= 0) {
          hart.sliceLeft = left; // instret exact for the trap hook
          pc = enterTrap(hart, cause, true, 0, (fetchBase + (parcel << 1)) | 0);
          parcel = (pc - fetchBase) >> 1;
        }
        // A map change, or a change of what translation applies (possibly by the trap just taken).
        if (hart.bus.generation !== hart.gen || ((ev | hart.events) & EV_MMU) !== 0) {
          hart.events &= ~EV_MMU;
          if (hart.bus.generation !== hart.gen) refreshWindow(hart);
          mmuRefresh(hart);
          m8 = hart.m8;
          i8 = hart.i8;
          m16 = hart.m16;
          i16 = hart.i16;
          m32 = hart.m32;
          ramBase = hart.ramBase;
          dataTranslated = hart.dataTranslated;
          dataKey = hart.dataKeyLoop;
          loadLimit1 = dataTranslated !== 0 || hart.ldSlow !== 0 ? -1 : hart.ramSize - 1;
          loadLimit2 = dataTranslated !== 0 || hart.ldSlow !== 0 ? -1 : hart.ramSize - 2;
          loadLimit4 = dataTranslated !== 0 || hart.ldSlow !== 0 ? -1 : hart.ramSize - 4;
${ind(10, STORE_LIMITS)}
          pc = (fetchBase + (parcel << 1)) | 0;
          fetchBase = hart.fetchBase;
          fetch16 = hart.fetch16;
          fetchLo = hart.fetchLo;
          parcel = (pc - fetchBase) >> 1;
        }
      }
      if (left <= 0) break;
      // left counts down before the test: the instruction is charged before it runs (a fetch fault included).
      // \`while (--left)\` is XS's cheapest loop test (4 bytecodes), so inside the loop left is one more
      // than the budget left after the instruction (sliceLeft = left - 1), and status ends the loop by
      // a \`break\` (LEAVE_LOOP).
      left++;
      inner = true;
`;
}

/** The inner loop (fetch, the compressed forms, the execute chain) and the end of the run. */
function loopBody(): string {
  return `      while (--left) {
        // ---- fetch
        // Outside the window (and at its last parcel) fetchLo gives
        // undefined, 0 here: the parcel 0, illegal in any case, which the
        // compressed path below sends to the slow fetch. No range test.
        // (The assignment inside the test saves XS a store and a load.)
        if (~(inst = fetchLo[parcel]) & 3) {
          // RV32C: the frequent forms run directly (see gen-interp.ts); inst
          // holds the parcel alone (bits above 15 are 0).
${ind(10, compressedFastPaths())}
          nextParcel = parcel + 1;
          // Everything else: expandCompressed through the cache; an illegal
          // parcel becomes -1 (inst & 0x7f = 0x7f: no case matches). Key 0 is
          // never cached (expansions[0] starts at -1): it may be a fetch outside the window.
          tmp = inst & 0xffff;
          // Fibonacci hashing (Knuth, TAOCP 6.4): 20253 is about 2^15 / the
          // golden ratio, small enough that tmp * 20253 stays an int32 (no
          // double in XS). The xor-fold used before sent a trap frame's
          // c.swsp/c.lwsp of one register to the same entry (39 misses a trap).
          off = (((tmp * 20253) >>> 6) & 1023) << 1; // 1023 = CC_ENTRIES - 1 (a literal: a module constant costs a load on V8)
          if (expansions[off] === tmp) {
            inst = expansions[off + 1];
          } else if (tmp === 0 && fetchLo[parcel] === undefined) {
            // Outside the window: the address space (with translation,
            // fetchSlow moves the fetch page to pc's page).
            pc = (fetchBase + (parcel << 1)) | 0;
            inst = fetchSlow(hart, pc);
            fetchBase = hart.fetchBase;
            fetch16 = hart.fetch16;
            fetchLo = hart.fetchLo;
            parcel = (pc - fetchBase) >> 1;
            if (hart.fetchFault !== -1) {
              hart.sliceLeft = left - 1; // instret exact for the trap hook
              pc = exception(hart, hart.faultCause, hart.fetchFault, pc);
              parcel = (pc - fetchBase) >> 1;
              if (hart.events !== 0) {
                left--;
                inner = false;
                continue outer;
              }
              continue;
            }
            // inst is whole.
            if ((inst & 3) === 3) {
              nextParcel = parcel + 2;
            } else {
              nextParcel = parcel + 1;
              inst = expandCompressed(inst);
              if (inst === 0) inst = -1;
            }
          } else {
            inst = expandCompressed(tmp);
            if (inst === 0) inst = -1;
            if (tmp !== 0) {
              expansions[off] = tmp;
              expansions[off + 1] = inst;
            }
          }
        } else {
          inst |= fetch16[parcel + 1] << 16;
          nextParcel = parcel + 2;
        }
        // ---- execute: each arm moves parcel on to nextParcel (or leaves it at a faulting instruction) and
        // continues; status and a break for anything unusual
${ind(8, executeChain())}
      }
      inner = false;
      if (status !== ST_OK) left--; // a break leaves left as it was during the instruction (see the loop)
      pc = (fetchBase + (parcel << 1)) | 0;
      // ---- the unusual: events, WFI, exceptions (the next outer pass looks at events and the budget)
      if (status !== ST_OK) {
        if (status === ST_WFI) {
          status = ST_OK;
          exit = EXIT_WFI;
          break;
        }
        if (status !== ST_EVENT) {
          // The instruction raised exception excCause with tval excTval (illegal: tval are the instruction bits).
          if (status === ST_ILLEGAL) {
            excCause = EXC_ILLEGAL;
            excTval = illegalBits(hart, pc, inst);
          }
          hart.sliceLeft = left; // instret exact for the trap hook
          pc = exception(hart, excCause, excTval, pc);
          parcel = (pc - fetchBase) >> 1;
        }
        status = ST_OK;
      }
    }
  } catch (error) {
    // Only a bug or a host callback that threw can get here.
    hart.fatalError = error;
    exit = EXIT_FATAL;
    if (inner) left--;
  }
  x[0] = 0;
  hart.pcv = (fetchBase + (parcel << 1)) | 0;
  hart.retiredBase += budget - left;
  hart.stepsLast = budget - left;
  hart.inRun = false;
  if (exit === EXIT_WFI) hart.parkedv = true;
  return exit;
}

`;
}

/** The text of src/cpu/amo.ts. */
export function amoSource(): string {
  const cases = AMO_OPS.map((e, i) => `${i === AMO_OPS.length - 1 ? 'default' : `case ${e.funct5}`}: // ${e.name}\n      return ${e.src('old', 'b')};`);
  return `${GENERATED}
/** The value an AMO writes (isa/ops.ts AMO_OPS), for the interpreter's fast path and the slow path in mem.ts. */

/** The new memory value of the AMO with funct5 \`f5\` (not LR/SC) on \`old\` and rs2's \`b\` (int32 each). */
export function amoValue(f5: number, old: number, b: number): number {
  switch (f5) {
${cases.map((c) => `    ${c}`).join('\n')}
  }
}
`;
}

const OUTPUTS: readonly [string, () => string][] = [
  ['src/cpu/interp.ts', interpreterSource],
  ['src/cpu/amo.ts', amoSource],
];

/** The generated files whose committed text differs from what this script writes (paths relative to the repository). */
export function staleOutputs(root: string): string[] {
  return OUTPUTS.filter(([path, make]) => readFileSync(`${root}/${path}`, 'utf8') !== make()).map(([path]) => path);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  if (process.argv.includes('--check')) {
    const stale = staleOutputs(root);
    for (const p of stale) process.stderr.write(`gen-interp: ${p} is not what scripts/gen-interp.ts writes\n`);
    process.exit(stale.length === 0 ? 0 : 1);
  }
  for (const [path, make] of OUTPUTS) writeFileSync(`${root}/${path}`, make());
}
