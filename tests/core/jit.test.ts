/**
 * The JIT tier (src/cpu/jit, docs/jit.md) against the interpreter, its
 * reference: random programs run in lockstep in both tiers with budgets
 * that end inside blocks and loops (registers, pc, instret, traps and RAM
 * must agree after every slice); self-modifying code with and without
 * FENCE.I, within a block and across pages; a loop stopping exactly at the
 * budget; an interrupt raised by a device during a long loop; precise
 * traps inside blocks; the cache bound.
 */
import { assert, describe, it as itRaw, seededRandom } from '../harness/index.js';
import { Csr, ExitReason, Hart, jitAvailable } from '../../src/cpu/index.js';
import { DEFAULT_HOT_ENTRIES, DEFAULT_PROMOTE_CALLS, setJitHotEntries, setJitPromoteCalls } from '../../src/cpu/jit/index.js';
import { translateRegion } from '../../src/cpu/jit/translate.js';
import { DATA, DEV_BASE, HALT, place, RAM_BASE, rig, ROM_BASE, UNMAPPED, type Rig } from './cpu-fixture.js';
import * as E from './rv-encode.js';

/** A rig whose hart runs in `tier` (the fixture's hart is replaced; RAM, devices and the halt handler are kept). */
function rigIn(tier: 'interp' | 'jit', options: { jitCacheBlocks?: number; rom?: Uint8Array } = {}): Rig {
  const r = rig({ rom: options.rom });
  setJitHotEntries(hotEntries);
  setJitPromoteCalls(promoteCalls);
  r.hart = new Hart({ bus: r.bus, readTime: () => r.time.now, tier, jitCacheBlocks: options.jitCacheBlocks });
  setJitHotEntries(DEFAULT_HOT_ENTRIES);
  setJitPromoteCalls(DEFAULT_PROMOTE_CALLS);
  r.stopper.onAccess = (op) => {
    if (op === 'write') r.hart.requestStop();
  };
  r.hart.reset(RAM_BASE);
  r.hart.writeCsr(Csr.mtvec, HALT);
  r.hart.writeCsr(Csr.stvec, HALT);
  return r;
}

/** Entries before translation, and calls before promotion, for the harts rigIn makes (set per suite below). */
let hotEntries = DEFAULT_HOT_ENTRIES;
let promoteCalls = DEFAULT_PROMOTE_CALLS;

/** A deterministic generator (tests/harness/random.ts). */
const rng = seededRandom;

/** A trap handler that skips the trapping 4-byte instruction and returns (t6 is its scratch; programs never use it). */
function skipHandler(at: number): E.Program {
  return new E.Program(at).i(E.csrr(E.t6, Csr.mepc), E.addi(E.t6, E.t6, 4), E.csrw(Csr.mepc, E.t6), E.mret());
}

const SKIP = RAM_BASE + 0xe000;

/**
 * A random program of 4-byte instructions (registers x1-x15; x31 for the
 * handler): ALU and M operations, loads and stores to the data page (some
 * misaligned), to the register device and to nothing (traps), forward
 * branches, counted loops, CSR reads of minstret, ECALL and EBREAK; it ends
 * by storing to the stopper.
 */
function randomProgram(seed: number, base = RAM_BASE): E.Program {
  const r = rng(seed);
  const p = new E.Program(base);
  const reg = () => 1 + r(15);
  for (let k = 1; k < 16; k++) p.li(k, (r(0x10000) << 16) | r(0x10000));
  p.li(E.s0, DATA);
  let labels = 0;
  for (let n = 0; n < 120; n++) {
    const kind = r(20);
    const rd = reg() === E.s0 ? E.a0 : reg();
    const a = reg();
    const b = reg();
    if (kind < 6) {
      const ops = [E.add, E.sub, E.xor, E.or, E.and, E.sll, E.srl, E.sra, E.slt, E.sltu, E.mul, E.mulh, E.mulhsu, E.mulhu, E.div, E.divu, E.rem, E.remu];
      p.i(ops[r(ops.length)](rd === E.s0 ? E.a0 : rd, a, b));
    } else if (kind < 9) {
      const ops = [E.addi, E.xori, E.ori, E.andi, E.slti, E.sltiu];
      p.i(ops[r(ops.length)](rd, a, r(4096) - 2048));
      if (r(4) === 0) p.i(E.slli(rd, a, r(32)), E.srai(rd, rd, r(32)), E.srli(rd, rd, r(32)));
    } else if (kind < 12) {
      // Loads and stores on the data page; 1 in 8 misaligned (performed by the interpreter).
      const off = r(1024) + (r(8) === 0 ? 1 : 0) * (1 + r(3));
      const ls = [E.lw, E.lh, E.lhu, E.lb, E.lbu, E.sw, E.sh, E.sb];
      const op = ls[r(ls.length)];
      const aligned = op === E.lw || op === E.sw ? off & ~3 : op === E.lh || op === E.lhu || op === E.sh ? off & ~1 : off;
      const o = r(8) === 0 ? off : aligned;
      if (op === E.sw || op === E.sh || op === E.sb) p.i(op(b, E.s0, o));
      else p.i(op(rd, E.s0, o));
    } else if (kind === 12) {
      // A device access, or an access fault (the handler skips it).
      const base = r(2) === 0 ? DEV_BASE : UNMAPPED;
      p.li(E.t5, base).i(r(2) === 0 ? E.lw(rd, E.t5, 4 * r(8)) : E.sw(b, E.t5, 4 * r(8)));
    } else if (kind < 16) {
      const name = `f${labels++}`;
      const br = [E.beq, E.bne, E.blt, E.bge, E.bltu, E.bgeu][r(6)];
      p.at(4, (pc, L) => br(a, b, L(name) - pc));
      for (let k = r(4); k >= 0; k--) p.i(E.addi(rd, rd, r(100)));
      p.label(name);
    } else if (kind < 18) {
      // A counted loop (t4 counts), with work inside.
      const name = `l${labels++}`;
      p.i(E.addi(E.t4, 0, 1 + r(40)));
      p.label(name);
      p.i(E.add(rd, rd, a), E.xor(a === rd ? E.a1 : a, a, rd));
      if (r(2) === 0) p.i(E.sw(rd, E.s0, 4 * r(256)));
      p.i(E.addi(E.t4, E.t4, -1));
      p.at(4, (pc, L) => E.bne(E.t4, 0, L(name) - pc));
    } else if (kind === 18) {
      p.i(E.csrr(rd, Csr.minstret));
    } else {
      p.i(r(2) === 0 ? E.ecall() : E.ebreak());
    }
  }
  p.li(E.t5, 0x0010_0000).i(E.sw(0, E.t5, 0));
  p.label('end').at(4, (pc, L) => E.jal(0, L('end') - pc));
  return p;
}

