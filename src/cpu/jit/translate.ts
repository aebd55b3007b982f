/**
 * The translator of the JIT tier: decodes guest code from the hart's RAM
 * window or a ROM region into regions of basic blocks and writes the
 * JavaScript source of a function that runs each region.
 *
 * Owns which instructions a block may hold (none that can trap), the source
 * emitted for each, how a region (and a promoted one) is formed, its control
 * flow (structure.ts's loops and labelled blocks; for irreducible flow a
 * switch over loop headers), its budget checks, and the
 * exit protocol with the driver (driver.ts: `io` and the WHY_* codes).
 * Touches no hart: input is a parcel view of the code and a pc, output is
 * source text plus the code's extent. Why blocks, regions and exits are
 * shaped so: docs/jit.md ("How it works", "Budget and interrupt latency")
 * and docs/design.md#the-jit-tier.
 */

import {
  FENCE_FUNCT3, OP_IMM_OPS, OP_OPS, Opcode, UPPER, aluOp, branchOp, expandCompressed, immB, immI, immJ, immS, immU, memOp, type AluOp,
} from '../isa/index.js';
import { Csr } from '../constants.js';
import { DTLB_ENTRIES } from '../sv32.js';
import { structure } from './structure.js';

/** The data TLB's index mask (DTLB_ENTRIES - 1), a literal in paged regions. */
const DTLB_MASK = DTLB_ENTRIES - 1;

/** Most instructions in one block (a bound on source size). */
export const MAX_BLOCK_INSNS = 64;

/** io[1]: continue at the returned pc. */
export const WHY_NEXT = 0;
/** io[1]: run the instruction at the returned pc in the interpreter. */
export const WHY_INTERP = 1;
/** io[1]: a store retired into a page with translated code (RAM offset in io[2]). */
export const WHY_CODE_STORE = 2;
/** io[1]: a CSR write raised an event (HartCore.events): continue at the returned pc once the driver has seen to it. */
export const WHY_EVENT = 3;

/**
 * Parameter names of the factory made from {@link RegionSource.source}, in
 * order: RAM views, the code-page map, the exit record, the M-extension
 * helpers, the data TLB's arrays (Sv32Mmu's tagR, offR, tagW, offW), the
 * hart (its `events` only) and the CSR helper of paged regions (`csr(inst,
 * src)`: the CSR's old value, or -1 when the interpreter must run it). The
 * factory returns `function (x, n, vb, dk)`: x is the register file, n the
 * budget left (at least one pass of the block); a paged region (code under
 * Sv32) also takes vb, the virtual address of its page, and dk, the data
 * TLB's key context (HartCore.dataKeyLoop).
 */
export const BLOCK_PARAMS: readonly string[] = Object.freeze(['m8', 'i8', 'm16', 'i16', 'm32', 'pg', 'io', 'mulh', 'mulhsu', 'mulhu', 'tagR', 'offR', 'tagW', 'offW', 'h', 'csr']);

interface Insn {
  pc: number; // int32
  size: number; // 2 or 4
  inst: number; // the 32-bit form
}

/**
 * The supervisor CSRs a paged region reads and writes itself (through the `csr` helper the factory takes),
 * those a trap handler touches: no counter (their values depend on the retired count) and none whose access
 * depends on more than the mode (and for satp, mstatus.TVM), so the helper's checks are the interpreter's.
 */
export const PAGED_CSRS: ReadonlySet<number> = Object.freeze(new Set<number>([
  Csr.sstatus, Csr.sie, Csr.stvec, Csr.scounteren, Csr.senvcfg, Csr.sscratch, Csr.sepc, Csr.scause, Csr.stval, Csr.satp,
]));

/**
 * 0: not translatable; 1: straight-line; 2: ends the block (branch, jump). The encodings come from isa/. A paged
 * region (`paged`) also holds the CSR instructions on {@link PAGED_CSRS}.
 */
