/**
 * The software TLB and SFENCE.VMA (privileged spec 1.12, 4.2.1, 4.3.2):
 * a changed PTE may go unseen until a fence (the spec allows stale
 * entries) and the fence is sufficient (by address, all, by ASID); satp
 * writes flush; context changes (mode, SUM, MXR) never reuse an entry made
 * for another context; denials are never cached; the D bit is set on the
 * first store to a page first loaded; code and data spanning two pages;
 * LR/SC on physical addresses; more pages than TLB entries.
 */
import { describe, it, assert } from '../harness/index.js';
import * as E from './rv-encode.js';
import { Csr, DEV_BASE, HALT, RAM_BASE, peek32, poke32, ureg, trapped, type Rig } from './cpu-fixture.js';
import { A, D, PAGE_A, PAGE_B, PAGE_C, PAGE_D, PAGE_E, R, RO, RW, RWX, Tables, U, V, W, X, XO, finished, pte, svRun, type SvOptions, type SvRig } from './cpu-sv32-fixture.js';
import type { GuestVirtAddr } from '../../src/addr/index.js';
import { Mstatus } from '../../src/cpu/index.js';

const { a0, a1, a2, a3, a4, a5, ra, s0, s1, t0 } = E;
const VA = 0x4000_0000;

/** Fills physical page `pa` with its own tag so a load tells which page was reached. */
function tagPages(r: Rig, ...pages: number[]): void {
  for (const p of pages) for (let i = 0; i < 4096; i += 4) poke32(r, p + i, p + i);
}

/** Resumes S-mode at `pc` after the host has parked the hart in the M-mode handler. */
function resumeS(r: SvRig, pc: number): void {
  r.hart.pc = pc;
  r.hart.priv = 1;
  r.hart.run(10_000);
}

/**
 * Runs `lw a0, 0(a1)` (a1 = VA) and `ecall` in S-mode: the M-mode handler
 * parks, the host applies `change` to the tables (no fence), and S-mode
 * resumes with the instructions `then`.
 */
function twoPhase(then: number[], opts: SvOptions & { change: (r: SvRig) => void }): SvRig {
  const r = svRun((p) => p.i(E.lw(a0, a1, 0), E.ecall(), ...then), { ...opts, regs: [[a1, VA], ...(opts.regs ?? [])] });
  assert.equal(r.hart.readCsr(Csr.mcause), 9, 'stopped at the ecall');
  opts.change(r);
  resumeS(r, RAM_BASE + 8);
  return r;
}

