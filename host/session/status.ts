/**
 * The end of a session in words and numbers: the exit status for how its
 * VMs ended (README "Exit status") with its message, and `--stats`.
 *
 * When the run was stopped as a whole (timeout, signal, Ctrl-A x, gdb's
 * kill, `--max-insns`) that decides; otherwise the first VM in plan order
 * that did not end with status 0: its guest status (modulo 256, a non-zero
 * status never becoming 0), 71 for one IMAGE stopped by the fault rules,
 * 70 for a VM stopped by a fault or an internal error. 0 when all exited 0.
 * Faults and a configuration's exits are said as they happen (sayEvent).
 */

import { GDB_KILL } from '../gdb/index.js';
import { formatRegisterDump, type MonitorEvent, type VmExit, type VmOutcome } from '../../src/monitor/index.js';
import { EXIT } from '../exit-status.js';
import { stuckMessage } from '../stuck.js';
import type { SessionPlan, Say } from './plan.js';

/** The process status for the VMs' outcomes; `single` for one IMAGE, whose messages name no VM. */
export function statusOf(outcomes: readonly VmOutcome[], single: boolean, timeout: number | null, err: Say): number {
  const vmTag = (v: VmOutcome): string => (single ? '' : `VM '${v.name}' `);
  // A stop of the whole run speaks first.
  for (const v of outcomes) {
    const x = v.exit;
    if (x.kind === 'limit') err(`${vmTag(v)}stopped after ${x.instructions} instructions (--max-insns)`);
    if (x.kind !== 'stopped' || v.fault !== null) continue;
    switch (x.reason) {
      case 'timeout':
        err(`timed out after ${timeout} s (--timeout)`);
        return EXIT.TIMEOUT;
      case 'quit':
        err('terminated (Ctrl-A x)');
        return 0;
      case 'SIGPIPE':
        return 128 + 13;
      case GDB_KILL:
        err('killed by gdb');
        return 0;
      case 'SIGTERM':
      case 'SIGHUP':
      case 'SIGINT':
        err(`terminated by ${x.reason}`);
        return 128 + (x.reason === 'SIGHUP' ? 1 : x.reason === 'SIGINT' ? 2 : 15);
      default:
        break;
    }
  }
  if (outcomes.some((v) => v.exit.kind === 'limit')) return EXIT.MAX_INSNS;
  for (const v of outcomes) {
    const x = v.exit;
    if (x.kind === 'exit') {
      if (x.status === 0) continue;
      // Statuses are 8 bits; a non-zero guest status must never read as success.
      const s = x.status & 0xff;
      return s === 0 ? 1 : s;
    }
    if (v.fault !== null) return single && v.fault.kind !== 'fatal' ? EXIT.GUEST_STUCK : EXIT.INTERNAL;
    if (!single) err(`VM '${v.name}' ended: ${x.kind === 'stopped' || x.kind === 'fatal' ? x.reason : x.kind}`);
    else if (x.kind === 'stopped') err(`stopped: ${x.reason}`);
    else err(`internal error: ${x.kind === 'fatal' ? x.reason : `the run ended with '${x.kind}'`}`);
    return EXIT.INTERNAL;
  }
  return 0;
}

/** --stats on stderr: instructions retired (per VM too when several), wall time of the run, MIPS, then each VM's observer counts. */
export function writeStats(
  stderr: { write(text: string): boolean },
  outcomes: readonly VmOutcome[],
  seconds: number,
  traceStats: readonly (readonly string[] | null)[],
): void {
  const many = outcomes.length > 1;
  let total = 0;
  for (const v of outcomes) {
    total += v.instret;
    if (many) stderr.write(`xsvisor: VM '${v.name}': instructions retired: ${v.instret}\n`);
  }
  stderr.write(
    `xsvisor: instructions retired: ${total}\n` +
    `xsvisor: wall time: ${seconds.toFixed(3)} s\n` +
    `xsvisor: MIPS: ${(seconds > 0 ? total / seconds / 1e6 : 0).toFixed(2)}\n`,
  );
  outcomes.forEach((v, i) => {
    for (const line of traceStats[i] ?? []) stderr.write(`xsvisor: ${many ? `VM '${v.name}': ` : ''}${line}\n`);
  });
}

/** Says a fault or (with several VMs) a guest's exit as it happens (under either engine). */
export function sayEvent(e: MonitorEvent, plan: SessionPlan, err: Say): void {
  if (e.kind === 'fault' && plan.single) {
    // One IMAGE: said with the likely fix (host/stuck.ts), or as the monitor's own failure.
    if (e.fault.kind === 'fatal') err(`internal error: ${e.fault.reason}`);
    else for (const line of stuckMessage({ ...e.fault, imageName: plan.vms[0].imageName, image: plan.vms[0].image, firmware: plan.vms[0].firmware })) err(line);
  } else if (e.kind === 'fault') {
    const what = e.action === 'restarted' ? `restarted after a fault (restart ${e.restarts})` : 'stopped by a fault';
    err(`VM '${e.vm}' ${what}: ${e.fault.reason}\n${formatRegisterDump(e.fault.dump).replace(/^/gm, 'xsvisor:   ')}`);
  } else if (!plan.single && plan.vms.length > 1 && e.exit.kind === 'exit') {
    err(`VM '${e.vm}' exited with status ${e.exit.status}`);
  }
}

/** How the run ended, in a few words for the board view's status line. */
export function endedBecause(exit: VmExit): string {
  switch (exit.kind) {
    case 'exit': return `guest exited (status ${exit.status})`;
    case 'limit': return `stopped after ${exit.instructions} instructions`;
    case 'stopped': return exit.reason === 'quit' ? 'quit' : `stopped (${exit.reason})`;
    case 'fatal': return 'stopped by an internal error';
    default: return 'stopped';
  }
}
