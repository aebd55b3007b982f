/**
 * Interrupts (privileged spec 1.12, 3.1.6.1, 3.1.9, 3.3.3, 4.1.3): the
 * priority MEI > MSI > MTI > SEI > SSI > STI, global enables per mode,
 * delegation to S, vectored entry, when pending interrupts are noticed
 * (run start, CSR writes, xRET, device accesses), and WFI.
 */
import { describe, it, assert } from '../harness/index.js';
import * as E from './rv-encode.js';
import { Csr, DEV_BASE, ExitReason, HALT, RAM_BASE, STOP_BASE, place, rig, runProgram, trapped, ureg, type Rig } from './cpu-fixture.js';
import { CAUSE_INTERRUPT, Hart, HartError, Mip, Mstatus } from '../../src/cpu/index.js';
import { InterruptCause } from '../../src/device/index.js';

const { a0, a1, a2, t0 } = E;
const IC = InterruptCause;

/** A rig whose RAM holds `nop`s (so a run without an interrupt just goes on) ending in a WFI loop. */
function idleRig(): Rig {
  const r = rig();
  const p = new E.Program(RAM_BASE);
  for (let i = 0; i < 16; i++) p.i(E.addi(0, 0, 0));
  p.label('w').i(E.wfi()).at(4, (pc, L) => E.jal(0, L('w') - pc));
  place(r, p);
  return r;
}

/** Runs one step with mstatus.MIE (and SIE) set; returns the cause code taken, or -1. */
function nextInterrupt(r: Rig, mstatus = Mstatus.MIE | Mstatus.SIE): number {
  const before = r.hart.trapCount;
  r.hart.writeCsr(Csr.mstatus, mstatus);
  r.hart.run(1);
  if (r.hart.trapCount === before) return -1;
  const t = r.hart.lastTrap!;
  assert.equal(t.interrupt, true);
  return t.code;
}

describe('interrupt priority', () => {
  it('MEI > MSI > MTI > SEI > SSI > STI when all target M', () => {
    const r = idleRig();
    r.hart.writeCsr(Csr.mie, 0xaaa);
    for (const c of [IC.SupervisorTimer, IC.MachineTimer, IC.SupervisorExternal, IC.MachineSoftware, IC.SupervisorSoftware, IC.MachineExternal]) {
      r.hart.setInterruptPending(c, true);
    }
    const order: number[] = [];
    for (let i = 0; i < 6; i++) {
      r.hart.pc = RAM_BASE;
      r.hart.priv = 3;
      const c = nextInterrupt(r);
      order.push(c);
      r.hart.setInterruptPending(c, false);
    }
    assert.deepEqual(order, [11, 3, 7, 9, 1, 5]);
    assert.equal(nextInterrupt(r), -1);
  });
  it('interrupts for M go before delegated ones, whatever their own priority', () => {
    const r = idleRig();
    r.hart.writeCsr(Csr.mie, 0xaaa);
    r.hart.writeCsr(Csr.mideleg, Mip.SEIP);
    r.hart.setInterruptPending(IC.SupervisorExternal, true);
    r.hart.setInterruptPending(IC.SupervisorTimer, true); // not delegated: an M-level interrupt
    r.hart.priv = 1;
    // Both are enabled in S (SIE = 1); SEI has the higher priority, but STI targets M.
    assert.equal(nextInterrupt(r, Mstatus.SIE), IC.SupervisorTimer);
    assert.equal(r.hart.lastTrap!.priv, 3);
  });
  it('only pending AND enabled (mie) interrupts count', () => {
    const r = idleRig();
    r.hart.setInterruptPending(IC.MachineTimer, true);
    assert.equal(nextInterrupt(r), -1);
    r.hart.writeCsr(Csr.mie, Mip.MSIP);
    assert.equal(nextInterrupt(r), -1);
    r.hart.writeCsr(Csr.mie, Mip.MTIP);
    assert.equal(nextInterrupt(r), IC.MachineTimer);
  });
});