function classify(inst: number, paged: boolean): number {
  const f3 = (inst >>> 12) & 7;
  switch (inst & 0x7f) {
    case Opcode.SYSTEM:
      return paged && (f3 & 3) !== 0 && PAGED_CSRS.has(inst >>> 20) ? 1 : 0;
    case Opcode.OP_IMM:
      return aluOp(OP_IMM_OPS, inst) !== undefined ? 1 : 0;
    case Opcode.OP:
      return aluOp(OP_OPS, inst) !== undefined ? 1 : 0;
    case Opcode.LOAD:
      return memOp(f3, false) !== undefined ? 1 : 0;
    case Opcode.STORE:
      return memOp(f3, true) !== undefined ? 1 : 0;
    case Opcode.LUI:
    case Opcode.AUIPC:
      return 1;
    case Opcode.BRANCH:
      return branchOp(f3) !== undefined ? 2 : 0;
    case Opcode.JAL:
      return 2;
    case Opcode.JALR:
      return f3 === 0 ? 2 : 0;
    case Opcode.MISC_MEM:
      // FENCE is a no-op for one hart; FENCE.I and reserved encodings go to the interpreter.
      return f3 === FENCE_FUNCT3 ? 1 : 0;
    default:
      return 0;
  }
}

/** Most blocks, and most instructions, in one region. */
export const MAX_REGION_BLOCKS = 6;
export const MAX_REGION_INSNS = 96;
/** Most blocks of a region without a loop through its entry. */
export const LINEAR_REGION_BLOCKS = 2;
/**
 * Most blocks, and most instructions, in a promoted region (a hot region
 * translated again from the blocks known to run, see translateRegion's
 * `known`): larger, because only regions called very often are promoted.
 */
export const PROMOTED_REGION_BLOCKS = 32;
export const PROMOTED_REGION_INSNS = 384;

/** How a decoded block ends. */
const END_BRANCH = 0;
const END_JAL = 1;
const END_JALR = 2;
const END_INTERP = 3; // before an instruction a block cannot hold
const END_LIMIT = 4; // MAX_BLOCK_INSNS reached

interface Block {
  pc: number;
  list: Insn[];
  how: number;
  /** RAM offset after the last instruction. */
  end: number;
  /** The pc after the last instruction. */
  next: number;
}

/** Decodes the straight-line block at `pc` (RAM offset `off`); an empty list when its first instruction cannot be translated. */
function decodeBlock(m16: Uint16Array<ArrayBufferLike>, ramSize: number, pc: number, off: number, paged: boolean): Block {
  const list: Insn[] = [];
  let p = pc;
  let o = off;
  let how = END_INTERP;
  for (;;) {
    if (list.length === MAX_BLOCK_INSNS) {
      how = END_LIMIT;
      break;
    }
    if (o + 2 > ramSize) break;
    const lo = m16[o >> 1];
    let inst: number;
    let size: number;
    if ((lo & 3) === 3) {
      if (o + 4 > ramSize) break;
      inst = lo | (m16[(o >> 1) + 1] << 16);
      size = 4;
    } else {
      inst = expandCompressed(lo);
      if (inst === 0) break;
      size = 2;
    }
    const k = classify(inst, paged);
    if (k === 0) break;
    list.push({ pc: p, size, inst });
    p = (p + size) | 0;
    o += size;
    if (k === 2) {
      const op = inst & 0x7f;
      how = op === Opcode.BRANCH ? END_BRANCH : op === Opcode.JAL ? END_JAL : END_JALR;
      break;
    }
  }
  return { pc, list, how, end: o, next: p };
}

/**
 * Instructions in the straight-line block at RAM offset `off` (the
 * interpreter runs that many for an entry not yet translated), at least 1.
 */
export function blockLength(m16: Uint16Array<ArrayBufferLike>, ramSize: number, off: number, paged = false): number {
  const n = decodeBlock(m16, ramSize, 0, off, paged).list.length;
  return n > 0 ? n : 1;
}