/** The state both tiers must agree on. */
function state(r: Rig): string {
  const h = r.hart;
  return JSON.stringify({
    pc: h.pc,
    instret: h.instret,
    traps: h.trapCount,
    last: h.lastTrap,
    regs: Array.from(h.regs),
    mepc: h.readCsr(Csr.mepc),
    mcause: h.readCsr(Csr.mcause),
    mtval: h.readCsr(Csr.mtval),
    sepc: h.readCsr(Csr.sepc),
    scause: h.readCsr(Csr.scause),
    stval: h.readCsr(Csr.stval),
    mstatus: h.readCsr(Csr.mstatus),
    satp: h.readCsr(Csr.satp),
    priv: h.priv,
  });
}

// ---- Code under Sv32 (paged regions). Physical pages (RAM_BASE + offset): 0x0000-0x17ff the program, 0x1800 a
// function whose first instruction the program patches, 0x2000/0x6000/0x8000/0x9000 data, 0x3000 and 0x7000 a
// function each (D4 in table 1 and 2), 0x4000 the second root table and 0x5000 its level-0 table, 0xa000 the first
// root and 0xb000-0xd000 its level-0 tables, 0xe000 the M-mode handler, 0xe800 the S-mode handler, 0xf000 (past
// the fixture's HALT code) the level-0 table that maps the S handler in both tables.
const VA_CODE = 0x0040_0000; // the program; 4 KiB pages in table 1, a megapage in table 2
const VA_ALIAS = 0x0080_0000; // the same physical code again (table 2: a writable megapage)
const VA_DATA = 0x00c0_0000; // D0-D5, 4 KiB pages
const PATCH = 0x1800;
const M_HANDLER = RAM_BASE + 0xe000;
const S_HANDLER = 0x0120_0800;

/** PTE bits (privileged spec 1.12, figure 4.18). */
const PV = 1, PR = 2, PW = 4, PX = 8, PU = 16, PA = 64, PD = 128;
const pte = (pa: number, flags: number): number => ((Math.floor(pa / 4096) << 10) | flags) >>> 0;

/**
 * Writes the two page tables; returns their satp values. `user`: code and data pages are U pages (D3 the
 * opposite). D0: read-write with A and D clear (walks set them), D1: read-only, D2: unmapped, D3: the other
 * mode's page (SUM), D4: execute-only (MXR; a function, another in each table), D5: the code's second page,
 * writable, D clear (table 2: unmapped).
 */
function svTables(m: Rig, user: boolean): [number, number] {
  const u = user ? PU : 0;
  const poke = (pa: number, v: number): void => {
    m.bus.write(pa as never, 4, v);
  };
  const leaf = (table: number, va: number, pa: number, flags: number): void => poke(table + ((va >>> 12) & 0x3ff) * 4, pte(pa, flags));
  const [root1, root2] = [RAM_BASE + 0xa000, RAM_BASE + 0x4000];
  const [l0code, l0alias, l0data, l0data2] = [RAM_BASE + 0xb000, RAM_BASE + 0xc000, RAM_BASE + 0xd000, RAM_BASE + 0x5000];
  poke(root1 + (VA_CODE >>> 22) * 4, pte(l0code, PV));
  poke(root1 + (VA_ALIAS >>> 22) * 4, pte(l0alias, PV));
  poke(root1 + (VA_DATA >>> 22) * 4, pte(l0data, PV));
  for (const [t, va] of [[l0code, VA_CODE], [l0alias, VA_ALIAS]]) {
    leaf(t, va, RAM_BASE, PV | PR | PX | PA | u);
    leaf(t, va + 0x1000, RAM_BASE + 0x1000, PV | PR | PX | PA | u);
  }
  // The S handler: never a U page, so S runs it in U programs too (table 2's code megapage is one).
  const l0handler = RAM_BASE + 0xf000;
  leaf(l0handler, S_HANDLER, RAM_BASE + 0xe000, PV | PR | PX | PA);
  poke(root1 + (S_HANDLER >>> 22) * 4, pte(l0handler, PV));
  poke(root2 + (S_HANDLER >>> 22) * 4, pte(l0handler, PV));
  poke(root2 + (VA_CODE >>> 22) * 4, pte(RAM_BASE, PV | PR | PX | PA | u));
  poke(root2 + (VA_ALIAS >>> 22) * 4, pte(RAM_BASE, PV | PR | PW | PX | PA | PD | u));
  poke(root2 + (VA_DATA >>> 22) * 4, pte(l0data2, PV));
  for (const [t, d0, d4] of [[l0data, 0x8000, 0x3000], [l0data2, 0x2000, 0x7000]]) {
    leaf(t, VA_DATA, RAM_BASE + d0, PV | PR | PW | u);
    leaf(t, VA_DATA + 0x1000, RAM_BASE + 0x9000, PV | PR | PA | u);
    leaf(t, VA_DATA + 0x3000, RAM_BASE + 0x6000, PV | PR | PW | PA | PD | (user ? 0 : PU));
    // Execute-only, and different code at one virtual address in the two tables.
    leaf(t, VA_DATA + 0x4000, RAM_BASE + d4, PV | PX | PA | u);
  }
  leaf(l0data, VA_DATA + 0x5000, RAM_BASE + 0x1000, PV | PR | PW | PA | u);
  return [(0x80000000 | (root1 >>> 12)) >>> 0, (0x80000000 | (root2 >>> 12)) >>> 0];
}

