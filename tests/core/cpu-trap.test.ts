/**
 * Synchronous exceptions and trap handling (privileged spec 1.12, 3.1.6-
 * 3.1.16, 3.3, 4.1): every cause the hart raises with its mcause, mtval
 * and mepc; delegation to S-mode; MRET/SRET; TSR, TW, TVM and WFI in
 * U-mode; trap vectors; exceptions do not retire.
 */
import { describe, it, assert } from '../harness/index.js';
import * as E from './rv-encode.js';
import {
  Csr,
  DEV_BASE,
  ExitReason,
  HALT,
  RAM_BASE,
  RAM_SIZE,
  ROM_BASE,
  UNMAPPED,
  place,
  rig,
  runProgram,
  trapped,
  ureg,
  type Rig,
} from './cpu-fixture.js';
import { ExceptionCause, Mstatus } from '../../src/cpu/index.js';
import { accessRules } from '../../src/device/index.js';
import { RegDevice } from './cpu-fixture.js';

const { a0, a1, a2, t0 } = E;

function expectTrap(r: Rig, cause: number, tval: number, epc: number, what = ''): void {
  assert.equal(trapped(r), true, `${what} trapped`);
  assert.equal(r.hart.readCsr(Csr.mcause), cause, `${what} mcause`);
  assert.equal(r.hart.readCsr(Csr.mtval), tval >>> 0, `${what} mtval`);
  assert.equal(r.hart.readCsr(Csr.mepc), epc >>> 0, `${what} mepc`);
}