/** Static successors of a block inside a region. */
function successors(b: Block): number[] {
  if (b.list.length === 0) return [];
  const last = b.list[b.list.length - 1];
  if (b.how === END_BRANCH) return [(last.pc + immB(last.inst)) | 0, b.next];
  if (b.how === END_JAL) return [(last.pc + immJ(last.inst)) | 0];
  if (b.how === END_LIMIT) return [b.next];
  return [];
}

/** A translated region: the factory body (see {@link BLOCK_PARAMS}) and its extent. */
export interface RegionSource {
  /** Source text of the factory body; null when the entry's first instruction cannot be translated. */
  readonly source: string | null;
  /** The most instructions from the entry to the first budget check or exit: the least budget a call needs (0 when `source` is null). */
  readonly insns: number;
  /** Offsets in the code window spanned by the region's code: first byte, first byte after. */
  readonly start: number;
  readonly end: number;
  /** Blocks in the region. */
  readonly blocks: number;
  /** The pages of the code window (offset >> 12) holding the region's code. */
  readonly pages: readonly number[];
  /** The pcs (int32) of the region's blocks. */
  readonly pcs: readonly number[];
}

/** Where guest code is read from: a parcel view of a RAM or ROM window, its address (int32) and length in bytes. */
export interface CodeWindow {
  readonly m16: Uint16Array<ArrayBufferLike>;
  readonly base: number;
  readonly size: number;
}

/**
 * Decodes and translates the region entered at `pc` (int32), whose offset
 * in the code window `code` is `off` (even, inside the window): the block
 * there and the blocks reachable from it through static branch and jump
 * targets, up to {@link MAX_REGION_BLOCKS} blocks and
 * {@link MAX_REGION_INSNS} instructions, of which it keeps the loops through
 * the entry. Loads and stores go inline to the RAM window at `ramBase`
 * (int32) of `ramSize` bytes (the views the factory takes); code may be in
 * it or in ROM. With `paged` (code under Sv32) the code window is one
 * physical page with `base` 0, so `pc` and `off` are the entry's offset in
 * it, the region stays in the page, its pcs are relative to the page's
 * virtual address (a run-time argument, so one translation serves every
 * virtual alias of the page), and loads and stores go through the data
 * TLB. With `known` (a promotion), the region is instead every block
 * reachable from the entry through blocks for which `known(pc)` is true
 * (code seen to run), loops or not, within the limits. Never throws for any
 * guest bytes.
 */
export function translateRegion(
  code: CodeWindow,
  ramBase: number,
  ramSize: number,
  pc: number,
  off: number,
  paged = false,
  maxBlocks: number = MAX_REGION_BLOCKS,
  maxInsns: number = MAX_REGION_INSNS,
  known: ((pc: number) => boolean) | null = null,
): RegionSource {
  const { m16, base: codeBase, size: codeSize } = code;
  const first = decodeBlock(m16, codeSize, pc, off, paged);
  if (first.list.length === 0) return { source: null, insns: 0, start: off, end: off + 2, blocks: 0, pages: [], pcs: [] };
  const blocks = new Map<number, Block>([[pc, first]]);
  const work = successors(first);
  let total = first.list.length;
  while (work.length > 0 && blocks.size < maxBlocks && total < maxInsns) {
    const p = work.shift()!;
    const o = (p - codeBase) | 0;
    if (blocks.has(p) || o >>> 0 >= codeSize || (known !== null && !known(p))) continue;
    const b = decodeBlock(m16, codeSize, p, o, paged);
    if (b.list.length === 0) continue;
    blocks.set(p, b);
    total += b.list.length;
    for (const q of successors(b)) work.push(q);
  }
  // Promoted: every block found runs (known), so keep them all, loops or not (a function of several loops in a row).
  if (known === null) pruneToLoops(blocks, pc);
  splitAtBlocks(blocks);
  return emitRegion([...blocks.values()], codeBase, ramBase, ramSize, paged);
}

