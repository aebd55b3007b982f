// guests.ts: the catalogue of committed guest images in guests/bin: which
// machine each runs on and what QEMU is known to produce for it, so the
// QEMU half can be checked on its own before any comparison.

import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Machine } from './qemu.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const GUESTS_BIN = join(REPO_ROOT, 'guests', 'bin');

export interface Guest {
  name: string;
  path: string;
  machine: Machine;
  /** exit status under QEMU */
  status: number;
  /** a check of QEMU's UART output; null when it looks right */
  checkOutput: (stdout: string) => string | null;
  /** a long-running guest (the benchmark) */
  slow: boolean;
}

/**
 * Guests with no QEMU reference, tested through the CLI and the monitor
 * suites instead: demo and echo use xsvisor's own addition to the virt map
 * (the SiFive GPIO block) and wait for a person at the console; sbi is an
 * S-mode guest that needs SBI firmware, and Debian ships OpenSBI for rv64
 * only, so `qemu-system-riscv32 -bios default` has none to give it.
 * Hostile guests (tests/host/hostile-guests.test.ts): hostile-sbi needs the
 * SBI too; the trap loop, trap storm and WFI-forever guests never end by
 * themselves (under QEMU either); hostile-probe is compared with QEMU line
 * by line there, less its documented differences (misaligned MMIO, GPIO).
 * rtos checks its own timing, so it is compared with QEMU under
 * instruction-count time only (icount.test.ts: -icount shift=2,sleep=off
 * against --icount 2); in real time neither run is reproducible.
 * coremix (20 G instructions, over 10 s under QEMU and about a minute
 * here) is the benchmark's, compared with QEMU by `npm run bench:coremark`;
 * coremix-short, the same code in 300 iterations, is compared here.
 * boot (an S-mode kernel for --firmware sbi) and boot-qemu (the same
 * kernel behind an M-mode SBI shim of our own, for QEMU) are compared by
 * `npm run bench:boot`, whose first check is that the outputs match.
 * sbi-small is sbi linked for a board's RAM (it needs the SBI as sbi
 * does); board-spin computes forever (bench:board's load for the cost per
 * extra VM), under QEMU too.
 */
const XSVISOR_ONLY = new Set(['demo', 'echo', 'sbi', 'sbi-small', 'board-spin', 'hostile-probe', 'hostile-sbi', 'hostile-trap-loop', 'hostile-trap-storm', 'hostile-wfi', 'rtos', 'coremix', 'boot', 'boot-qemu']);

function lastLine(stdout: string): string {
  const lines = stdout.split('\n').filter((l) => l !== '');
  return lines[lines.length - 1] ?? '';
}

function expectLast(want: RegExp): (stdout: string) => string | null {
  return (stdout) => (want.test(lastLine(stdout)) ? null : `last line ${JSON.stringify(lastLine(stdout))} does not match ${want}`);
}

function describe(name: string, path: string): Guest {
  if (name.startsWith('htif-')) {
    // HTIF guests print nothing; htif-fail reports code 3 by design.
    return {
      name, path, machine: 'spike', status: name === 'htif-fail' ? 3 : 0, slow: false,
      checkOutput: (s) => (s === '' ? null : `expected no UART output, got ${JSON.stringify(s)}`),
    };
  }
  if (name.startsWith('isa-')) {
    const group = name.slice('isa-'.length);
    return { name, path, machine: 'virt', status: 0, slow: false, checkOutput: expectLast(new RegExp(`^PASS ${group}$`)) };
  }
  if (name === 'mips') {
    return { name, path, machine: 'virt', status: 0, slow: true, checkOutput: expectLast(/^checksum [0-9a-f]{8}$/) };
  }
  if (name === 'coremix-short') {
    // The CoreMark-class kernels, 300 iterations: a CRC per kernel, then the checksum.
    return { name, path, machine: 'virt', status: 0, slow: true, checkOutput: expectLast(/^checksum [0-9a-f]{4}$/) };
  }
  if (name === 'paging') {
    // Sv32 from S-mode: one PASS line per check, then `PASS paging`.
    return { name, path, machine: 'virt', status: 0, slow: false, checkOutput: expectLast(/^PASS paging$/) };
  }
  if (name === 'pmp' || name === 'trigger') {
    // PMP and the trigger module from M, S and U: one PASS line per check, then `PASS pmp` / `PASS trigger`.
    return { name, path, machine: 'virt', status: 0, slow: false, checkOutput: expectLast(new RegExp(`^PASS ${name}$`)) };
  }
  if (name === 'hostile-ecall') {
    // 40 000 ECALLs from each of M, S and U, counted by the guest's own handler.
    return { name, path, machine: 'virt', status: 0, slow: false, checkOutput: expectLast(/^PASS ecall storm$/) };
  }
  if (name === 'gdbdemo') {
    // The GDB stub's guest: sum of squares 1..5, then exit status 3 by design.
    return { name, path, machine: 'virt', status: 3, slow: false, checkOutput: expectLast(/^gdbdemo: sum 55$/) };
  }
  if (name === 'overlap') {
    // PT_LOAD segments overlapping in physical address (guests/overlap/link.ld): what the loader put where, then PASS.
    return { name, path, machine: 'virt', status: 0, slow: false, checkOutput: expectLast(/^PASS overlap$/) };
  }
  if (name === 'hello') {
    return { name, path, machine: 'virt', status: 0, slow: false, checkOutput: expectLast(/^bye$/) };
  }
  return { name, path, machine: 'virt', status: 0, slow: false, checkOutput: () => null };
}

/** Every guests/bin/*.elf that QEMU can run as a reference, sorted by name. */
export function listGuests(dir = GUESTS_BIN): Guest[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.elf') && !XSVISOR_ONLY.has(f.slice(0, -'.elf'.length)))
    .sort()
    .map((f) => describe(f.slice(0, -'.elf'.length), join(dir, f)));
}
