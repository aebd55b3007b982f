/**
 * Small guests for the monitor's suites, assembled with rv-encode.ts (so
 * the suites need no files and run under XS too), and a loop that drives
 * a {@link Monitor} to its end on a {@link ManualScheduler}.
 */
import {
  addi, bne, ecall, jal, lbu, lui, lw, sb, sw, csrw, csrr, wfi, zero, t0, t1, t2, a0, a1, a6, a7, Program,
} from './rv-encode.js';
import type { Monitor, MonitorResult } from '../../src/monitor/index.js';
import type { ManualScheduler } from '../../src/ports/sim/index.js';

export const RAM_BASE = 0x8000_0000;
/** Where a raw S-mode image loads (firmware 'sbi'). */
export const SBI_BASE = 0x8040_0000;
export const FINISHER = 0x0010_0000;
export const UART = 0x1000_0000;
export const GPIO = 0x1006_0000;
export const CLINT = 0x0200_0000;
export const PLIC = 0x0c00_0000;

export const CSR = Object.freeze({ mstatus: 0x300, mie: 0x304, mtvec: 0x305, mepc: 0x341, sie: 0x104, sip: 0x144, stvec: 0x105, sstatus: 0x100, time: 0xc01 });

/** A program at `base` (RAM's start unless given). */
export function program(base = RAM_BASE): Program {
  return new Program(base);
}

/** Writes the finisher: 0x5555 for status 0, else 0x3333 | status << 16; then spins. */
export function exitWith(p: Program, status: number): Program {
  return p.li(t0, FINISHER).li(t1, status === 0 ? 0x5555 : ((status << 16) | 0x3333) >>> 0).i(sw(t1, t0, 0), jal(zero, 0));
}

/** Counts `reg` down from `n` to 0 (two instructions per turn). */
export function spin(p: Program, n: number, reg = t2): Program {
  p.li(reg, n);
  const top = p.here;
  p.i(addi(reg, reg, -1));
  return p.at(4, (pc) => bne(reg, zero, top - pc));
}

/** Writes `text` to UART0's THR byte by byte (the test ports take everything at once). */
export function print(p: Program, text: string): Program {
  p.li(t0, UART);
  for (let i = 0; i < text.length; i++) p.i(addi(t1, zero, text.charCodeAt(i)), sb(t1, t0, 0));
  return p;
}

/** An SBI call: a7 = eid, a6 = fid, a0/a1 as given (already in the registers unless values are given). */
export function sbiCall(p: Program, eid: number, fid: number, arg0?: number, arg1?: number): Program {
  if (arg0 !== undefined) p.li(a0, arg0);
  if (arg1 !== undefined) p.li(a1, arg1);
  return p.li(a7, eid).li(a6, fid).i(ecall());
}

export { addi, bne, ecall, jal, lbu, lui, lw, sb, sw, csrw, csrr, wfi, zero, t0, t1, t2, a0, a1, a6, a7 };

/**
 * Runs the monitor on a manual scheduler: runs what is due; when only
 * timers are left, moves the clock to the next one. Fails after
 * `maxTurns` scheduler turns.
 */
export async function drive(monitor: Monitor, sched: ManualScheduler, maxTurns = 100_000, onTurn?: (turn: number) => void): Promise<MonitorResult> {
  let result: MonitorResult | null = null;
  const done = monitor.run().then((r) => {
    result = r;
  });
  for (let turn = 0; turn < maxTurns && result === null; turn++) {
    if (sched.runDue() === 0) sched.advance(1000);
    onTurn?.(turn);
    await Promise.resolve();
  }
  await Promise.race([done, Promise.resolve()]);
  if (result === null) throw new Error(`the monitor did not finish in ${maxTurns} turns`);
  return result;
}
