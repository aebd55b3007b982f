/**
 * bench:boot: whole-process CPU time of xsvisor's CLI on the boot benchmark
 * (guests/boot: an S-mode kernel with Sv32, about 10^5 page faults and
 * system calls, 10^4 SBI timer ticks, 2 x 10^5 UART and PLIC accesses)
 * beside QEMU 7.2 TCG's in the same run, as ratios (issue 18, target 2:
 * within 2x QEMU). xsvisor runs boot.elf under its built-in SBI
 * (`--firmware sbi`); QEMU, which has no rv32 OpenSBI in Debian, runs
 * boot-qemu.elf, the same kernel behind guests/boot/shim.S. Every run's
 * output must equal QEMU's, or the bench fails.
 *
 *   npm run bench:boot -- [--tier jit|interp] [--rounds N] [--shim] [--baseline DIR]
 * `--shim` adds xsvisor on boot-qemu.elf (the guest's own M-mode SBI, as
 * QEMU runs it); `--baseline DIR` adds the CLI of another built tree (a
 * worktree of an earlier commit: before/after in the same run). Last line: `boot: interp X x QEMU, jit Y x QEMU
 * (whole-process CPU time; QEMU Z s)`.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compare, haveQemu, printTable, QEMU, QEMU_CPU, type Contender } from './child-cpu.js';
import { reportTook } from './took.js';

reportTook('boot');

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const rounds = Number(opt('--rounds') ?? 3);
const tiers = opt('--tier') !== undefined ? [opt('--tier')!] : ['interp', 'jit'];
const bin = (name: string): string => fileURLToPath(new URL(`../guests/bin/${name}`, import.meta.url));
const cli = fileURLToPath(new URL('../bin/xsvisor.js', import.meta.url));
const dist = fileURLToPath(new URL('../dist/host/cli/xsvisor.js', import.meta.url));

if (!existsSync(dist)) throw new Error('the CLI is not built: run npm run build first');
if (!haveQemu()) throw new Error(`${QEMU} not found (Debian package qemu-system-misc): no baseline to compare with`);

const contenders: Contender[] = [
  { label: 'QEMU 7.2 TCG, boot-qemu.elf (guest shim SBI)', cmd: QEMU, args: ['-M', 'virt', '-bios', 'none', '-nographic', '-cpu', QEMU_CPU, '-kernel', bin('boot-qemu.elf')] },
  ...tiers.map((t) => ({ label: `xsvisor --firmware sbi --tier ${t}`, cmd: process.execPath, args: [cli, 'run', '--firmware', 'sbi', '--tier', t, bin('boot.elf')] })),
  ...(opt('--baseline') !== undefined
    ? tiers.map((t) => ({ label: `baseline ${opt('--baseline')!.split('/').pop()} --tier ${t}`, cmd: process.execPath, args: [`${opt('--baseline')!}/bin/xsvisor.js`, 'run', '--firmware', 'sbi', '--tier', t, bin('boot.elf')] }))
    : []),
  ...(args.includes('--shim') ? [{ label: 'xsvisor boot-qemu.elf --tier interp', cmd: process.execPath, args: [cli, 'run', '--tier', 'interp', bin('boot-qemu.elf')] }] : []),
];
console.log(`boot: ${rounds} round(s), best CPU time of each (Node ${process.version})`);
const results = compare(contenders, rounds, (s) => console.log(s));
for (const l of results[0].lines.filter((l) => l.startsWith('xsboot:'))) console.log(`guest (all runs): ${l}`);
console.log('');
printTable(results, (s) => console.log(s));
const q = results[0].cpu;
console.log(`boot: ${results.slice(1, 1 + tiers.length).map((r, i) => `${tiers[i]} ${(r.cpu / q).toFixed(2)} x QEMU`).join(', ')} (whole-process CPU time; QEMU ${q.toFixed(2)} s)`);