describe('Sv32 TLB: SFENCE.VMA is required and sufficient', () => {
  it('a remapped page keeps its old translation until SFENCE.VMA; then the new one is used', () => {
    const variants: [string, number[], [number, number][]][] = [
      ['all', [E.sfenceVma(0, 0)], []],
      ['by address', [E.sfenceVma(a1, 0)], []],
      ['by address and the current ASID', [E.sfenceVma(a1, a3)], [[a3, 5]]],
      ['by the current ASID', [E.sfenceVma(0, a3)], [[a3, 5]]],
    ];
    for (const [what, fence, regs] of variants) {
      const r = twoPhase([E.lw(a2, a1, 0), ...fence, E.lw(a4, a1, 0)], {
        asid: 5,
        regs,
        map: (t, r) => {
          t.map(VA, PAGE_A, RW);
          tagPages(r, PAGE_A, PAGE_B);
        },
        change: (r) => r.t.map(VA, PAGE_B, RW),
      });
      assert.equal(finished(r), true, what);
      assert.equal(ureg(r, a0), PAGE_A, `${what}: first load`);
      assert.equal(ureg(r, a2), PAGE_A, `${what}: stale before the fence`);
      assert.equal(ureg(r, a4), PAGE_B, `${what}: new after the fence`);
    }
  });
  it('an unmapped page stays usable until the fence, then faults', () => {
    const r = twoPhase([E.sw(a1, a1, 4), E.sfenceVma(a1, 0), E.lw(a4, a1, 0)], {
      map: (t) => t.map(VA, PAGE_A, RW),
      change: (r) => r.t.map(VA, PAGE_A, 0),
    });
    assert.equal(peek32(r, PAGE_A + 4), VA, 'the store used the stale entry');
    assert.equal(trapped(r), true);
    assert.equal(r.hart.readCsr(Csr.mcause), 13);
    assert.equal(r.hart.readCsr(Csr.mtval), VA);
  });
  it('a fence for another page or another ASID keeps the entry', () => {
    for (const fence of [E.sfenceVma(a3, 0), E.sfenceVma(a1, a4), E.sfenceVma(0, a4)]) {
      const r = twoPhase([fence, E.lw(a2, a1, 0), E.sfenceVma(0, 0), E.lw(a5, a1, 0)], {
        regs: [[a3, VA + 0x1000], [a4, 7]],
        map: (t, r) => {
          t.map(VA, PAGE_A, RW);
          tagPages(r, PAGE_A, PAGE_B);
        },
        change: (r) => r.t.map(VA, PAGE_B, RW),
      });
      assert.equal(ureg(r, a2), PAGE_A, 'stale');
      assert.equal(ureg(r, a5), PAGE_B, 'a full fence is still sufficient');
    }
  });
  it('satp writes flush when the value changes (ASID or root), not when it is rewritten unchanged', () => {
    const run = (newSatp: (old: number) => number) =>
      twoPhase([E.csrw(Csr.satp, a3), E.lw(a2, a1, 0)], {
        map: (t, r) => {
          t.map(VA, PAGE_A, RW);
          tagPages(r, PAGE_A, PAGE_B);
        },
        change: (r) => {
          r.t.map(VA, PAGE_B, RW);
          r.hart.regs[a3] = newSatp(r.hart.readCsr(Csr.satp));
        },
      });
    assert.equal(ureg(run((s) => s), a2), PAGE_A, 'same value: stale');
    assert.equal(ureg(run((s) => (s | (3 << 22)) >>> 0), a2), PAGE_B, 'new ASID: flushed');
  });
  it('fetch: remapped code keeps running from the old page until the fence', () => {
    // VA + 0x1000 holds `li a0, N; ret` for N = 1 (PAGE_C) or 2 (PAGE_D).
    const code = (pa: number, n: number) => new E.Program(pa).i(E.addi(a0, 0, n), E.jalr(0, ra, 0)).bytes();
    const CODE = VA + 0x1000;
    const r = svRun(
      (p) => p.i(E.jalr(ra, a1, 0), E.addi(s0, a0, 0), E.ecall(), E.jalr(ra, a1, 0), E.addi(s1, a0, 0), E.sfenceVma(0, 0), E.jalr(ra, a1, 0)),
      {
        regs: [[a1, CODE]],
        map: (t, r) => {
          t.map(CODE, PAGE_C, V | R | X | A);
          r.ram.set(code(PAGE_C, 1), PAGE_C - RAM_BASE);
          r.ram.set(code(PAGE_D, 2), PAGE_D - RAM_BASE);
        },
      },
    );
    assert.equal(r.hart.readCsr(Csr.mcause), 9);
    r.t.map(CODE, PAGE_D, V | R | X | A);
    resumeS(r, RAM_BASE + 12);
    assert.equal(finished(r), true);
    assert.equal(ureg(r, s0), 1);
    assert.equal(ureg(r, s1), 1, 'stale code before the fence');
    assert.equal(ureg(r, a0), 2, 'new code after it');
  });
  it('a megapage is dropped by a fence naming any address inside it', () => {
    const MEGA = 0xc000_0000;
    // Load through the megapage, park, invalidate it, load again (stale), fence another 4 KiB page of it, load (fault).
    const r2 = svRun((p) => p.i(E.lw(a2, a3, 0), E.ecall(), E.lw(a2, a3, 0), E.sfenceVma(a4, 0), E.lw(a5, a3, 0)), {
      regs: [[a3, MEGA + 0x8000], [a4, MEGA + 0x3f_f000]],
      map: (t, r) => {
        t.mapMega(MEGA, RAM_BASE, RW);
        tagPages(r, PAGE_A);
      },
    });
    r2.t.mapMega(MEGA, RAM_BASE, 0);
    resumeS(r2, RAM_BASE + 8);
    assert.equal(ureg(r2, a2), PAGE_A, 'stale before the fence');
    assert.equal(trapped(r2), true, 'gone after it');
    assert.equal(r2.hart.readCsr(Csr.mcause), 13);
    assert.equal(r2.hart.readCsr(Csr.mepc), RAM_BASE + 16);
  });
  it('a megapage cached again after a fence is dropped by the next fence inside it, and fences elsewhere drop their own page', () => {
    const MEGA = 0xc000_0000;
    // Megapage at MEGA, a 4 KiB page at VA (another region). Fence inside the megapage, reload it (cached again),
    // park; the host invalidates both mappings; after the parking: both stale, fence VA and inside the megapage, both gone.
    const r = svRun((p) => p.i(
      E.lw(a2, a3, 0), E.lw(s0, a1, 0), E.sfenceVma(a4, 0), E.lw(a2, a3, 0), E.ecall(),
      E.lw(a2, a3, 0), E.lw(s1, a1, 0), E.sfenceVma(a1, 0), E.lw(t0, a1, 0),
    ), {
      regs: [[a1, VA], [a3, MEGA + 0x8000], [a4, MEGA + 0x3f_f000]],
      map: (t, r) => {
        t.mapMega(MEGA, RAM_BASE, RW);
        t.map(VA, PAGE_B, RW);
        tagPages(r, PAGE_A, PAGE_B);
      },
    });
    assert.equal(r.hart.readCsr(Csr.mcause), 9, 'stopped at the ecall');
    r.t.mapMega(MEGA, RAM_BASE, 0);
    r.t.map(VA, PAGE_B, 0);
    resumeS(r, RAM_BASE + 20);
    assert.equal(ureg(r, a2), PAGE_A, 'the megapage, stale before its fence');
    assert.equal(ureg(r, s1), PAGE_B, 'the 4 KiB page, stale before its fence');
    assert.equal(trapped(r), true, 'the 4 KiB page is gone after its own fence');
    assert.equal(r.hart.readCsr(Csr.mepc), RAM_BASE + 32);
    // Now the megapage: fence inside it (not the address loaded), then load.
    const r2 = svRun((p) => p.i(E.lw(a2, a3, 0), E.sfenceVma(a4, 0), E.lw(a2, a3, 0), E.ecall(), E.lw(a2, a3, 0), E.sfenceVma(a4, 0), E.lw(a5, a3, 0)), {
      regs: [[a3, MEGA + 0x8000], [a4, MEGA + 0x3f_f000]],
      map: (t, r) => {
        t.mapMega(MEGA, RAM_BASE, RW);
        tagPages(r, PAGE_A);
      },
    });
    r2.t.mapMega(MEGA, RAM_BASE, 0);
    resumeS(r2, RAM_BASE + 16);
    assert.equal(ureg(r2, a2), PAGE_A, 'cached again after the first fence: stale before the second');
    assert.equal(trapped(r2), true, 'gone after the second fence');
    assert.equal(r2.hart.readCsr(Csr.mepc), RAM_BASE + 24);
  });
});