/**
 * A random program for S-mode (or U-mode) under Sv32, run at VA_CODE: ALU and M operations, loads and stores of
 * every width to the data pages (aligned, misaligned, spanning two pages; page faults, A/D updates, SUM and MXR),
 * loops over them, jumps to the code's other virtual address, fetch faults, SFENCE.VMA, sstatus.SUM/MXR and satp
 * changes, stores patching the function at PATCH through a data alias and calls of it, AUIPC, counters, ECALL
 * and EBREAK, supervisor CSRs. Registers: x1-x15 random, a6/a7 addresses, t4 loops, s2/s3 the two patch words, s4/s5 satp values.
 */
function pagedProgram(seed: number): E.Program {
  const r = rng(seed);
  const p = new E.Program(VA_CODE);
  const reg = () => 1 + r(15);
  for (let k = 1; k < 16; k++) p.li(k, (r(0x10000) << 16) | r(0x10000));
  p.label('top');
  let labels = 0;
  const access = (rd: number, b: number): void => {
    const page = [0, 0, 0, 1, 2, 3, 4, 5][r(8)];
    const ls = [E.lw, E.lh, E.lhu, E.lb, E.lbu, E.sw, E.sh, E.sb];
    const op = ls[r(ls.length)];
    const w = op === E.lw || op === E.sw ? 4 : op === E.lh || op === E.lhu || op === E.sh ? 2 : 1;
    // Mostly aligned; some misaligned; some at the end of the page (spanning into the next when wider than a byte).
    const kind = r(16);
    const off = kind === 0 ? 4096 - 1 - r(3) : kind === 1 ? (r(4096) | 1) : r(4096 / w) * w;
    p.li(E.a6, VA_DATA + page * 0x1000 + 2048);
    if (op === E.sw || op === E.sh || op === E.sb) p.i(op(b, E.a6, off - 2048));
    else p.i(op(rd, E.a6, off - 2048));
  };
  for (let n = 0; n < 110; n++) {
    const kind = r(29);
    const rd = reg();
    const a = reg();
    const b = reg();
    if (kind < 5) {
      const ops = [E.add, E.sub, E.xor, E.or, E.and, E.sll, E.srl, E.sra, E.slt, E.sltu, E.mul, E.mulh, E.mulhu, E.div, E.remu];
      p.i(ops[r(ops.length)](rd, a, b));
    } else if (kind < 7) {
      const ops = [E.addi, E.xori, E.ori, E.andi, E.slti, E.sltiu];
      p.i(ops[r(ops.length)](rd, a, r(4096) - 2048));
    } else if (kind < 11) {
      access(rd, b);
    } else if (kind < 13) {
      const name = `f${labels++}`;
      const br = [E.beq, E.bne, E.blt, E.bge, E.bltu, E.bgeu][r(6)];
      p.at(4, (pc, L) => br(a, b, L(name) - pc));
      for (let k = r(4); k >= 0; k--) p.i(E.addi(rd, rd, r(100)));
      p.label(name);
    } else if (kind < 16) {
      // A counted loop over data: loads and stores inside translated loops, TLB misses and faults among them.
      const name = `l${labels++}`;
      p.i(E.addi(E.t4, 0, 1 + r(40)));
      p.label(name);
      p.i(E.add(rd, rd, a), E.xor(a === rd ? E.a1 : a, a, rd));
      access(rd === a ? E.a2 : rd, b);
      if (r(2) === 0) p.i(E.sw(rd, E.a6, 4 * r(256)));
      p.i(E.addi(E.t4, E.t4, -1));
      p.at(4, (pc, L) => E.bne(E.t4, 0, L(name) - pc));
    } else if (kind === 16) {
      p.i(E.csrr(rd, Csr.instret));
    } else if (kind === 17) {
      p.i(r(2) === 0 ? E.ecall() : E.ebreak());
    } else if (kind === 18) {
      // On at the code's other virtual address (VA_CODE ^ VA_ALIAS swap with 0xc00000), four instructions on.
      p.i(E.auipc(E.a6, 0), E.lui(E.a7, 0xc00), E.xor(E.a6, E.a6, E.a7), E.jalr(0, E.a6, 16));
    } else if (kind === 19) {
      // A fetch fault (non-executable, unmapped, outside RAM through table 2's megapage): the M handler returns to ra.
      p.li(E.a6, [VA_DATA, VA_DATA + 0x2000, VA_CODE + 0x3ff000][r(3)]).i(E.jalr(E.ra, E.a6, 0));
    } else if (kind === 20) {
      if (r(2) === 0) p.i(E.sfenceVma());
      else p.li(E.a6, [VA_CODE, VA_DATA, VA_DATA + 0x5000, VA_ALIAS + PATCH][r(4)]).i(E.sfenceVma(E.a6, 0));
    } else if (kind === 21) {
      // sstatus.SUM (bit 18) and MXR (bit 19), set or cleared.
      p.i(E.lui(E.a7, [0x40, 0x80, 0xc0][r(3)]), r(2) === 0 ? E.csrrs(0, Csr.sstatus, E.a7) : E.csrrc(0, Csr.sstatus, E.a7));
    } else if (kind === 22) {
      p.i(E.csrw(Csr.satp, r(2) === 0 ? E.s4 : E.s5));
      if (r(2) === 0) p.i(E.sfenceVma());
    } else if (kind < 25) {
      // Patch the function's first instruction through a data alias of its page, then call it.
      if (kind === 23) p.li(E.a6, r(2) === 0 ? VA_DATA + 0x5000 + (PATCH & 0xfff) : VA_ALIAS + PATCH).i(E.sw(r(2) === 0 ? E.s2 : E.s3, E.a6, 0));
      p.at(4, (pc) => E.jal(E.ra, VA_CODE + PATCH - pc));
    } else if (kind === 25) {
      p.i(E.auipc(rd, r(0x100000)));
      // Calls of D4's function: physical page 0x3000 or 0x7000 by the table in use (twice: the first call after a
      // satp change finds no fetch TLB entry).
      if (r(2) === 0) p.li(E.a6, VA_DATA + 0x4000).i(E.jalr(E.ra, E.a6, 0), E.jalr(E.ra, E.a6, 0));
    } else if (kind === 26) {
      // Supervisor CSRs (illegal in U): reads, writes, set and clear, register and immediate forms.
      const csr = [Csr.sscratch, Csr.sepc, Csr.scause, Csr.stval, Csr.sstatus, Csr.sie, Csr.scounteren, Csr.senvcfg][r(8)];
      const ops = [E.csrrw, E.csrrs, E.csrrc, E.csrrwi, E.csrrsi, E.csrrci];
      const k = r(ops.length);
      p.i(ops[k](r(4) === 0 ? 0 : rd, csr, k >= 3 ? r(32) : r(4) === 0 ? 0 : a));
    } else {
      access(rd, b);
    }
  }
  p.at(4, (pc, L) => E.jal(0, L('top') - pc));
  if (p.here > VA_CODE + PATCH) throw new Error(`program ${seed} too long`);
  return p;
}

