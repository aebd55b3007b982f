/**
 * bench:coremark: whole-process CPU time of xsvisor's CLI on the
 * CoreMark-class guest (guests/bin/coremix.elf, guests/bench/coremix.c)
 * beside QEMU 7.2 TCG's in the same run, as ratios (issue 18, target 1:
 * within 2x QEMU with `--tier jit`). Every run's output must equal QEMU's
 * (its CRCs and checksum), or the bench fails.
 *
 *   npm run bench:coremark -- [--tier jit|interp] [--rounds N] [--short]
 * `--short` runs coremix-short.elf (300 iterations, a quick check) instead
 * of coremix.elf (70,000 iterations, over 10 s of CPU under QEMU).
 * Last line: `coremark: jit X x QEMU, interp Y x QEMU (whole-process CPU time; QEMU Z s)`.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compare, haveQemu, printTable, QEMU, QEMU_CPU, type Contender } from './child-cpu.js';
import { reportTook } from './took.js';

reportTook('coremark');

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const rounds = Number(opt('--rounds') ?? 1);
const tiers = opt('--tier') !== undefined ? [opt('--tier')!] : ['jit', 'interp'];
const image = fileURLToPath(new URL(`../guests/bin/${args.includes('--short') ? 'coremix-short' : 'coremix'}.elf`, import.meta.url));
const cli = fileURLToPath(new URL('../bin/xsvisor.js', import.meta.url));
const dist = fileURLToPath(new URL('../dist/host/cli/xsvisor.js', import.meta.url));

if (!existsSync(dist)) throw new Error('the CLI is not built: run npm run build first');
if (!haveQemu()) throw new Error(`${QEMU} not found (Debian package qemu-system-misc): no baseline to compare with`);

const contenders: Contender[] = [
  { label: 'QEMU 7.2 TCG, -bios none', cmd: QEMU, args: ['-M', 'virt', '-bios', 'none', '-nographic', '-cpu', QEMU_CPU, '-kernel', image] },
  ...tiers.map((t) => ({ label: `xsvisor run --tier ${t} (Node ${process.version})`, cmd: process.execPath, args: [cli, 'run', '--tier', t, image] })),
];
console.log(`coremark: ${image.split('/').pop()}, ${rounds} round(s), best CPU time of each`);
const results = compare(contenders, rounds, (s) => console.log(s));
console.log(`checksum (all runs): ${results[0].lines[results[0].lines.length - 1]}`);
console.log('');
printTable(results, (s) => console.log(s));
const q = results[0].cpu;
console.log(`coremark: ${results.slice(1).map((r, i) => `${tiers[i]} ${(r.cpu / q).toFixed(2)} x QEMU`).join(', ')} (whole-process CPU time; QEMU ${q.toFixed(2)} s)`);
