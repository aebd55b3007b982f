/**
 * Sv32 translation (privileged spec 1.12, 4.3; 3.1.6.3 for MPRV, SUM and
 * MXR): what is translated in which mode, every page and access fault of
 * the walk with its cause and tval, megapages, reserved encodings, A/D
 * updates, tables outside RAM, and 34-bit physical addresses.
 */
import { describe, it, assert } from '../harness/index.js';
import * as E from './rv-encode.js';
import { Csr, DEV_BASE, RAM_BASE, ROM_BASE, UNMAPPED, peek32, poke32, rig, trapped, ureg, type Rig } from './cpu-fixture.js';
import { A, D, PAGE_A, PAGE_B, PAGE_C, R, RO, RW, RWX, Tables, U, V, W, X, XO, finished, pte, svRun, type SvRig } from './cpu-sv32-fixture.js';
import { Mstatus } from '../../src/cpu/index.js';
import type { GuestPhysAddr, GuestVirtAddr } from '../../src/addr/index.js';

const { a0, a1, a2, a3, a4, ra, t0 } = E;
const VA = 0x4000_0000; // a data page (root slot 0x100)
const SUM = Mstatus.SUM;
const MXR = Mstatus.MXR;

/** Checks the trap taken into M (default) or S: cause, tval and epc. */
function expectTrap(r: SvRig | Rig, cause: number, tval: number, epc: number, what: string, to: 'M' | 'S' = 'M'): void {
  assert.equal(trapped(r), true, `${what}: trapped`);
  const [c, t, e] = to === 'M' ? [Csr.mcause, Csr.mtval, Csr.mepc] : [Csr.scause, Csr.stval, Csr.sepc];
  assert.equal(r.hart.readCsr(c), cause, `${what}: cause`);
  assert.equal(r.hart.readCsr(t), tval >>> 0, `${what}: tval`);
  assert.equal(r.hart.readCsr(e), epc >>> 0, `${what}: epc`);
  assert.equal(r.hart.lastTrap?.priv, to === 'M' ? 3 : 1, `${what}: taken into ${to}`);
}

/** Runs one load (`lw a0, 0(a1)`), store (`sw a2, 0(a1)`) or fetch (`jalr ra, a1`) of `va`. */
function access(kind: 'load' | 'store' | 'fetch', va: number, o: Parameters<typeof svRun>[1] = {}): SvRig {
  const inst = kind === 'load' ? E.lw(a0, a1, 0) : kind === 'store' ? E.sw(a2, a1, 0) : E.jalr(ra, a1, 0);
  return svRun((p) => p.i(inst), { ...o, regs: [[a1, va], [a2, 0x5a5a], ...(o.regs ?? [])] });
}

const CAUSE = { fetch: 12, load: 13, store: 15 } as const;
const ACCESS_CAUSE = { fetch: 1, load: 5, store: 7 } as const;

/** Expects a page fault of `kind` at `va` from the single access of {@link access}. */
function pageFault(kind: 'load' | 'store' | 'fetch', va: number, o: Parameters<typeof svRun>[1], what: string): SvRig {
  const r = access(kind, va, o);
  expectTrap(r, CAUSE[kind], va, kind === 'fetch' ? va : RAM_BASE, `${what} (${kind})`);
  return r;
}