describe('exception causes, mtval and mepc', () => {
  it('instruction address misaligned (0) cannot happen with C: targets only lose bit 0', () => {
    const r = runProgram((p) => {
      p.i(E.jalr(0, a1, 1)); // a1 + 1 is odd: bit 0 is cleared, the target is 2-aligned
      p.c(E.cNop());
      p.c(E.cLi(a0, 5));
    }, { regs: [[a1, RAM_BASE + 6]] });
    assert.equal(trapped(r), false);
    assert.equal(r.hart.regs[a0], 5);
    assert.equal(ExceptionCause.InstructionAddressMisaligned, 0);
  });
  it('instruction access fault (1): nothing mapped, a device, a 32-bit instruction running off RAM', () => {
    let r = runProgram((p) => p.i(E.jalr(0, a1, 0)), { regs: [[a1, UNMAPPED]] });
    expectTrap(r, 1, UNMAPPED, UNMAPPED, 'unmapped');
    r = runProgram((p) => p.i(E.jalr(0, a1, 0)), { regs: [[a1, DEV_BASE + 8]] });
    expectTrap(r, 1, DEV_BASE + 8, DEV_BASE + 8, 'device');
    assert.equal(r.dev.log.length, 0, 'a fetch never reaches a device');
    // A 32-bit instruction whose upper parcel lies past the end of RAM: mtval names that parcel.
    const end = RAM_BASE + RAM_SIZE;
    r = runProgram((p) => p.i(E.jalr(0, a1, 0)), { regs: [[a1, end - 2]], setup: (r) => r.ram.set([0x13, 0x05], RAM_SIZE - 2) });
    expectTrap(r, 1, end, end - 2, 'straddling');
  });
  it('code runs from ROM (through the address space)', () => {
    const rom = new E.Program(ROM_BASE).i(E.addi(a0, 0, 7)).c(E.cAddi(a0, 1)).i(E.lui(t0, 0x80000)).c(E.cJr(t0)).bytes();
    const r = rig({ rom });
    place(r, new E.Program(RAM_BASE).i(E.wfi()));
    r.hart.pc = ROM_BASE;
    assert.equal(r.hart.run(100), ExitReason.Wfi);
    assert.equal(r.hart.regs[a0], 8);
    assert.equal(r.hart.pc, RAM_BASE + 4);
  });
  it('illegal instruction (2): mtval holds the instruction bits', () => {
    const words = [
      0x00000000, // all zeros (a 16-bit parcel 0)
      0xffffffff, // a >32-bit encoding prefix
      0x0000000b, // custom-0
      0x00000007, // LOAD-FP (no F)
      0x0000003b, // OP-32 (RV64)
      E.rType(0x33, a0, 0, a1, a2, 0x02), // OP with an unknown funct7
      E.rType(0x33, a0, 1, a1, a2, 0x20), // SLL with funct7 0x20
      E.slli(a0, a1, 3) | (1 << 25), // SLLI with imm[5] set (shamt 35 on RV32)
      E.srli(a0, a1, 3) | (1 << 26), // SRLI with another funct7
      E.iType(0x67, a0, 1, a1, 0), // JALR funct3 1
      E.bType(2, a0, a1, 8), // branch funct3 2
      E.bType(3, a0, a1, 8),
      E.iType(0x03, a0, 3, a1, 0), // LD
      E.iType(0x03, a0, 6, a1, 0), // LWU
      E.iType(0x03, a0, 7, a1, 0),
      E.sType(0x23, 3, a1, a0, 0), // SD
      E.sType(0x23, 4, a1, a0, 0),
      0x00200073, // URET (no N)
      0x000000f3, // ECALL with rd != 0
      0x00108073, // EBREAK with rs1 != 0
      E.iType(0x73, a0, 4, a1, 0), // SYSTEM funct3 4
      0x7b200073, // DRET (no debug mode)
    ];
    for (const w of words) {
      const r = runProgram((p) => p.c(E.cNop()).i(w), { regs: [[a1, RAM_BASE]] });
      expectTrap(r, 2, w, RAM_BASE + 2, w.toString(16));
    }
  });
  it('breakpoint (3): EBREAK, mtval 0 (as QEMU 7.2), mepc at the EBREAK', () => {
    const r = runProgram((p) => p.i(E.addi(0, 0, 0), E.ebreak()));
    expectTrap(r, 3, 0, RAM_BASE + 4);
  });
  it('load address misaligned (4): a misaligned load from a device that refuses it', () => {
    for (const inst of [E.lw(a0, a1, 1), E.lw(a0, a1, 2), E.lh(a0, a1, 1), E.lhu(a0, a1, 3)]) {
      const r = runProgram((p) => p.i(inst), { regs: [[a1, DEV_BASE + 8], [a0, 0x55]] });
      expectTrap(r, 4, DEV_BASE + 8 + ((inst >>> 20) & 0xfff), RAM_BASE, inst.toString(16));
      assert.equal(r.hart.regs[a0], 0x55, 'rd unchanged');
      assert.equal(r.dev.log.length, 0);
    }
    const ok = runProgram((p) => p.i(E.lbu(a0, a1, 1)), { regs: [[a1, DEV_BASE]] });
    assert.equal(trapped(ok), false);
  });
  it('load access fault (5): nothing mapped, a device that refuses, a width it refuses', () => {
    let r = runProgram((p) => p.i(E.lw(a0, a1, 0)), { regs: [[a1, UNMAPPED + 4]] });
    expectTrap(r, 5, UNMAPPED + 4, RAM_BASE);
    r = runProgram((p) => p.i(E.lb(a0, a1, 0x10)), { regs: [[a1, DEV_BASE]], setup: (r) => r.dev.failAt.add(0x10) });
    expectTrap(r, 5, DEV_BASE + 0x10, RAM_BASE, 'device error');
    r = runProgram((p) => p.i(E.lbu(a0, a1, 0)), {
      regs: [[a1, 0x3000_0000]],
      setup: (r) => r.bus.addDevice(new RegDevice('wide', 0x3000_0000, accessRules({ minWidth: 4, maxWidth: 4 }))),
    });
    expectTrap(r, 5, 0x3000_0000, RAM_BASE, 'width refused');
  });
  it('store address misaligned (6): a misaligned store to a device', () => {
    const r = runProgram((p) => p.i(E.addi(0, 0, 0), E.sw(a0, a1, 2)), { regs: [[a1, DEV_BASE]] });
    expectTrap(r, 6, DEV_BASE + 2, RAM_BASE + 4);
    assert.equal(r.dev.log.length, 0);
  });
  it('store access fault (7): nothing mapped, ROM, a device that refuses', () => {
    let r: Rig = runProgram((p) => p.i(E.sb(a0, a1, 0)), { regs: [[a1, UNMAPPED]] });
    expectTrap(r, 7, UNMAPPED, RAM_BASE, 'unmapped');
    const rom = new Uint8Array(16);
    r = rig({ rom });
    place(r, new E.Program(RAM_BASE).i(E.lw(a2, a1, 4), E.sw(a0, a1, 4), E.wfi()));
    r.hart.regs[a1] = ROM_BASE;
    r.hart.regs[a0] = -1;
    r.hart.run(10);
    expectTrap(r, 7, ROM_BASE + 4, RAM_BASE + 4, 'ROM');
    assert.equal(rom[4], 0);
    r = runProgram((p) => p.i(E.sh(a0, a1, 4)), { regs: [[a1, DEV_BASE]], setup: (r) => r.dev.failAt.add(4) });
    expectTrap(r, 7, DEV_BASE + 4, RAM_BASE, 'device error');
  });
  it('environment calls from U (8), S (9) and M (11): mtval 0, mepc at the ECALL', () => {
    for (const [priv, cause] of [[0, 8], [1, 9], [3, 11]] as [0 | 1 | 3, number][]) {
      const r = runProgram((p) => p.i(E.addi(0, 0, 0), E.ecall()), { setup: (r) => (r.hart.priv = priv) });
      expectTrap(r, cause, 0, RAM_BASE + 4, `priv ${priv}`);
      assert.equal(r.hart.priv, 3);
      assert.equal((r.hart.readCsr(Csr.mstatus) >>> 11) & 3, priv, 'MPP');
      const t = r.hart.lastTrap!;
      assert.equal(t.code, cause);
      assert.equal(t.interrupt, false);
      assert.equal(t.fromPriv, priv);
      assert.equal(t.priv, 3);
      assert.equal(t.epc, RAM_BASE + 4);
    }
  });
  it('a trapping instruction does not retire, but uses a step of the budget', () => {
    const r = runProgram((p) => p.i(E.addi(0, 0, 0), E.ecall()));
    // addi + the handler's wfi retire; the ecall does not.
    assert.equal(r.hart.instret, 2);
    assert.equal(r.hart.lastRunSteps, 3);
    assert.equal(r.hart.readCsr(Csr.minstret), 2);
  });
  it('a guest that traps forever still returns when its budget is spent', () => {
    const r = rig();
    r.hart.writeCsr(Csr.mtvec, UNMAPPED);
    r.hart.pc = UNMAPPED;
    assert.equal(r.hart.run(1000), ExitReason.BudgetSpent);
    assert.equal(r.hart.lastRunSteps, 1000);
    assert.equal(r.hart.instret, 0);
    assert.equal(r.hart.trapCount, 1000);
  });
});