/** Keeps of `blocks` the entry `pc` and the blocks on loops through it; without such a loop, the first LINEAR_REGION_BLOCKS. */
function pruneToLoops(blocks: Map<number, Block>, pc: number): void {
  // Keep the blocks from which the entry can be reached again inside the region (the loops through the entry),
  // and the entry: the rest would be code TurboFan compiles, and deoptimises on, for little time spent in it.
  // Without such a loop, the first LINEAR_REGION_BLOCKS blocks found.
  const back = new Set<number>([pc]);
  const succ = new Map([...blocks.values()].map((b) => [b.pc, successors(b)]));
  for (let grew = true; grew; ) {
    grew = false;
    for (const b of blocks.values()) {
      if (!back.has(b.pc) && succ.get(b.pc)!.some((q) => back.has(q))) {
        back.add(b.pc);
        grew = true;
      }
    }
  }
  const drop = back.size > 1 ? [...blocks.keys()].filter((p) => !back.has(p)) : [...blocks.keys()].slice(LINEAR_REGION_BLOCKS);
  for (const p of drop) blocks.delete(p);
}

/**
 * Ends every block of `blocks` (by pc) that runs into another block of them at that block (a fall-through), so
 * that straight-line code into a loop header enters the loop through it (structure.ts needs that; it also saves
 * translating the same instructions twice).
 */
function splitAtBlocks(blocks: Map<number, Block>): void {
  for (const b of blocks.values()) {
    const at = b.list.findIndex((insn, i) => i > 0 && blocks.has(insn.pc));
    if (at > 0) {
      const split = b.list[at].pc;
      b.end -= (b.next - split) | 0;
      b.list = b.list.slice(0, at);
      b.how = END_LIMIT;
      b.next = split;
    }
  }
}

/** An exit-table pc offset meaning "p as it is" (offsets of code are even). */
const SAME_P = 1;

const reg = (r: number): string => (r === 0 ? '0' : `r${r}`);
/** A number as an operand (the semantics put spaces around operators, so `a - -3` stays valid). */
const lit = (n: number): string => `${n}`;
/** The source of ALU operation `e` on `a` and `b`, as an int32. */
const int32 = (e: AluOp, a: string, b: string): string => {
  const value = e.int32 ? e.src(a, b) : `(${e.src(a, b)}) | 0`;
  return e.byZero !== undefined ? `${b} === 0 ? ${e.byZero(a)} : ${value}` : value;
};

/**
 * The source that sets `o` to the RAM offset of a `width`-byte load or store at `a + imm` (a register's source
 * and an immediate), or runs `exit` when the region cannot make the access inline. Untranslated: the RAM window
 * at `ramBase` of `ramSize` bytes, aligned (one unsigned compare covers below and above the window; with a
 * power-of-two window, one AND). Paged (under Sv32): the interpreter's data TLB hit, aligned (an aligned access
 * lies in one page, so its page's tag is its last byte's, as the interpreter compares); a miss, a misaligned
 * address or a fault is the interpreter's, which walks, fills, faults or splits.
 */
function addressSource(paged: boolean, store: boolean, width: number, a: string, imm: number, ramBase: number, ramSize: number, exit: string): string {
  const align = width - 1;
  if (paged) {
    const [tags, offs] = store ? ['tagW', 'offW'] : ['tagR', 'offR'];
    const al = align !== 0 ? `(o & ${align}) !== 0 || ` : '';
    return `o = (${a} + ${imm}) | 0; e = o >>> 12;\nif (${al}${tags}[e & ${DTLB_MASK}] !== (e | dk)) { ${exit} }\no = (o + ${offs}[e & ${DTLB_MASK}]) | 0;`;
  }
  const pow2 = (ramSize & (ramSize - 1)) === 0 && ramSize >= 4;
  const check = pow2 ? `(o & ${(~(ramSize - 1) | align) | 0}) !== 0` : `${align !== 0 ? `(o & ${align}) !== 0 || ` : ''}o >>> 0 > ${ramSize - width}`;
  return `o = (${a} + ${(imm - ramBase) | 0}) | 0;\nif (${check}) { ${exit} }`;
}