describe('Sv32: what is translated', () => {
  it('S-mode loads and stores of every width go through a 4 KiB mapping', () => {
    const r = svRun(
      (p) => p.i(E.lw(a0, a1, 8), E.lh(a2, a1, 10), E.lbu(a3, a1, 11), E.sw(a0, a1, 16), E.sh(a0, a1, 22), E.sb(a0, a1, 27), E.lw(a4, a4, 0)),
      { regs: [[a1, VA], [a4, VA + 4090]], map: (t, r) => { t.map(VA, PAGE_A, RW); poke32(r, PAGE_A + 8, 0x80fe1234); poke32(r, PAGE_A + 4092, 0x11223344); } },
    );
    assert.equal(finished(r), true);
    assert.equal(ureg(r, a0), 0x80fe1234);
    assert.equal(r.hart.regs[a2], -32514); // 0x80fe sign-extended
    assert.equal(ureg(r, a3), 0x80);
    assert.equal(peek32(r, PAGE_A + 16), 0x80fe1234);
    assert.equal(peek32(r, PAGE_A + 20) >>> 16, 0x1234);
    assert.equal(peek32(r, PAGE_A + 24) >>> 24, 0x34);
    assert.equal(ureg(r, a4), 0x33440000, 'a misaligned word inside the page');
  });
  it('fetches are translated: code at a virtual page runs from its physical page', () => {
    const code = new E.Program(PAGE_C).i(E.addi(a0, 0, 42), E.jalr(0, ra, 0)).bytes();
    const r = svRun((p) => p.i(E.jalr(ra, a1, 0)), {
      regs: [[a1, VA + 0x1000]],
      map: (t, r) => {
        t.map(VA + 0x1000, PAGE_C, V | R | X | A);
        r.ram.set(code, PAGE_C - RAM_BASE);
      },
    });
    assert.equal(finished(r), true);
    assert.equal(ureg(r, a0), 42);
  });
  it('U-mode is translated with U pages', () => {
    const r = svRun((p) => p.i(E.lw(a0, a1, 0), E.sw(a0, a1, 4)), {
      priv: 0,
      regs: [[a1, VA]],
      map: (t, r) => {
        t.map(VA, PAGE_A, RW | U);
        poke32(r, PAGE_A, 77);
      },
    });
    assert.equal(finished(r), true);
    assert.equal(ureg(r, a0), 77);
    assert.equal(peek32(r, PAGE_A + 4), 77);
  });
  it('M-mode ignores satp; with MPRV and MPP = S its loads and stores are translated, its fetches are not', () => {
    const prog = (p: E.Program) => p.i(E.lw(a0, a1, 0), E.sw(a0, a1, 4));
    const map = (t: Tables, r: Rig) => {
      t.map(PAGE_B, PAGE_A, RW); // PAGE_B's address reaches PAGE_A when translated
      poke32(r, PAGE_A, 1);
      poke32(r, PAGE_B, 2);
    };
    let r = svRun(prog, { priv: 3, regs: [[a1, PAGE_B]], map });
    assert.equal(finished(r), true);
    assert.equal(ureg(r, a0), 2, 'M without MPRV: physical');
    r = svRun(prog, { priv: 3, regs: [[a1, PAGE_B]], map, mstatus: Mstatus.MPRV | (1 << 11), codeFlags: 0 });
    assert.equal(finished(r), true, 'the code page is unmapped: M fetches bypass translation');
    assert.equal(ureg(r, a0), 1, 'MPRV + MPP = S: translated');
    assert.equal(peek32(r, PAGE_A + 4), 1);
    r = svRun(prog, { priv: 3, regs: [[a1, PAGE_B]], map, mstatus: Mstatus.MPRV | (3 << 11) });
    assert.equal(ureg(r, a0), 2, 'MPRV + MPP = M: physical');
  });
  it('MPRV with MPP = U applies U-mode rules, and its faults trap to M with the virtual address', () => {
    const r = svRun((p) => p.i(E.lw(a0, a1, 0)), { priv: 3, regs: [[a1, PAGE_B]], mstatus: Mstatus.MPRV, map: (t) => t.map(PAGE_B, PAGE_A, RW) });
    expectTrap(r, 13, PAGE_B, RAM_BASE, 'an S page through MPRV with MPP = U');
    const r2 = svRun((p) => p.i(E.lw(a0, a1, 0)), { priv: 3, regs: [[a1, PAGE_B]], mstatus: Mstatus.MPRV, map: (t, r) => { t.map(PAGE_B, PAGE_A, RW | U); poke32(r, PAGE_A, 9); } });
    assert.equal(ureg(r2, a0), 9);
  });
  it('MRET to S clears MPRV (spec 3.1.6.3), so the S code is not affected by it afterwards', () => {
    const r = svRun(
      (p) => {
        p.li(t0, RAM_BASE + 0x20).i(E.csrw(Csr.mepc, t0), E.mret());
        while (p.here < RAM_BASE + 0x24) p.i(E.addi(0, 0, 0));
      },
      { priv: 3, mstatus: Mstatus.MPRV | (1 << 11) },
    );
    assert.equal(finished(r), true);
    assert.equal(r.hart.priv, 1);
    assert.equal((r.hart.readCsr(Csr.mstatus) & Mstatus.MPRV) !== 0, false);
  });
  it('satp.MODE = Bare: S-mode is not translated', () => {
    const r = svRun((p) => p.i(E.lw(a0, a1, 0)), { regs: [[a1, PAGE_B]], map: (t, r) => poke32(r, PAGE_B, 5), setup: (r) => r.hart.writeCsr(Csr.satp, 0) });
    assert.equal(finished(r), true);
    assert.equal(ureg(r, a0), 5);
  });
  it('34-bit physical addresses: a PPN above 4 GiB reaches RAM there, and tables there are walked', () => {
    const HIGH = 0x3_0000_0000; // 12 GiB
    const r = rig();
    r.bus.addRam({ name: 'high', base: HIGH as GuestPhysAddr, size: 0x4000 });
    const t = new Tables(r, HIGH); // root table in high RAM
    const p = new E.Program(RAM_BASE).i(E.lw(a0, a1, 0), E.sw(a0, a1, 4), E.lw(a2, a3, 0), E.wfi());
    r.ram.set(p.bytes(), 0);
    // Level-0 tables come from low RAM; the root's pointer PTEs live in high RAM.
    t.map(RAM_BASE, RAM_BASE, V | R | X | A);
    t.map(VA, HIGH + 0x2000, RW);
    t.mapMega(0xc000_0000, HIGH - 0x0000_0000, RW); // a megapage whose PPN[1] needs 12 bits
    t.write(HIGH + 0x2000, 0xfeedf00d);
    t.write(HIGH + 0x1000, 0x0badcafe);
    r.hart.regs[a1] = VA;
    r.hart.regs[a3] = 0xc000_1000;
    r.hart.writeCsr(Csr.satp, t.satp());
    assert.equal(r.hart.readCsr(Csr.satp) & 0x3fffff, HIGH / 4096);
    r.hart.priv = 1;
    r.hart.run(100);
    assert.equal(r.hart.pc, RAM_BASE + 16);
    assert.equal(ureg(r, a0), 0xfeedf00d);
    assert.equal(t.read(HIGH + 0x2004), 0xfeedf00d);
    assert.equal(ureg(r, a2), 0x0badcafe);
  });
});

