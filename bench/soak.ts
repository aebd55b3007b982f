/**
 * soak: the long run of attack 5 in docs/robustness.md: does the monitor
 * leak over a billion guest instructions?
 *
 * Two VirtVms on Node, driven as the CLI drives one: mips.elf restarted at
 * each exit (every round must print the same output and exit 0) and
 * isa-irq.elf between its rounds. Prints a memory sample every `--sample`
 * instructions after a forced GC, the growth from first to last, and a
 * verdict on heapUsed and arrayBuffers. Exit status 1 when a round
 * misbehaves or memory grows past `--limit-kib`. Method: docs/robustness.md.
 *
 *   npm run soak -- [--insns N] [--sample N] [--irq-runs N] [--limit-kib N]
 */
import { readFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';
import { createNodeClock } from '../host/node/clock.js';
import { createNodeScheduler } from '../host/node/scheduler.js';
import { runVm, VirtVm, type VmExit } from '../src/monitor/index.js';
import { MemorySerial } from '../src/ports/sim/index.js';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isSafeInteger(v) || v <= 0) {
    console.error(`${name} needs a positive integer, got ${process.argv[i + 1]}`);
    process.exit(64);
  }
  return v;
}

const target = flag('--insns', 1_000_000_000);
const every = flag('--sample', 100_000_000);
const irqRuns = flag('--irq-runs', 20);
const limitKib = flag('--limit-kib', 1024);
const gc = (globalThis as { gc?: () => void }).gc;

interface Sample {
  insns: number;
  heapUsed: number;
  rss: number;
  arrayBuffers: number;
  external: number;
  /** V8 heap space → bytes used: tells a data leak (old space) from JIT code and feedback (code space...). */
  spaces: Record<string, number>;
}

const MiB = 1024 * 1024;
const mib = (n: number) => (n / MiB).toFixed(2).padStart(8);
const fmt = (n: number) => n.toLocaleString('en-US');

function guest(name: string): Uint8Array {
  return readFileSync(new URL(`../guests/bin/${name}.elf`, import.meta.url));
}