/** Sets up `m` for pagedProgram(seed) in mode `priv` (1 S, 0 U) under table 1. */
function pagedSetup(m: Rig, prog: E.Program, priv: 0 | 1): [number, number] {
  m.ram.set(prog.bytes(), 0);
  const fn = new E.Program(VA_CODE + PATCH).i(E.addi(E.a0, E.a0, 1), E.jalr(0, E.ra, 0));
  m.ram.set(fn.bytes(), PATCH);
  // M handler: a fetch fault (12, or 1 outside RAM) returns to ra, anything else skips the instruction.
  const mh = new E.Program(M_HANDLER).i(E.csrr(E.t6, Csr.mcause), E.addi(E.t6, E.t6, -12));
  mh.at(4, (pc, L) => E.beq(E.t6, 0, L('ra') - pc)).i(E.csrr(E.t6, Csr.mcause), E.addi(E.t6, E.t6, -1));
  mh.at(4, (pc, L) => E.beq(E.t6, 0, L('ra') - pc)).i(E.csrr(E.t6, Csr.mepc), E.addi(E.t6, E.t6, 4), E.csrw(Csr.mepc, E.t6), E.mret());
  mh.label('ra').i(E.csrw(Csr.mepc, E.ra), E.mret());
  m.ram.set(mh.bytes(), M_HANDLER - RAM_BASE);
  // S handler: skips the instruction; for a U program it also loads from D3 (an S page there), so that the data
  // TLB holds an S entry the U program must not use.
  const sh = new E.Program(S_HANDLER).i(E.csrr(E.t6, Csr.sepc), E.addi(E.t6, E.t6, 4), E.csrw(Csr.sepc, E.t6));
  if (priv === 0) sh.i(E.lui(E.t6, (VA_DATA + 0x3000) >>> 12), E.lw(E.t6, E.t6, 8));
  m.ram.set(sh.i(E.sret()).bytes(), 0xe800);
  for (const [at, n] of [[0x3000, 5], [0x7000, 7]]) m.ram.set(new E.Program(VA_DATA + 0x4000).i(E.addi(E.a0, E.a0, n), E.jalr(0, E.ra, 0)).bytes(), at);
  const satps = svTables(m, priv === 0);
  const h = m.hart;
  // PMP as firmware leaves it (the fixture's rig does this for its own hart): S and U may use everything.
  h.writeCsr(Csr.pmpaddr15, 0xffffffff);
  h.writeCsr(Csr.pmpcfg3, 0x1f << 24);
  h.writeCsr(Csr.mtvec, M_HANDLER);
  h.writeCsr(Csr.stvec, S_HANDLER);
  // Load and store page faults go to S (and for a U program, its ECALLs, EBREAKs and illegal instructions): the S
  // handler runs translated too.
  h.writeCsr(Csr.medeleg, (1 << 13) | (1 << 15) | (priv === 0 ? (1 << 8) | (1 << 3) | (1 << 2) : 0));
  h.writeCsr(Csr.mcounteren, 7);
  h.writeCsr(Csr.scounteren, 7);
  h.writeCsr(Csr.satp, satps[0]);
  h.regs[E.s2] = E.addi(E.a0, E.a0, 1);
  h.regs[E.s3] = E.addi(E.a0, E.a0, 3);
  h.regs[E.s4] = satps[0];
  h.regs[E.s5] = satps[1];
  h.priv = priv;
  h.pc = VA_CODE;
  return satps;
}

/** Runs `setup`'s machine in both tiers in lockstep with the budgets `slices`; asserts equal state after each slice and equal RAM at the end. */
function lockstep(setup: (r: Rig) => void, slices: readonly number[], what: string, rom?: Uint8Array): Rig[] {
  const rigs = [rigIn('interp', { rom }), rigIn('jit', { rom })];
  for (const r of rigs) setup(r);
  for (let i = 0; i < slices.length; i++) {
    const exits = rigs.map((r) => r.hart.run(slices[i]));
    assert.equal(exits[1], exits[0], `${what}: exit of slice ${i}`);
    assert.equal(state(rigs[1]), state(rigs[0]), `${what}: state after slice ${i} (budget ${slices[i]})`);
    if (exits[0] !== ExitReason.BudgetSpent) break;
  }
  assert.ok(rigs[1].ram.every((v, k) => v === rigs[0].ram[k]), `${what}: RAM`);
  return rigs;
}

/**
 * The suite, with harts that translate a region after `hot` entries: 1 (every block translated at once, so the
 * random programs exercise the translator everywhere) and the default (cold code interpreted, then translated);
 * and promote it after `promote` more calls: 1 (the promoted form of every region runs from its second call on) and
 * the default.
 */