describe('Sv32: page faults, with the faulting virtual address in tval', () => {
  it('instruction page fault (12): unmapped, not executable, a U page from S, an S page from U', () => {
    pageFault('fetch', VA, {}, 'unmapped');
    pageFault('fetch', VA, { map: (t) => t.map(VA, PAGE_A, V | R | W | A | D) }, 'RW only');
    pageFault('fetch', VA, { map: (t) => t.map(VA, PAGE_A, RWX | U), mstatus: SUM }, 'U page from S, even with SUM');
    pageFault('fetch', VA, { priv: 0, map: (t) => t.map(VA, PAGE_A, RWX) }, 'S page from U');
  });
  it('load page fault (13): invalid, X-only, a U page from S without SUM, an S page from U', () => {
    pageFault('load', VA, { map: (t) => t.map(VA, PAGE_A, RW & ~V) }, 'V = 0');
    pageFault('load', VA, { map: (t) => t.map(VA, PAGE_A, XO) }, 'X only');
    pageFault('load', VA, { map: (t) => t.map(VA, PAGE_A, RW | U) }, 'U page from S');
    pageFault('load', VA, { priv: 0, map: (t) => t.map(VA, PAGE_A, RW) }, 'S page from U');
    pageFault('load', VA + 0x0040_0000, {}, 'no level-0 table (root PTE invalid)');
  });
  it('store page fault (15): read-only, invalid, a U page from S without SUM, an S page from U', () => {
    pageFault('store', VA, { map: (t) => t.map(VA, PAGE_A, RO) }, 'read-only');
    pageFault('store', VA, { map: (t) => t.map(VA, PAGE_A, XO) }, 'X only');
    pageFault('store', VA, { map: (t) => t.map(VA, PAGE_A, 0) }, 'invalid');
    pageFault('store', VA, { map: (t) => t.map(VA, PAGE_A, RW | U) }, 'U page from S');
    pageFault('store', VA, { priv: 0, map: (t) => t.map(VA, PAGE_A, RW) }, 'S page from U');
  });
  it('atomics: LR faults as a load (13); SC and AMOs as stores (15), also when only W is missing', () => {
    const ro = (t: Tables) => t.map(VA, PAGE_A, RO);
    let r = svRun((p) => p.i(E.lrW(a0, a1)), { regs: [[a1, VA]] });
    expectTrap(r, 13, VA, RAM_BASE, 'LR unmapped');
    r = svRun((p) => p.i(E.amoW('add', a0, a2, a1)), { regs: [[a1, VA]], map: ro });
    expectTrap(r, 15, VA, RAM_BASE, 'AMO on a read-only page');
    r = svRun((p) => p.i(E.scW(a0, a2, a1)), { regs: [[a1, VA]], map: ro });
    expectTrap(r, 15, VA, RAM_BASE, 'SC on a read-only page');
    r = svRun((p) => p.i(E.lrW(a0, a1), E.amoW('add', a3, a2, a1), E.scW(a4, a2, a1)), {
      regs: [[a1, VA + 8], [a2, 5]],
      map: (t, r) => {
        t.map(VA, PAGE_A, RW);
        poke32(r, PAGE_A + 8, 10);
      },
    });
    assert.equal(finished(r), true);
    assert.equal(ureg(r, a0), 10);
    assert.equal(ureg(r, a3), 10);
    assert.equal(ureg(r, a4), 1, 'the AMO to the reserved word killed the reservation');
    assert.equal(peek32(r, PAGE_A + 8), 15);
  });
  it('reserved encodings: W without R at either level; a pointer at level 0; a pointer with A, D or U set', () => {
    pageFault('load', VA, { map: (t) => t.map(VA, PAGE_A, V | W | A | D) }, 'leaf W without R');
    pageFault('store', VA, { map: (t) => t.map(VA, PAGE_A, V | W | X | A | D) }, 'leaf W+X without R');
    pageFault('load', VA, { map: (t) => t.mapMega(VA, PAGE_A, V | W) }, 'root W without R');
    pageFault('load', VA, { map: (t) => t.map(VA, PAGE_A, V) }, 'a pointer where a leaf must be');
    for (const bit of [A, D, U]) {
      pageFault('load', VA, { map: (t) => { t.map(VA, PAGE_A, RW); t.write(t.rootSlot(VA), t.read(t.rootSlot(VA)) | bit); } }, `pointer with bit ${bit}`);
    }
  });
  it('RSW and G on a pointer are not reserved: the walk goes on', () => {
    const r = access('load', VA, { map: (t, r) => { t.map(VA, PAGE_A, RW); t.write(t.rootSlot(VA), t.read(t.rootSlot(VA)) | 0x300 | 32); poke32(r, PAGE_A, 6); } });
    assert.equal(finished(r), true);
    assert.equal(ureg(r, a0), 6);
  });
  it('megapages map 4 MiB with PPN[0] = 0; a misaligned one is a page fault for every access kind', () => {
    const MEGA = 0xc000_0000;
    const r = svRun((p) => p.i(E.lw(a0, a1, 0), E.sw(a0, a1, 4)), {
      regs: [[a1, MEGA + 0x8000]], // physical RAM_BASE + 0x8000 = PAGE_A
      map: (t, r) => {
        t.mapMega(MEGA, RAM_BASE, RW);
        poke32(r, PAGE_A, 0x31415926);
      },
    });
    assert.equal(finished(r), true);
    assert.equal(ureg(r, a0), 0x31415926);
    assert.equal(peek32(r, PAGE_A + 4), 0x31415926);
    for (const kind of ['load', 'store', 'fetch'] as const) {
      pageFault(kind, MEGA + 0x8000, { map: (t) => t.mapMega(MEGA, RAM_BASE + 0x1000, RWX) }, 'misaligned megapage');
    }
  });
  it('faults delegated to S (medeleg 12, 13, 15) report scause, stval and sepc', () => {
    const deleg = (1 << 12) | (1 << 13) | (1 << 15);
    for (const kind of ['load', 'store', 'fetch'] as const) {
      const r = access(kind, VA + 0x124, { medeleg: deleg });
      expectTrap(r, CAUSE[kind], VA + 0x124, kind === 'fetch' ? VA + 0x124 : RAM_BASE, `${kind} to S`, 'S');
    }
  });
  it('a 32-bit instruction spanning into an unmapped page: tval is the start of that page, epc the instruction', () => {
    const NEXT = RAM_BASE + 0x1000;
    const r = svRun((p) => {
      p.li(t0, NEXT - 2).i(E.jalr(0, t0, 0));
    }, { setup: (r) => { r.ram[NEXT - 2 - RAM_BASE] = 0x13; r.ram[NEXT - 1 - RAM_BASE] = 0x05; } });
    expectTrap(r, 12, NEXT, NEXT - 2, 'spanning fetch');
  });
  it('a misaligned load or store spanning into an unmapped page: tval is the start of that page; nothing is written', () => {
    const map = (t: Tables) => t.map(VA, PAGE_A, RW);
    let r = svRun((p) => p.i(E.lw(a0, a1, 0)), { regs: [[a1, VA + 0xffe]], map });
    expectTrap(r, 13, VA + 0x1000, RAM_BASE, 'load');
    r = svRun((p) => p.i(E.sw(a2, a1, 0)), { regs: [[a1, VA + 0xffd], [a2, -1]], map });
    expectTrap(r, 15, VA + 0x1000, RAM_BASE, 'store');
    assert.equal(peek32(r, PAGE_A + 0xffc), 0, 'no byte of the first page was written');
    r = svRun((p) => p.i(E.lh(a0, a1, 0)), { regs: [[a1, VA - 1]], map });
    expectTrap(r, 13, VA - 1, RAM_BASE, 'the first page faults first');
  });
});

