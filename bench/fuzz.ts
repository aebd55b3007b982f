/**
 * fuzz: the long profile of the hart fuzzer (attack 1 of docs/robustness.md):
 * random instructions judged by the spec oracle of
 * tests/core/hart-fuzz-oracle.ts in six configurations, then random words
 * compared with QEMU 7.2 (mcause, mtval, mepc each). Prints counts, traps by
 * cause, invariant violations, crashes and mismatches; exit status 1 on any.
 * Method and flags: docs/robustness.md.
 *
 *   npm run fuzz -- [--seed N] [--count N] [--qemu-words N] [--cli] [--examples N]
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIGS, HartFuzzer } from '../tests/core/hart-fuzz-oracle.js';
import { MAX_WORDS, buildFuzzImage, compareFuzzLogs, parseFuzzLog, runXsvisorCli, runXsvisorInProcess, type Mode } from '../tests/qemu/fuzz-image.js';
import { qemuAvailable, runQemu } from '../tests/qemu/qemu.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const QEMU_CONFIGS: readonly [Mode, boolean][] = [['M', false], ['S', false], ['U', false], ['S', true], ['U', true]];

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 0) {
    console.error(`${name} needs a non-negative integer, got ${process.argv[i + 1]}`);
    process.exit(64);
  }
  return v;
}

const seed = flag('--seed', 1);
const count = flag('--count', 10_000_000);
const qemuWords = flag('--qemu-words', 2000);
const maxExamples = flag('--examples', 20);
const useCli = process.argv.includes('--cli');

const CAUSES: Record<number, string> = {
  0: 'insn misaligned', 1: 'fetch access', 2: 'illegal', 3: 'breakpoint', 4: 'load misaligned', 5: 'load access',
  6: 'store/AMO misaligned', 7: 'store/AMO access', 8: 'ecall U', 9: 'ecall S', 11: 'ecall M', 12: 'fetch page',
  13: 'load page', 15: 'store/AMO page',
};
const fmt = (n: number) => n.toLocaleString('en-US');

function inProcess(): boolean {
  if (count === 0) return true;
  console.log(`hart fuzzing in process: seed ${seed}, ${fmt(count)} instructions over ${CONFIGS.length} configurations`);
  const f = new HartFuzzer({ seed, maxExamples });
  const started = Date.now();
  const chunk = Math.max(1, Math.min(100_000, Math.floor(count / CONFIGS.length)));
  let done = 0;
  let c = 0;
  while (done < count) {
    const n = Math.min(chunk, count - done);
    f.run(CONFIGS[c % CONFIGS.length]!, n);
    done += n;
    c++;
    if (c % 30 === 0) process.stderr.write(`  ${fmt(done)} done, ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  }
  const s = f.stats;
  const secs = (Date.now() - started) / 1000;
  console.log(`instructions: ${fmt(s.steps)} (${(s.steps / secs / 1e3).toFixed(0)} k/s, ${secs.toFixed(1)} s)`);
  console.log(`retired: ${fmt(s.retired)}  trapped: ${fmt(s.steps - s.retired)}  unjudged (straddling accesses): ${fmt(s.skipped)}`);
  console.log('traps by cause:');
  for (const [cause, n] of Object.entries(s.traps).sort((a, b) => Number(a[0]) - Number(b[0]))) {
    console.log(`  ${cause.padStart(2)} ${(CAUSES[Number(cause)] ?? '?').padEnd(22)} ${fmt(n)}`);
  }
  console.log('per configuration (steps / retired / traps):');
  for (const [name, m] of Object.entries(s.perMode)) console.log(`  ${name.padEnd(12)} ${fmt(m.steps)} / ${fmt(m.retired)} / ${fmt(m.traps)}`);
  console.log(`invariant violations: ${s.violations}`);
  console.log(`crashes: ${s.crashes}`);
  for (const e of s.examples) console.log(`  ! ${e}`);
  return s.violations === 0 && s.crashes === 0;
}

async function againstQemu(): Promise<boolean> {
  if (qemuWords === 0) return true;
  const inCi = (process.env['CI'] ?? '') !== '';
  if (!qemuAvailable()) {
    console.log(`QEMU cross-check: skipped, qemu-system-riscv32 not installed${inCi ? ' (required in CI)' : ''}`);
    return !inCi;
  }
  const cli = join(ROOT, 'bin', 'xsvisor.js');
  if (useCli && !existsSync(join(ROOT, 'dist', 'host', 'cli', 'xsvisor.js'))) {
    console.log('QEMU cross-check: the CLI is not built (npm run build)');
    return false;
  }
  console.log(`QEMU cross-check: ${fmt(qemuWords)} words in each of M, S, U, S+sv32, U+sv32, seed ${seed}`);
  const dir = mkdtempSync(join(tmpdir(), 'xsvisor-fuzz-'));
  let ok = true;
  const total = { compared: 0, mismatches: 0, accepted: {} as Record<string, number>, optional: {} as Record<string, number>, traps: {} as Record<number, number>, excluded: {} as Record<string, number> };
  try {
    for (const [mode, paging] of QEMU_CONFIGS) {
      for (let part = 0; part * MAX_WORDS < qemuWords; part++) {
        const n = Math.min(MAX_WORDS, qemuWords - part * MAX_WORDS);
        const img = buildFuzzImage({ mode, seed: seed + 1000 * part, count: n, paging });
        const path = join(dir, `fuzz-${mode}${paging ? '-sv32' : ''}-${part}.bin`);
        writeFileSync(path, img.image);
        for (const [k, v] of Object.entries(img.excluded)) total.excluded[k] = (total.excluded[k] ?? 0) + v;
        const q = await runQemu(path, { timeoutMs: 60_000 });
        const x = useCli ? await runXsvisorCli(cli, path) : runXsvisorInProcess(img.image);
        const ql = parseFuzzLog(q.stdout, n);
        const xl = parseFuzzLog(x.stdout, n);
        if (ql === null || xl === null) {
          ok = false;
          console.log(`  ${mode}${paging ? '+sv32' : ''}#${part}: no complete log (qemu status ${q.status}${q.timedOut ? ', timed out' : ''}, xsvisor status ${x.status})`);
          continue;
        }
        const r = compareFuzzLogs(img, ql, xl);
        total.compared += r.compared;
        total.mismatches += r.mismatches.length;
        for (const [k, v] of Object.entries(r.accepted)) total.accepted[k] = (total.accepted[k] ?? 0) + v;
        for (const [k, v] of Object.entries(r.optionalCsrs)) total.optional[k] = (total.optional[k] ?? 0) + v;
        for (const [k, v] of Object.entries(r.trapsByCause)) total.traps[Number(k)] = (total.traps[Number(k)] ?? 0) + v;
        for (const m of r.mismatches.slice(0, maxExamples)) console.log(`  ! ${m}`);
        if (r.mismatches.length > 0) ok = false;
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`  words compared: ${fmt(total.compared)}; mismatches: ${total.mismatches}`);
  console.log(`  QEMU traps at the word, by cause: ${JSON.stringify(total.traps)}`);
  console.log(`  documented differences (tests/qemu/fuzz-image.ts, each with its spec reference): ${JSON.stringify(total.accepted)}`);
  console.log(`  optional CSRs on one side only: ${Object.keys(total.optional).length} numbers, ${Object.values(total.optional).reduce((a, b) => a + b, 0)} words: ${Object.keys(total.optional).sort().join(', ')}`);
  console.log(`  left out of the images: ${JSON.stringify(total.excluded)}`);
  return ok;
}

const a = inProcess();
const b = await againstQemu();
console.log(a && b ? 'fuzz: ok' : 'fuzz: FAILED');
process.exitCode = a && b ? 0 : 1;