describe('trap entry and return', () => {
  it('a trap to M saves MIE in MPIE, clears MIE, records MPP, and jumps to mtvec.BASE', () => {
    const r = runProgram((p) => p.i(E.ecall()), {
      setup: (r) => {
        r.hart.writeCsr(Csr.mstatus, Mstatus.MIE | Mstatus.SIE);
        r.hart.priv = 1;
      },
    });
    const ms = r.hart.readCsr(Csr.mstatus);
    assert.equal(ms & Mstatus.MIE, 0);
    assert.equal(ms & Mstatus.MPIE, Mstatus.MPIE);
    assert.equal(ms & Mstatus.SIE, Mstatus.SIE, 'SIE untouched');
    assert.equal((ms >>> 11) & 3, 1);
  });
  it('vectored mtvec: exceptions still go to BASE', () => {
    const r = runProgram((p) => p.i(E.ebreak()), { setup: (r) => r.hart.writeCsr(Csr.mtvec, HALT | 1) });
    assert.equal(trapped(r), true);
  });
  it('delegated exceptions from S and U go to S: scause, sepc, stval, SPP, SPIE, SIE', () => {
    for (const from of [0, 1] as const) {
      const r = runProgram((p) => p.i(E.addi(0, 0, 0), E.lw(a0, a1, 0)), {
        regs: [[a1, UNMAPPED + 8]],
        setup: (r) => {
          r.hart.writeCsr(Csr.medeleg, 1 << 5);
          r.hart.writeCsr(Csr.mstatus, Mstatus.SIE);
          r.hart.writeCsr(Csr.mcause, 0x77);
          r.hart.priv = from;
        },
      });
      assert.equal(trapped(r), true);
      assert.equal(r.hart.priv, 1);
      assert.equal(r.hart.readCsr(Csr.scause), 5);
      assert.equal(r.hart.readCsr(Csr.stval), UNMAPPED + 8);
      assert.equal(r.hart.readCsr(Csr.sepc), RAM_BASE + 4);
      assert.equal(r.hart.readCsr(Csr.mcause), 0x77, 'M state untouched');
      const ms = r.hart.readCsr(Csr.mstatus);
      assert.equal(ms & Mstatus.SIE, 0);
      assert.equal(ms & Mstatus.SPIE, Mstatus.SPIE);
      assert.equal(ms & Mstatus.SPP, from === 1 ? Mstatus.SPP : 0);
      assert.equal(r.hart.lastTrap!.priv, 1);
    }
  });
  it('exceptions in M-mode are never delegated', () => {
    const r = runProgram((p) => p.i(E.ebreak()), { setup: (r) => r.hart.writeCsr(Csr.medeleg, 1 << 3) });
    assert.equal(r.hart.readCsr(Csr.mcause), 3);
    assert.equal(r.hart.readCsr(Csr.scause), 0);
    assert.equal(r.hart.priv, 3);
  });
  it('an undelegated exception from S goes to M with MPP = S', () => {
    const r = runProgram((p) => p.i(E.ecall()), {
      setup: (r) => {
        r.hart.writeCsr(Csr.medeleg, 1 << 8); // U-mode ecalls only
        r.hart.priv = 1;
      },
    });
    assert.equal(r.hart.readCsr(Csr.mcause), 9);
    assert.equal((r.hart.readCsr(Csr.mstatus) >>> 11) & 3, 1);
  });
  it('MRET: priv = MPP, MIE = MPIE, MPIE = 1, MPP = U, MPRV cleared when leaving M', () => {
    const r = runProgram((p) => {
      p.i(E.auipc(t0, 0), E.addi(t0, t0, 18), E.csrw(Csr.mepc, t0), E.mret()); // mepc = +18 (2-aligned)
      p.c(E.cNop()); // +16, skipped
      p.c(E.cLi(a0, 1)); // +18, in S-mode
      p.i(E.ecall()); // reports the mode
    }, {
      setup: (r) => r.hart.writeCsr(Csr.mstatus, (1 << 11) | Mstatus.MPIE | Mstatus.MPRV),
    });
    assert.equal(r.hart.regs[a0], 1);
    assert.equal(r.hart.readCsr(Csr.mcause), 9, 'ran in S');
    // After MRET: MIE = 1 (from MPIE), MPIE = 1, MPP = U, MPRV = 0; then the ECALL trap moved MIE to MPIE.
    const ms = r.hart.readCsr(Csr.mstatus);
    assert.equal(ms & Mstatus.MPRV, 0);
    assert.equal(ms & Mstatus.MPIE, Mstatus.MPIE);
    assert.equal((ms >>> 11) & 3, 1);
  });
  it('MRET to M keeps MPRV', () => {
    const r = runProgram((p) => {
      p.i(E.auipc(t0, 0), E.addi(t0, t0, 16), E.csrw(Csr.mepc, t0), E.mret());
      p.i(E.csrr(a0, Csr.mstatus));
    }, { setup: (r) => r.hart.writeCsr(Csr.mstatus, (3 << 11) | Mstatus.MPRV) });
    assert.equal(trapped(r), false);
    assert.equal(ureg(r, a0) & Mstatus.MPRV, Mstatus.MPRV);
    assert.equal((ureg(r, a0) >>> 11) & 3, 0, 'MPP = U');
    assert.equal(ureg(r, a0) & Mstatus.MIE, 0, 'MIE = MPIE (0)');
  });
  it('SRET: priv = SPP, SIE = SPIE, SPIE = 1, SPP = U, MPRV cleared; allowed in M', () => {
    const r = runProgram((p) => {
      p.i(E.auipc(t0, 0), E.addi(t0, t0, 16), E.csrw(Csr.sepc, t0), E.sret());
      p.i(E.ecall());
    }, { setup: (r) => r.hart.writeCsr(Csr.mstatus, Mstatus.SPP | Mstatus.SPIE | Mstatus.MPRV) });
    assert.equal(r.hart.readCsr(Csr.mcause), 9, 'SRET from M went to S');
    const ms = r.hart.readCsr(Csr.mstatus);
    assert.equal(ms & Mstatus.SIE, Mstatus.SIE);
    assert.equal(ms & Mstatus.SPIE, Mstatus.SPIE);
    assert.equal(ms & Mstatus.SPP, 0);
    assert.equal(ms & Mstatus.MPRV, 0);
  });
  it('SRET to U', () => {
    const r = runProgram((p) => {
      p.i(E.auipc(t0, 0), E.addi(t0, t0, 16), E.csrw(Csr.sepc, t0), E.sret());
      p.i(E.ecall());
    }, { setup: (r) => (r.hart.priv = 1) });
    assert.equal(r.hart.readCsr(Csr.mcause), 8);
  });
  it('MRET outside M, SRET in U or with TSR in S are illegal', () => {
    for (const [priv, inst, ms] of [
      [1, E.mret(), 0],
      [0, E.mret(), 0],
      [0, E.sret(), 0],
      [1, E.sret(), Mstatus.TSR],
    ] as [0 | 1, number, number][]) {
      const r = runProgram((p) => p.i(inst), { setup: (r) => { r.hart.writeCsr(Csr.mstatus, ms); r.hart.priv = priv; } });
      expectTrap(r, 2, inst, RAM_BASE, `${inst.toString(16)} in ${priv}`);
    }
    // TSR does not apply to M-mode.
    const r = runProgram((p) => {
      p.i(E.auipc(t0, 0), E.addi(t0, t0, 16), E.csrw(Csr.sepc, t0), E.sret());
      p.i(E.csrr(a0, Csr.sstatus));
    }, { setup: (r) => r.hart.writeCsr(Csr.mstatus, Mstatus.TSR | Mstatus.SPP) });
    assert.equal(trapped(r), false);
  });
  it('WFI is illegal in U-mode, and in S-mode when TW = 1', () => {
    let r = runProgram((p) => p.i(E.wfi()), { setup: (r) => (r.hart.priv = 0) });
    expectTrap(r, 2, E.wfi(), RAM_BASE, 'U');
    r = runProgram((p) => p.i(E.wfi()), { setup: (r) => { r.hart.writeCsr(Csr.mstatus, Mstatus.TW); r.hart.priv = 1; } });
    expectTrap(r, 2, E.wfi(), RAM_BASE, 'S, TW');
    r = runProgram((p) => p.i(E.addi(0, 0, 0)), { setup: (r) => (r.hart.priv = 1) });
    assert.equal(r.exit, ExitReason.Wfi);
    assert.equal(r.hart.pc, r.end, 'S-mode WFI with TW = 0 parks');
    r = runProgram((p) => p.i(E.addi(0, 0, 0)), { setup: (r) => r.hart.writeCsr(Csr.mstatus, Mstatus.TW) });
    assert.equal(r.hart.pc, r.end, 'TW does not apply to M-mode');
  });
  it('SFENCE.VMA: a no-op in S and M, illegal in U and with TVM in S', () => {
    const inst = E.sfenceVma(a0, a1);
    assert.equal(trapped(runProgram((p) => p.i(inst), { setup: (r) => (r.hart.priv = 1) })), false);
    assert.equal(trapped(runProgram((p) => p.i(inst))), false);
    expectTrap(runProgram((p) => p.i(inst), { setup: (r) => (r.hart.priv = 0) }), 2, inst, RAM_BASE, 'U');
    expectTrap(
      runProgram((p) => p.i(inst), { setup: (r) => { r.hart.writeCsr(Csr.mstatus, Mstatus.TVM); r.hart.priv = 1; } }),
      2, inst, RAM_BASE, 'TVM',
    );
  });
  it('lastTrap is null after reset', () => {
    const r = rig();
    assert.equal(r.hart.lastTrap, null);
    assert.equal(r.hart.trapCount, 0);
  });
});