describe('Sv32: SUM and MXR (spec 3.1.6.3)', () => {
  it('SUM lets S load and store U pages; without it they fault; U is unaffected', () => {
    const prog = (p: E.Program) => p.i(E.lw(a0, a1, 0), E.sw(a0, a1, 4));
    const map = (t: Tables, r: Rig) => {
      t.map(VA, PAGE_A, RW | U);
      poke32(r, PAGE_A, 3);
    };
    const r = svRun(prog, { regs: [[a1, VA]], map, mstatus: SUM });
    assert.equal(finished(r), true);
    assert.equal(peek32(r, PAGE_A + 4), 3);
    pageFault('load', VA, { map, mstatus: 0 }, 'SUM = 0');
    pageFault('load', VA, { priv: 0, map: (t) => t.map(VA, PAGE_A, RW), mstatus: SUM }, 'U still cannot reach S pages');
  });
  it('MXR makes X-only pages readable by loads, not writable', () => {
    const map = (t: Tables, r: Rig) => {
      t.map(VA, PAGE_A, XO);
      poke32(r, PAGE_A, 0x1234);
    };
    pageFault('load', VA, { map }, 'MXR = 0');
    const r = access('load', VA, { map, mstatus: MXR });
    assert.equal(finished(r), true);
    assert.equal(ureg(r, a0), 0x1234);
    pageFault('store', VA, { map, mstatus: MXR }, 'MXR does not grant stores');
    const r2 = access('load', VA, { priv: 0, map: (t, r) => { t.map(VA, PAGE_A, XO | U); poke32(r, PAGE_A, 8); }, mstatus: MXR });
    assert.equal(ureg(r2, a0), 8, 'in U-mode too');
  });
});