describe('global enables and delegation', () => {
  it('M-level interrupts: in M only with MIE; in S and U always', () => {
    for (const [priv, mstatus, taken] of [
      [3, 0, false],
      [3, Mstatus.MIE, true],
      [1, 0, true],
      [0, 0, true],
    ] as [0 | 1 | 3, number, boolean][]) {
      const r = idleRig();
      r.hart.writeCsr(Csr.mie, Mip.MEIP);
      r.hart.setInterruptPending(IC.MachineExternal, true);
      r.hart.priv = priv;
      assert.equal(nextInterrupt(r, mstatus), taken ? 11 : -1, `priv ${priv} mstatus ${mstatus}`);
    }
  });
  it('delegated interrupts: never in M; in S only with SIE; in U always; taken into S', () => {
    for (const [priv, mstatus, taken] of [
      [3, Mstatus.MIE | Mstatus.SIE, false],
      [1, Mstatus.MIE, false],
      [1, Mstatus.SIE, true],
      [0, 0, true],
    ] as [0 | 1 | 3, number, boolean][]) {
      const r = idleRig();
      r.hart.writeCsr(Csr.mie, Mip.STIP);
      r.hart.writeCsr(Csr.mideleg, Mip.STIP);
      r.hart.writeCsr(Csr.mip, Mip.STIP); // M-mode software raises STIP (as an SBI timer would)
      r.hart.priv = priv;
      assert.equal(nextInterrupt(r, mstatus), taken ? 5 : -1, `priv ${priv}`);
      if (taken) {
        assert.equal(r.hart.priv, 1);
        assert.equal(r.hart.readCsr(Csr.scause), (CAUSE_INTERRUPT | 5) >>> 0);
        assert.equal(r.hart.readCsr(Csr.stval), 0);
        assert.equal(r.hart.readCsr(Csr.sepc), RAM_BASE);
        const ms = r.hart.readCsr(Csr.mstatus);
        assert.equal(ms & Mstatus.SIE, 0);
        assert.equal(ms & Mstatus.SPIE, priv === 1 ? Mstatus.SPIE : 0);
        assert.equal(ms & Mstatus.SPP, priv === 1 ? Mstatus.SPP : 0);
      }
    }
  });
  it('an interrupt to M: mcause has bit 31, mtval 0, mepc the interrupted instruction', () => {
    const r = idleRig();
    r.hart.writeCsr(Csr.mie, Mip.MSIP);
    r.hart.writeCsr(Csr.mtval, 0x1234);
    r.hart.setInterruptPending(IC.MachineSoftware, true);
    r.hart.pc = RAM_BASE + 8;
    assert.equal(nextInterrupt(r), 3);
    assert.equal(r.hart.readCsr(Csr.mcause), 0x80000003);
    assert.equal(r.hart.readCsr(Csr.mtval), 0);
    assert.equal(r.hart.readCsr(Csr.mepc), RAM_BASE + 8);
    assert.equal(r.hart.readCsr(Csr.mstatus) & (Mstatus.MIE | Mstatus.MPIE), Mstatus.MPIE);
  });
  it('vectored mtvec/stvec: interrupts enter at BASE + 4 * cause', () => {
    const r = idleRig();
    const base = RAM_BASE + 0x4000;
    // Each vector slot holds a WFI.
    const v = new E.Program(base);
    for (let i = 0; i < 16; i++) v.i(E.wfi());
    place(r, v);
    r.hart.writeCsr(Csr.mtvec, base | 1);
    r.hart.writeCsr(Csr.stvec, base | 1);
    r.hart.writeCsr(Csr.mie, Mip.MTIP | Mip.SEIP);
    r.hart.setInterruptPending(IC.MachineTimer, true);
    r.hart.writeCsr(Csr.mstatus, Mstatus.MIE);
    assert.equal(r.hart.run(1), ExitReason.BudgetSpent); // the slot's WFI does not park: MTIP is pending in mie
    assert.equal(r.hart.lastTrap!.code, 7);
    assert.equal(r.hart.pc, base + 4 * 7 + 4);
    r.hart.setInterruptPending(IC.MachineTimer, false);
    // SEI delegated, from U: stvec vector 9.
    r.hart.writeCsr(Csr.mideleg, Mip.SEIP);
    r.hart.setInterruptPending(IC.SupervisorExternal, true);
    r.hart.pc = RAM_BASE;
    r.hart.priv = 0;
    r.hart.run(1);
    assert.equal(r.hart.lastTrap!.code, 9);
    assert.equal(r.hart.pc, base + 4 * 9 + 4);
  });
  it('software-written SEIP and the SEI line both raise SEI', () => {
    const r = idleRig();
    r.hart.writeCsr(Csr.mie, Mip.SEIP);
    r.hart.writeCsr(Csr.mip, Mip.SEIP);
    assert.equal(nextInterrupt(r), 9);
    r.hart.writeCsr(Csr.mip, 0);
    r.hart.pc = RAM_BASE;
    assert.equal(nextInterrupt(r), -1);
    r.hart.setInterruptPending(IC.SupervisorExternal, true);
    r.hart.pc = RAM_BASE;
    assert.equal(nextInterrupt(r), 9);
  });
  it('setInterruptPending refuses causes no device drives', () => {
    const r = rig();
    for (const c of [0, 2, 4, 6, 8, 10, 12, 13, -1, 1.5]) assert.throws(() => r.hart.setInterruptPending(c, true), HartError);
  });
});