/** How a region's blocks (`sorted`, in address order) are reached: see the comment in the body. */
interface Flow {
  /** Position of each block (by pc) in `sorted`. */
  readonly index: Map<number, number>;
  /** Per position: the block is a case of the switch. */
  readonly isCase: boolean[];
  /** The case number of each case block (by pc), dense from 0. */
  readonly caseNo: Map<number, number>;
  /** Positions of the blocks reached by a labelled break. */
  readonly labelled: Set<number>;
}

function planFlow(sorted: readonly Block[], entry: number, headers: ReadonlySet<number>): Flow {
  const index = new Map(sorted.map((b, i) => [b.pc, i]));
  // Control flow: the switch of a `for (;;)` dispatches only to *cases* (the entry, the loop headers, and blocks
  // entered from another case's stretch); every other block is reached from the blocks before it in its case's
  // stretch (up to the next case) by a forward `break` out of a labelled block, plain code that TurboFan compiles
  // as such. Cases are numbered densely (q), so the switch is a jump table; a jump to a case sets q and leaves the
  // switch with a plain `break`, and the loop dispatches again (XS leaks a stack slot for every `continue` or
  // labelled break out of a switch, docs/xs-lane.md, until the function returns: only exits, once per call, leave
  // the switch by `break R`; the labelled breaks to blocks stay inside their case).
  const isCase = sorted.map((b) => b.pc === entry || headers.has(b.pc));
  for (let grew = true; grew; ) {
    grew = false;
    let seg = 0;
    const segOf = sorted.map((_, i) => (isCase[i] ? ++seg : seg));
    sorted.forEach((b, i) => {
      for (const q of successors(b)) {
        const j = index.get(q);
        if (j !== undefined && !isCase[j] && (segOf[j] !== segOf[i] || j <= i)) {
          isCase[j] = true;
          grew = true;
        }
      }
    });
  }
  const caseNo = new Map<number, number>();
  sorted.forEach((b, i) => {
    if (isCase[i]) caseNo.set(b.pc, caseNo.size);
  });
  // Blocks some jump reaches by a labelled break (a forward jump in the same stretch, not to the next block).
  const labelled = new Set<number>();
  sorted.forEach((b, i) => {
    for (const q of successors(b)) {
      const j = index.get(q);
      if (j !== undefined && !isCase[j] && j > i + 1) labelled.add(j);
    }
  });
  return { index, isCase, caseNo, labelled };
}

/**
 * The guest registers `blocks` read or write (`used`, the locals a region loads) and write (`written`, those it
 * stores back), x0 excluded, and the span of code window offsets they occupy (first byte, first byte after).
 */
function regionFootprint(blocks: readonly Block[], codeBase: number): { used: Set<number>; written: Set<number>; start: number; end: number } {
  const used = new Set<number>();
  const written = new Set<number>();
  let start = Infinity;
  let end = 0;
  for (const b of blocks) {
    start = Math.min(start, (b.pc - codeBase) | 0);
    end = Math.max(end, b.end);
    for (const { inst } of b.list) {
      const op = inst & 0x7f;
      const rd = (inst >>> 7) & 31;
      if (op !== Opcode.LUI && op !== Opcode.AUIPC && op !== Opcode.JAL) used.add((inst >>> 15) & 31);
      if (op === Opcode.OP || op === Opcode.STORE || op === Opcode.BRANCH) used.add((inst >>> 20) & 31);
      if (op !== Opcode.STORE && op !== Opcode.BRANCH && op !== Opcode.MISC_MEM) {
        written.add(rd);
        used.add(rd);
      }
    }
  }
  used.delete(0);
  written.delete(0);
  return { used, written, start, end };
}