function suite(hot: number, promote = DEFAULT_PROMOTE_CALLS): void {
  const it = (name: string, fn: () => void): void =>
    itRaw(name, () => {
      hotEntries = hot;
      promoteCalls = promote;
      try {
        fn();
      } finally {
        hotEntries = DEFAULT_HOT_ENTRIES;
        promoteCalls = DEFAULT_PROMOTE_CALLS;
      }
    });
  it('is chosen per hart, falls back where the engine cannot compile, and refuses bad options', () => {
    const r = rigIn('jit');
    assert.equal(r.hart.tier, jitAvailable() ? 'jit' : 'interp');
    assert.equal(rigIn('interp').hart.tier, 'interp');
    assert.throws(() => new Hart({ bus: r.bus, readTime: () => 0, tier: 'fast' as never }));
    assert.throws(() => new Hart({ bus: r.bus, readTime: () => 0, tier: 'jit', jitCacheBlocks: 100 }));
  });

  it('agrees with the interpreter on random programs, slice by slice', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const prog = randomProgram(seed);
      const r = rng(seed * 7919);
      const slices = Array.from({ length: 400 }, () => 1 + r(r(4) === 0 ? 3 : 60));
      const rigs = lockstep(
        (m) => {
          place(m, prog);
          place(m, skipHandler(SKIP));
          m.hart.writeCsr(Csr.mtvec, SKIP);
        },
        slices,
        `seed ${seed}`,
      );
      assert.ok(rigs[0].hart.trapCount > 0 || seed > 0, 'traps happen');
      const st = rigs[1].hart.jitStats;
      if (st !== null && promote === 1) assert.ok(st.promotions > 0, `seed ${seed}: regions promoted`);
    }
  });

  it('agrees with the interpreter on random programs under Sv32 (S and U, pages and megapages), slice by slice', () => {
    // Between some slices the host fences (all, or one page) or switches satp, in both harts alike.
    let translated = 0;
    let dropped = 0;
    for (let seed = 1; seed <= 24; seed++) {
      const prog = pagedProgram(seed);
      const priv = seed % 3 === 0 ? 0 : 1;
      const r = rng(seed * 6151);
      const rigs = [rigIn('interp'), rigIn('jit')];
      const satps = rigs.map((m) => pagedSetup(m, prog, priv))[0];
      for (let i = 0; i < 500; i++) {
        const budget = 1 + r(r(4) === 0 ? 3 : 80);
        const host = r(16);
        const page = VA_DATA + 0x1000 * r(6);
        const satp = satps[r(2)];
        const exits = rigs.map((m) => {
          if (host === 0) m.hart.flushTranslations();
          else if (host === 1) m.hart.flushTranslations(page as never);
          else if (host === 2) m.hart.writeCsr(Csr.satp, satp);
          return m.hart.run(budget);
        });
        assert.equal(exits[1], exits[0], `Sv32 seed ${seed}: exit of slice ${i}`);
        assert.equal(state(rigs[1]), state(rigs[0]), `Sv32 seed ${seed}: state after slice ${i} (budget ${budget})`);
      }
      assert.ok(rigs[1].ram.every((v, k) => v === rigs[0].ram[k]), `Sv32 seed ${seed}: RAM (page tables' A/D bits, patched code)`);
      assert.ok(rigs[0].hart.trapCount > 10, `Sv32 seed ${seed}: traps happen (${rigs[0].hart.trapCount})`);
      const st = rigs[1].hart.jitStats;
      if (st !== null) {
        translated += st.translations;
        dropped += st.invalidations;
      }
    }
    if (jitAvailable() && hotEntries === 1) assert.ok(translated > 100 && dropped > 0, `paged regions translated (${translated}) and dropped by code stores (${dropped})`);
  });

  it('translates a loop under Sv32 that zeroes faulted pages, as a kernel does, with the interpreter\'s results', () => {
    // S-mode stores to D0 (A and D clear: the first store walks and sets them) through table 1, then table 2
    // (a megapage alias of the code stores into RAM_BASE + 0x2000.. through VA_ALIAS), counting in a0.
    const p = new E.Program(VA_CODE).i(E.addi(E.a0, 0, 0), E.addi(E.s1, 0, 60));
    p.label('outer').li(E.a6, VA_DATA).i(E.addi(E.t0, 0, 1024));
    p.label('zero').i(E.sw(E.s1, E.a6, 0), E.lw(E.a1, E.a6, 0), E.add(E.a0, E.a0, E.a1), E.addi(E.a6, E.a6, 4), E.addi(E.t0, E.t0, -1));
    p.at(4, (pc, L) => E.bne(E.t0, 0, L('zero') - pc));
    p.i(E.csrw(Csr.satp, E.s5), E.addi(E.s1, E.s1, -1));
    p.at(4, (pc, L) => E.bne(E.s1, 0, L('outer') - pc));
    p.label('end').at(4, (pc, L) => E.jal(0, L('end') - pc));
    const rigs = lockstep((m) => void pagedSetup(m, p, 1), [5, 333, 4096, 100_000, 1_000_000], 'Sv32 loop');
    assert.equal(rigs[1].hart.regs[E.a0], 1024 * ((60 * 61) / 2));
    const st = rigs[1].hart.jitStats;
    if (st !== null) assert.ok(st.translations > 0, 'the loop under Sv32 was translated');
  });

  it('acts on a CSR write inside a paged region at once: SUM cleared, an interrupt enabled', () => {
    // S-mode: SUM on, load from D3 (a U page: fills the TLB under SUM), SUM off, load again (a page fault the S
    // handler skips), in a loop; then the supervisor timer interrupt (pending from the start) enabled by a write
    // to sie and sstatus.SIE: taken right after the write, in both tiers, slice by slice.
    const p = new E.Program(VA_CODE).li(E.a6, VA_DATA + 0x3000).i(E.lui(E.a7, 0x40), E.addi(E.t4, 0, 50));
    p.label('loop').i(E.csrrs(0, Csr.sstatus, E.a7), E.lw(E.a1, E.a6, 0), E.addi(E.s1, E.s1, 1), E.csrrc(0, Csr.sstatus, E.a7));
    p.i(E.addi(E.a2, 0, 0), E.lw(E.a2, E.a6, 4), E.add(E.s6, E.s6, E.a2), E.addi(E.t4, E.t4, -1));
    p.at(4, (pc, L) => E.bne(E.t4, 0, L('loop') - pc));
    p.i(E.addi(E.a7, 0, 0x20), E.csrrs(0, Csr.sie, E.a7), E.csrrsi(0, Csr.sstatus, 2));
    p.label('end').i(E.addi(E.s7, E.s7, 1)).at(4, (pc, L) => E.jal(0, L('end') - pc));
    const setup = (m: Rig): void => {
      pagedSetup(m, p, 1);
      m.ram.set([1, 2, 3, 4, 5, 6, 7, 8], 0x6000);
      m.hart.writeCsr(Csr.mideleg, 1 << 5);
      m.hart.setInterruptPending(5, true);
    };
    const rigs = lockstep(setup, Array.from({ length: 400 }, (_, i) => 1 + (i % 7)), 'Sv32 CSR writes');
    assert.equal(rigs[1].hart.regs[E.s6], 0, 'no load from D3 without SUM succeeded');
    assert.equal(rigs[1].hart.regs[E.s1], 50);
    assert.ok(rigs[1].hart.trapCount > 50 && rigs[1].hart.lastTrap!.interrupt, 'the interrupt was taken');
  });

  it('translates code in ROM (a board\'s flash) and agrees with the interpreter there', () => {
    const image = (p: E.Program): Uint8Array => {
      const rom = new Uint8Array(0x10000);
      rom.set(p.bytes());
      return rom;
    };
    for (let seed = 1; seed <= 12; seed++) {
      const r = rng(seed * 104729);
      const slices = Array.from({ length: 300 }, () => 1 + r(r(4) === 0 ? 3 : 60));
      const setup = (m: Rig): void => {
        place(m, skipHandler(SKIP));
        m.hart.writeCsr(Csr.mtvec, SKIP);
        m.hart.pc = ROM_BASE;
      };
      lockstep(setup, slices, `ROM, seed ${seed}`, image(randomProgram(seed, ROM_BASE)));
    }
    // A loop nest in ROM storing to RAM: translated (not only interpreted), the same sums as the interpreter.
    const p = new E.Program(ROM_BASE).li(E.s0, DATA).i(E.addi(E.a0, 0, 0), E.addi(E.s1, 0, 300));
    p.label('outer').i(E.addi(E.t0, 0, 50));
    p.label('inner').i(E.add(E.a0, E.a0, E.t0), E.sw(E.a0, E.s0, 0), E.lw(E.a1, E.s0, 0), E.xor(E.a2, E.a2, E.a1), E.addi(E.t0, E.t0, -1));
    p.at(4, (pc, L) => E.bne(E.t0, 0, L('inner') - pc));
    p.i(E.addi(E.s1, E.s1, -1));
    p.at(4, (pc, L) => E.bne(E.s1, 0, L('outer') - pc));
    p.li(E.t5, 0x0010_0000).i(E.sw(0, E.t5, 0));
    const rigs = lockstep((m) => (m.hart.pc = ROM_BASE), [7, 1000, 99_999, 1_000_000], 'ROM loop', image(p));
    assert.equal(rigs[1].hart.regs[E.a0], 300 * ((50 * 51) / 2));
    const st = rigs[1].hart.jitStats;
    if (st !== null) assert.ok(st.translations > 0, 'the loop in ROM was translated');
  });

  it('stops a loop exactly at the budget', () => {
    const p = new E.Program(RAM_BASE).i(E.addi(E.a0, 0, 0), E.lui(E.a1, 0x100));
    p.label('loop').i(E.addi(E.a0, E.a0, 1), E.xor(E.a2, E.a2, E.a0));
    p.at(4, (pc, L) => E.bne(E.a0, E.a1, L('loop') - pc));
    for (const budget of [1, 2, 3, 4, 5, 1000, 1001, 1002, 99_999]) {
      const rigs = lockstep((m) => place(m, p), [budget, 7, budget], `budget ${budget}`);
      assert.equal(rigs[1].hart.instret, 2 * budget + 7);
      assert.equal(rigs[1].hart.lastRunSteps, budget);
    }
  });

  it('runs a region whose flow is irreducible (a cycle entered at two blocks) in the switch form, exactly', () => {
    // outer: enter the cycle A <-> B at A or at B; A -> B while a0 & 3, B -> A while a1 & 7; then count down.
    const p = new E.Program(RAM_BASE).i(E.addi(E.s0, 0, 300), E.addi(E.a0, 0, 0), E.addi(E.a1, 0, 0));
    p.label('outer').i(E.andi(E.t0, E.s0, 1));
    p.at(4, (pc, L) => E.beq(E.t0, 0, L('B') - pc));
    p.label('A').i(E.addi(E.a0, E.a0, 1), E.andi(E.t1, E.a0, 3));
    p.at(4, (pc, L) => E.bne(E.t1, 0, L('B') - pc));
    p.at(4, (pc, L) => E.jal(0, L('next') - pc));
    p.label('B').i(E.addi(E.a1, E.a1, 3), E.andi(E.t1, E.a1, 7));
    p.at(4, (pc, L) => E.bne(E.t1, 0, L('A') - pc));
    p.label('next').i(E.addi(E.s0, E.s0, -1));
    p.at(4, (pc, L) => E.bne(E.s0, 0, L('outer') - pc));
    p.li(E.t5, 0x0010_0000).i(E.sw(0, E.t5, 0));
    const code = p.bytes();
    const m16 = new Uint16Array(code.buffer, code.byteOffset, code.length >> 1);
    const region = translateRegion({ m16, base: RAM_BASE | 0, size: code.length }, RAM_BASE | 0, 0x10000, (RAM_BASE + 12) | 0, 12);
    assert.ok(region.source !== null && region.source.includes('switch (q)'), 'the switch form');
    const rigs = lockstep((m) => place(m, p), Array.from({ length: 200 }, (_, i) => 1 + ((i * 37) % 61)), 'irreducible');
    assert.ok(rigs[1].hart.instret > 2000, 'the loops ran');
  });

  it('sees a store over translated code at once, in its own block and from another page, with or without FENCE.I', () => {
    // Patches `addi a0, a0, 1` (in the loop) into `addi a0, a0, 100` after 10 iterations and back after 20: the
    // interpreter sees each new instruction at the next fetch, so must the JIT (the second patch would otherwise
    // meet blocks translated after the first). The store comes from the loop, from a function on another page,
    // or from an AMO (run by the interpreter, whose store path must tell the tier).
    for (const [far, fenceI, amo] of [[false, false, false], [true, false, false], [true, true, false], [false, false, true]]) {
      const FN = RAM_BASE + 0x3000;
      const p = new E.Program(RAM_BASE).i(E.addi(E.a0, 0, 0), E.addi(E.a1, 0, 0), E.addi(E.a2, 0, 30));
      p.li(E.t0, E.addi(E.a0, E.a0, 100)).li(E.s3, E.addi(E.a0, E.a0, 1));
      p.label('loop');
      p.label('patched').i(E.addi(E.a0, E.a0, 1));
      p.i(E.addi(E.a1, E.a1, 1), E.addi(E.t1, 0, 10));
      p.at(4, (pc, L) => E.bne(E.a1, E.t1, L('chk2') - pc));
      p.i(E.add(E.s4, E.t0, 0));
      p.at(4, (pc, L) => E.jal(0, L('do') - pc));
      p.label('chk2').i(E.addi(E.t1, 0, 20));
      p.at(4, (pc, L) => E.bne(E.a1, E.t1, L('skip') - pc));
      p.i(E.add(E.s4, E.s3, 0));
      p.label('do').at(4, () => E.auipc(E.t2, 0)).at(4, (pc, L) => E.addi(E.t2, E.t2, L('patched') - pc + 4));
      if (far) p.li(E.t3, FN).i(E.jalr(E.ra, E.t3, 0));
      else p.i(amo ? E.amoW('swap', 0, E.s4, E.t2) : E.sw(E.s4, E.t2, 0));
      if (fenceI) p.i(E.fenceI());
      p.label('skip');
      p.at(4, (pc, L) => E.bne(E.a1, E.a2, L('loop') - pc));
      p.li(E.t5, 0x0010_0000).i(E.sw(0, E.t5, 0));
      const fn = new E.Program(FN).i(E.sw(E.s4, E.t2, 0), E.jalr(0, E.ra, 0));
      const rigs = lockstep((m) => (place(m, p), place(m, fn)), [1_000_000], `far ${far}, fence.i ${fenceI}, amo ${amo}`);
      assert.equal(rigs[1].hart.regs[E.a0], 10 + 10 * 100 + 10, 'each patched instruction ran right after its store');
      const st = rigs[1].hart.jitStats;
      if (st !== null) assert.ok(st.invalidations + st.flushes > 0, 'the tier dropped the stale block');
    }
  });

  it('runs new code written from outside the hart once the guest executes FENCE.I', () => {
    // f returns 1; the host rewrites it to return 2 while the hart is stopped; the guest then runs FENCE.I.
    const F = RAM_BASE + 0x2000;
    const p = new E.Program(RAM_BASE).i(E.addi(E.s1, 0, 0));
    p.label('call').li(E.t3, F).i(E.jalr(E.ra, E.t3, 0), E.add(E.s1, E.s1, E.a0));
    p.li(E.t5, 0x0010_0000).i(E.sw(0, E.t5, 0), E.fenceI());
    p.at(4, (pc, L) => E.jal(0, L('call') - pc));
    for (const tier of ['interp', 'jit'] as const) {
      const m = rigIn(tier);
      place(m, p);
      place(m, new E.Program(F).i(E.addi(E.a0, 0, 1), E.jalr(0, E.ra, 0)));
      for (let k = 0; k < 3; k++) assert.equal(m.hart.run(10_000), ExitReason.Stop);
      place(m, new E.Program(F).i(E.addi(E.a0, 0, 2), E.jalr(0, E.ra, 0)));
      assert.equal(m.hart.run(10_000), ExitReason.Stop);
      assert.equal(m.hart.regs[E.s1], 1 + 1 + 1 + 2, `${tier}: the new f ran after FENCE.I`);
    }
  });

  it('takes an interrupt a device raises during a long loop at the same instruction as the interpreter', () => {
    // The loop writes the device every 1000 iterations; the 5th write raises MTIP; the handler parks.
    const p = new E.Program(RAM_BASE).li(E.t0, 1 << 7).i(E.csrw(Csr.mie, E.t0), E.csrrsi(0, Csr.mstatus, 8));
    p.li(E.t1, DEV_BASE).i(E.addi(E.a0, 0, 0));
    p.label('loop').i(E.addi(E.a0, E.a0, 1), E.andi(E.a1, E.a0, 1023));
    p.at(4, (pc, L) => E.bne(E.a1, 0, L('loop') - pc));
    p.i(E.sw(E.a0, E.t1, 0));
    p.at(4, (pc, L) => E.jal(0, L('loop') - pc));
    const rigs = lockstep(
      (m) => {
        place(m, p);
        let writes = 0;
        m.dev.onAccess = (op) => {
          if (op === 'write' && ++writes === 5) m.hart.setInterruptPending(7, true);
        };
      },
      [3_000_000],
      'interrupt',
    );
    const t = rigs[1].hart.lastTrap!;
    assert.ok(t.interrupt && t.code === 7, 'MTI taken');
    assert.equal(rigs[1].hart.regs[E.a0], 5 * 1024, 'right after the fifth device write');
  });

  it('takes interrupts the host raises between slices while regions run one after another, as the interpreter', () => {
    // A loop nest of several regions (an outer loop, a called function with its own loop, an inner loop with a
    // forward branch over part of it); the host raises MTIP before some slices, the handler counts it, clears it
    // through the device and returns. Every slice must end in the same state in both tiers.
    const H = RAM_BASE + 0x2000;
    const F = RAM_BASE + 0x1000;
    const p = new E.Program(RAM_BASE).li(E.t0, H).i(E.csrw(Csr.mtvec, E.t0));
    p.li(E.t0, 1 << 7).i(E.csrw(Csr.mie, E.t0), E.csrrsi(0, Csr.mstatus, 8));
    p.li(E.s0, DATA).i(E.addi(E.s1, 0, 0), E.addi(E.a5, 0, 2000));
    p.label('outer').li(E.t3, F).i(E.jalr(E.ra, E.t3, 0), E.addi(E.t1, 0, 13));
    p.label('inner').i(E.add(E.s1, E.s1, E.t1), E.andi(E.a2, E.s1, 3));
    p.at(4, (pc, L) => E.beq(E.a2, 0, L('over') - pc));
    p.i(E.sw(E.s1, E.s0, 8), E.lw(E.a3, E.s0, 8), E.xor(E.s1, E.s1, E.a3), E.addi(E.s1, E.s1, 7));
    p.label('over').i(E.addi(E.t1, E.t1, -1));
    p.at(4, (pc, L) => E.bne(E.t1, 0, L('inner') - pc));
    p.i(E.addi(E.a5, E.a5, -1));
    p.at(4, (pc, L) => E.bne(E.a5, 0, L('outer') - pc));
    p.li(E.t5, 0x0010_0000).i(E.sw(0, E.t5, 0));
    const f = new E.Program(F).i(E.addi(E.a0, 0, 9));
    f.label('f').i(E.mul(E.a1, E.a0, E.s1), E.add(E.s1, E.s1, E.a1), E.addi(E.a0, E.a0, -1));
    f.at(4, (pc, L) => E.bne(E.a0, 0, L('f') - pc));
    f.i(E.jalr(0, E.ra, 0));
    const h = new E.Program(H).i(E.addi(E.s2, E.s2, 1)).li(E.t6, DEV_BASE).i(E.sw(E.s2, E.t6, 0), E.mret());
    const rigs = [rigIn('interp'), rigIn('jit')];
    for (const m of rigs) {
      place(m, p);
      place(m, f);
      place(m, h);
      m.dev.onAccess = (op) => {
        if (op === 'write') m.hart.setInterruptPending(7, false);
      };
    }
    const r = rng(4242);
    let raised = 0;
    for (let i = 0; i < 3000; i++) {
      const budget = 1 + r(r(3) === 0 ? 40 : 700);
      const raise = r(5) === 0;
      raised += raise ? 1 : 0;
      const exits = rigs.map((m) => {
        if (raise) m.hart.setInterruptPending(7, true);
        return m.hart.run(budget);
      });
      assert.equal(exits[1], exits[0], `exit of slice ${i}`);
      assert.equal(state(rigs[1]), state(rigs[0]), `state after slice ${i} (budget ${budget})`);
      if (exits[0] !== ExitReason.BudgetSpent) break;
    }
    assert.ok(raised > 100 && rigs[1].hart.regs[E.s2] > 100, `interrupts taken: ${rigs[1].hart.regs[E.s2]}`);
    const st = rigs[1].hart.jitStats;
    if (st !== null) assert.ok(st.translations >= 3, `${st.translations} regions translated`);
  });

  it('keeps traps precise inside blocks: mepc, mtval and instret as the interpreter has them', () => {
    const p = new E.Program(RAM_BASE).li(E.s0, DATA).li(E.t5, UNMAPPED);
    p.i(E.addi(E.a0, 0, 1), E.sw(E.a0, E.s0, 0), E.lw(E.a1, E.s0, 0), E.addi(E.a2, E.a1, 5));
    p.i(E.lw(E.a3, E.t5, 12)); // load access fault in the middle of a straight line
    p.i(E.addi(E.a4, 0, 9));
    const rigs = lockstep((m) => place(m, p), [1000], 'trap');
    const t = rigs[1].hart.lastTrap!;
    assert.equal(t.code, 5);
    assert.equal(t.tval, UNMAPPED + 12);
    assert.equal(t.epc, RAM_BASE + 4 * 8);
  });

  it('holds at most jitCacheBlocks blocks and stays correct when they evict each other', () => {
    // 200 small functions called in turn: far more blocks than 16 slots. Each loops more times than the
    // default hot threshold, so that its loop is translated within one call, then evicted by the next functions.
    const LOOPS = DEFAULT_HOT_ENTRIES + 20;
    const p = new E.Program(RAM_BASE).i(E.addi(E.s1, 0, 0), E.addi(E.s2, 0, 3));
    p.label('round');
    for (let k = 0; k < 200; k++) p.at(4, (pc, L) => E.jal(E.ra, L(`fn${k}`) - pc));
    p.i(E.addi(E.s2, E.s2, -1));
    p.at(4, (pc, L) => E.bne(E.s2, 0, L('round') - pc));
    p.li(E.t5, 0x0010_0000).i(E.sw(0, E.t5, 0));
    for (let k = 0; k < 200; k++) {
      p.label(`fn${k}`).i(E.addi(E.t0, 0, LOOPS));
      p.label(`loop${k}`).i(E.addi(E.s1, E.s1, k), E.addi(E.t0, E.t0, -1));
      p.at(4, (pc, L) => E.bne(E.t0, 0, L(`loop${k}`) - pc));
      p.i(E.jalr(0, E.ra, 0));
    }
    const interp = rigIn('interp');
    const jit = rigIn('jit', { jitCacheBlocks: 16 });
    for (const m of [interp, jit]) {
      place(m, p);
      assert.equal(m.hart.run(1_000_000), ExitReason.Stop);
    }
    assert.equal(state(jit), state(interp));
    assert.equal(jit.hart.regs[E.s1], 3 * LOOPS * ((199 * 200) / 2));
    const st = jit.hart.jitStats;
    if (st !== null) {
      assert.ok(st.blocks <= 16, `${st.blocks} blocks cached`);
      assert.ok(st.translations > 200, 'blocks were evicted and translated again');
    }
  });
}

describe('JIT tier, every entry translated at once', () => suite(1));
describe(`JIT tier, entries translated after ${DEFAULT_HOT_ENTRIES} runs (the default)`, () => suite(DEFAULT_HOT_ENTRIES));
describe('JIT tier, every entry translated at once and promoted at its second call', () => suite(1, 1));
