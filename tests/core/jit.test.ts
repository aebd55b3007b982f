/**
 * The JIT tier (src/cpu/jit, docs/jit.md) against the interpreter, its
 * reference: random programs run in lockstep in both tiers with budgets
 * that end inside blocks and loops (registers, pc, instret, traps and RAM
 * must agree after every slice); self-modifying code with and without
 * FENCE.I, within a block and across pages; a loop stopping exactly at the
 * budget; an interrupt raised by a device during a long loop; precise
 * traps inside blocks; the cache bound.
 */
import { assert, describe, it as itRaw } from '../harness/index.js';
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

/** A deterministic generator (xorshift32). */
function rng(seed: number): (n: number) => number {
  let s = seed | 0 || 1;
  return (n: number) => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) % n;
  };
}

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
  });
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