describe('Sv32 TLB: the host and the trap path', () => {
  it('flushTranslations (a monitor\'s remote fence) drops entries like SFENCE.VMA, by page, ASID or all', () => {
    const cases: [string, (r: SvRig) => void, number][] = [
      ['all', (r) => r.hart.flushTranslations(), PAGE_B],
      ['the page', (r) => r.hart.flushTranslations(VA as GuestVirtAddr), PAGE_B],
      ['the current ASID', (r) => r.hart.flushTranslations(undefined, 0), PAGE_B],
      ['another ASID: kept', (r) => r.hart.flushTranslations(VA as GuestVirtAddr, 9), PAGE_A],
    ];
    for (const [what, flush, want] of cases) {
      const r = twoPhase([E.lw(a2, a1, 0)], {
        map: (t, r) => {
          t.map(VA, PAGE_A, RW);
          tagPages(r, PAGE_A, PAGE_B);
        },
        change: (r) => {
          r.t.map(VA, PAGE_B, RW);
          flush(r);
        },
      });
      assert.equal(ureg(r, a2), want, what);
    }
    const r = svRun(() => undefined);
    assert.throws(() => r.hart.flushTranslations(-1 as GuestVirtAddr));
    assert.throws(() => r.hart.flushTranslations(undefined, 512));
  });
  it('traps and interrupts from translated S-mode fetch the M handler untranslated', () => {
    // S cannot reach the handler page: if M fetched through the tables it would fault forever.
    const unmapHalt = (t: Tables) => t.map(HALT, HALT, 0);
    let r = svRun((p) => p.i(E.lw(a0, a1, 0)), { regs: [[a1, VA]], map: unmapHalt });
    assert.equal(trapped(r), true);
    assert.equal(r.hart.readCsr(Csr.mcause), 13);
    assert.equal(r.hart.trapCount, 1);
    // A device store (through a leaf) raises MSIP; the interrupt is taken after it, into M.
    r = svRun((p) => p.i(E.sw(a2, a1, 0), E.addi(a3, 0, 1), E.addi(a3, 0, 2)), {
      regs: [[a1, VA], [a2, 1]],
      map: (t, r) => {
        unmapHalt(t);
        t.map(VA, DEV_BASE, RW);
        r.dev.onAccess = (op) => {
          if (op === 'write') r.hart.setInterruptPending(3, true);
        };
        r.hart.writeCsr(Csr.mie, 1 << 3);
      },
    });
    assert.equal(trapped(r), true);
    assert.equal(r.hart.readCsr(Csr.mcause), 0x80000003);
    assert.equal(r.hart.readCsr(Csr.mepc), RAM_BASE + 4);
    assert.equal(ureg(r, a3), 0);
    assert.equal(r.hart.trapCount, 1);
  });
});