describe('when pending interrupts are noticed', () => {
  it('right after the CSR write that enables them', () => {
    const r = runProgram((p) => p.i(E.csrrsi(0, Csr.mstatus, 8), E.addi(a0, 0, 1)), {
      setup: (r) => {
        r.hart.writeCsr(Csr.mie, Mip.MTIP);
        r.hart.setInterruptPending(IC.MachineTimer, true);
      },
      budget: 3,
    });
    assert.equal(r.hart.lastTrap!.code, 7);
    assert.equal(r.hart.readCsr(Csr.mepc), RAM_BASE + 4);
    assert.equal(r.hart.regs[a0], 0);
  });
  it('right after MRET lowers the privilege (M-level interrupt pending with MIE = 0)', () => {
    const r = runProgram((p) => {
      p.i(E.auipc(t0, 0), E.addi(t0, t0, 16), E.csrw(Csr.mepc, t0), E.mret());
      p.i(E.addi(a0, 0, 1));
    }, {
      setup: (r) => {
        r.hart.writeCsr(Csr.mie, Mip.MEIP);
        r.hart.setInterruptPending(IC.MachineExternal, true);
        r.hart.writeCsr(Csr.mstatus, 1 << 11); // MPP = S, MIE = 0
      },
      budget: 5,
    });
    assert.equal(r.hart.lastTrap!.code, 11);
    assert.equal(r.hart.lastTrap!.fromPriv, 1);
    assert.equal(r.hart.readCsr(Csr.mepc), RAM_BASE + 16);
    assert.equal(r.hart.regs[a0], 0);
  });
  it('right after the device access that raised it, with that instruction retired', () => {
    const r = runProgram((p) => p.i(E.sw(a1, a2, 0), E.addi(a0, 0, 1)), {
      regs: [[a1, 1], [a2, DEV_BASE]],
      setup: (r) => {
        r.hart.writeCsr(Csr.mie, Mip.MEIP);
        r.hart.writeCsr(Csr.mstatus, Mstatus.MIE);
        r.dev.onAccess = (op) => {
          if (op === 'write') r.hart.setInterruptPending(IC.MachineExternal, true);
        };
      },
      budget: 3,
    });
    assert.equal(r.hart.lastTrap!.code, 11);
    assert.equal(r.hart.readCsr(Csr.mepc), RAM_BASE + 4);
    assert.equal(r.dev.word(0), 1);
    assert.equal(r.hart.regs[a0], 0);
  });
  it('at the start of run() for a level raised between runs', () => {
    const r = idleRig();
    r.hart.writeCsr(Csr.mie, Mip.MTIP);
    r.hart.writeCsr(Csr.mstatus, Mstatus.MIE);
    r.hart.run(3);
    assert.equal(r.hart.trapCount, 0);
    r.hart.setInterruptPending(IC.MachineTimer, true);
    r.hart.run(1);
    assert.equal(r.hart.lastTrap!.code, 7);
    assert.equal(r.hart.readCsr(Csr.mepc), RAM_BASE + 12);
  });
});