describe('Sv32: A and D (spec 4.3.1, 4.3.2 step 7)', () => {
  it('a fetch or load sets A; a store sets A and D; a faulting access changes nothing', () => {
    let slot = 0;
    let r = access('load', VA, { map: (t) => (slot = t.map(VA, PAGE_A, V | R | W)) });
    assert.equal(finished(r), true);
    assert.equal(r.t.read(slot), pte(PAGE_A, V | R | W | A));
    r = access('store', VA, { map: (t) => (slot = t.map(VA, PAGE_A, V | R | W)) });
    assert.equal(r.t.read(slot), pte(PAGE_A, V | R | W | A | D));
    r = access('store', VA, { map: (t) => (slot = t.map(VA, PAGE_A, V | R)) });
    assert.equal(trapped(r), true);
    assert.equal(r.t.read(slot), pte(PAGE_A, V | R), 'no A on a denied store');
    r = access('fetch', VA, {
      map: (t, r) => {
        slot = t.map(VA, PAGE_C, V | X);
        r.ram.set(new E.Program(PAGE_C).i(E.jalr(0, ra, 0)).bytes(), PAGE_C - RAM_BASE);
      },
    });
    assert.equal(finished(r), true);
    assert.equal(r.t.read(slot), pte(PAGE_C, V | X | A));
    // A megapage's PTE gets its bits too.
    r = access('store', 0xc000_8000, { map: (t) => (slot = t.mapMega(0xc000_0000, RAM_BASE, V | R | W)) });
    assert.equal(finished(r), true);
    assert.equal(r.t.read(slot), pte(RAM_BASE, V | R | W | A | D));
  });
  it('a PTE is written only when a bit changes: tables in ROM work when A/D are set, and an update there is an access fault', () => {
    // A level-0 table in ROM: entry 0 maps VA -> PAGE_A with A and D, entry 1 maps VA + 4 KiB without A.
    const rom = new Uint8Array(0x1000);
    const put = (i: number, v: number) => new DataView(rom.buffer).setUint32(i * 4, v, true);
    put(0, pte(PAGE_A, RW));
    put(1, pte(PAGE_A, V | R | W));
    const mk = (va: number, kind: 'load' | 'store') =>
      svRun((p) => p.i(kind === 'load' ? E.lw(a0, a1, 0) : E.sw(a1, a1, 0)), {
        regs: [[a1, va]],
        map: (t) => t.write(t.rootSlot(VA), pte(ROM_BASE, V)),
        setup: (r) => r.bus.addRom({ name: 'pt-rom', base: ROM_BASE as GuestPhysAddr, bytes: rom }),
      });
    let r = mk(VA, 'store');
    assert.equal(finished(r), true, 'A and D already set: nothing to write');
    r = mk(VA + 0x1000, 'load');
    expectTrap(r, 5, VA + 0x1000, RAM_BASE, 'A must be set in ROM: load access fault');
    r = mk(VA + 0x1000, 'store');
    expectTrap(r, 7, VA + 0x1000, RAM_BASE, 'store access fault');
  });
});