describe('Sv32 TLB: what an entry may serve', () => {
  it('a denial is not cached: widening a PTE takes effect without a fence (as on QEMU)', () => {
    // The store fault is delegated: S parks in the handler; the host widens the PTE (no fence) and S retries.
    const r = svRun((p) => p.i(E.lw(a0, a1, 0), E.sw(a1, a1, 0), E.lw(a2, a1, 0)), {
      regs: [[a1, VA]],
      map: (t) => t.map(VA, PAGE_A, RO),
      medeleg: 1 << 15,
    });
    assert.equal(r.hart.readCsr(Csr.scause), 15);
    r.t.map(VA, PAGE_A, RW);
    resumeS(r, RAM_BASE + 4);
    assert.equal(finished(r), true);
    assert.equal(ureg(r, a2), VA);
  });
  it('the D bit: a page first loaded, then stored to, gets D on the store', () => {
    const r = svRun((p) => p.i(E.lw(a0, a1, 0), E.lw(a0, a1, 4), E.ecall(), E.sw(a1, a1, 8)), { regs: [[a1, VA]], map: (t) => t.map(VA, PAGE_A, V | R | W) });
    const slot = r.t.leafSlot(VA);
    assert.equal(r.t.read(slot), pte(PAGE_A, V | R | W | A));
    resumeS(r, RAM_BASE + 12);
    assert.equal(finished(r), true);
    assert.equal(r.t.read(slot), pte(PAGE_A, V | R | W | A | D));
    assert.equal(peek32(r, PAGE_A + 8), VA);
  });
  it('an entry made in S does not serve U', () => {
    const UCODE = VA + 0x2000;
    const r = svRun(
      (p) => {
        p.i(E.lw(a0, a1, 0));
        p.li(t0, UCODE).i(E.csrw(Csr.sepc, t0), E.sret()); // SPP = 0: to U
      },
      {
        regs: [[a1, VA]],
        map: (t, r) => {
          t.map(VA, PAGE_A, RW);
          t.map(UCODE, PAGE_C, V | R | X | A | U);
          r.ram.set(new E.Program(PAGE_C).i(E.lw(a2, a1, 0)).bytes(), PAGE_C - RAM_BASE);
        },
      },
    );
    assert.equal(trapped(r), true);
    assert.equal(r.hart.readCsr(Csr.mcause), 13);
    assert.equal(r.hart.readCsr(Csr.mtval), VA);
    assert.equal(r.hart.readCsr(Csr.mepc), UCODE);
    assert.equal(r.hart.lastTrap?.fromPriv, 0);
  });
  it('entries are per context: SUM, MXR and MPP (through MPRV) changes take effect without a fence', () => {
    // M-mode with MPRV (MPP = S) loads a U page with SUM = 1, clears SUM, loads again: denied, no stale grant.
    const s = svRun((p) => p.i(E.lw(a0, a1, 0), E.csrrc(0, Csr.mstatus, a3), E.lw(a2, a1, 0)), {
      priv: 3,
      regs: [[a1, VA], [a3, Mstatus.SUM]],
      mstatus: Mstatus.MPRV | (1 << 11) | Mstatus.SUM,
      map: (t, r) => {
        t.map(VA, PAGE_A, RW | U);
        poke32(r, PAGE_A, 4);
      },
    });
    assert.equal(ureg(s, a0), 4, 'SUM = 1: allowed');
    assert.equal(trapped(s), true, 'SUM cleared: the cached grant is not used');
    assert.equal(s.hart.readCsr(Csr.mcause), 13);
    const m = svRun((p) => p.i(E.lw(a0, a1, 0), E.csrrc(0, Csr.sstatus, a3), E.lw(a2, a1, 0)), {
      regs: [[a1, VA], [a3, Mstatus.MXR]],
      mstatus: Mstatus.MXR,
      map: (t, r) => {
        t.map(VA, PAGE_A, XO);
        poke32(r, PAGE_A, 5);
      },
    });
    assert.equal(ureg(m, a0), 5, 'MXR = 1: allowed');
    assert.equal(trapped(m), true, 'MXR cleared: denied');
    assert.equal(m.hart.readCsr(Csr.mcause), 13);
    // MPRV with MPP = S then MPP = U: the same VA, two contexts.
    const u = svRun((p) => p.i(E.lw(a0, a1, 0), E.csrrc(0, Csr.mstatus, a3), E.lw(a2, a1, 0)), {
      priv: 3,
      regs: [[a1, VA], [a3, 3 << 11]],
      mstatus: Mstatus.MPRV | (1 << 11),
      map: (t, r) => {
        t.map(VA, PAGE_A, RW);
        poke32(r, PAGE_A, 6);
      },
    });
    assert.equal(ureg(u, a0), 6);
    assert.equal(trapped(u), true, 'MPP = U may not use the S entry');
    assert.equal(u.hart.readCsr(Csr.mcause), 13);
  });
});