async function main(): Promise<number> {
  if (gc === undefined) console.log('warning: no --expose-gc: samples are taken without a forced GC and are noisier');
  const scheduler = createNodeScheduler();
  const mipsOut = new MemorySerial({ outputCapacity: 1 << 16 });
  const irqOut = new MemorySerial({ outputCapacity: 1 << 16 });
  const mips = new VirtVm({ image: guest('mips'), imageName: 'mips.elf', clock: createNodeClock(), serial: mipsOut.open });
  const irq = new VirtVm({ image: guest('isa-irq'), imageName: 'isa-irq.elf', clock: createNodeClock(), serial: irqOut.open });
  const samples: Sample[] = [];
  let nextSample = every;
  const total = () => mips.steps + irq.steps;
  const sample = () => {
    if (total() < nextSample) return;
    nextSample += every;
    gc?.();
    const m = process.memoryUsage();
    const spaces: Record<string, number> = {};
    for (const sp of getHeapSpaceStatistics()) spaces[sp.space_name] = sp.space_used_size;
    samples.push({ insns: total(), heapUsed: m.heapUsed, rss: m.rss, arrayBuffers: m.arrayBuffers, external: m.external, spaces });
    const s = samples[samples.length - 1]!;
    console.log(`  ${fmt(s.insns).padStart(15)} ${mib(s.heapUsed)} ${mib(s.rss)} ${mib(s.arrayBuffers)} ${mib(s.external)}`);
  };
  const problems: string[] = [];
  const started = Date.now();
  let expected: string | null = null;
  let rounds = 0;
  let irqDone = 0;
  console.log(`soak: ${fmt(target)} instructions, a sample every ${fmt(every)} (heap after GC: ${gc ? 'yes' : 'no'})`);
  console.log(`  ${'instructions'.padStart(15)} ${'heapUsed'.padStart(8)} ${'rss'.padStart(8)} ${'arrayBuf'.padStart(8)} ${'external'.padStart(8)}  (MiB)`);
  const finished = (e: VmExit, name: string): boolean => {
    if (e.kind === 'exit' && e.status === 0) return true;
    problems.push(`${name}: ${JSON.stringify(e, (_k, v) => (v instanceof Error ? v.message : v))}`);
    return false;
  };
  while (total() < target && problems.length === 0) {
    const e = await runVm({ vm: mips, scheduler, onSlice: sample });
    const out = Buffer.from(mipsOut.takeOutput()).toString('latin1');
    if (!finished(e, `mips round ${rounds + 1}`)) break;
    if (expected === null) expected = out;
    else if (out !== expected) problems.push(`mips round ${rounds + 1} printed ${JSON.stringify(out)}, round 1 ${JSON.stringify(expected)}`);
    rounds++;
    mips.restart();
    for (let i = 0; i < irqRuns && problems.length === 0; i++) {
      const ei = await runVm({ vm: irq, scheduler, onSlice: sample });
      const text = Buffer.from(irqOut.takeOutput()).toString('latin1');
      if (finished(ei, `isa-irq run ${irqDone + 1}`) && !text.includes('PASS')) problems.push(`isa-irq run ${irqDone + 1} printed ${JSON.stringify(text)}`);
      irqDone++;
      irq.restart();
    }
  }
  mips.close();
  irq.close();
  const secs = (Date.now() - started) / 1000;
  console.log(`ran ${fmt(total())} instructions in ${secs.toFixed(0)} s (${(total() / secs / 1e6).toFixed(1)} MIPS): ` +
    `${rounds} mips.elf rounds (restarts), ${irqDone} isa-irq.elf runs (restarts)`);
  for (const p of problems) console.log(`  ! ${p}`);
  let ok = problems.length === 0;
  if (samples.length < 2) {
    console.log('memory: fewer than two samples, no verdict (raise --insns or lower --sample)');
    return ok ? 0 : 1;
  }
  const first = samples[0]!;
  const last = samples[samples.length - 1]!;
  const grow = (k: 'heapUsed' | 'rss' | 'arrayBuffers' | 'external') => last[k] - first[k];
  console.log(`growth from ${fmt(first.insns)} to ${fmt(last.insns)} instructions: ` +
    `heapUsed ${(grow('heapUsed') / 1024).toFixed(0)} KiB, arrayBuffers ${(grow('arrayBuffers') / 1024).toFixed(0)} KiB, ` +
    `rss ${(grow('rss') / 1024).toFixed(0)} KiB (not judged), external ${(grow('external') / 1024).toFixed(0)} KiB`);
  const mid = samples[Math.floor((samples.length - 1) / 2)]!;
  console.log(`growth over the second half (from ${fmt(mid.insns)}): heapUsed ${((last.heapUsed - mid.heapUsed) / 1024).toFixed(0)} KiB, ` +
    `arrayBuffers ${((last.arrayBuffers - mid.arrayBuffers) / 1024).toFixed(0)} KiB`);
  console.log(`heapUsed growth by V8 space: ${Object.keys(last.spaces)
    .map((k) => `${k} ${(((last.spaces[k] ?? 0) - (first.spaces[k] ?? 0)) / 1024).toFixed(0)} KiB`)
    .join(', ')}`);
  const memOk = grow('heapUsed') < limitKib * 1024 && grow('arrayBuffers') < limitKib * 1024;
  console.log(`verdict: ${memOk ? `no growth beyond noise (< ${limitKib} KiB)` : `GROWTH beyond ${limitKib} KiB`}${gc ? '' : ' (without forced GC)'}`);
  ok = ok && memOk;
  console.log(ok ? 'soak: ok' : 'soak: FAILED');
  return ok ? 0 : 1;
}

process.exitCode = await main();