describe('Sv32: tables and pages outside RAM (spec 4.3.2 step 2: access faults)', () => {
  // Loads and stores run in M with MPRV (MPP = S), so that the code itself is fetched untranslated.
  const viaMprv = { priv: 3 as const, mstatus: Mstatus.MPRV | (1 << 11) };
  it('a root table on a device is an access fault of the access type, and the device is never read', () => {
    for (const kind of ['load', 'store'] as const) {
      const r = access(kind, VA, { ...viaMprv, setup: (r) => r.hart.writeCsr(Csr.satp, 0x80000000 | (DEV_BASE >>> 12)) });
      expectTrap(r, ACCESS_CAUSE[kind], VA, RAM_BASE, `${kind}: root on a device`);
      assert.equal(r.dev.log.length, 0);
    }
    // In S-mode the first fetch already walks.
    const r = access('fetch', VA, { setup: (r) => r.hart.writeCsr(Csr.satp, 0x80000000 | (DEV_BASE >>> 12)) });
    expectTrap(r, 1, RAM_BASE, RAM_BASE, 'fetch: root on a device');
    assert.equal(r.dev.log.length, 0);
  });
  it('a root table on nothing, and a pointer to nothing, are access faults', () => {
    let r = access('load', VA, { ...viaMprv, setup: (r) => r.hart.writeCsr(Csr.satp, 0x80000000 | (UNMAPPED >>> 12)) });
    expectTrap(r, 5, VA, RAM_BASE, 'root on nothing');
    r = access('store', VA, { map: (t) => t.write(t.rootSlot(VA), pte(UNMAPPED, V)) });
    expectTrap(r, 7, VA, RAM_BASE, 'level 0 on nothing');
    // Fetch faults leave the code page walkable: the code page is in RAM.
    r = access('fetch', VA, { map: (t) => t.write(t.rootSlot(VA), pte(DEV_BASE, V)) });
    expectTrap(r, 1, VA, VA, 'level 0 on a device');
  });
  it('a leaf naming unmapped physical memory: the access itself faults (5/7/1), tval the virtual address', () => {
    const map = (t: Tables) => t.map(VA, UNMAPPED, RWX);
    let r = access('load', VA + 4, { map });
    expectTrap(r, 5, VA + 4, RAM_BASE, 'load');
    r = access('store', VA + 4, { map });
    expectTrap(r, 7, VA + 4, RAM_BASE, 'store');
    r = access('fetch', VA + 4, { map });
    expectTrap(r, 1, VA + 4, VA + 4, 'fetch');
  });
  it('a device mapped by a leaf is reached with the physical address', () => {
    const r = svRun((p) => p.i(E.sw(a2, a1, 8), E.lw(a0, a1, 8)), { regs: [[a1, VA], [a2, 0x77]], map: (t) => t.map(VA, DEV_BASE, RW) });
    assert.equal(finished(r), true);
    assert.equal(ureg(r, a0), 0x77);
    assert.deepEqual(r.dev.log.map((l) => [l.op, l.offset]), [['write', 8], ['read', 8]]);
  });
});