/** The source of the region of `blocks` (the entry first): structured (structure.ts) when the flow allows, else the switch form. */
function emitRegion(blocks: readonly Block[], codeBase: number, ramBase: number, ramSize: number, paged: boolean): RegionSource {
  const { used, written, start, end } = regionFootprint(blocks, codeBase);
  // Where the code window starts: a literal, or for a paged region the virtual address of its page (vb).
  const base = paged ? 'vb' : `${codeBase}`;
  const link = (next: number): string => (paged ? `(vb + ${next}) | 0` : UPPER.link(lit(next)));
  const inRegion = new Set(blocks.map((b) => b.pc));
  // Every exit is a number k into a table of (pc offset, instructions to add to c, why), the same for every exit
  // alike: the exit sets k and leaves the switch; the shared tail after the loop writes the registers back and
  // reads the table. So each exit is small code (less for TurboFan to compile, nothing for the hot path to carry).
  // Exit 0 keeps p as it is (the switch's default case, a JALR's budget check).
  const xp: number[] = [SAME_P];
  const xc: number[] = [0];
  const xw: number[] = [WHY_NEXT];
  const exitIds = new Map<string, number>([[`${SAME_P},0,${WHY_NEXT}`, 0]]);
  const leave = (pOff: number, dc: number, why: number): string => {
    const key = `${pOff},${dc},${why}`;
    let k = exitIds.get(key);
    if (k === undefined) {
      k = xp.length;
      exitIds.set(key, k);
      xp.push(pOff);
      xc.push(dc);
      xw.push(why);
    }
    return `k = ${k}; break R;`;
  };
  // Blocks in address order, or in the structured layout: a fall-through to the next block needs no code.
  const idxOf = new Map(blocks.map((b, i) => [b.pc, i]));
  const st = structure(blocks.map((b) => [...new Set(successors(b).filter((q) => idxOf.has(q)).map((q) => idxOf.get(q)!))]));
  const sorted = st !== null ? st.order.map((i) => blocks[i]) : [...blocks].sort((a, b) => ((a.pc - codeBase) | 0) - ((b.pc - codeBase) | 0));
  // The budget: every cycle in the region has an edge to a block at the same or a lower address, or a JALR; the
  // budget is checked there, for the longest path to the next check (K below). The driver calls a region only with
  // at least its entry's K left. So no block runs past the budget and the loop of one region stays cheap. Structured:
  // at the loop headers (every cycle passes one).
  const headers = new Set<number>();
  if (st !== null) for (const i of st.headers) headers.add(blocks[i].pc);
  else for (const b of blocks) for (const q of successors(b)) if (inRegion.has(q) && ((q - codeBase) | 0) <= ((b.pc - codeBase) | 0)) headers.add(q);
  const { index, isCase, caseNo, labelled } = planFlow(sorted, blocks[0].pc, headers);
  let nextPc = 0;
  let from = 0; // the index of the block being emitted
  const goto = (target: number): string => {
    const t = (target - codeBase) | 0;
    if (!inRegion.has(target)) return leave(t, 0, WHY_NEXT);
    if (st !== null) return st.jump(from, idxOf.get(target)!);
    if (target === nextPc) return '';
    const c = caseNo.get(target);
    return c !== undefined ? `q = ${c}; break;` : `break b${index.get(target)!};`;
  };
  // A JALR's target: the case at RAM offset p when there is one; else exit 0 (p as it is).
  const dispatch = `switch (p) { ${sorted
    .filter((b) => caseNo.has(b.pc))
    .map((b) => `case ${(b.pc - codeBase) | 0}: q = ${caseNo.get(b.pc)!}; break;`)
    .join(' ')} default: k = 0; break R; } break;`;
  // K(b): the most instructions from the start of block b to the next check (a header, a JALR) or an exit. Paths
  // between checks are acyclic (every cycle passes a header), so K is a longest path, found by memoised DFS.
  const byPc = new Map(blocks.map((b) => [b.pc, b]));
  const K = new Map<number, number>();
  const bound = (b: Block): number => {
    const known = K.get(b.pc);
    if (known !== undefined) return known;
    let most = 0;
    if (b.how !== END_JALR) {
      for (const q of successors(b)) {
        const qb = byPc.get(q);
        if (qb !== undefined && !headers.has(q)) most = Math.max(most, bound(qb));
      }
    }
    const k = b.list.length + most;
    K.set(b.pc, k);
    return k;
  };
  let kMax = 0;
  for (const b of blocks) kMax = Math.max(kMax, bound(b));
  const R = bound(blocks[0]);
  const budget = (k: number, pOff: number): string => `if (c + ${k} > n) { ${leave(pOff, 0, WHY_NEXT)} }`;
  const out: string[] = [];
  for (let bi = 0; bi < sorted.length; bi++) {
    const b = sorted[bi];
    // 1: no pc (pcs are even), so that the last block never falls off the switch.
    nextPc = bi + 1 < sorted.length ? sorted[bi + 1].pc : 1;
    const L = b.list.length;
    from = idxOf.get(b.pc)!;
    if (st !== null) out.push(st.before[bi]); // the structured layout's closings and openings
    else if (isCase[bi]) {
      out.push(`case ${caseNo.get(b.pc)!}:`);
      // Open the labelled blocks of this stretch, the farthest outermost.
      let end = bi + 1;
      while (end < sorted.length && !isCase[end]) end++;
      for (let j = end - 1; j > bi; j--) if (labelled.has(j)) out.push(`b${j}: {`);
    } else if (labelled.has(bi)) out.push('}');
    if (headers.has(b.pc)) out.push(budget(K.get(b.pc)!, (b.pc - codeBase) | 0));
    for (let i = 0; i < L; i++) {
      const { pc, size, inst } = b.list[i];
      const next = (pc + size) | 0;
      const op = inst & 0x7f;
      const f3 = (inst >>> 12) & 7;
      const rdN = (inst >>> 7) & 31;
      const rd = `r${rdN}`;
      const a = reg((inst >>> 15) & 31);
      const bb = reg((inst >>> 20) & 31);
      switch (op) {
        case Opcode.OP_IMM: {
          if (rdN === 0) break;
          const e = aluOp(OP_IMM_OPS, inst)!;
          const imm = e.shamt ? immI(inst) & 31 : immI(inst);
          // The idioms li and mv (ADDI from x0, ADDI of 0): the value itself.
          const idiom = e.name === 'ADDI' ? (a === '0' ? `${imm}` : imm === 0 ? a : '') : '';
          out.push(`${rd} = ${idiom !== '' ? idiom : int32(e, a, lit(imm))};`);
          break;
        }
        case Opcode.OP:
          if (rdN !== 0) out.push(`${rd} = ${int32(aluOp(OP_OPS, inst)!, a, bb)};`);
          break;
        case Opcode.LUI:
          if (rdN !== 0) out.push(`${rd} = ${UPPER.lui(lit(immU(inst)))};`);
          break;
        case Opcode.AUIPC:
          // In a paged region pc is an offset in the page, whose virtual address (vb) is known only at run time.
          if (rdN !== 0) out.push(`${rd} = (${paged ? UPPER.auipc('vb', lit((pc + immU(inst)) | 0)) : UPPER.auipc(lit(pc), lit(immU(inst)))}) | 0;`);
          break;
        case Opcode.LOAD:
        case Opcode.STORE: {
          // o = the RAM offset of the address; one unsigned compare covers below and above the window.
          const store = op === Opcode.STORE;
          const m = memOp(f3, store)!;
          const idx = m.width === 1 ? 'o' : `o >> ${m.width >> 1}`;
          out.push(addressSource(paged, store, m.width, a, store ? immS(inst) : immI(inst), ramBase, ramSize, leave((pc - codeBase) | 0, i, WHY_INTERP)));
          if (!store) {
            if (rdN !== 0) out.push(`${rd} = ${m.view}[${idx}];`);
            break;
          }
          out.push(`${m.view}[${idx}] = ${bb};`);
          // An aligned access lies in one page: one look at the code-page map.
          out.push(`if (pg[o >>> 12] !== 0) { io[2] = o; ${leave((next - codeBase) | 0, i + 1, WHY_CODE_STORE)} }`);
          break;
        }
        case Opcode.MISC_MEM: // FENCE: nothing to order for one hart
          break;
        case Opcode.SYSTEM:
          // A CSR of PAGED_CSRS (paged regions only): -1 from the helper (U-mode, TVM) leaves the rest to the
          // interpreter, which traps; a write that raised an event (mstatus, sie, satp) ends the region after it.
          out.push(`v = csr(${inst | 0}, ${f3 >= 4 ? lit((inst >>> 15) & 31) : a});`);
          out.push(`if (v < 0) { ${leave((pc - codeBase) | 0, i, WHY_INTERP)} }`);
          if (rdN !== 0) out.push(`${rd} = v | 0;`);
          out.push(`if (h.events !== 0) { ${leave((next - codeBase) | 0, i + 1, WHY_EVENT)} }`);
          break;
        case Opcode.BRANCH: {
          const cond = branchOp(f3)!.cond(a, bb);
          out.push(`c += ${L};`);
          const gt = goto((pc + immB(inst)) | 0);
          const gf = goto(next);
          if (gt === '') out.push(`if (!(${cond})) { ${gf} }`);
          else out.push(`if (${cond}) { ${gt} }`, gf);
          break;
        }
        case Opcode.JAL:
          if (rdN !== 0) out.push(`${rd} = ${link(next)};`);
          out.push(`c += ${L}; ${goto((pc + immJ(inst)) | 0)}`);
          break;
        case Opcode.JALR:
          // The target before the link: rd may be rs1. The switch finds it if it is in the region.
          out.push(`o = ${UPPER.jalrTarget(a, lit(immI(inst)))};`);
          if (rdN !== 0) out.push(`${rd} = ${link(next)};`);
          // Structured, a JALR leaves (a promoted region rarely holds its target: a call's return site is not a successor).
          if (st !== null) out.push(`c += ${L}; p = (o - ${base}) | 0; k = 0; break R;`);
          else out.push(`c += ${L}; p = (o - ${base}) | 0; ${budget(kMax, SAME_P)} ${dispatch}`);
          break;
        default:
          break;
      }
    }
    if (b.how === END_INTERP) out.push(`c += ${L}; ${leave((b.next - codeBase) | 0, 0, WHY_INTERP)}`);
    else if (b.how === END_LIMIT) out.push(`c += ${L}; ${goto(b.next)}`);
  }
  if (st !== null) out.push(st.before[sorted.length]);
  else out.push('default: k = 0; break R;');
  const regs = [...used].sort((a, b) => a - b);
  const decl = regs.length > 0 ? `let ${regs.map((r) => `r${r} = x[${r}]`).join(', ')};\n` : '';
  const wb = [...written].sort((a, b) => a - b).map((r) => `x[${r}] = r${r};`).join(' ');
  const source =
    `const xp = new Int32Array([${xp.join(',')}]), xc = new Int32Array([${xc.join(',')}]), xw = new Int32Array([${xw.join(',')}]);\n` +
    `return (function jit_${(blocks[0].pc >>> 0).toString(16)}(${paged ? 'x, n, vb, dk' : 'x, n'}) {\n${decl}let o = 0, c = 0, k = -1, p = 0, q = ${caseNo.get(blocks[0].pc)!}${paged ? ', e = 0, v = 0' : ''};\n` +
    (st !== null ? `R: {\n${out.join('\n')}\n}\n${wb}\n` : `R: for (;;) {\nswitch (q) {\n${out.join('\n')}\n}\n}\n${wb}\n`) +
    `const t = xp[k];\nif (t !== ${SAME_P}) p = t;\nio[0] = c + xc[k]; io[1] = xw[k];\nreturn (p + ${base}) | 0;\n});`;
  const pages = new Set<number>();
  for (const b of blocks) for (let q = ((b.pc - codeBase) | 0) >>> 12; q <= (b.end - 1) >>> 12; q++) pages.add(q);
  return { source, insns: R, start, end, blocks: blocks.length, pages: [...pages], pcs: blocks.map((b) => b.pc) };
}
