/**
 * The interpreter under V8, this tree against another (a checkout of an
 * earlier commit, its node_modules beside it): guests/bin/mips.elf on each
 * tree's VirtVm (interp tier, 256 KiB of RAM), both loaded into this one
 * Node process and run in turn, 40 M instructions a round after a 2 M
 * warm-up, so that the machine's load falls on both alike. Prints the best
 * process-CPU MIPS of each over the rounds. A change to the interpreter
 * made for XS (scripts/gen-interp.ts) must not lose here
 * (docs/xs-performance.md). Run:
 *   node --loader ts-node/esm --no-warnings bench/interp-ab.ts DIR [ROUNDS]
 * Last line: `interp-ab: this X MIPS, DIR Y MIPS (best process CPU of N rounds)`.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { reportTook } from './took.js';

reportTook('interp-ab');

interface Vm {
  run(n: number): unknown;
}
type VmClass = new (o: { image: Uint8Array; ramSize: number; clock: { now(): number } }) => Vm;

const here = fileURLToPath(new URL('..', import.meta.url));
const other = process.argv[2];
if (other === undefined) throw new Error('interp-ab: give the other tree: bench/interp-ab.ts DIR [ROUNDS]');
const rounds = Number(process.argv[3] ?? 8);
const image = new Uint8Array(readFileSync(fileURLToPath(new URL('../guests/bin/mips.elf', import.meta.url))));
const trees = [here, resolve(other)];
const classes = await Promise.all(trees.map(async (t) => ((await import(`${t}/src/monitor/index.ts`)) as { VirtVm: VmClass }).VirtVm));
const N = 40_000_000;
const best = trees.map(() => 0);
for (let k = 0; k < rounds; k++) {
  classes.forEach((VirtVm, i) => {
    const vm = new VirtVm({ image, ramSize: 256 * 1024, clock: { now: () => 0 } });
    vm.run(2_000_000);
    const c0 = process.cpuUsage();
    for (let done = 0; done < N; done += 1_000_000) vm.run(1_000_000);
    const c = process.cpuUsage(c0);
    best[i] = Math.max(best[i]!, N / (c.user + c.system));
  });
}
console.log(`interp-ab: this ${best[0]!.toFixed(1)} MIPS, ${other} ${best[1]!.toFixed(1)} MIPS (best process CPU of ${rounds} rounds)`);
