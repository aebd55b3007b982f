/**
 * The message for one IMAGE stopped by the monitor's fault rules
 * (src/monitor/fault.ts): no progress, a trap storm, or a trap into M-mode
 * under the SBI. Said for one IMAGE run in V8 (session/local.ts) or in XS
 * (xs/command.ts), which both end with status 71 (EXIT.GUEST_STUCK).
 *
 * Owns the guess at the likely fix, from what the fault and the image
 * show: a text file run as raw code, an S-mode kernel booted without
 * firmware (it never sets mtvec), a trap vector that faults, a handler
 * that returns to the faulting instruction.
 */

import { formatRegisterDump, type RegisterDump } from '../src/monitor/index.js';

/** What the message is made from. */
export interface StuckGuest {
  /** The rule that fired (`no-progress`, `trap-storm`, `machine-trap`, `fatal`) and its one-line reason. */
  readonly kind: string;
  readonly reason: string;
  readonly dump: RegisterDump;
  /** The image's name and bytes, and the firmware it was booted with. */
  readonly imageName: string;
  readonly image: Uint8Array;
  readonly firmware: 'none' | 'sbi';
}

function hex(n: number): string {
  return `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
}

/** True when `b` starts with the ELF magic. */
function isElf(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46;
}

/** True when the first 512 bytes are (nearly all) printable ASCII or whitespace: a text file, not code. */
export function looksLikeText(b: Uint8Array): boolean {
  const n = Math.min(b.length, 512);
  if (n === 0) return false;
  let text = 0;
  for (let i = 0; i < n; i++) {
    const c = b[i];
    if ((c >= 0x20 && c < 0x7f) || c === 0x0a || c === 0x0d || c === 0x09) text++;
  }
  return text >= n * 0.95;
}

/** The likely fix, in one line (see the module header). */
export function stuckHint(g: StuckGuest): string {
  if (!isElf(g.image) && looksLikeText(g.image)) {
    return `${g.imageName} is not an ELF executable and looks like text: a file that is not ELF runs as raw code from 0x80000000 (${g.firmware === 'sbi' ? '0x80400000 under --firmware sbi' : 'QEMU\'s -kernel does the same'}); give the guest's image`;
  }
  if (g.kind === 'machine-trap') {
    return 'the S-mode guest took a trap the built-in SBI does not handle (none reaches M-mode under OpenSBI either): see which with --trace trap';
  }
  if (g.firmware === 'none' && g.dump.mtvec === 0) {
    return 'an S-mode image? try --firmware sbi (the guest never set mtvec, as a kernel built to run under SBI firmware does not; its SBI calls trap to address 0)';
  }
  if (g.kind === 'trap-storm') {
    return 'the trap handler returns to the faulting instruction without fixing its cause: see it with --trace trap or --gdb';
  }
  return `the trap vector itself faults (mtvec ${hex(g.dump.mtvec)}${g.dump.stvec !== 0 ? `, stvec ${hex(g.dump.stvec)}` : ''}): see it with --trace trap or --gdb`;
}

/** The lines to print (without the `xsvisor: ` prefix): what stopped the guest, the likely fix, the registers. */
export function stuckMessage(g: StuckGuest): string[] {
  return [
    `${g.imageName}: the guest makes no progress, stopped: ${g.reason}`,
    `likely fix: ${stuckHint(g)}`,
    ...formatRegisterDump(g.dump).split('\n').map((l) => `  ${l}`),
  ];
}