describe('WFI', () => {
  it('with nothing pending, run() returns Wfi, parked after the WFI', () => {
    const r = runProgram((p) => p.i(E.addi(a0, 0, 1)));
    assert.equal(r.exit, ExitReason.Wfi);
    assert.equal(r.hart.parked, true);
    assert.equal(r.hart.wakeupPending, false);
    assert.equal(r.hart.pc, r.end);
    assert.equal(r.hart.instret, 2, 'WFI retires');
  });
  it('an interrupt wakes the hart and is taken with mepc after the WFI', () => {
    const r = runProgram((p) => p.i(E.addi(a0, 0, 1)), {
      setup: (r) => {
        r.hart.writeCsr(Csr.mie, Mip.MTIP);
        r.hart.writeCsr(Csr.mstatus, Mstatus.MIE);
      },
    });
    assert.equal(r.exit, ExitReason.Wfi);
    r.hart.setInterruptPending(IC.MachineTimer, true);
    assert.equal(r.hart.wakeupPending, true);
    r.hart.run(1);
    assert.equal(r.hart.parked, false);
    assert.equal(r.hart.lastTrap!.code, 7);
    assert.equal(r.hart.readCsr(Csr.mepc), r.end);
  });
  it('a locally enabled pending interrupt ends WFI even with global enables off', () => {
    const r = runProgram((p) => p.i(E.wfi(), E.addi(a0, 0, 1)), {
      setup: (r) => {
        r.hart.writeCsr(Csr.mie, Mip.MSIP);
        r.hart.setInterruptPending(IC.MachineSoftware, true);
      },
      budget: 3,
    });
    // The first WFI does not park (MSIP is pending in mie); no trap (MIE = 0); the second one neither.
    assert.equal(r.hart.trapCount, 0);
    assert.equal(r.hart.regs[a0], 1);
    assert.equal(r.exit, ExitReason.BudgetSpent);
  });
  it('run() on a parked hart resumes after the WFI (a spurious wake-up is allowed)', () => {
    const r = runProgram((p) => p.i(E.wfi(), E.addi(a0, 0, 5)));
    assert.equal(r.hart.pc, RAM_BASE + 4);
    assert.equal(r.hart.run(100), ExitReason.Wfi);
    assert.equal(r.hart.regs[a0], 5);
    assert.equal(r.hart.pc, r.end);
  });
  it('the WFI loop of the trap handler parks in S-mode too', () => {
    const r = runProgram((p) => p.i(E.ecall()), { setup: (r) => { r.hart.writeCsr(Csr.medeleg, 1 << 8); r.hart.priv = 0; } });
    assert.equal(trapped(r), true);
    assert.equal(r.hart.priv, 1);
    assert.equal(r.hart.pc, HALT + 4);
  });
});

describe('stop requests', () => {
  it('a device that requests a stop ends run() right after that instruction', () => {
    const r = runProgram((p) => p.i(E.sw(a1, a2, 0), E.addi(a0, 0, 1)), { regs: [[a1, 0x5555], [a2, STOP_BASE]] });
    assert.equal(r.exit, ExitReason.Stop);
    assert.equal(r.hart.pc, RAM_BASE + 4);
    assert.equal(r.hart.regs[a0], 0);
    assert.equal(r.hart.instret, 1);
    assert.equal(r.stopper.word(0), 0x5555);
    // The next run() continues.
    assert.equal(r.hart.run(100), ExitReason.Wfi);
    assert.equal(r.hart.regs[a0], 1);
  });
  it('a stop requested between runs ends the next run() before any instruction', () => {
    const r = idleRig();
    r.hart.requestStop();
    assert.equal(r.hart.run(100), ExitReason.Stop);
    assert.equal(r.hart.lastRunSteps, 0);
    assert.equal(r.hart.pc, RAM_BASE);
    assert.equal(r.hart.run(2), ExitReason.BudgetSpent);
  });
  it('a stop requested while reading time (a host callback) also applies after that instruction', () => {
    const r = runProgram((p) => p.i(E.csrr(a0, Csr.time), E.addi(a1, 0, 1)), {
      setup: (r) => {
        r.time.now = 42;
      },
    });
    assert.equal(ureg(r, a0), 42);
    const r2 = rig();
    let calls = 0;
    const h = new Hart({
      bus: r2.bus,
      readTime: () => {
        calls++;
        h.requestStop();
        return 7;
      },
    });
    place(r2, new E.Program(RAM_BASE).i(E.csrr(a0, Csr.time), E.addi(a1, 0, 1), E.wfi()));
    h.reset(RAM_BASE);
    assert.equal(h.run(10), ExitReason.Stop);
    assert.equal(calls, 1);
    assert.equal(h.regs[a0], 7);
    assert.equal(h.pc, RAM_BASE + 4);
  });
});