describe('Sv32: translateAddress (debugger view)', () => {
  it('answers as the walk would, with no A/D update and no trap', () => {
    const r = rig();
    const t = new Tables(r);
    const slot = t.map(VA, PAGE_A, V | R | W);
    t.map(VA + 0x1000, PAGE_B, RO | U);
    r.hart.writeCsr(Csr.satp, t.satp());
    assert.equal(r.hart.translateAddress((VA + 0x10) as GuestVirtAddr, 'load'), VA + 0x10, 'M-mode: untranslated');
    r.hart.priv = 1;
    assert.equal(r.hart.translateAddress((VA + 0x10) as GuestVirtAddr, 'store'), PAGE_A + 0x10);
    assert.equal(r.hart.translateAddress((VA + 0x10) as GuestVirtAddr, 'fetch'), null);
    assert.equal(r.hart.translateAddress((VA + 0x1010) as GuestVirtAddr, 'load'), null, 'U page without SUM');
    r.hart.writeCsr(Csr.sstatus, SUM);
    assert.equal(r.hart.translateAddress((VA + 0x1010) as GuestVirtAddr, 'load'), PAGE_B + 0x10);
    assert.equal(t.read(slot), pte(PAGE_A, V | R | W), 'A/D untouched');
    assert.equal(r.hart.trapCount, 0);
    assert.throws(() => r.hart.translateAddress(-1 as GuestVirtAddr, 'load'));
  });
});