describe('Sv32 TLB: pages side by side', () => {
  it('code and data spanning two pages mapped to non-adjacent frames', () => {
    // Virtual VA..VA+0x1fff -> PAGE_D then PAGE_B (not adjacent). A 32-bit `addi a0, a0, 5` straddles them.
    const r = svRun((p) => p.i(E.jalr(ra, a1, 0), E.lw(a2, a3, 0), E.sw(a4, a3, 0), E.lh(a5, a3, 2)), {
      regs: [[a1, VA + 0xffe], [a3, VA + 0xffe], [a4, 0x11223344]],
      map: (t, r) => {
        t.map(VA, PAGE_D, RWX);
        t.map(VA + 0x1000, PAGE_B, RWX);
        const addi = E.addi(a0, 0, 5);
        const ret = E.jalr(0, ra, 0);
        r.ram[PAGE_D + 0xffe - RAM_BASE] = addi & 0xff;
        r.ram[PAGE_D + 0xfff - RAM_BASE] = (addi >>> 8) & 0xff;
        r.ram[PAGE_B - RAM_BASE] = (addi >>> 16) & 0xff;
        r.ram[PAGE_B + 1 - RAM_BASE] = addi >>> 24;
        poke32(r, PAGE_B + 2, ret);
      },
    });
    assert.equal(finished(r), true);
    assert.equal(ureg(r, a0), 5, 'the spanning instruction ran');
    // lw at VA + 0xffe read the addi's halves: low parcel from PAGE_D, high from PAGE_B.
    assert.equal(ureg(r, a2), E.addi(a0, 0, 5) >>> 0);
    assert.equal(r.ram[PAGE_D + 0xffe - RAM_BASE] | (r.ram[PAGE_D + 0xfff - RAM_BASE] << 8), 0x3344);
    assert.equal(r.ram[PAGE_B - RAM_BASE] | (r.ram[PAGE_B + 1 - RAM_BASE] << 8), 0x1122);
    assert.equal(ureg(r, a5), 0x1122, 'lh at VA + 0x1000');
  });
  it('LR/SC reservations are on physical memory: two virtual aliases share one', () => {
    const r = svRun((p) => p.i(E.lrW(a0, a1), E.scW(a2, a4, a3), E.lrW(a0, a1), E.sw(0, a3, 0), E.scW(a5, a4, a1)), {
      regs: [[a1, VA], [a3, VA + 0x1000], [a4, 9]],
      map: (t) => {
        t.map(VA, PAGE_A, RW);
        t.map(VA + 0x1000, PAGE_A, RW);
      },
    });
    assert.equal(finished(r), true);
    assert.equal(ureg(r, a2), 0, 'SC through the alias succeeds');
    assert.equal(ureg(r, a5), 1, 'a store through the alias kills the reservation');
    assert.equal(peek32(r, PAGE_A), 0);
  });
  it('more pages than TLB entries (slot conflicts, 512 pages) all translate to the right frames', () => {
    // 512 virtual pages at VA + k * 4 KiB map round-robin onto 5 frames; the loop sums one word of each.
    const frames = [PAGE_A, PAGE_B, PAGE_C, PAGE_D, PAGE_E];
    const r = svRun(
      (p) => {
        p.li(t0, 512).i(E.addi(a0, 0, 0));
        p.label('loop').i(E.lw(a2, a1, 0), E.add(a0, a0, a2), E.sw(a0, a1, 4));
        p.li(a3, 4096).i(E.add(a1, a1, a3), E.addi(t0, t0, -1));
        p.at(4, (pc, L) => E.bne(t0, 0, L('loop') - pc));
      },
      {
        regs: [[a1, VA]],
        budget: 100_000,
        map: (t, r) => {
          for (let k = 0; k < 512; k++) t.map(VA + k * 4096, frames[k % 5], RW);
          frames.forEach((f, i) => poke32(r, f, i + 1));
        },
      },
    );
    assert.equal(finished(r), true);
    let want = 0;
    for (let k = 0; k < 512; k++) want += (k % 5) + 1;
    assert.equal(ureg(r, a0), want);
  });
  it('a change to the address space map flushes the TLB (host offsets would be stale)', () => {
    const r = svRun((p) => p.i(E.lw(a0, a1, 0), E.ecall(), E.lw(a2, a1, 0)), {
      regs: [[a1, VA]],
      map: (t, r) => {
        t.map(VA, PAGE_A, RW);
        poke32(r, PAGE_A, 1);
      },
    });
    // Replace RAM with a new backing store holding other bytes: the cached window offsets must not be used.
    const fresh = new Uint8Array(r.ram.length);
    fresh.set(r.ram);
    fresh[PAGE_A - RAM_BASE] = 2;
    r.bus.remove('ram');
    r.bus.addRam({ name: 'ram', base: RAM_BASE as never, size: fresh.length, bytes: fresh });
    resumeS(r, RAM_BASE + 8);
    assert.equal(ureg(r, a0), 1);
    assert.equal(ureg(r, a2), 2);
  });
});
